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
use std::path::{Component, Path, PathBuf};

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

/// Makes the paths of edited files fit a diff's headers. `git apply` and `patch` refuse a path
/// that leaves the directory they run in (`a/../x`, `a//abs`): when one does, every path is
/// made relative to the files' common folder, which is returned — the diff applies there.
pub fn rebase_paths(files: &mut [(String, String, String)], cwd: &Path) -> Option<PathBuf> {
    let outside = |p: &str| {
        let p = Path::new(p);
        p.is_absolute() || p.components().any(|c| c == Component::ParentDir)
    };
    if !files.iter().any(|(p, _, _)| outside(p)) {
        return None;
    }
    let full: Vec<PathBuf> = files
        .iter()
        .map(|(p, _, _)| lexical(&cwd.join(p)))
        .collect();
    let mut base = full.first()?.parent()?.to_path_buf();
    for p in &full[1..] {
        while !p.starts_with(&base) {
            base = base.parent()?.to_path_buf();
        }
    }
    for ((path, _, _), full) in files.iter_mut().zip(&full) {
        *path = crate::source::display_path(full, &base);
    }
    Some(base)
}

/// `a/./b/../c` as `a/c`, without asking the file system.
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// A unified diff (`a/PATH`, `b/PATH`, as `git apply` and `patch -p1` read it) of the edited
/// files, with anything secret-shaped redacted. A path with control characters, quotes or
/// non-ASCII is quoted C-style as git writes it, so a file name can never start a header of
/// its own.
pub fn unified_diff(files: &[(String, String, String)]) -> String {
    let mut s = String::new();
    for (path, old, new) in files {
        let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(
                &crate::inert::diff_path(&format!("a/{path}")),
                &crate::inert::diff_path(&format!("b/{path}")),
            )
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

/// A token's `scopes` list as text: where it is, whether it is a flow list (`[…]`), and
/// where each entry is (quotes included).
struct List<'t> {
    text: &'t str,
    format: Format,
    start: usize,
    end: usize,
    flow: bool,
    entries: Vec<(usize, usize)>,
}

impl List<'_> {
    /// The entry's text as written (with its quotes), a model for added entries.
    fn sample(&self, i: usize) -> &str {
        let (s, e) = self.entries[i];
        &self.text[s..e]
    }

    fn quoted(&self, scopes: &[String], like: Option<usize>) -> Vec<String> {
        let sample = like.map(|i| self.sample(i));
        scopes
            .iter()
            .map(|s| quote_like(sample, self.format, s))
            .collect()
    }

    /// Whether a comma follows entry `i` (before anything but blanks).
    fn comma_after(&self, i: usize) -> Option<usize> {
        let e = self.entries[i].1;
        let after = &self.text[e..self.end];
        let gap = after.len() - after.trim_start().len();
        after.trim_start().starts_with(',').then_some(e + gap)
    }

    /// The `[` and the `]` of a flow list.
    fn brackets(&self) -> Result<(usize, usize), String> {
        let open = self.start
            + self.text[self.start..self.end]
                .find('[')
                .ok_or("unexpected list layout")?;
        let close = self.text[..self.end]
            .rfind(']')
            .filter(|c| *c > open)
            .ok_or("unexpected list layout")?;
        Ok((open, close))
    }
}

