//! `webplus`: the Web+ server and its admin commands.

fn main() -> std::process::ExitCode {
    // First, before any code built with AVX2/FMA/F16C can run (see `cpu`).
    let missing = server::cpu::missing_features();
    if !missing.is_empty() {
        eprintln!("{}", server::cpu::message(&missing));
        return std::process::ExitCode::from(3);
    }
    server::cli::main()
}
