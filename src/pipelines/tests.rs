//! The engine on a real database (SQLite, and PostgreSQL in `make test`'s second run): order,
//! parallel branches, retries, error policies, skipped branches, cancellation, timeouts, restarts,
//! limits, the Code sandbox, ownership and sharing (tests/sharing.rs), and LLM nodes through the answer path and its ledger.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use futures::StreamExt;
use serde_json::{Value, json};

mod http;
mod schema;
mod sharing;
mod subpipeline;

use super::*;
use crate::{
    catalog::ModelCatalog,
    ledger::Ledger,
    providers::{
        ChatEvent, ChatProvider, ChatRequest, ChatStream, FinishReason, ModelInfo, ProviderError, Registry, Usage,
    },
    sitechat::{EmbedderSet, SiteChat, SiteChatConfig},
    storage::{LedgerFilter, Role, TempDb, UserStatus, test_support::temp_db},
};

/// Model `m`: answers "<prompt> :: reviewed" in two pieces with its usage; fails the calls whose
/// number (1-based) is in `fail` as unavailable, and never answers a prompt "hang".
struct Reviewer {
    calls: AtomicUsize,
    fail: Vec<usize>,
}

#[async_trait::async_trait]
impl ChatProvider for Reviewer {
    fn name(&self) -> &str {
        "test"
    }
    async fn models(&self) -> Vec<ModelInfo> {
        vec![ModelInfo { id: "m".into(), provider: "test".into(), context_window: 8_000 }]
    }
    async fn stream_chat(&self, r: ChatRequest) -> Result<ChatStream, ProviderError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fail.contains(&n) {
            return Err(ProviderError::Unavailable("refused for the test".into()));
        }
        let prompt = r.messages.last().map(|m| m.content.clone()).unwrap_or_default();
        if prompt == "hang" {
            return Ok(futures::stream::pending().boxed());
        }
        let events = [
            ChatEvent::Delta(prompt),
            ChatEvent::Delta(" :: reviewed".into()),
            ChatEvent::Finished { reason: FinishReason::Stop, usage: Usage::reported(7, 3) },
        ];
        Ok(futures::stream::iter(events.map(Ok)).boxed())
    }
    fn prices(&self, _: &str) -> Option<crate::providers::Prices> {
        Some(crate::providers::Prices { input_per_mtok: 1.0, output_per_mtok: 2.0 })
    }
}

struct World {
    pipelines: Pipelines,
    sitechat: SiteChat,
    db: Db,
    ledger: Ledger,
    alice: Principal,
    bob: Principal,
    _dirs: (TempDb, tempfile::TempDir),
}

fn principal(user_id: String) -> Principal {
    Principal { user_id, email: "x@example.com".into(), role: Role::User, session_id: None, api_key_id: None }
}

async fn world_failing(fail: Vec<usize>) -> World {
    world_with(Arc::new(Reviewer { calls: AtomicUsize::new(0), fail })).await
}

/// The world with `provider` answering model `m`.
async fn world_with(provider: Arc<dyn ChatProvider>) -> World {
    let (db, db_dir) = temp_db().await;
    let data = tempfile::tempdir().unwrap();
    let mut config = SiteChatConfig::new(data.path().to_owned());
    // The local servers of tests/http.rs, as WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS would allow them.
    config.crawl_policy = crate::net::AddressPolicy::new(["127.0.0.1"]);
    let embedders =
        EmbedderSet::new().with(config.default_embedding_model.clone(), Arc::new(crate::fakes::BagEmbedder));
    let sitechat = SiteChat::new(db.clone(), config, embedders);
    let alice = db.create_user("alice@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    let bob = db.create_user("bob@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    let ledger = Ledger::start(db.clone());
    let catalog = ModelCatalog::start(db.clone(), Registry::new(vec![provider])).await.unwrap();
    let answers = Answers::new(catalog, sitechat.clone(), Some(ledger.clone()));
    World {
        sitechat,
        pipelines: Pipelines::new(db.clone(), answers, "m"),
        db,
        ledger,
        alice: principal(alice),
        bob: principal(bob),
        _dirs: (db_dir, data),
    }
}

async fn world() -> World {
    world_failing(Vec::new()).await
}

fn def(v: Value) -> Definition {
    serde_json::from_value(v).unwrap()
}

/// Input(code) → Template → LLM (m) → Output(review).
fn review_pipeline() -> Definition {
    def(json!({
        "format": 1, "name": "Review",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "code", "type": "text"}]},
            {"id": "ask", "type": "template", "template": "Review {{ code }}", "inputs": [{"name": "code",
             "type": "text"}]},
            {"id": "review", "type": "llm", "model": "m", "prompt": "{{ request }}",
             "inputs": [{"name": "request", "type": "text"}], "retry": {"max": 1, "backoff_ms": 1}},
            {"id": "out", "type": "output", "results": [{"name": "review", "type": "text"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "code"}, "to": {"node": "ask", "port": "code"}},
            {"from": {"node": "ask", "port": "text"}, "to": {"node": "review", "port": "request"}},
            {"from": {"node": "review", "port": "text"}, "to": {"node": "out", "port": "review"}}
        ]
    }))
}

