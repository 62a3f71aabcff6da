//! Pipelines published as models (`publish_as` in the format): what `GET /v1/models` lists beside
//! the catalog's models, and a chat completion answered by a run of the pipeline. The chat's last
//! user message fills the Input's first text field; the Output's first text result is the reply,
//! streamed token by token when an LLM node writes it directly.

use futures::StreamExt;
use serde_json::{Map, Value};
use tokio::sync::broadcast::error::RecvError;

use super::{Pipelines, RunEvent, RunStatus, RunView};
use crate::{
    Error, Result,
    auth::Principal,
    domain::pipeline::{Definition, NodeKind},
    providers::{ChatEvent, ChatStream, FinishReason, ProviderError, Usage},
};

/// How a published pipeline's model id begins: `pipeline:<publish_as>`.
pub const MODEL_PREFIX: &str = "pipeline:";

/// A pipeline the user published as a model.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedModel {
    /// `pipeline:<publish_as>`.
    pub id: String,
    /// The pipeline's name.
    pub name: String,
}

impl Pipelines {
    /// The user's pipelines published as models, by model id.
    pub async fn published(&self, user_id: &str) -> Result<Vec<PublishedModel>> {
        let rows = self.inner.db.published_pipelines(user_id).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some(PublishedModel { id: format!("{MODEL_PREFIX}{}", r.model_name?), name: r.name }))
            .collect())
    }

    /// Starts a run of the pipeline the user published as `model` with `message`, and gives the
    /// reply as a chat stream. The run is an ordinary one (in the pipeline's history, its model
    /// calls in the ledger); it goes on if the caller leaves. An unknown model is
    /// `UnknownModel`, as for the catalog's.
    pub async fn answer_as_model(&self, who: &Principal, model: &str, message: String) -> Result<ChatStream> {
        let unknown = || Error::UnknownModel(model.to_owned());
        let name = model.strip_prefix(MODEL_PREFIX).ok_or_else(unknown)?;
        let row = self.inner.db.pipeline_by_model(&who.user_id, name).await?.ok_or_else(unknown)?;
        let def = self.definition(&row, row.version).await?;
        // Both are checked when a version with `publish_as` is saved.
        let field = def.message_field().ok_or_else(unknown)?.name.clone();
        let (out_node, result) = def.reply_result().ok_or_else(unknown)?;
        let reply = Reply { result: result.to_owned(), streamed: streamed_node(&def, out_node, result) };
        let mut inputs = Map::new();
        inputs.insert(field, Value::String(message));
        let run = self.start(who, &row.id, inputs, Some(row.version)).await?;
        let (view, events) = self.follow(&who.user_id, &run.id).await?;
        let this = self.clone();
        let user_id = who.user_id.clone();
        Ok(async_stream::stream! {
            // What the streamed node wrote before we followed, then its tokens.
            let mut sent = view.nodes.iter().find(|n| Some(&n.node) == reply.streamed.as_ref())
                .map(|n| n.partial.clone()).unwrap_or_default();
            if !sent.is_empty() {
                yield Ok(ChatEvent::Delta(sent.clone()));
            }
            if let Some(mut events) = events {
                // After a lag the tokens missed are sent with the rest at the end.
                let mut lagged = false;
                loop {
                    match events.recv().await {
                        Ok(RunEvent::Token { node, text }) if !lagged && Some(&node) == reply.streamed.as_ref() => {
                            sent.push_str(&text);
                            yield Ok(ChatEvent::Delta(text));
                        }
                        Ok(RunEvent::Finished { .. }) | Err(RecvError::Closed) => break,
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => lagged = true,
                    }
                }
            }
            // The run as stored: its outputs, and each node's tokens.
            match this.run(&user_id, &run.id).await {
                Ok(ended) => {
                    for event in reply.end(&ended, &sent) {
                        yield event;
                    }
                }
                Err(e) => yield Err(ProviderError::Failed(format!("the pipeline run {} could not be read: {e}", run.id))),
            }
        }
        .boxed())
    }
}

/// Which result is the reply, and the LLM node whose tokens are streamed (the one writing it).
struct Reply {
    result: String,
    streamed: Option<String>,
}

impl Reply {
    /// The end of the stream once the run has ended: the rest of the reply (all of it when nothing
    /// was streamed) and the usage, or the run's error.
    fn end(&self, run: &RunView, sent: &str) -> Vec<Result<ChatEvent, ProviderError>> {
        if run.status != RunStatus::Succeeded {
            let why = run.error.as_deref().unwrap_or("no reason given");
            return vec![Err(ProviderError::Failed(format!(
                "the pipeline run {} ended {}: {why}",
                run.id,
                run.status.as_str()
            )))];
        }
        let text = match run.outputs.as_ref().and_then(|o| o.get(&self.result)) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let Some(rest) = text.strip_prefix(sent) else {
            // The node was retried after it had begun to write: what was sent is not the reply.
            return vec![Err(ProviderError::Failed(format!(
                "the pipeline run {}'s reply changed after it began streaming (its last step was retried); ask again",
                run.id
            )))];
        };
        let total = |f: fn(&super::NodeState) -> Option<i64>| {
            u32::try_from(run.nodes.iter().filter_map(f).sum::<i64>()).unwrap_or(u32::MAX)
        };
        let usage = Usage {
            prompt_tokens: total(|n| n.input_tokens),
            completion_tokens: total(|n| n.output_tokens),
            counted: false,
        };
        let mut events = Vec::with_capacity(2);
        if !rest.is_empty() {
            events.push(Ok(ChatEvent::Delta(rest.to_owned())));
        }
        events.push(Ok(ChatEvent::Finished { reason: FinishReason::Stop, usage }));
        events
    }
}

/// The LLM node whose `text` goes straight to the reply's result, if one does.
fn streamed_node(def: &Definition, out_node: &str, result: &str) -> Option<String> {
    let edge = def.edges.iter().find(|e| e.to.node == out_node && e.to.port == result)?;
    let from = def.nodes.iter().find(|n| n.id == edge.from.node)?;
    (matches!(from.kind, NodeKind::Llm { .. }) && edge.from.port == "text").then(|| from.id.clone())
}
