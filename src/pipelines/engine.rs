//! The scheduler: a node starts as soon as every node it takes values from has ended, so
//! independent branches run at the same time. Each node runs in a task of its own with its
//! timeout and retries; what it did is reported (`Reporter`) without the scheduler waiting on
//! the database. A node whose connected input got no value (a branch not taken) is skipped, and
//! so are the nodes that depend on it alone.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use futures::{StreamExt, TryStreamExt, future::BoxFuture};
use serde_json::{Map, Value};
use tokio::{task::JoinSet, time::Instant};

use super::{
    events::{NodeState, NodeStatus, RunStatus},
    live::Reporter,
    template,
};
use crate::{
    domain::pipeline::{Body, Definition, ERROR_PORT, Edge, Node, NodeKind, OnError, Port},
    time::now_ms,
};

/// How long one attempt of a node may take when it sets no timeout.
pub const DEFAULT_NODE_TIMEOUT: Duration = Duration::from_secs(600);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Items one Iterate node may go through.
pub const MAX_ITEMS: usize = 1000;

/// How deep Pipeline nodes and groups may sit inside one another in a run.
pub const MAX_DEPTH: usize = 8;

/// Runs one node kind (the real one is `super::nodes::Nodes`). Input, Output, Loop, Iterate and
/// Pipeline nodes are the engine's own and never reach `run`; a Pipeline node gets the definition
/// it runs from `pipeline`.
#[async_trait::async_trait]
pub trait Execute: Send + Sync + 'static {
    /// One attempt of `node` with its inputs; the outputs by port, or what went wrong (for the user).
    async fn run(
        &self,
        node: &Node,
        inputs: &Map<String, Value>,
        attempt: u32,
        report: &Reporter,
    ) -> Result<Map<String, Value>, String>;

    /// The latest version of a pipeline the runner may run, for a Pipeline node (`run_id` names
    /// the run in the log).
    async fn pipeline(&self, id: &str, run_id: &str) -> Result<Definition, String> {
        let _ = run_id;
        Err(format!("this run cannot start other pipelines ({id:?})"))
    }
}

/// What one node's task gives back: its index, and its outputs or error.
type Ended = (usize, Result<Map<String, Value>, String>);

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Finish {
    pub status: RunStatus,
    pub outputs: Option<Map<String, Value>>,
    pub error: Option<String>,
}

impl Finish {
    fn failed(error: String) -> Self {
        Finish { status: RunStatus::Failed, outputs: None, error: Some(error) }
    }
}

/// Why the scheduler stops early.
pub enum Stop {
    Cancelled,
    TimeLimit(Duration),
}

/// The graph, indexed for scheduling.
struct Graph<'a> {
    nodes: &'a [Node],
    /// Edges into each node with the index of the node they come from, in the definition's order.
    incoming: Vec<Vec<(usize, &'a Edge)>>,
    /// The distinct nodes each node feeds.
    downstream: Vec<Vec<usize>>,
    /// The distinct nodes each node takes from.
    upstream_count: Vec<usize>,
}

impl<'a> Graph<'a> {
    fn new(nodes: &'a [Node], edges: &'a [Edge]) -> Self {
        let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let n = nodes.len();
        let mut incoming = vec![Vec::new(); n];
        let mut pairs = HashSet::new();
        let mut downstream = vec![Vec::new(); n];
        let mut upstream_count = vec![0; n];
        for e in edges {
            let (Some(&a), Some(&b)) = (index.get(e.from.node.as_str()), index.get(e.to.node.as_str())) else {
                continue;
            };
            incoming[b].push((a, e));
            if pairs.insert((a, b)) {
                downstream[a].push(b);
                upstream_count[b] += 1;
            }
        }
        Graph { nodes, incoming, downstream, upstream_count }
    }
}