/// Follows a run to its end and returns it as stored.
async fn finished(w: &World, who: &Principal, run: &RunView) -> RunView {
    let (view, events) = w.pipelines.follow(&who.user_id, &run.id).await.unwrap();
    if let Some(mut events) = events {
        let end = async {
            loop {
                match events.recv().await {
                    Ok(RunEvent::Finished { .. }) | Err(broadcast::error::RecvError::Closed) => break,
                    _ => {}
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), end).await.expect("the run did not end within 30 s");
    } else {
        assert_ne!(view.status, RunStatus::Running);
    }
    // The live view is dropped once the end is stored: read until it is.
    crate::fakes::wait_until("the run's end stored", Duration::from_secs(10), || async {
        let v = w.pipelines.run(&who.user_id, &run.id).await.unwrap();
        if w.pipelines.active(&run.id).is_none() { Ok(v) } else { Err(v.status) }
    })
    .await
}

fn node<'a>(run: &'a RunView, id: &str) -> &'a NodeState {
    run.nodes.iter().find(|n| n.node == id).unwrap_or_else(|| panic!("no node {id} in {:?}", run.nodes))
}

#[tokio::test]
async fn a_run_goes_through_its_nodes_in_order_and_stores_each_one() {
    let w = world().await;
    let p = w.pipelines.create(&w.alice, &review_pipeline()).await.unwrap();
    assert_eq!(p.row.version, 1);
    let run = w
        .pipelines
        .start(&w.alice, &p.row.id, json!({"code": "fn main() {}"}).as_object().unwrap().clone(), None)
        .await
        .unwrap();
    let run = finished(&w, &w.alice, &run).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.outputs.as_ref().unwrap()["review"], json!("Review fn main() {} :: reviewed"));
    // Each node started after the one it takes from had ended.
    for (from, to) in [("in", "ask"), ("ask", "review"), ("review", "out")] {
        let (a, b) = (node(&run, from), node(&run, to));
        assert!(a.finished_at.unwrap() <= b.started_at.unwrap(), "{from} -> {to}: {a:?} {b:?}");
        assert_eq!(b.status, NodeStatus::Succeeded);
    }
    let review = node(&run, "review");
    assert_eq!(review.status, NodeStatus::Succeeded);
    assert_eq!(review.attempts, 1);
    assert_eq!(review.inputs.as_ref().unwrap()["request"], json!("Review fn main() {}"));
    assert_eq!((review.input_tokens, review.output_tokens), (Some(7), Some(3)));
    assert_eq!(review.cost_nano_usd, Some(7_000 + 6_000));
    // The ledger has the same call, as a pipeline's.
    w.ledger.flush().await;
    let rows =
        w.db.ledger_rows(&LedgerFilter { user_id: Some(w.alice.user_id.clone()), ..Default::default() }, 10)
            .await
            .unwrap();
    assert_eq!(rows.iter().map(|r| r.surface.as_str()).collect::<Vec<_>>(), ["pipeline"]);
}

#[tokio::test]
async fn a_failed_model_call_is_retried_and_the_second_attempt_counts() {
    let w = world_failing(vec![1]).await;
    let p = w.pipelines.create(&w.alice, &review_pipeline()).await.unwrap();
    let run =
        w.pipelines.start(&w.alice, &p.row.id, json!({"code": "x"}).as_object().unwrap().clone(), None).await.unwrap();
    let run = finished(&w, &w.alice, &run).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(node(&run, "review").attempts, 2);
}

#[tokio::test]
async fn a_failure_after_the_last_retry_fails_the_run_with_the_node_named() {
    let w = world_failing(vec![1, 2]).await;
    let p = w.pipelines.create(&w.alice, &review_pipeline()).await.unwrap();
    let run =
        w.pipelines.start(&w.alice, &p.row.id, json!({"code": "x"}).as_object().unwrap().clone(), None).await.unwrap();
    let run = finished(&w, &w.alice, &run).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(
        run.error.as_deref(),
        Some("node \"review\" failed: the model is busy or unreachable; try again in a moment")
    );
    assert_eq!(node(&run, "review").attempts, 2);
    assert_eq!(node(&run, "review").status, NodeStatus::Failed);
    assert!(run.nodes.iter().all(|n| n.node != "out"), "{:?}", run.nodes);
}

/// Input(n) → Code (throws when n is 0, else n * 2) with `policy` → Output.
fn code_pipeline(on_error: Value) -> Definition {
    def(json!({
        "format": 1, "name": "Double",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "n", "type": "number"}]},
            {"id": "double", "type": "code", "script": "if n == 0 { throw \"n is zero\" } n * 2",
             "inputs": [{"name": "n", "type": "number"}], "outputs": [{"name": "twice", "type": "number"}],
             "on_error": on_error},
            {"id": "out", "type": "output", "results": [{"name": "twice", "type": "number", "required": false}]},
            {"id": "oops", "type": "output", "results": [{"name": "problem", "type": "text", "required": false}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "n"}, "to": {"node": "double", "port": "n"}},
            {"from": {"node": "double", "port": "twice"}, "to": {"node": "out", "port": "twice"}}
        ]
    }))
}

async fn run_to_end(w: &World, d: &Definition, inputs: Value) -> RunView {
    let p = w.pipelines.create(&w.alice, d).await.unwrap();
    let run = w.pipelines.start(&w.alice, &p.row.id, inputs.as_object().unwrap().clone(), None).await.unwrap();
    finished(w, &w.alice, &run).await
}

