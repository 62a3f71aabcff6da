//! The builder's state: each node's position and settings in signals of their own (dragging one
//! node redraws that node and its edges only), the edges, the selection, the viewport, and undo
//! and redo as snapshots of the definition.
//!
//! The canvas shows one level at a time: the pipeline, or the body of a Loop or Iterate node
//! opened from it (and so on inward). Opening a body keeps the level around it, with its undo
//! history and viewport, in a [`Frame`]; closing it puts the body back into its node as one undo
//! step of that level. [`Editor::pipeline`] joins the levels into the whole definition.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use leptos::prelude::*;
use webplus::domain::pipeline::{Body, Definition, Edge, Node, PortRef, Position};

use super::{
    edit,
    geometry::{Bounds, NODE_WIDTH, Viewport, node_height, port_offset},
};

/// Snapshots kept for undo.
const HISTORY: usize = 100;

/// A node on the canvas. `node.position` is stale while `pos` moves; `definition()` joins them.
#[derive(Clone, PartialEq)]
pub struct NodeItem {
    pub id: Arc<str>,
    pub pos: RwSignal<Position>,
    pub node: RwSignal<Node>,
    /// Its height (from its ports), kept so positions can be checked without listing ports.
    pub height: Memo<f64>,
}

impl NodeItem {
    fn new(node: Node) -> Self {
        let id = node.id.as_str().into();
        let pos = RwSignal::new(node.position);
        let node = RwSignal::new(node);
        NodeItem { id, pos, node, height: Memo::new(move |_| node.with(node_height)) }
    }

    /// The centre of the node's input (or output) port `port`, in canvas units.
    pub fn port_point(&self, output: bool, port: &str) -> Option<(f64, f64)> {
        let i = self.node.with(|n| {
            let ports = if output { n.outputs() } else { n.inputs() };
            ports.iter().position(|p| p.name == port)
        })?;
        let p = self.pos.get();
        let (dx, dy) = port_offset(output, i);
        Some((p.x + dx, p.y + dy))
    }

    pub fn bounds(&self) -> Bounds {
        let p = self.pos.get();
        let h = self.height.get();
        Bounds { min_x: p.x, min_y: p.y, max_x: p.x + NODE_WIDTH, max_y: p.y + h }
    }
}

/// A level around the body being edited: the group node opened, that level's graph as it was when
/// opened, and its undo history and viewport.
#[derive(Clone)]
pub struct Frame {
    pub group: String,
    parent: Definition,
    undo: Vec<Definition>,
    redo: Vec<Definition>,
    view: Viewport,
}

#[derive(Clone, Copy)]
pub struct Editor {
    pub name: RwSignal<String>,
    pub description: RwSignal<String>,
    /// The model name it is published as (`pipeline:<name>`); empty: not published.
    pub publish_as: RwSignal<String>,
    pub nodes: RwSignal<Vec<NodeItem>>,
    pub edges: RwSignal<Vec<Edge>>,
    /// Selected node ids.
    pub selected: RwSignal<HashSet<String>>,
    pub selected_edge: RwSignal<Option<Edge>>,
    pub view: RwSignal<Viewport>,
    /// Changed since the last save.
    pub dirty: RwSignal<bool>,
    /// Nodes by id (for the edges).
    pub index: Memo<HashMap<String, NodeItem>>,
    undo: StoredValue<Vec<Definition>>,
    redo: StoredValue<Vec<Definition>>,
    /// Whether there were changes before the last checkpoint.
    was_dirty: StoredValue<bool>,
    clipboard: StoredValue<Option<(Vec<Node>, Vec<Edge>)>>,
    /// What LLM nodes dropped from the palette use.
    pub default_model: StoredValue<String>,
    pub can_undo: RwSignal<bool>,
    pub can_redo: RwSignal<bool>,
    /// Counts moves that ended (a drag let go, a layout, an undo): what the minimap redraws on,
    /// rather than on every pointer move.
    pub settled: RwSignal<u32>,
    /// Where new nodes' signals live: the builder's, not that of the event handler that made them
    /// (a double-click on a node that the opened body then removes, and its owner with it).
    owner: StoredValue<Owner>,
    /// The groups opened, outermost first (empty: the pipeline itself is shown).
    pub scope: RwSignal<Vec<Frame>>,
    /// Counts the bodies opened: the canvas fits the view to each.
    pub refit: RwSignal<u32>,
}

