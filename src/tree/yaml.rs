//! YAML → [`Node`] with granit-parser's event stream (byte offsets for every event).
//!
//! Aliases are expanded by copying the anchored subtree, within a node budget proportional to
//! the file's size, so an alias bomb ends in an error at the alias instead of exhausting memory.
//! Plain scalars are resolved with the YAML 1.2 core schema (`no` stays a string).

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle};

use super::{Entry, Kind, MAX_DEPTH, Node, ParseError, check_duplicate_keys};
use crate::source::{FileId, Span};

enum Frame<'a> {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node<'a>>,
        /// Items handed to the split callback instead of being kept.
        passed: usize,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<Entry<'a>>,
        key: Option<(Cow<'a, str>, Span)>,
    },
}

struct Builder<'a> {
    file: FileId,
    /// The whole file; the parser reads `text[base..]` (a piece of it, or all).
    text: &'a str,
    base: usize,
    anchors: HashMap<usize, (Node<'a>, usize)>,
    /// Nodes still allowed to be created, counting alias expansions.
    budget: usize,
}

pub fn parse(file: FileId, text: &str) -> Result<Node<'_>, ParseError> {
    parse_split(file, text, "", &mut |_, _| {}, &mut |_, _| {})
}

/// Which finished nodes [`build`] hands to its sink instead of keeping them.
#[derive(Clone, Copy)]
enum Split<'k> {
    /// The items of the root mapping's list under this key (none when empty).
    Key(&'k str),
    /// The items of a root list, numbered from this index.
    Items(usize),
}

/// Parses like [`parse`], but hands each item of the root mapping's `split_key` list to `sink`
/// (with its index) as soon as it is complete, instead of keeping it in the tree: large files
/// are converted while they are still being parsed, and never held whole as a tree. Each other
/// entry of the root mapping is shown to `on_root` as soon as it is complete (and kept).
pub fn parse_split<'a>(
    file: FileId,
    text: &'a str,
    split_key: &str,
    sink: &mut dyn FnMut(usize, Node<'a>),
    on_root: &mut dyn FnMut(&str, &Node<'a>),
) -> Result<Node<'a>, ParseError> {
    build(
        file,
        text,
        0..text.len(),
        Split::Key(split_key),
        sink,
        on_root,
    )
}