#[tokio::test]
async fn each_error_policy_does_what_it_says() {
    let w = world().await;
    let ok = run_to_end(&w, &code_pipeline(json!({"policy": "fail"})), json!({"n": 21})).await;
    assert_eq!(ok.outputs.unwrap()["twice"], json!(42));

    let failed = run_to_end(&w, &code_pipeline(json!({"policy": "fail"})), json!({"n": 0})).await;
    assert_eq!(failed.status, RunStatus::Failed);
    let error = failed.error.unwrap();
    assert!(error.starts_with("node \"double\" failed: the script failed: ") && error.contains("n is zero"), "{error}");

    let defaulted =
        run_to_end(&w, &code_pipeline(json!({"policy": "default", "outputs": {"twice": -1}})), json!({"n": 0})).await;
    assert_eq!(defaulted.status, RunStatus::Succeeded);
    assert_eq!(defaulted.outputs.as_ref().unwrap()["twice"], json!(-1));
    assert_eq!(node(&defaulted, "double").status, NodeStatus::Failed);

    let mut branch = code_pipeline(json!({"policy": "branch"}));
    branch.edges.push(def_edge("double", "error", "oops", "problem"));
    let branched = run_to_end(&w, &branch, json!({"n": 0})).await;
    assert_eq!(branched.status, RunStatus::Succeeded, "{branched:?}");
    let outputs = branched.outputs.clone().unwrap();
    assert!(outputs["problem"].as_str().unwrap().contains("n is zero"), "{outputs:?}");
    assert!(!outputs.contains_key("twice"));
    assert_eq!(node(&branched, "out").status, NodeStatus::Skipped);
}

fn def_edge(from: &str, from_port: &str, to: &str, to_port: &str) -> crate::domain::pipeline::Edge {
    serde_json::from_value(json!({"from": {"node": from, "port": from_port}, "to": {"node": to, "port": to_port}}))
        .unwrap()
}

#[tokio::test]
async fn a_condition_runs_one_side_and_skips_the_other() {
    let w = world().await;
    let d = def(json!({
        "format": 1, "name": "Sign",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "n", "type": "number"}]},
            {"id": "if", "type": "condition", "expression": "n >= 0", "inputs": [{"name": "n", "type": "number"}]},
            {"id": "pos", "type": "template", "template": "{{ n }} is positive", "inputs": [{"name": "n",
             "type": "number"}]},
            {"id": "neg", "type": "template", "template": "{{ n }} is negative", "inputs": [{"name": "n",
             "type": "number"}]},
            {"id": "out", "type": "output", "results": [{"name": "verdict", "type": "text"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "n"}, "to": {"node": "if", "port": "n"}},
            {"from": {"node": "if", "port": "then"}, "to": {"node": "pos", "port": "n"}},
            {"from": {"node": "if", "port": "else"}, "to": {"node": "neg", "port": "n"}},
            {"from": {"node": "pos", "port": "text"}, "to": {"node": "out", "port": "verdict"}},
            {"from": {"node": "neg", "port": "text"}, "to": {"node": "out", "port": "verdict"}}
        ]
    }));
    let run = run_to_end(&w, &d, json!({"n": -3})).await;
    assert_eq!(run.outputs.as_ref().unwrap()["verdict"], json!("-3 is negative"));
    assert_eq!(node(&run, "pos").status, NodeStatus::Skipped);
    assert_eq!(node(&run, "out").status, NodeStatus::Succeeded);
    let run = run_to_end(&w, &d, json!({"n": 4})).await;
    assert_eq!(run.outputs.as_ref().unwrap()["verdict"], json!("4 is positive"));
    assert_eq!(node(&run, "neg").status, NodeStatus::Skipped);
}

/// Nodes whose id starts with `meet` wait until every such node has started (so they finish only
/// if they run at the same time); a node `hang` never finishes; others run for real.
struct Meeting {
    real: nodes::Nodes,
    barrier: Arc<tokio::sync::Barrier>,
}

#[async_trait::async_trait]
impl Execute for Meeting {
    async fn run(
        &self,
        node: &crate::domain::pipeline::Node,
        inputs: &Map<String, Value>,
        attempt: u32,
        report: &Reporter,
    ) -> std::result::Result<Map<String, Value>, String> {
        if node.id.starts_with("meet") {
            self.barrier.wait().await;
        }
        if node.id == "hang" {
            return std::future::pending().await;
        }
        self.real.run(node, inputs, attempt, report).await
    }
}

fn meeting_world(w: &World, parties: usize) -> Pipelines {
    let barrier = Arc::new(tokio::sync::Barrier::new(parties));
    let answers = w.pipelines.inner.answers.clone();
    let http = w.pipelines.inner.http.clone();
    let plain = w.pipelines.clone();
    Pipelines::with_executor(
        w.db.clone(),
        answers.clone(),
        "m",
        Arc::new(move |who: &Principal| {
            Arc::new(Meeting {
                real: nodes::Nodes {
                    answers: answers.clone(),
                    caller: Caller::of(who),
                    http: http.clone(),
                    pipelines: plain.clone(),
                },
                barrier: barrier.clone(),
            }) as Arc<dyn Execute>
        }),
    )
}

/// Input → two templates side by side → Output with both.
fn fork(left: &str, right: &str) -> Definition {
    def(json!({
        "format": 1, "name": "Fork",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "x", "type": "text"}]},
            {"id": left, "type": "template", "template": "L{{ x }}", "inputs": [{"name": "x", "type": "text"}]},
            {"id": right, "type": "template", "template": "R{{ x }}", "inputs": [{"name": "x", "type": "text"}]},
            {"id": "out", "type": "output", "results": [{"name": "l", "type": "text"}, {"name": "r", "type": "text"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "x"}, "to": {"node": left, "port": "x"}},
            {"from": {"node": "in", "port": "x"}, "to": {"node": right, "port": "x"}},
            {"from": {"node": left, "port": "text"}, "to": {"node": "out", "port": "l"}},
            {"from": {"node": right, "port": "text"}, "to": {"node": "out", "port": "r"}}
        ]
    }))
}