impl Editor {
    pub fn new(def: &Definition, default_model: String) -> Self {
        let nodes = RwSignal::new(def.nodes.iter().cloned().map(NodeItem::new).collect::<Vec<_>>());
        let index = Memo::new(move |_| {
            nodes.with(|ns| ns.iter().map(|n| (n.id.to_string(), n.clone())).collect::<HashMap<_, _>>())
        });
        Editor {
            name: RwSignal::new(def.name.clone()),
            description: RwSignal::new(def.description.clone()),
            publish_as: RwSignal::new(def.publish_as.clone().unwrap_or_default()),
            nodes,
            edges: RwSignal::new(def.edges.clone()),
            selected: RwSignal::new(HashSet::new()),
            selected_edge: RwSignal::new(None),
            view: RwSignal::new(Viewport::default()),
            dirty: RwSignal::new(false),
            index,
            undo: StoredValue::new(Vec::new()),
            redo: StoredValue::new(Vec::new()),
            was_dirty: StoredValue::new(false),
            clipboard: StoredValue::new(None),
            default_model: StoredValue::new(default_model),
            can_undo: RwSignal::new(false),
            can_redo: RwSignal::new(false),
            settled: RwSignal::new(0),
            owner: StoredValue::new(Owner::current().unwrap_or_default()),
            scope: RwSignal::new(Vec::new()),
            refit: RwSignal::new(0),
        }
    }

    /// The definition as it stands. Positions are read without tracking, so a memo over this
    /// (validation) does not rerun while a node is dragged.
    pub fn definition(&self) -> Definition {
        let nodes = self
            .nodes
            .with(|ns| ns.iter().map(|item| Node { position: item.pos.get_untracked(), ..item.node.get() }).collect());
        Definition {
            format: webplus::domain::pipeline::FORMAT_VERSION,
            name: self.name.get(),
            description: self.description.get(),
            publish_as: Some(self.publish_as.get().trim().to_owned()).filter(|m| !m.is_empty()),
            nodes,
            edges: self.edges.get(),
        }
    }

    /// The whole pipeline: the level shown, put back into the groups around it (tracked like
    /// [`Editor::definition`]).
    pub fn pipeline(&self) -> Definition {
        let mut def = self.definition();
        self.scope.with(|frames| {
            for f in frames.iter().rev() {
                let mut parent = f.parent.clone();
                if let Some(body) = parent.nodes.iter_mut().find(|n| n.id == f.group).and_then(Node::body_mut) {
                    *body = Body { nodes: std::mem::take(&mut def.nodes), edges: std::mem::take(&mut def.edges) };
                }
                def.nodes = parent.nodes;
                def.edges = parent.edges;
            }
        });
        def
    }

    /// The ids of the groups opened, outermost first.
    pub fn path(&self) -> Vec<String> {
        self.scope.with(|fs| fs.iter().map(|f| f.group.clone()).collect())
    }

    /// Shows the body of group node `id` (a Loop or Iterate) of the level shown; false if `id`
    /// is not one.
    pub fn open(&self, id: &str) -> bool {
        let Some(body) =
            self.index.with_untracked(|i| i.get(id).and_then(|n| n.node.with_untracked(|n| n.body().cloned())))
        else {
            return false;
        };
        let parent = untrack(|| self.definition());
        let frame = Frame {
            group: id.to_owned(),
            undo: self.undo.try_update_value(std::mem::take).unwrap_or_default(),
            redo: self.redo.try_update_value(std::mem::take).unwrap_or_default(),
            view: self.view.get_untracked(),
            parent,
        };
        self.scope.update(|s| s.push(frame));
        self.show(&body.nodes, &body.edges);
        self.selected.set(HashSet::new());
        self.can_undo.set(false);
        self.can_redo.set(false);
        self.refit.update(|n| *n += 1);
        true
    }

    /// Goes back to the level around the body shown (if one is), with the body put into its
    /// group node as one undo step there, and the group selected.
    pub fn close(&self) {
        let Some(frame) = self.scope.try_update(Vec::pop).flatten() else { return };
        let here = untrack(|| self.definition());
        let body = Body { nodes: here.nodes, edges: here.edges };
        self.show(&frame.parent.nodes, &frame.parent.edges);
        self.undo.set_value(frame.undo);
        self.redo.set_value(frame.redo);
        self.can_undo.set(self.undo.with_value(|u| !u.is_empty()));
        self.can_redo.set(self.redo.with_value(|r| !r.is_empty()));
        self.view.set(frame.view);
        let group = frame.parent.nodes.iter().find(|n| n.id == frame.group);
        if let Some(mut node) = group.filter(|n| n.body() != Some(&body)).cloned() {
            if let Some(b) = node.body_mut() {
                *b = body;
            }
            self.set_node(&frame.group, node);
        }
        self.selected.set(HashSet::from([frame.group]));
    }

