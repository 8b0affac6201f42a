//! Human diagnostics with miette: the source line, a label on the exact key or value, help,
//! and one summary line. Sources are read through a line index (miette's default lookup scans
//! the file from the start for every diagnostic) and with secrets masked.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use owo_colors::OwoColorize;
use rayon::prelude::*;

use super::{Counts, RenderOptions};
use crate::diag::InputError;
use crate::finding::{Finding, Severity};
use crate::report::Report;
use crate::source::{SourceFile, SourceMap, Span};

/// A file's (masked) text with its line index, as miette reads it.
struct IndexedSource {
    name: String,
    text: Arc<String>,
    line_starts: Arc<Vec<usize>>,
}

impl IndexedSource {
    fn new(file: &SourceFile) -> Self {
        let text = file.display_text();
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        IndexedSource {
            name: file.display.clone(),
            text,
            line_starts: Arc::new(line_starts),
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    fn line_end(&self, line: usize) -> usize {
        self.line_starts
            .get(line + 1)
            .map(|s| s - 1)
            .unwrap_or(self.text.len())
    }
}

impl SourceCode for IndexedSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let end = start + span.len();
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = self.line_of(start);
        let last_line = self.line_of(end.saturating_sub(1).max(start));
        let (data_start, column) = if before == 0 {
            let line_start = self.line_starts[first_line];
            (start, self.text[line_start..start].chars().count())
        } else {
            (self.line_starts[first_line.saturating_sub(before)], 0)
        };
        let end_line = (last_line + after).min(self.line_starts.len() - 1);
        let data_end = self.line_end(end_line).max(data_start);
        let data = &self.text.as_bytes()[data_start..data_end];
        let start_line = if before == 0 {
            first_line
        } else {
            first_line.saturating_sub(before)
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            (data_start, data_end - data_start).into(),
            start_line,
            column,
            end_line - start_line + 1,
        )))
    }
}

/// One diagnostic as miette wants it.
struct Diag {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<IndexedSource>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag>,
}

impl fmt::Debug for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|d| d as &dyn Diagnostic))
                as Box<dyn Iterator<Item = &'a dyn Diagnostic>>
        })
    }
}

/// Sources indexed once per file, only for files that have something to show; then shared
/// read-only by the threads rendering diagnostics.
struct Sources<'a> {
    map: &'a SourceMap,
    cache: std::collections::HashMap<u32, (Arc<String>, Arc<Vec<usize>>)>,
}

impl<'a> Sources<'a> {
    fn new(map: &'a SourceMap, spans: impl Iterator<Item = Span>) -> Self {
        let mut wanted: Vec<u32> = spans
            .map(|s| s.file.0)
            .filter(|f| (*f as usize) < map.len())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let cache = wanted
            .par_iter()
            .map(|&f| {
                let s = IndexedSource::new(map.get(crate::source::FileId(f)));
                (f, (s.text, s.line_starts))
            })
            .collect();
        Sources { map, cache }
    }

    fn source(&self, span: Span) -> Option<IndexedSource> {
        let (text, lines) = self.cache.get(&span.file.0)?.clone();
        Some(IndexedSource {
            name: self.map.get(span.file).display.clone(),
            text,
            line_starts: lines,
        })
    }
}

fn miette_severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn to_source_span(span: Span) -> SourceSpan {
    (span.start as usize, span.len()).into()
}

fn finding_diag(f: &Finding, sources: &Sources<'_>) -> Diag {
    let mut labels = Vec::new();
    let mut related = Vec::new();
    let source = f.location.and_then(|s| sources.source(s));
    if let (Some(loc), Some(_)) = (f.location, &source) {
        labels.push(LabeledSpan::new_primary_with_span(
            f.label.clone(),
            to_source_span(loc),
        ));
        for (span, label) in &f.related {
            if span.file == loc.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(label.clone()),
                    to_source_span(*span),
                ));
            } else if let Some(src) = sources.source(*span) {
                related.push(Diag {
                    code: String::new(),
                    message: label.clone(),
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Some(src),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        Some(label.clone()),
                        to_source_span(*span),
                    )],
                    related: Vec::new(),
                });
            }
        }
    }
    Diag {
        code: format!("{}[{}]", f.severity, f.rule.id),
        message: f.message.clone(),
        severity: miette_severity(f.severity),
        help: f.help.clone(),
        source,
        labels,
        related,
    }
}