#[tokio::test]
async fn independent_branches_run_at_the_same_time() {
    let w = world().await;
    let pipelines = meeting_world(&w, 2);
    let p = pipelines.create(&w.alice, &fork("meet_a", "meet_b")).await.unwrap();
    let run = pipelines.start(&w.alice, &p.row.id, json!({"x": "1"}).as_object().unwrap().clone(), None).await.unwrap();
    let w2 = World { pipelines, ..w };
    let run = finished(&w2, &w2.alice, &run).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.outputs.unwrap(), *json!({"l": "L1", "r": "R1"}).as_object().unwrap());
}

#[tokio::test]
async fn a_cancelled_run_stops_its_running_nodes() {
    let w = world().await;
    let pipelines = meeting_world(&w, 1);
    let p = pipelines.create(&w.alice, &fork("hang", "quick")).await.unwrap();
    let run = pipelines.start(&w.alice, &p.row.id, json!({"x": "1"}).as_object().unwrap().clone(), None).await.unwrap();
    let running = crate::fakes::wait_until("node hang running", Duration::from_secs(10), || async {
        let v = pipelines.run(&w.alice.user_id, &run.id).await.unwrap();
        if v.nodes.iter().any(|n| n.node == "hang" && n.status == NodeStatus::Running) { Ok(v) } else { Err(v.nodes) }
    })
    .await;
    assert_eq!(running.status, RunStatus::Running);
    // Bob cannot see or cancel it.
    assert!(matches!(pipelines.cancel(&w.bob.user_id, &run.id).await, Err(Error::NotFound(_))));
    pipelines.cancel(&w.alice.user_id, &run.id).await.unwrap();
    let w2 = World { pipelines, ..w };
    let run = finished(&w2, &w2.alice, &run).await;
    assert_eq!(run.status, RunStatus::Cancelled);
    assert_eq!(node(&run, "hang").status, NodeStatus::Cancelled);
    assert_eq!(node(&run, "quick").status, NodeStatus::Succeeded);
}

#[tokio::test]
async fn a_node_over_its_timeout_fails() {
    let w = world().await;
    let mut d = review_pipeline();
    d.nodes[1] = def(json!({"format": 1, "name": "x", "nodes": [
        {"id": "ask", "type": "template", "template": "hang", "inputs": [{"name": "code", "type": "text"}]}
    ]}))
    .nodes
    .remove(0);
    d.nodes[2].timeout_ms = Some(50);
    d.nodes[2].retry = Default::default();
    let run = run_to_end(&w, &d, json!({"code": "x"})).await;
    assert_eq!(run.error.as_deref(), Some("node \"review\" failed: it took longer than its timeout (50 ms)"));
}

#[tokio::test]
async fn a_restart_marks_unfinished_runs_interrupted_and_shutdown_interrupts_live_ones() {
    let w = world().await;
    let pipelines = meeting_world(&w, 1);
    let p = pipelines.create(&w.alice, &fork("hang", "quick")).await.unwrap();
    let run = pipelines.start(&w.alice, &p.row.id, json!({"x": "1"}).as_object().unwrap().clone(), None).await.unwrap();
    crate::fakes::wait_until("node hang running", Duration::from_secs(10), || async {
        let v = pipelines.run(&w.alice.user_id, &run.id).await.unwrap();
        if v.nodes.iter().any(|n| n.node == "hang" && n.status == NodeStatus::Running) { Ok(()) } else { Err(v.nodes) }
    })
    .await;
    pipelines.shutdown().await;
    let after = pipelines.run(&w.alice.user_id, &run.id).await.unwrap();
    assert_eq!(after.status, RunStatus::Interrupted);
    assert_eq!(node(&after, "hang").status, NodeStatus::Cancelled);

    // A crash leaves rows running; the next start marks them interrupted.
    let left = w.db.insert_run(&p.row.id, 1, &w.alice.user_id, "{}").await.unwrap();
    w.db.put_node_run(&NodeState { started_at: Some(1), ..NodeState::new("in", NodeStatus::Running) }.to_row(&left.id))
        .await
        .unwrap();
    assert_eq!(w.pipelines.recover().await.unwrap(), 1);
    let left = w.pipelines.run(&w.alice.user_id, &left.id).await.unwrap();
    assert_eq!(left.status, RunStatus::Interrupted);
    assert_eq!(left.error.as_deref(), Some(INTERRUPTED));
    assert_eq!(node(&left, "in").status, NodeStatus::Interrupted);
}

#[tokio::test]
async fn one_user_may_have_only_so_many_runs_going() {
    let w = world().await;
    let pipelines = meeting_world(&w, 1);
    let p = pipelines.create(&w.alice, &fork("hang", "quick")).await.unwrap();
    let inputs = json!({"x": "1"}).as_object().unwrap().clone();
    for _ in 0..MAX_RUNS_PER_USER {
        pipelines.start(&w.alice, &p.row.id, inputs.clone(), None).await.unwrap();
    }
    let Err(Error::Conflict(message)) = pipelines.start(&w.alice, &p.row.id, inputs.clone(), None).await else {
        panic!()
    };
    assert_eq!(message, "you have 4 runs going (the limit); wait for one to end, or cancel one");
    // Bob starts 8 at once: 4 go, 4 are refused.
    let p = pipelines.create(&w.bob, &fork("hang", "quick")).await.unwrap();
    let starts = (0..8).map(|_| pipelines.start(&w.bob, &p.row.id, inputs.clone(), None));
    let started = futures::future::join_all(starts).await;
    assert_eq!(started.iter().filter(|r| r.is_ok()).count(), 4);
    assert!(started.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, Error::Conflict(_))));
    pipelines.shutdown().await;
}

