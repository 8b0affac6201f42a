//! The common diagnostic drawn here, byte for byte as miette draws it: a code, a message laid
//! out beforehand, one label on one line of one excerpt, and maybe a help — nearly every
//! finding. miette reads its source through `read_span` three times per label, splits it into
//! lines a character at a time and formats each piece through a fresh `String`; for 170,000
//! findings that was most of what human output cost over JSON. Anything else (several labels,
//! a label over several lines, related diagnostics, a label with a line break, a carriage
//! return in the excerpt) is left to miette, and a generated test compares the two.
//!
//! Each step below is the step of miette 7.6's `GraphicalReportHandler` it names, with the
//! same characters and owo-colors styles, so colour codes come out the same.

use std::fmt::Write as _;

use miette::{GraphicalTheme, ThemeCharacters};
use owo_colors::{OwoColorize, Style};
use unicode_width::UnicodeWidthChar;

use super::{Diag, Excerpt, Window};

/// miette's default tab width.
const TAB_WIDTH: usize = 4;

/// A line of a snippet as miette's `get_lines` splits it: its one-based number, where it
/// starts in the excerpt, its length with its line feed, and its text without it.
struct Line<'a> {
    number: usize,
    offset: usize,
    length: usize,
    text: &'a str,
}

impl Line<'_> {
    /// miette's `Line::span_applies`: the span shows on this line.
    fn applies(&self, offset: usize, len: usize) -> bool {
        let spanlen = len.max(1);
        let end = self.offset + self.length;
        (offset >= self.offset && offset < end)
            || (offset < self.offset && offset + spanlen > end)
            || (offset + spanlen > self.offset && offset + spanlen <= end)
    }

    /// miette's `Line::span_line_only`: the span is within this line.
    fn only(&self, offset: usize, len: usize) -> bool {
        offset >= self.offset && offset + len <= self.offset + self.length
    }

    /// miette's `visual_offset`: the column of a byte offset on this line (of the character
    /// it is in: its first column for a start, past it for an end), one past the text for
    /// an offset beyond it.
    fn column(&self, offset: usize, start: bool) -> usize {
        let mut i = offset - self.offset;
        while i <= self.text.len() && !self.text.is_char_boundary(i) {
            if start {
                i -= 1;
            } else {
                i += 1;
            }
        }
        let width: usize = widths(&self.text[..i.min(self.text.len())])
            .map(|(_, w)| w)
            .sum();
        width + usize::from(i > self.text.len())
    }
}

/// miette's `line_visual_char_width`: each character with its width in columns (a tab to
/// the next stop, nothing inside an ANSI escape).
fn widths(text: &str) -> impl Iterator<Item = (char, usize)> + '_ {
    let (mut column, mut escaped) = (0, false);
    text.chars().map(move |c| {
        let width = match (escaped, c) {
            (false, '\t') => TAB_WIDTH - column % TAB_WIDTH,
            (false, '\x1b') => {
                escaped = true;
                0
            }
            (false, c) => c.width().unwrap_or(0),
            (true, 'm') => {
                escaped = false;
                0
            }
            (true, _) => 0,
        };
        column += width;
        (c, width)
    })
}

/// miette's `wrap` with wrapping off: each line of `text` after its indent (trimmed before an
/// empty line), then a line feed.
fn indented(out: &mut String, text: &str, initial: &str, rest: &str) {
    for (i, line) in text.split_terminator('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let indent = if i == 0 { initial } else { rest };
        out.push_str(if line.trim().is_empty() {
            indent.trim_end()
        } else {
            indent
        });
        out.push_str(line);
    }
    if text.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
}

/// A style's escape codes, as owo-colors writes them around what it styles.
struct Paint {
    on: String,
    off: String,
}

impl Paint {
    fn new(style: Style) -> Self {
        Paint {
            on: style.prefix_formatter().to_string(),
            off: style.suffix_formatter().to_string(),
        }
    }

    fn put(&self, out: &mut String, text: &str) {
        out.push_str(&self.on);
        out.push_str(text);
        out.push_str(&self.off);
    }
}

/// What a theme draws with, made once for a report: each style's escape codes and the
/// indents miette formats afresh for every diagnostic.
pub(super) struct Pen {
    chars: ThemeCharacters,
    /// By severity (error, warning, advice): the code's paint, and the message's first and
    /// other lines' indents.
    severities: [(Paint, String, String); 3],
    help: String,
    link: Paint,
    linum: Paint,
    /// The first label's paint; `None` for a theme without highlights (left to miette).
    label: Option<Paint>,
}

impl Pen {
    pub(super) fn new(theme: &GraphicalTheme) -> Self {
        let (styles, chars) = (&theme.styles, &theme.characters);
        let severity = |style: Style, icon: &str| {
            (
                Paint::new(style),
                format!("  {} ", icon.style(style)),
                format!("  {} ", chars.vbar.style(style)),
            )
        };
        Pen {
            chars: chars.clone(),
            severities: [
                severity(styles.error, &chars.error),
                severity(styles.warning, &chars.warning),
                severity(styles.advice, &chars.advice),
            ],
            help: "  help: ".style(styles.help).to_string(),
            link: Paint::new(styles.link),
            linum: Paint::new(styles.linum),
            label: styles.highlights.first().copied().map(Paint::new),
        }
    }
}

fn repeat(out: &mut String, c: char, n: usize) {
    out.extend(std::iter::repeat_n(c, n));
}

/// Writes `diag` as miette's handler with the pen's theme, context lines 1 and wrapping off
/// renders it, when it has the common shape; otherwise writes nothing and says so.
pub(super) fn draw(diag: &Diag, pen: &Pen, out: &mut String) -> bool {
    let Some(common) = Common::of(diag, pen) else {
        return false;
    };
    common.write(pen, out);
    true
}