/// Parses `text[range]` as a document of its own, with every span, offset and error position
/// counted in `text`.
fn build<'a>(
    file: FileId,
    text: &'a str,
    range: std::ops::Range<usize>,
    split: Split<'_>,
    sink: &mut dyn FnMut(usize, Node<'a>),
    on_root: &mut dyn FnMut(&str, &Node<'a>),
) -> Result<Node<'a>, ParseError> {
    let options = granit_parser::options! {
        flow_nesting_limit: MAX_DEPTH,
        block_nesting_limit: MAX_DEPTH,
    };
    let base = range.start;
    let mut b = Builder {
        file,
        text,
        base,
        anchors: HashMap::new(),
        budget: range.len().saturating_mul(2).saturating_add(10_000),
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;

    for next in Parser::new_from_str_with_options(&text[range], options) {
        let (event, span) = next.map_err(|e| b.scan_error(&e))?;
        let start = base + span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().map_or(start, |e| base + e);
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(ParseError::new(
                        b.span(start, end.max(start + 3)),
                        "a second YAML document",
                    )
                    .with_help("a token definition file holds one document; split it into files"));
                }
                continue;
            }
            Event::Alias(id) => {
                let Some((node, count)) = b.anchors.get(&id) else {
                    return Err(ParseError::new(
                        b.span(start, end),
                        "alias to an unknown anchor",
                    ));
                };
                if *count > b.budget {
                    return Err(ParseError::new(
                        b.span(start, end),
                        "aliases expand to too many nodes",
                    )
                    .with_help(
                        "this looks like an alias bomb; scopeward stops expanding aliases \
                         once a document grows far beyond its file size",
                    ));
                }
                b.budget -= count;
                let mut node = node.clone();
                node.span = b.span(start, end);
                node
            }
            Event::UnresolvedAlias(name) => {
                return Err(ParseError::new(
                    b.span(start, end),
                    format!("alias `*{name}` has no anchor"),
                ));
            }
            Event::Anchor(..) => continue,
            Event::Scalar(value, style, anchor, tag) => {
                let forced_str = tag
                    .as_ref()
                    .is_some_and(|t| t.is_yaml_core_schema_tag("str"));
                let kind = if style == ScalarStyle::Plain && !forced_str {
                    resolve_plain(value)
                } else {
                    Kind::Str(value)
                };
                let node = b.leaf(start, end, kind)?;
                if anchor != 0 {
                    b.anchors.insert(anchor, (node.clone(), 1));
                }
                node
            }
            Event::SequenceStart(_, anchor, _) => {
                b.spend(start)?;
                stack.push(Frame::Seq {
                    start,
                    anchor,
                    items: Vec::with_capacity(4),
                    passed: 0,
                });
                continue;
            }
            Event::MappingStart(_, anchor, _) => {
                b.spend(start)?;
                stack.push(Frame::Map {
                    start,
                    anchor,
                    entries: Vec::with_capacity(if stack.len() == 2 { 16 } else { 4 }),
                    key: None,
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    start: s,
                    anchor,
                    items,
                    ..
                }) => b.close(s, end, anchor, Kind::Seq(items)),
                _ => unreachable_structure(&b, start)?,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    start: s,
                    anchor,
                    entries,
                    key,
                }) => {
                    if let Some((k, ks)) = key {
                        return Err(ParseError::new(ks, format!("key `{k}` has no value")));
                    }
                    check_duplicate_keys(&entries)?;
                    b.close(s, end, anchor, Kind::Map(entries))
                }
                _ => unreachable_structure(&b, start)?,
            },
            // Comments (not emitted with the feature off) and future presentation events.
            #[allow(unreachable_patterns)]
            _ => continue,
        };
        // Attach the finished node to its parent, or hand a split item to the sink.
        let stack_len = stack.len();
        let (split_item, first) = match split {
            Split::Key(key) => (
                stack.len() == 2
                    && !key.is_empty()
                    && matches!(&stack[0], Frame::Map { key: Some((k, _)), .. } if k == key),
                0,
            ),
            Split::Items(first) => (stack.len() == 1, first),
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { passed, .. }) if split_item => {
                sink(first + *passed, node);
                *passed += 1;
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let text = match node.kind {
                        Kind::Str(s) => s,
                        Kind::Int(_) | Kind::Float(_) | Kind::Bool(_) | Kind::Null => {
                            Cow::Borrowed(&b.text[node.span.start as usize..node.span.end as usize])
                        }
                        _ => {
                            return Err(ParseError::new(
                                node.span,
                                "a mapping key must be a plain string, not a list or mapping",
                            ));
                        }
                    };
                    *key = Some((text, node.span));
                }
                Some((k, key_span)) => entries.push(Entry {
                    key: {
                        if stack_len == 1 {
                            on_root(&k, &node);
                        }
                        k
                    },
                    key_span,
                    value: node,
                }),
            },
        }
    }
    root.ok_or_else(|| {
        ParseError::new(Span::new(file, 0, 0), "the file is empty")
            .with_help("a token definition file needs `account:` and `tokens:`")
    })
}

impl<'a> Builder<'a> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn spend(&mut self, at: usize) -> Result<(), ParseError> {
        if self.budget == 0 {
            return Err(ParseError::new(
                self.span(at, at),
                "the document has too many nodes",
            ));
        }
        self.budget -= 1;
        Ok(())
    }

    fn leaf(&mut self, start: usize, end: usize, kind: Kind<'a>) -> Result<Node<'a>, ParseError> {
        self.spend(start)?;
        Ok(Node::new(self.span(start, end), kind))
    }

    /// A finished collection; its span ends at the last non-blank byte before `end`.
    fn close(&mut self, start: usize, end: usize, anchor: usize, kind: Kind<'a>) -> Node<'a> {
        let trimmed = self.text[..end.min(self.text.len())]
            .trim_end()
            .len()
            .max(start);
        let node = Node::new(self.span(start, trimmed), kind);
        if anchor != 0 {
            let count = node.count();
            self.anchors.insert(anchor, (node.clone(), count));
        }
        node
    }

    fn scan_error(&self, e: &granit_parser::ScanError) -> ParseError {
        let at = self.base
            + e.marker().byte_offset().unwrap_or_else(|| {
                // Fall back to line/column, which the scanner always has.
                let line = e.marker().line().saturating_sub(1);
                self.text[self.base..]
                    .split_inclusive('\n')
                    .take(line)
                    .map(str::len)
                    .sum::<usize>()
                    + e.marker().col()
            });
        let mut at = at.min(self.text.len());
        let message = e.info();
        if message.contains("tab") {
            // The scanner reports where it noticed, which may be past the tab or at the value
            // before it: point at the tab itself, on this line or the next.
            let bytes = self.text.as_bytes();
            let line_start = bytes[..at]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1);
            let window_end = bytes[at..]
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(1)
                .map_or(bytes.len(), |(i, _)| at + i);
            if let Some(tab) = memchr::memchr(b'\t', &bytes[line_start..window_end]) {
                at = line_start + tab;
            }
        }
        let help = if message.contains("nesting") || message.contains("recursion") {
            Some("token definitions need only a few levels of nesting")
        } else if message.contains("tab") {
            Some("YAML indents with spaces, not tabs")
        } else if message.contains("mapping values are not allowed") {
            Some("a value containing `: ` must be quoted")
        } else {
            None
        };
        let mut err = ParseError::new(self.span(at, at), format!("invalid YAML: {message}"));
        if let Some(h) = help {
            err = err.with_help(h);
        }
        err
    }
}