fn edits(plan: &Plan<'_>, text: &str, format: Format) -> Result<Vec<Edit>, String> {
    let v = plan.view;
    let Some(span) = v.scopes_span else {
        return add_key(plan, text, format);
    };
    let (start, end) = (span.start as usize, (span.end as usize).min(text.len()));
    let list = List {
        text,
        format,
        start,
        end,
        flow: text[start..].trim_start().starts_with('['),
        entries: v
            .grants
            .iter()
            .map(|(g, _)| entry_range(text, g.span.start as usize, g.span.end as usize))
            .collect(),
    };
    let kept: Vec<usize> = (0..list.entries.len())
        .filter(|i| !plan.remove.contains(i))
        .collect();
    if kept.is_empty() {
        return Ok(vec![new_list(&list, &plan.add)?]);
    }
    if !list.flow {
        return block_edits(&list, plan, &kept);
    }
    let (open, close) = list.brackets()?;
    if !text[open..close].contains('\n') {
        return Ok(vec![inline_list(&list, plan, &kept, open, close)]);
    }
    let alone = (0..list.entries.len()).all(|i| {
        let (s, e) = list.entries[i];
        alone_on_line(text, s, e, format)
    });
    if alone {
        return lines_edits(&list, plan, &kept);
    }
    Err(
        "its `scopes` list spreads over several lines with several entries on one: edit it by hand"
            .into(),
    )
}

/// Every entry goes: the list is written anew, `[added]` or (a block list) one `- added` line
/// each.
fn new_list(list: &List<'_>, add: &[String]) -> Result<Edit, String> {
    let text = list.text;
    let items = list.quoted(add, (!list.entries.is_empty()).then_some(0));
    let (start, end) = if list.flow {
        let s = list.start + (text[list.start..].len() - text[list.start..].trim_start().len());
        (s, list.end)
    } else {
        // A block list: from the first entry's dash to the end of the last entry's line.
        let first = list.entries.first().ok_or("its `scopes` list is empty")?;
        let dash = text[..first.0].rfind('-').ok_or("unexpected list layout")?;
        let last = list.entries.last().expect("not empty");
        (dash, line_end(text, last.1))
    };
    let new = if list.flow || items.is_empty() {
        format!("[{}]", items.join(", "))
    } else {
        let indent: String = text[line_start(text, start)..start]
            .chars()
            .map(|c| if c == '-' { ' ' } else { c })
            .collect();
        items
            .iter()
            .map(|i| format!("- {i}"))
            .collect::<Vec<_>>()
            .join(&format!("\n{indent}"))
    };
    Ok(Edit {
        start,
        end,
        text: new,
    })
}

/// A block list (`- scope` lines): removed entries lose their line, added ones follow the
/// last kept entry with its indentation.
fn block_edits(list: &List<'_>, plan: &Plan<'_>, kept: &[usize]) -> Result<Vec<Edit>, String> {
    let text = list.text;
    let mut out = Vec::new();
    for &i in &plan.remove {
        let (s, e) = list.entries[i];
        if !alone_on_line(text, s, e, list.format) {
            return Err("a block-list entry shares its line with something else".into());
        }
        out.push(delete_line(text, s, e));
    }
    if plan.add.is_empty() {
        return Ok(out);
    }
    let last = *kept.last().expect("some kept");
    let (ks, ke) = list.entries[last];
    let dash = text[..ks].rfind('-').ok_or("unexpected list layout")?;
    let indent = &text[line_start(text, ks)..dash];
    let at = (line_end(text, ke) + 1).min(text.len());
    let mut s = String::new();
    if at == text.len() && !text.ends_with('\n') {
        s.push('\n');
    }
    for item in list.quoted(&plan.add, Some(last)) {
        s.push_str(indent);
        s.push_str("- ");
        s.push_str(&item);
        s.push('\n');
    }
    out.push(Edit {
        start: at,
        end: at,
        text: s,
    });
    Ok(out)
}

fn delete_line(text: &str, s: usize, e: usize) -> Edit {
    Edit {
        start: line_start(text, s),
        end: (line_end(text, e) + 1).min(text.len()),
        text: String::new(),
    }
}

