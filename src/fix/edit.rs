//! `suggest --diff`: applies suggestions to definition files textually, using the spans the
//! parsers recorded, so comments, quoting and layout stay as they are, and prints a unified
//! diff of the result.
//!
//! - A removed entry of a block list (`- scope` lines) loses its line; of a flow list
//!   (`[a, b]`, TOML and JSON arrays) its text and one separator — or its whole line when it
//!   sits alone on one.
//! - Added scopes follow the last kept entry in the list's own style and quoting.
//! - A token without `scopes` gets the key after its last line (YAML block mappings, TOML
//!   tables) or before its closing brace (JSON, YAML flow mappings).

use std::collections::BTreeMap;

use super::plan::Plan;
use crate::source::{FileId, SourceMap};
use crate::tree::Format;

/// One textual edit: replace `start..end` with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

/// A token whose suggestion could not be applied textually, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub token: String,
    pub path: String,
    pub reason: String,
}

/// Edited files as `(display path, old text, new text)`, and what could not be edited.
pub fn apply(
    plans: &[Plan<'_>],
    sources: &SourceMap,
) -> (Vec<(String, String, String)>, Vec<Skipped>) {
    let mut by_file: BTreeMap<FileId, Vec<Edit>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for plan in plans {
        let file = sources.get(plan.view.file);
        let format = Format::from_path(std::path::Path::new(&file.display)).unwrap_or(Format::Yaml);
        match edits(plan, file.text(), format) {
            Ok(e) => by_file.entry(plan.view.file).or_default().extend(e),
            Err(reason) => skipped.push(Skipped {
                token: plan.view.name.clone(),
                path: file.display.clone(),
                reason,
            }),
        }
    }
    let mut out = Vec::new();
    for (id, mut edits) in by_file {
        let file = sources.get(id);
        let old = file.text();
        // Back to front, so earlier offsets stay valid; at one offset, insertions first.
        edits.sort_by_key(|e| std::cmp::Reverse((e.start, e.end)));
        let mut new = old.to_string();
        let mut floor = usize::MAX;
        for e in edits {
            if e.end > floor {
                continue; // overlapping edits: keep the later one only
            }
            new.replace_range(e.start..e.end, &e.text);
            floor = e.start;
        }
        if new != old {
            out.push((file.display.clone(), old.to_string(), new));
        }
    }
    (out, skipped)
}

/// A unified diff (`a/PATH`, `b/PATH`, as `git apply` and `patch -p1` read it) of the edited
/// files, with anything secret-shaped redacted.
pub fn unified_diff(files: &[(String, String, String)]) -> String {
    let mut s = String::new();
    for (path, old, new) in files {
        let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        s.push_str(&text);
        if !text.is_empty() && !text.ends_with('\n') {
            s.push_str("\n\\ No newline at end of file\n");
        }
    }
    crate::redact::scrub(&s).into_owned()
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |p| p + 1)
}

fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |p| at + p)
}

/// The span of an entry with its quotes, whether or not the parser's span includes them.
fn entry_range(text: &str, start: usize, end: usize) -> (usize, usize) {
    let b = text.as_bytes();
    if start > 0 && end < b.len() {
        let (q1, q2) = (b[start - 1], b[end]);
        if q1 == q2 && (q1 == b'"' || q1 == b'\'') {
            return (start - 1, end + 1);
        }
    }
    (start, end)
}

/// Whether only whitespace (and, after, a comment) surrounds `start..end` on its line,
/// allowing a block-list dash before and a comma after.
fn alone_on_line(text: &str, start: usize, end: usize, format: Format) -> bool {
    let before = &text[line_start(text, start)..start];
    let before = before.trim();
    let after = text[end..line_end(text, end)].trim_start();
    let after = after.strip_prefix(',').unwrap_or(after).trim_start();
    let comment_ok = format != Format::Json && after.starts_with('#');
    (before.is_empty() || before == "-") && (after.is_empty() || comment_ok)
}

fn quote_like(sample: Option<&str>, format: Format, scope: &str) -> String {
    let q = match sample.and_then(|s| s.chars().next()) {
        Some(c @ ('"' | '\'')) if format != Format::Json => Some(c),
        _ if format == Format::Yaml => None,
        _ => Some('"'),
    };
    match q {
        Some(q) => format!("{q}{scope}{q}"),
        None => scope.to_string(),
    }
}