/// A large document cut into pieces that each parse on their own, so that one big file uses
/// every core: the root mapping up to `key:` with the first item of the block list under that
/// key (the head), then the rest of the list in runs of whole items, each beginning at an
/// item's `-` line. Pieces begin at line starts, so every column, and with it YAML's block
/// structure, is the same as in the whole document.
///
/// Only a plain layout is cut: the list last in the file, no anchors (an alias may name an
/// anchor in another piece), no tab in an indentation. A cut that could change what the
/// document means makes a piece fail to parse alone or hold another number of items than its
/// `-` lines: the caller then parses the document whole.
#[derive(Debug)]
pub struct Pieces {
    /// End of the head: the first item's line.
    head: usize,
    /// Columns before each item's `-`.
    indent: usize,
    items: Vec<Piece>,
}

/// A run of whole items of the list.
#[derive(Debug)]
struct Piece {
    range: std::ops::Range<usize>,
    first: usize,
    count: usize,
}

impl Pieces {
    /// How many runs of items there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Plans [`Pieces`] for `text`'s root list under `key`, in runs of about `piece_bytes`; `None`
/// when the layout is not one that can be cut, or gives fewer than two runs.
pub fn plan_pieces(text: &str, key: &str, piece_bytes: usize) -> Option<Pieces> {
    if has_anchor(text.as_bytes()) {
        return None;
    }
    let mut lines = line_starts(text);
    // The key's line: `key:` at column 0, nothing after it but a comment.
    lines.by_ref().find(|(_, line)| {
        key_line(line, key).is_some_and(|rest| {
            let rest = rest.trim_start_matches([' ', '\t', '\r']);
            rest.is_empty() || rest.starts_with('#')
        })
    })?;
    let mut indent = None;
    let mut starts = Vec::new();
    for (at, line) in lines {
        let n = line.bytes().take_while(|b| *b == b' ').count();
        let rest = &line[n..];
        if rest.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r')) || rest.starts_with('#') {
            continue;
        }
        let item =
            rest.starts_with('-') && matches!(rest.as_bytes().get(1), None | Some(b' ' | b'\r'));
        let Some(indent) = indent else {
            // The first line after the key opens the list, as a block list or not at all.
            if !item {
                return None;
            }
            indent = Some(n);
            starts.push(at);
            continue;
        };
        if n == indent && item {
            starts.push(at);
        } else if n < indent || (indent == 0 && n == 0) {
            // The list ended, and more root keys follow. Parsed alone, a run of items ends at
            // the end of its text, not at a next key, and where the scanner puts a node that
            // ends there (an empty block scalar) may differ: such a file is parsed whole.
            return None;
        }
    }
    let indent = indent?;
    let mut items: Vec<Piece> = Vec::new();
    for (i, &at) in starts.iter().enumerate() {
        match items.last_mut() {
            // The first item is parsed with the head, alone: the list's own start is what the
            // whole parse says it is.
            Some(p) if i > 1 && at - p.range.start < piece_bytes => p.count += 1,
            _ => {
                if let Some(p) = items.last_mut() {
                    // Up to and with the next item's `-`: where the last node before it ends
                    // depends on what the scanner finds next (an empty block scalar is put
                    // there), so it must find the same. The empty item the `-` makes is
                    // dropped.
                    p.range.end = at + indent + 1;
                }
                items.push(Piece {
                    range: at..text.len(),
                    first: i,
                    count: 1,
                });
            }
        }
    }
    (items.len() >= 2).then(|| Pieces {
        head: starts[0],
        indent,
        items,
    })
}

