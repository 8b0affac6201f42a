//! `--format github`: GitHub Actions workflow commands, one annotation per finding
//! (`::error file=…,line=…,col=…,title=…::message`). The CLI also appends the Markdown summary to
//! `$GITHUB_STEP_SUMMARY` when it is set.

use std::fmt::Write as _;

use super::json::location;
use crate::finding::Severity;
use crate::report::Report;

/// Escapes a command's message (GitHub's `escapeData`).
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property (GitHub's `escapeProperty`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for e in &report.errors {
        let e = e.clone().scrubbed();
        let mut props = String::from("title=scopeward: invalid input");
        if let Some(l) = location(&report.sources, e.span) {
            let _ = write!(
                props,
                ",file={},line={},col={}",
                property(l.path),
                l.line,
                l.column
            );
        }
        let mut message = e.message.clone();
        if let Some(h) = &e.help {
            message.push('\n');
            message.push_str(h);
        }
        let _ = writeln!(out, "::error {props}::{}", data(&message));
    }
    for f in &report.failures {
        let _ = writeln!(
            out,
            "::error title=scopeward::{}",
            data(&format!("{}: {}", f.path, f.message))
        );
    }
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = format!("title={}", property(&format!("scopeward {}", f.rule.id)));
        if let Some(l) = f.location.and_then(|s| location(&report.sources, s)) {
            let _ = write!(
                props,
                ",file={},line={},col={},endLine={},endColumn={}",
                property(l.path),
                l.line,
                l.column,
                l.end_line,
                l.end_column
            );
        }
        let mut message = f.message.clone();
        if let Some(h) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        let _ = writeln!(out, "::{command} {props}::{}", data(&message));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping() {
        assert_eq!(super::data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(super::property("a:b,c"), "a%3Ab%2Cc");
    }
}
