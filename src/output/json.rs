//! `--format json`: the versioned document of SPEC §6. These types are frozen: the internal
//! model may change, this shape may only grow.

use std::borrow::Cow;

use serde::Serialize;

use crate::redact::scrub;

use super::Counts;
use crate::report::Report;
use crate::source::{SourceMap, Span};

pub const VERSION: u32 = 1;

#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub version: u32,
    pub tool: Tool,
    pub as_of: String,
    pub findings: Vec<JsonFinding<'a>>,
    /// Findings silenced by an ignore or the baseline, with how.
    pub suppressed: Vec<JsonSuppressed<'a>>,
    /// Input that could not be read or understood (the run exits 2).
    pub errors: Vec<JsonError<'a>>,
    pub summary: Summary,
}

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub rule: &'static str,
    pub severity: &'static str,
    pub message: &'a str,
    pub help: Option<&'a str>,
    pub token: Option<&'a str>,
    pub account_type: Option<&'static str>,
    pub environment: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub location: Option<Location<'a>>,
    pub fingerprint: &'a str,
}

#[derive(Serialize)]
pub struct JsonSuppressed<'a> {
    #[serde(flatten)]
    pub finding: JsonFinding<'a>,
    pub suppression: JsonSuppression<'a>,
}

#[derive(Serialize)]
pub struct JsonSuppression<'a> {
    /// `inline`, `config` or `baseline`.
    pub kind: &'static str,
    pub reason: &'a str,
    /// Where the ignore is (absent for the baseline).
    pub location: Option<Location<'a>>,
}

#[derive(Serialize)]
pub struct JsonError<'a> {
    /// The file it concerns, when there is one.
    pub file: Option<&'a str>,
    pub message: Cow<'a, str>,
    pub help: Option<Cow<'a, str>>,
    /// Where in the document (`tokens[3].scopes[1]`), when known.
    pub path: Option<Cow<'a, str>>,
    pub location: Option<Location<'a>>,
}

/// One-based lines and columns (columns count characters); `end_column` is exclusive.
#[derive(Serialize)]
pub struct Location<'a> {
    pub path: &'a str,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

#[derive(Serialize)]
pub struct Summary {
    pub files: usize,
    pub tokens: usize,
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    pub suppressed: usize,
}

pub fn location(sources: &SourceMap, span: Span) -> Option<Location<'_>> {
    if span.file.0 as usize >= sources.len() {
        return None;
    }
    let f = sources.get(span.file);
    let start = f.line_col(span.start as usize);
    let end = f.line_col(span.end as usize);
    Some(Location {
        path: &f.display,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    })
}

fn finding<'a>(report: &'a Report, f: &'a crate::finding::Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule.id,
        severity: f.severity.as_str(),
        message: &f.message,
        help: f.help.as_deref(),
        token: f.token.as_deref(),
        account_type: f.account_type.map(|t| t.as_str()),
        environment: f.environment.as_deref(),
        scope: f.scope.as_deref(),
        location: f.location.and_then(|s| location(&report.sources, s)),
        fingerprint: &f.fingerprint,
    }
}

pub fn build(report: &Report) -> JsonReport<'_> {
    let counts = Counts::of(report);
    let mut errors: Vec<JsonError<'_>> = report
        .failures
        .iter()
        .map(|f| JsonError {
            file: Some(&f.path),
            message: Cow::Borrowed(&f.message),
            help: None,
            path: None,
            location: None,
        })
        .collect();
    errors.extend(report.errors.iter().map(|e| {
        JsonError {
            file: ((e.span.file.0 as usize) < report.sources.len())
                .then(|| report.sources.get(e.span.file).display.as_str()),
            // Errors quote user input: redact anything shaped like a secret.
            message: scrub(&e.message),
            help: e.help.as_deref().map(scrub),
            path: (!e.path.is_empty()).then(|| scrub(&e.path)),
            location: location(&report.sources, e.span),
        }
    }));
    JsonReport {
        version: VERSION,
        tool: Tool {
            name: "scopeward",
            version: env!("CARGO_PKG_VERSION"),
        },
        as_of: report.as_of.to_string(),
        findings: report.findings.iter().map(|f| finding(report, f)).collect(),
        suppressed: report
            .suppressed
            .iter()
            .map(|s| JsonSuppressed {
                finding: finding(report, &s.finding),
                suppression: JsonSuppression {
                    kind: s.by.kind.as_str(),
                    reason: &s.by.reason,
                    location: s.by.span.and_then(|sp| location(&report.sources, sp)),
                },
            })
            .collect(),
        errors,
        summary: Summary {
            files: report.files,
            tokens: report.tokens,
            error: counts.error,
            warning: counts.warning,
            info: counts.info,
            suppressed: report.suppressed.len(),
        },
    }
}

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&build(report)).expect("the report serialises");
    s.push('\n');
    s
}