/// What follows `key:` on a line that starts with it.
fn key_line<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    line.strip_prefix(key)?.strip_prefix(':')
}

/// Lines of `text` with their start offsets, without their `\n`.
fn line_starts(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= text.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &text.as_bytes()[at..]).map_or(text.len(), |i| at + i);
        let line = (at, &text[at..end]);
        at = end + 1;
        Some(line)
    })
}

/// Whether `bytes` may define an anchor: `&` where a node's properties can start, followed by
/// a name. (`R&D` or `a & b` are not anchors; a false alarm only parses the file whole.)
fn has_anchor(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'&', bytes).any(|i| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        matches!(
            before,
            None | Some(b' ' | b'\t' | b'\n' | b'[' | b'{' | b',')
        ) && bytes.get(i + 1).is_some_and(|b| !b.is_ascii_whitespace())
    })
}

/// The reason a piece did not stand alone; the document is then parsed whole.
fn not_alone(file: FileId, at: usize) -> ParseError {
    ParseError::new(
        Span::new(file, at, at),
        "a piece of the document does not parse alone",
    )
}

/// Parses the head: the root mapping up to `key:` and the list's first item, which it hands
/// to `sink`, showing each root entry to `on_root`.
pub fn parse_head<'a>(
    file: FileId,
    text: &'a str,
    pieces: &Pieces,
    key: &str,
    sink: &mut dyn FnMut(usize, Node<'a>),
    on_root: &mut dyn FnMut(&str, &Node<'a>),
) -> Result<Node<'a>, ParseError> {
    let piece = &pieces.items[0];
    let mut items = Items::new(piece, text.len(), sink);
    let head = build(
        file,
        text,
        0..piece.range.end,
        Split::Key(key),
        &mut |i, node| items.push(i, node),
        on_root,
    )?;
    let whole = items.finish();
    match head.get(key).map(|e| &e.value.kind) {
        Some(Kind::Seq(list)) if list.is_empty() && whole => Ok(head),
        _ => Err(not_alone(file, pieces.head)),
    }
}

/// Hands a run's items on to a sink, but the empty item of the next run's `-` (which ends the
/// run's text), and checks that the run held as many items as its `-` lines.
struct Items<'s, 'a> {
    sink: &'s mut dyn FnMut(usize, Node<'a>),
    held: Option<(usize, Node<'a>)>,
    count: usize,
    /// The run ends at the next run's `-`, not at the end of the text.
    dash: Option<usize>,
    expected: usize,
}

impl<'s, 'a> Items<'s, 'a> {
    fn new(piece: &Piece, len: usize, sink: &'s mut dyn FnMut(usize, Node<'a>)) -> Self {
        Items {
            sink,
            held: None,
            count: 0,
            dash: (piece.range.end < len).then(|| piece.range.end - 1),
            expected: piece.count,
        }
    }

    fn push(&mut self, i: usize, node: Node<'a>) {
        self.count += 1;
        if self.dash.is_none() {
            (self.sink)(i, node);
        } else if let Some((i, node)) = self.held.replace((i, node)) {
            (self.sink)(i, node);
        }
    }

    /// Whether the run held exactly its items (and the next run's empty one).
    fn finish(self) -> bool {
        match (self.dash, self.held) {
            (None, _) => self.count == self.expected,
            (Some(dash), Some((_, last))) => {
                self.count == self.expected + 1
                    && last.kind == Kind::Null
                    && last.span.start as usize >= dash
            }
            (Some(_), None) => false,
        }
    }
}

/// Parses run `i` (from 1: run 0 is the head's) of the list's items, handing each (with its index in the whole list) to
/// `sink`. Returns the span the run covers as a list.
pub fn parse_piece<'a>(
    file: FileId,
    text: &'a str,
    pieces: &Pieces,
    i: usize,
    sink: &mut dyn FnMut(usize, Node<'a>),
) -> Result<Span, ParseError> {
    let piece = &pieces.items[i];
    let mut items = Items::new(piece, text.len(), sink);
    let list = build(
        file,
        text,
        piece.range.clone(),
        Split::Items(piece.first),
        &mut |i, node| items.push(i, node),
        &mut |_, _| {},
    )?;
    let whole = items.finish();
    let at_dash = list.span.start as usize == piece.range.start + pieces.indent;
    match list.kind {
        Kind::Seq(list_items) if list_items.is_empty() && at_dash && whole => Ok(list.span),
        _ => Err(not_alone(file, piece.range.start)),
    }
}

