//! Untrusted text made inert for each output. Everything read from an input — token fields,
//! comments, file and directory names, log lines, listings, server answers — reaches an output
//! only through one of these functions, and each of them first applies the one scrubber
//! ([`crate::redact::scrub`]), so nothing shaped like a secret is ever written either.
//!
//! | output | function | what can never happen |
//! | --- | --- | --- |
//! | terminal | [`terminal`], [`terminal_line`], [`snippet_line`] | ESC/CSI/OSC/BEL, C0, C1 or DEL bytes reach the terminal; bidi overrides reorder text unseen |
//! | standard error under GitHub Actions | [`stderr_line`] | a line starts a workflow command (`::add-mask::`, `::stop-commands::`, `##[…]`) |
//! | workflow command | [`workflow_data`], [`workflow_property`] | a message or property ends its command or starts another |
//! | Markdown (GFM) | [`markdown`], [`markdown_code`] | a cell ends its row or table, or text adds a heading, link, image, HTML, mention or fence |
//! | XML 1.0 | [`xml`], [`xml_attr`] | an ill-formed document (illegal characters, U+FFFE/U+FFFF) or markup from input |
//! | HTML | [`html`] | a tag or attribute from input |
//! | diff header | [`diff_path`] | a path with a line break (or anything else) that starts another hunk or file |
//!
//! The `*_own` variants escape without scrubbing, for the tool's own texts (rule
//! documentation), where the scrubber would take prose such as `token: upgrade it` for a secret.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::redact::scrub;

/// The most characters of one line a snippet shows; longer lines are cut around what the
/// snippet points at.
pub const SNIPPET_LINE_MAX: usize = 240;

/// Unicode characters that reorder or hide text without being seen (bidirectional embeddings,
/// overrides and isolates, directional marks, line and paragraph separators, interlinear
/// annotations) and the noncharacters U+FFFE/U+FFFF.
fn is_bidi_or_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{FFFE}'
            | '\u{FFFF}'
    )
}

/// C0 controls, DEL and C1 controls.
fn is_control(c: char) -> bool {
    c.is_control()
}

