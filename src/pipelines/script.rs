//! Code nodes: Rhai scripts in a sandbox any user may be allowed to use. Rhai has no filesystem,
//! network or process access of its own (none is registered here, and modules are compiled out:
//! `no_module`); the engine limits operations, sizes, nesting and variables, and checks the
//! deadline and cancellation while the script runs. `print` and `debug` go nowhere.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use rhai::{Dynamic, Engine, Scope};
use serde_json::{Map, Value};

use crate::domain::pipeline::Port;

/// Operations one script may take (about a second of simple arithmetic here).
pub const MAX_OPERATIONS: u64 = 20_000_000;
const MAX_STRING_BYTES: usize = 1 << 20;
const MAX_ARRAY_ITEMS: usize = 100_000;
const MAX_MAP_ITEMS: usize = 100_000;
const MAX_CALL_LEVELS: usize = 64;
const MAX_VARIABLES: usize = 1_000;

fn engine(deadline: Instant, cancelled: Arc<AtomicBool>) -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_string_size(MAX_STRING_BYTES);
    engine.set_max_array_size(MAX_ARRAY_ITEMS);
    engine.set_max_map_size(MAX_MAP_ITEMS);
    engine.set_max_call_levels(MAX_CALL_LEVELS);
    engine.set_max_expr_depths(64, 32);
    engine.set_max_variables(MAX_VARIABLES);
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine.on_progress(move |ops| {
        if ops % 4096 == 0 && (cancelled.load(Ordering::Relaxed) || Instant::now() >= deadline) {
            Some(Dynamic::from("stopped"))
        } else {
            None
        }
    });
    engine
}

/// Runs `script` with each input as a variable; it returns a map of its outputs or, with one
/// output, that output's value. Each output is checked against its port's type.
pub fn run(
    script: &str,
    inputs: &Map<String, Value>,
    outputs: &[Port],
    deadline: Instant,
    cancelled: Arc<AtomicBool>,
) -> Result<Map<String, Value>, String> {
    let engine = engine(deadline, cancelled.clone());
    let mut scope = Scope::new();
    for (name, value) in inputs {
        let value = rhai::serde::to_dynamic(value)
            .map_err(|e| format!("the input {name:?} cannot be given to the script: {e}"))?;
        scope.push_dynamic(name.as_str(), value);
    }
    let result: Dynamic = engine.eval_with_scope(&mut scope, script).map_err(|e| match *e {
        rhai::EvalAltResult::ErrorTerminated(..) if cancelled.load(Ordering::Relaxed) => {
            "the run was cancelled".to_owned()
        }
        rhai::EvalAltResult::ErrorTerminated(..) => "the script took longer than its time limit".to_owned(),
        rhai::EvalAltResult::ErrorTooManyOperations(..) => {
            format!("the script took more than {MAX_OPERATIONS} operations (the limit); make it do less")
        }
        other => format!("the script failed: {other}"),
    })?;
    let value: Value =
        rhai::serde::from_dynamic(&result).map_err(|e| format!("the script's result is not data: {e}"))?;
    let mut map = match (value, outputs) {
        (Value::Object(map), _) if outputs.iter().all(|p| map.contains_key(&p.name)) => map,
        (value, [only]) => Map::from_iter([(only.name.clone(), value)]),
        _ => {
            let names: Vec<&str> = outputs.iter().map(|p| p.name.as_str()).collect();
            return Err(format!("the script must return a map with {}", names.join(", ")));
        }
    };
    let mut out = Map::new();
    for port in outputs {
        let value = map.remove(&port.name).unwrap_or(Value::Null);
        if !port.ty.holds(&value) {
            return Err(format!("the script's {:?} is not a {} value", port.name, port.ty.as_str()));
        }
        out.insert(port.name.clone(), value);
    }
    Ok(out)
}

/// A syntax check, for saving.
pub fn check(script: &str) -> Result<(), String> {
    Engine::new().compile(script).map(|_| ()).map_err(|e| format!("the script is not valid: {e}"))
}
