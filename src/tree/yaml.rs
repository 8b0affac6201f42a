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
    text: &'a str,
    anchors: HashMap<usize, (Node<'a>, usize)>,
    /// Nodes still allowed to be created, counting alias expansions.
    budget: usize,
}

pub fn parse(file: FileId, text: &str) -> Result<Node<'_>, ParseError> {
    parse_split(file, text, "", &mut |_, _| {}, &mut |_, _| {})
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
    let options = granit_parser::options! {
        flow_nesting_limit: MAX_DEPTH,
        block_nesting_limit: MAX_DEPTH,
    };
    let mut b = Builder {
        file,
        text,
        anchors: HashMap::new(),
        budget: text.len().saturating_mul(2).saturating_add(10_000),
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;

    for next in Parser::new_from_str_with_options(text, options) {
        let (event, span) = next.map_err(|e| b.scan_error(&e))?;
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
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
        let split_item = stack.len() == 2
            && !split_key.is_empty()
            && matches!(&stack[0], Frame::Map { key: Some((k, _)), .. } if k == split_key);
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { passed, .. }) if split_item => {
                sink(*passed, node);
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
        let at = e.marker().byte_offset().unwrap_or_else(|| {
            // Fall back to line/column, which the scanner always has.
            let line = e.marker().line().saturating_sub(1);
            self.text
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