/// Runs a validated graph (a pipeline's, or a group's body for one round or item) to its end,
/// or until `stop`. `inputs` are what its Input node gives.
///
/// `reuse` holds ended nodes of an earlier run (a re-run from a node): each is reported as it
/// was and passes its recorded outputs on instead of running.
pub async fn execute(
    nodes: &[Node],
    edges: &[Edge],
    inputs: Arc<Map<String, Value>>,
    exec: Arc<dyn Execute>,
    report: Reporter,
    reuse: &HashMap<String, NodeState>,
    stop: impl std::future::Future<Output = Stop>,
) -> Finish {
    let graph = Graph::new(nodes, edges);
    let n = graph.nodes.len();
    let mut waiting = graph.upstream_count.clone();
    let mut produced: Vec<Option<Map<String, Value>>> = vec![None; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).rev().collect();
    let mut ended = 0;
    let mut tasks: JoinSet<Ended> = JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        while let Some(i) = ready.pop() {
            if let Some(earlier) = reuse.get(&graph.nodes[i].id) {
                report.node(earlier.clone());
                produced[i] = Some(earlier.outputs.clone().unwrap_or_default());
                ended += 1;
                release(&graph, i, &mut waiting, &mut ready);
                continue;
            }
            match gather(&graph, i, &produced) {
                Some(values) => {
                    let node = graph.nodes[i].clone();
                    let (exec, report, given) = (exec.clone(), report.clone(), inputs.clone());
                    tasks.spawn(async move { (i, attempt_all(&node, values, &given, &exec, &report).await) });
                }
                None => {
                    report.node(NodeState {
                        finished_at: Some(now_ms()),
                        ..NodeState::new(&graph.nodes[i].id, NodeStatus::Skipped)
                    });
                    produced[i] = Some(Map::new());
                    ended += 1;
                    release(&graph, i, &mut waiting, &mut ready);
                }
            }
        }
        if ended == n {
            break;
        }
        let joined = tokio::select! {
            biased;
            why = &mut stop => {
                tasks.abort_all();
                let (status, error) = match why {
                    Stop::Cancelled => (RunStatus::Cancelled, "the run was cancelled".to_owned()),
                    Stop::TimeLimit(limit) => (
                        RunStatus::Failed,
                        format!(
                            "the run took longer than {} s (the limit for one run); make it do less, or split it",
                            limit.as_secs()
                        ),
                    ),
                };
                report.end_running(NodeStatus::Cancelled);
                return Finish { status, outputs: None, error: Some(error) };
            }
            joined = tasks.join_next() => joined,
        };
        let (i, result) = match joined {
            Some(Ok(done)) => done,
            Some(Err(e)) => {
                tracing::error!(run = report.run_id(), error = %e, "a pipeline node's task panicked");
                tasks.abort_all();
                report.end_running(NodeStatus::Cancelled);
                return Finish::failed("internal error in a node; the run was stopped".into());
            }
            None => {
                // Nothing runs and nothing is ready, yet nodes are left: only a cycle does that,
                // and validation refuses cycles.
                return Finish::failed("the pipeline's nodes wait on each other; check it for cycles".into());
            }
        };
        match result {
            Ok(outputs) => produced[i] = Some(outputs),
            Err(error) => {
                tasks.abort_all();
                report.end_running(NodeStatus::Cancelled);
                return Finish::failed(format!("node {:?} failed: {error}", graph.nodes[i].id));
            }
        }
        ended += 1;
        release(&graph, i, &mut waiting, &mut ready);
    }
    let mut outputs = Map::new();
    for (node, values) in graph.nodes.iter().zip(&produced) {
        if let (NodeKind::Output { .. }, Some(values)) = (&node.kind, values) {
            outputs.extend(values.clone());
        }
    }
    Finish { status: RunStatus::Succeeded, outputs: Some(outputs), error: None }
}

/// A node ended: the nodes it feeds have one node less to wait for.
fn release(graph: &Graph<'_>, i: usize, waiting: &mut [usize], ready: &mut Vec<usize>) {
    for &j in &graph.downstream[i] {
        waiting[j] -= 1;
        if waiting[j] == 0 {
            ready.push(j);
        }
    }
}

/// A ready node's inputs, or `None` when a connected input got no value (skip it). An input fed
/// by several edges takes the first value that arrived by the definition's edge order.
fn gather(graph: &Graph<'_>, i: usize, produced: &[Option<Map<String, Value>>]) -> Option<Map<String, Value>> {
    let node = &graph.nodes[i];
    let mut inputs = Map::new();
    for port in node.inputs() {
        let mut edges = graph.incoming[i].iter().filter(|(_, e)| e.to.port == port.name).peekable();
        if edges.peek().is_none() {
            inputs.insert(port.name.clone(), Value::Null);
            continue;
        }
        let value = edges.find_map(|(from, e)| produced[*from].as_ref()?.get(&e.from.port).cloned())?;
        inputs.insert(port.name.clone(), port.ty.convert(value));
    }
    Some(inputs)
}

