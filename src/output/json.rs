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

/// `findings`, one [`JsonFinding`] at a time.
pub struct Findings<'a>(&'a Report);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.findings.iter().map(|f| finding(self.0, f)))
    }
}

/// `suppressed`, one at a time.
pub struct SuppressedList<'a>(&'a Report);

impl<'a> SuppressedList<'a> {
    fn items(&self) -> impl Iterator<Item = JsonSuppressed<'a>> + 'a {
        let report = self.0;
        report.suppressed.iter().map(move |s| JsonSuppressed {
            finding: finding(report, &s.finding),
            suppression: JsonSuppression {
                kind: s.by.kind.as_str(),
                reason: scrub(&s.by.reason),
                location: s.by.span.and_then(|sp| location(&report.sources, sp)),
            },
        })
    }
}

impl Serialize for SuppressedList<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.items())
    }
}

/// `errors`: the failures, then the input errors.
pub struct Errors<'a>(&'a Report);

impl Serialize for Errors<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.items())
    }
}

impl<'a> Errors<'a> {
    fn items(&self) -> impl Iterator<Item = JsonError<'a>> + 'a {
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
        failures.chain(errors)
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
        findings: Findings(report),
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

/// Writes the document, then a line feed, byte for byte as `serde_json::to_writer_pretty`
/// lays out [`build`]'s [`JsonReport`], but a field at a time: each finding is serialised on
/// its own, in parallel a chunk at a time, and only its bytes are written here in order.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = build(report);
    out.write_all(b"{")?;
    field(out, "version", true)?;
    nested(out, &doc.version, 1)?;
    field(out, "tool", false)?;
    nested(out, &doc.tool, 1)?;
    field(out, "as_of", false)?;
    nested(out, &doc.as_of, 1)?;
    field(out, "findings", false)?;
    seq(
        out,
        super::par_map_ordered(&report.findings, |f| element(&finding(report, f))),
        1,
    )?;
    field(out, "suppressed", false)?;
    seq(out, doc.suppressed.items().map(|s| element(&s)), 1)?;
    field(out, "errors", false)?;
    seq(out, doc.errors.items().map(|e| element(&e)), 1)?;
    field(out, "summary", false)?;
    nested(out, &doc.summary, 1)?;
    out.write_all(b"\n}\n")
}

/// Two spaces a level, as serde_json's pretty printer indents.
const INDENT: &[u8] = b"  ";

fn indent(out: &mut dyn Write, depth: usize) -> io::Result<()> {
    for _ in 0..depth {
        out.write_all(INDENT)?;
    }
    Ok(())
}

/// A key of the root object, after the previous entry.
fn field(out: &mut dyn Write, name: &str, first: bool) -> io::Result<()> {
    out.write_all(if first { b"\n" } else { b",\n" })?;
    indent(out, 1)?;
    serde_json::to_writer(&mut *out, name)?;
    out.write_all(b": ")
}

/// `value` pretty-printed alone, then indented to sit at `depth`: the pretty printer puts a
/// line break only between tokens (one inside a string is escaped), so shifting every line
/// after the first gives what it prints for the value in place.
fn at_depth(value: &impl Serialize, depth: usize) -> io::Result<Vec<u8>> {
    let alone = serde_json::to_vec_pretty(value)?;
    let breaks = memchr::memchr_iter(b'\n', &alone).count();
    let mut shifted = Vec::with_capacity(alone.len() + breaks * depth * INDENT.len());
    let mut from = 0;
    for at in memchr::memchr_iter(b'\n', &alone) {
        shifted.extend_from_slice(&alone[from..=at]);
        for _ in 0..depth {
            shifted.extend_from_slice(INDENT);
        }
        from = at + 1;
    }
    shifted.extend_from_slice(&alone[from..]);
    Ok(shifted)
}

fn nested(out: &mut dyn Write, value: &impl Serialize, depth: usize) -> io::Result<()> {
    out.write_all(&at_depth(value, depth)?)
}

/// An element of a list of the root object.
fn element(value: &impl Serialize) -> io::Result<Vec<u8>> {
    at_depth(value, 2)
}

/// A list at `depth`, of elements already laid out one level deeper.
fn seq(
    out: &mut dyn Write,
    items: impl Iterator<Item = io::Result<Vec<u8>>>,
    depth: usize,
) -> io::Result<()> {
    let mut first = true;
    for item in items {
        out.write_all(if first { b"[\n" } else { b",\n" })?;
        indent(out, depth + 1)?;
        out.write_all(&item?)?;
        first = false;
    }
    if first {
        return out.write_all(b"[]");
    }
    out.write_all(b"\n")?;
    indent(out, depth)?;
    out.write_all(b"]")
}
