//! `--format junit`: JUnit XML for CI test-report views. One test case per token (every token
//! checked, so clean ones show as passing); its findings at or above `--fail-on` are failures,
//! the rest are listed in its output. Input errors are errors of a case of their own.

use std::fmt::Write as _;

use super::json::location;
use super::{RenderOptions, by_token};
use crate::finding::Finding;
use crate::report::Report;

/// XML content and attributes escape like HTML's.
use super::escape_markup as xml;

pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let groups = by_token(report);
    let mut cases = String::new();
    let mut tests = 0;
    let mut failures = 0;
    let mut errors = 0;
    for (key, findings) in &groups {
        tests += 1;
        let (name, class) = match key {
            Some(k) => (
                k.name.to_string(),
                format!(
                    "scopeward.{}.{}",
                    k.account_type,
                    k.account.unwrap_or("account")
                ),
            ),
            None => ("definition files".to_string(), "scopeward".to_string()),
        };
        let _ = write!(
            cases,
            "    <testcase name=\"{}\" classname=\"{}\"",
            xml(&name),
            xml(&class)
        );
        let (failing, other): (Vec<&&Finding>, Vec<&&Finding>) =
            findings.iter().partition(|f| f.severity >= opts.fail_on);
        if failing.is_empty() && other.is_empty() {
            cases.push_str("/>\n");
            continue;
        }
        cases.push_str(">\n");
        for f in &failing {
            failures += 1;
            let at = f
                .location
                .and_then(|s| location(&report.sources, s))
                .map_or(String::new(), |l| {
                    format!("{}:{}:{}", l.path, l.line, l.column)
                });
            let mut body = format!("{}: {}\n{at}", f.severity, f.message);
            if let Some(h) = &f.help {
                let _ = write!(body, "\nhelp: {h}");
            }
            let _ = writeln!(
                cases,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                xml(f.rule.id),
                xml(&f.message),
                xml(&body)
            );
        }
        if !other.is_empty() {
            let lines: Vec<String> = other
                .iter()
                .map(|f| format!("{}[{}]: {}", f.severity, f.rule.id, f.message))
                .collect();
            let _ = writeln!(
                cases,
                "      <system-out>{}</system-out>",
                xml(&lines.join("\n"))
            );
        }
        cases.push_str("    </testcase>\n");
    }
    if !report.errors.is_empty() || !report.failures.is_empty() {
        tests += 1;
        cases.push_str("    <testcase name=\"input\" classname=\"scopeward\">\n");
        for f in &report.failures {
            errors += 1;
            let _ = writeln!(
                cases,
                "      <error type=\"input\" message=\"{}\">{}</error>",
                xml(&f.message),
                xml(&f.path)
            );
        }
        for e in &report.errors {
            errors += 1;
            let e = e.clone().scrubbed();
            let at = location(&report.sources, e.span).map_or(String::new(), |l| {
                format!("{}:{}:{}", l.path, l.line, l.column)
            });
            let _ = writeln!(
                cases,
                "      <error type=\"input\" message=\"{}\">{}</error>",
                xml(&e.message),
                xml(&at)
            );
        }
        cases.push_str("    </testcase>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"scopeward\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n  <testsuite name=\"scopeward check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_escaping() {
        assert_eq!(
            super::xml("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}"
        );
    }
}
