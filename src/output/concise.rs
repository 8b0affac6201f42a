//! `--format concise`: one line per finding, `PATH:LINE:COL: SEVERITY[RULE] MESSAGE`, as
//! compilers and ruff print them; input errors the same way (`error[invalid-input]`), problems
//! with no place as `PATH: error: MESSAGE`; then the summary line.

use std::io::{self, Write};

use super::RenderOptions;
use super::json::location;
use crate::inert::terminal_line;
use crate::report::Report;

pub fn write(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    for e in &report.errors {
        place(out, report, Some(e.span))?;
        writeln!(out, "error[invalid-input] {}", terminal_line(&e.message))?;
    }
    for f in &report.failures {
        writeln!(
            out,
            "{}: error: {}",
            terminal_line(&f.path),
            terminal_line(&f.message)
        )?;
    }
    for f in &report.findings {
        if opts.quiet && f.severity < opts.fail_on {
            continue;
        }
        place(out, report, f.location)?;
        writeln!(
            out,
            "{}[{}] {}",
            f.severity.as_str(),
            f.rule.id,
            terminal_line(&f.message)
        )?;
    }
    if !opts.quiet {
        let plain = RenderOptions {
            color: false,
            ..opts.clone()
        };
        writeln!(out, "{}", super::human::summary_line(report, &plain))?;
    }
    Ok(())
}

/// `PATH:LINE:COL: `, or `scopeward: ` for what has no place in a file.
fn place(
    out: &mut dyn Write,
    report: &Report,
    span: Option<crate::source::Span>,
) -> io::Result<()> {
    match span.and_then(|s| location(&report.sources, s)) {
        Some(l) => write!(out, "{}:{}:{}: ", terminal_line(&l.path), l.line, l.column),
        None => write!(out, "scopeward: "),
    }
}