/// Every attempt a node is allowed, then its error policy.
async fn attempt_all(
    node: &Node,
    inputs: Map<String, Value>,
    given: &Map<String, Value>,
    exec: &Arc<dyn Execute>,
    report: &Reporter,
) -> Result<Map<String, Value>, String> {
    let started_at = now_ms();
    let timeout = node.timeout_ms.map_or(DEFAULT_NODE_TIMEOUT, Duration::from_millis);
    let mut state = NodeState {
        started_at: Some(started_at),
        inputs: Some(inputs.clone()),
        ..NodeState::new(&node.id, NodeStatus::Running)
    };
    let mut attempt = 0;
    let error = loop {
        attempt += 1;
        state.attempts = attempt;
        report.node(state.clone());
        let result = match tokio::time::timeout(timeout, run_once(node, &inputs, given, attempt, exec, report)).await {
            Ok(result) => result,
            Err(_) => Err(format!("it took longer than its timeout ({} ms)", timeout.as_millis())),
        };
        if result.is_err() && node.body().is_some() {
            // A group's attempt that failed or timed out drops the rounds or items still running;
            // their nodes end with it (a loop's are `id#n/…`, an iterate's `id[i]/…`).
            for open in ["#", "["] {
                report.nested(&format!("{}{open}", node.id)).end_running(NodeStatus::Cancelled);
            }
        }
        match result {
            Ok(outputs) => {
                let usage = report.take_usage(&node.id);
                report.node(NodeState {
                    status: NodeStatus::Succeeded,
                    outputs: Some(outputs.clone()),
                    finished_at: Some(now_ms()),
                    input_tokens: usage.input_tokens,
                    output_tokens: usage.output_tokens,
                    cost_nano_usd: usage.cost_nano_usd,
                    ..state
                });
                return Ok(outputs);
            }
            Err(e) if attempt <= node.retry.max => {
                let wait = Duration::from_millis(node.retry.backoff_ms)
                    .saturating_mul(1 << (attempt - 1).min(16))
                    .min(MAX_BACKOFF);
                tracing::debug!(
                    run = report.run_id(),
                    node = node.id,
                    attempt,
                    error = e,
                    "a pipeline node failed; retrying"
                );
                tokio::time::sleep_until(Instant::now() + wait).await;
            }
            Err(e) => break e,
        }
    };
    let usage = report.take_usage(&node.id);
    let outputs = match &node.on_error {
        OnError::Fail => None,
        OnError::Default { outputs } => Some(outputs.clone()),
        OnError::Branch => Some(Map::from_iter([(ERROR_PORT.to_owned(), Value::String(error.clone()))])),
    };
    report.node(NodeState {
        status: NodeStatus::Failed,
        outputs: outputs.clone(),
        error: Some(error.clone()),
        finished_at: Some(now_ms()),
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cost_nano_usd: usage.cost_nano_usd,
        ..state
    });
    outputs.ok_or(error)
}

/// One attempt of any node: the engine's own kinds here, the others through `exec`. Boxed: a
/// group runs its body through `execute`, which comes back here.
fn run_once<'a>(
    node: &'a Node,
    inputs: &'a Map<String, Value>,
    given: &'a Map<String, Value>,
    attempt: u32,
    exec: &'a Arc<dyn Execute>,
    report: &'a Reporter,
) -> BoxFuture<'a, Result<Map<String, Value>, String>> {
    Box::pin(async move {
        match &node.kind {
            NodeKind::Input { fields } => Ok(fields
                .iter()
                .map(|f| (f.name.clone(), given.get(&f.name).cloned().unwrap_or(Value::Null)))
                .collect()),
            NodeKind::Output { .. } => Ok(inputs.clone()),
            NodeKind::Loop { outputs, body, until, max_iterations, .. } => {
                run_loop(node, inputs, outputs, body, until, *max_iterations, exec, report).await
            }
            NodeKind::Iterate { inputs: ports, outputs, body, concurrency } => {
                run_iterate(node, inputs, ports, outputs, body, *concurrency, exec, report).await
            }
            NodeKind::Pipeline { pipeline, outputs, .. } => {
                run_pipeline(node, inputs, pipeline, outputs, exec, report).await
            }
            _ => exec.run(node, inputs, attempt, report).await,
        }
    })
}

/// A body's run to its end: its results, or why it failed.
async fn run_body(
    body: &Body,
    given: Map<String, Value>,
    exec: &Arc<dyn Execute>,
    report: Reporter,
) -> Result<Map<String, Value>, String> {
    let none = HashMap::new();
    let finish =
        execute(&body.nodes, &body.edges, Arc::new(given), exec.clone(), report, &none, std::future::pending()).await;
    match finish.status {
        RunStatus::Succeeded => Ok(finish.outputs.unwrap_or_default()),
        _ => Err(finish.error.unwrap_or_else(|| "it did not finish".to_owned())),
    }
}

