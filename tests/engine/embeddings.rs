//! The remote embedders against the in-process fakes of OpenAI and Bedrock.

mod bedrock;
mod openai;

use std::time::Duration;

use webplus::embed::RetryPolicy;

/// Retries as in production, but backing off in milliseconds so the tests stay quick.
fn quick_retries() -> RetryPolicy {
    RetryPolicy { base_delay: Duration::from_millis(5), ..RetryPolicy::default() }
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

/// Equal up to float noise (the wire carries shortest round-trip decimals, so this is exact in
/// practice; the tolerance only guards against renormalisation rounding).
fn assert_close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "{what}: differs by {worst}");
}
