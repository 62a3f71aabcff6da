//! The fake Bedrock Runtime on its own, for checking it against AWS's official clients
//! (`examples/fake_bedrock_sdk_check.py`): prints its endpoint URL, region and access key id, then
//! serves until Ctrl-C or the end of its input. Lines on its input queue failures for the next
//! calls: `exception_after N` (a modelStreamErrorException after N deltas) or `throttling`; each
//! is answered with `queued`.
//!
//! `cargo run --example fake_bedrock --features fakes`

use tokio::io::{AsyncBufReadExt, BufReader};
use webplus::fakes::{BedrockFailure, FakeBedrock, FakeBedrockConfig, StreamException};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let fake = FakeBedrock::try_start(FakeBedrockConfig::default()).await?;
    println!("endpoint_url={}", fake.endpoint_url());
    println!("region={}", fake.region());
    println!("access_key_id={}", fake.access_key_id());
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => line?,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(line) = line else { return Ok(()) };
        let failure = match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["exception_after", n] => match n.parse() {
                Ok(deltas) => BedrockFailure::ExceptionAfter { deltas, exception: StreamException::ModelStreamError },
                Err(_) => continue,
            },
            ["throttling"] => BedrockFailure::Throttling,
            _ => {
                println!("unknown command {line:?}");
                continue;
            }
        };
        fake.fail_next([failure]);
        println!("queued");
    }
}
