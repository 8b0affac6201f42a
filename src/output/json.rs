//! `--format json`: the versioned document of SPEC §6. These types are frozen: the internal
//! model may change, this shape may only grow.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

use crate::redact::scrub;

use super::Counts;
use crate::report::Report;
use crate::source::{SourceMap, Span};

pub const VERSION: u32 = 1;

/// The document: findings, suppressed findings and errors are sequences read from the report
/// as they are serialised. [`write`] lays it out without serialising it whole.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub version: u32,
    pub tool: Tool,
    pub as_of: String,
    pub findings: Findings<'a>,
    /// Findings silenced by an ignore or the baseline, with how.
    pub suppressed: SuppressedList<'a>,
    /// Input that could not be read or understood (the run exits 2).
    pub errors: Errors<'a>,
    pub summary: Summary,
}

/// `findings`, one [`JsonFinding`] at a time; or, `spliced`, the mark [`write`] puts them in
/// place of.
pub struct Findings<'a> {
    report: &'a Report,
    spliced: bool,
}

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.spliced {
            return super::pretty::Mark.serialize(s);
        }
        s.collect_seq(self.report.findings.iter().map(|f| finding(self.report, f)))
    }
}

/// `suppressed`, one at a time.
pub struct SuppressedList<'a>(&'a Report);

impl Serialize for SuppressedList<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = self.0;
        s.collect_seq(report.suppressed.iter().map(|s| JsonSuppressed {
            finding: finding(report, &s.finding),
            suppression: JsonSuppression {
                kind: s.by.kind.as_str(),
                reason: scrub(&s.by.reason),
                location: s.by.span.and_then(|sp| location(&report.sources, sp)),
            },
        }))
    }
}

/// `errors`: the failures, then the input errors.
pub struct Errors<'a>(&'a Report);

impl Serialize for Errors<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = self.0;
        let failures = report.failures.iter().map(|f| JsonError {
            file: Some(scrub(&f.path)),
            message: scrub(&f.message),
            help: None,
            path: None,
            location: None,
        });
        let errors = report.errors.iter().map(|e| JsonError {
            file: ((e.span.file.0 as usize) < report.sources.len())
                .then(|| scrub(&report.sources.get(e.span.file).display)),
            // Errors quote user input: redact anything shaped like a secret.
            message: scrub(&e.message),
            help: e.help.as_deref().map(scrub),
            path: (!e.path.is_empty()).then(|| scrub(&e.path)),
            location: location(&report.sources, e.span),
        });
        s.collect_seq(failures.chain(errors))
    }
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
    pub message: Cow<'a, str>,
    pub help: Option<Cow<'a, str>>,
    pub token: Option<Cow<'a, str>>,
    pub account_type: Option<&'static str>,
    pub environment: Option<Cow<'a, str>>,
    pub scope: Option<Cow<'a, str>>,
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
    pub reason: Cow<'a, str>,
    /// Where the ignore is (absent for the baseline).
    pub location: Option<Location<'a>>,
}

#[derive(Serialize)]
pub struct JsonError<'a> {
    /// The file it concerns, when there is one.
    pub file: Option<Cow<'a, str>>,
    pub message: Cow<'a, str>,
    pub help: Option<Cow<'a, str>>,
    /// Where in the document (`tokens[3].scopes[1]`), when known.
    pub path: Option<Cow<'a, str>>,
    pub location: Option<Location<'a>>,
}

/// One-based lines and columns (columns count characters); `end_column` is exclusive.
#[derive(Serialize)]
pub struct Location<'a> {
    /// Scrubbed: a file or directory name may hold anything.
    pub path: Cow<'a, str>,
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
    /// Files the walk found that are not token definitions (no top-level `account`/`tokens`).
    pub skipped: usize,
    /// How the suppressed findings were silenced.
    pub suppressed_by: SuppressedBy,
    /// What the baseline did, when one was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
}

#[derive(Serialize, Default)]
pub struct SuppressedBy {
    pub inline: usize,
    pub config: usize,
    pub baseline: usize,
}

#[derive(Serialize)]
pub struct BaselineSummary {
    /// Findings the baseline accepted.
    pub matched: usize,
    /// Entries that match nothing any more.
    pub fixed: usize,
}

pub fn location(sources: &SourceMap, span: Span) -> Option<Location<'_>> {
    if span.file.0 as usize >= sources.len() {
        return None;
    }
    let f = sources.get(span.file);
    let start = f.line_col(span.start as usize);
    let end = f.line_col(span.end as usize);
    Some(Location {
        path: scrub(&f.display),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    })
}

/// A finding as the document shows it. Findings are scrubbed when built; every text is
/// scrubbed again here so that no path into this document can leak.
fn finding<'a>(report: &'a Report, f: &'a crate::finding::Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule.id,
        severity: f.severity.as_str(),
        message: scrub(&f.message),
        help: f.help.as_deref().map(scrub),
        token: f.token.as_deref().map(scrub),
        account_type: f.account_type.map(|t| t.as_str()),
        environment: f.environment.as_deref().map(scrub),
        scope: f.scope.as_deref().map(scrub),
        location: f.location.and_then(|s| location(&report.sources, s)),
        fingerprint: &f.fingerprint,
    }
}

pub fn build(report: &Report) -> JsonReport<'_> {
    let counts = Counts::of(report);
    JsonReport {
        version: VERSION,
        tool: Tool {
            name: "scopeward",
            version: env!("CARGO_PKG_VERSION"),
        },
        as_of: report.as_of.to_string(),
        findings: Findings {
            report,
            spliced: false,
        },
        suppressed: SuppressedList(report),
        errors: Errors(report),
        summary: Summary {
            files: report.files,
            tokens: report.tokens,
            error: counts.error,
            warning: counts.warning,
            info: counts.info,
            suppressed: report.suppressed.len(),
            skipped: report.skipped.len(),
            suppressed_by: suppressed_by(report),
            baseline: report.baseline.as_ref().map(|b| BaselineSummary {
                matched: b.matched,
                fixed: b.fixed,
            }),
        },
    }
}

pub fn suppressed_by(report: &Report) -> SuppressedBy {
    let mut by = SuppressedBy::default();
    for s in &report.suppressed {
        match s.by.kind {
            crate::report::SuppressionKind::Inline => by.inline += 1,
            crate::report::SuppressionKind::Config => by.config += 1,
            crate::report::SuppressionKind::Baseline => by.baseline += 1,
        }
    }
    by
}

/// Writes the document (pretty-printed, then a line feed), its findings serialised in
/// parallel a chunk at a time and written in order ([`super::pretty`]): byte for byte what
/// serde_json prints for [`build`]'s document.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut doc = build(report);
    doc.findings.spliced = true;
    super::pretty::write_spliced(out, &doc, "findings", |depth| {
        super::par_map_ordered(&report.findings, move |f| {
            super::pretty::at_depth(&finding(report, f), depth)
        })
    })
}
