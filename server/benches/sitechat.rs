//! Benchmark (not a test): SiteChat ingestion, retrieval latency and start-up, through the real
//! `webplus` binary, each beside a baseline measured in the same run.
//!
//! 1. Ingestion with the local embedder: generated Markdown documents uploaded over the API (the
//!    whole pipeline: type check, extraction, chunking, embedding, storage, indexing) versus the
//!    embedder alone on the same chunk texts in this process; and a crawl of a generated site.
//! 2. 100k chunks: written straight into the database (clustered 384-d vectors, generated text),
//!    then start-up (process start → ready, → first search answered) with the index rebuilt from the
//!    database and loaded from its files, and search latency through the API versus an exact
//!    brute-force scan of the same vectors.
//!
//! Run: `cargo bench -p server --bench sitechat` (writes docs/BENCHMARKS.md).

mod common;

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use webplus::{
    embed::{Embedder, LocalMiniLm, l2_normalize},
    fakes::{FakeSite, Resource},
    storage::{Db, NewChunk, NewDocument},
};

use common::{Stats, admin_api_key, cpu_model, free_port, ms, today, wait_ready, write_section};

const DOCS: usize = 100;
const SITE_PAGES: usize = 60;
const BIG_DOCS: usize = 1_000;
const CHUNKS_PER_DOC: usize = 100;
const QUERIES: usize = 300;
const RESTARTS: usize = 5;
const DIMS: usize = 384;

struct Server {
    child: Child,
    base: String,
}

/// With `WEBPLUS_BENCH_SERVER_LOG=FILE`, the servers' info logs are appended to FILE (where the
/// start-up time goes: index load, model load, first search).
fn start(bin: &str, env: &dyn Fn(&mut Command)) -> anyhow::Result<Server> {
    let mut c = Command::new(bin);
    env(&mut c);
    let port = free_port()?;
    let stdout = match std::env::var_os("WEBPLUS_BENCH_SERVER_LOG") {
        Some(path) => {
            c.env("WEBPLUS_LOG", "info,webplus::index=debug,webplus::sitechat=debug");
            Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(path)?)
        }
        None => Stdio::null(),
    };
    let child = c.env("WEBPLUS_ADDR", format!("127.0.0.1:{port}")).arg("serve").stdout(stdout).spawn()?;
    Ok(Server { child, base: format!("http://127.0.0.1:{port}") })
}

/// SIGTERM, then wait: the server saves its indexes on the way out.
fn stop(mut s: Server) -> anyhow::Result<()> {
    Command::new("kill").args(["-TERM", &s.child.id().to_string()]).status()?;
    s.child.wait()?;
    Ok(())
}

async fn call(
    client: &reqwest::Client,
    key: &str,
    method: reqwest::Method,
    url: String,
    body: Value,
) -> anyhow::Result<Value> {
    let res = client.request(method, &url).bearer_auth(key).json(&body).send().await?;
    let status = res.status();
    let v: Value = res.json().await?;
    anyhow::ensure!(status.is_success(), "{url}: {status} {v}");
    Ok(v)
}

