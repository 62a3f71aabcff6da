//! Managing an Ollama connection's models against the fake Ollama and a real database (SQLite,
//! and PostgreSQL in the second run). Gated pulls make every step observable in order.

use std::time::Duration;

use futures::StreamExt;

use tokio::sync::broadcast;

use super::*;
use crate::connections::{ConnectionPatch, KeyCipher};
use crate::fakes::{FakeOllama, FakeOllamaConfig, OllamaFailure, wait_until};
use crate::providers::Registry;
use crate::settings::Secret;
use crate::storage::{Db, Role as UserRole, TempDb};

fn principal(role: UserRole) -> Principal {
    Principal { user_id: "u1".into(), email: "u1@example.com".into(), role, session_id: None, api_key_id: None }
}

fn admin() -> Principal {
    principal(UserRole::Admin)
}

struct Setup {
    connections: Connections,
    registry: Registry,
    /// The Ollama connection `lab`'s id.
    id: String,
    _temp: TempDb,
}

async fn setup(fake: &FakeOllama) -> Setup {
    let temp = TempDb::new().await;
    let db = Db::connect(temp.url()).await.expect("connect");
    let registry = Registry::default();
    let cipher = KeyCipher::new(&Secret::new("a-connection-key-of-more-than-32-characters"));
    let catalog = crate::catalog::ModelCatalog::start(db.clone(), registry.clone()).await.expect("catalog");
    let connections = Connections::start(db, cipher, catalog, vec![]).await.expect("start");
    let id = connections.create(&admin(), spec(ConnectionKind::Ollama, "lab", &fake.base_url())).await.unwrap().id;
    Setup { connections, registry, id, _temp: temp }
}

fn spec(kind: ConnectionKind, name: &str, base_url: &str) -> ConnectionSpec {
    ConnectionSpec {
        kind,
        name: name.into(),
        base_url: Some(base_url.into()),
        region: None,
        api_key: (kind == ConnectionKind::Anthropic).then(|| Secret::new("sk-ant-x")),
        models: vec![],
    }
}

async fn offered(registry: &Registry) -> Vec<String> {
    registry.models().await.into_iter().map(|m| m.id).collect()
}

fn tags_asked(fake: &FakeOllama) -> usize {
    fake.requests().iter().filter(|r| r.path == "/api/tags").count()
}

/// The next pull event (other events skipped), within a deadline.
async fn next_pull(events: &mut broadcast::Receiver<OllamaEvent>) -> PullJob {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Ok(OllamaEvent::Pull(job))) => return job,
            Ok(Ok(OllamaEvent::Models(_))) => {}
            other => panic!("no pull event: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_list_shows_what_is_loaded_until_when_and_start_and_stop_change_it() {
    let fake = FakeOllama::start(FakeOllamaConfig::default().installed(["llama3.2", "gemma3:1b"])).await;
    let s = setup(&fake).await;
    let ollama = s.connections.ollama(&admin(), &s.id).await.unwrap();
    let models = ollama.models(false).await.unwrap();
    let names: Vec<&str> = models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(names, ["lab/gemma3:1b", "lab/llama3.2:latest"]);
    assert!(models.iter().all(|m| !m.running && m.expires_at.is_none()), "{models:?}");

    let mut events = ollama.subscribe();
    let before = crate::time::now_ms();
    let models = ollama.start("llama3.2", Some("10m")).await.unwrap();
    let llama = models.iter().find(|m| m.name == "llama3.2:latest").unwrap();
    let expires = llama.expires_at.expect("an expiry");
    assert!(llama.running && (before + 600_000..before + 605_000).contains(&expires), "{llama:?}");
    assert!(models.iter().any(|m| m.name == "gemma3:1b" && !m.running));
    let told = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.unwrap().unwrap();
    assert_eq!(told, OllamaEvent::Models(models), "subscribers are told");

    let bad = ollama.start("llama3.2", Some("5 minutes")).await;
    assert!(matches!(bad, Err(Error::Invalid(v)) if v.field == "keep_alive"));
    assert_eq!(fake.bodies("/api/generate").len(), 1, "a bad keep-alive never reached Ollama");

    let models = ollama.stop("llama3.2:latest").await.unwrap();
    assert!(models.iter().all(|m| !m.running), "{models:?}");
    assert!(fake.loaded().is_empty());
    assert!(matches!(ollama.start("mistral", None).await, Err(Error::NotFound("model"))));
    assert_eq!(ollama.show("gemma3:1b").await.unwrap().context_length, Some(131_072));
}

