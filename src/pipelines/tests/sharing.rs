//! Sharing: a pipeline shared to view opens read-only; shared to run it also runs, as the runner's;
//! neither lets anyone but the owner change, share or delete it; stopping a share ends it all.

use super::*;

fn forbidden<T: std::fmt::Debug>(r: Result<T>) -> String {
    match r {
        Err(Error::Forbidden(m)) => m,
        other => panic!("expected forbidden, got {other:?}"),
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T>) {
    assert!(matches!(r, Err(Error::NotFound(_))), "expected not found, got {r:?}");
}

fn code(text: &str) -> Map<String, Value> {
    json!({ "code": text }).as_object().unwrap().clone()
}

#[tokio::test]
async fn a_pipeline_shared_to_view_opens_but_does_not_run_or_change() {
    let w = world().await;
    let p = w.pipelines.create(&w.alice, &review_pipeline()).await.unwrap();
    let id = p.row.id.as_str();
    not_found(w.pipelines.get(&w.bob.user_id, id, None).await);

    let shares = w.pipelines.share(&w.alice.user_id, id, " BOB@example.com ", Access::View).await.unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!((shares[0].email.as_str(), shares[0].access), ("bob@example.com", Access::View));

    let seen = w.pipelines.get(&w.bob.user_id, id, None).await.unwrap();
    assert_eq!((seen.access, seen.definition.name.as_str()), (Access::View, "Review"));
    let listed = w.pipelines.list(&w.bob.user_id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].access, Access::View);
    assert_eq!(listed[0].owner_email.as_deref(), Some("alice@example.com"));
    assert_eq!(w.pipelines.list(&w.alice.user_id).await.unwrap()[0].access, Access::Owner);

    let why = forbidden(w.pipelines.start(&w.bob, id, code("x"), None).await);
    assert!(why.contains("view only"), "{why}");
    forbidden(w.pipelines.save(&w.bob, id, &review_pipeline()).await);
    forbidden(w.pipelines.delete(&w.bob.user_id, id).await);
    forbidden(w.pipelines.share(&w.bob.user_id, id, "alice@example.com", Access::Run).await);
    forbidden(w.pipelines.shares(&w.bob.user_id, id).await);
    assert!(w.pipelines.runs(&w.bob.user_id, id).await.unwrap().is_empty());
    // Nothing of it changed.
    assert_eq!(w.pipelines.get(&w.alice.user_id, id, None).await.unwrap().row.version, 1);
}

#[tokio::test]
async fn a_pipeline_shared_to_run_runs_as_the_runner_and_each_sees_only_their_runs() {
    let w = world().await;
    let p = w.pipelines.create(&w.alice, &review_pipeline()).await.unwrap();
    let id = p.row.id.as_str();
    w.pipelines.share(&w.alice.user_id, id, "bob@example.com", Access::Run).await.unwrap();

    let mine = w.pipelines.start(&w.alice, id, code("a"), None).await.unwrap();
    finished(&w, &w.alice, &mine).await;
    let theirs = w.pipelines.start(&w.bob, id, code("b"), None).await.unwrap();
    let theirs = finished(&w, &w.bob, &theirs).await;
    assert_eq!(theirs.status, RunStatus::Succeeded, "{theirs:?}");
    assert_eq!(theirs.outputs.as_ref().unwrap()["review"], json!("Review b :: reviewed"));

    // Each sees the runs they started, and no one else's.
    let ids = |runs: Vec<RunView>| runs.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(w.pipelines.runs(&w.bob.user_id, id).await.unwrap()), [theirs.id.as_str()]);
    assert_eq!(ids(w.pipelines.runs(&w.alice.user_id, id).await.unwrap()), [mine.id.as_str()]);
    not_found(w.pipelines.run(&w.alice.user_id, &theirs.id).await);
    not_found(w.pipelines.run(&w.bob.user_id, &mine.id).await);
    // Bob's model call is on Bob's ledger.
    w.ledger.flush().await;
    let bobs = LedgerFilter { user_id: Some(w.bob.user_id.clone()), ..Default::default() };
    assert_eq!(w.db.ledger_rows(&bobs, 10).await.unwrap().len(), 1);

    // Run access re-runs, but still does not edit.
    let again = w.pipelines.rerun(&w.bob, &theirs.id, "review").await.unwrap();
    finished(&w, &w.bob, &again).await;
    forbidden(w.pipelines.save(&w.bob, id, &review_pipeline()).await);

    // Down to view: no more runs; stopped: nothing at all, not even Bob's own runs.
    w.pipelines.share(&w.alice.user_id, id, "bob@example.com", Access::View).await.unwrap();
    forbidden(w.pipelines.start(&w.bob, id, code("c"), None).await);
    forbidden(w.pipelines.rerun(&w.bob, &theirs.id, "review").await);
    assert_eq!(w.pipelines.run(&w.bob.user_id, &theirs.id).await.unwrap().id, theirs.id);
    w.pipelines.unshare(&w.alice.user_id, id, &w.bob.user_id).await.unwrap();
    not_found(w.pipelines.get(&w.bob.user_id, id, None).await);
    not_found(w.pipelines.run(&w.bob.user_id, &theirs.id).await);
    not_found(w.pipelines.follow(&w.bob.user_id, &theirs.id).await);
    not_found(w.pipelines.runs(&w.bob.user_id, id).await);
    assert!(w.pipelines.list(&w.bob.user_id).await.unwrap().is_empty());
    not_found(w.pipelines.unshare(&w.alice.user_id, id, &w.bob.user_id).await);
}

#[tokio::test]
async fn sharing_says_what_was_wrong() {
    let w = world().await;
    let p = w.pipelines.create(&w.alice, &review_pipeline()).await.unwrap();
    let id = p.row.id.as_str();
    let field = |r: Result<Vec<Share>>| match r {
        Err(Error::Invalid(e)) => e.to_string(),
        other => panic!("expected invalid, got {other:?}"),
    };
    assert!(
        field(w.pipelines.share(&w.alice.user_id, id, "carol@example.com", Access::Run).await)
            .contains("no user has the email")
    );
    assert!(
        field(w.pipelines.share(&w.alice.user_id, id, "alice@example.com", Access::Run).await)
            .contains("you own this pipeline")
    );
    assert!(field(w.pipelines.share(&w.alice.user_id, id, "  ", Access::Run).await).contains("give the email"));
    assert!(Access::parse_share("owner").is_err());
    // Bob may not learn of a pipeline he was never given.
    not_found(w.pipelines.share(&w.bob.user_id, id, "bob@example.com", Access::Run).await);
    // A deleted pipeline takes its shares with it.
    w.pipelines.share(&w.alice.user_id, id, "bob@example.com", Access::Run).await.unwrap();
    w.pipelines.delete(&w.alice.user_id, id).await.unwrap();
    assert!(w.pipelines.list(&w.bob.user_id).await.unwrap().is_empty());
}
