//! Human diagnostics with miette: the source line, a label on the exact key or value, help,
//! and one summary line. Sources are read through a line index (miette's default lookup scans
//! the file from the start for every diagnostic) and with secrets masked.

use crate::source::plural;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use owo_colors::OwoColorize;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{Counts, RenderOptions};
use crate::diag::InputError;
use crate::finding::{Finding, Needs, Severity};
use crate::report::Report;
use crate::source::{SourceFile, SourceMap, Span};

mod snippet;

/// What a snippet shows of a file: only the lines its labels are on (with one line of context
/// around them in a token definition file), each cut to at most
/// [`crate::inert::SNIPPET_LINE_MAX`] characters around what it points at, with secrets masked
/// and control characters made visible ([`crate::inert::snippet_line`]). Miette reads this
/// small text instead of the file; label spans are mapped into it, and it reports the lines'
/// real numbers and columns.
struct Excerpt {
    name: String,
    text: String,
    lines: Vec<ExcerptLine>,
}

#[derive(Clone, Copy)]
struct ExcerptLine {
    /// Where the line starts in the excerpt, and where its shown text starts (after `…`).
    start: usize,
    content: usize,
    /// Where its shown text ends in the excerpt, and where the line ends (after a closing `…`,
    /// before its line feed).
    end: usize,
    after: usize,
    /// Zero-based line number in the file.
    line: usize,
    /// The run of consecutive lines it belongs to (context never crosses into another).
    group: usize,
    /// Characters of the file's line left out before the shown text.
    cut_chars: usize,
    /// Where the file's line starts, and the shown part of it (byte offsets in the file).
    line_start: usize,
    from: usize,
    to: usize,
    /// Where the file's line ends, and whether a line feed follows it.
    line_end: usize,
    newline: bool,
}

impl Excerpt {
    /// The excerpt of `file` (its display text `text`, its name as a terminal shows it
    /// `name`) for labels at `spans`.
    fn new(file: &SourceFile, name: &str, text: &str, spans: &[Span], context: usize) -> Excerpt {
        let last = file.line_count().saturating_sub(1);
        let mut wanted: Vec<(usize, Option<usize>)> = Vec::new();
        for s in spans {
            let (start, end) = (s.start as usize, (s.end as usize).max(s.start as usize));
            let first = file.line_index(start);
            let stop = file.line_index(end.saturating_sub(1).max(start));
            for l in first.saturating_sub(context)..=(stop + context).min(last) {
                let focus = (l == first)
                    .then_some(start)
                    .or_else(|| (first..=stop).contains(&l).then(|| file.line_start(l)));
                wanted.push((l, focus));
            }
        }
        wanted.sort_unstable_by_key(|(l, focus)| (*l, focus.is_none(), *focus));
        wanted.dedup_by_key(|(l, _)| *l);
        let mut out = Excerpt {
            name: name.to_owned(),
            text: String::new(),
            lines: Vec::with_capacity(wanted.len()),
        };
        let mut group = 0;
        for (i, &(l, focus)) in wanted.iter().enumerate() {
            if i > 0 && wanted[i - 1].0 + 1 != l {
                group += 1;
            }
            out.push_line(file, text, l, focus, group);
        }
        out
    }

    fn push_line(
        &mut self,
        file: &SourceFile,
        text: &str,
        l: usize,
        focus: Option<usize>,
        group: usize,
    ) {
        let range = file.line_range(l);
        let line = &text[range.clone()];
        let focus = focus.map_or(0, |f| f.saturating_sub(range.start).min(line.len()));
        let window = crate::inert::snippet_window(line, focus..focus);
        // Mask what a scan finds in the window and a little around it (a secret cut by the
        // window's edge is still found), then keep the window.
        let (wide_start, wide_end) = (
            floor(line, window.start.saturating_sub(64)),
            ceil(line, (window.end + 64).min(line.len())),
        );
        let masked = crate::inert::snippet_line(&line[wide_start..wide_end]);
        // Masking keeps the byte length but not where characters start (a `…` may sit where
        // the original had three one-byte characters): cut on the masked text's boundaries.
        let shown = &masked[floor(&masked, window.start - wide_start)
            ..floor(&masked, window.end - wide_start)
                .max(floor(&masked, window.start - wide_start))];
        let start = self.text.len();
        if window.start > 0 {
            self.text.push('…');
        }
        let content = self.text.len();
        self.text.push_str(shown);
        let end = self.text.len();
        if window.end < line.len() {
            self.text.push('…');
        }
        let after = self.text.len();
        let newline = text
            .as_bytes()
            .get(range.end..)
            .is_some_and(|rest| rest.first() == Some(&b'\n') || rest.starts_with(b"\r\n"));
        if newline {
            self.text.push('\n');
        }
        self.lines.push(ExcerptLine {
            start,
            content,
            end,
            line: l,
            group,
            after,
            cut_chars: line[..window.start].chars().count(),
            line_start: range.start,
            from: range.start + window.start,
            to: range.start + window.end,
            line_end: range.end,
            newline,
        });
    }