async fn wait_job(client: &reqwest::Client, key: &str, base: &str, job: &str) -> anyhow::Result<Value> {
    loop {
        let v = call(client, key, reqwest::Method::GET, format!("{base}/api/v1/jobs/{job}"), Value::Null).await?;
        match v["status"].as_str() {
            Some("done") => return Ok(v),
            Some("failed" | "cancelled") => anyhow::bail!("job ended: {v}"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Words with a Zipf-like spread: a few common, most rare, as in real text.
fn words(rng: &mut StdRng, n: usize) -> String {
    (0..n).map(|_| format!("w{}", (rng.random::<f64>().powi(3) * 20_000.0) as u32)).collect::<Vec<_>>().join(" ")
}

fn markdown_doc(rng: &mut StdRng, i: usize) -> String {
    let mut s = format!("# Document {i}\n\n");
    for section in 0..4 {
        s.push_str(&format!("## Section {section}\n\n"));
        for _ in 0..3 {
            s.push_str(&words(rng, 40));
            s.push_str(".\n\n");
        }
    }
    s
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bin = env!("CARGO_BIN_EXE_webplus");
    let data = dir.path().to_path_buf();
    let env = move |c: &mut Command| {
        c.env("WEBPLUS_DATA_DIR", &data)
            .env("WEBPLUS_LOG_FORMAT", "json")
            .env("WEBPLUS_LOG", "warn")
            .env("WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS", "127.0.0.1");
    };
    let key = admin_api_key(bin, &env)?;
    let client = reqwest::Client::new();
    let mut rng = StdRng::seed_from_u64(7);
    let post = reqwest::Method::POST;

    // 1. Ingestion.
    let server = start(bin, &env)?;
    let base = server.base.clone();
    wait_ready(&client, &base).await?;
    let kb = call(&client, &key, post.clone(), format!("{base}/api/v1/knowledge-bases"), json!({ "name": "ingest" }))
        .await?;
    let kb_id = kb["id"].as_str().unwrap_or_default().to_owned();
    let docs: Vec<String> = (0..DOCS).map(|i| markdown_doc(&mut rng, i)).collect();
    // Warm the embedder (model load) outside the timing.
    let warm = reqwest::multipart::Form::new()
        .part("f", reqwest::multipart::Part::bytes(b"warm up".to_vec()).file_name("warm.txt"));
    let res = client
        .post(format!("{base}/api/v1/knowledge-bases/{kb_id}/documents"))
        .bearer_auth(&key)
        .multipart(warm)
        .send()
        .await?;
    let v: Value = res.json().await?;
    wait_job(&client, &key, &base, v["job_id"].as_str().unwrap_or_default()).await?;
    let started = Instant::now();
    let mut chunks = 0;
    for batch in docs.chunks(20) {
        let mut form = reqwest::multipart::Form::new();
        for (i, d) in batch.iter().enumerate() {
            form =
                form.part("f", reqwest::multipart::Part::bytes(d.clone().into_bytes()).file_name(format!("doc{i}.md")));
        }
        let res = client
            .post(format!("{base}/api/v1/knowledge-bases/{kb_id}/documents"))
            .bearer_auth(&key)
            .multipart(form)
            .send()
            .await?;
        let v: Value = res.json().await?;
        let job = wait_job(&client, &key, &base, v["job_id"].as_str().unwrap_or_default()).await?;
        chunks += job["chunks"].as_i64().unwrap_or(0);
    }
    let upload_secs = started.elapsed().as_secs_f64();

    // The crawl of a generated site (the crawler's politeness delay applies).
    let site = FakeSite::start().await;
    let links: String = (0..SITE_PAGES).map(|i| format!("<a href=\"/p{i}\">p{i}</a> ")).collect();
    site.set(
        "/",
        Resource::html(format!(
            "<html><head><title>Home</title></head><body><main><p>{links}</p></main></body></html>"
        )),
    );
    for i in 0..SITE_PAGES {
        let body: String = (0..6).map(|_| format!("<p>{}.</p>", words(&mut rng, 40))).collect();
        site.set(
            &format!("/p{i}"),
            Resource::html(format!(
                "<html><head><title>Page {i}</title></head><body><main><h1>Page {i}</h1>{body}</main></body></html>"
            )),
        );
    }
    let crawl_kb =
        call(&client, &key, post.clone(), format!("{base}/api/v1/knowledge-bases"), json!({ "name": "crawl" })).await?;
    let crawl_id = crawl_kb["id"].as_str().unwrap_or_default().to_owned();
    let started = Instant::now();
    let v = call(
        &client,
        &key,
        post.clone(),
        format!("{base}/api/v1/knowledge-bases/{crawl_id}/crawl"),
        json!({ "url": site.url("/").as_str(), "max_pages": 1000 }),
    )
    .await?;
    let crawl_job = wait_job(&client, &key, &base, v["job_id"].as_str().unwrap_or_default()).await?;
    let crawl_secs = started.elapsed().as_secs_f64();
    let big =
        call(&client, &key, post.clone(), format!("{base}/api/v1/knowledge-bases"), json!({ "name": "big" })).await?;
    let big_id = big["id"].as_str().unwrap_or_default().to_owned();
    stop(server)?;

    // Baseline: the embedder alone on chunk-sized texts of the same documents, in this process.
    let embedder = LocalMiniLm::new(LocalMiniLm::default_dir());
    let texts: Vec<String> = (0..chunks.max(1) as usize).map(|_| words(&mut rng, 120)).collect();
    embedder.embed(&texts[..1]).await?;
    let started = Instant::now();
    for batch in texts.chunks(64) {
        embedder.embed(batch).await?;
    }
    let embed_secs = started.elapsed().as_secs_f64();

    // 2. 100k chunks straight into the database: clustered unit vectors, generated text.
    let db = Db::connect(&webplus::settings::sqlite_url_in(dir.path())).await?;
    let centers: Vec<Vec<f32>> = (0..200).map(|_| unit((0..DIMS).map(|_| gauss(&mut rng)).collect())).collect();
    let mut all: Vec<Vec<f32>> = Vec::with_capacity(BIG_DOCS * CHUNKS_PER_DOC);
    let started = Instant::now();
    for d in 0..BIG_DOCS {
        let title = format!("Big document {d}");
        let doc = db
            .insert_document(&NewDocument {
                kb_id: &big_id,
                source: "web",
                url: Some(&format!("https://big.example/{d}")),
                file_name: None,
                kind: "html",
                title: &title,
                content_hash: "bench",
                bytes: 0,
                job_id: None,
            })
            .await?;
        let chunks: Vec<NewChunk> = (0..CHUNKS_PER_DOC)
            .map(|i| {
                let c = &centers[rng.random_range(0..centers.len())];
                let v = unit(c.iter().map(|x| x + 0.08 * gauss(&mut rng)).collect());
                all.push(v.clone());
                NewChunk { ord: i, heading_path: String::new(), text: words(&mut rng, 60), embedding: v }
            })
            .collect();
        db.replace_chunks(&big_id, &doc.id, &chunks).await?;
    }
    let insert_secs = started.elapsed().as_secs_f64();
    db.close().await;
    let queries: Vec<String> = (0..QUERIES).map(|_| words(&mut rng, 6)).collect();

    // Start-up with the index rebuilt from the database (no index files yet), then from its files.
    let rebuilt = startup(bin, &env, &client, &key, &big_id, &queries[0], false).await?;
    let graph_built = rebuilt.built.map(ms).unwrap_or_else(|| "—".into());
    // Restarts vary with what the machine is doing: several, median and worst reported.
    let mut restarts = Vec::with_capacity(RESTARTS);
    for i in 0..RESTARTS {
        restarts.push(startup(bin, &env, &client, &key, &big_id, &queries[0], i == 0).await?);
    }
    let mut lat = restarts[0].latencies.take().unwrap_or_default();
    let api = Stats::of(&mut lat);
    let median_max = |f: &dyn Fn(&Startup) -> Duration| {
        let mut v: Vec<Duration> = restarts.iter().map(f).collect();
        v.sort();
        format!("{} / {}", ms(v[v.len() / 2]), ms(v[v.len() - 1]))
    };
    let (rl, fl, al, ol) = (
        median_max(&|s| s.ready),
        median_max(&|s| s.first),
        median_max(&|s| s.again),
        median_max(&|s| s.first.saturating_sub(s.again)),
    );

    // Baseline: exact scan of the same 100k vectors (query embedding excluded), one thread.
    let mut scan = Vec::with_capacity(QUERIES);
    for q in &queries {
        let v = embedder.embed(std::slice::from_ref(q)).await?.remove(0);
        let t = Instant::now();
        let mut best: Vec<(f32, usize)> = all.iter().enumerate().map(|(i, x)| (dot(x, &v), i)).collect();
        best.select_nth_unstable_by(10, |a, b| b.0.total_cmp(&a.0));
        scan.push(t.elapsed());
    }
    let scan = Stats::of(&mut scan);
    let mut embed_q = Vec::with_capacity(50);
    for q in queries.iter().take(50) {
        let t = Instant::now();
        embedder.embed(std::slice::from_ref(q)).await?;
        embed_q.push(t.elapsed());
    }
    let embed_q = Stats::of(&mut embed_q);

    let report = format!(
        "## SiteChat: ingestion, retrieval, start-up (`cargo bench -p server --bench sitechat`)\n\n\
         Release build, {cores} cores ({cpu}), {date}. The real `webplus` binary, SQLite, the local embedder \
         (all-MiniLM-L6-v2 on the CPU).\n\n\
         **Ingestion** ({DOCS} generated Markdown documents, 4 sections each, uploaded 20 per request; each upload \
         waited for):\n\n\
         | path | documents/s | chunks/s |\n|---|---|---|\n\
         | whole pipeline over the API (type check, extract, chunk, embed, store, index) | {dps:.1} | {cps:.1} |\n\
         | baseline: the embedder alone on {chunks} chunk-sized texts, batches of 64 | — | {eps:.1} |\n\
         | crawl of a {SITE_PAGES}-page generated site (politeness delay per host included) | {pps:.2} pages/s | {ccps:.1} |\n\n\
         **Retrieval with {big} chunks** in one knowledge base (vectors: 200 Gaussian clusters in 384-d, σ 0.08; \
         text: Zipf-distributed words), {QUERIES} six-word queries, one at a time:\n\n\
         | path | p50 | p90 | p99 |\n|---|---|---|---|\n\
         | `POST /api/v1/knowledge-bases/{{id}}/search`, k 5 (HTTP + query embedding + keyword index (Tantivy BM25) + HNSW + fusion) | {a50} | {a90} | {a99} |\n\
         | baseline: exact scan of the same vectors for the top 10 (no HTTP, no embedding, no keywords) | {s50} | {s90} | {s99} |\n\
         | of which: embedding one query with the local model (in this process) | {e50} | {e90} | {e99} |\n\n\
         **Start-up with {big} chunks**: process spawn → `/ready`, → first search answered, the same search \
         sent again at once (its own cost, warm), and the difference (what start-up added to the first search: \
         waiting for the index and the embedding model), and when the graph was complete:\n\n\
         | index | ready | first search | same search again | start-up added | graph ready |\n|---|---|---|---|---|---|\n\
         | loaded from its files (normal restart; median / worst of {RESTARTS}) | {rl} | {fl} | {al} | {ol} | at load |\n\
         | rebuilt from the stored vectors (first start, or files stale) | {rr} | {fr} | {ar} | {or} | {graph_built} |\n\n\
         Writing the {big} chunks with their FTS rows took {insert_secs:.1} s. The server is ready before indexes \
         load: they load in the background and a search waits only for its own knowledge base's index. While a \
         graph is rebuilt, its knowledge base's searches are answered by exact scan of the stored vectors (read \
         first, then fed to the build), so the rebuilt row's searches are exact scans; the time until the graph \
         was complete is the gauge `webplus_vector_indexes_building` read from `/metrics` until it is back at 0.\n",
        cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        cpu = cpu_model(),
        date = today(),
        dps = DOCS as f64 / upload_secs,
        cps = chunks as f64 / upload_secs,
        eps = texts.len() as f64 / embed_secs,
        pps = crawl_job["done"].as_f64().unwrap_or(0.0) / crawl_secs,
        ccps = crawl_job["chunks"].as_f64().unwrap_or(0.0) / crawl_secs,
        big = BIG_DOCS * CHUNKS_PER_DOC,
        a50 = ms(api.p50),
        a90 = ms(api.p90),
        a99 = ms(api.p99),
        s50 = ms(scan.p50),
        s90 = ms(scan.p90),
        s99 = ms(scan.p99),
        e50 = ms(embed_q.p50),
        e90 = ms(embed_q.p90),
        e99 = ms(embed_q.p99),
        rr = ms(rebuilt.ready),
        fr = ms(rebuilt.first),
        ar = ms(rebuilt.again),
        or = ms(rebuilt.first.saturating_sub(rebuilt.again)),
    );
    println!("{report}");
    write_section("docs/BENCHMARKS.md", "sitechat", &report)?;
    Ok(())
}

struct Startup {
    ready: Duration,
    first: Duration,
    again: Duration,
    latencies: Option<Vec<Duration>>,
    /// From spawn until no graph was being built any more, when the index was rebuilt.
    built: Option<Duration>,
}

/// Starts the server, times readiness, the first search and the same search again, optionally
/// measures search latency, and stops it (which saves the index files).
async fn startup(
    bin: &str,
    env: &dyn Fn(&mut Command),
    client: &reqwest::Client,
    key: &str,
    kb: &str,
    first_query: &str,
    measure: bool,
) -> anyhow::Result<Startup> {
    let t0 = Instant::now();
    let t = t0;
    let server = start(bin, env)?;
    let base = server.base.clone();
    loop {
        if client.get(format!("{base}/ready")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let ready = t.elapsed();
    let url = format!("{base}/api/v1/knowledge-bases/{kb}/search");
    call(client, key, reqwest::Method::POST, url.clone(), json!({ "query": first_query, "k": 5 })).await?;
    let first = t.elapsed();
    let t = Instant::now();
    call(client, key, reqwest::Method::POST, url.clone(), json!({ "query": first_query, "k": 5 })).await?;
    let again = t.elapsed();
    let latencies = if measure {
        let mut rng = StdRng::seed_from_u64(11);
        let mut v = Vec::with_capacity(QUERIES);
        for _ in 0..QUERIES {
            let q = words(&mut rng, 6);
            let t = Instant::now();
            call(client, key, reqwest::Method::POST, url.clone(), json!({ "query": q, "k": 5 })).await?;
            v.push(t.elapsed());
        }
        Some(v)
    } else {
        None
    };
    // A rebuild goes on after the first searches (answered by exact scan): wait for its graph, so
    // that stopping saves it for the restarts that follow.
    let mut built = None;
    loop {
        let text = client.get(format!("{base}/metrics")).send().await?.text().await?;
        let building = text
            .lines()
            .find_map(|l| l.strip_prefix("webplus_vector_indexes_building "))
            .and_then(|v| v.trim().parse::<f64>().ok());
        match building {
            Some(n) if n > 0.0 => built = Some(()),
            _ => break,
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let built = built.map(|()| t0.elapsed());
    stop(server)?;
    Ok(Startup { ready, first, again, latencies, built })
}

fn gauss(rng: &mut StdRng) -> f32 {
    // Box–Muller.
    let (u, v): (f32, f32) = (rng.random::<f32>().max(1e-9), rng.random());
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f32::consts::PI * v).cos()
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    l2_normalize(&mut v);
    v
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
