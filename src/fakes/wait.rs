//! Waiting for a condition in tests: polls until it holds, or fails with what was awaited and the
//! last state seen once the deadline passes. Tests wait for what they need, never for a fixed time.

use std::{fmt::Debug, future::Future, time::Duration};

/// How often the condition is checked.
const POLL: Duration = Duration::from_millis(10);

/// Calls `check` until it returns `Ok(value)`, and returns that value. `check` returns `Err(state)`
/// while waiting; when `limit` has passed, this panics naming `what` and the last state.
pub async fn wait_until<T, S, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    S: Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, S>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(state) if tokio::time::Instant::now() >= deadline => {
                panic!("waited {limit:?} for {what}; last seen: {state:?}")
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn returns_the_value_once_the_condition_holds() {
        let calls = AtomicU32::new(0);
        let n = wait_until("three calls", Duration::from_secs(5), || async {
            let n = calls.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= 3 { Ok(n) } else { Err(n) }
        })
        .await;
        assert_eq!(n, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "waited 30ms for the impossible; last seen: \"never\"")]
    async fn fails_with_what_it_waited_for_and_the_last_state() {
        wait_until("the impossible", Duration::from_millis(30), || async { Err::<(), _>("never") }).await;
    }
}
