//! What each kind of node does with its inputs (one attempt; the engine handles timeouts,
//! retries and error policies).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use serde_json::{Map, Value};

use super::{Access, Pipelines, engine::Execute, http::HttpRequests, live::Reporter, schema, script, template};
use crate::{
    answer::{AnswerRequest, Answers, Caller, Grounding, History, Params, Surface, context_message},
    domain::pipeline::{Definition, LlmParams, Node, NodeKind},
    providers::{ChatEvent, ChatMessage, Role},
};

/// The model window a Knowledge retrieval node's `context` is cut to fit (about 6,000 characters
/// of passages): small enough for the local model, which has the smallest window.
const CONTEXT_TOKENS: usize = 4096;

/// The longest a Code node's script may run when the node sets no timeout.
const SCRIPT_TIME: Duration = Duration::from_secs(10);

/// The node kinds of one run: who runs it (the model calls are theirs).
pub struct Nodes {
    pub answers: Answers,
    pub caller: Caller,
    pub http: Arc<HttpRequests>,
    /// For Pipeline nodes: the pipelines the caller may run.
    pub pipelines: Pipelines,
}

#[async_trait::async_trait]
impl Execute for Nodes {
    async fn run(
        &self,
        node: &Node,
        inputs: &Map<String, Value>,
        _attempt: u32,
        report: &Reporter,
    ) -> Result<Map<String, Value>, String> {
        match &node.kind {
            NodeKind::Input { .. }
            | NodeKind::Output { .. }
            | NodeKind::Loop { .. }
            | NodeKind::Iterate { .. }
            | NodeKind::Pipeline { .. } => {
                Err(format!("internal error: {} nodes are run by the engine", node.kind_name()))
            }
            NodeKind::Template { template, .. } => {
                Ok(Map::from_iter([("text".to_owned(), Value::String(template::render(template, inputs)?))]))
            }
            NodeKind::Condition { expression, .. } => {
                let side = if template::holds(expression, inputs)? { "then" } else { "else" };
                Ok(Map::from_iter([(side.to_owned(), first(node, inputs))]))
            }
            NodeKind::Switch { cases, .. } => {
                let mut taken = "default";
                for case in cases {
                    if template::holds(&case.expression, inputs)? {
                        taken = &case.name;
                        break;
                    }
                }
                Ok(Map::from_iter([(taken.to_owned(), first(node, inputs))]))
            }
            NodeKind::Code { script, outputs, .. } => {
                let deadline = Instant::now() + node.timeout_ms.map_or(SCRIPT_TIME, Duration::from_millis);
                // Set when this attempt is dropped (timeout, cancellation): the script stops.
                let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
                let (script, inputs, outputs, flag) = (script.clone(), inputs.clone(), outputs.clone(), stop.0.clone());
                tokio::task::spawn_blocking(move || script::run(&script, &inputs, &outputs, deadline, flag))
                    .await
                    .map_err(|e| {
                        tracing::error!(run = report.run_id(), node = node.id, error = %e, "a script's thread failed");
                        "the script stopped unexpectedly".to_owned()
                    })?
            }
            NodeKind::Retrieve { knowledge_bases, query, k, .. } => {
                let query = template::render(query, inputs)?;
                let public = |e: crate::Error| {
                    e.log(report.run_id());
                    e.public_message(report.run_id())
                };
                let sources = self
                    .answers
                    .passages(&self.caller, Surface::Pipeline, knowledge_bases, &query, *k as usize)
                    .await
                    .map_err(public)?;
                let listed: Vec<Value> = sources
                    .iter()
                    .map(|s| {
                        let sections: Vec<Value> = s
                            .passages()
                            .into_iter()
                            .map(|p| serde_json::json!({"section": p.heading_path, "text": p.text}))
                            .collect();
                        let (n, title, url, text) = (s.n, &s.title, &s.url, &s.text);
                        serde_json::json!({"n": n, "title": title, "url": url, "sections": sections, "text": text})
                    })
                    .collect();
                Ok(Map::from_iter([
                    ("context".to_owned(), Value::String(context_message(&sources, CONTEXT_TOKENS))),
                    ("sources".to_owned(), Value::Array(listed)),
                ]))
            }
            NodeKind::Http { method, url, body, .. } => {
                let url = template::render(url, inputs)?;
                let body = template::render(body, inputs)?;
                self.http.send(*method, &url, &body, report.run_id()).await
            }
            NodeKind::Llm { .. } => self.llm_node(node, inputs, report).await,
        }
    }

    async fn pipeline(&self, id: &str, run_id: &str) -> Result<Definition, String> {
        self.called(id, run_id).await
    }
}