/// A flow list on one line (no comment can be inside it): written anew from the kept entries
/// as written and the added ones, with its padding, separator and trailing comma.
fn inline_list(
    list: &List<'_>,
    plan: &Plan<'_>,
    kept: &[usize],
    open: usize,
    close: usize,
) -> Edit {
    let text = list.text;
    let first = list.entries[0].0;
    let pad_left = &text[open + 1..first];
    let pad_left = if pad_left.trim().is_empty() {
        pad_left
    } else {
        ""
    };
    let last_entry = list.entries.len() - 1;
    let trailing = list.comma_after(last_entry).is_some();
    let tail_from = list
        .comma_after(last_entry)
        .map_or(list.entries[last_entry].1, |c| c + 1);
    let pad_right = &text[tail_from..close];
    let pad_right = if pad_right.trim().is_empty() {
        pad_right
    } else {
        ""
    };
    let sep = if list.entries.len() > 1 {
        let gap = &text[list.entries[0].1..list.entries[1].0];
        if gap.trim() == "," {
            gap.to_string()
        } else {
            ", ".into()
        }
    } else {
        ", ".into()
    };
    let mut items: Vec<String> = kept.iter().map(|&i| list.sample(i).to_string()).collect();
    items.extend(list.quoted(&plan.add, kept.last().copied()));
    Edit {
        start: open,
        end: close + 1,
        text: format!(
            "[{pad_left}{}{}{pad_right}]",
            items.join(&sep),
            if trailing { "," } else { "" }
        ),
    }
}

/// A flow list with one entry per line: removed entries lose their line; added ones follow
/// the last kept entry, one per line; the last entry ends with a comma exactly when the
/// original's did (JSON allows none).
fn lines_edits(list: &List<'_>, plan: &Plan<'_>, kept: &[usize]) -> Result<Vec<Edit>, String> {
    let text = list.text;
    let mut out: Vec<Edit> = plan
        .remove
        .iter()
        .map(|&i| delete_line(text, list.entries[i].0, list.entries[i].1))
        .collect();
    let last_entry = list.entries.len() - 1;
    let trailing = list.comma_after(last_entry).is_some();
    let last_kept = *kept.last().expect("some kept");
    let comma = list.comma_after(last_kept);
    if plan.add.is_empty() {
        if let (Some(c), false) = (comma, trailing) {
            // The last kept entry is last now: no comma after it.
            out.push(Edit {
                start: c,
                end: c + 1,
                text: String::new(),
            });
        }
        return Ok(out);
    }
    let (ks, ke) = list.entries[last_kept];
    let at = line_end(text, ke);
    // The comma the last kept entry now needs goes right after it (before a comment); when
    // nothing follows it on its line, it leads the inserted text (one edit at one offset).
    let lead = match comma {
        Some(_) => "",
        None if at == ke => ",",
        None => {
            out.push(Edit {
                start: ke,
                end: ke,
                text: ",".into(),
            });
            ""
        }
    };
    let indent = &text[line_start(text, ks)..ks];
    let items = list.quoted(&plan.add, Some(last_kept));
    out.push(Edit {
        start: at,
        end: at,
        text: format!(
            "{lead}\n{indent}{}{}",
            items.join(&format!(",\n{indent}")),
            if trailing { "," } else { "" }
        ),
    });
    Ok(out)
}

/// Adds `scopes` to a JSON object or YAML flow mapping closing at `close`: after its last
/// value, on a line of its own (indented like `name`) when the object spreads over lines.
fn add_key_to_object(
    text: &str,
    ts: usize,
    close: usize,
    name_at: usize,
    format: Format,
    list: &str,
) -> Edit {
    let key = if format == Format::Json {
        "\"scopes\": "
    } else {
        "scopes: "
    };
    let last_value = ts + text[ts..close].trim_end().len();
    let comma = if text[ts..last_value].ends_with(',') {
        ""
    } else {
        ","
    };
    let text_out = if text[last_value..close].contains('\n') {
        let line = &text[line_start(text, name_at)..];
        let indent = &line[..line.len() - line.trim_start().len()];
        format!("{comma}\n{indent}{key}{list}")
    } else {
        format!("{comma} {key}{list}")
    };
    Edit {
        start: last_value,
        end: last_value,
        text: text_out,
    }
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
        return Ok(vec![add_key_to_object(
            text,
            ts,
            ts + body.len() - 1,
            name_at,
            format,
            &list,
        )]);
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