/// A diagnostic of the common shape, with what drawing it takes: its one label's paint, text
/// and span, the excerpt's lines miette shows around it, and where the label starts.
struct Common<'a> {
    diag: &'a Diag,
    excerpt: &'a Excerpt,
    paint: &'a Paint,
    label: Option<&'a str>,
    offset: usize,
    len: usize,
    lines: Vec<Line<'a>>,
    primary: Window,
}

impl<'a> Common<'a> {
    /// `diag` if it has the common shape; `None` for one left to miette.
    fn of(diag: &'a Diag, pen: &'a Pen) -> Option<Self> {
        let [label] = &diag.labels[..] else {
            return None;
        };
        let ex = diag.source.as_ref()?;
        let paint = pen.label.as_ref()?;
        if diag.code.is_empty()
            || !diag.related.is_empty()
            || label.label().is_some_and(|l| l.contains('\n'))
        {
            return None;
        }
        let (offset, len) = (label.offset(), label.len());
        // `render_snippets` and `get_lines`: the label's lines with one around them.
        let context = ex.window(offset, len, 1, 1)?;
        let data = &ex.text[context.data.clone()];
        // miette splits lines at `\r\n` too; an excerpt has none (lines are cut before a final
        // `\r`, any other is shown as `?`), but should one come, miette draws it.
        if data.is_empty() || data.contains('\r') {
            return None;
        }
        let mut lines = Vec::with_capacity(context.lines);
        let (mut rest, mut at, mut number) = (data, context.data.start, context.line);
        while !rest.is_empty() {
            let (text, length) = match memchr::memchr(b'\n', rest.as_bytes()) {
                Some(i) => (&rest[..i], i + 1),
                None => (rest, rest.len()),
            };
            number += 1;
            lines.push(Line {
                number,
                offset: at,
                length,
                text,
            });
            at += length;
            rest = &rest[length..];
        }
        // One line holds the label whole: miette draws no gutter.
        if lines
            .iter()
            .any(|l| l.applies(offset, len) && !l.only(offset, len))
        {
            return None;
        }
        let primary = ex.window(offset, len, 0, 0)?;
        Some(Common {
            diag,
            excerpt: ex,
            paint,
            label: label.label(),
            offset,
            len,
            lines,
            primary,
        })
    }

    /// Writes the diagnostic as miette draws it.
    fn write(&self, pen: &Pen, out: &mut String) {
        let Common {
            diag,
            excerpt: ex,
            paint,
            label,
            offset,
            len,
            ref lines,
            ref primary,
        } = *self;
        out.reserve(
            diag.code.len()
                + diag.message.len()
                + diag.help.as_ref().map_or(0, String::len)
                + ex.name.len()
                + 4 * lines.iter().map(|l| l.length).sum::<usize>()
                + 256,
        );

        let chars = &pen.chars;
        let (code, initial, rest) = &pen.severities[match diag.severity {
            miette::Severity::Error => 0,
            miette::Severity::Warning => 1,
            miette::Severity::Advice => 2,
        }];
        // `render_header`, `render_causes`.
        code.put(out, &diag.code);
        out.push_str("\n\n");
        indented(out, &diag.message, initial, rest);

        // `render_context`.
        let width = lines.last().map_or(0, |l| l.number).to_string().len();
        repeat(out, ' ', width + 2);
        out.push(chars.ltop);
        out.push(chars.hbar);
        out.push('[');
        out.push_str(&pen.link.on);
        let _ = write!(
            out,
            "{}:{}:{}",
            ex.name,
            primary.line + 1,
            primary.column + 1
        );
        out.push_str(&pen.link.off);
        out.push_str("]\n");
        for line in lines {
            out.push(' ');
            out.push_str(&pen.linum.on);
            let _ = write!(out, "{:width$}", line.number);
            out.push_str(&pen.linum.off);
            out.push(' ');
            out.push(chars.vbar);
            out.push(' ');
            // `render_line_text`: tabs as spaces.
            for (c, w) in widths(line.text) {
                if c == '\t' {
                    repeat(out, ' ', w);
                } else {
                    out.push(c);
                }
            }
            out.push('\n');
            if !line.applies(offset, len) {
                continue;
            }
            // `render_single_line_highlights`.
            let no_number = |out: &mut String| {
                repeat(out, ' ', width + 2);
                out.push(chars.vbar_break);
                out.push(' ');
            };
            no_number(out);
            let start = line.column(offset, true);
            let end = if len == 0 {
                start + 1
            } else {
                line.column(offset + len, false).max(start + 1)
            };
            let middle = (start + end) / 2;
            let mark = if len == 0 {
                chars.uarrow
            } else if label.is_some() {
                chars.underbar
            } else {
                chars.underline
            };
            out.push_str(&paint.on);
            repeat(out, ' ', start);
            repeat(out, chars.underline, middle - start);
            out.push(mark);
            repeat(out, chars.underline, end - middle - 1);
            out.push_str(&paint.off);
            out.push('\n');
            // `write_label_text`.
            if let Some(text) = label {
                no_number(out);
                repeat(out, ' ', middle);
                out.push_str(&paint.on);
                out.push(chars.lbot);
                repeat(out, chars.hbar, 2);
                out.push(' ');
                paint.put(out, text);
                out.push_str(&paint.off);
                out.push('\n');
            }
        }
        repeat(out, ' ', width + 2);
        out.push(chars.lbot);
        repeat(out, chars.hbar, 4);
        out.push('\n');

        // `render_footer`.
        if let Some(help) = &diag.help {
            indented(out, help, &pen.help, "        ");
        }
    }
}
