//! LLM nodes with an output_schema: a matching reply gives `json`; a reply that does not match
//! goes back to the model with what was wrong, and matches the second time; one that never does
//! fails the node after three calls, each on the ledger.

use std::sync::Mutex;

use super::*;
use crate::providers::ChatMessage;

/// Model `m`: gives its replies in order (the last again when they run out) and keeps what it
/// was sent.
struct Scripted {
    replies: Vec<&'static str>,
    sent: Mutex<Vec<Vec<ChatMessage>>>,
}

#[async_trait::async_trait]
impl ChatProvider for Scripted {
    fn name(&self) -> &str {
        "test"
    }
    async fn models(&self) -> Vec<ModelInfo> {
        vec![ModelInfo { id: "m".into(), provider: "test".into(), context_window: 8_000 }]
    }
    async fn stream_chat(&self, r: ChatRequest) -> Result<ChatStream, ProviderError> {
        let n = {
            let mut sent = self.sent.lock().unwrap();
            sent.push(r.messages.clone());
            sent.len()
        };
        let reply = self.replies[(n - 1).min(self.replies.len() - 1)];
        let events = [
            ChatEvent::Delta(reply.to_owned()),
            ChatEvent::Finished { reason: FinishReason::Stop, usage: Usage::reported(5, 5) },
        ];
        Ok(futures::stream::iter(events.map(Ok)).boxed())
    }
}

/// Input(name) → LLM with a schema (an object with a string `name` and an integer `age`) →
/// Output(person, raw).
fn person_pipeline() -> Definition {
    def(json!({
        "format": 1, "name": "Person",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "name", "type": "text"}]},
            {"id": "ask", "type": "llm", "model": "m", "prompt": "Describe {{ name }}",
             "inputs": [{"name": "name", "type": "text"}],
             "output_schema": {"type": "object", "required": ["name", "age"],
                               "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}},
            {"id": "out", "type": "output", "results": [{"name": "person", "type": "json"},
             {"name": "raw", "type": "text"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "name"}, "to": {"node": "ask", "port": "name"}},
            {"from": {"node": "ask", "port": "json"}, "to": {"node": "out", "port": "person"}},
            {"from": {"node": "ask", "port": "text"}, "to": {"node": "out", "port": "raw"}}
        ]
    }))
}

async fn run_person(replies: Vec<&'static str>) -> (World, Arc<Scripted>, RunView) {
    let model = Arc::new(Scripted { replies, sent: Mutex::new(Vec::new()) });
    let w = world_with(model.clone()).await;
    let run = run_to_end(&w, &person_pipeline(), json!({"name": "Ada"})).await;
    (w, model, run)
}

#[tokio::test]
async fn a_reply_that_matches_the_schema_is_its_json_output() {
    let (_w, model, run) = run_person(vec!["```json\n{\"name\": \"Ada\", \"age\": 36}\n```"]).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.outputs.as_ref().unwrap()["person"], json!({"name": "Ada", "age": 36}));
    // The model was told the schema along with the prompt.
    let sent = model.sent.lock().unwrap();
    assert_eq!(sent.len(), 1);
    assert!(sent[0][0].content.contains("matches this JSON Schema"), "{:?}", sent[0]);
    assert!(sent[0][0].content.contains("\"age\""), "{:?}", sent[0]);
}

#[tokio::test]
async fn a_mismatch_goes_back_to_the_model_with_what_was_wrong() {
    let (w, model, run) =
        run_person(vec!["{\"name\": \"Ada\", \"age\": \"old\"}", "{\"name\": \"Ada\", \"age\": 36}"]).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.outputs.as_ref().unwrap()["person"]["age"], json!(36));
    let sent = model.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    // The second call has the first reply and the correction after the prompt.
    let second: Vec<&str> = sent[1].iter().map(|m| m.content.as_str()).collect();
    assert_eq!(second[1], "Describe Ada");
    assert_eq!(second[2], "{\"name\": \"Ada\", \"age\": \"old\"}");
    assert!(second[3].contains("at /age: \"old\" is not of type \"integer\""), "{second:?}");
    // One attempt of the node, two calls on its tokens and on the ledger.
    let ask = node(&run, "ask");
    assert_eq!((ask.attempts, ask.input_tokens, ask.output_tokens), (1, Some(10), Some(10)));
    w.ledger.flush().await;
    let alices = LedgerFilter { user_id: Some(w.alice.user_id.clone()), ..Default::default() };
    assert_eq!(w.db.ledger_rows(&alices, 10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_reply_that_never_matches_fails_the_node_after_three_calls() {
    let (_w, model, run) = run_person(vec!["Ada was a mathematician."]).await;
    assert_eq!(run.status, RunStatus::Failed, "{run:?}");
    let error = node(&run, "ask").error.clone().unwrap();
    assert_eq!(error, "the model's reply did not match the output schema after 3 tries: it holds no JSON value");
    assert_eq!(model.sent.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_schema_that_cannot_be_used_is_refused_on_save() {
    let w = world().await;
    let with_schema = |schema: Value| {
        let mut d = person_pipeline();
        if let NodeKind::Llm { output_schema, .. } = &mut d.nodes[1].kind {
            *output_schema = Some(schema);
        }
        d
    };
    let remote = with_schema(json!({"$ref": "https://example.com/person.json"}));
    let Err(Error::Invalid(e)) = w.pipelines.create(&w.alice, &remote).await else { panic!() };
    assert!(e.to_string().contains("node \"ask\": the output schema is not a JSON Schema"), "{e}");
    let Err(Error::Invalid(e)) = w.pipelines.create(&w.alice, &with_schema(json!("an object"))).await else { panic!() };
    assert!(e.to_string().contains("output_schema: a JSON Schema is an object"), "{e}");
}
