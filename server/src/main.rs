//! `webplus`: the Web+ server and its admin commands.

/// jemalloc instead of glibc's malloc. Measured with `cargo bench -p server --bench streams`,
/// 2026-12-06, at 5,000 streams on 2 cores (a noisy machine: each figure is one run): added p99
/// 1,308 and 2,358 ms with glibc, 449, 1,042 and 1,245 ms with jemalloc (2.5–4.0× the bare
/// pass-through's p99 in the same run with glibc, 1.5–2.2× with jemalloc); CPU per 1,000 tokens
/// 16.4–16.8 ms vs 14.6–15.5 ms. It costs 3–5 KB more resident memory per open stream. mimalloc
/// was as fast in one run (484 ms, 15.3 ms) but held 59 KB per stream against glibc's 47.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    // First, before any code built with AVX2/FMA/F16C can run (see `cpu`).
    let missing = server::cpu::missing_features();
    if !missing.is_empty() {
        eprintln!("{}", server::cpu::message(&missing));
        return std::process::ExitCode::from(3);
    }
    server::cli::main()
}
