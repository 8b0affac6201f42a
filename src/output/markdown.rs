//! `--format markdown`: findings grouped by token in tables, for a pull-request comment (and the
//! GitHub step summary), written as they are made. Every text from an input goes through
//! [`crate::inert::markdown`]: it can end no cell, row or table, and adds no structure.

use std::io::{self, Write};

use super::json::location;
use super::{Counts, by_token};
use crate::finding::Severity;
use crate::inert::{markdown as cell, markdown_code as code};
use crate::report::Report;
use crate::source::{SourceMap, Span};

fn badge(s: Severity) -> &'static str {
    match s {
        Severity::Error => "🔴 error",
        Severity::Warning => "🟠 warning",
        Severity::Info => "🔵 info",
    }
}

fn s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `` `path:line:col` ``, or nothing.
fn at(sources: &SourceMap, span: Option<Span>) -> String {
    span.and_then(|s| location(sources, s))
        .map_or(String::new(), |l| {
            code(&format!("{}:{}:{}", l.path, l.line, l.column))
        })
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let c = Counts::of(report);
    writeln!(
        out,
        "## scopeward: {} error{}, {} warning{}, {} info\n",
        c.error,
        s(c.error),
        c.warning,
        s(c.warning),
        c.info
    )?;
    write!(
        out,
        "Checked {} file{} and {} token{}",
        report.files,
        s(report.files),
        report.tokens,
        s(report.tokens)
    )?;
    if !report.suppressed.is_empty() {
        write!(
            out,
            "; {} finding{} suppressed",
            report.suppressed.len(),
            s(report.suppressed.len())
        )?;
    }
    out.write_all(b".\n")?;
    if !report.errors.is_empty() || !report.failures.is_empty() {
        out.write_all(
            b"\n### Input that could not be checked\n\n| Where | Problem |\n| --- | --- |\n",
        )?;
        for f in &report.failures {
            writeln!(out, "| {} | {} |", code(&f.path), cell(&f.message))?;
        }
        for e in &report.errors {
            let at = at(&report.sources, Some(e.span));
            writeln!(out, "| {at} | {} |", cell(&e.message))?;
        }
    }
    for (key, findings) in by_token(report) {
        if findings.is_empty() {
            continue;
        }
        let title = key.map_or("Not about one token".to_string(), |k| k.label());
        writeln!(out, "\n### {}\n", cell(&title))?;
        out.write_all(b"| Severity | Rule | Finding | Where |\n| --- | --- | --- | --- |\n")?;
        for f in findings {
            let at = at(&report.sources, f.location);
            let mut text = cell(&f.message);
            if let Some(h) = &f.help {
                text.push_str("<br>*");
                text.push_str(&cell(h));
                text.push('*');
            }
            writeln!(
                out,
                "| {} | `{}` | {} | {at} |",
                badge(f.severity),
                f.rule.id,
                text
            )?;
        }
    }
    Ok(())
}

/// The document as a string (the GitHub step summary).
pub fn render(report: &Report) -> String {
    super::to_string(|out| write(report, out))
}