    /// Closes bodies until `depth` groups are open (0: the pipeline).
    pub fn close_to(&self, depth: usize) {
        while self.scope.with_untracked(Vec::len) > depth {
            self.close();
        }
    }

    /// Shows the level that holds the node at `path` (`loop/inner/node`, as problems name
    /// nodes), opening the groups on the way, and selects it.
    pub fn reveal(&self, path: &str) {
        let parts: Vec<&str> = path.split('/').collect();
        let Some((node, groups)) = parts.split_last() else { return };
        let open = self.path();
        let same = open.iter().zip(groups).take_while(|(a, b)| a == *b).count();
        self.close_to(same);
        for g in &groups[same.min(groups.len())..] {
            if !self.open(g) {
                return;
            }
        }
        self.selected_edge.set(None);
        self.selected.set(HashSet::from([(*node).to_owned()]));
    }

    fn item(&self, node: Node) -> NodeItem {
        self.owner.get_value().with(|| NodeItem::new(node))
    }

    /// Shows `nodes` and `edges`. A node id still there keeps its signals, so the canvas (keyed
    /// by node id) redraws it from the new settings and position.
    fn show(&self, nodes: &[Node], edges: &[Edge]) {
        let existing = self.index.get_untracked();
        let items = nodes
            .iter()
            .map(|n| match existing.get(&n.id) {
                Some(item) => {
                    item.pos.set(n.position);
                    if item.node.with_untracked(|old| old != n) {
                        item.node.set(n.clone());
                    }
                    item.clone()
                }
                None => self.item(n.clone()),
            })
            .collect();
        self.nodes.set(items);
        self.edges.set(edges.to_vec());
        self.selected.update(|s| s.retain(|id| nodes.iter().any(|n| &n.id == id)));
        self.selected_edge.set(None);
        self.settled.update(|n| *n += 1);
    }

    /// Shows `def` (an undo or redo step).
    fn load(&self, def: &Definition) {
        self.name.set(def.name.clone());
        self.description.set(def.description.clone());
        self.publish_as.set(def.publish_as.clone().unwrap_or_default());
        self.show(&def.nodes, &def.edges);
    }

    /// Call before a change: the state before it becomes the undo step.
    pub fn checkpoint(&self) {
        let now = untrack(|| self.definition());
        self.undo.update_value(|u| {
            u.push(now);
            if u.len() > HISTORY {
                u.remove(0);
            }
        });
        self.redo.update_value(Vec::clear);
        self.can_undo.set(true);
        self.can_redo.set(false);
        self.was_dirty.set_value(self.dirty.get_untracked());
        self.dirty.set(true);
    }

    /// Forgets the last checkpoint (a drag that did not move anything: a click on a node), and
    /// with it the change it announced.
    pub fn drop_checkpoint(&self) {
        self.undo.update_value(|u| {
            u.pop();
        });
        self.can_undo.set(self.undo.with_value(|u| !u.is_empty()));
        self.dirty.set(self.was_dirty.get_value());
    }

    pub fn undo(&self) {
        let Some(prev) = self.undo.try_update_value(Vec::pop).flatten() else { return };
        let now = untrack(|| self.definition());
        self.redo.update_value(|r| r.push(now));
        self.load(&prev);
        self.after_history();
    }

    pub fn redo(&self) {
        let Some(next) = self.redo.try_update_value(Vec::pop).flatten() else { return };
        let now = untrack(|| self.definition());
        self.undo.update_value(|u| u.push(now));
        self.load(&next);
        self.after_history();
    }

    fn after_history(&self) {
        self.can_undo.set(self.undo.with_value(|u| !u.is_empty()));
        self.can_redo.set(self.redo.with_value(|r| !r.is_empty()));
        self.dirty.set(true);
    }

    fn taken(&self) -> HashSet<String> {
        self.nodes.with_untracked(|ns| ns.iter().map(|n| n.id.to_string()).collect())
    }

    /// Adds a node of `kind` at `at` (canvas units) and selects it; answers its id.
    pub fn add(&self, kind: &str, at: Position) -> Option<String> {
        let id = edit::unique_id(kind, &self.taken());
        let node = self.default_model.with_value(|m| edit::new_node(kind, &id, at, m))?;
        self.checkpoint();
        let item = self.item(node);
        self.nodes.update(|ns| ns.push(item));
        self.selected.set(HashSet::from([id.clone()]));
        self.selected_edge.set(None);
        Some(id)
    }