#[tokio::test]
async fn code_nodes_cannot_escape_their_sandbox_and_stop_cleanly() {
    let w = world().await;
    // Each fails with what it ran into: a limit of the sandbox, or the node's time limit.
    let limit = ["the script failed", "took longer than"];
    let cases: [(&str, &[&str]); 6] = [
        ("loop { }", &["more than 20000000 operations (the limit)"]),
        ("let s = \"x\"; loop { s = s.pad(1000000, \"y\"); s = \"x\"; }", &["took longer than"]),
        ("let a = []; loop { a.push(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"); }", &limit),
        ("let s = \"x\"; loop { s += s; }", &["the script failed"]),
        ("open(\"/etc/passwd\")", &["the script failed: Function not found: open"]),
        ("fn f(x) { f(x + 1) } f(0)", &["the script failed"]),
    ];
    for (script, expected) in cases {
        let mut d = code_pipeline(json!({"policy": "fail"}));
        let crate::domain::pipeline::NodeKind::Code { script: s, .. } = &mut d.nodes[1].kind else { panic!() };
        *s = script.to_owned();
        d.nodes[1].timeout_ms = Some(300);
        let run = run_to_end(&w, &d, json!({"n": 1})).await;
        let error = run.error.clone().unwrap_or_default();
        assert!(run.status == RunStatus::Failed && expected.iter().any(|e| error.contains(e)), "{script}: {run:?}");
    }
    // Modules are not in the language: a script that imports one is refused when saved.
    let mut d = code_pipeline(json!({"policy": "fail"}));
    let crate::domain::pipeline::NodeKind::Code { script: s, .. } = &mut d.nodes[1].kind else { panic!() };
    *s = "import \"fs\" as fs; 1".to_owned();
    let Err(Error::Invalid(e)) = w.pipelines.create(&w.alice, &d).await else { panic!() };
    assert_eq!(
        e.reason,
        "node \"double\": the script is not valid: 'import' is a reserved keyword (line 1, position 1)"
    );
    // The server still runs pipelines afterwards.
    let run = run_to_end(&w, &code_pipeline(json!({"policy": "fail"})), json!({"n": 2})).await;
    assert_eq!(run.outputs.unwrap()["twice"], json!(4));
}

#[tokio::test]
async fn saving_checks_the_pipeline_and_versions_it() {
    let w = world().await;
    let mut d = review_pipeline();
    let crate::domain::pipeline::NodeKind::Llm { model, .. } = &mut d.nodes[2].kind else { panic!() };
    *model = "nope".into();
    let crate::domain::pipeline::NodeKind::Template { template, .. } = &mut d.nodes[1].kind else { panic!() };
    *template = "{{ code ".into();
    let Err(Error::Invalid(e)) = w.pipelines.create(&w.alice, &d).await else { panic!() };
    assert!(e.reason.contains("node \"review\": the model \"nope\" is not one you can use"), "{e}");
    assert!(e.reason.contains("node \"ask\": the template is not valid: syntax error"), "{e}");

    let p = w.pipelines.create(&w.alice, &review_pipeline()).await.unwrap();
    let mut v2 = review_pipeline();
    v2.name = "Review, v2".into();
    let saved = w.pipelines.save(&w.alice, &p.row.id, &v2).await.unwrap();
    assert_eq!((saved.row.version, saved.row.name.as_str()), (2, "Review, v2"));
    assert_eq!(w.pipelines.get(&w.alice.user_id, &p.row.id, Some(1)).await.unwrap().definition.name, "Review");
    // Another user's id is not found, for every call.
    assert!(matches!(w.pipelines.get(&w.bob.user_id, &p.row.id, None).await, Err(Error::NotFound(_))));
    assert!(matches!(w.pipelines.save(&w.bob, &p.row.id, &v2).await, Err(Error::NotFound(_))));
    assert!(matches!(w.pipelines.start(&w.bob, &p.row.id, Map::new(), None).await, Err(Error::NotFound(_))));
    assert!(matches!(w.pipelines.delete(&w.bob.user_id, &p.row.id).await, Err(Error::NotFound(_))));
    assert!(matches!(w.pipelines.runs(&w.bob.user_id, &p.row.id).await, Err(Error::NotFound(_))));
    // Run inputs are checked against the Input node.
    let Err(Error::Invalid(e)) = w.pipelines.start(&w.alice, &p.row.id, Map::new(), None).await else { panic!() };
    assert_eq!(e.reason, "\"code\" is required; give it a value");
    let Err(Error::Invalid(e)) =
        w.pipelines.start(&w.alice, &p.row.id, json!({"code": 1, "x": 2}).as_object().unwrap().clone(), None).await
    else {
        panic!()
    };
    assert_eq!(e.reason, "the pipeline has no input \"x\"; its inputs are: code");
    w.pipelines.delete(&w.alice.user_id, &p.row.id).await.unwrap();
    assert!(w.pipelines.list(&w.alice.user_id).await.unwrap().is_empty());
}

