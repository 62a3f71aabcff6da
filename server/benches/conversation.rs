//! Benchmark (not a test): opening a long conversation, through the real `webplus` binary.
//!
//! A conversation of 1,000 messages (500 questions, 500 Markdown replies with a list, a table and
//! a highlighted code block each) is imported over the API, then its page `/c/{id}` is loaded
//! with a browser's session cookie, as a reload does: the server reads the conversation, renders
//! the replies it sends, and returns the whole page with the data the browser hydrates from. The
//! page holds the last `THREAD_PAGE` messages; older ones come on demand (`chat/earlier`). Beside
//! it, in the same run, the whole branch at once (a switch to the first message answers with every
//! message from there on): what opening the conversation cost when every message was sent.
//!
//! Run: `cargo bench -p server --bench conversation` (writes docs/BENCHMARKS.md).

mod common;

use std::{
    process::{Child, Command, Stdio},
    time::Instant,
};

use serde_json::{Value, json};

use common::{Stats, admin_api_key, cpu_model, free_port, ms, today, wait_ready, write_section};

const MESSAGES: usize = 1_000;
const ROUNDS: usize = 40;
const TARGET_MS: f64 = 300.0;

/// A reply as models write them: prose, a list, a table and a code block (about 1,600 characters).
fn reply(i: usize) -> String {
    format!(
        "Here is how step {i} works, and why it matters for the rest of the pipeline.\n\n\
         - Read the input and check its **shape** first.\n- Keep the `state` small.\n- Log what you skip.\n\n\
         | field | type | note |\n|---|---|---|\n| id | u64 | unique |\n| name | String | trimmed |\n\n\
         ```rust\nfn step_{i}(input: &[u8]) -> Result<usize, Error> {{\n    let mut n = 0;\n    \
         for b in input {{\n        if *b == b'\\n' {{\n            n += 1;\n        }}\n    }}\n    \
         if n == 0 {{\n        return Err(Error::Empty);\n    }}\n    Ok(n)\n}}\n```\n\n\
         The function above counts lines; it returns an error for empty input so the caller can \
         report it instead of storing a document with nothing in it. In step {} we build on it.",
        i + 1
    )
}

fn export_file() -> Value {
    let messages: Vec<Value> = (0..MESSAGES)
        .map(|i| {
            let (role, content) = if i % 2 == 0 {
                ("user", format!("Question {}: what does step {} do, and how would you test it?", i / 2, i / 2))
            } else {
                ("assistant", reply(i / 2))
            };
            json!({
                "id": format!("m{i}"),
                "parent": i.checked_sub(1).map(|p| format!("m{p}")),
                "role": role,
                "content": content,
                "created_at": 1_700_000_000_000_i64 + i as i64 * 1_000,
            })
        })
        .collect();
    json!({
        "format": "webplus.conversation", "version": 1, "title": "A long one", "model": "m",
        "created_at": 1_700_000_000_000_i64, "messages": messages,
    })
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn time<F, Fut>(rounds: usize, mut f: F) -> anyhow::Result<(Stats, usize)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let mut times = Vec::with_capacity(rounds);
    let mut bytes = 0;
    f().await?; // warm: the first load of the conversation's pages from disk
    for _ in 0..rounds {
        let t = Instant::now();
        bytes = f().await?;
        times.push(t.elapsed());
    }
    Ok((Stats::of(&mut times), bytes))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bin = env!("CARGO_BIN_EXE_webplus");
    let data = dir.path().to_path_buf();
    let env = move |c: &mut Command| {
        c.env("WEBPLUS_DATA_DIR", &data).env("WEBPLUS_LOG_FORMAT", "json").env("WEBPLUS_LOG", "warn");
    };
    let key = admin_api_key(bin, &env)?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut c = Command::new(bin);
    env(&mut c);
    let _server =
        Server(c.env("WEBPLUS_ADDR", format!("127.0.0.1:{port}")).arg("serve").stdout(Stdio::null()).spawn()?);
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    wait_ready(&client, &base).await?;

    let res = client
        .post(format!("{base}/api/v1/conversations/import"))
        .bearer_auth(&key)
        .json(&export_file())
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "import: {}", res.status());
    let report: Value = res.json().await?;
    let id = report["conversations"][0]["id"].as_str().unwrap_or_default().to_owned();
    let res = client
        .post(format!("{base}/api/auth/login"))
        .header("origin", &base)
        .json(&json!({ "email": "bench@example.com", "password": "bench-password-123" }))
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "login: {}", res.status());

    let page = |url: String| {
        let client = client.clone();
        async move {
            let res = client.get(&url).send().await?;
            anyhow::ensure!(res.status().is_success(), "{url}: {}", res.status());
            Ok(res.bytes().await?.len())
        }
    };
    let (open, open_bytes) = time(ROUNDS, || page(format!("{base}/c/{id}"))).await?;
    // The page names its messages `m-<id>`: the first one shown is where "earlier" starts.
    let html = client.get(format!("{base}/c/{id}")).send().await?.text().await?;
    let shown = html.matches("class=\"message ").count();
    let first_shown = html.split("id=\"m-").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default().to_owned();
    let first = {
        let file = client.get(format!("{base}/api/v1/conversations/{id}/export?format=json")).send().await?;
        let v: Value = file.json().await?;
        v["messages"][0]["id"].as_str().unwrap_or_default().to_owned()
    };
    let post = |endpoint: &'static str, body: Value| {
        let client = client.clone();
        let url = format!("{base}/api/{endpoint}");
        let origin = base.clone();
        async move {
            let res = client.post(&url).header("origin", origin).json(&body).send().await?;
            anyhow::ensure!(res.status().is_success(), "{url}: {}", res.status());
            Ok(res.bytes().await?.len())
        }
    };
    let (earlier, earlier_bytes) =
        time(ROUNDS, || post("chat/earlier", json!({ "conversation_id": id, "before": first_shown }))).await?;
    let (whole, whole_bytes) =
        time(ROUNDS, || post("chat/switch-branch", json!({ "conversation_id": id, "message_id": first }))).await?;

    let row = |what: &str, s: &Stats, bytes: usize| {
        format!("| {what} | {} | {} | {} | {} |\n", ms(s.p50), ms(s.p90), ms(s.p99), bytes)
    };
    let met = open.p99.as_secs_f64() * 1000.0 < TARGET_MS;
    let body = format!(
        "## Opening a long conversation (`cargo bench -p server --bench conversation`)\n\n\
         A conversation of {MESSAGES} messages (every reply about 1,600 characters of Markdown with a list, a \
         table and a 12-line Rust block), loaded {ROUNDS} times after one warm-up load, over loopback with a \
         session cookie. The page holds the last {shown} messages; older ones come a page at a time. Release \
         build, {}, {}.\n\n\
         | request | p50 | p90 | p99 | bytes |\n|---|---|---|---|---|\n{}{}{}\n\
         Target (issue 12): the conversation opens in under {TARGET_MS} ms on the server. Met at p99: {}.\n",
        cpu_model(),
        today(),
        row("`GET /c/{id}` (the page, as a reload loads it)", &open, open_bytes),
        row("`chat/earlier` (the page before it)", &earlier, earlier_bytes),
        row("the whole branch at once (before this change)", &whole, whole_bytes),
        if met { "yes" } else { "no" },
    );
    print!("{body}");
    write_section("docs/BENCHMARKS.md", "conversation", &body)?;
    Ok(())
}
