//! Benchmark (not a test): what the pipeline engine adds between one node ending and the next
//! starting (issue "Code factory": under 1 ms), and a wide pipeline of 500 nodes run at once.
//!
//! Real engine, real database (SQLite in a temporary directory), real Template nodes; a wrapper
//! around the node kinds records when each node's work starts and ends, so the gap is the
//! engine's own time: collecting the inputs, reporting the end (live state, events, the store's
//! queue), and starting the next task. Dify and Langflow, which the issue names, are not run
//! here (neither installs from a registry into this machine in reasonable time; see the table's
//! note). Results go to docs/BENCHMARKS.md. Run: `cargo bench -p webplus --bench pipeline --features fakes`.

#[path = "doc_section.rs"]
mod doc_section;

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{Map, Value, json};
use webplus::{
    answer::Answers,
    auth::Principal,
    catalog::ModelCatalog,
    domain::pipeline::{Definition, Node},
    pipelines::{Execute, Pipelines, Reporter, RunStatus},
    providers::Registry,
    sitechat::{EmbedderSet, SiteChat, SiteChatConfig},
    storage::{Db, Role, TempDb, UserStatus},
};

const CHAIN: usize = 200;
const WIDE: usize = 500;
const ROUNDS: usize = 5;

/// The real node kinds, timed.
struct Timed {
    real: Arc<dyn Execute>,
    spans: Arc<Mutex<Vec<(String, Instant, Instant)>>>,
}

#[async_trait::async_trait]
impl Execute for Timed {
    async fn run(
        &self,
        node: &Node,
        inputs: &Map<String, Value>,
        attempt: u32,
        report: &Reporter,
    ) -> Result<Map<String, Value>, String> {
        let start = Instant::now();
        let out = self.real.run(node, inputs, attempt, report).await;
        self.spans.lock().unwrap().push((node.id.clone(), start, Instant::now()));
        out
    }
}

/// Input → t0 → t1 → … → t{n-1} → Output.
fn chain(n: usize) -> Definition {
    let mut nodes = vec![json!({"id": "in", "type": "input", "fields": [{"name": "x", "type": "text"}]})];
    let mut edges = Vec::new();
    let mut prev = ("in".to_owned(), "x");
    for i in 0..n {
        let id = format!("t{i}");
        nodes.push(
            json!({"id": id, "type": "template", "template": "{{ x }}", "inputs": [{"name": "x", "type": "text"}]}),
        );
        edges.push(json!({"from": {"node": prev.0, "port": prev.1}, "to": {"node": id, "port": "x"}}));
        prev = (id, "text");
    }
    nodes.push(json!({"id": "out", "type": "output", "results": [{"name": "y", "type": "text"}]}));
    edges.push(json!({"from": {"node": prev.0, "port": prev.1}, "to": {"node": "out", "port": "y"}}));
    serde_json::from_value(json!({"format": 1, "name": "chain", "nodes": nodes, "edges": edges})).unwrap()
}