/// Whether `s` holds anything one of the escapers below would change (besides markup).
fn plain(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Writes `c` visibly, as Rust writes it in a string literal (`\u{1b}`, `\r`, `\u{202e}`).
fn visible(out: &mut String, c: char) {
    match c {
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn terminal_impl(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let s = scrub(s);
    let kept = |c: char| c == '\t' || (c == '\n' && keep_newlines);
    let clean = if s.is_ascii() {
        s.bytes()
            .all(|b| (0x20..0x7f).contains(&b) || kept(b as char))
    } else {
        s.chars()
            .all(|c| (!is_control(c) || kept(c)) && !is_bidi_or_invisible(c))
    };
    if clean {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if kept(c) => out.push(c),
            c if is_control(c) || is_bidi_or_invisible(c) => visible(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text for a terminal: scrubbed; every control character but line feed and tab, and every
/// bidi control, written visibly (`\u{1b}`, `\r`, `\u{202e}`). Whatever `--color` says.
pub fn terminal(s: &str) -> Cow<'_, str> {
    terminal_impl(s, true)
}

/// [`terminal`] for text that must stay on one line: a line feed is written `\n` too.
pub fn terminal_line(s: &str) -> Cow<'_, str> {
    terminal_impl(s, false)
}

/// A line of standard error, safe under GitHub Actions (the runner reads workflow commands on
/// standard error too): [`terminal_line`], and a line that would start with `::` or `##[` after
/// leading spaces (`::add-mask::`, `::stop-commands::`, the legacy `##[command]`) is prefixed
/// so that it does not.
pub fn stderr_line(line: &str) -> String {
    let line = terminal_line(line);
    let trimmed = line.trim_start();
    if trimmed.starts_with("::") || trimmed.starts_with("##[") {
        format!("> {line}")
    } else {
        line.into_owned()
    }
}

/// One line of a source snippet with the same length in bytes (so byte offsets into it stay
/// valid): secret-shaped strings masked to their first four characters, control characters
/// and bidi controls replaced by visible characters of the same UTF-8 length — `?` for a
/// one-byte control (tab and a final `\r` kept), `·` for a C1 control, U+FFFD for a bidi
/// control.
pub fn snippet_line(line: &str) -> Cow<'_, str> {
    // What was masked already (`Xk3v…` and spaces) is not masked again.
    let redacted = |v: &str| {
        v.strip_suffix('…')
            .is_some_and(|head| head.chars().count() <= 4)
    };
    let mut found = crate::redact::scan_text(line);
    found.retain(|f| !redacted(line[f.range.clone()].trim_end()));
    let dirty = line
        .chars()
        .any(|c| (is_control(c) && c != '\t') || is_bidi_or_invisible(c));
    if found.is_empty() && !dirty {
        return Cow::Borrowed(line);
    }
    let mut masked = String::with_capacity(line.len());
    let mut pos = 0;
    for f in found {
        if f.range.start < pos {
            continue;
        }
        masked.push_str(&line[pos..f.range.start]);
        masked.push_str(&crate::redact::mask_same_len(&line[f.range.clone()]));
        pos = f.range.end;
    }
    masked.push_str(&line[pos..]);
    if !dirty {
        return Cow::Owned(masked);
    }
    let mut out = String::with_capacity(masked.len());
    let last = masked.len().saturating_sub(1);
    for (i, c) in masked.char_indices() {
        match c {
            '\t' => out.push('\t'),
            '\r' if i == last => out.push('\r'),
            c if is_control(c) => out.push(if c.len_utf8() == 1 { '?' } else { '·' }),
            c if is_bidi_or_invisible(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    debug_assert_eq!(out.len(), line.len());
    Cow::Owned(out)
}

/// The byte range of `line` a snippet shows when it points at `focus` (a range within the
/// line): the whole line when it is short, else at most [`SNIPPET_LINE_MAX`] characters
/// around the focus, on character boundaries.
pub fn snippet_window(line: &str, focus: std::ops::Range<usize>) -> std::ops::Range<usize> {
    if line.len() <= SNIPPET_LINE_MAX {
        return 0..line.len();
    }
    let lead = SNIPPET_LINE_MAX / 4;
    let focus_start = focus.start.min(line.len());
    let mut start = focus_start;
    for _ in 0..lead {
        match line[..start].chars().next_back() {
            Some(c) => start -= c.len_utf8(),
            None => break,
        }
    }
    let mut end = start;
    for c in line[start..].chars().take(SNIPPET_LINE_MAX) {
        end += c.len_utf8();
    }
    start..end
}

/// Text for a GitHub workflow command's message (the part after `::`): scrubbed, `%`, `\r`
/// and `\n` percent-encoded as the runner decodes them (`escapeData` of @actions/core), and
/// other control and bidi characters written visibly (the log viewer interprets ANSI
/// sequences).
pub fn workflow_data(s: &str) -> String {
    let s = scrub(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            '\t' => out.push('\t'),
            c if is_control(c) || is_bidi_or_invisible(c) => visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Text for a workflow command property (`file=…,title=…`): [`workflow_data`], and `:` and
/// `,` encoded too (`escapeProperty`).
pub fn workflow_property(s: &str) -> String {
    workflow_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GFM inline text for a table cell or a heading: scrubbed; text between paired backticks
/// stays a code span (what scopeward's messages quote), all else is escaped so that it is
/// only text. No line break of any kind survives (a `\r` alone ends a table row in Markdown),
/// `|` never ends a cell (GFM splits cells before anything else, even inside code spans), and
/// `[`/`]` (links, images), `<`/`>` (HTML, autolinks), `*`/`_`/`~` (emphasis), `#`, `!`,
/// `\`, `&` and `@` (GitHub mentions get a zero-width space) are inert.
pub fn markdown(s: &str) -> String {
    let s = scrub(s);
    let one_line = one_line(&s);
    let parts: Vec<&str> = one_line.split('`').collect();
    let mut out = String::with_capacity(one_line.len() + 16);
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        let paired = i % 2 == 1 && (i < last || parts.len() % 2 == 1);
        if paired && !part.is_empty() && !part.starts_with(' ') && !part.ends_with(' ') {
            out.push('`');
            code_content(&mut out, part);
            out.push('`');
        } else {
            if i % 2 == 1 {
                out.push_str("\\`");
            }
            markdown_text(&mut out, part);
            if paired {
                out.push_str("\\`");
            }
        }
    }
    out
}

/// An untrusted string as a GFM code span (a path, say): scrubbed, on one line, fenced with
/// more backticks than it holds, `|` escaped for the table it may be in.
pub fn markdown_code(s: &str) -> String {
    let s = scrub(s);
    let text = one_line(&s);
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&fence);
    out.push_str(pad);
    code_content(&mut out, &text);
    out.push_str(pad);
    out.push_str(&fence);
    out
}

/// Text with every line break, control and bidi character turned into a space or U+FFFD.
fn one_line(s: &str) -> Cow<'_, str> {
    if plain(s) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\r' | '\n' | '\t' | '\u{0B}' | '\u{0C}' | '\u{2028}' | '\u{2029}' => ' ',
                c if is_control(c) || is_bidi_or_invisible(c) => '\u{FFFD}',
                c => c,
            })
            .collect(),
    )
}

/// Inside a code span nothing is markup, but GFM still splits table cells at `|` (and takes
/// `\|` as a literal one), so a backslash before a pipe would re-open it: both are spelled out.
fn code_content(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            c => out.push(c),
        }
    }
}

fn markdown_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' | '|' | '[' | ']' | '*' | '_' | '~' | '#' | '!' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@&#8203;"),
            c => out.push(c),
        }
    }
}

