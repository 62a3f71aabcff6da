//! Pipelines and runs as the builder and the run view get them (the REST bodies' field names).

use webplus::pipelines::{Listed, NodeState, RunView, Share};

use crate::dto::{NodeRunDto, PipelineShareDto, PipelineSummaryDto, RunDto};

pub fn pipeline_summary(l: Listed) -> PipelineSummaryDto {
    PipelineSummaryDto {
        id: l.row.id,
        name: l.row.name,
        description: l.row.description,
        version: l.row.version,
        updated_at: l.row.updated_at,
        access: l.access.as_str().to_owned(),
        owner: l.owner_email,
    }
}

pub fn pipeline_share(s: Share) -> PipelineShareDto {
    PipelineShareDto { user_id: s.user_id, email: s.email, access: s.access.as_str().to_owned() }
}

/// Also the REST API's node (server/src/http/pipelines).
pub fn node_run(n: NodeState) -> NodeRunDto {
    NodeRunDto {
        node: n.node,
        status: n.status.as_str().to_owned(),
        attempts: n.attempts,
        inputs: n.inputs,
        outputs: n.outputs,
        error: n.error,
        started_at_ms: n.started_at,
        finished_at_ms: n.finished_at,
        input_tokens: n.input_tokens,
        output_tokens: n.output_tokens,
        cost_usd: n.cost_nano_usd.map(|c| c as f64 / 1e9),
        partial: n.partial,
    }
}

pub fn run(r: RunView) -> RunDto {
    RunDto {
        id: r.id,
        pipeline_id: r.pipeline_id,
        version: r.version,
        status: r.status.as_str().to_owned(),
        inputs: r.inputs,
        outputs: r.outputs,
        error: r.error,
        created_at: r.created_at / 1000,
        finished_at: r.finished_at.map(|t| t / 1000),
        nodes: r.nodes.into_iter().map(node_run).collect(),
    }
}

/// Each output as safe HTML: text as Markdown, anything else as its JSON in a code block.
pub fn outputs_html(outputs: Option<&serde_json::Map<String, serde_json::Value>>) -> Vec<(String, String)> {
    let Some(outputs) = outputs else { return Vec::new() };
    outputs
        .iter()
        .map(|(name, value)| {
            let markdown = match value {
                serde_json::Value::String(text) => text.clone(),
                other => format!("```json\n{}\n```", serde_json::to_string_pretty(other).unwrap_or_default()),
            };
            (name.clone(), webplus::render::to_html(&markdown))
        })
        .collect()
}