/// Input(n) → Loop (body: n + 1, done when n ≥ 10, at most `max` rounds) → Output(n).
fn counting_loop(max: u32) -> Definition {
    def(json!({
        "format": 1, "name": "Count",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "n", "type": "number"}]},
            {"id": "count", "type": "loop", "max_iterations": max, "until": "done",
             "inputs": [{"name": "n", "type": "number"}],
             "outputs": [{"name": "n", "type": "number"}],
             "body": {
                "nodes": [
                    {"id": "start", "type": "input", "fields": [{"name": "n", "type": "number"}]},
                    {"id": "add", "type": "code", "script": "#{ n: n + 1, done: n + 1 >= 10 }",
                     "inputs": [{"name": "n", "type": "number"}],
                     "outputs": [{"name": "n", "type": "number"}, {"name": "done", "type": "boolean"}]},
                    {"id": "end", "type": "output", "results": [{"name": "n", "type": "number"},
                     {"name": "done", "type": "boolean"}]}
                ],
                "edges": [
                    {"from": {"node": "start", "port": "n"}, "to": {"node": "add", "port": "n"}},
                    {"from": {"node": "add", "port": "n"}, "to": {"node": "end", "port": "n"}},
                    {"from": {"node": "add", "port": "done"}, "to": {"node": "end", "port": "done"}}
                ]
             }},
            {"id": "out", "type": "output", "results": [{"name": "n", "type": "number"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "n"}, "to": {"node": "count", "port": "n"}},
            {"from": {"node": "count", "port": "n"}, "to": {"node": "out", "port": "n"}}
        ]
    }))
}

#[tokio::test]
async fn a_loop_stops_when_its_condition_holds_or_at_its_maximum() {
    let w = world().await;
    // From 0 the condition never holds within 3 rounds: the maximum stops it.
    let run = run_to_end(&w, &counting_loop(3), json!({"n": 0})).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.outputs.as_ref().unwrap()["n"], json!(3));
    for round in 1..=3 {
        let add = node(&run, &format!("count#{round}/add"));
        assert_eq!(add.inputs.as_ref().unwrap()["n"], json!(round - 1));
    }
    assert!(run.nodes.iter().all(|n| !n.node.starts_with("count#4/")), "{:?}", run.nodes);
    // From 8 it holds after two rounds.
    let run = run_to_end(&w, &counting_loop(5), json!({"n": 8})).await;
    assert_eq!(run.outputs.as_ref().unwrap()["n"], json!(10));
    assert!(
        run.nodes.iter().any(|n| n.node == "count#2/add") && run.nodes.iter().all(|n| !n.node.starts_with("count#3/"))
    );
}

#[tokio::test]
async fn iterate_runs_its_body_for_each_item_and_keeps_their_order() {
    let w = world().await;
    let d = def(json!({
        "format": 1, "name": "Each",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "words", "type": "list"}, {"name": "sep",
             "type": "text"}]},
            {"id": "each", "type": "iterate", "concurrency": 2,
             "inputs": [{"name": "words", "type": "list"}, {"name": "sep", "type": "text"}],
             "outputs": [{"name": "line", "type": "list"}],
             "body": {
                "nodes": [
                    {"id": "start", "type": "input", "fields": [{"name": "item", "type": "text"},
                     {"name": "index", "type": "number"}, {"name": "sep", "type": "text"}]},
                    {"id": "fmt", "type": "template", "template": "{{ index }}{{ sep }}{{ item | upper }}",
                     "inputs": [{"name": "item", "type": "text"}, {"name": "index", "type": "number"},
                      {"name": "sep", "type": "text"}]},
                    {"id": "end", "type": "output", "results": [{"name": "line", "type": "text"}]}
                ],
                "edges": [
                    {"from": {"node": "start", "port": "item"}, "to": {"node": "fmt", "port": "item"}},
                    {"from": {"node": "start", "port": "index"}, "to": {"node": "fmt", "port": "index"}},
                    {"from": {"node": "start", "port": "sep"}, "to": {"node": "fmt", "port": "sep"}},
                    {"from": {"node": "fmt", "port": "text"}, "to": {"node": "end", "port": "line"}}
                ]
             }},
            {"id": "out", "type": "output", "results": [{"name": "lines", "type": "list"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "words"}, "to": {"node": "each", "port": "words"}},
            {"from": {"node": "in", "port": "sep"}, "to": {"node": "each", "port": "sep"}},
            {"from": {"node": "each", "port": "line"}, "to": {"node": "out", "port": "lines"}}
        ]
    }));
    let run = run_to_end(&w, &d, json!({"words": ["owl", "fox", "elk", "yak"], "sep": ": "})).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.outputs.as_ref().unwrap()["lines"], json!(["0: OWL", "1: FOX", "2: ELK", "3: YAK"]));
    assert_eq!(node(&run, "each[2]/fmt").outputs.as_ref().unwrap()["text"], json!("2: ELK"));
}

#[tokio::test]
async fn a_retrieval_node_gives_the_passages_an_llm_node_answers_from() {
    let w = world().await;
    let kb = w.sitechat.create_kb(&w.alice.user_id, "Handbook", None).await.unwrap();
    w.sitechat
        .store_page_for_tests(&kb.id, "https://example.com/refunds", "Refunds", "# Refunds\n\nRefunds take 14 days.")
        .await
        .unwrap();
    let d = def(json!({
        "format": 1, "name": "Ask the handbook",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "question", "type": "text"}]},
            {"id": "find", "type": "retrieve", "knowledge_bases": [kb.id], "query": "{{ question }}", "k": 3,
             "inputs": [{"name": "question", "type": "text"}]},
            {"id": "answer", "type": "llm", "model": "m", "system": "{{ context }}", "prompt": "{{ question }}",
             "inputs": [{"name": "context", "type": "text"}, {"name": "question", "type": "text"}]},
            {"id": "out", "type": "output", "results": [{"name": "answer", "type": "text"}, {"name": "sources",
             "type": "list"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "question"}, "to": {"node": "find", "port": "question"}},
            {"from": {"node": "in", "port": "question"}, "to": {"node": "answer", "port": "question"}},
            {"from": {"node": "find", "port": "context"}, "to": {"node": "answer", "port": "context"}},
            {"from": {"node": "answer", "port": "text"}, "to": {"node": "out", "port": "answer"}},
            {"from": {"node": "find", "port": "sources"}, "to": {"node": "out", "port": "sources"}}
        ]
    }));
    let run = run_to_end(&w, &d, json!({"question": "How long do refunds take?"})).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    let outputs = run.outputs.clone().unwrap();
    assert_eq!(outputs["answer"], json!("How long do refunds take? :: reviewed"));
    assert_eq!(outputs["sources"][0]["title"], json!("Refunds"));
    assert_eq!(outputs["sources"][0]["n"], json!(1));
    let context = node(&run, "find").outputs.as_ref().unwrap()["context"].as_str().unwrap().to_owned();
    assert!(context.contains("[1] Refunds") && context.contains("Refunds take 14 days."), "{context}");

    // Another user cannot name Alice's knowledge base.
    let Err(Error::Invalid(e)) = w.pipelines.create(&w.bob, &d).await else { panic!() };
    assert_eq!(
        e.reason,
        format!("node \"find\": the knowledge base {:?} is not one you can read; pick one from the list", kb.id)
    );
}