/// Whether markup escaping writes byte `b` (printable ASCII, not markup) as it is.
fn markup_safe(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && !matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'')
}

fn markup_into(out: &mut String, s: &str, attr: bool) {
    let mut rest = s;
    while !rest.is_empty() {
        // Runs of plain ASCII are copied whole; only the character after one is looked at.
        let run = rest
            .bytes()
            .position(|b| !markup_safe(b))
            .unwrap_or(rest.len());
        out.push_str(&rest[..run]);
        let Some(c) = rest[run..].chars().next() else {
            break;
        };
        rest = &rest[run + c.len_utf8()..];
        markup_char(out, c, attr);
    }
}

/// One character as markup escaping writes it.
fn markup_char(out: &mut String, c: char, attr: bool) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        '\t' | '\n' if attr => {
            let _ = write!(out, "&#{};", c as u32);
        }
        '\t' | '\n' => out.push(c),
        '\r' => out.push_str("&#13;"),
        c if is_control(c) || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
        c if is_bidi_or_invisible(c) => visible(out, c),
        c => out.push(c),
    }
}

/// Whether markup escaping would leave `s` as it is.
fn markup_plain(s: &str) -> bool {
    s.bytes().all(markup_safe)
}

fn markup(s: &str, attr: bool) -> Cow<'_, str> {
    if markup_plain(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    markup_into(&mut out, s, attr);
    Cow::Owned(out)
}

/// XML 1.0 character data: scrubbed and escaped; characters XML cannot carry (C0 controls but
/// tab and line feed, U+FFFE, U+FFFF) and C1 controls become U+FFFD, a `\r` is `&#13;` (a
/// parser would turn a raw one into a line feed), bidi controls are written visibly.
pub fn xml(s: &str) -> String {
    markup(&scrub(s), false).into_owned()
}

/// [`xml`] for an attribute value in double quotes: tab and line feed as references too (a
/// parser would normalise raw ones to spaces).
pub fn xml_attr(s: &str) -> String {
    markup(&scrub(s), true).into_owned()
}

/// HTML text or attribute value (in double quotes): scrubbed, escaped, controls and
/// noncharacters U+FFFD, bidi controls written visibly.
pub fn html(s: &str) -> String {
    markup(&scrub(s), false).into_owned()
}

/// [`html`] without the scrubber, for the tool's own texts.
pub fn html_own(s: &str) -> Cow<'_, str> {
    markup(s, false)
}