    /// Where a file offset is in the excerpt: clamped to the shown part of its line; past the
    /// end of the line (a span that takes in its line feed), after the excerpt's line feed.
    fn map(&self, offset: usize) -> usize {
        let i = match self.lines.binary_search_by(|l| l.line_start.cmp(&offset)) {
            Ok(i) => i,
            Err(0) => return self.lines.first().map_or(0, |l| l.content),
            Err(i) => i - 1,
        };
        let l = &self.lines[i];
        if offset <= l.from {
            l.content
        } else if offset <= l.to {
            // Within the shown part, and on a character of the (masked) excerpt.
            floor(&self.text, (l.content + (offset - l.from)).min(l.end))
        } else if offset <= l.line_end {
            l.end
        } else {
            l.after + usize::from(l.newline)
        }
    }

    fn span(&self, span: Span) -> SourceSpan {
        let start = self.map(span.start as usize);
        let end = self
            .map((span.end as usize).max(span.start as usize))
            .max(start);
        (start, end - start).into()
    }

    fn line_of(&self, offset: usize) -> usize {
        match self.lines.binary_search_by(|l| l.start.cmp(&offset)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    fn line_data_end(&self, i: usize) -> usize {
        self.lines[i].after
    }
}

fn floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// What [`Excerpt::read_span`] gives miette for a span, `before` and `after` lines around it:
/// the excerpt's bytes `data`, the zero-based line and column it starts at, and how many lines
/// it holds.
struct Window {
    data: std::ops::Range<usize>,
    line: usize,
    column: usize,
    lines: usize,
}

impl Excerpt {
    /// The lines around `start..start + len` that miette reads; `None` where it would be out
    /// of bounds.
    fn window(&self, start: usize, len: usize, before: usize, after: usize) -> Option<Window> {
        let end = start + len;
        if end > self.text.len() || self.lines.is_empty() {
            return None;
        }
        let first = self.line_of(start);
        let last = self.line_of(end.saturating_sub(1).max(start));
        let group = self.lines[first].group;
        let mut from = first;
        while before > 0 && from > 0 && first - from < before && self.lines[from - 1].group == group
        {
            from -= 1;
        }
        let mut to = last;
        while to - last < after && to + 1 < self.lines.len() && self.lines[to + 1].group == group {
            to += 1;
        }
        let (data_start, column) = if before == 0 {
            let l = &self.lines[first];
            let at = start.max(l.content);
            (
                start,
                l.cut_chars
                    + self.text[l.content..at.min(l.end.max(l.content))]
                        .chars()
                        .count(),
            )
        } else {
            (self.lines[from].start, 0)
        };
        let data_end = self.line_data_end(to).max(data_start);
        let start_line = if before == 0 { first } else { from };
        Some(Window {
            data: data_start..data_end,
            line: self.lines[start_line].line,
            column,
            lines: to - start_line + 1,
        })
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let w = self
            .window(span.offset(), span.len(), before, after)
            .ok_or(MietteError::OutOfBounds)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[w.data.clone()],
            (w.data.start, w.data.len()).into(),
            w.line,
            w.column,
            w.lines,
        )))
    }
}