/// Another pipeline's latest version as part of this run (its nodes reported as `node/…`): the
/// inputs to its fields of the same names (the others take their defaults), its results of the
/// outputs' names back.
async fn run_pipeline(
    node: &Node,
    inputs: &Map<String, Value>,
    id: &str,
    outputs: &[Port],
    exec: &Arc<dyn Execute>,
    report: &Reporter,
) -> Result<Map<String, Value>, String> {
    if report.depth() >= MAX_DEPTH {
        return Err(format!(
            "more than {MAX_DEPTH} pipelines and groups inside one another; does a pipeline run itself?"
        ));
    }
    let def = exec.pipeline(id, report.run_id()).await?;
    let mut given = inputs.clone();
    for field in def.interface().fields {
        if given.get(&field.name).is_none_or(Value::is_null)
            && let Some(default) = field.default
        {
            given.insert(field.name, default);
        }
    }
    let name = def.name.clone();
    let body = Body { nodes: def.nodes, edges: def.edges };
    let results = run_body(&body, given, exec, report.nested(&format!("{}/", node.id)))
        .await
        .map_err(|e| format!("pipeline {name:?}: {e}"))?;
    Ok(pick(outputs, &results))
}

/// The named results of a group's last round (or item).
fn pick(outputs: &[Port], results: &Map<String, Value>) -> Map<String, Value> {
    outputs
        .iter()
        .filter(|p| p.name != ERROR_PORT)
        .map(|p| (p.name.clone(), results.get(&p.name).cloned().map_or(Value::Null, |v| p.ty.convert(v))))
        .collect()
}

/// Rounds of the body (each node reported as `loop#round/node`) until `until` holds over a
/// round's results or `max` rounds are done; each round gets the inputs, with those the body has
/// a result of the same name for replaced by it.
#[allow(clippy::too_many_arguments)]
async fn run_loop(
    node: &Node,
    inputs: &Map<String, Value>,
    outputs: &[Port],
    body: &Body,
    until: &str,
    max: u32,
    exec: &Arc<dyn Execute>,
    report: &Reporter,
) -> Result<Map<String, Value>, String> {
    let mut state = inputs.clone();
    let mut round = 0;
    loop {
        round += 1;
        let results = run_body(body, state.clone(), exec, report.nested(&format!("{}#{round}/", node.id)))
            .await
            .map_err(|e| format!("round {round}: {e}"))?;
        let done = template::holds(until, &results).map_err(|e| format!("round {round}: until: {e}"))?;
        if done || round >= max {
            return Ok(pick(outputs, &results));
        }
        for (name, value) in results {
            if let Some(slot) = state.get_mut(&name) {
                *slot = value;
            }
        }
    }
}

/// The body once per item of the first input (each node reported as `iterate[i]/node`), at most
/// `concurrency` at once; each output is the list of that result, in the items' order.
#[allow(clippy::too_many_arguments)]
async fn run_iterate(
    node: &Node,
    inputs: &Map<String, Value>,
    ports: &[Port],
    outputs: &[Port],
    body: &Body,
    concurrency: u32,
    exec: &Arc<dyn Execute>,
    report: &Reporter,
) -> Result<Map<String, Value>, String> {
    let list = ports.first().map(|p| p.name.as_str()).unwrap_or_default();
    let Some(Value::Array(items)) = inputs.get(list) else {
        return Err(format!("the input {list:?} is not a list"));
    };
    if items.len() > MAX_ITEMS {
        return Err(format!("{} items is more than the {MAX_ITEMS} one Iterate may go through", items.len()));
    }
    // Built first (boxed) rather than mapped lazily: a lazy map's closure is not general enough
    // over lifetimes for the task this runs in to be `Send`.
    type Item = (usize, Map<String, Value>);
    let mut rounds: Vec<BoxFuture<'_, Result<Item, String>>> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut given: Map<String, Value> =
            inputs.iter().filter(|(k, _)| k.as_str() != list).map(|(k, v)| (k.clone(), v.clone())).collect();
        given.insert("item".to_owned(), item.clone());
        given.insert("index".to_owned(), Value::from(i));
        let nested = report.nested(&format!("{}[{i}]/", node.id));
        rounds.push(Box::pin(async move {
            run_body(body, given, exec, nested).await.map(|r| (i, r)).map_err(|e| format!("item {i}: {e}"))
        }));
    }
    // Unordered, so the first item to fail ends the node even while an earlier one still runs;
    // the results are put back in the items' order.
    let mut results: Vec<Item> =
        futures::stream::iter(rounds).buffer_unordered(concurrency.max(1) as usize).try_collect().await?;
    results.sort_unstable_by_key(|(i, _)| *i);
    let results: Vec<Map<String, Value>> = results.into_iter().map(|(_, r)| r).collect();
    Ok(outputs
        .iter()
        .filter(|p| p.name != ERROR_PORT)
        .map(|p| {
            (
                p.name.clone(),
                Value::Array(results.iter().map(|r| r.get(&p.name).cloned().unwrap_or(Value::Null)).collect()),
            )
        })
        .collect())
}
