//! The code factory's engine: pipelines (owned by a user, every save a version), and their runs.
//! A run starts in a task of its own that outlives the request; the scheduler (`engine`) runs
//! nodes as their inputs become ready, each node's execution is stored as it changes (`live`),
//! and followers get the run as it stands, then its events. LLM nodes answer through the one
//! answer path (`crate::answer`), so the catalog, fallbacks and the ledger apply. At start-up,
//! runs a stopped server left running are marked interrupted.

mod as_model;
mod dialect;
mod engine;
mod events;
mod http;
mod live;
mod nodes;
mod schema;
mod script;
mod sharing;
mod template;
mod templates;

#[cfg(test)]
mod tests;

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use serde_json::{Map, Value};
use tokio::sync::broadcast;
use tokio_util::task::TaskTracker;

pub use as_model::{MODEL_PREFIX, PublishedModel};
pub use engine::{DEFAULT_NODE_TIMEOUT, Execute, Finish};
pub use events::{NodeState, NodeStatus, RunEvent, RunStatus, RunView};
pub use http::MAX_RESPONSE_BYTES;
pub use live::{ActiveRun, NodeUsage, Reporter};
pub use sharing::{Access, Listed, Share};
pub use templates::Template;

use crate::{
    Error, Result,
    answer::{Answers, Caller},
    auth::Principal,
    domain::pipeline::{AllowedHosts, Definition, Interface, Known, NodeKind, Problem, validate},
    storage::{Db, PipelineRow},
};

/// Runs one user may have going at once.
pub const MAX_RUNS_PER_USER: i64 = 4;
/// The longest one run may take.
pub const RUN_TIME_LIMIT: Duration = Duration::from_secs(30 * 60);
/// A run's error when the server stopped during it.
const INTERRUPTED: &str = "the server stopped during this run; start it again";
/// Runs listed per pipeline.
const RUNS_LISTED: i64 = 50;

/// Makes the node kinds a run uses, from who runs it and its inputs (tests give their own).
pub type MakeExecutor = Arc<dyn Fn(&Principal) -> Arc<dyn Execute> + Send + Sync>;

/// A pipeline with the definition of its latest version, and what the caller may do with it.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineView {
    pub row: PipelineRow,
    pub definition: Definition,
    pub access: Access,
}

#[derive(Clone)]
pub struct Pipelines {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    answers: Answers,
    /// What the templates' LLM nodes use.
    default_model: String,
    active: Mutex<HashMap<String, Arc<ActiveRun>>>,
    tasks: TaskTracker,
    /// Set at shutdown: runs stopped then are interrupted, not cancelled.
    stopping: AtomicBool,
    /// Held while a start counts the user's runs and inserts its own.
    starting: tokio::sync::Mutex<()>,
    /// How nodes run (`nodes::Nodes` unless a test gives another).
    executor: Option<MakeExecutor>,
    /// What HTTP request nodes send through.
    http: Arc<http::HttpRequests>,
}

/// The syntax of the templates, expressions and scripts of `nodes` (and their groups' bodies).
fn syntax(nodes: &[crate::domain::pipeline::Node], prefix: &str, problems: &mut Vec<Problem>) {
    for node in nodes {
        let mut check = |r: std::result::Result<(), String>| {
            if let Err(message) = r {
                problems.push(Problem { node: Some(format!("{prefix}{}", node.id)), port: None, message });
            }
        };
        match &node.kind {
            NodeKind::Template { template: t, .. } => check(template::check_template(t)),
            NodeKind::Llm { system, prompt, output_schema, .. } => {
                check(template::check_template(prompt));
                check(template::check_template(system));
                if let Some(s) = output_schema.as_ref().filter(|s| s.is_object() || s.is_boolean()) {
                    check(schema::compile(s).map(drop));
                }
            }
            NodeKind::Condition { expression, .. } => check(template::check_expression(expression)),
            NodeKind::Switch { cases, .. } => {
                cases.iter().for_each(|c| check(template::check_expression(&c.expression)))
            }
            NodeKind::Code { script: s, .. } => check(script::check(s)),
            NodeKind::Loop { until, .. } => check(template::check_expression(until)),
            NodeKind::Retrieve { query, .. } => check(template::check_template(query)),
            NodeKind::Http { url, body, .. } => {
                check(template::check_template(url));
                check(template::check_template(body));
            }
            NodeKind::Input { .. } | NodeKind::Output { .. } | NodeKind::Iterate { .. } | NodeKind::Pipeline { .. } => {
            }
        }
        if let Some(body) = node.body() {
            syntax(&body.nodes, &format!("{prefix}{}/", node.id), problems);
        }
    }
}