/// One diagnostic as miette wants it.
struct Diag {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Excerpt>,
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

/// Each file's display text (secrets masked), made once for the files that have something
/// to show, then shared read-only by the threads rendering diagnostics; and which files are
/// token definitions (the others show no context lines).
struct Sources<'a> {
    map: &'a SourceMap,
    /// Each file's display text and its name as a terminal shows it.
    texts: FxHashMap<u32, (Arc<String>, String)>,
    definitions: FxHashSet<u32>,
}

impl<'a> Sources<'a> {
    fn new(report: &'a Report, spans: impl Iterator<Item = Span>) -> Self {
        let map = &report.sources;
        let mut wanted: Vec<u32> = spans
            .map(|s| s.file.0)
            .filter(|f| (*f as usize) < map.len())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let texts = wanted
            .par_iter()
            .map(|&f| {
                let file = map.get(crate::source::FileId(f));
                let name = crate::inert::terminal_line(&file.display).into_owned();
                (f, (file.display_text(), name))
            })
            .collect();
        // A file that findings about tokens point into was understood (a definition, the
        // policy, a listing); one that only input errors or scan hits point into may be
        // anything (a file named by mistake, any file of a tree): it shows only the lines
        // pointed at.
        let definitions = report
            .findings
            .iter()
            .filter(|f| f.rule.needs != Needs::Scan)
            .flat_map(|f| f.location.into_iter().chain(f.related.iter().map(|r| r.0)))
            .map(|s| s.file.0)
            .collect();
        Sources {
            map,
            texts,
            definitions,
        }
    }

    /// The excerpt of one file that shows `spans` (all in that file).
    fn excerpt(&self, spans: &[Span]) -> Option<Excerpt> {
        let file = spans.first()?.file;
        let (text, name) = self.texts.get(&file.0)?;
        let context = usize::from(self.definitions.contains(&file.0));
        Some(Excerpt::new(self.map.get(file), name, text, spans, context))
    }
}

fn miette_severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn text(s: &str) -> String {
    crate::inert::terminal(s).into_owned()
}

/// `f` as miette wants it, and the footer [`SharedTexts::new`] made for its help, left out of the
/// diagnostic to be put after it.
fn finding_diag<'s>(
    f: &Finding,
    sources: &Sources<'_>,
    shared: &'s SharedTexts,
) -> (Diag, Option<&'s str>) {
    let mut labels = Vec::new();
    let mut related = Vec::new();
    let mut source = None;
    if let Some(loc) = f.location {
        let here: Vec<Span> = std::iter::once(loc)
            .chain(f.related.iter().map(|r| r.0).filter(|s| s.file == loc.file))
            .collect();
        source = sources.excerpt(&here);
    }
    if let (Some(loc), Some(ex)) = (f.location, &source) {
        labels.push(LabeledSpan::new_primary_with_span(
            f.label.as_ref().map(|l| shared.text(l)),
            ex.span(loc),
        ));
        for (span, label) in &f.related {
            if span.file == loc.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(text(label)),
                    ex.span(*span),
                ));
            } else if let Some(src) = sources.excerpt(&[*span]) {
                let at = src.span(*span);
                related.push(Diag {
                    code: String::new(),
                    message: text(label),
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Some(src),
                    labels: vec![LabeledSpan::new_primary_with_span(Some(text(label)), at)],
                    related: Vec::new(),
                });
            }
        }
    }
    // The footer is the last thing miette writes unless related diagnostics follow it.
    let footer = f
        .help
        .as_ref()
        .filter(|_| related.is_empty())
        .and_then(|h| shared.footer(h));
    let diag = Diag {
        code: format!("{}[{}]", f.severity, f.rule.id),
        message: text(&f.message),
        severity: miette_severity(f.severity),
        help: f
            .help
            .as_ref()
            .filter(|_| footer.is_none())
            .map(|h| shared.text(h)),
        source,
        labels,
        related,
    };
    (diag, footer)
}

