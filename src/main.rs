use std::process::ExitCode;

use clap::Parser;

/// Parsing builds many small short-lived allocations; mimalloc serves them faster than the
/// system allocator (measured in benches/check.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v2's `mimalloc.h` (the crate names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Give freed memory back to the system after 10 ms (what mimalloc's options.c says;
    // MIMALLOC_VERBOSE reports 1000 in effect without this): a check frees the parse trees of
    // big files while it still holds their findings, and the longer delay kept 40–110 MB more
    // resident on 100,000 tokens (benches/check.rs). 0 saves ~20 MB more but doubles the
    // system time.
    // SAFETY: sets a process-wide option of the allocator; no pointer is involved.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
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
