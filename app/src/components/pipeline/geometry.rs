//! Where things are on the pipeline canvas: node sizes, port positions, edge curves and the
//! viewport (canvas units to screen pixels). Plain arithmetic, shared by the editor and the run view.

use webplus::domain::pipeline::{Node, Position};

pub const NODE_WIDTH: f64 = 200.0;
pub const HEADER: f64 = 40.0;
pub const ROW: f64 = 22.0;
const FOOT: f64 = 10.0;
pub const MIN_ZOOM: f64 = 0.1;
pub const MAX_ZOOM: f64 = 3.0;

pub fn node_height(node: &Node) -> f64 {
    HEADER + node.inputs().len().max(node.outputs().len()) as f64 * ROW + FOOT
}

/// The centre of input port `i` (left edge) or output port `i` (right edge), relative to the node.
pub fn port_offset(output: bool, i: usize) -> (f64, f64) {
    (if output { NODE_WIDTH } else { 0.0 }, HEADER + i as f64 * ROW + ROW / 2.0)
}

/// A curve from an output port to an input port, leaving right and arriving from the left.
pub fn edge_path(a: (f64, f64), b: (f64, f64)) -> String {
    let dx = ((b.0 - a.0).abs() / 2.0).max(40.0);
    format!("M{:.1} {:.1}C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}", a.0, a.1, a.0 + dx, a.1, b.0 - dx, b.1, b.0, b.1)
}

/// Pan and zoom: a canvas point `p` is drawn at `p * k + (x, y)` on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    pub x: f64,
    pub y: f64,
    pub k: f64,
}

impl Default for Viewport {
    fn default() -> Self {
        Viewport { x: 0.0, y: 0.0, k: 1.0 }
    }
}

impl Viewport {
    pub fn transform(self) -> String {
        format!("translate({:.2} {:.2}) scale({:.4})", self.x, self.y, self.k)
    }

    /// The canvas point under screen point `(sx, sy)` (relative to the canvas element).
    pub fn to_canvas(self, sx: f64, sy: f64) -> (f64, f64) {
        ((sx - self.x) / self.k, (sy - self.y) / self.k)
    }

    /// Zoomed by `factor` (clamped), keeping the canvas point under `(sx, sy)` where it is.
    pub fn zoom_at(self, factor: f64, sx: f64, sy: f64) -> Viewport {
        let k = (self.k * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        let (cx, cy) = self.to_canvas(sx, sy);
        Viewport { x: sx - cx * k, y: sy - cy * k, k }
    }

    /// The viewport that shows `bounds` whole, centred, in a `w`×`h` element (at most 100%).
    pub fn fit(bounds: Bounds, w: f64, h: f64) -> Viewport {
        let margin = 40.0;
        let bw = (bounds.max_x - bounds.min_x).max(1.0);
        let bh = (bounds.max_y - bounds.min_y).max(1.0);
        let k = ((w - 2.0 * margin) / bw).min((h - 2.0 * margin) / bh).clamp(MIN_ZOOM, 1.0);
        Viewport { x: (w - bw * k) / 2.0 - bounds.min_x * k, y: (h - bh * k) / 2.0 - bounds.min_y * k, k }
    }
}

/// A rectangle in canvas units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl Bounds {
    /// The box around nodes at `positions` with `heights` (None when there are none).
    pub fn around(nodes: impl IntoIterator<Item = (Position, f64)>) -> Option<Bounds> {
        nodes.into_iter().fold(None, |b, (p, h)| {
            let (x2, y2) = (p.x + NODE_WIDTH, p.y + h);
            Some(match b {
                None => Bounds { min_x: p.x, min_y: p.y, max_x: x2, max_y: y2 },
                Some(b) => Bounds {
                    min_x: b.min_x.min(p.x),
                    min_y: b.min_y.min(p.y),
                    max_x: b.max_x.max(x2),
                    max_y: b.max_y.max(y2),
                },
            })
        })
    }

    /// The rectangle between two corners in any order.
    pub fn between(a: (f64, f64), b: (f64, f64)) -> Bounds {
        Bounds { min_x: a.0.min(b.0), min_y: a.1.min(b.1), max_x: a.0.max(b.0), max_y: a.1.max(b.1) }
    }

    pub fn intersects(&self, o: &Bounds) -> bool {
        self.min_x <= o.max_x && o.min_x <= self.max_x && self.min_y <= o.max_y && o.min_y <= self.max_y
    }

    pub fn union(&self, o: &Bounds) -> Bounds {
        Bounds {
            min_x: self.min_x.min(o.min_x),
            min_y: self.min_y.min(o.min_y),
            max_x: self.max_x.max(o.max_x),
            max_y: self.max_y.max(o.max_y),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zooming_keeps_the_point_under_the_pointer() {
        let v = Viewport { x: 30.0, y: -10.0, k: 0.8 };
        let before = v.to_canvas(200.0, 150.0);
        let z = v.zoom_at(1.5, 200.0, 150.0);
        let after = z.to_canvas(200.0, 150.0);
        assert!((before.0 - after.0).abs() < 1e-9 && (before.1 - after.1).abs() < 1e-9);
        assert!((z.k - 1.2).abs() < 1e-9);
        assert_eq!(v.zoom_at(100.0, 0.0, 0.0).k, MAX_ZOOM);
    }

    #[test]
    fn fit_shows_the_whole_box_centred() {
        let b = Bounds { min_x: 100.0, min_y: 50.0, max_x: 2100.0, max_y: 1050.0 };
        let v = Viewport::fit(b, 1000.0, 600.0);
        let (x0, y0) = (b.min_x * v.k + v.x, b.min_y * v.k + v.y);
        let (x1, y1) = (b.max_x * v.k + v.x, b.max_y * v.k + v.y);
        assert!(x0 >= 40.0 - 1e-9 && x1 <= 960.0 + 1e-9 && y0 >= 40.0 - 1e-9 && y1 <= 560.0 + 1e-9);
        assert!(((x0 + x1) / 2.0 - 500.0).abs() < 1e-9 && ((y0 + y1) / 2.0 - 300.0).abs() < 1e-9);
        // A small graph is shown at 100%, not blown up.
        assert_eq!(Viewport::fit(Bounds { min_x: 0.0, min_y: 0.0, max_x: 10.0, max_y: 10.0 }, 1000.0, 600.0).k, 1.0);
    }
}
