//! Inline suppressions in YAML and TOML definition files (and in any file `scan` reports on,
//! after `#` or `//`): `# scopeward: ignore[rule-id, other-id] reason`, on the line of the
//! token, scope or secret it silences, or alone on the line above it. JSON has no comments:
//! `[[ignore]]` serves it.

use crate::diag::InputError;
use crate::model::Day;
use crate::rules;
use crate::source::{FileId, SourceFile, Span};

/// One `# scopeward: ignore[…] reason` comment.
#[derive(Clone, Debug)]
pub struct InlineIgnore {
    /// The whole directive, from `scopeward:` to the end of the line.
    pub span: Span,
    /// Each rule id it names, with its span.
    pub rules: Vec<(&'static str, Span)>,
    pub reason: String,
    /// `expires=YYYY-MM-DD` at the end of the reason: after that day it silences nothing and
    /// its finding returns, pointing at it.
    pub expires: Option<(Day, Span)>,
    /// Zero-based line it silences: its own line after code, else the next line with content.
    pub target_line: usize,
}

const MARKER: &[u8] = b"scopeward:";

/// How a file writes comments: a directive counts only inside one. Text that merely looks
/// like a directive elsewhere (prose in Markdown, a string value) is nothing at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comments {
    /// `#` (YAML, TOML, shell, Python, env files, …).
    Hash,
    /// `//` (JavaScript, Go, Rust, Java, C, …).
    Slash,
    /// Either (PHP, HCL, and files whose kind is unknown).
    HashOrSlash,
    /// No line comments a directive could sit in (Markdown, plain text, JSON, HTML, …).
    None,
}

impl Comments {
    /// The comment syntax of a file, from its name.
    pub fn for_path(name: &str) -> Comments {
        let file = name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(name)
            .to_ascii_lowercase();
        if file.starts_with(".env")
            || matches!(
                file.as_str(),
                "dockerfile" | "makefile" | "gemfile" | "procfile" | ".gitignore"
            )
        {
            return Comments::Hash;
        }
        let ext = match file.rsplit_once('.') {
            Some((_, ext)) => ext,
            None => return Comments::HashOrSlash,
        };
        match ext {
            "yaml" | "yml" | "toml" | "sh" | "bash" | "zsh" | "fish" | "py" | "rb" | "pl" | "r"
            | "env" | "conf" | "cfg" | "ini" | "properties" | "nix" | "ps1" | "mk" | "tfvars" => {
                Comments::Hash
            }
            "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "go" | "rs" | "java" | "kt" | "kts"
            | "c" | "h" | "cc" | "cpp" | "hpp" | "cs" | "swift" | "scala" | "dart" | "groovy"
            | "gradle" | "jsonc" | "json5" | "proto" => Comments::Slash,
            "php" | "tf" | "hcl" => Comments::HashOrSlash,
            "md" | "markdown" | "rst" | "txt" | "adoc" | "html" | "htm" | "xml" | "json"
            | "csv" | "tsv" | "lock" | "svg" | "log" => Comments::None,
            _ => Comments::HashOrSlash,
        }
    }

    fn openers(self) -> &'static [&'static str] {
        match self {
            Comments::Hash => &["#"],
            Comments::Slash => &["//"],
            Comments::HashOrSlash => &["#", "//"],
            Comments::None => &[],
        }
    }
}

/// Where the comment holding a marker opens, and the opener's length: the last opener before
/// the marker on its line, with only spaces between, that starts the line or follows a space
/// and is not inside a quoted string.
fn comment_opener(before: &str, comments: Comments) -> Option<(usize, usize)> {
    let (at, len) = comments
        .openers()
        .iter()
        .filter_map(|o| before.rfind(o).map(|i| (i, o.len())))
        .max_by_key(|&(i, _)| i)?;
    if !before[at + len..].trim().is_empty() {
        return None;
    }
    let lead = &before[..at];
    if !(lead.is_empty() || lead.ends_with([' ', '\t'])) {
        return None;
    }
    let quotes = |q: char| lead.chars().filter(|&c| c == q).count() % 2 == 1;
    if quotes('"') || quotes('\'') || quotes('`') {
        return None;
    }
    Some((at, len))
}