/// The knowledge bases that Knowledge retrieval nodes (in groups too) name.
fn knowledge_bases_named<'a>(nodes: &'a [crate::domain::pipeline::Node], out: &mut HashSet<&'a str>) {
    for node in nodes {
        if let NodeKind::Retrieve { knowledge_bases, .. } = &node.kind {
            out.extend(knowledge_bases.iter().map(String::as_str));
        }
        if let Some(body) = node.body() {
            knowledge_bases_named(&body.nodes, out);
        }
    }
}

/// The chat models a user may pick, the knowledge bases they may read and the hosts HTTP
/// request nodes may reach, for validation.
struct Models {
    models: HashSet<String>,
    knowledge_bases: HashSet<String>,
    http_hosts: AllowedHosts,
    /// The pipelines that Pipeline nodes name and the user may run.
    pipelines: HashMap<String, Interface>,
}

impl Known for Models {
    fn model(&self, id: &str) -> bool {
        self.models.contains(id)
    }
    fn knowledge_base(&self, id: &str) -> bool {
        self.knowledge_bases.contains(id)
    }
    fn http_host(&self, host: &str) -> bool {
        self.http_hosts.allows(host)
    }
    fn pipeline(&self, id: &str) -> Option<Interface> {
        self.pipelines.get(id).cloned()
    }
}

/// The pipelines that Pipeline nodes (in groups too) name.
fn pipelines_named<'a>(nodes: &'a [crate::domain::pipeline::Node], out: &mut HashSet<&'a str>) {
    for node in nodes {
        if let NodeKind::Pipeline { pipeline, .. } = &node.kind {
            out.insert(pipeline);
        }
        if let Some(body) = node.body() {
            pipelines_named(&body.nodes, out);
        }
    }
}

impl Pipelines {
    pub fn new(db: Db, answers: Answers, default_model: &str) -> Self {
        Self::build(db, answers, default_model, None)
    }

    /// Nodes run by `executor` instead of the real kinds (engine tests).
    #[cfg(any(test, feature = "fakes"))]
    pub fn with_executor(db: Db, answers: Answers, default_model: &str, executor: MakeExecutor) -> Self {
        Self::build(db, answers, default_model, Some(executor))
    }

    fn build(db: Db, answers: Answers, default_model: &str, executor: Option<MakeExecutor>) -> Self {
        // The crawler's SSRF policy: the same private hosts allowed (usually none).
        let http = Arc::new(http::HttpRequests::new(db.clone(), answers.sitechat().config().crawl_policy.clone()));
        Pipelines {
            inner: Arc::new(Inner {
                http,
                db,
                answers,
                default_model: default_model.to_owned(),
                active: Mutex::new(HashMap::new()),
                tasks: TaskTracker::new(),
                stopping: AtomicBool::new(false),
                starting: tokio::sync::Mutex::new(()),
                executor,
            }),
        }
    }

    /// The node kinds as a run by `who` runs them.
    pub fn executor_for(&self, who: &Principal) -> Arc<dyn Execute> {
        Arc::new(nodes::Nodes {
            answers: self.inner.answers.clone(),
            caller: Caller::of(who),
            http: self.inner.http.clone(),
            pipelines: self.clone(),
        })
    }

    /// What the templates' LLM nodes use (the server's default model).
    pub fn default_model(&self) -> &str {
        &self.inner.default_model
    }

    /// The pipelines Web+ ships as starting points, on the server's default model.
    pub fn templates(&self) -> Vec<Template> {
        templates::templates(&self.inner.default_model)
    }

    /// A new pipeline's definition: the template `id`, else the blank one (an Input passed to
    /// an Output).
    pub fn starting_point(&self, id: Option<&str>) -> Result<Definition> {
        match id {
            None => Ok(templates::blank()),
            Some(id) => self
                .templates()
                .into_iter()
                .find(|t| t.id == id)
                .map(|t| t.definition)
                .ok_or(Error::NotFound("pipeline template")),
        }
    }

    /// At start-up: runs left running by a stopped server are interrupted. Returns how many.
    pub async fn recover(&self) -> Result<u64> {
        self.inner.db.mark_runs_interrupted().await
    }