/// Joins the head and the list (its items handed over already, its last run ending at
/// `last`) into the root the whole document parses to.
pub fn join<'a>(
    file: FileId,
    pieces: &Pieces,
    key: &str,
    mut head: Node<'a>,
    last: Span,
) -> Result<Node<'a>, ParseError> {
    let Kind::Map(entries) = &mut head.kind else {
        return Err(not_alone(file, 0));
    };
    match entries.last_mut() {
        Some(e) if e.key == key => e.value.span.end = last.end,
        _ => return Err(not_alone(file, pieces.head)),
    }
    head.span.end = last.end;
    Ok(head)
}

fn unreachable_structure<'a>(b: &Builder<'a>, at: usize) -> Result<Node<'a>, ParseError> {
    Err(ParseError::new(
        b.span(at, at),
        "invalid YAML: unbalanced collection",
    ))
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(value: Cow<'_, str>) -> Kind<'_> {
    let s: &str = &value;
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Kind::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Kind::Str(value);
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Kind::Int(i);
        }
    } else if let Some(oct) = s.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Kind::Int(i);
        }
    } else if is_decimal_int(s) {
        if let Ok(i) = s.parse::<i64>() {
            return Kind::Int(i);
        }
    } else if is_float(s) {
        if let Ok(f) = s.parse::<f64>() {
            return Kind::Float(f);
        }
    }
    Kind::Str(value)
}