/// Finds the directives of one file; malformed ones are input errors.
pub fn scan(
    file: FileId,
    source: &SourceFile,
    comments: Comments,
) -> (Vec<InlineIgnore>, Vec<InputError>) {
    let text = source.text();
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for at in memchr::memmem::find_iter(bytes, MARKER) {
        let line = source.line_index(at);
        let line_range = source.line_range(line);
        let before = &text[line_range.start..at];
        // Only in a comment of the file's own syntax.
        let Some((hash, _)) = comment_opener(before, comments) else {
            continue;
        };
        let directive_end = line_range.end;
        let span = Span::new(file, at, directive_end);
        let rest = &text[at + MARKER.len()..directive_end];
        let offset = at + MARKER.len();
        match parse_directive(file, rest, offset) {
            Ok((rule_list, reason, expires)) => {
                let trailing = !before[..hash].trim().is_empty();
                let target_line = if trailing {
                    line
                } else {
                    next_content_line(source, line)
                };
                found.push(InlineIgnore {
                    span,
                    rules: rule_list,
                    reason,
                    expires,
                    target_line,
                });
            }
            Err(e) => errors.push(e),
        }
    }
    (found, errors)
}

fn next_content_line(source: &SourceFile, line: usize) -> usize {
    let mut l = line + 1;
    while l < source.line_count() {
        let t = source.text()[source.line_range(l)].trim();
        if !t.is_empty() && !t.starts_with('#') && !t.starts_with("//") {
            return l;
        }
        l += 1;
    }
    line + 1
}