/// The value a Condition or Switch passes on: its first input's.
fn first(node: &Node, inputs: &Map<String, Value>) -> Value {
    node.inputs().first().and_then(|p| inputs.get(&p.name)).cloned().unwrap_or(Value::Null)
}

struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Nodes {
    /// An LLM node: the system and prompt written from the inputs; with an `output_schema`, the
    /// schema in the system message and the reply checked, sent back with what was wrong at most
    /// `schema::CORRECTIONS` times.
    async fn llm_node(
        &self,
        node: &Node,
        inputs: &Map<String, Value>,
        report: &Reporter,
    ) -> Result<Map<String, Value>, String> {
        let NodeKind::Llm { model, system, prompt, params, output_schema, .. } = &node.kind else {
            return Err("internal error: not an LLM node".into());
        };
        let mut messages = Vec::new();
        let system = template::render(system, inputs)?;
        let asked = output_schema.as_ref().map(schema::instruction);
        let system = [system.trim(), asked.as_deref().unwrap_or_default()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        if !system.is_empty() {
            messages.push(ChatMessage::new(Role::System, system));
        }
        messages.push(ChatMessage::new(Role::User, template::render(prompt, inputs)?));
        let Some(output_schema) = output_schema else {
            let text = self.llm(node, model, params, messages.clone(), report).await?;
            return Ok(Map::from_iter([("text".to_owned(), Value::String(text))]));
        };
        let validator = schema::compile(output_schema)?;
        let mut tries = 0;
        loop {
            let text = self.llm(node, model, params, messages.clone(), report).await?;
            match schema::check(&validator, &text) {
                Ok(json) => {
                    return Ok(Map::from_iter([("text".to_owned(), Value::String(text)), ("json".to_owned(), json)]));
                }
                Err(why) if tries < schema::CORRECTIONS => {
                    tries += 1;
                    report.token(&node.id, "\n\n");
                    messages.push(ChatMessage::new(Role::Assistant, text));
                    messages.push(ChatMessage::new(Role::User, schema::correction(&why)));
                }
                Err(why) => {
                    return Err(format!(
                        "the model's reply did not match the output schema after {} tries: {why}",
                        tries + 1
                    ));
                }
            }
        }
    }

    /// The latest version of a pipeline the caller may run.
    async fn called(&self, id: &str, run_id: &str) -> Result<Definition, String> {
        let Caller::User { user_id, .. } = &self.caller else {
            return Err("only a signed-in user's run can start other pipelines".into());
        };
        let public = |e: crate::Error| match e {
            crate::Error::NotFound(_) => format!("the pipeline {id:?} is not one you can run"),
            crate::Error::Forbidden(m) => format!("pipeline {id:?}: {m}"),
            e => {
                e.log(run_id);
                e.public_message(run_id)
            }
        };
        let row = self.pipelines.allowed(user_id, id, Access::Run).await.map_err(public)?;
        self.pipelines.definition(&row, row.version).await.map_err(public)
    }

    /// The model's reply to `messages` through the one answer path (catalog, fallbacks, ledger:
    /// surface `pipeline`), each piece reported as it comes.
    async fn llm(
        &self,
        node: &Node,
        model: &str,
        params: &LlmParams,
        messages: Vec<ChatMessage>,
        report: &Reporter,
    ) -> Result<String, String> {
        let request = AnswerRequest {
            caller: self.caller.clone(),
            surface: Surface::Pipeline,
            model: model.to_owned(),
            messages,
            params: Params {
                max_tokens: params.max_tokens,
                temperature: params.temperature,
                top_p: params.top_p,
                seed: params.seed,
                ..Params::default()
            },
            grounding: Grounding::None,
            history: History::AsSent,
            style: None,
        };
        let public = |e: crate::Error| {
            e.log(report.run_id());
            e.public_message(report.run_id())
        };
        let mut prepared = self.answers.prepare(request).await.map_err(public)?;
        let receipt = prepared.receipt();
        let result = async {
            let mut stream = prepared.start().await.map_err(|e| crate::chat::user_message(&e))?;
            let mut text = String::new();
            while let Some(event) = stream.next().await {
                match event {
                    Ok(ChatEvent::Delta(piece)) => {
                        report.token(&node.id, &piece);
                        text.push_str(&piece);
                    }
                    Ok(ChatEvent::Finished { .. }) => break,
                    Err(e) => return Err(crate::chat::user_message(&e)),
                }
            }
            Ok(text)
        }
        .await;
        if let Some(record) = receipt.get() {
            report.add_usage(&node.id, record);
        }
        result
    }
}
