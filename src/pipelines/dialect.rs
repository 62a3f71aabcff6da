//! The template dialect of pipelines: minijinja templates and expressions, audited before they
//! are saved or run so that no template can make a value grow without bound. minijinja's fuel
//! limits the work a template does and the output is capped as it is written, but neither limits
//! memory: `~`, `+` and `*` on text, `{% set %}` and chained `tojson` can double a value again and
//! again from a few lines of template. What is left is Jinja for writing prompts: variables,
//! attributes and items, `if` and `for`, comparisons and arithmetic that cannot repeat text, a
//! list of filters that cannot either, and `range`. Anything else gets a message that says what
//! to use instead (a Code node computes values, with its own limits).

use std::collections::HashSet;

use minijinja::machinery::{
    WhitespaceConfig,
    ast::{BinOpKind, CallArg, Expr, Stmt},
    parse, parse_expr,
};
use minijinja::syntax::SyntaxConfig;

/// Filters that keep a value's size within a constant factor of what they are given.
const FILTERS: &[&str] = &[
    "upper",
    "lower",
    "title",
    "capitalize",
    "trim",
    "length",
    "count",
    "first",
    "last",
    "default",
    "d",
    "round",
    "abs",
    "int",
    "float",
    "bool",
    "list",
    "sort",
    "reverse",
    "unique",
    "dictsort",
    "items",
    "lines",
    "split",
    "min",
    "max",
    "sum",
    "select",
    "reject",
    "selectattr",
    "rejectattr",
    "attr",
    "safe",
    "groupby",
    "zip",
    // These write a value out as text: at most once on the way to the output (see `grown`).
    "string",
    "join",
    "tojson",
    "escape",
    "e",
    "urlencode",
];
/// Filters that write a whole value out (a list's items each in full, quotes escaped).
const WRITERS: &[&str] = &["string", "join", "tojson", "escape", "e", "urlencode"];
/// Items one list or map literal may have.
const MAX_LITERAL_ITEMS: usize = 16;
/// The longest template or expression.
pub const MAX_SOURCE_CHARS: usize = 20_000;

/// Why a template is refused.
type Refusal = String;

/// Checks a template: it parses, and it uses only the dialect.
pub fn audit_template(source: &str) -> Result<(), Refusal> {
    if source.chars().count() > MAX_SOURCE_CHARS {
        return Err(format!("is longer than {MAX_SOURCE_CHARS} characters"));
    }
    // `default()`: a unit struct here, a struct of delimiters under minijinja's `custom_syntax`.
    #[allow(clippy::default_constructed_unit_structs)]
    let syntax = SyntaxConfig::default();
    let ast =
        parse(source, "<template>", syntax, WhitespaceConfig::default()).map_err(|e| format!("is not valid: {e}"))?;
    Audit::default().stmt(&ast)
}

/// Checks an expression (a Condition's, a Switch case's, a Loop's `until`).
pub fn audit_expression(source: &str) -> Result<(), Refusal> {
    if source.chars().count() > MAX_SOURCE_CHARS {
        return Err(format!("is longer than {MAX_SOURCE_CHARS} characters"));
    }
    let ast = parse_expr(source).map_err(|e| format!("is not valid: {e}"))?;
    Audit::default().expr(&ast).map(|_| ())
}

#[derive(Default, Clone)]
struct Audit {
    /// Loop variables bound to values a writer filter made (writing them out again is refused).
    grown: HashSet<String>,
}