    /// Connects an output port to an input port (once).
    pub fn connect(&self, from: PortRef, to: PortRef) {
        if from.node == to.node {
            return;
        }
        let edge = Edge { from, to };
        if self.edges.with_untracked(|es| es.contains(&edge)) {
            return;
        }
        self.checkpoint();
        self.edges.update(|es| es.push(edge));
    }

    /// Deletes the selected nodes (with their edges), or the selected edge.
    pub fn delete_selection(&self) {
        let gone = self.selected.get_untracked();
        let edge = self.selected_edge.get_untracked();
        if gone.is_empty() && edge.is_none() {
            return;
        }
        self.checkpoint();
        self.nodes.update(|ns| ns.retain(|n| !gone.contains(&*n.id)));
        self.edges.update(|es| {
            es.retain(|e| !gone.contains(&e.from.node) && !gone.contains(&e.to.node) && Some(e) != edge.as_ref())
        });
        self.selected.set(HashSet::new());
        self.selected_edge.set(None);
    }

    pub fn select_all(&self) {
        self.selected.set(self.taken());
    }

    fn selected_nodes(&self) -> (Vec<Node>, Vec<Edge>) {
        let sel = self.selected.get_untracked();
        let nodes: Vec<Node> = self.nodes.with_untracked(|ns| {
            ns.iter()
                .filter(|n| sel.contains(&*n.id))
                .map(|n| Node { position: n.pos.get_untracked(), ..n.node.get_untracked() })
                .collect()
        });
        let edges = self.edges.with_untracked(|es| {
            es.iter().filter(|e| sel.contains(&e.from.node) && sel.contains(&e.to.node)).cloned().collect()
        });
        (nodes, edges)
    }

    pub fn copy(&self) {
        let (nodes, edges) = self.selected_nodes();
        if !nodes.is_empty() {
            self.clipboard.set_value(Some((nodes, edges)));
        }
    }

    /// Pastes what was copied, offset, with fresh ids, and selects the copies.
    pub fn paste(&self) {
        let Some((nodes, edges)) = self.clipboard.get_value() else { return };
        let (nodes, edges) = edit::paste(&nodes, &edges, &self.taken(), 30.0);
        self.checkpoint();
        self.selected.set(nodes.iter().map(|n| n.id.clone()).collect());
        let items: Vec<NodeItem> = nodes.into_iter().map(|n| self.item(n)).collect();
        self.nodes.update(|ns| ns.extend(items));
        self.edges.update(|es| es.extend(edges));
        // A second paste lands further on.
        self.clipboard.update_value(|c| {
            if let Some((ns, _)) = c {
                ns.iter_mut().for_each(|n| {
                    n.position.x += 30.0;
                    n.position.y += 30.0;
                })
            }
        });
    }

    /// Lays the graph out left to right.
    pub fn auto_layout(&self) {
        let def = untrack(|| self.definition());
        let at = edit::layout(&def.nodes, &def.edges);
        self.checkpoint();
        self.nodes.with_untracked(|ns| {
            for n in ns {
                if let Some(p) = at.get(&*n.id) {
                    n.pos.set(*p);
                }
            }
        });
        self.settled.update(|n| *n += 1);
    }

    /// Replaces node `id`'s settings (not its position or id).
    pub fn set_node(&self, id: &str, node: Node) {
        let item = self.index.with_untracked(|i| i.get(id).cloned());
        if let Some(item) = item {
            self.checkpoint();
            item.node.set(Node { id: id.to_owned(), ..node });
            self.settled.update(|n| *n += 1);
        }
    }

    /// The box around every node (tracked: positions and ports).
    pub fn bounds(&self) -> Option<Bounds> {
        self.nodes.with(|ns| ns.iter().map(NodeItem::bounds).reduce(|a, b| a.union(&b)))
    }

    /// [`Editor::bounds`], redrawn when a move ends rather than on every pointer move.
    pub fn settled_bounds(&self) -> Option<Bounds> {
        self.settled.track();
        self.nodes.with(|ns| untrack(|| ns.iter().map(NodeItem::bounds).reduce(|a, b| a.union(&b))))
    }

