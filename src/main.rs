use std::process::ExitCode;

use clap::Parser;

/// Parsing builds many small short-lived allocations; mimalloc serves them faster than the
/// system allocator (measured in benches/check.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = scopeward::cli::Cli::parse();
    ExitCode::from(scopeward::app::run(cli))
}
