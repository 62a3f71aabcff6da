//! Benchmark (not a test): rendering a 20,000-token reply as it streams, token by token.
//!
//! Web+ renders on the server (`webplus::render::LiveBlocks`): each token re-renders only the
//! top-level block still being written, and sends only that block. The comparison, in the same
//! run on the same text: rendering the whole reply again on every token, which is what a chat
//! page does that re-parses the message's Markdown each time it grows. Both use the same renderer
//! (pulldown-cmark, syntect, ammonia), so the difference is the block splitting alone. The
//! whole-reply cost is measured at every 250th token and counted for the tokens between.
//!
//! Results go to docs/BENCHMARKS.md. Run: `cargo bench -p webplus --bench render`.

#[path = "doc_section.rs"]
mod doc_section;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use webplus::render::{LiveBlocks, blocks, to_html};

const TOKENS: usize = 20_000;
/// Characters a token has on average in English prose and code (OpenAI's rule of thumb).
const CHARS_PER_TOKEN: usize = 4;
const WHOLE_EVERY: usize = 250;

/// A long answer of the kinds replies have: headings, prose, lists, tables and code blocks of
/// 40 lines, repeated until it has `TOKENS` tokens.
fn reply() -> String {
    let mut text = String::new();
    let mut section = 0;
    while text.len() < TOKENS * CHARS_PER_TOKEN {
        section += 1;
        let _ = write!(
            text,
            "## Step {section}: configure the worker\n\nThe worker reads its settings at start-up, so a change \
             takes effect after a restart. Keep **one** writer per database, and give each reader its own \
             connection: SQLite allows many readers but *one* writer at a time, and `BEGIN IMMEDIATE` makes \
             the wait explicit. See [the guide](https://example.com/guide/{section}) for details.\n\n\
             - set `workers` to the number of cores\n- keep `queue_depth` under 1,000\n- [x] enable metrics\n\n\
             | setting | default | range |\n|---|---|---|\n| workers | 2 | 1–1024 |\n| queue_depth | 256 | 1–10000 |\n\
             | timeout_ms | 30000 | 100–600000 |\n\n```rust\n"
        );
        for line in 0..40 {
            let _ = writeln!(
                text,
                "    let value_{line} = settings.get(\"key_{line}\").unwrap_or({line}) * 2; // step {section}"
            );
        }
        text.push_str("```\n\n");
    }
    text
}

/// Where each token ends (about `CHARS_PER_TOKEN` characters each).
fn token_ends(text: &str) -> Vec<usize> {
    let mut ends: Vec<usize> =
        text.char_indices().map(|(i, _)| i).skip(CHARS_PER_TOKEN).step_by(CHARS_PER_TOKEN).collect();
    ends.push(text.len());
    ends
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn mean(d: &[Duration]) -> Duration {
    d.iter().sum::<Duration>() / u32::try_from(d.len().max(1)).unwrap_or(u32::MAX)
}

fn main() -> std::io::Result<()> {
    let text = reply();
    let ends = token_ends(&text);
    // Loads the syntax definitions (once per process, on first use) before anything is timed.
    let _ = to_html("```rust\nfn main() {}\n```");
    let n = ends.len();

    // Web+: the changed blocks only.
    let mut live = LiveBlocks::new();
    let mut per_token = Vec::with_capacity(n);
    let (mut sent, mut most_sent) = (0usize, 0usize);
    let mut shown: Vec<String> = Vec::new();
    let started = Instant::now();
    for (i, &end) in ends.iter().enumerate() {
        let t = Instant::now();
        let update = if i + 1 == n { live.finish(&text) } else { live.update(&text[..end]) };
        per_token.push(t.elapsed());
        let bytes: usize = update.html.iter().map(String::len).sum();
        sent += bytes;
        most_sent = most_sent.max(bytes);
        shown.truncate(update.from);
        shown.extend(update.html);
    }
    let live_total = started.elapsed();
    let tenth = n / 10;
    let (first, last) = (mean(&per_token[..tenth]), mean(&per_token[n - tenth..]));
    let mut sorted = per_token.clone();
    sorted.sort();
    let p99 = sorted[n * 99 / 100];
    let max = sorted[n - 1];
    let saved = blocks(&text, None).concat();

    // The whole reply rendered again per token, sampled.
    let mut whole = Vec::new();
    for (i, &end) in ends.iter().enumerate().step_by(WHOLE_EVERY) {
        let t = Instant::now();
        let html = to_html(&text[..end]);
        whole.push((i, t.elapsed(), html.len()));
    }
    let whole_first = mean(&whole.iter().filter(|(i, ..)| *i < tenth).map(|w| w.1).collect::<Vec<_>>());
    let whole_last = mean(&whole.iter().filter(|(i, ..)| *i >= n - tenth).map(|w| w.1).collect::<Vec<_>>());
    let whole_total: Duration = whole.iter().map(|w| w.1 * u32::try_from(WHOLE_EVERY).unwrap_or(1)).sum();
    let whole_sent: usize = whole.iter().map(|w| w.2 * WHOLE_EVERY).sum();

    let report = format!(
        "## Rendering a streamed reply (`cargo bench -p webplus --bench render`)\n\n\
         A reply of {n} tokens ({chars} characters: headings, prose, lists, tables and 40-line Rust code blocks),\n\
         rendered to sanitised HTML (pulldown-cmark, syntect, ammonia) after every token. Web+ re-renders\n\
         and sends only the block being written (`LiveBlocks`); the comparison renders the whole reply\n\
         again per token, as a page that re-parses the message on every token does (measured every\n\
         {WHOLE_EVERY}th token, counted for the tokens between). One thread, release build, {date}.\n\n\
         | approach | per token, first 10% | per token, last 10% | whole reply | HTML sent per token (mean) |\n\
         |---|---|---|---|---|\n\
         | Web+: changed block only | {first} | {last} | {live_total:.2?} | {live_bytes} bytes (largest {most_sent}) |\n\
         | whole reply per token | {whole_first} | {whole_last} | {whole_total:.2?} | {whole_bytes} bytes |\n\n\
         Web+ per token: p99 {p99}, slowest {max}. A code block's lines are highlighted once each (syntect's\n\
         state is kept after the last whole line). The last 10% of tokens cost {ratio:.2}× the first 10% ({grows}).\n\
         The streamed blocks equal the saved render: {same}. The server sends a streaming reply's blocks at\n\
         most 20 times a second (`FRAME`, server/src/http/events.rs), so the largest block above is at most\n\
         {worst} KB/s on the wire.\n",
        chars = text.chars().count(),
        date = std::process::Command::new("date")
            .arg("+%F")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default(),
        first = us(first),
        last = us(last),
        live_bytes = sent / n,
        whole_first = us(whole_first),
        whole_last = us(whole_last),
        whole_bytes = whole_sent / n,
        p99 = us(p99),
        max = us(max),
        ratio = last.as_secs_f64() / first.as_secs_f64().max(1e-9),
        same = if shown.concat() == saved { "yes" } else { "NO" },
        grows = if last.as_secs_f64() < 1.5 * first.as_secs_f64() {
            "work per token does not grow with the reply"
        } else {
            "work per token GROWS with the reply"
        },
        worst = most_sent * 20 / 1000,
    );
    println!("{report}");
    doc_section::write_section(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/BENCHMARKS.md"), "render", &report)
}