fn error_diag(e: &InputError, sources: &Sources<'_>) -> Diag {
    let mut here = vec![e.span];
    if let Some((span, _)) = e.related.as_deref() {
        if span.file == e.span.file {
            here.push(*span);
        }
    }
    let source = sources.excerpt(&here);
    let mut labels = Vec::new();
    let mut message = text(&e.message);
    if let Some(ex) = &source {
        let label = (!e.path.is_empty()).then(|| text(&e.path));
        labels.push(LabeledSpan::new_primary_with_span(label, ex.span(e.span)));
        if let Some((span, label)) = e.related.as_deref() {
            if span.file == e.span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(text(label)),
                    ex.span(*span),
                ));
            }
        }
    } else if !e.path.is_empty() {
        message = format!("{message} (at `{}`)", text(&e.path));
    }
    Diag {
        code: "error[invalid-input]".to_string(),
        message,
        severity: miette::Severity::Error,
        help: e.help.as_deref().map(text),
        source,
        labels,
        related: Vec::new(),
    }
}

/// miette's wrapping, done beforehand. miette wraps a diagnostic's message after its severity
/// icon (`  × `, then `  │ `) and its help after `  help: ` (then 8 spaces), to the terminal
/// width less 2, with textwrap: words split at spaces only, placed first-fit, never broken.
/// Laid out the same way here, and handed to miette with its own wrapping off (it then puts
/// the same indents before each line), a text comes out byte for byte as miette wraps it —
/// without textwrap's per-word bookkeeping, a fifth of the time human output took. A text
/// with a control character, a line break or surrounding spaces is left to miette.
struct Wrap {
    /// Columns of the first line and of the others: the message, by severity; the help.
    error: (usize, usize),
    warning: (usize, usize),
    advice: (usize, usize),
    help: (usize, usize),
}

impl Wrap {
    fn new(theme: &GraphicalTheme, width: usize) -> Self {
        let room = |indent: &str| {
            width
                .saturating_sub(2)
                .saturating_sub(textwrap::core::display_width(indent))
        };
        let c = &theme.characters;
        let rest = room(&format!("  {} ", c.vbar));
        Wrap {
            error: (room(&format!("  {} ", c.error)), rest),
            warning: (room(&format!("  {} ", c.warning)), rest),
            advice: (room(&format!("  {} ", c.advice)), rest),
            help: (room("  help: "), room("        ")),
        }
    }

    /// `text` in lines of at most `first` and then `rest` columns, as textwrap's first-fit
    /// places words split at spaces (a word wider than its line has a line of its own);
    /// `None` for a text miette must wrap itself.
    fn lines(text: &str, (first, rest): (usize, usize)) -> Option<String> {
        if text.is_empty()
            || text.starts_with(' ')
            || text.ends_with(' ')
            || text.chars().any(char::is_control)
        {
            return None;
        }
        let mut out = String::with_capacity(text.len() + 8);
        let (mut room, mut used, mut line_start) = (first, 0usize, true);
        for word in text.split(' ') {
            if word.is_empty() {
                // A run of spaces: the first one separated the words, the others belong to
                // the whitespace after the word before.
                if !line_start {
                    out.push(' ');
                    used += 1;
                }
                continue;
            }
            let w = textwrap::core::display_width(word);
            if !line_start {
                if used + 1 + w > room {
                    // Trailing spaces of the line are dropped.
                    let kept = out.trim_end_matches(' ').len();
                    out.truncate(kept);
                    out.push('\n');
                    room = rest;
                    used = 0;
                } else {
                    out.push(' ');
                    used += 1;
                }
            }
            out.push_str(word);
            used += w;
            line_start = false;
        }
        Some(out)
    }

    /// Lays out `diag`'s texts (and its related diagnostics') in lines, for a handler that
    /// does not wrap; or, when one of them must be wrapped by miette, leaves it as it is and
    /// says so.
    fn lay_out_all(&self, diag: &mut Diag) -> bool {
        let mut texts = Vec::new();
        if self.lay_out(diag, &mut texts).is_none() {
            return false;
        }
        Self::put(diag, &mut texts.into_iter());
        true
    }

    /// Each text of `diag` laid out, in the order [`Self::put`] puts them back.
    fn lay_out(&self, diag: &Diag, out: &mut Vec<String>) -> Option<()> {
        let room = match diag.severity {
            miette::Severity::Error => self.error,
            miette::Severity::Warning => self.warning,
            miette::Severity::Advice => self.advice,
        };
        out.push(Self::lines(&diag.message, room)?);
        if let Some(h) = &diag.help {
            out.push(Self::lines(h, self.help)?);
        }
        for r in &diag.related {
            self.lay_out(r, out)?;
        }
        Some(())
    }

