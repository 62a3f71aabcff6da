//! Pipeline nodes: another pipeline's latest version runs inside the run, its nodes reported under
//! the node's id; only a pipeline the runner may run; one that ends up running itself stops at
//! the depth limit with a clear error.

use super::*;

/// Input(text, words = 3) → Template → Output(summary).
fn summariser(template: &str) -> Definition {
    def(json!({
        "format": 1, "name": "Summarise",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "text", "type": "text"},
             {"name": "words", "type": "number", "default": 3}]},
            {"id": "cut", "type": "template", "template": template,
             "inputs": [{"name": "text", "type": "text"}, {"name": "words", "type": "number"}]},
            {"id": "out", "type": "output", "results": [{"name": "summary", "type": "text"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "text"}, "to": {"node": "cut", "port": "text"}},
            {"from": {"node": "in", "port": "words"}, "to": {"node": "cut", "port": "words"}},
            {"from": {"node": "cut", "port": "text"}, "to": {"node": "out", "port": "summary"}}
        ]
    }))
}

/// Input(article) → Pipeline `called` → Output(short).
fn caller_of(called: &str) -> Definition {
    def(json!({
        "format": 1, "name": "Caller",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "article", "type": "text"}]},
            {"id": "sum", "type": "pipeline", "pipeline": called,
             "inputs": [{"name": "text", "type": "text"}], "outputs": [{"name": "summary", "type": "text"}]},
            {"id": "out", "type": "output", "results": [{"name": "short", "type": "text"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "article"}, "to": {"node": "sum", "port": "text"}},
            {"from": {"node": "sum", "port": "summary"}, "to": {"node": "out", "port": "short"}}
        ]
    }))
}

fn article(text: &str) -> Map<String, Value> {
    json!({ "article": text }).as_object().unwrap().clone()
}

#[tokio::test]
async fn a_pipeline_node_runs_the_latest_version_of_another_pipeline_inside_the_run() {
    let w = world().await;
    let called = w.pipelines.create(&w.alice, &summariser("{{ text }} in {{ words }} words")).await.unwrap();
    let caller = w.pipelines.create(&w.alice, &caller_of(&called.row.id)).await.unwrap();
    let run = w.pipelines.start(&w.alice, &caller.row.id, article("owls"), None).await.unwrap();
    let run = finished(&w, &w.alice, &run).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    // The field left out took its default; the called pipeline's nodes are under the node's id.
    assert_eq!(run.outputs.as_ref().unwrap()["short"], json!("owls in 3 words"));
    assert_eq!(node(&run, "sum/cut").status, NodeStatus::Succeeded);
    assert_eq!(node(&run, "sum").outputs.as_ref().unwrap()["summary"], json!("owls in 3 words"));

    // Its latest version, as of the run.
    w.pipelines.save(&w.alice, &called.row.id, &summariser("short: {{ text }}")).await.unwrap();
    let again = w.pipelines.start(&w.alice, &caller.row.id, article("owls"), None).await.unwrap();
    let again = finished(&w, &w.alice, &again).await;
    assert_eq!(again.outputs.as_ref().unwrap()["short"], json!("short: owls"));
}

#[tokio::test]
async fn only_a_pipeline_the_runner_may_run_is_run() {
    let w = world().await;
    let theirs = w.pipelines.create(&w.alice, &summariser("{{ text }}")).await.unwrap();
    // Bob cannot save a pipeline that runs Alice's, until she shares it to run.
    let Err(Error::Invalid(e)) = w.pipelines.create(&w.bob, &caller_of(&theirs.row.id)).await else { panic!() };
    assert!(e.to_string().contains("is not one you can run"), "{e}");
    w.pipelines.share(&w.alice.user_id, &theirs.row.id, "bob@example.com", Access::Run).await.unwrap();
    let mine = w.pipelines.create(&w.bob, &caller_of(&theirs.row.id)).await.unwrap();
    let run = w.pipelines.start(&w.bob, &mine.row.id, article("owls"), None).await.unwrap();
    assert_eq!(finished(&w, &w.bob, &run).await.status, RunStatus::Succeeded);
    // Shared to view only: Bob's runs are refused before they start, naming the node.
    w.pipelines.share(&w.alice.user_id, &theirs.row.id, "bob@example.com", Access::View).await.unwrap();
    let Err(Error::Invalid(e)) = w.pipelines.start(&w.bob, &mine.row.id, article("owls"), None).await else { panic!() };
    assert!(e.to_string().contains("node \"sum\": the pipeline"), "{e}");
}

#[tokio::test]
async fn a_pipeline_that_runs_itself_stops_at_the_depth_limit() {
    let w = world().await;
    // A runs B, and B (its second version) runs A: A → B → A → …
    let b = w.pipelines.create(&w.alice, &summariser("{{ text }}")).await.unwrap();
    let a = w.pipelines.create(&w.alice, &caller_of(&b.row.id)).await.unwrap();
    // B's next version keeps the fields and results A expects (`text` in, `summary` out) and runs A.
    let b_runs_a = def(json!({
        "format": 1, "name": "Summarise",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "text", "type": "text"}]},
            {"id": "back", "type": "pipeline", "pipeline": a.row.id,
             "inputs": [{"name": "article", "type": "text"}], "outputs": [{"name": "short", "type": "text"}]},
            {"id": "out", "type": "output", "results": [{"name": "summary", "type": "text"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "text"}, "to": {"node": "back", "port": "article"}},
            {"from": {"node": "back", "port": "short"}, "to": {"node": "out", "port": "summary"}}
        ]
    }));
    w.pipelines.save(&w.alice, &b.row.id, &b_runs_a).await.unwrap();

    let run = w.pipelines.start(&w.alice, &a.row.id, article("owls"), None).await.unwrap();
    let run = finished(&w, &w.alice, &run).await;
    assert_eq!(run.status, RunStatus::Failed, "{run:?}");
    let error = run.error.clone().unwrap();
    assert!(error.contains("more than 8 pipelines and groups inside one another"), "{error}");
    // The server is fine: another run goes on.
    let fine = w.pipelines.create(&w.alice, &summariser("{{ text }}")).await.unwrap();
    let inputs = json!({"text": "x"}).as_object().unwrap().clone();
    let ok = w.pipelines.start(&w.alice, &fine.row.id, inputs, None).await.unwrap();
    assert_eq!(finished(&w, &w.alice, &ok).await.status, RunStatus::Succeeded);
}