#[tokio::test]
async fn the_tag_cache_lives_across_requests_until_the_connection_changes() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let other = FakeOllama::start(FakeOllamaConfig::default().installed(["phi4"])).await;
    let s = setup(&fake).await;
    s.connections.ollama(&admin(), &s.id).await.unwrap().models(false).await.unwrap();
    let asked = tags_asked(&fake);
    let again = s.connections.ollama(&admin(), &s.id).await.unwrap().models(false).await.unwrap();
    assert_eq!((again.len(), tags_asked(&fake)), (1, asked), "the second request used the cache");

    let moved = ConnectionPatch { base_url: Some(Some(other.base_url())), ..Default::default() };
    s.connections.update(&admin(), &s.id, moved).await.unwrap();
    let ollama = s.connections.ollama(&admin(), &s.id).await.unwrap();
    let listed = ollama.models(false).await.unwrap();
    assert_eq!(listed.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["phi4:latest"]);

    let mut live = ollama.live().await.unwrap();
    assert_eq!(live.next().await, Some(OllamaEvent::Models(listed)), "the models first");
    drop(ollama);
    s.connections.delete(&admin(), &s.id).await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(10), live.next()).await;
    assert_eq!(end, Ok(None), "a removed connection's events end");
}

#[tokio::test]
async fn a_deleted_model_leaves_the_list_and_the_models_users_see() {
    let fake = FakeOllama::start(FakeOllamaConfig::default().installed(["llama3.2", "gemma3:1b"])).await;
    let s = setup(&fake).await;
    assert!(offered(&s.registry).await.contains(&"lab/gemma3:1b".to_owned()));
    let ollama = s.connections.ollama(&admin(), &s.id).await.unwrap();
    let models = ollama.delete("gemma3:1b").await.unwrap();
    assert_eq!(models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["llama3.2:latest"]);
    assert_eq!(offered(&s.registry).await, ["lab/llama3.2:latest"]);
    assert!(matches!(ollama.delete("gemma3:1b").await, Err(Error::NotFound("model"))));

    let mut live = ollama.live().await.unwrap();
    assert!(matches!(live.next().await, Some(OllamaEvent::Models(_))));
    s.connections.shutdown();
    let end = tokio::time::timeout(Duration::from_secs(10), live.next()).await;
    assert_eq!(end, Ok(None), "live events end at shutdown, though the connection is still there");
}

#[tokio::test]
async fn a_pull_is_seen_step_by_step_and_its_model_is_offered_when_done() {
    let fake = FakeOllama::start(FakeOllamaConfig::default().gated_pulls()).await;
    let s = setup(&fake).await;
    assert_eq!(offered(&s.registry).await, ["lab/llama3.2:latest"]);
    let ollama = s.connections.ollama(&admin(), &s.id).await.unwrap();
    let mut events = ollama.subscribe();
    let job = ollama.pull("qwen3:0.6b").await.unwrap();
    assert_eq!(job.status, PullStatus::Running);
    assert_eq!(ollama.pull("qwen3:0.6b").await.unwrap().id, job.id, "one running pull per model");

    let mut seen = vec![next_pull(&mut events).await];
    assert_eq!((seen[0].id.as_str(), seen[0].status_text.as_str()), (job.id.as_str(), "pulling manifest"));
    // Ten more steps of progress, each released and seen before the next.
    for _ in 0..10 {
        fake.release_pull_steps(1);
        let last = seen.last().cloned().unwrap();
        let step = loop {
            let job = next_pull(&mut events).await;
            if (&job.status_text, job.completed) != (&last.status_text, last.completed) {
                break job;
            }
        };
        assert_eq!(step.status, PullStatus::Running, "{step:?}");
        if step.status_text == last.status_text && step.status_text.starts_with("pulling sha") {
            assert!(step.completed >= last.completed, "{last:?} then {step:?}");
        }
        seen.push(step);
    }
    assert!(!fake.installed().contains(&"qwen3:0.6b".to_owned()), "not installed before the end");
    assert_eq!(seen.last().map(|j| j.status_text.as_str()), Some("writing manifest"));
    let layers = seen.iter().filter(|j| j.total.is_some() && j.completed == j.total).count();
    assert_eq!(layers, 2, "both layers were seen complete: {seen:?}");
    assert_eq!(ollama.pull_job(&job.id).unwrap().status, PullStatus::Running);

    fake.release_pull_steps(1);
    let done = next_pull(&mut events).await;
    assert_eq!((done.status, done.error.as_deref()), (PullStatus::Done, None), "{done:?}");
    assert!(offered(&s.registry).await.contains(&"lab/qwen3:0.6b".to_owned()), "offered when done is told");
    let models = loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Ok(OllamaEvent::Models(models))) => break models,
            Ok(Ok(OllamaEvent::Pull(_))) => {}
            other => panic!("no models event: {other:?}"),
        }
    };
    assert!(models.iter().any(|m| m.model == "lab/qwen3:0.6b"), "{models:?}");
    assert_eq!(ollama.pull_job(&job.id).unwrap(), done);
}

