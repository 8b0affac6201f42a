use std::process::ExitCode;

use clap::Parser;

/// Parsing builds many small short-lived allocations; mimalloc serves them faster than the
/// system allocator (measured in benches/check.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A panic's message may quote what was being read (a log line, a file, an Auth Token):
    // never print it. Say where it happened, ask for a report, and exit 2.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!(
            "error: scopeward stopped on an internal error{at}. This is a bug; its details are \
             not shown because they may quote your input. Please report it at \
             https://github.com/scopeward/scopeward/issues with the command you ran and this \
             message (not your files)."
        );
    }));
    let code = std::panic::catch_unwind(|| scopeward::app::run(scopeward::cli::Cli::parse()));
    ExitCode::from(code.unwrap_or(scopeward::app::EXIT_ERROR))
}
