//! Pulling models: progress, the model installed only at the end, and failures with their reason.
//! The fake holds each step until the test releases it, so what is seen between steps is certain.

use futures::StreamExt;
use webplus::fakes::{FakeOllama, FakeOllamaConfig, OllamaFailure};
use webplus::providers::ollama::{OllamaAdminError, PullProgress};

use super::{admin_for, names};

#[tokio::test]
async fn progress_grows_per_layer_and_ends_in_success_then_the_model_is_listed() {
    let fake = FakeOllama::start(FakeOllamaConfig::default().gated_pulls()).await;
    let admin = admin_for(&fake);
    assert_eq!(admin.list(false).await.expect("a list").len(), 1);

    let mut pull = admin.pull("qwen3:0.6b").await.expect("a pull");
    let first = pull.next().await.expect("a line").expect("progress");
    assert_eq!(first.status, "pulling manifest");
    assert!(!fake.installed().contains(&"qwen3:0.6b".to_owned()), "not installed while pulling");

    fake.release_pull_steps(100);
    let rest: Vec<PullProgress> = pull.map(|p| p.expect("progress")).collect().await;
    let statuses: Vec<&str> = rest.iter().map(|p| p.status.as_str()).collect();
    assert_eq!(&statuses[statuses.len() - 3..], ["verifying sha256 digest", "writing manifest", "success"]);
    assert!(rest.last().is_some_and(PullProgress::is_success));

    let layers: Vec<&PullProgress> = rest.iter().filter(|p| p.digest.is_some()).collect();
    assert!(layers.len() >= 4, "several steps: {layers:?}");
    for pair in layers.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(a.status.starts_with("pulling ") && b.digest.as_deref().is_some_and(|d| d.starts_with("sha256:")));
        if a.digest == b.digest {
            assert!(b.completed.unwrap_or(0) >= a.completed.unwrap_or(0), "monotone: {a:?} then {b:?}");
            assert_eq!(a.total, b.total);
        }
    }
    for layer in layers.iter().filter(|p| p.completed.is_some()) {
        assert!(layer.completed <= layer.total, "{layer:?}");
    }
    let last_of_each = layers.iter().filter(|p| p.completed.is_some() && p.completed == p.total).count();
    assert_eq!(last_of_each, 2, "both layers finish");

    // Listed at once: the pull forgot the cached list.
    let listed = admin.list(false).await.expect("a list");
    assert_eq!(names(&listed, |m| &m.name), ["qwen3:0.6b", "llama3.2:latest"]);
    assert_eq!(fake.bodies("/api/pull"), [serde_json::json!({"model": "qwen3:0.6b", "stream": true})]);
}

#[tokio::test]
async fn a_pull_failing_halfway_says_why_and_installs_nothing() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let reason = "max retries exceeded: unexpected EOF";
    fake.fail_next([OllamaFailure::PullFailsAfter { lines: 3, reason: reason.into() }]);
    let admin = admin_for(&fake);

    let results: Vec<_> = admin.pull("qwen3:0.6b").await.expect("a pull").collect().await;
    assert_eq!(results.len(), 4, "three reports, then the error: {results:?}");
    assert!(results[..3].iter().all(Result::is_ok));
    let error = results[3].clone().expect_err("the pull failed");
    assert_eq!(error, OllamaAdminError::PullFailed { model: "qwen3:0.6b".into(), reason: reason.into() });
    assert_eq!(error.to_string(), format!("pulling qwen3:0.6b failed: {reason}"));
    assert!(!fake.installed().contains(&"qwen3:0.6b".to_owned()));
    assert_eq!(admin.list(true).await.expect("a list").len(), 1);
}

#[tokio::test]
async fn pulling_a_model_the_library_does_not_have_fails_with_ollamas_reason() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let results: Vec<_> = admin_for(&fake).pull("no-such-model").await.expect("a pull").collect().await;
    assert_eq!(results.len(), 2, "{results:?}");
    match &results[1] {
        Err(OllamaAdminError::PullFailed { model, reason }) => {
            assert_eq!(
                (model.as_str(), reason.as_str()),
                ("no-such-model", "pull model manifest: file does not exist")
            );
        }
        other => panic!("expected PullFailed, got {other:?}"),
    }
}
