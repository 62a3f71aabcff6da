//! The builder's state: each node's position and settings in signals of their own (dragging one
//! node redraws that node and its edges only), the edges, the selection, the viewport, and undo
//! and redo as snapshots of the definition.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use leptos::prelude::*;
use webplus::domain::pipeline::{Definition, Edge, Node, PortRef, Position};

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
    clipboard: StoredValue<Option<(Vec<Node>, Vec<Edge>)>>,
    /// What LLM nodes dropped from the palette use.
    pub default_model: StoredValue<String>,
    pub can_undo: RwSignal<bool>,
    pub can_redo: RwSignal<bool>,
    /// Counts moves that ended (a drag let go, a layout, an undo): what the minimap redraws on,
    /// rather than on every pointer move.
    pub settled: RwSignal<u32>,
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
            clipboard: StoredValue::new(None),
            default_model: StoredValue::new(default_model),
            can_undo: RwSignal::new(false),
            can_redo: RwSignal::new(false),
            settled: RwSignal::new(0),
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

    /// Shows `def` (an undo or redo step). A node that is still there keeps its signals, so the
    /// canvas (keyed by node id) redraws it from the restored settings and position.
    fn load(&self, def: &Definition) {
        self.name.set(def.name.clone());
        self.description.set(def.description.clone());
        self.publish_as.set(def.publish_as.clone().unwrap_or_default());
        let existing = self.index.get_untracked();
        let items = def
            .nodes
            .iter()
            .map(|n| match existing.get(&n.id) {
                Some(item) => {
                    item.pos.set(n.position);
                    if item.node.with_untracked(|old| old != n) {
                        item.node.set(n.clone());
                    }
                    item.clone()
                }
                None => NodeItem::new(n.clone()),
            })
            .collect();
        self.nodes.set(items);
        self.edges.set(def.edges.clone());
        self.selected.update(|s| s.retain(|id| def.nodes.iter().any(|n| &n.id == id)));
        self.selected_edge.set(None);
        self.settled.update(|n| *n += 1);
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
        self.dirty.set(true);
    }

    /// Forgets the last checkpoint (a drag that did not move anything).
    pub fn drop_checkpoint(&self) {
        self.undo.update_value(|u| {
            u.pop();
        });
        self.can_undo.set(self.undo.with_value(|u| !u.is_empty()));
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
        self.nodes.update(|ns| ns.push(NodeItem::new(node)));
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
        self.nodes.update(|ns| ns.extend(nodes.into_iter().map(NodeItem::new)));
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