    fn put(diag: &mut Diag, texts: &mut impl Iterator<Item = String>) {
        diag.message = texts.next().unwrap_or_default();
        if diag.help.is_some() {
            diag.help = texts.next();
        }
        for r in &mut diag.related {
            Self::put(r, texts);
        }
    }
}

/// Writes the report for a terminal as it is rendered.
pub fn write(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let render = Render::new(opts);
    let spans = report.errors.iter().map(|e| e.span).chain(
        report
            .findings
            .iter()
            .flat_map(|f| f.location.into_iter().chain(f.related.iter().map(|r| r.0))),
    );
    let sources = Sources::new(report, spans);
    for f in &report.failures {
        writeln!(
            out,
            "{}: {}: {}\n",
            paint("error", opts, Severity::Error),
            crate::inert::terminal_line(&f.path),
            crate::inert::terminal_line(&f.message)
        )?;
    }
    for e in &report.errors {
        let mut s = String::new();
        let _ = render
            .wrapping
            .render_report(&mut s, &error_diag(e, &sources));
        s.push('\n');
        out.write_all(s.as_bytes())?;
    }
    // Each diagnostic renders on its own, a chunk at a time in parallel; the order is kept.
    let shown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| !(opts.quiet && f.severity < opts.fail_on))
        .map(|f| &**f)
        .collect();
    let shared = SharedTexts::new(&shown, &render);
    for s in super::par_map_ordered(&shown, |f| {
        let mut s = String::new();
        let (diag, footer) = finding_diag(f, &sources, &shared);
        render.diag(diag, &mut s);
        s.push_str(footer.unwrap_or_default());
        s.push('\n');
        s
    }) {
        out.write_all(s.as_bytes())?;
    }
    if !opts.quiet {
        writeln!(out, "{}", summary_line(report, opts))?;
    }
    Ok(())
}

/// miette's handler, the same without wrapping, and the layout that picks between them; the
/// pen drawn with where they are not used ([`snippet::draw`]).
struct Render {
    wrap: Wrap,
    pen: snippet::Pen,
    wrapping: GraphicalReportHandler,
    unwrapped: GraphicalReportHandler,
}

impl Render {
    fn new(opts: &RenderOptions) -> Self {
        let theme = if opts.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let wrap = Wrap::new(&theme, opts.width);
        let wrapping = GraphicalReportHandler::new_themed(theme.clone())
            .with_width(opts.width)
            .with_break_words(false)
            .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
            .with_word_separator(textwrap::WordSeparator::AsciiSpace)
            .with_links(false)
            .with_context_lines(1);
        let unwrapped = wrapping.clone().with_wrap_lines(false);
        Render {
            wrap,
            pen: snippet::Pen::new(&theme),
            wrapping,
            unwrapped,
        }
    }

    /// Writes `diag` as miette renders it with wrapping: laid out beforehand where it can be,
    /// and then, in the common shape, drawn without miette.
    fn diag(&self, mut diag: Diag, out: &mut String) {
        if !self.wrap.lay_out_all(&mut diag) {
            let _ = self.wrapping.render_report(out, &diag);
        } else if !snippet::draw(&diag, &self.pen, out) {
            let _ = self.unwrapped.render_report(out, &diag);
        }
    }

    /// What miette writes for `help` at the end of a diagnostic (its footer): a diagnostic
    /// rendered with it, less the same rendered without it. `None` if that is not a suffix.
    fn footer(&self, help: &str) -> Option<String> {
        let bare = |help| Diag {
            code: String::new(),
            message: "x".into(),
            severity: miette::Severity::Advice,
            help,
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        let (mut with, mut without) = (String::new(), String::new());
        self.diag(bare(Some(help.to_string())), &mut with);
        self.diag(bare(None), &mut without);
        with.strip_prefix(&without).map(str::to_string)
    }
}

/// The texts findings share — one [`crate::finding::Shared`] per distinct help or label, from
/// the rule's template — made ready once per report rather than once per finding: each as
/// the terminal shows it, and a help's footer as miette renders it. A text only one finding
/// holds is made where it is used.
struct SharedTexts {
    texts: FxHashMap<usize, String>,
    footers: FxHashMap<usize, String>,
}

impl SharedTexts {
    fn key(t: &crate::finding::Shared) -> usize {
        Arc::as_ptr(t).cast::<u8>() as usize
    }