/// A path in a diff header (`--- a/PATH`), quoted as git quotes it: as it is when it holds only
/// printable ASCII other than `"` and `\`, else in double quotes with `\"`, `\\`, `\a`, `\b`,
/// `\t`, `\n`, `\v`, `\f`, `\r` and every other byte (each byte of a non-ASCII character
/// included) as three octal digits. Scrubbed first. Pass the whole header path, prefix
/// included (`a/x\ny` → `"a/x\ny"`), as git does.
pub fn diff_path(path: &str) -> String {
    let path = scrub(path);
    let needs = path
        .bytes()
        .any(|b| !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\');
    if !needs {
        return path.into_owned();
    }
    let mut out = String::with_capacity(path.len() + 8);
    out.push('"');
    for b in path.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b if !(0x20..0x7f).contains(&b) => {
                let _ = write!(out, "\\{b:03o}");
            }
            b => out.push(b as char),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0";

    #[test]
    fn terminal_text_carries_no_control_byte() {
        let hostile = "a\u{1b}]52;c;Zm9v\u{7}b\u{1b}[2J\r\u{9b}31m\u{7f}\u{202e}txt.exe";
        let out = terminal_line(hostile);
        assert!(out.bytes().all(|b| b >= 0x20 && b != 0x7f), "{out:?}");
        assert!(!out.contains('\u{9b}') && !out.contains('\u{202e}'));
        assert_eq!(
            out,
            "a\\u{1b}]52;c;Zm9v\\u{7}b\\u{1b}[2J\\r\\u{9b}31m\\u{7f}\\u{202e}txt.exe"
        );
        assert_eq!(terminal("two\nlines"), "two\nlines");
        assert_eq!(terminal_line("two\nlines"), "two\\nlines");
        assert_eq!(terminal("plain `text` é"), "plain `text` é");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(terminal_line(&format!("x-{TOKEN}")), "x-Xk3v…");
    }

    #[test]
    fn stderr_lines_never_start_a_workflow_command() {
        assert_eq!(stderr_line("::add-mask::x"), "> ::add-mask::x");
        assert_eq!(
            stderr_line("  ::stop-commands::t"),
            ">   ::stop-commands::t"
        );
        assert_eq!(stderr_line("##[set-env name=a]b"), "> ##[set-env name=a]b");
        assert_eq!(
            stderr_line("note: a\n::add-mask::x"),
            "note: a\\n::add-mask::x"
        );
        assert_eq!(stderr_line("note: fine"), "note: fine");
    }

    #[test]
    fn snippet_lines_keep_their_length() {
        for line in [
            format!("name: prod-{TOKEN}"),
            "a\u{1b}[2Jb\u{9b}c\u{202e}d\u{0}".to_string(),
            "key: value\r".to_string(),
        ] {
            let out = snippet_line(&line);
            assert_eq!(out.len(), line.len(), "{out:?}");
            assert!(!out.contains(&TOKEN[4..12]));
            assert!(!out.chars().any(|c| c.is_control() && c != '\r'));
        }
        let long = "x".repeat(10_000);
        let w = snippet_window(&long, 5000..5010);
        assert_eq!(w.len(), SNIPPET_LINE_MAX);
        assert!(w.contains(&5000));
        assert_eq!(snippet_window("short", 1..2), 0..5);
        let wide = "é".repeat(1000);
        let w = snippet_window(&wide, 1000..1002);
        assert!(wide.is_char_boundary(w.start) && wide.is_char_boundary(w.end));
    }

    #[test]
    fn workflow_commands_are_escaped_as_the_runner_decodes() {
        assert_eq!(workflow_data("50% a\nb\rc"), "50%25 a%0Ab%0Dc");
        assert_eq!(workflow_property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(workflow_data("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(workflow_data(TOKEN), "Xk3v…");
    }

    #[test]
    fn markdown_keeps_code_spans_and_defuses_the_rest() {
        assert_eq!(
            markdown("token `legacy-erp` holds every brand scope"),
            "token `legacy-erp` holds every brand scope"
        );
        assert_eq!(markdown("a|b\r# x"), "a\\|b \\# x");
        assert_eq!(
            markdown("[click](https://evil) <img> @team"),
            "\\[click\\](https://evil) &lt;img&gt; @&#8203;team"
        );
        assert_eq!(markdown("odd ` tick"), "odd \\` tick");
        assert_eq!(markdown("`a|b`"), "`a\\|b`");
        assert_eq!(markdown_code("x`y"), "``x`y``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert_eq!(markdown_code("a|b\nc"), "`a\\|b c`");
    }

    #[test]
    fn markup_is_escaped_and_well_formed() {
        assert_eq!(
            xml("a<b & \"c\"\u{1}\u{FFFE}\r"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}\u{FFFD}&#13;"
        );
        assert_eq!(xml_attr("a\nb\tc"), "a&#10;b&#9;c");
        assert_eq!(xml("a\nb"), "a\nb");
        assert_eq!(
            html("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
        assert_eq!(html("\u{202e}x"), "\\u{202e}x");
    }

    /// Markup escaping one character at a time, without copying runs of plain ASCII whole.
    fn markup_by_char(s: &str, attr: bool) -> String {
        let mut out = String::new();
        for c in s.chars() {
            markup_char(&mut out, c, attr);
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn markup_copied_in_runs_is_markup_escaped_by_character(
            s in "[a-z &<>\"'\t\n\r\u{0}-\u{1f}\u{7f}-\u{9f}é€\u{202e}\u{2066}\u{fffe}\u{ffff}😀]{0,40}",
            attr: bool,
        ) {
            proptest::prop_assert_eq!(markup(&s, attr).into_owned(), markup_by_char(&s, attr));
        }
    }

    #[test]
    fn diff_paths_are_quoted_as_git_quotes_them() {
        assert_eq!(diff_path("a/tokens/acme.yaml"), "a/tokens/acme.yaml");
        assert_eq!(diff_path("a/with space.yaml"), "a/with space.yaml");
        assert_eq!(diff_path("a/x\n+++ b/build.rs"), "\"a/x\\n+++ b/build.rs\"");
        assert_eq!(diff_path("a/\"q\"\\"), "\"a/\\\"q\\\"\\\\\"");
        assert_eq!(diff_path("a/é"), "\"a/\\303\\251\"");
        assert_eq!(diff_path("a/\t\u{7f}"), "\"a/\\t\\177\"");
    }
}