impl Audit {
    fn stmts(&self, stmts: &[Stmt<'_>]) -> Result<(), Refusal> {
        stmts.iter().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&self, stmt: &Stmt<'_>) -> Result<(), Refusal> {
        match stmt {
            Stmt::Template(t) => self.stmts(&t.children),
            Stmt::EmitExpr(e) => self.expr(&e.expr).map(|_| ()),
            Stmt::EmitRaw(_) => Ok(()),
            Stmt::IfCond(c) => {
                self.expr(&c.expr)?;
                self.stmts(&c.true_body)?;
                self.stmts(&c.false_body)
            }
            Stmt::ForLoop(f) => {
                if f.recursive {
                    return Err("uses a recursive loop, which pipeline templates do not have".into());
                }
                let grown = self.expr(&f.iter)?;
                let mut inner = self.clone();
                if grown {
                    names(&f.target, &mut inner.grown);
                }
                if let Some(filter) = &f.filter_expr {
                    inner.expr(filter)?;
                }
                inner.stmts(&f.body)?;
                self.stmts(&f.else_body)
            }
            Stmt::Set(_) | Stmt::SetBlock(_) | Stmt::WithBlock(_) => {
                Err("uses `set` or `with`, which pipeline templates do not have; compute the value in a Code node"
                    .into())
            }
            Stmt::Macro(_) | Stmt::CallBlock(_) => Err("uses macros, which pipeline templates do not have".into()),
            _ => Err("uses a tag pipeline templates do not have (only `if` and `for`)".into()),
        }
    }

    /// Checks an expression; true when its value was written out by a writer filter.
    fn expr(&self, expr: &Expr<'_>) -> Result<bool, Refusal> {
        match expr {
            Expr::Var(v) => Ok(self.grown.contains(v.id)),
            Expr::Const(_) => Ok(false),
            Expr::Slice(s) => {
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part)?;
                }
                self.expr(&s.expr)
            }
            Expr::UnaryOp(u) => self.expr(&u.expr),
            Expr::BinOp(b) => {
                let op = match b.op {
                    BinOpKind::Concat => Some("~"),
                    BinOpKind::Add => Some("+"),
                    BinOpKind::Mul => Some("*"),
                    BinOpKind::Pow => Some("**"),
                    _ => None,
                };
                if let Some(op) = op {
                    return Err(format!(
                        "uses `{op}`, which pipeline templates do not have (it can repeat text without end); \
                         write the parts next to each other, or compute numbers in a Code node"
                    ));
                }
                Ok(self.expr(&b.left)? | self.expr(&b.right)?)
            }
            Expr::Compare(c) => {
                self.expr(&c.expr)?;
                for op in &c.ops {
                    self.expr(&op.expr)?;
                }
                Ok(false)
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr)?;
                let a = self.expr(&i.true_expr)?;
                let b = match &i.false_expr {
                    Some(e) => self.expr(e)?,
                    None => false,
                };
                Ok(a || b)
            }
            Expr::Filter(f) => {
                if !FILTERS.contains(&f.name) {
                    return Err(format!("uses the filter `{}`, which pipeline templates do not have", f.name));
                }
                let given = match &f.expr {
                    Some(e) => self.expr(e)?,
                    None => false,
                };
                let args = self.args(&f.args)?;
                let writer = WRITERS.contains(&f.name);
                if writer && (given || args) {
                    return Err(format!("writes out with `{}` a value already written out; do it once", f.name));
                }
                Ok(writer || given || args)
            }
            Expr::Test(t) => {
                self.expr(&t.expr)?;
                self.args(&t.args)?;
                Ok(false)
            }
            Expr::GetAttr(g) => self.expr(&g.expr),
            Expr::GetItem(g) => {
                self.expr(&g.subscript_expr)?;
                self.expr(&g.expr)
            }
            Expr::Call(c) => match &c.expr {
                Expr::Var(v) if v.id == "range" => self.args(&c.args).map(|_| false),
                _ => Err("calls a function; pipeline templates have only `range`".into()),
            },
            Expr::List(l) => {
                if l.items.len() > MAX_LITERAL_ITEMS {
                    return Err(format!("has a list of more than {MAX_LITERAL_ITEMS} items"));
                }
                let mut grown = false;
                for item in &l.items {
                    grown |= self.expr(item)?;
                }
                Ok(grown)
            }
            Expr::Map(m) => {
                if m.keys.len() > MAX_LITERAL_ITEMS {
                    return Err(format!("has a map of more than {MAX_LITERAL_ITEMS} items"));
                }
                let mut grown = false;
                for e in m.keys.iter().chain(&m.values) {
                    grown |= self.expr(e)?;
                }
                Ok(grown)
            }
        }
    }

    fn args(&self, args: &[CallArg<'_>]) -> Result<bool, Refusal> {
        let mut grown = false;
        for arg in args {
            match arg {
                CallArg::Pos(e) | CallArg::Kwarg(_, e) => grown |= self.expr(e)?,
                CallArg::PosSplat(_) | CallArg::KwargSplat(_) => {
                    return Err("uses `*args` or `**kwargs`, which pipeline templates do not have".into());
                }
            }
        }
        Ok(grown)
    }
}

/// The names a loop binds (`x`, or `k, v`).
fn names(target: &Expr<'_>, out: &mut HashSet<String>) {
    match target {
        Expr::Var(v) => {
            out.insert(v.id.to_owned());
        }
        Expr::List(l) => l.items.iter().for_each(|i| names(i, out)),
        _ => {}
    }
}
