//! The pipeline canvas: one SVG whose viewport transform (pan and zoom) moves the nodes and the
//! edges together. Nodes outside the visible area are not drawn. In the builder it also takes
//! nodes from the palette, moves them, connects ports, selects (click, Shift+click, Shift+drag a
//! box) and answers the keyboard; the run view uses it read-only, with each node's state as a
//! class and a line of text. Where groups may be opened (the builder), a double-click on a Loop or
//! Iterate node shows its body, with a trail back above it (and Escape going up a level).

use std::{collections::HashSet, sync::Arc};

use leptos::{ev, html, prelude::*};
use webplus::domain::pipeline::{PortRef, Position};

use super::{
    edit::KINDS,
    editor::{Editor, NodeItem},
    geometry::{Bounds, HEADER, NODE_WIDTH, ROW, edge_path, node_height},
};

/// Extra classes of a node (its run state, a problem), and a line shown under its title.
pub type NodeClass = Arc<dyn Fn(&str) -> String + Send + Sync>;
pub type NodeNote = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A wire being drawn: from the output port to the pointer, in canvas units.
type Wire = RwSignal<Option<((f64, f64), (f64, f64))>>;

/// What a pointer drag is doing.
#[derive(Clone)]
enum Drag {
    Pan { from: (f64, f64), start: super::geometry::Viewport },
    Move { from: (f64, f64), starts: Vec<(RwSignal<Position>, Position)>, moved: bool },
    Wire { from: PortRef },
    Place { kind: &'static str, from: (f64, f64), moved: bool },
    Select { from: (f64, f64) },
}

/// Where the pointer is relative to the canvas element.
fn local(wrap: NodeRef<html::Div>, e: &web_sys::MouseEvent) -> (f64, f64) {
    let Some(el) = wrap.get_untracked() else { return (0.0, 0.0) };
    let r = el.get_bounding_client_rect();
    (e.client_x() as f64 - r.left(), e.client_y() as f64 - r.top())
}

fn inside(wrap: NodeRef<html::Div>, p: (f64, f64)) -> bool {
    wrap.get_untracked().is_some_and(|el| {
        let r = el.get_bounding_client_rect();
        p.0 >= 0.0 && p.1 >= 0.0 && p.0 <= r.width() && p.1 <= r.height()
    })
}

#[component]
pub fn Canvas(
    editor: Editor,
    /// Editing allowed (the builder); else only pan, zoom and selecting a node (the run view).
    editable: bool,
    #[prop(optional)] node_class: Option<NodeClass>,
    #[prop(optional)] node_note: Option<NodeNote>,
    /// A double-click on a Loop or Iterate node shows its body (the builder).
    #[prop(optional)]
    open_groups: bool,
) -> impl IntoView {
    let wrap = NodeRef::<html::Div>::new();
    let drag: StoredValue<Option<Drag>> = StoredValue::new(None);
    // What is drawn while dragging: a wire being connected, a selection box, a node being placed.
    let wire: Wire = RwSignal::new(None);
    let lasso = RwSignal::new(None::<Bounds>);
    let ghost = RwSignal::new(None::<(&'static str, (f64, f64))>);
    // The canvas element's size (unknown on the server: every node is drawn there).
    let size = RwSignal::new(None::<(f64, f64)>);
    // Touch pointers, for pinch zoom.
    let touches: StoredValue<Vec<(i32, (f64, f64))>> = StoredValue::new(Vec::new());
    let view = editor.view;

    let measure = move || {
        if let Some(el) = wrap.get_untracked() {
            let r = el.get_bounding_client_rect();
            size.set(Some((r.width(), r.height())));
        }
    };

    // Each body opened is fitted to the canvas.
    Effect::new(move |first: Option<()>| {
        editor.refit.track();
        if first.is_some() {
            measure();
            if let Some((w, h)) = size.get_untracked() {
                editor.fit(w, h);
            }
        }
    });

    // Browser only: the first fit, and the listeners that follow a drag outside the canvas.
    Effect::new(move |first: Option<()>| {
        if first.is_none() {
            first_fit(wrap, size, editor, 0);
        }
        let on_move = window_event_listener(ev::pointermove, move |e| {
            let p = local(wrap, &e);
            let Some(d) = drag.get_value() else { return };
            match d {
                Drag::Pan { from, start } => view.set(super::geometry::Viewport {
                    x: start.x + p.0 - from.0,
                    y: start.y + p.1 - from.1,
                    ..start
                }),
                Drag::Move { from, starts, .. } => {
                    let k = view.get_untracked().k;
                    let (dx, dy) = ((p.0 - from.0) / k, (p.1 - from.1) / k);
                    for (pos, start) in &starts {
                        pos.set(Position { x: start.x + dx, y: start.y + dy });
                    }
                    drag.set_value(Some(Drag::Move { from, starts, moved: true }));
                }
                Drag::Wire { .. } => wire.update(|w| {
                    if let Some((_, to)) = w {
                        *to = view.get_untracked().to_canvas(p.0, p.1);
                    }
                }),
                Drag::Place { kind, from, moved } => {
                    let moved = moved || (p.0 - from.0).abs() + (p.1 - from.1).abs() > 4.0;
                    drag.set_value(Some(Drag::Place { kind, from, moved }));
                    ghost.set(inside(wrap, p).then(|| (kind, view.get_untracked().to_canvas(p.0, p.1))));
                }
                Drag::Select { from } => {
                    let v = view.get_untracked();
                    lasso.set(Some(Bounds::between(v.to_canvas(from.0, from.1), v.to_canvas(p.0, p.1))));
                }
            }
        });
        let on_up = window_event_listener(ev::pointerup, move |e| {
            let p = local(wrap, &e);
            match drag.get_value() {
                Some(Drag::Move { moved: false, .. }) => editor.drop_checkpoint(),
                Some(Drag::Move { moved: true, .. }) => editor.settled.update(|n| *n += 1),
                Some(Drag::Place { kind, moved, .. }) => {
                    let v = view.get_untracked();
                    let at = if moved && inside(wrap, p) {
                        Some(v.to_canvas(p.0, p.1))
                    } else if !moved {
                        // A click on the palette: the middle of what is shown.
                        size.get_untracked().map(|(w, h)| v.to_canvas(w / 2.0, h / 2.0))
                    } else {
                        None
                    };
                    if let Some((x, y)) = at {
                        editor.add(kind, Position { x: x - NODE_WIDTH / 2.0, y: y - HEADER / 2.0 });
                    }
                }
                Some(Drag::Select { .. }) => {
                    if let Some(area) = lasso.get_untracked() {
                        let hit: HashSet<String> = editor.nodes.with_untracked(|ns| {
                            ns.iter()
                                .filter(|n| untrack(|| n.bounds()).intersects(&area))
                                .map(|n| n.id.to_string())
                                .collect()
                        });
                        editor.selected.update(|s| s.extend(hit));
                    }
                }
                _ => {}
            }
            drag.set_value(None);
            wire.set(None);
            lasso.set(None);
            ghost.set(None);
        });
        let on_resize = window_event_listener(ev::resize, move |_| measure());
        on_cleanup(move || {
            on_move.remove();
            on_up.remove();
            on_resize.remove();
        });
    });

    let background_down = move |e: ev::PointerEvent| {
        let p = local(wrap, &e);
        if e.pointer_type() == "touch" {
            touches.update_value(|t| t.push((e.pointer_id(), p)));
            if touches.with_value(Vec::len) >= 2 {
                drag.set_value(None);
                return;
            }
        }
        if e.button() != 0 {
            return;
        }
        if e.shift_key() && editable {
            drag.set_value(Some(Drag::Select { from: p }));
        } else {
            editor.selected.set(HashSet::new());
            editor.selected_edge.set(None);
            drag.set_value(Some(Drag::Pan { from: p, start: view.get_untracked() }));
        }
    };
    let touch_move = move |e: ev::PointerEvent| {
        if e.pointer_type() != "touch" {
            return;
        }
        let p = local(wrap, &e);
        let before = touches.get_value();
        let Some(i) = before.iter().position(|(id, _)| *id == e.pointer_id()) else { return };
        let mut after = before.clone();
        after[i].1 = p;
        if let ([(_, a0), (_, b0), ..], [(_, a1), (_, b1), ..]) = (before.as_slice(), after.as_slice()) {
            let dist = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt().max(1.0);
            let mid = ((a1.0 + b1.0) / 2.0, (a1.1 + b1.1) / 2.0);
            view.update(|v| *v = v.zoom_at(dist(*a1, *b1) / dist(*a0, *b0), mid.0, mid.1));
        }
        touches.set_value(after);
    };
    let touch_end = move |e: ev::PointerEvent| touches.update_value(|t| t.retain(|(id, _)| *id != e.pointer_id()));
    let wheel = move |e: ev::WheelEvent| {
        e.prevent_default();
        let p = local(wrap, &e);
        // Trackpad pinches arrive as wheel events with Ctrl held, in smaller steps.
        let speed = if e.ctrl_key() { 0.01 } else { 0.0015 };
        view.update(|v| *v = v.zoom_at((-e.delta_y() * speed).exp(), p.0, p.1));
    };
    let keydown = move |e: ev::KeyboardEvent| {
        let ctrl = e.ctrl_key() || e.meta_key();
        let key = e.key();
        let handled = match (ctrl, key.as_str()) {
            (false, "Delete" | "Backspace") if editable => {
                editor.delete_selection();
                true
            }
            (true, "z" | "Z") if editable && e.shift_key() => {
                editor.redo();
                true
            }
            (true, "z") if editable => {
                editor.undo();
                true
            }
            (true, "y") if editable => {
                editor.redo();
                true
            }
            (true, "c") if editable => {
                editor.copy();
                true
            }
            (true, "v") if editable => {
                editor.paste();
                true
            }
            (true, "a") if editable => {
                editor.select_all();
                true
            }
            (false, "Escape") if open_groups && editor.scope.with_untracked(|s| !s.is_empty()) => {
                editor.close();
                true
            }
            _ => false,
        };
        if handled {
            e.prevent_default();
        }
    };

    // The nodes to draw: all on the server, else those in (or near) the visible area.
    let shown = Memo::new(move |_| {
        let all = editor.nodes.get();
        let Some((w, h)) = size.get() else { return all };
        let v = view.get();
        let (a, b) = (v.to_canvas(-200.0, -200.0), v.to_canvas(w + 200.0, h + 200.0));
        let area = Bounds::between(a, b);
        all.into_iter().filter(|n| n.bounds().intersects(&area)).collect::<Vec<_>>()
    });

    let node_class = node_class.unwrap_or_else(|| Arc::new(|_: &str| String::new()));
    let node_note = node_note.unwrap_or_else(|| Arc::new(|_: &str| None));
    let draw_node = move |item: NodeItem| {
        node_view(
            editor,
            editable,
            open_groups,
            drag,
            wire,
            wrap,
            item,
            Arc::clone(&node_class),
            Arc::clone(&node_note),
        )
    };

    view! {
        <div class="canvas-layout" class:editable=editable>
            {editable.then(|| palette(drag, wrap))}
            <div
                class="canvas-wrap"
                node_ref=wrap
                tabindex="0"
                data-testid="canvas"
                on:pointerdown=background_down
                on:pointermove=touch_move
                on:pointerup=touch_end
                on:pointercancel=touch_end
                on:wheel=wheel
                on:keydown=keydown
            >
                <svg class="canvas">
                    <g transform=move || view.get().transform()>
                        <g class="edges">
                            <For
                                each=move || editor.edges.get()
                                key=|e| e.clone()
                                children=move |e| edge_view(editor, editable, e)
                            />
                            {move || {
                                wire.get()
                                    .map(|(a, b)| view! { <path class="edge wire" d=edge_path(a, b)/> })
                            }}
                        </g>
                        <g class="nodes">
                            <For each=move || shown.get() key=|n| n.id.clone() children=draw_node/>
                        </g>
                        {move || {
                            lasso.get()
                                .map(|b| {
                                    view! {
                                        <rect
                                            class="lasso"
                                            x=b.min_x
                                            y=b.min_y
                                            width=b.max_x - b.min_x
                                            height=b.max_y - b.min_y
                                        />
                                    }
                                })
                        }}
                        {move || {
                            ghost.get()
                                .map(|(kind, (x, y))| {
                                    view! {
                                        <g class="node-ghost" transform=format!("translate({:.1} {:.1})", x - NODE_WIDTH / 2.0, y - HEADER / 2.0)>
                                            <rect class="node-box" width=NODE_WIDTH height=HEADER rx="8"/>
                                            <text class="node-title" x="12" y="25">{kind}</text>
                                        </g>
                                    }
                                })
                        }}
                    </g>
                </svg>
                <Minimap editor size/>
                {open_groups.then(|| view! { <ScopeTrail editor/> })}
                <div class="canvas-tools">
                    <button
                        type="button"
                        class="button small"
                        title="Zoom in"
                        on:pointerdown=|e| e.stop_propagation()
                        on:click=move |_| {
                            let (w, h) = size.get_untracked().unwrap_or((800.0, 600.0));
                            view.update(|v| *v = v.zoom_at(1.25, w / 2.0, h / 2.0));
                        }
                    >
                        "+"
                    </button>
                    <button
                        type="button"
                        class="button small"
                        title="Zoom out"
                        on:pointerdown=|e| e.stop_propagation()
                        on:click=move |_| {
                            let (w, h) = size.get_untracked().unwrap_or((800.0, 600.0));
                            view.update(|v| *v = v.zoom_at(0.8, w / 2.0, h / 2.0));
                        }
                    >
                        "−"
                    </button>
                    <button
                        type="button"
                        class="button small"
                        data-testid="fit-view"
                        on:pointerdown=|e| e.stop_propagation()
                        on:click=move |_| {
                            measure();
                            if let Some((w, h)) = size.get_untracked() {
                                editor.fit(w, h);
                            }
                        }
                    >
                        "Fit view"
                    </button>
                </div>
            </div>
        </div>
    }
}

/// Fits the graph once the canvas has a size: a page rendered in the browser (not hydrated) is
/// laid out only after its first effects, so this waits for a frame with a size (at most 120).
fn first_fit(wrap: NodeRef<html::Div>, size: RwSignal<Option<(f64, f64)>>, editor: Editor, tries: u32) {
    let measured = wrap.get_untracked().map(|el| {
        let r = el.get_bounding_client_rect();
        (r.width(), r.height())
    });
    match measured {
        Some((w, h)) if w >= 50.0 && h >= 50.0 => {
            size.set(Some((w, h)));
            editor.fit(w, h);
        }
        _ if tries < 120 => request_animation_frame(move || first_fit(wrap, size, editor, tries + 1)),
        _ => {}
    }
}

fn palette(drag: StoredValue<Option<Drag>>, wrap: NodeRef<html::Div>) -> impl IntoView {
    view! {
        <nav class="palette" aria-label="Node types">
            <p class="muted">"Drag onto the canvas, or click"</p>
            {KINDS
                .iter()
                .map(|&(kind, name)| {
                    view! {
                        <button
                            type="button"
                            class="palette-item"
                            data-testid=format!("palette-{kind}")
                            on:pointerdown=move |e| {
                                e.prevent_default();
                                let from = local(wrap, &e);
                                drag.set_value(Some(Drag::Place { kind, from, moved: false }));
                            }
                        >
                            {name}
                        </button>
                    }
                })
                .collect_view()}
        </nav>
    }
}

fn edge_view(editor: Editor, editable: bool, e: webplus::domain::pipeline::Edge) -> impl IntoView {
    let path = {
        let e = e.clone();
        move || {
            let index = editor.index.read();
            let a = index.get(&e.from.node)?.port_point(true, &e.from.port)?;
            let b = index.get(&e.to.node)?.port_point(false, &e.to.port)?;
            Some(edge_path(a, b))
        }
    };
    let selected = {
        let e = e.clone();
        move || editor.selected_edge.with(|s| s.as_ref() == Some(&e))
    };
    let label = format!("{}.{} → {}.{}", e.from.node, e.from.port, e.to.node, e.to.port);
    view! {
        <path
            class="edge"
            class:selected=selected
            d=path
            data-edge=label
            on:pointerdown=move |ev| {
                ev.stop_propagation();
                if editable {
                    editor.selected.set(HashSet::new());
                    editor.selected_edge.set(Some(e.clone()));
                }
            }
        />
    }
}

#[allow(clippy::too_many_arguments)]
fn node_view(
    editor: Editor,
    editable: bool,
    open_groups: bool,
    drag: StoredValue<Option<Drag>>,
    wire: Wire,
    wrap: NodeRef<html::Div>,
    item: NodeItem,
    node_class: NodeClass,
    node_note: NodeNote,
) -> impl IntoView {
    let id = item.id.clone();
    let (pos, node) = (item.pos, item.node);
    let class = {
        let id = id.clone();
        move || {
            let sel = editor.selected.with(|s| s.contains(&*id));
            format!(
                "node kind-{}{} {}",
                node.with(|n| n.kind_name()),
                if sel { " selected" } else { "" },
                node_class(&id)
            )
        }
    };
    let note = {
        let id = id.clone();
        move || node_note(&id)
    };
    let down = {
        let id = id.clone();
        move |e: ev::PointerEvent| {
            e.stop_propagation();
            if e.button() != 0 {
                return;
            }
            let id = id.to_string();
            editor.selected_edge.set(None);
            if e.shift_key() {
                editor.selected.update(|s| {
                    if !s.remove(&id) {
                        s.insert(id.clone());
                    }
                });
            } else if !editor.selected.with_untracked(|s| s.contains(&id)) {
                editor.selected.set(HashSet::from([id.clone()]));
            }
            if !editable {
                return;
            }
            let sel = editor.selected.get_untracked();
            let starts = editor.nodes.with_untracked(|ns| {
                ns.iter().filter(|n| sel.contains(&*n.id)).map(|n| (n.pos, n.pos.get_untracked())).collect()
            });
            editor.checkpoint();
            drag.set_value(Some(Drag::Move { from: local(wrap, &e), starts, moved: false }));
        }
    };
    let open = {
        let id = id.clone();
        move |e: ev::MouseEvent| {
            if open_groups {
                e.stop_propagation();
                editor.open(&id);
            }
        }
    };
    let inside = move || node.with(|n| n.body().map(|b| format!(" · {} inside", b.nodes.len())));
    let title = move || {
        node.with(|n| {
            let t = n.label.clone().filter(|l| !l.trim().is_empty()).unwrap_or_else(|| n.id.clone());
            if t.chars().count() > 24 { format!("{}…", t.chars().take(23).collect::<String>()) } else { t }
        })
    };
    let ports = {
        let id = id.clone();
        move || {
            let (inputs, outputs) = node.with(|n| (n.inputs(), n.outputs()));
            let ins = inputs.into_iter().enumerate().map(|(i, p)| {
                let to = PortRef { node: id.to_string(), port: p.name.clone() };
                let up = move |e: ev::PointerEvent| {
                    if let Some(Drag::Wire { from }) = drag.get_value() {
                        e.stop_propagation();
                        drag.set_value(None);
                        wire.set(None);
                        editor.connect(from, to.clone());
                    }
                };
                view! {
                    <g class="port in" transform=format!("translate(0 {})", HEADER + i as f64 * ROW + ROW / 2.0)>
                        <circle r="6" data-port=p.name.clone() data-testid="port-in" on:pointerup=up/>
                        <text x="10" y="4">{format!("{}: {}", p.name, p.ty.as_str())}</text>
                    </g>
                }
            });
            let outs = outputs.into_iter().enumerate().map(|(i, p)| {
                let from = PortRef { node: id.to_string(), port: p.name.clone() };
                let down = move |e: ev::PointerEvent| {
                    e.stop_propagation();
                    if !editable || e.button() != 0 {
                        return;
                    }
                    if let Some(a) = editor.index.with_untracked(|ix| {
                        ix.get(&from.node).and_then(|n| untrack(|| n.port_point(true, &from.port)))
                    }) {
                        wire.set(Some((a, a)));
                        drag.set_value(Some(Drag::Wire { from: from.clone() }));
                    }
                };
                view! {
                    <g class="port out" transform=format!("translate({NODE_WIDTH} {})", HEADER + i as f64 * ROW + ROW / 2.0)>
                        <text x="-10" y="4">{p.name.clone()}</text>
                        <circle r="6" data-port=p.name.clone() data-testid="port-out" on:pointerdown=down/>
                    </g>
                }
            });
            (ins.collect_view(), outs.collect_view())
        }
    };
    view! {
        <g
            class=class
            transform=move || {
                let p = pos.get();
                format!("translate({:.1} {:.1})", p.x, p.y)
            }
            data-node=id.to_string()
            data-testid="node"
            on:pointerdown=down
            on:dblclick=open
        >
            <rect class="node-box" width=NODE_WIDTH height=move || node.with(node_height) rx="8"/>
            <text class="node-title" x="12" y="17">{title}</text>
            <text class="node-kind" x="12" y="32">
                {move || node.with(|n| n.kind_name())}
                {inside}
                {move || note().map(|t| format!(" · {t}"))}
            </text>
            {ports}
        </g>
    }
}

/// Where the canvas is when a body is open: the pipeline, then each group opened; a click on one
/// goes back to it.
#[component]
fn ScopeTrail(editor: Editor) -> impl IntoView {
    move || {
        let path = editor.path();
        (!path.is_empty()).then(|| {
            let last = path.len() - 1;
            let crumbs = path
                .into_iter()
                .enumerate()
                .map(|(i, group)| {
                    let crumb = if i == last {
                        view! { <strong data-testid="scope-current">{format!("body of {group}")}</strong> }.into_any()
                    } else {
                        view! {
                            <button type="button" class="link-button" on:click=move |_| editor.close_to(i + 1)>
                                {group}
                            </button>
                        }
                        .into_any()
                    };
                    view! { " › " {crumb} }
                })
                .collect_view();
            view! {
                <nav class="canvas-scope" data-testid="scope" aria-label="Where you are" on:pointerdown=|e| e.stop_propagation()>
                    <button type="button" class="link-button" data-testid="scope-top" on:click=move |_| editor.close_to(0)>
                        "Pipeline"
                    </button>
                    {crumbs}
                    <span class="muted">" · Esc goes up"</span>
                </nav>
            }
        })
    }
}

/// The whole graph small, with the visible area; a click there centres the view on that point.
#[component]
fn Minimap(editor: Editor, size: RwSignal<Option<(f64, f64)>>) -> impl IntoView {
    const W: f64 = 180.0;
    const H: f64 = 120.0;
    let frame = Memo::new(move |_| {
        let b = editor.settled_bounds()?;
        let (w, h) = size.get()?;
        let v = editor.view.get();
        let (a, c) = (v.to_canvas(0.0, 0.0), v.to_canvas(w, h));
        let seen = Bounds::between(a, c);
        let all = b.union(&seen);
        let k = (W / (all.max_x - all.min_x).max(1.0)).min(H / (all.max_y - all.min_y).max(1.0));
        Some((all, k, seen))
    });
    let boxes = move || {
        let (all, k, _) = frame.get()?;
        editor.settled.track();
        let d = editor.nodes.with(|ns| {
            untrack(|| {
                ns.iter()
                    .map(|n| {
                        let b = n.bounds();
                        format!(
                            "M{:.1} {:.1}h{:.1}v{:.1}h-{:.1}z",
                            (b.min_x - all.min_x) * k,
                            (b.min_y - all.min_y) * k,
                            (b.max_x - b.min_x) * k,
                            (b.max_y - b.min_y) * k,
                            (b.max_x - b.min_x) * k
                        )
                    })
                    .collect::<String>()
            })
        });
        Some(d)
    };
    let seen = move || {
        frame.get().map(|(all, k, s)| {
            view! {
                <rect
                    class="minimap-view"
                    x=(s.min_x - all.min_x) * k
                    y=(s.min_y - all.min_y) * k
                    width=(s.max_x - s.min_x) * k
                    height=(s.max_y - s.min_y) * k
                />
            }
        })
    };
    let click = move |e: ev::PointerEvent| {
        e.stop_propagation();
        let (Some((all, k, _)), Some((w, h))) = (frame.get_untracked(), size.get_untracked()) else { return };
        let (cx, cy) = (all.min_x + e.offset_x() as f64 / k, all.min_y + e.offset_y() as f64 / k);
        editor.view.update(|v| {
            v.x = w / 2.0 - cx * v.k;
            v.y = h / 2.0 - cy * v.k;
        });
    };
    view! {
        <svg class="minimap" width=W height=H on:pointerdown=click aria-label="Overview">
            <path class="minimap-nodes" d=boxes/>
            {seen}
        </svg>
    }
}