#[tokio::test]
async fn every_template_is_valid_and_runs() {
    let w = world().await;
    let kb = w.sitechat.create_kb(&w.alice.user_id, "Handbook", None).await.unwrap();
    w.sitechat.store_page_for_tests(&kb.id, "https://example.com/a", "A", "# A\n\nOwls hunt at night.").await.unwrap();
    let templates = w.pipelines.templates();
    assert_eq!(templates.len(), templates::COUNT, "a template file did not parse");
    let inputs = json!({
        "spec-code-review": {"spec": "add two numbers"},
        "write-tests": {"code": "def add(a, b): return a + b"},
        "explain-document": {"code": "fn main() {}"},
        "kb-answer": {"question": "When do owls hunt?"},
        "summarise-each": {"pages": ["first page", "second page", "third page"]},
    });
    for t in templates {
        let mut d = t.definition.clone();
        if t.id == "kb-answer" {
            let crate::domain::pipeline::NodeKind::Retrieve { knowledge_bases, .. } = &mut d.nodes[1].kind else {
                panic!()
            };
            knowledge_bases.push(kb.id.clone());
        }
        let run = run_to_end(&w, &d, inputs[t.id].clone()).await;
        assert_eq!(run.status, RunStatus::Succeeded, "{}: {run:?}", t.id);
        assert!(!run.outputs.as_ref().unwrap().is_empty(), "{}", t.id);
    }
}

#[tokio::test]
async fn a_new_pipeline_starts_valid_and_passes_its_input_on() {
    let w = world().await;
    let blank = w.pipelines.starting_point(None).unwrap();
    assert_eq!(w.pipelines.problems(&w.alice, &blank).await, []);
    let run = run_to_end(&w, &blank, json!({"text": "hello"})).await;
    assert_eq!(run.outputs.unwrap()["result"], json!("hello"));
    let t = w.pipelines.starting_point(Some("write-tests")).unwrap();
    assert_eq!(t.name, "Write tests for this code");
    assert!(matches!(w.pipelines.starting_point(Some("nope")), Err(crate::Error::NotFound(_))));
}

#[tokio::test]
async fn the_review_loop_template_revises_until_the_review_approves() {
    // The test model answers "<prompt> :: reviewed", so no review approves: three rounds, each
    // revising; a run whose first review says APPROVED keeps the code as written.
    let w = world().await;
    let t = w.pipelines.templates().into_iter().find(|t| t.id == "spec-code-review").unwrap();
    let run = run_to_end(&w, &t.definition, json!({"spec": "add two numbers"})).await;
    assert_eq!(run.outputs.as_ref().unwrap()["approved"], json!(false));
    assert!(run.nodes.iter().any(|n| n.node == "revise#3/fix" && n.status == NodeStatus::Succeeded));
    assert_eq!(node(&run, "revise#1/keep").outputs.as_ref().unwrap().keys().collect::<Vec<_>>(), ["else"]);
    let run = run_to_end(&w, &t.definition, json!({"spec": "APPROVED"})).await;
    assert_eq!(run.outputs.as_ref().unwrap()["approved"], json!(true));
    assert_eq!(node(&run, "revise#1/fix").status, NodeStatus::Skipped);
    assert!(run.nodes.iter().all(|n| !n.node.starts_with("revise#2/")));
    assert_eq!(run.outputs.as_ref().unwrap()["code"], node(&run, "write").outputs.as_ref().unwrap()["text"]);
}

#[tokio::test]
async fn a_rerun_from_a_node_reuses_what_came_before_it() {
    let w = world_failing(vec![1, 2]).await;
    let p = w.pipelines.create(&w.alice, &review_pipeline()).await.unwrap();
    let first =
        w.pipelines.start(&w.alice, &p.row.id, json!({"code": "x"}).as_object().unwrap().clone(), None).await.unwrap();
    let first = finished(&w, &w.alice, &first).await;
    assert_eq!(first.status, RunStatus::Failed);
    // Bob cannot re-run Alice's run; a node the version does not have is refused.
    assert!(matches!(w.pipelines.rerun(&w.bob, &first.id, "review").await, Err(Error::NotFound(_))));
    let Err(Error::Invalid(e)) = w.pipelines.rerun(&w.alice, &first.id, "nope").await else { panic!() };
    assert_eq!(e.reason, "version 1 of this pipeline has no node \"nope\"");
    // From "out": "review" above it failed, so it cannot be reused.
    let Err(Error::Invalid(e)) = w.pipelines.rerun(&w.alice, &first.id, "out").await else { panic!() };
    assert_eq!(e.reason, "node \"review\", above \"out\", did not finish in that run; run the whole pipeline again");

    let again = w.pipelines.rerun(&w.alice, &first.id, "review").await.unwrap();
    assert_ne!(again.id, first.id);
    let again = finished(&w, &w.alice, &again).await;
    assert_eq!(again.status, RunStatus::Succeeded, "{again:?}");
    assert_eq!(again.inputs, first.inputs);
    // "in" and "ask" were not run again: their records are the first run's.
    for id in ["in", "ask"] {
        assert_eq!(node(&again, id), node(&first, id));
    }
    assert_eq!(node(&again, "review").attempts, 1);
    assert_eq!(again.outputs.unwrap()["review"], json!("Review x :: reviewed"));
}

