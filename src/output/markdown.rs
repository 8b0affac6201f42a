//! `--format markdown`: findings grouped by token in tables, for a pull-request comment (and the
//! GitHub step summary).

use std::fmt::Write as _;

use super::json::location;
use super::{Counts, by_token};
use crate::finding::Severity;
use crate::report::Report;

/// Makes text safe inside a table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn badge(s: Severity) -> &'static str {
    match s {
        Severity::Error => "🔴 error",
        Severity::Warning => "🟠 warning",
        Severity::Info => "🔵 info",
    }
}

pub fn render(report: &Report) -> String {
    let c = Counts::of(report);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## scopeward: {} error{}, {} warning{}, {} info\n",
        c.error,
        if c.error == 1 { "" } else { "s" },
        c.warning,
        if c.warning == 1 { "" } else { "s" },
        c.info
    );
    let _ = write!(
        out,
        "Checked {} file{} and {} token{}",
        report.files,
        if report.files == 1 { "" } else { "s" },
        report.tokens,
        if report.tokens == 1 { "" } else { "s" }
    );
    if !report.suppressed.is_empty() {
        let _ = write!(
            out,
            "; {} finding{} suppressed",
            report.suppressed.len(),
            if report.suppressed.len() == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    out.push_str(".\n");
    if !report.errors.is_empty() || !report.failures.is_empty() {
        out.push_str(
            "\n### Input that could not be checked\n\n| Where | Problem |\n| --- | --- |\n",
        );
        for f in &report.failures {
            let _ = writeln!(out, "| `{}` | {} |", cell(&f.path), cell(&f.message));
        }
        for e in &report.errors {
            let e = e.clone().scrubbed();
            let at = location(&report.sources, e.span).map_or(String::new(), |l| {
                format!("`{}:{}:{}`", cell(l.path), l.line, l.column)
            });
            let _ = writeln!(out, "| {at} | {} |", cell(&e.message));
        }
    }
    for (key, findings) in by_token(report) {
        if findings.is_empty() {
            continue;
        }
        let title = key.map_or("Not about one token".to_string(), |k| k.label());
        let _ = writeln!(out, "\n### {}\n", cell(&title));
        out.push_str("| Severity | Rule | Finding | Where |\n| --- | --- | --- | --- |\n");
        for f in findings {
            let at = f
                .location
                .and_then(|s| location(&report.sources, s))
                .map_or(String::new(), |l| {
                    format!("`{}:{}:{}`", cell(l.path), l.line, l.column)
                });
            let mut text = cell(&f.message);
            if let Some(h) = &f.help {
                let _ = write!(text, "<br>*{}*", cell(h));
            }
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {at} |",
                badge(f.severity),
                f.rule.id,
                text
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_are_escaped() {
        assert_eq!(super::cell("a|b\nc <x>"), "a\\|b c &lt;x&gt;");
    }
}