/// Input → n templates side by side → one Output per template.
fn wide(n: usize) -> Definition {
    let mut nodes = vec![json!({"id": "in", "type": "input", "fields": [{"name": "x", "type": "text"}]})];
    let mut edges = Vec::new();
    let mut results = Vec::new();
    for i in 0..n {
        let id = format!("w{i}");
        let x = json!([{"name": "x", "type": "text"}]);
        nodes.push(json!({"id": id, "type": "template", "template": "{{ x }} {{ x }}", "inputs": x}));
        edges.push(json!({"from": {"node": "in", "port": "x"}, "to": {"node": id, "port": "x"}}));
        edges.push(json!({"from": {"node": id, "port": "text"}, "to": {"node": "out", "port": format!("r{i}")}}));
        results.push(json!({"name": format!("r{i}"), "type": "text"}));
    }
    nodes.push(json!({"id": "out", "type": "output", "results": results}));
    serde_json::from_value(json!({"format": 1, "name": "wide", "nodes": nodes, "edges": edges})).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let temp = TempDb::new().await;
    let db = Db::connect(temp.url()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let sitechat = SiteChat::new(db.clone(), SiteChatConfig::new(data.path().to_owned()), EmbedderSet::new());
    let user = db.create_user("bench@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    let who = Principal {
        user_id: user,
        email: "bench@example.com".into(),
        role: Role::User,
        session_id: None,
        api_key_id: None,
    };
    let catalog = ModelCatalog::start(db.clone(), Registry::new(Vec::new())).await.unwrap();
    let answers = Answers::new(catalog, sitechat, None);
    let spans: Arc<Mutex<Vec<(String, Instant, Instant)>>> = Arc::default();
    let plain = Pipelines::new(db.clone(), answers.clone(), "none");
    let (spans2, plain2) = (spans.clone(), plain.clone());
    let pipelines = Pipelines::with_executor(
        db.clone(),
        answers,
        "none",
        Arc::new(move |who: &Principal| {
            Arc::new(Timed { real: plain2.executor_for(who), spans: spans2.clone() }) as Arc<dyn Execute>
        }),
    );
    let inputs = json!({"x": "hello"}).as_object().unwrap().clone();

    let chain_id = pipelines.create(&who, &chain(CHAIN)).await.unwrap().row.id;
    let mut gaps = Vec::new();
    let mut chain_totals = Vec::new();
    for _ in 0..ROUNDS {
        spans.lock().unwrap().clear();
        let started = Instant::now();
        let run = pipelines.start(&who, &chain_id, inputs.clone(), None).await.unwrap();
        let view = wait(&pipelines, &who, &run.id).await;
        chain_totals.push(started.elapsed());
        assert_eq!(view.status, RunStatus::Succeeded, "{view:?}");
        let spans = spans.lock().unwrap();
        let at = |id: &str| spans.iter().find(|s| s.0 == id).unwrap();
        // Input and Output are the engine's own (not timed): the gaps are between templates.
        let order: Vec<String> = (0..CHAIN).map(|i| format!("t{i}")).collect();
        for pair in order.windows(2) {
            gaps.push(at(&pair[1]).1 - at(&pair[0]).2);
        }
    }
    gaps.sort();
    chain_totals.sort();

    let wide_id = pipelines.create(&who, &wide(WIDE)).await.unwrap().row.id;
    let mut wide_totals = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let run = pipelines.start(&who, &wide_id, inputs.clone(), None).await.unwrap();
        let view = wait(&pipelines, &who, &run.id).await;
        wide_totals.push(started.elapsed());
        assert_eq!(view.status, RunStatus::Succeeded);
        assert_eq!(view.outputs.unwrap().len(), WIDE);
    }
    wide_totals.sort();
    drop(plain);

    let report = format!(
        "## Pipeline engine (`cargo bench -p webplus --bench pipeline --features fakes`)\n\n\
         What the engine adds between one node ending and the next starting: a chain of {CHAIN} Template \
         nodes, {ROUNDS} rounds, SQLite, 2 async workers, release build, {date}. The gap is from the end of a \
         node's work to the start of the next one's (collecting inputs, reporting the end to the live state, \
         the followers and the store's queue, starting the next task); the database writes happen beside it.\n\n\
         | measure | p50 | p90 | p99 | max |\n|---|---|---|---|---|\n\
         | gap between nodes ({n} gaps) | {p50} | {p90} | {p99} | {max} |\n\n\
         Whole runs, start to stored end (median of {ROUNDS}): the chain of {CHAIN} in {chain} ms; {WIDE} Template \
         nodes side by side (one Input, one Output with {WIDE} results) in {wide} ms.\n\n\
         Goal (issue \"Code factory\"): under 1 ms between nodes. Dify and Langflow, whose users report seconds \
         between steps, are not run beside it: neither installs from the package registries onto this machine \
         as one step of a benchmark.",
        date = date(),
        n = gaps.len(),
        p50 = us(percentile(&gaps, 0.5)),
        p90 = us(percentile(&gaps, 0.9)),
        p99 = us(percentile(&gaps, 0.99)),
        max = us(*gaps.last().unwrap()),
        chain = chain_totals[ROUNDS / 2].as_millis(),
        wide = wide_totals[ROUNDS / 2].as_millis(),
    );
    println!("{report}");
    doc_section::write_section(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/BENCHMARKS.md"), "pipeline", &report)
        .expect("write docs/BENCHMARKS.md");
}

async fn wait(pipelines: &Pipelines, who: &Principal, run: &str) -> webplus::pipelines::RunView {
    let (view, events) = pipelines.follow(&who.user_id, run).await.unwrap();
    if let Some(mut events) = events {
        while let Ok(e) = events.recv().await {
            if matches!(e, webplus::pipelines::RunEvent::Finished { .. }) {
                break;
            }
        }
    } else {
        return view;
    }
    webplus::fakes::wait_until("the run's end stored", Duration::from_secs(30), || async {
        let v = pipelines.run(&who.user_id, run).await.unwrap();
        if v.status != RunStatus::Running { Ok(v) } else { Err(v.status) }
    })
    .await
}

fn date() -> String {
    let out = std::process::Command::new("date").arg("+%Y-%m-%d").output();
    out.ok().and_then(|o| String::from_utf8(o.stdout).ok()).map(|s| s.trim().to_owned()).unwrap_or_default()
}
