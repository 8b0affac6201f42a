use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = scopeward::cli::Cli::parse();
    ExitCode::from(scopeward::app::run(cli))
}
