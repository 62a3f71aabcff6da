//! `webplus`: the Web+ server and its admin commands.

fn main() -> std::process::ExitCode {
    server::cli::main()
}
