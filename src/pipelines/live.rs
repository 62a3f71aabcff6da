//! A run in progress: its state as it stands (what a follower gets first), the events after it,
//! and the writer that stores node executions in order without the scheduler waiting for it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::events::{NodeState, NodeStatus, RunEvent, RunView};
use crate::{answer::UsageRecord, storage::Db, time::now_ms};

/// Events kept for a follower that reads slowly; one that falls further behind reads the run again.
const EVENT_BUFFER: usize = 4096;

/// The tokens and cost of a node's model calls (all its attempts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeUsage {
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_nano_usd: Option<i64>,
}

fn add(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

pub struct ActiveRun {
    pub user_id: String,
    pub pipeline_id: String,
    pub cancel: CancellationToken,
    state: Mutex<RunView>,
    events: broadcast::Sender<RunEvent>,
    usage: Mutex<HashMap<String, NodeUsage>>,
}

impl ActiveRun {
    pub fn new(user_id: &str, view: RunView) -> Arc<Self> {
        Arc::new(ActiveRun {
            user_id: user_id.to_owned(),
            pipeline_id: view.pipeline_id.clone(),
            cancel: CancellationToken::new(),
            state: Mutex::new(view),
            events: broadcast::channel(EVENT_BUFFER).0,
            usage: Mutex::new(HashMap::new()),
        })
    }

    /// The run as it stands and every event after that, with nothing lost in between.
    pub fn follow(&self) -> (RunView, broadcast::Receiver<RunEvent>) {
        let view = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (view.clone(), self.events.subscribe())
    }

    pub fn view(&self) -> RunView {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Changes the state and sends the event under one lock, so `follow` sees each change once.
    fn update(&self, event: RunEvent, change: impl FnOnce(&mut RunView)) {
        let mut view = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut view);
        let _ = self.events.send(event);
    }

    pub fn finish(&self, event: RunEvent) {
        let RunEvent::Finished { status, outputs, error } = &event else { return };
        let (status, outputs, error) = (*status, outputs.clone(), error.clone());
        self.update(event, |view| {
            view.status = status;
            view.outputs = outputs;
            view.error = error;
            view.finished_at = Some(now_ms());
        });
    }
}

enum Write {
    Node(Box<crate::storage::NodeRunRow>),
    Flush(oneshot::Sender<()>),
}

/// What the engine and the nodes report to: the live state, the followers, and the store.
#[derive(Clone)]
pub struct Reporter {
    run_id: Arc<str>,
    /// Put before every node id reported: `loop#2/`, `each[3]/` inside a group's body.
    prefix: Arc<str>,
    run: Arc<ActiveRun>,
    writer: mpsc::UnboundedSender<Write>,
}

impl Reporter {
    /// A reporter with its writer task (which ends when the last reporter is dropped).
    pub fn start(db: Db, run_id: &str, run: Arc<ActiveRun>) -> Self {
        let (writer, mut rx) = mpsc::unbounded_channel::<Write>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                // Whatever else is queued goes with it; a node's last state is the one stored.
                let mut batch = vec![first];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                let mut rows: Vec<crate::storage::NodeRunRow> = Vec::new();
                let mut flushed = Vec::new();
                for w in batch {
                    match w {
                        Write::Node(row) => match rows.iter_mut().find(|r| r.node_id == row.node_id) {
                            Some(r) => *r = *row,
                            None => rows.push(*row),
                        },
                        Write::Flush(done) => flushed.push(done),
                    }
                }
                for row in &rows {
                    if let Err(e) = db.put_node_run(row).await {
                        let (run, node) = (&row.run_id, &row.node_id);
                        tracing::error!(run, node, error = %e, "could not store a pipeline node's state");
                    }
                }
                for done in flushed {
                    let _ = done.send(());
                }
            }
        });
        Reporter { run_id: run_id.into(), prefix: "".into(), run, writer }
    }

    /// A reporter for a group's body: its nodes are reported as `prefix` + their ids.
    pub fn nested(&self, prefix: &str) -> Reporter {
        Reporter { prefix: format!("{}{prefix}", self.prefix).into(), ..self.clone() }
    }

    /// How many groups and pipelines this reporter's nodes sit inside.
    pub fn depth(&self) -> usize {
        self.prefix.matches('/').count()
    }

    fn key(&self, node: &str) -> String {
        format!("{}{node}", self.prefix)
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// A node started, retried or ended.
    pub fn node(&self, mut state: NodeState) {
        state.node = self.key(&state.node);
        self.store(state);
    }

    fn store(&self, state: NodeState) {
        let _ = self.writer.send(Write::Node(Box::new(state.to_row(&self.run_id))));
        let stored = state.clone();
        self.run.update(RunEvent::Node(state), move |view| {
            match view.nodes.iter_mut().find(|n| n.node == stored.node) {
                Some(n) => *n = stored,
                None => view.nodes.push(stored),
            }
        });
    }

    /// A piece of a running node's text.
    pub fn token(&self, node: &str, text: &str) {
        let node = self.key(node);
        let event = RunEvent::Token { node: node.clone(), text: text.to_owned() };
        self.run.update(event, |view| {
            if let Some(n) = view.nodes.iter_mut().find(|n| n.node == node) {
                n.partial.push_str(text);
            }
        });
    }

    /// Every node of this reporter's graph (and of its groups' bodies) still running ends with
    /// `status`: the run, a round or an item was cancelled or failed.
    pub fn end_running(&self, status: NodeStatus) {
        let running: Vec<NodeState> = self
            .run
            .view()
            .nodes
            .into_iter()
            .filter(|n| n.status == NodeStatus::Running && n.node.starts_with(&*self.prefix))
            .collect();
        for n in running {
            // Already the whole key: stored as it is, not under this reporter's prefix again.
            self.store(NodeState { status, finished_at: Some(now_ms()), partial: String::new(), ..n });
        }
    }

    /// A model call of `node` ended (each attempt's call counts).
    pub fn add_usage(&self, node: &str, record: &UsageRecord) {
        let mut usage = self.run.usage.lock().unwrap_or_else(PoisonError::into_inner);
        let u = usage.entry(self.key(node)).or_default();
        if let Some(t) = &record.usage {
            u.input_tokens = add(u.input_tokens, Some(i64::from(t.prompt_tokens)));
            u.output_tokens = add(u.output_tokens, Some(i64::from(t.completion_tokens)));
        }
        u.cost_nano_usd = add(u.cost_nano_usd, record.cost_nano_usd);
    }

    pub fn take_usage(&self, node: &str) -> NodeUsage {
        self.run.usage.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.key(node)).unwrap_or_default()
    }

    /// Waits until every state reported so far is stored.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.writer.send(Write::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}