fn edits(plan: &Plan<'_>, text: &str, format: Format) -> Result<Vec<Edit>, String> {
    let v = plan.view;
    let mut out = Vec::new();
    let Some(list) = v.scopes_span else {
        return add_key(plan, text, format);
    };
    let (ls, le) = (list.start as usize, list.end as usize);
    let flow = text[ls..].trim_start().starts_with('[');
    let entries: Vec<(usize, usize)> = v
        .grants
        .iter()
        .map(|(g, _)| entry_range(text, g.span.start as usize, g.span.end as usize))
        .collect();
    let kept: Vec<usize> = (0..entries.len())
        .filter(|i| !plan.remove.contains(i))
        .collect();
    if kept.is_empty() {
        // Nothing stays: write the list anew.
        let items: Vec<String> = plan
            .add
            .iter()
            .map(|s| quote_like(entries.first().map(|e| &text[e.0..e.1]), format, s))
            .collect();
        let (start, end) = if flow {
            (ls + (text[ls..].len() - text[ls..].trim_start().len()), le)
        } else {
            // A block list: from the first entry's dash to the end of the last entry's line.
            let first = entries.first().ok_or("its `scopes` list is empty")?;
            let dash = text[..first.0].rfind('-').ok_or("unexpected list layout")?;
            let last = entries.last().expect("not empty");
            (dash, line_end(text, last.1))
        };
        let new = if flow || items.is_empty() {
            format!("[{}]", items.join(", "))
        } else {
            let indent = &text[line_start(text, start)..start];
            let indent: String = indent
                .chars()
                .map(|c| if c == '-' { ' ' } else { c })
                .collect();
            let mut s = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    s.push('\n');
                    s.push_str(&indent);
                }
                s.push_str("- ");
                s.push_str(item);
            }
            s
        };
        out.push(Edit {
            start,
            end,
            text: new,
        });
        return Ok(out);
    }
    for &i in &plan.remove {
        let (s, e) = entries[i];
        if alone_on_line(text, s, e, format) {
            let start = line_start(text, s);
            let end = (line_end(text, e) + 1).min(text.len());
            out.push(Edit {
                start,
                end,
                text: String::new(),
            });
        } else if flow {
            // Inline: drop the entry and the separator after it, or before it when last.
            let after = &text[e..le];
            let trimmed = after.trim_start();
            if let Some(rest) = trimmed.strip_prefix(',') {
                let gap = after.len() - rest.trim_start().len();
                out.push(Edit {
                    start: s,
                    end: e + gap,
                    text: String::new(),
                });
            } else {
                let before = text[ls..s].trim_end();
                let comma = before.rfind(',').map(|c| ls + c).unwrap_or(s);
                out.push(Edit {
                    start: comma,
                    end: e,
                    text: String::new(),
                });
            }
        } else {
            return Err("a block-list entry shares its line with something else".into());
        }
    }
    if !plan.add.is_empty() {
        let last = *kept.last().expect("some kept");
        let (ks, ke) = entries[last];
        let sample = Some(&text[ks..ke]);
        let items: Vec<String> = plan
            .add
            .iter()
            .map(|s| quote_like(sample, format, s))
            .collect();
        if !flow {
            let indent_end = text[..ks].rfind('-').ok_or("unexpected list layout")?;
            let ls0 = line_start(text, ks);
            let indent = &text[ls0..indent_end];
            let at = (line_end(text, ke) + 1).min(text.len());
            let mut s = String::new();
            if at == text.len() && !text.ends_with('\n') {
                s.push('\n');
            }
            for item in &items {
                s.push_str(indent);
                s.push_str("- ");
                s.push_str(item);
                s.push('\n');
            }
            out.push(Edit {
                start: at,
                end: at,
                text: s,
            });
        } else if alone_on_line(text, ks, ke, format) {
            // A multi-line array: one entry per line, like the others.
            let ls0 = line_start(text, ks);
            let indent = text[ls0..ks].to_string();
            let trailing_comma = text[ke..].trim_start().starts_with(',');
            let after_entry = if trailing_comma {
                ke + text[ke..].find(',').expect("a comma") + 1
            } else {
                ke
            };
            let mut s = String::new();
            for (n, item) in items.iter().enumerate() {
                if n > 0 || !trailing_comma {
                    s.push(',');
                }
                s.push('\n');
                s.push_str(&indent);
                s.push_str(item);
            }
            if trailing_comma {
                s.push(',');
            }
            out.push(Edit {
                start: after_entry,
                end: after_entry,
                text: s,
            });
        } else {
            let s: String = items.iter().map(|i| format!(", {i}")).collect();
            out.push(Edit {
                start: ke,
                end: ke,
                text: s,
            });
        }
    }
    Ok(out)
}

/// Adds a `scopes` key to a token that has none.
fn add_key(plan: &Plan<'_>, text: &str, format: Format) -> Result<Vec<Edit>, String> {
    let v = plan.view;
    let span = v.span.ok_or("the token's extent is unknown")?;
    let (ts, te) = (span.start as usize, (span.end as usize).min(text.len()));
    let quoted: Vec<String> = plan
        .add
        .iter()
        .map(|s| quote_like(None, format, s))
        .collect();
    let list = format!("[{}]", quoted.join(", "));
    let name_at = v.name_span.start as usize;
    let body = text[ts..te].trim_end();
    if body.ends_with('}') {
        // JSON object or YAML flow mapping.
        let close = ts + body.len() - 1;
        let sep = if format == Format::Json {
            "\"scopes\": "
        } else {
            "scopes: "
        };
        let sep_before = if text[ts..close].trim_end().ends_with(',') {
            " "
        } else {
            ", "
        };
        return Ok(vec![Edit {
            start: close,
            end: close,
            text: format!("{sep_before}{sep}{list}"),
        }]);
    }
    // The key column: where the `name` key starts on its line.
    let ls0 = line_start(text, name_at);
    let line = &text[ls0..name_at];
    let key_col = match format {
        Format::Toml => 0,
        _ => {
            let key = line.trim_end().trim_end_matches(':').trim_end();
            key.rfind(|c: char| c.is_whitespace() || c == '-')
                .map_or(0, |p| p + 1)
        }
    };
    let indent = " ".repeat(key_col);
    let at = if format == Format::Toml {
        // A table runs to the next header: insert after its last key line.
        let mut pos = (line_end(text, name_at) + 1).min(text.len());
        let mut at = pos;
        while pos < text.len() {
            let le = line_end(text, pos);
            let t = text[pos..le].trim();
            if t.starts_with('[') {
                break;
            }
            if !t.is_empty() && !t.starts_with('#') {
                at = (le + 1).min(text.len());
            }
            pos = le + 1;
        }
        at
    } else {
        let end = ts + body.len();
        (line_end(text, end) + 1).min(text.len())
    };
    let kv = match format {
        Format::Toml => format!("scopes = {list}"),
        _ => format!("scopes: {list}"),
    };
    let mut s = String::new();
    if at == text.len() && !text.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(&indent);
    s.push_str(&kv);
    s.push('\n');
    Ok(vec![Edit {
        start: at,
        end: at,
        text: s,
    }])
}
