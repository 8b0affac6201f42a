//! `--format junit`: JUnit XML for CI test-report views. One test case per token (every token
//! checked, so clean ones show as passing); its findings at or above `--fail-on` are failures,
//! the rest are listed in its output. Input errors are errors of a case of their own. The
//! counts are taken first, then the cases written as they are made; every text from an input
//! goes through [`crate::inert::xml`], so the document is well-formed XML 1.0 whatever it says.

use std::io::{self, Write};

use super::json::location;
use super::{RenderOptions, TokenKey, by_token};
use crate::finding::Finding;
use crate::inert::{xml, xml_attr};
use crate::report::Report;

pub fn write(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let groups = by_token(report);
    let input_case = !report.errors.is_empty() || !report.failures.is_empty();
    let tests = groups.len() + usize::from(input_case);
    let failures = groups
        .iter()
        .flat_map(|(_, fs)| fs.iter())
        .filter(|f| f.severity >= opts.fail_on)
        .count();
    let errors = report.errors.len() + report.failures.len();
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"scopeward\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n  <testsuite name=\"scopeward check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\">\n"
    )?;
    // Cases render in parallel and are written in order.
    let cases = super::par_map_ordered(&groups, |(key, findings)| {
        let mut buf = Vec::new();
        case(&mut buf, report, opts, key.as_ref(), findings).map(|()| buf)
    });
    for buf in cases {
        out.write_all(&buf?)?;
    }
    if input_case {
        out.write_all(b"    <testcase name=\"input\" classname=\"scopeward\">\n")?;
        for f in &report.failures {
            writeln!(
                out,
                "      <error type=\"input\" message=\"{}\">{}</error>",
                xml_attr(&f.message),
                xml(&f.path)
            )?;
        }
        for e in &report.errors {
            let at = location(&report.sources, e.span).map_or(String::new(), |l| {
                format!("{}:{}:{}", l.path, l.line, l.column)
            });
            writeln!(
                out,
                "      <error type=\"input\" message=\"{}\">{}</error>",
                xml_attr(&e.message),
                xml(&at)
            )?;
        }
        out.write_all(b"    </testcase>\n")?;
    }
    out.write_all(b"  </testsuite>\n</testsuites>\n")
}

/// One token's test case.
fn case(
    out: &mut dyn Write,
    report: &Report,
    opts: &RenderOptions,
    key: Option<&TokenKey<'_>>,
    findings: &[&Finding],
) -> io::Result<()> {
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
    write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\"",
        xml_attr(&name),
        xml_attr(&class)
    )?;
    if findings.is_empty() {
        return out.write_all(b"/>\n");
    }
    out.write_all(b">\n")?;
    let (failing, other): (Vec<&&Finding>, Vec<&&Finding>) =
        findings.iter().partition(|f| f.severity >= opts.fail_on);
    for f in &failing {
        let at = f
            .location
            .and_then(|s| location(&report.sources, s))
            .map_or(String::new(), |l| {
                format!("{}:{}:{}", l.path, l.line, l.column)
            });
        let mut body = format!("{}: {}\n{at}", f.severity, f.message);
        if let Some(h) = &f.help {
            body.push_str("\nhelp: ");
            body.push_str(h);
        }
        writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            xml_attr(f.rule.id),
            xml_attr(&f.message),
            xml(&body)
        )?;
    }
    if !other.is_empty() {
        let lines: Vec<String> = other
            .iter()
            .map(|f| format!("{}[{}]: {}", f.severity, f.rule.id, f.message))
            .collect();
        writeln!(
            out,
            "      <system-out>{}</system-out>",
            xml(&lines.join("\n"))
        )?;
    }
    out.write_all(b"    </testcase>\n")
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