#[tokio::test]
async fn a_pull_failing_halfway_ends_failed_with_the_reason() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let reason = "max retries exceeded: unexpected EOF";
    fake.fail_next([OllamaFailure::PullFailsAfter { lines: 3, reason: reason.into() }]);
    let s = setup(&fake).await;
    let ollama = s.connections.ollama(&admin(), &s.id).await.unwrap();
    let job = ollama.pull("qwen3:0.6b").await.unwrap();
    let failed = wait_until("the pull to end", Duration::from_secs(10), || async {
        let now = ollama.pull_job(&job.id).unwrap();
        if now.status == PullStatus::Running { Err(now) } else { Ok(now) }
    })
    .await;
    assert_eq!(failed.status, PullStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some(format!("pulling qwen3:0.6b failed: {reason}").as_str()));
    assert!(failed.finished_at.is_some());
    assert!(!offered(&s.registry).await.contains(&"lab/qwen3:0.6b".to_owned()));
    assert!(matches!(ollama.pull_job("nope"), Err(Error::NotFound("pull"))));
}

#[tokio::test]
async fn only_administrators_manage_models_and_only_on_ollama_connections() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let s = setup(&fake).await;
    let user = principal(UserRole::User);
    assert!(matches!(s.connections.ollama(&user, &s.id).await, Err(Error::Forbidden(_))));
    let claude = s.connections.create(&admin(), spec(ConnectionKind::Anthropic, "claude", &fake.base_url())).await;
    let Err(refused) = s.connections.ollama(&admin(), &claude.unwrap().id).await else { panic!("not refused") };
    let message = refused.to_string();
    assert!(matches!(&refused, Error::Invalid(v) if v.field == "connection"), "{refused:?}");
    assert!(message.contains("Anthropic") && message.contains("only on Ollama"), "{message}");
    assert!(matches!(s.connections.ollama(&admin(), "nope").await, Err(Error::NotFound("connection"))));
}

#[tokio::test]
async fn ollamas_failures_are_told_in_words_an_administrator_can_act_on() {
    let fake = FakeOllama::start(FakeOllamaConfig::default().api_key("sk-proxy-1")).await;
    let s = setup(&fake).await;
    let ollama = s.connections.ollama(&admin(), &s.id).await.unwrap();
    let refused = ollama.models(true).await.expect_err("no key sent");
    assert!(
        matches!(&refused, Error::Unavailable(m) if m.contains("refused the API key") && m.contains("\"lab\"")),
        "{refused:?}"
    );
    let with_key = ConnectionPatch { api_key: Some(Some(Secret::new("sk-proxy-1"))), ..Default::default() };
    s.connections.update(&admin(), &s.id, with_key).await.unwrap();
    let ollama = s.connections.ollama(&admin(), &s.id).await.unwrap();
    assert_eq!(ollama.models(true).await.unwrap().len(), 1, "the changed key is used at once");

    drop(fake);
    let down = ollama.models(true).await.expect_err("unreachable");
    let at = "Ollama at http://127.0.0.1:";
    assert!(matches!(&down, Error::Unavailable(m) if m.starts_with(at) && m.contains("not reachable")), "{down:?}");
}