fn is_decimal_int(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => {
            a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
                && !(a.is_empty() && b.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|c| c.is_ascii_digit()),
    };
    let exp_ok = exp.is_none_or(|e| {
        let d = e.strip_prefix(['-', '+']).unwrap_or(e);
        !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exp_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Node<'_>, ParseError> {
        parse(FileId(0), text)
    }

    type Parsed<'a> = (Node<'a>, Vec<(usize, Node<'a>)>);

    fn whole(text: &str) -> Result<Parsed<'_>, ParseError> {
        let mut items = Vec::new();
        let root = parse_split(
            FileId(0),
            text,
            "tokens",
            &mut |i, n| items.push((i, n)),
            &mut |_, _| {},
        )?;
        Ok((root, items))
    }

    /// The document parsed in pieces of about `piece` bytes; `None` when refused.
    fn pieced(text: &str, piece: usize) -> Option<Parsed<'_>> {
        let f = FileId(0);
        let p = plan_pieces(text, "tokens", piece)?;
        let mut items = Vec::new();
        let head = parse_head(
            f,
            text,
            &p,
            "tokens",
            &mut |i, n| items.push((i, n)),
            &mut |_, _| {},
        )
        .ok()?;
        let mut last = None;
        for i in 1..p.len() {
            last = Some(parse_piece(f, text, &p, i, &mut |i, n| items.push((i, n))).ok()?);
        }
        let root = join(f, &p, "tokens", head, last?).ok()?;
        Some((root, items))
    }

    /// In pieces, the document parses to exactly what it parses to whole, or is refused; it
    /// is never accepted in pieces when the whole parse fails.
    fn same_or_refused(text: &str, piece: usize) -> bool {
        match (whole(text), pieced(text, piece)) {
            (_, None) => false,
            (Ok(w), Some(p)) => {
                assert_eq!(w.0, p.0, "the root, in pieces of {piece}:\n{text}");
                assert_eq!(w.1.len(), p.1.len(), "items, in pieces of {piece}:\n{text}");
                for (w, p) in w.1.iter().zip(&p.1) {
                    assert_eq!(w, p, "an item, in pieces of {piece}:\n{text}");
                }
                true
            }
            (Err(e), Some(_)) => {
                panic!("pieces accepted what the whole parse refuses ({e:?}):\n{text}")
            }
        }
    }

    const HEAD: &str = "account:\n  type: brand\ntokens:\n";

    #[test]
    fn a_plain_list_parses_in_pieces_to_what_it_parses_to_whole() {
        let docs = [
            // Indented items, comments and blank lines between them, a comment at the end.
            format!("{HEAD}  - name: a\n    scopes: [ads:read]\n\n  # next\n  - name: b\n    api_version: 14\n  - name: c\n# end\n"),
            // Items at column 0, and no final newline.
            "account: {type: brand}\ntokens:\n- name: a\n  scopes:\n  - ads:read\n- name: b\n- c\n-\n- name: d".to_string(),
            // Deeper items, CRLF line ends, a comment after the key.
            "account:\r\n  type: brand\r\ntokens: # all of them\r\n    - name: a\r\n      x: 1\r\n    - name: b\r\n    - name: c\r\n".to_string(),
            // Block scalars and flow collections that hold item-like lines, deeper.
            format!("{HEAD}  - name: a\n    description: |\n      - not an item\n\n      - nor this\n  - name: b\n    scopes: [\n      a, b,\n      c]\n  - name: c\n    note: \"two\n      - lines\"\n  - name: d\n"),
            // Items that are not mappings.
            format!("{HEAD}  - a\n  - [b, c]\n  - {{d: 1}}\n  -\n  - - nested\n    - list\n"),
        ];
        for doc in &docs {
            for piece in [1, 30, 60] {
                assert!(
                    same_or_refused(doc, piece),
                    "refused at piece size {piece}:\n{doc}"
                );
            }
        }
        // Item indices run on across pieces.
        let (_, items) = pieced(&docs[0], 1).unwrap();
        assert_eq!(items.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn a_cut_that_could_change_the_meaning_parses_whole() {
        let refused = [
            // Root keys after the list.
            "tokens:\n  - name: a\n  - name: b\naccount:\n  type: brand\n".to_string(),
            // An alias may name an anchor in another piece.
            format!("{HEAD}  - name: a\n    scopes: &s [ads:read]\n  - name: b\n    scopes: *s\n"),
            // Not a block list.
            "account: {type: brand}\ntokens: [a, b, c]\n".to_string(),
            "account: {type: brand}\ntokens: !!seq\n  - a\n  - b\n".to_string(),
            // The key twice.
            format!("{HEAD}  - a\n  - b\ntokens:\n  - c\n"),
            // After the list, something at a column other than 0, or a tab.
            format!("{HEAD}    - a\n    - b\n  other: 1\n"),
            format!("{HEAD}  - a\n  - b\n\tother: 1\n"),
            // A quoted string or a flow list that runs over an item's line.
            format!("{HEAD}  - name: \"a\n  - b\"\n  - c\n"),
            format!("{HEAD}  - [a,\n  - b]\n  - c\n"),
            // A second document.
            format!("{HEAD}  - a\n  - b\n---\nc: 1\n"),
            // Something at the items' column that is not an item.
            format!("{HEAD}  - a\n  b: 1\n  - c\n"),
        ];
        for doc in &refused {
            for piece in [1, 30] {
                assert!(
                    !same_or_refused(doc, piece),
                    "cut at piece size {piece}:\n{doc}"
                );
            }
        }
    }

    /// Any document made of item-like, scalar-like and structure lines at any indentation
    /// parses in pieces to what it parses to whole, or is refused; and most plain ones are cut.
    #[test]
    fn pieces_never_change_a_document() {
        let mut seed = 0x5eed_u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let (mut cut, runs) = (0, 20_000);
        for _ in 0..runs {
            let mut doc = String::from(HEAD);
            for _ in 0..next(24) {
                // Mostly whole items; now and then a stray line that may break one, end the
                // list, or change how it reads.
                let text = match next(16) {
                    0 => RISKY[next(RISKY.len())],
                    1..=3 => LINES[next(LINES.len())],
                    _ => ITEMS[next(ITEMS.len())],
                };
                for line in text.lines() {
                    doc.push_str(line);
                    doc.push_str(if next(30) == 0 { "\r\n" } else { "\n" });
                }
            }
            if same_or_refused(&doc, 1 + next(80)) {
                cut += 1;
            }
        }
        assert!(cut > runs / 10, "only {cut} of {runs} documents were cut");
    }

    /// Items as a list holds them.
    const ITEMS: &[&str] = &[
        "  - name: a\n    scopes: [ads:read, ads:write]\n    api_version: 14",
        "  - name: b\n    description: |\n      - in a block\n\n      - still\n",
        "  - |\n    body",
        "  - |",
        "  - >-\n    folded\n    text",
        "  - \"q\"",
        "  - 'it''s'",
        "  -",
        "  - - deep\n    - - deeper",
        "  - {a: 1,\n    b: 2}",
        "  - [a,\n    b]",
        "  - note: \"two\n      lines\"",
        "  # comment",
        "",
        "  - ? k\n    : v",
        "  - name: x # c",
        "  - a: b\n    c:\n    - d\n    - e",
        "  - a: |\n  - b: >\n",
        "  - a: 'x\n\n    y'",
        "  - plain\n    continued",
    ];

    /// Lines as they come, alone.
    const LINES: &[&str] = &[
        "  - name: a",
        "  - b",
        "  -",
        "    - nested",
        "    x: 1",
        "      y: 2",
        "    description: |",
        "      - in a block",
        "    text: >-",
        "   - under",
        "  # comment",
        "",
        "   ",
        "    note: \"open",
        "  - inside quotes\"",
        "    q: 'it''s",
        "  - more'",
        "    flow: [a,",
        "  - b]",
        "    map: {a: 1,",
        "  - c: 2}",
        "  key: v",
        "  ? k",
        "  : v",
        "#",
        "  - 'q'",
        "  - \"d\"",
        "  - |",
        "    body",
        "  -\tt",
        "  - a: b: c",
        "  - - deep",
        "    - - deeper",
        "  - name: x # c",
        "    scopes: [ads:read, ads:write]",
        "  - name: y",
        "    api_version: 14",
    ];

    /// Lines that end the list, or make a cut unsafe.
    const RISKY: &[&str] = &[
        "- c",
        "-",
        "other: 1",
        "account: {type: brand}",
        "tokens:",
        " bad",
        "\tx: 1",
        "---",
        "...",
        "  - &a x",
        "  - *a",
        "    - &b [1]",
        "$schema: s",
        "%YAML 1.2",
    ];

    #[test]
    fn spans_point_at_keys_and_values() {
        let text =
            "account:\n  type: brand\ntokens:\n  - name: \"a b\"\n    scopes: [ads:read, x]\n";
        let root = p(text).unwrap();
        let account = root.get("account").unwrap();
        let ty = account.value.get("type").unwrap();
        assert_eq!(
            &text[ty.key_span.start as usize..ty.key_span.end as usize],
            "type"
        );
        assert_eq!(
            &text[ty.value.span.start as usize..ty.value.span.end as usize],
            "brand"
        );
        let tokens = &root.get("tokens").unwrap().value;
        let Kind::Seq(items) = &tokens.kind else {
            panic!()
        };
        let name = &items[0].get("name").unwrap().value;
        assert_eq!(name.as_str(), Some("a b"));
        assert_eq!(
            &text[name.span.start as usize..name.span.end as usize],
            "\"a b\""
        );
    }

    #[test]
    fn core_schema() {
        let r = |s: &'static str| resolve_plain(Cow::Borrowed(s));
        assert_eq!(r("no"), Kind::Str("no".into()));
        assert_eq!(r("14"), Kind::Int(14));
        assert_eq!(r("1.5e3"), Kind::Float(1500.0));
        assert_eq!(r("2025-06-02"), Kind::Str("2025-06-02".into()));
        assert_eq!(r("~"), Kind::Null);
        assert_eq!(r("-"), Kind::Str("-".into()));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let e = p("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.message, "duplicate key `a`");
        assert_eq!(e.span.start, 10);
        assert_eq!(e.related.unwrap().0.start, 0);
    }

    #[test]
    fn alias_bomb_is_stopped() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..9 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            text.push_str(&format!(
                "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let e = p(&text).unwrap_err();
        assert!(e.message.contains("too many"), "{}", e.message);
    }

    #[test]
    fn aliases_expand_when_small() {
        let root = p("base: &s [ads:read]\nother: *s\n").unwrap();
        let other = &root.get("other").unwrap().value;
        assert!(matches!(&other.kind, Kind::Seq(v) if v.len() == 1));
    }

    #[test]
    fn empty_and_multi_document() {
        assert_eq!(p("").unwrap_err().message, "the file is empty");
        assert_eq!(
            p("# only a comment\n").unwrap_err().message,
            "the file is empty"
        );
        assert!(
            p("a: 1\n---\nb: 2\n")
                .unwrap_err()
                .message
                .contains("second")
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        assert!(p(&text).is_err());
        let mut block = String::new();
        for i in 0..2000 {
            block.push_str(&" ".repeat(i));
            block.push_str("a:\n");
        }
        assert!(p(&block).is_err());
    }
}
