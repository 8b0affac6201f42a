//! `--format github`: GitHub Actions workflow commands, one annotation per finding
//! (`::error file=…,line=…,col=…,title=…::message`), written as they are made. The CLI also
//! appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when it is set. Messages and
//! properties are escaped by [`crate::inert`] as the runner decodes them.

use std::io::{self, Write};

use super::json::location;
use crate::finding::Severity;
use crate::inert::{workflow_data as data, workflow_property as property};
use crate::report::Report;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for e in &report.errors {
        let mut props = String::from("title=scopeward: invalid input");
        if let Some(l) = location(&report.sources, e.span) {
            props.push_str(&format!(
                ",file={},line={},col={}",
                property(&l.path),
                l.line,
                l.column
            ));
        }
        let mut message = e.message.clone();
        if let Some(h) = &e.help {
            message.push('\n');
            message.push_str(h);
        }
        writeln!(out, "::error {props}::{}", data(&message))?;
    }
    for f in &report.failures {
        writeln!(
            out,
            "::error title=scopeward::{}",
            data(&format!("{}: {}", f.path, f.message))
        )?;
    }
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        write!(out, "::{command} title=scopeward {}", f.rule.id)?;
        if let Some(l) = f.location.and_then(|s| location(&report.sources, s)) {
            write!(
                out,
                ",file={},line={},col={},endLine={},endColumn={}",
                property(&l.path),
                l.line,
                l.column,
                l.end_line,
                l.end_column
            )?;
        }
        out.write_all(b"::")?;
        out.write_all(data(&f.message).as_bytes())?;
        if let Some(h) = &f.help {
            out.write_all(b"%0Ahelp: ")?;
            out.write_all(data(h).as_bytes())?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping() {
        assert_eq!(super::data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(super::property("a:b,c"), "a%3Ab%2Cc");
    }
}