fn error_diag(e: &InputError, sources: &Sources<'_>) -> Diag {
    let e = &e.clone().scrubbed();
    let source = sources.source(e.span);
    let mut labels = Vec::new();
    let mut message = e.message.clone();
    if source.is_some() {
        let label = (!e.path.is_empty()).then(|| e.path.clone());
        labels.push(LabeledSpan::new_primary_with_span(
            label,
            to_source_span(e.span),
        ));
        if let Some((span, text)) = e.related.as_deref() {
            if span.file == e.span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(text.clone()),
                    to_source_span(*span),
                ));
            }
        }
    } else if !e.path.is_empty() {
        message = format!("{message} (at `{}`)", e.path);
    }
    Diag {
        code: "error[invalid-input]".to_string(),
        message,
        severity: miette::Severity::Error,
        help: e.help.clone(),
        source,
        labels,
        related: Vec::new(),
    }
}

/// Renders the report for a terminal.
pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false)
        .with_context_lines(1);
    let spans = report.errors.iter().map(|e| e.span).chain(
        report
            .findings
            .iter()
            .flat_map(|f| f.location.into_iter().chain(f.related.iter().map(|r| r.0))),
    );
    let sources = Sources::new(&report.sources, spans);
    let mut out = String::new();
    for f in &report.failures {
        let _ = writeln!(
            out,
            "{}: {}: {}\n",
            paint("error", opts, Severity::Error),
            f.path,
            f.message
        );
    }
    for e in &report.errors {
        let d = error_diag(e, &sources);
        let _ = handler.render_report(&mut out, &d);
        out.push('\n');
    }
    // Each diagnostic renders on its own; the order of the output is kept.
    let rendered: Vec<String> = report
        .findings
        .par_iter()
        .filter(|f| !(opts.quiet && f.severity < opts.fail_on))
        .map(|f| {
            let mut s = String::new();
            let _ = handler.render_report(&mut s, &finding_diag(f, &sources));
            s.push('\n');
            s
        })
        .collect();
    for s in rendered {
        out.push_str(&s);
    }
    if !opts.quiet {
        out.push_str(&summary_line(report, opts));
        out.push('\n');
    }
    out
}

fn paint(text: &str, opts: &RenderOptions, severity: Severity) -> String {
    if !opts.color {
        return text.to_string();
    }
    match severity {
        Severity::Error => text.red().bold().to_string(),
        Severity::Warning => text.yellow().bold().to_string(),
        Severity::Info => text.cyan().bold().to_string(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `Checked 3 files, 12 tokens: 2 errors, 5 warnings, 1 info.`
pub fn summary_line(report: &Report, opts: &RenderOptions) -> String {
    let c = Counts::of(report);
    let mut parts = Vec::new();
    if c.error > 0 {
        parts.push(paint(
            &plural(c.error, "error", "errors"),
            opts,
            Severity::Error,
        ));
    }
    if c.warning > 0 {
        parts.push(paint(
            &plural(c.warning, "warning", "warnings"),
            opts,
            Severity::Warning,
        ));
    }
    if c.info > 0 {
        parts.push(paint(&format!("{} info", c.info), opts, Severity::Info));
    }
    if !report.suppressed.is_empty() {
        parts.push(format!("{} suppressed", report.suppressed.len()));
    }
    let findings = if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    };
    let mut line = match &report.scan {
        None => format!(
            "Checked {}, {}: {findings}",
            plural(report.files, "file", "files"),
            plural(report.tokens, "token", "tokens")
        ),
        Some(stats) => {
            let mut skipped = Vec::new();
            if stats.skipped_binary > 0 {
                skipped.push(format!("{} binary", stats.skipped_binary));
            }
            if stats.skipped_large > 0 {
                skipped.push(format!("{} over the size limit", stats.skipped_large));
            }
            format!(
                "Scanned {}{}: {findings}",
                plural(report.files, "file", "files"),
                if skipped.is_empty() {
                    String::new()
                } else {
                    format!(" ({} skipped)", skipped.join(", "))
                }
            )
        }
    };
    if let Some(b) = &report.baseline {
        if b.fixed > 0 {
            let _ = write!(
                line,
                "; {} no longer {} anything (fixed)",
                plural(b.fixed, "baseline entry", "baseline entries"),
                if b.fixed == 1 { "matches" } else { "match" }
            );
        }
    }
    let problems = report.errors.len() + report.failures.len();
    if problems > 0 {
        let _ = write!(
            line,
            "; {} kept the run from completing",
            plural(problems, "problem", "problems")
        );
    }
    line.push('.');
    line
}