    /// Every problem of `def` for this user: the shared checks (`domain::pipeline::validate`),
    /// then the syntax of its templates, expressions and scripts.
    pub async fn problems(&self, who: &Principal, def: &Definition) -> Vec<Problem> {
        let models = self.inner.answers.catalog().offered(who.is_admin()).await;
        // Only the knowledge bases the definition names are looked up (none for most pipelines).
        let mut named = HashSet::new();
        knowledge_bases_named(&def.nodes, &mut named);
        let mut knowledge_bases = HashSet::new();
        for id in named {
            match self.inner.answers.sitechat().readable_kb(&who.user_id, id).await {
                Ok(_) => {
                    knowledge_bases.insert(id.to_owned());
                }
                Err(Error::NotFound(_)) => {}
                Err(e) => tracing::error!(error = %e, "could not look up a knowledge base to check a pipeline"),
            }
        }
        let http_hosts = self.inner.http.allowed_hosts().await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not read the pipeline HTTP hosts to check a pipeline");
            AllowedHosts::default()
        });
        let mut named = HashSet::new();
        pipelines_named(&def.nodes, &mut named);
        let mut pipelines = HashMap::new();
        for id in named {
            match self.runnable(&who.user_id, id).await {
                Ok(Some(iface)) => {
                    pipelines.insert(id.to_owned(), iface);
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "could not look up a pipeline to check a pipeline"),
            }
        }
        let known =
            Models { models: models.into_iter().map(|m| m.id).collect(), knowledge_bases, http_hosts, pipelines };
        let mut problems = validate(def, &known);
        syntax(&def.nodes, "", &mut problems);
        problems
    }

    async fn checked(&self, who: &Principal, def: &Definition) -> Result<String> {
        let problems = self.problems(who, def).await;
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().take(20).map(ToString::to_string).collect();
            let more = problems.len().saturating_sub(20);
            let tail = if more > 0 { format!("; and {more} more") } else { String::new() };
            return Err(Error::invalid("definition", format!("{}{tail}", list.join("; "))));
        }
        serde_json::to_string(def).map_err(Error::internal)
    }

    pub async fn create(&self, who: &Principal, def: &Definition) -> Result<PipelineView> {
        let json = self.checked(who, def).await?;
        self.model_name_free(&who.user_id, None, def).await?;
        let model = def.publish_as.as_deref();
        let row = self.inner.db.insert_pipeline(&who.user_id, def.name.trim(), &def.description, model, &json).await?;
        Ok(PipelineView { row, definition: def.clone(), access: Access::Owner })
    }

    /// `publish_as` is not the model name of another of the user's pipelines.
    async fn model_name_free(&self, user_id: &str, id: Option<&str>, def: &Definition) -> Result<()> {
        let Some(model) = def.publish_as.as_deref() else { return Ok(()) };
        match self.inner.db.pipeline_by_model(user_id, model).await? {
            Some(other) if Some(other.id.as_str()) != id => Err(Error::invalid(
                "publish_as",
                format!(
                    "your pipeline {:?} is already published as {MODEL_PREFIX}{model}; pick another name",
                    other.name
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Saves `def` as the pipeline's next version.
    pub async fn save(&self, who: &Principal, id: &str, def: &Definition) -> Result<PipelineView> {
        self.allowed(&who.user_id, id, Access::Owner).await?;
        let json = self.checked(who, def).await?;
        self.model_name_free(&who.user_id, Some(id), def).await?;
        let model = def.publish_as.as_deref();
        let row = self
            .inner
            .db
            .save_pipeline_version(id, &who.user_id, def.name.trim(), &def.description, model, &json)
            .await?
            .ok_or(Error::NotFound("pipeline"))?;
        Ok(PipelineView { row, definition: def.clone(), access: Access::Owner })
    }

    /// A pipeline's fields and results when the user may run it.
    async fn runnable(&self, user_id: &str, id: &str) -> Result<Option<Interface>> {
        match self.access(user_id, id).await {
            Ok((row, access)) if access >= Access::Run => {
                Ok(Some(self.definition(&row, row.version).await?.interface()))
            }
            Ok(_) | Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The pipelines the user may run besides `except`, with their fields and results (the
    /// builder's Pipeline node picker).
    pub async fn runnable_interfaces(&self, user_id: &str, except: &str) -> Result<Vec<(String, Interface)>> {
        let mut out = Vec::new();
        for listed in self.list(user_id).await? {
            if listed.access >= Access::Run && listed.row.id != except {
                let iface = self.definition(&listed.row, listed.row.version).await?.interface();
                out.push((listed.row.id, iface));
            }
        }
        Ok(out)
    }

    async fn definition(&self, row: &PipelineRow, version: i64) -> Result<Definition> {
        let text =
            self.inner.db.pipeline_version(&row.id, version).await?.ok_or(Error::NotFound("pipeline version"))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::internal(anyhow::anyhow!("stored pipeline {} v{version}: {e}", row.id)))
    }

    /// A pipeline the user may view and its latest version; `version` reads an earlier one.
    pub async fn get(&self, user_id: &str, id: &str, version: Option<i64>) -> Result<PipelineView> {
        let (row, access) = self.access(user_id, id).await?;
        let definition = self.definition(&row, version.unwrap_or(row.version)).await?;
        Ok(PipelineView { row, definition, access })
    }

    /// Deletes a pipeline with its versions and runs; its runs going are cancelled first, and
    /// have ended (or 10 s have passed) before the rows go.
    pub async fn delete(&self, user_id: &str, id: &str) -> Result<()> {
        self.allowed(user_id, id, Access::Owner).await?;
        let going: Vec<Arc<ActiveRun>> = {
            let active = self.inner.active.lock().unwrap_or_else(PoisonError::into_inner);
            active.values().filter(|run| run.pipeline_id == id).cloned().collect()
        };
        for run in going {
            let (now, mut events) = run.follow();
            if now.status != RunStatus::Running {
                continue;
            }
            run.cancel.cancel();
            let ended = async {
                loop {
                    match events.recv().await {
                        Ok(RunEvent::Finished { .. }) | Err(broadcast::error::RecvError::Closed) => break,
                        _ => {}
                    }
                }
            };
            if tokio::time::timeout(Duration::from_secs(10), ended).await.is_err() {
                tracing::warn!(pipeline = id, "a cancelled run had not ended after 10 s; deleting anyway");
            }
        }
        if !self.inner.db.delete_pipeline(id, user_id).await? {
            return Err(Error::NotFound("pipeline"));
        }
        Ok(())
    }

    fn active(&self, run_id: &str) -> Option<Arc<ActiveRun>> {
        self.inner.active.lock().unwrap_or_else(PoisonError::into_inner).get(run_id).cloned()
    }

    /// The run form's values checked against the Input node's fields (defaults filled in).
    fn run_inputs(def: &Definition, given: Map<String, Value>) -> Result<Map<String, Value>> {
        let fields = def
            .nodes
            .iter()
            .find_map(|n| match &n.kind {
                NodeKind::Input { fields } => Some(fields.as_slice()),
                _ => None,
            })
            .unwrap_or_default();
        if let Some(unknown) = given.keys().find(|k| !fields.iter().any(|f| &f.name == *k)) {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            return Err(Error::invalid(
                "inputs",
                format!(
                    "the pipeline has no input {unknown:?}; its inputs are: {}",
                    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                ),
            ));
        }
        let mut out = Map::new();
        for f in fields {
            match given.get(&f.name).filter(|v| !v.is_null()).or(f.default.as_ref()) {
                Some(v) if f.ty.holds(v) => {
                    out.insert(f.name.clone(), v.clone());
                }
                Some(_) => {
                    return Err(Error::invalid("inputs", format!("{:?} must be a {} value", f.name, f.ty.as_str())));
                }
                None if f.required => {
                    return Err(Error::invalid("inputs", format!("{:?} is required; give it a value", f.name)));
                }
                None => {
                    out.insert(f.name.clone(), Value::Null);
                }
            }
        }
        Ok(out)
    }

    /// Starts a run of the pipeline's latest version (or `version`); it goes on without the caller.
    pub async fn start(
        &self,
        who: &Principal,
        id: &str,
        inputs: Map<String, Value>,
        version: Option<i64>,
    ) -> Result<RunView> {
        let row = self.allowed(&who.user_id, id, Access::Run).await?;
        let version = version.unwrap_or(row.version);
        let def = self.definition(&row, version).await?;
        let inputs = Self::run_inputs(&def, inputs)?;
        self.launch(who, &row, version, def, inputs, HashMap::new()).await
    }

    /// Runs an ended run's version again from `node` down, with its inputs: the nodes above
    /// `node` are not run again, their recorded outputs are passed on.
    pub async fn rerun(&self, who: &Principal, run_id: &str, node: &str) -> Result<RunView> {
        let earlier = self.run(&who.user_id, run_id).await?;
        if earlier.status == RunStatus::Running {
            return Err(Error::Conflict("this run is still going; wait for it to end, or cancel it".into()));
        }
        let row = self.allowed(&who.user_id, &earlier.pipeline_id, Access::Run).await?;
        let def = self.definition(&row, earlier.version).await?;
        if !def.nodes.iter().any(|n| n.id == node) {
            return Err(Error::invalid(
                "from",
                format!("version {} of this pipeline has no node {node:?}", earlier.version),
            ));
        }
        // The node and everything after it run again; everything else is reused.
        let mut again: HashSet<&str> = HashSet::from([node]);
        let mut grew = true;
        while grew {
            grew = false;
            for e in &def.edges {
                if again.contains(e.from.node.as_str()) && again.insert(e.to.node.as_str()) {
                    grew = true;
                }
            }
        }
        let mut reuse = HashMap::new();
        for n in def.nodes.iter().filter(|n| !again.contains(n.id.as_str())) {
            let state = earlier.nodes.iter().find(|s| s.node == n.id);
            match state {
                Some(s)
                    if s.status == NodeStatus::Skipped || (s.outputs.is_some() && s.status != NodeStatus::Running) =>
                {
                    reuse.insert(n.id.clone(), s.clone());
                }
                _ => {
                    return Err(Error::invalid(
                        "from",
                        format!(
                            "node {:?}, above {node:?}, did not finish in that run; run the whole pipeline again",
                            n.id
                        ),
                    ));
                }
            }
        }
        // A reused group's rounds and items (and a Pipeline node's nodes) are shown as they were (`drive` reports them; the
        // engine only looks up its graph's own node ids).
        let nested: Vec<NodeState> = earlier
            .nodes
            .iter()
            .filter(|s| {
                reuse.keys().any(|id| ["#", "[", "/"].iter().any(|mark| s.node.starts_with(&format!("{id}{mark}"))))
            })
            .cloned()
            .collect();
        reuse.extend(nested.into_iter().map(|s| (s.node.clone(), s)));
        self.launch(who, &row, earlier.version, def, earlier.inputs.clone(), reuse).await
    }

    async fn launch(
        &self,
        who: &Principal,
        row: &PipelineRow,
        version: i64,
        def: Definition,
        inputs: Map<String, Value>,
        reuse: HashMap<String, NodeState>,
    ) -> Result<RunView> {
        let problems = self.problems(who, &def).await;
        if let Some(first) = problems.first() {
            return Err(Error::invalid("definition", format!("this version cannot run: {first}")));
        }
        let inputs_json = Value::Object(inputs.clone()).to_string();
        // Counting and inserting one start at a time, so two at once cannot both see room for one.
        // (Servers sharing a PostgreSQL database each count on their own: a run or two over.)
        let starting = self.inner.starting.lock().await;
        if self.inner.db.running_runs(&who.user_id).await? >= MAX_RUNS_PER_USER {
            return Err(Error::Conflict(format!(
                "you have {MAX_RUNS_PER_USER} runs going (the limit); wait for one to end, or cancel one"
            )));
        }
        let run = self.inner.db.insert_run(&row.id, version, &who.user_id, &inputs_json).await?;
        drop(starting);
        let view = RunView::from_rows(run, Vec::new());
        let active = ActiveRun::new(&who.user_id, view.clone());
        self.inner.active.lock().unwrap_or_else(PoisonError::into_inner).insert(view.id.clone(), active.clone());
        let exec = match &self.inner.executor {
            Some(make) => make(who),
            None => self.executor_for(who),
        };
        let this = self.clone();
        let run_id = view.id.clone();
        self.inner.tasks.spawn(async move { this.drive(run_id, def, inputs, reuse, exec, active).await });
        Ok(view)
    }

    async fn drive(
        self,
        run_id: String,
        def: Definition,
        inputs: Map<String, Value>,
        reuse: HashMap<String, NodeState>,
        exec: Arc<dyn Execute>,
        active: Arc<ActiveRun>,
    ) {
        let report = Reporter::start(self.inner.db.clone(), &run_id, active.clone());
        let cancel = active.cancel.clone();
        let stop = async move {
            tokio::select! {
                _ = cancel.cancelled() => engine::Stop::Cancelled,
                _ = tokio::time::sleep(RUN_TIME_LIMIT) => engine::Stop::TimeLimit(RUN_TIME_LIMIT),
            }
        };
        for nested in reuse.values().filter(|s| s.node.contains(['#', '[', '/'])) {
            report.node(nested.clone());
        }
        let mut finish =
            engine::execute(&def.nodes, &def.edges, Arc::new(inputs), exec, report.clone(), &reuse, stop).await;
        if finish.status == RunStatus::Cancelled && self.inner.stopping.load(Ordering::Relaxed) {
            finish.status = RunStatus::Interrupted;
            finish.error = Some(INTERRUPTED.to_owned());
        }
        report.flush().await;
        let outputs = finish.outputs.as_ref().map(|o| Value::Object(o.clone()).to_string());
        if let Err(e) =
            self.inner.db.finish_run(&run_id, finish.status.as_str(), outputs.as_deref(), finish.error.as_deref()).await
        {
            tracing::error!(run = run_id, error = %e, "could not store a pipeline run's end");
        }
        tracing::info!(run = run_id, status = finish.status.as_str(), "pipeline run ended");
        active.finish(RunEvent::Finished { status: finish.status, outputs: finish.outputs, error: finish.error });
        self.inner.active.lock().unwrap_or_else(PoisonError::into_inner).remove(&run_id);
    }

    /// A run the user started, of a pipeline they may still view, as it stands.
    pub async fn run(&self, user_id: &str, run_id: &str) -> Result<RunView> {
        let row = self.inner.db.run(run_id).await?.filter(|r| r.user_id == user_id).ok_or(Error::NotFound("run"))?;
        self.viewable_run(user_id, &row.pipeline_id).await?;
        if let Some(active) = self.active(run_id) {
            return Ok(active.view());
        }
        // A run leaves the active ones after its end is stored: read it again if it ended since.
        let row = if row.status == RunStatus::Running.as_str() {
            self.inner.db.run(run_id).await?.ok_or(Error::NotFound("run"))?
        } else {
            row
        };
        let nodes = self.inner.db.node_runs(run_id).await?;
        Ok(RunView::from_rows(row, nodes))
    }

    /// The runs of a pipeline the user started, newest first (without their nodes).
    pub async fn runs(&self, user_id: &str, pipeline_id: &str) -> Result<Vec<RunView>> {
        self.allowed(user_id, pipeline_id, Access::View).await?;
        let rows = self.inner.db.list_runs(pipeline_id, user_id, RUNS_LISTED).await?;
        Ok(rows.into_iter().map(|r| RunView::from_rows(r, Vec::new())).collect())
    }

    /// The run as it stands, then its events while it goes on (`None`: it has ended).
    pub async fn follow(
        &self,
        user_id: &str,
        run_id: &str,
    ) -> Result<(RunView, Option<broadcast::Receiver<RunEvent>>)> {
        if let Some(active) = self.active(run_id).filter(|a| a.user_id == user_id) {
            self.viewable_run(user_id, &active.pipeline_id).await?;
            let (view, events) = active.follow();
            // A run that ended in between has sent its end already: there is nothing to follow.
            let going = view.status == RunStatus::Running;
            return Ok((view, going.then_some(events)));
        }
        Ok((self.run(user_id, run_id).await?, None))
    }

    /// A run of a pipeline no longer shared with its starter is "not found" to them.
    async fn viewable_run(&self, user_id: &str, pipeline_id: &str) -> Result<()> {
        match self.allowed(user_id, pipeline_id, Access::View).await {
            Err(Error::NotFound(_)) => Err(Error::NotFound("run")),
            other => other.map(drop),
        }
    }

    /// Cancels a run going; a run that has ended is left as it is.
    pub async fn cancel(&self, user_id: &str, run_id: &str) -> Result<RunView> {
        self.run(user_id, run_id).await?;
        if let Some(active) = self.active(run_id) {
            active.cancel.cancel();
        }
        self.run(user_id, run_id).await
    }

    /// At shutdown: runs going are stopped and stored as interrupted.
    pub async fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::Relaxed);
        self.inner.tasks.close();
        let active: Vec<Arc<ActiveRun>> =
            self.inner.active.lock().unwrap_or_else(PoisonError::into_inner).values().cloned().collect();
        for run in &active {
            run.cancel.cancel();
        }
        self.inner.tasks.wait().await;
        if let Err(e) = self.inner.db.mark_runs_interrupted().await {
            tracing::error!(error = %e, "could not mark pipeline runs interrupted");
        }
    }
}
