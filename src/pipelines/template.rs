//! Templates (Template nodes, LLM prompts, retrieval queries) and expressions (Condition, Switch,
//! Loop's `until`) over a node's inputs, with minijinja: given as text (no loader, so nothing is
//! read from disk), strict about names (a misspelt input is an error, not an empty string), in
//! the audited dialect of `dialect.rs` (nothing can grow without bound; checked on save and at
//! every run's start, when the whole definition is), with fuel (no endless
//! loops) and the output capped as it is written.

use std::{io, sync::LazyLock};

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::{Map, Value};

use super::dialect;

/// Instructions one render or expression may take (a loop over a million items is refused).
const FUEL: u64 = 5_000_000;
/// The most one template may write.
pub const MAX_OUTPUT_BYTES: usize = 1 << 20;

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env
});

/// What went wrong, for the user: minijinja's message with the line, nothing else.
fn describe(e: &minijinja::Error) -> String {
    let mut text = e.to_string();
    if let Some(detail) = e.detail()
        && !text.contains(detail)
    {
        text = format!("{text}: {detail}");
    }
    text
}

/// Collects a render, refusing to go past `MAX_OUTPUT_BYTES`.
struct Capped {
    out: Vec<u8>,
    over: bool,
}

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.out.len() + buf.len() > MAX_OUTPUT_BYTES {
            self.over = true;
            return Err(io::Error::other("output limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The template written out with `inputs` (each input by its port name).
/// The dialect was checked when the pipeline was saved and when this run started (`problems`).
pub fn render(template: &str, inputs: &Map<String, Value>) -> Result<String, String> {
    let compiled =
        ENV.template_from_str(template).map_err(|e| format!("the template is not valid: {}", describe(&e)))?;
    let mut out = Capped { out: Vec::new(), over: false };
    if let Err(e) = compiled.render_captured_to(inputs, &mut out) {
        if out.over {
            return Err(format!("the template wrote more than {MAX_OUTPUT_BYTES} bytes (the limit)"));
        }
        return Err(format!("the template failed: {}", describe(&e)));
    }
    String::from_utf8(out.out).map_err(|_| "the template wrote text that is not UTF-8".to_owned())
}

/// Whether `expression` holds over `inputs` (Jinja truthiness: false, 0, "", [] and none do not).
/// The dialect was checked as for `render`.
pub fn holds(expression: &str, inputs: &Map<String, Value>) -> Result<bool, String> {
    let expr =
        ENV.compile_expression(expression).map_err(|e| format!("the expression is not valid: {}", describe(&e)))?;
    let value = expr.eval(inputs).map_err(|e| format!("the expression failed: {}", describe(&e)))?;
    Ok(value.is_true())
}

/// The template's syntax and dialect, for saving (the names are checked when it runs).
pub fn check_template(template: &str) -> Result<(), String> {
    dialect::audit_template(template).map_err(|why| format!("the template {why}"))
}

pub fn check_expression(expression: &str) -> Result<(), String> {
    dialect::audit_expression(expression).map_err(|why| format!("the expression {why}"))
}