#[test]
fn templates_that_could_grow_without_end_are_refused_before_they_run() {
    for (source, why) in [
        ("{{ x ~ x }}", "uses `~`"),
        ("{{ x * 100000000 }}", "uses `*`"),
        ("{{ x + x }}", "uses `+`"),
        ("{% set y = x %}{{ y }}", "uses `set` or `with`"),
        ("{{ x | indent(100000000) }}", "uses the filter `indent`"),
        ("{{ x | tojson | tojson }}", "writes out with `tojson` a value already written out"),
        ("{% for y in [x | tojson] %}{{ y | tojson }}{% endfor %}", "writes out with `tojson` a value already"),
        ("{{ namespace(a=x) }}", "calls a function"),
        ("{% macro m() %}{% endmacro %}", "uses macros"),
        ("{% include 'x' %}", "uses a tag pipeline templates do not have"),
    ] {
        let e = template::check_template(source).unwrap_err();
        assert!(e.contains(why), "{source}: {e}");
    }
    assert!(template::check_expression("n * 2 > 3").unwrap_err().contains("uses `*`"));
    // What prompts need is there.
    let ok = concat!(
        "{% for f in files if f.name %}{{ loop.index }}. {{ f.name | upper }}: ",
        "{{ f.text | trim if true else f.name }}\n{% endfor %}",
        "{{ items | join(', ') }} {{ range(3) | list | length }} {{ x | tojson }}"
    );
    template::check_template(ok).unwrap_or_else(|e| panic!("{e}"));
    let inputs = json!({"files": [{"name": "a.rs", "text": "fn a()"}], "items": ["x", "y"], "x": "q\""});
    let out = template::render(ok, inputs.as_object().unwrap()).unwrap();
    assert_eq!(out, "1. A.RS: fn a()\nx, y 3 \"q\\\"\"");
    // The output is capped as it is written.
    let big = json!({"x": "y".repeat(1000)});
    let e = template::render("{% for i in range(2000) %}{{ x }}{% endfor %}", big.as_object().unwrap()).unwrap_err();
    assert_eq!(e, "the template wrote more than 1048576 bytes (the limit)");
}

#[tokio::test]
async fn an_item_that_fails_ends_the_items_still_running() {
    // Items run two at a time; item 0 never ends, item 1 fails: the node fails at once, and item
    // 0's running node ends as cancelled instead of staying "running".
    let w = world().await;
    let pipelines = meeting_world(&w, 1);
    let d = def(json!({
        "format": 1, "name": "Each",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "xs", "type": "list"}]},
            {"id": "each", "type": "iterate", "concurrency": 2, "on_error": {"policy": "branch"},
             "inputs": [{"name": "xs", "type": "list"}], "outputs": [{"name": "y", "type": "list"}],
             "body": {
                "nodes": [
                    {"id": "start", "type": "input", "fields": [{"name": "item", "type": "text"}]},
                    {"id": "pick", "type": "switch", "cases": [{"name": "wait", "expression": "item == 'wait'"}],
                     "inputs": [{"name": "item", "type": "text"}]},
                    {"id": "hang", "type": "template", "template": "{{ x }}",
                     "inputs": [{"name": "x", "type": "text"}]},
                    {"id": "boom", "type": "code", "script": "throw \"no\"",
                     "inputs": [{"name": "x", "type": "text"}], "outputs": [{"name": "y", "type": "text"}]},
                    {"id": "end", "type": "output", "results": [{"name": "y", "type": "text"}]}
                ],
                "edges": [
                    {"from": {"node": "start", "port": "item"}, "to": {"node": "pick", "port": "item"}},
                    {"from": {"node": "pick", "port": "wait"}, "to": {"node": "hang", "port": "x"}},
                    {"from": {"node": "pick", "port": "default"}, "to": {"node": "boom", "port": "x"}},
                    {"from": {"node": "hang", "port": "text"}, "to": {"node": "end", "port": "y"}},
                    {"from": {"node": "boom", "port": "y"}, "to": {"node": "end", "port": "y"}}
                ]
             }},
            {"id": "out", "type": "output", "results": [{"name": "problem", "type": "text"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "xs"}, "to": {"node": "each", "port": "xs"}},
            {"from": {"node": "each", "port": "error"}, "to": {"node": "out", "port": "problem"}}
        ]
    }));
    let p = pipelines.create(&w.alice, &d).await.unwrap();
    let run = pipelines.start(&w.alice, &p.row.id, json!({"xs": ["wait", "go"]}).as_object().unwrap().clone(), None);
    let run = run.await.unwrap();
    let w2 = World { pipelines, ..w };
    let run = finished(&w2, &w2.alice, &run).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert!(run.outputs.as_ref().unwrap()["problem"].as_str().unwrap().starts_with("item 1: node \"boom\" failed"));
    assert_eq!(node(&run, "each[0]/hang").status, NodeStatus::Cancelled, "{:#?}", run.nodes);
    assert!(run.nodes.iter().all(|n| n.status != NodeStatus::Running), "{:?}", run.nodes);
}