    fn new(shown: &[&Finding], render: &Render) -> Self {
        // Keyed by where the text is: every finding holding it holds the same `Arc`, and the
        // findings outlive this map.
        let mut seen: FxHashMap<usize, (&crate::finding::Shared, bool, u32)> = Default::default();
        for f in shown {
            for (t, help) in [(&f.help, true), (&f.label, false)] {
                if let Some(t) = t {
                    let e = seen.entry(Self::key(t)).or_insert((t, false, 0));
                    e.1 |= help;
                    e.2 += 1;
                }
            }
        }
        let repeated: Vec<(usize, &crate::finding::Shared, bool)> = seen
            .into_iter()
            .filter(|(_, (_, _, n))| *n > 1)
            .map(|(k, (t, help, _))| (k, t, help))
            .collect();
        let texts: FxHashMap<usize, String> =
            repeated.par_iter().map(|(k, t, _)| (*k, text(t))).collect();
        let footers = repeated
            .par_iter()
            .filter(|(_, _, help)| *help)
            .filter_map(|(k, _, _)| Some((*k, render.footer(&texts[k])?)))
            .collect();
        SharedTexts { texts, footers }
    }

    /// `t` as the terminal shows it.
    fn text(&self, t: &crate::finding::Shared) -> String {
        match self.texts.get(&Self::key(t)) {
            Some(made) => made.clone(),
            None => text(t),
        }
    }

