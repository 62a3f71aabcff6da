//! Templates (Template nodes, LLM prompts) and expressions (Condition, Switch) over a node's
//! inputs, with minijinja: given as text (no loader, so nothing is read from disk), strict about
//! names (a misspelt input is an error, not an empty string), and with fuel so a template cannot
//! loop for ever.

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::{Map, Value};

/// Instructions one render or expression may take (a loop over a million items is refused).
const FUEL: u64 = 5_000_000;
/// The longest text one template may write.
pub const MAX_OUTPUT_CHARS: usize = 1_000_000;

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

/// The template written out with `inputs` (each input by its port name).
pub fn render(template: &str, inputs: &Map<String, Value>) -> Result<String, String> {
    let out = ENV.render_str(template, inputs).map_err(|e| format!("the template failed: {}", describe(&e)))?;
    if out.chars().count() > MAX_OUTPUT_CHARS {
        return Err(format!("the template wrote more than {MAX_OUTPUT_CHARS} characters"));
    }
    Ok(out)
}

/// Whether `expression` holds over `inputs` (Jinja truthiness: false, 0, "", [] and none do not).
pub fn holds(expression: &str, inputs: &Map<String, Value>) -> Result<bool, String> {
    let expr =
        ENV.compile_expression(expression).map_err(|e| format!("the expression is not valid: {}", describe(&e)))?;
    let value = expr.eval(inputs).map_err(|e| format!("the expression failed: {}", describe(&e)))?;
    Ok(value.is_true())
}

/// A syntax check, for saving (the names are checked when it runs).
pub fn check_template(template: &str) -> Result<(), String> {
    ENV.template_from_str(template).map(|_| ()).map_err(|e| format!("the template is not valid: {}", describe(&e)))
}

pub fn check_expression(expression: &str) -> Result<(), String> {
    ENV.compile_expression(expression).map(|_| ()).map_err(|e| format!("the expression is not valid: {}", describe(&e)))
}