    /// Shows every node in a `w`×`h` canvas.
    pub fn fit(&self, w: f64, h: f64) {
        if let Some(b) = untrack(|| self.bounds()) {
            self.view.set(Viewport::fit(b, w, h));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use webplus::domain::pipeline::NodeKind;

    use super::*;

    /// A pipeline whose Loop `rounds` has a body of Input → Template → Output.
    fn looped() -> Definition {
        serde_json::from_value(json!({
            "format": 1, "name": "Loop",
            "nodes": [
                {"id": "input", "type": "input", "fields": [{"name": "text", "type": "text"}]},
                {"id": "rounds", "type": "loop", "inputs": [{"name": "text", "type": "text"}],
                 "outputs": [{"name": "text", "type": "text"}], "until": "true", "max_iterations": 2,
                 "body": {
                    "nodes": [
                        {"id": "input", "type": "input", "fields": [{"name": "text", "type": "text"}]},
                        {"id": "step", "type": "template", "template": "{{ text }}!",
                         "inputs": [{"name": "text", "type": "text"}]},
                        {"id": "output", "type": "output", "results": [{"name": "text", "type": "text"}]}
                    ],
                    "edges": [
                        {"from": {"node": "input", "port": "text"}, "to": {"node": "step", "port": "text"}},
                        {"from": {"node": "step", "port": "text"}, "to": {"node": "output", "port": "text"}}
                    ]
                 }},
                {"id": "output", "type": "output", "results": [{"name": "text", "type": "text"}]}
            ],
            "edges": [
                {"from": {"node": "input", "port": "text"}, "to": {"node": "rounds", "port": "text"}},
                {"from": {"node": "rounds", "port": "text"}, "to": {"node": "output", "port": "text"}}
            ]
        }))
        .unwrap()
    }

    fn body_ids(def: &Definition) -> Vec<String> {
        let group = def.nodes.iter().find(|n| n.id == "rounds").unwrap();
        group.body().unwrap().nodes.iter().map(|n| n.id.clone()).collect()
    }

    #[test]
    fn a_body_is_edited_on_its_own_level_and_put_back_as_one_undo_step() {
        Owner::new().with(body_edit)
    }

    fn body_edit() {
        let start = looped();
        let editor = Editor::new(&start, String::new());
        assert!(!editor.open("input"), "an Input node has no body");
        assert!(editor.open("rounds"));
        assert_eq!(editor.path(), ["rounds"]);
        let shown: Vec<String> = editor.nodes.with_untracked(|ns| ns.iter().map(|n| n.id.to_string()).collect());
        assert_eq!(shown, ["input", "step", "output"]);
        assert!(!editor.can_undo.get_untracked(), "the body starts with its own history");

        let added = editor.add("template", Position { x: 10.0, y: 10.0 }).unwrap();
        assert!(editor.can_undo.get_untracked());
        // While the body is open, the whole pipeline already holds the change.
        let whole = editor.pipeline();
        assert_eq!(whole.nodes.len(), 3);
        assert_eq!(body_ids(&whole), ["input", "step", "output", added.as_str()]);

        editor.close();
        assert!(editor.path().is_empty());
        assert_eq!(editor.definition(), editor.pipeline());
        assert_eq!(body_ids(&editor.definition()), ["input", "step", "output", added.as_str()]);
        assert_eq!(editor.selected.get_untracked(), HashSet::from(["rounds".to_owned()]));
        // The top level's nodes are back, with their own settings (both levels have an "input").
        let input = editor.index.with_untracked(|i| i["input"].node.get_untracked());
        assert_eq!(input, start.nodes[0]);

        editor.undo();
        assert_eq!(editor.definition().nodes, start.nodes);
        editor.redo();
        assert_eq!(body_ids(&editor.definition()), ["input", "step", "output", added.as_str()]);
    }

    #[test]
    fn closing_an_unchanged_body_adds_no_undo_step_and_reveal_opens_the_way_to_a_node() {
        Owner::new().with(close_and_reveal)
    }

    fn close_and_reveal() {
        let editor = Editor::new(&looped(), String::new());
        // A click on a node (a drag that moved nothing) changes nothing.
        editor.checkpoint();
        editor.drop_checkpoint();
        assert!(!editor.dirty.get_untracked());
        editor.open("rounds");
        editor.close();
        assert!(!editor.can_undo.get_untracked());
        assert!(!editor.dirty.get_untracked());

        editor.reveal("rounds/step");
        assert_eq!(editor.path(), ["rounds"]);
        assert_eq!(editor.selected.get_untracked(), HashSet::from(["step".to_owned()]));
        let step = editor.index.with_untracked(|i| i["step"].node.get_untracked());
        assert!(matches!(step.kind, NodeKind::Template { .. }));

        editor.reveal("output");
        assert!(editor.path().is_empty());
        assert_eq!(editor.selected.get_untracked(), HashSet::from(["output".to_owned()]));
    }
}