    fn footer(&self, help: &crate::finding::Shared) -> Option<&str> {
        self.footers.get(&Self::key(help)).map(String::as_str)
    }
}

/// [`write`] into a string.
pub fn render(report: &Report, opts: &RenderOptions) -> String {
    super::to_string(|out| write(report, opts, out))
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
        let by = super::json::suppressed_by(report);
        let how: Vec<String> = [
            (by.baseline, "by the baseline"),
            (by.inline, "inline"),
            (by.config, "in scopeward.toml"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        parts.push(format!(
            "{} suppressed ({})",
            report.suppressed.len(),
            how.join(", ")
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(message: String, help: Option<String>, severity: miette::Severity) -> Diag {
        Diag {
            code: "warning[x]".into(),
            message,
            severity,
            help,
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        }
    }

    /// A copy of a diagnostic without a source (all these tests make).
    fn copy(d: &Diag) -> Diag {
        Diag {
            code: d.code.clone(),
            message: d.message.clone(),
            severity: d.severity,
            help: d.help.clone(),
            source: None,
            labels: Vec::new(),
            related: d.related.iter().map(copy).collect(),
        }
    }

    /// Words the texts of generated diagnostics are made of.
    const WORDS: &[&str] = &[
        "a",
        "token",
        "`promo-code-exception-lists:read`",
        "界界",
        "é",
        "e\u{301}",
        "×",
        "https://x.example/a/very/long/path/that/is/wider/than/a/narrow/line",
        " ",
        "2026-11-05",
        "--include-refused",
    ];

    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) as usize % n
        }
        fn severity(&mut self) -> miette::Severity {
            [
                miette::Severity::Error,
                miette::Severity::Warning,
                miette::Severity::Advice,
            ][self.next(3)]
        }
        /// Words until the text is `target` columns wide or more.
        fn text(&mut self, target: usize) -> String {
            let mut t = String::new();
            while textwrap::core::display_width(&t) < target {
                if !t.is_empty() {
                    t.push(' ');
                }
                t.push_str(WORDS[self.next(WORDS.len())]);
            }
            t
        }
    }

    fn renderer(color: bool, width: usize) -> Render {
        Render::new(&RenderOptions {
            color,
            width,
            quiet: false,
            fail_on: Severity::Warning,
        })
    }

    /// Wherever [`Wrap`] lays a diagnostic out, miette without wrapping prints it as miette
    /// prints the original with wrapping: texts of every length about the width, with wide
    /// and combining characters, runs of spaces, URLs and scope names wider than a line, at
    /// many widths, with and without colour. Texts with control characters or spaces at an
    /// end are left to miette.
    #[test]
    fn laying_out_beforehand_changes_nothing() {
        let mut rng = Rng(7);
        let (mut laid_out, mut multi_line, mut left) = (0, 0, 0);
        for _ in 0..4000 {
            let width = 20 + rng.next(100);
            // From a fraction of a line to a few lines.
            let target = |rng: &mut Rng| rng.next(3 * width);
            let message = {
                let at = target(&mut rng);
                let mut m = rng.text(at.max(1));
                // Now and then a control character, or a space at an end.
                match rng.next(16) {
                    0 => m.insert(m.find(' ').unwrap_or(0), '\t'),
                    1 => m.push(' '),
                    2 => m.insert(0, ' '),
                    _ => {}
                }
                m
            };
            let help = (rng.next(2) == 0).then(|| {
                let at = target(&mut rng);
                rng.text(at.max(1))
            });
            let severity = rng.severity();
            let mut d = diag(message, help, severity);
            if rng.next(4) == 0 {
                let at = target(&mut rng);
                let related = rng.text(at.max(1));
                d.related
                    .push(diag(related, None, miette::Severity::Advice));
            }
            for theme in [GraphicalTheme::unicode_nocolor(), GraphicalTheme::unicode()] {
                let wrap = Wrap::new(&theme, width);
                let handler = GraphicalReportHandler::new_themed(theme)
                    .with_width(width)
                    .with_break_words(false)
                    .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
                    .with_word_separator(textwrap::WordSeparator::AsciiSpace)
                    .with_links(false);
                let mut wrapped = String::new();
                handler.render_report(&mut wrapped, &d).unwrap();
                let mut ours = copy(&d);
                if !wrap.lay_out_all(&mut ours) {
                    left += 1;
                    continue;
                }
                laid_out += 1;
                multi_line += usize::from(ours.message.contains('\n'));
                let mut printed = String::new();
                handler
                    .clone()
                    .with_wrap_lines(false)
                    .render_report(&mut printed, &ours)
                    .unwrap();
                assert_eq!(
                    printed, wrapped,
                    "width {width}: {:?} / {:?}",
                    d.message, d.help
                );
            }
        }
        assert!(
            laid_out > 4000 && multi_line > 1000 && left > 300,
            "{laid_out} laid out ({multi_line} over several lines), {left} left to miette"
        );
    }

    /// A help's footer made once and put after a diagnostic rendered without it gives what
    /// miette renders with the help: helps of every length about the width, after messages
    /// laid out or left to miette, at many widths, with and without colour.
    #[test]
    fn a_footer_made_once_is_what_miette_writes_for_the_help() {
        let mut rng = Rng(11);
        let mut made = 0;
        for _ in 0..2000 {
            let width = 20 + rng.next(100);
            let at = 1 + rng.next(3 * width);
            let mut message = rng.text(at);
            if rng.next(8) == 0 {
                message.push(' ');
            }
            let at = 1 + rng.next(3 * width);
            let mut help = rng.text(at);
            if rng.next(8) == 0 {
                help.insert(0, ' ');
            }
            let severity = rng.severity();
            for color in [false, true] {
                let render = renderer(color, width);
                let mut whole = String::new();
                render.diag(
                    diag(message.clone(), Some(help.clone()), severity),
                    &mut whole,
                );
                let Some(footer) = render.footer(&help) else {
                    continue;
                };
                made += 1;
                let mut put = String::new();
                render.diag(diag(message.clone(), None, severity), &mut put);
                put.push_str(&footer);
                assert_eq!(put, whole, "width {width}: {message:?} / {help:?}");
                if let Some(word) = help.split(' ').find(|w| !w.is_empty()) {
                    assert!(footer.contains(word), "{footer:?} / {help:?}");
                }
            }
        }
        assert!(made > 3900, "{made} footers made");
    }

    /// The common diagnostic drawn without miette ([`snippet::draw`]) is byte for byte what
    /// miette draws, and whatever is not common is left to miette: generated files with tabs,
    /// wide, combining and emoji characters, lines longer than a snippet shows, empty lines,
    /// CRLF, escapes and secret-shaped strings; spans empty, mid-line, to a line's end, over
    /// its line feed, over several lines and at the end of the file; one or two labels, with
    /// and without text; context 0 and 1; at many widths, with and without colour.
    #[test]
    fn drawing_the_common_diagnostic_is_what_miette_draws() {
        const PIECES: &[&str] = &[
            "name: prod",
            "scopes:",
            "  - ",
            "\t",
            "界界",
            "e\u{301}",
            "😀",
            " ",
            "é",
            "\u{1b}[31m",
            "Xk3vQ9mZ2pL7rT4wY8nB5cF1hJ6dS0aE",
            "promo-code-exception-lists:read",
            "#",
            "\r",
        ];
        let mut rng = Rng(23);
        let (mut drawn, mut left, mut coloured) = (0, 0, 0);
        for case in 0..5000 {
            let mut text = String::new();
            for line in 0..1 + rng.next(6) {
                if line > 0 {
                    text.push_str(if rng.next(8) == 0 { "\r\n" } else { "\n" });
                }
                match rng.next(10) {
                    0 => {}
                    1 => text.push_str(&"x".repeat(200 + rng.next(200))),
                    _ => {
                        for _ in 0..rng.next(8) {
                            text.push_str(PIECES[rng.next(PIECES.len())]);
                        }
                    }
                }
            }
            if rng.next(2) == 0 {
                text.push('\n');
            }
            let file = SourceFile::new(format!("defs/t{case}.yaml"), None, text.clone());
            let span = |rng: &mut Rng| {
                let start = floor(&text, rng.next(text.len() + 1));
                let end = match rng.next(5) {
                    0 => start,
                    1 => text[start..].find('\n').map_or(text.len(), |i| start + i),
                    2 => text[start..]
                        .find('\n')
                        .map_or(text.len(), |i| start + i + 1),
                    3 => text.len(),
                    _ => floor(&text, (start + 1 + rng.next(12)).min(text.len())),
                };
                Span::new(crate::source::FileId(0), start, end)
            };
            let spans: Vec<Span> = (0..1 + usize::from(rng.next(5) == 0))
                .map(|_| span(&mut rng))
                .collect();
            let label: Vec<Option<String>> = spans
                .iter()
                .map(|_| match rng.next(6) {
                    0 => None,
                    1 => Some("two\nlines".to_string()),
                    _ => {
                        let n = 1 + rng.next(30);
                        Some(rng.text(n))
                    }
                })
                .collect();
            let context = rng.next(2);
            let width = 20 + rng.next(120);
            let at = 1 + rng.next(2 * width);
            let message = rng.text(at);
            let at = 1 + rng.next(2 * width);
            let help = (rng.next(2) == 0).then(|| rng.text(at));
            let severity = rng.severity();
            let code = if rng.next(20) == 0 {
                ""
            } else {
                "warning[unused-token]"
            };
            let related = rng.next(20) == 0;
            let make = || {
                let ex = Excerpt::new(&file, &file.display, &text, &spans, context);
                let labels = spans
                    .iter()
                    .zip(&label)
                    .map(|(s, l)| LabeledSpan::new_with_span(l.clone(), ex.span(*s)))
                    .collect();
                let mut d = diag(message.clone(), help.clone(), severity);
                d.code = code.into();
                d.source = Some(ex);
                d.labels = labels;
                if related {
                    d.related.push(diag("and".into(), None, severity));
                }
                d
            };
            for color in [false, true] {
                let render = renderer(color, width);
                let mut d = make();
                if !render.wrap.lay_out_all(&mut d) {
                    continue;
                }
                let mut theirs = String::new();
                render.unwrapped.render_report(&mut theirs, &d).unwrap();
                let mut ours = "kept".to_string();
                if snippet::draw(&d, &render.pen, &mut ours) {
                    drawn += 1;
                    coloured += usize::from(color);
                    assert_eq!(
                        &ours["kept".len()..],
                        theirs,
                        "{text:?} {spans:?} {label:?}"
                    );
                } else {
                    left += 1;
                    assert_eq!(ours, "kept");
                }
            }
        }
        assert!(
            drawn > 3500 && coloured > 1700 && left > 4000,
            "{drawn} drawn ({coloured} in colour), {left} left to miette"
        );
    }
}