type Parsed = (Vec<(&'static str, Span)>, String, Option<(Day, Span)>);

fn parse_directive(file: FileId, rest: &str, offset: usize) -> Result<Parsed, InputError> {
    let at = |i: usize, j: usize| Span::new(file, offset + i, offset + j);
    let trimmed_start = rest.len() - rest.trim_start().len();
    let body = &rest[trimmed_start..];
    let Some(after) = body.strip_prefix("ignore[") else {
        return Err(
            InputError::new(at(0, rest.len()), "malformed scopeward directive")
                .with_help("write `# scopeward: ignore[rule-id, …] reason`"),
        );
    };
    let open = trimmed_start + "ignore[".len();
    let Some(close_rel) = after.find(']') else {
        return Err(
            InputError::new(at(0, rest.len()), "unclosed `[` in scopeward directive")
                .with_help("write `# scopeward: ignore[rule-id, …] reason`"),
        );
    };
    let mut list = Vec::new();
    let mut pos = 0;
    for part in after[..close_rel].split(',') {
        let lead = part.len() - part.trim_start().len();
        let id = part.trim();
        let span = at(open + pos + lead, open + pos + lead + id.len());
        pos += part.len() + 1;
        if id.is_empty() {
            continue;
        }
        let known = rules::find(id)
            .map(|r| r.meta().id)
            .or_else(|| rules::PLANNED.iter().find(|p| p.0 == id).map(|p| p.0));
        match known {
            Some(id) => list.push((id, span)),
            None => {
                let e =
                    InputError::new(span, format!("unknown rule `{id}` in scopeward directive"));
                return Err(
                    match crate::did_you_mean::did_you_mean(id, rules::all_ids()) {
                        Some(s) => e.with_help(format!("did you mean `{s}`?")),
                        None => e.with_help("`scopeward rules` lists every rule"),
                    },
                );
            }
        }
    }
    if list.is_empty() {
        return Err(
            InputError::new(at(open, open + close_rel), "the directive names no rule")
                .with_help("name the rules it silences: `ignore[rule-id]`"),
        );
    }
    let tail = &after[close_rel + 1..];
    let tail_at = open + close_rel + 1;
    let (reason, expires) = split_expiry(tail, |i, j| at(tail_at + i, tail_at + j))?;
    if reason.is_empty() {
        return Err(
            InputError::new(at(0, rest.len()), "an ignore needs a reason")
                .with_help("say why the finding is accepted after the `]`"),
        );
    }
    Ok((list, reason, expires))
}

/// The reason, and `expires=YYYY-MM-DD` when it ends the directive.
fn split_expiry(
    tail: &str,
    at: impl Fn(usize, usize) -> Span,
) -> Result<(String, Option<(Day, Span)>), InputError> {
    let trimmed = tail.trim_end();
    let Some(i) = trimmed.rfind("expires=") else {
        return Ok((trimmed.trim().to_string(), None));
    };
    // Only as its own word at the end: `… expires=2027-01-31`.
    if i > 0 && !trimmed[..i].ends_with([' ', '\t']) {
        return Ok((trimmed.trim().to_string(), None));
    }
    let value = &trimmed[i + "expires=".len()..];
    let span = at(i, trimmed.len());
    match Day::parse(value) {
        Ok(day) => Ok((trimmed[..i].trim().to_string(), Some((day, span)))),
        Err(e) => Err(
            InputError::new(span, format!("invalid expiry date `{value}`: {e}"))
                .with_help("write `expires=YYYY-MM-DD` at the end of the directive"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_and_their_targets() {
        let text = "tokens:\n  # scopeward: ignore[legacy-token, full-access] migrating in Q1\n  - name: old\n    legacy: read-write # scopeward: ignore[unused-token] batch job\n";
        let src = SourceFile::new("x.yaml", None, text);
        let (found, errors) = scan(FileId(0), &src, Comments::Hash);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0].rules.iter().map(|r| r.0).collect::<Vec<_>>(),
            ["legacy-token", "full-access"]
        );
        assert_eq!(found[0].target_line, 2);
        assert_eq!(found[0].reason, "migrating in Q1");
        assert_eq!(found[0].expires, None);
        let r = found[0].rules[1].1;
        assert_eq!(&text[r.start as usize..r.end as usize], "full-access");
        assert_eq!(found[1].target_line, 3);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { failure_persistence: None, ..Default::default() })]
        /// Whatever follows the marker, scanning never panics and spans stay in the text.
        #[test]
        fn any_directive_text_is_handled(prefix in ".{0,12}", rest in ".{0,60}", trailer in "(\n.{0,10}){0,3}") {
            let text = format!("{prefix}# scopeward:{rest}{trailer}");
            let src = SourceFile::new("x.yaml", None, text.clone());
            let (found, errors) = scan(FileId(0), &src, Comments::Hash);
            for i in &found {
                proptest::prop_assert!(i.span.end as usize <= text.len());
                for (_, s) in &i.rules {
                    proptest::prop_assert!(text.is_char_boundary(s.start as usize) && text.is_char_boundary(s.end as usize));
                }
            }
            for e in &errors {
                proptest::prop_assert!(text.is_char_boundary(e.span.start as usize) && text.is_char_boundary(e.span.end as usize));
            }
        }
    }

    #[test]
    fn directives_may_expire() {
        let text =
            "# scopeward: ignore[legacy-token] migrating in Q1 expires=2027-01-31\n- name: x\n";
        let src = SourceFile::new("x.yaml", None, text);
        let (found, errors) = scan(FileId(0), &src, Comments::Hash);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(found[0].reason, "migrating in Q1");
        let (day, span) = found[0].expires.unwrap();
        assert_eq!(day, Day::parse("2027-01-31").unwrap());
        assert_eq!(
            &text[span.start as usize..span.end as usize],
            "expires=2027-01-31"
        );
        let bad = "# scopeward: ignore[legacy-token] x expires=2027-02-30\n";
        let (_, errors) = scan(FileId(0), &SourceFile::new("x", None, bad), Comments::Hash);
        assert!(errors[0].message.contains("2027-02-30"), "{errors:?}");
    }

    #[test]
    fn malformed_directives_are_errors() {
        for (text, message) in [
            (
                "# scopeward: ignore[legacy-tokn] x\n",
                "unknown rule `legacy-tokn` in scopeward directive",
            ),
            (
                "# scopeward: ignore[legacy-token]\n",
                "an ignore needs a reason",
            ),
            (
                "# scopeward: ignore legacy-token\n",
                "malformed scopeward directive",
            ),
            (
                "# scopeward: ignore[legacy-token reason\n",
                "unclosed `[` in scopeward directive",
            ),
        ] {
            let src = SourceFile::new("x.yaml", None, text);
            let (_, errors) = scan(FileId(0), &src, Comments::Hash);
            assert_eq!(errors.len(), 1, "{text}");
            assert_eq!(errors[0].message, message);
        }
        // Not a comment: ignored.
        let src = SourceFile::new("x.yaml", None, "description: \"scopeward: ignore[x]\"\n");
        assert!(scan(FileId(0), &src, Comments::Hash).1.is_empty());
        // Prose that quotes a directive is no directive: not in Markdown, not inside a string
        // or backticks, not glued to a word.
        for (text, comments) in [
            (
                "Write `# scopeward: ignore[rule-id, …] reason` above it.\n",
                Comments::None,
            ),
            (
                "Write `# scopeward: ignore[rule-id, …] reason` above it.\n",
                Comments::Hash,
            ),
            (
                "description: \"a # scopeward: ignore[nope] x\"\n",
                Comments::Hash,
            ),
            ("url: a#scopeward: ignore[nope] x\n", Comments::Hash),
            ("// scopeward: ignore[nope] x\n", Comments::Hash),
        ] {
            let src = SourceFile::new("x", None, text);
            let (found, errors) = scan(FileId(0), &src, comments);
            assert!(
                found.is_empty() && errors.is_empty(),
                "{text:?}: {found:?} {errors:?}"
            );
        }
        assert_eq!(Comments::for_path("docs/rules.md"), Comments::None);
        assert_eq!(Comments::for_path("deploy/.env.production"), Comments::Hash);
        assert_eq!(Comments::for_path("src/app.ts"), Comments::Slash);
    }
}
