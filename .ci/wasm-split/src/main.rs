//! `webplus-wasm-split <linked.wasm> <pkg dir> <main out.wasm> <output name>`
//!
//! Reads the WASM that cargo linked (with `--emit-relocs`), writes the lazily loaded chunks and
//! their loader (`__wasm_split.______________________.js`) into `<pkg dir>`, the main module
//! (for wasm-bindgen) to `<main out.wasm>`, and `__wasm_split_manifest.json` (each split point's
//! chunks), which leptos's `HydrationScripts` reads to preload the chunks a page needs.
use std::{path::Path, process::ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, pkg_dir, main_out, output_name] = args.as_slice() else {
        eprintln!("usage: webplus-wasm-split <linked.wasm> <pkg dir> <main out.wasm> <output name>");
        return ExitCode::from(2);
    };
    match split(Path::new(input), Path::new(pkg_dir), Path::new(main_out), output_name) {
        Ok(chunks) => {
            println!("wasm-split: {chunks} chunk(s) written to {pkg_dir}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wasm-split failed on {input}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn split(input: &Path, pkg_dir: &Path, main_out: &Path, output_name: &str) -> Result<usize, Box<dyn std::error::Error>> {
    let wasm = std::fs::read(input)?;
    // Chunks are fetched relative to the main JS module, which is served from the same directory.
    let main_module = format!("./{output_name}.js");
    let mut opts = wasm_split_cli_support::Options::new(&wasm);
    opts.output_dir = pkg_dir;
    opts.main_out_path = main_out;
    opts.main_module = &main_module;
    // The name leptos looks for when it preloads the loader.
    opts.link_name = "./__wasm_split.______________________.js";
    let split = wasm_split_cli_support::transform(opts).map_err(|e| e.to_string())?;
    let manifest = serde_json::to_string_pretty(&split.prefetch_map)?;
    std::fs::write(pkg_dir.join("__wasm_split_manifest.json"), manifest)?;
    Ok(split.split_modules.len())
}
