//! JSON → [`Node`] with jsonc-parser's AST (byte ranges for keys and values), in strict mode:
//! no comments, trailing commas or other JSON5 liberties. What jsonc-parser still lets through
//! (unknown escapes such as `\a` read as `a`, `NaN`, `1.`, `.5`, raw control characters in
//! strings, form feed as whitespace, lone surrogates) is refused by a second, strict RFC 8259
//! pass with serde_json, so a value always means what the file says. A UTF-8 byte order mark
//! is allowed before the document.

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

use super::{Entry, Kind, Node, ParseError, check_duplicate_keys};
use crate::source::{FileId, Span};

pub fn parse(file: FileId, text: &str) -> Result<Node<'_>, ParseError> {
    // A byte order mark is not part of the document; spans still count it.
    let (bom, text) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ('\u{feff}'.len_utf8(), rest),
        None => (0, text),
    };
    let node = parse_document(file, text, bom)?;
    strict(file, text, bom)?;
    Ok(node)
}

/// The strict RFC 8259 pass: whatever jsonc-parser accepted must be JSON as the RFC says.
fn strict(file: FileId, text: &str, bom: usize) -> Result<(), ParseError> {
    use serde::de::{Deserialize, IgnoredAny};
    let mut de = serde_json::Deserializer::from_str(text);
    // jsonc-parser has already bounded the nesting (see `parse_document`).
    de.disable_recursion_limit();
    let checked = IgnoredAny::deserialize(&mut de).and_then(|_| de.end());
    let Err(e) = checked else {
        return Ok(());
    };
    let at = offset_of(text, e.line(), e.column());
    let what = e.to_string();
    // serde_json says "… at line L column C": the span says where.
    let what = what.split(" at line ").next().unwrap_or(&what).to_string();
    let help = if what.contains("escape") {
        "a string may escape only \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX"
    } else if what.contains("control character") {
        "write control characters in strings as escapes (`\\n`, `\\t`, `\\u0001`)"
    } else if what.contains("number") || what.contains("expected value") {
        "JSON numbers look like `12`, `1.5` or `-3e2`; NaN, Infinity, `1.` and `.5` are not JSON"
    } else {
        "the file must be JSON as RFC 8259 defines it"
    };
    Err(ParseError::new(
        Span::new(file, bom + at, bom + at),
        format!("invalid JSON: {what}"),
    )
    .with_help(help))
}

/// The byte offset of serde_json's one-based line and column (columns count bytes).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    let mut at = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn parse_document(file: FileId, text: &str, bom: usize) -> Result<Node<'_>, ParseError> {
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        ..ParseOptions::default()
    };
    let result = parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
        let r = e.range();
        let kind = e.kind().to_string();
        let lower = kind.to_ascii_lowercase();
        let mut err = ParseError::new(
            Span::new(file, bom + r.start, bom + r.end),
            format!("invalid JSON: {kind}"),
        );
        if lower.contains("comment") {
            err = err.with_help("JSON has no comments; use YAML or TOML to annotate tokens");
        } else if lower.contains("trailing comma") {
            err = err.with_help("remove the comma after the last item");
        } else if lower.contains("nesting") {
            err = err.with_help("token definitions need only a few levels of nesting");
        }
        err
    })?;
    match result.value {
        Some(v) => convert(file, bom, v),
        None => Err(ParseError::new(Span::new(file, 0, 0), "the file is empty")
            .with_help("a token definition file needs `account` and `tokens`")),
    }
}

fn convert(file: FileId, bom: usize, value: Value<'_>) -> Result<Node<'_>, ParseError> {
    let span = |r: jsonc_parser::common::Range| Span::new(file, bom + r.start, bom + r.end);
    Ok(match value {
        Value::StringLit(s) => Node::new(span(s.range), Kind::Str(s.value)),
        Value::NumberLit(n) => {
            let kind = match n.value.parse::<i64>() {
                Ok(i) => Kind::Int(i),
                Err(_) => match n.value.parse::<f64>() {
                    Ok(f) => Kind::Float(f),
                    Err(_) => return Err(ParseError::new(span(n.range), "invalid number")),
                },
            };
            Node::new(span(n.range), kind)
        }
        Value::BooleanLit(b) => Node::new(span(b.range), Kind::Bool(b.value)),
        Value::NullKeyword(n) => Node::new(span(n.range), Kind::Null),
        Value::Array(a) => Node::new(
            span(a.range),
            Kind::Seq(
                a.elements
                    .into_iter()
                    .map(|v| convert(file, bom, v))
                    .collect::<Result<_, _>>()?,
            ),
        ),
        Value::Object(o) => {
            let mut entries = Vec::with_capacity(o.properties.len());
            for prop in o.properties {
                let (key, key_range) = match prop.name {
                    ObjectPropName::String(s) => (s.value, s.range),
                    ObjectPropName::Word(w) => (std::borrow::Cow::Borrowed(w.value), w.range),
                };
                entries.push(Entry {
                    key,
                    key_span: span(key_range),
                    value: convert(file, bom, prop.value)?,
                });
            }
            check_duplicate_keys(&entries)?;
            Node::new(span(o.range), Kind::Map(entries))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_errors() {
        let text = r#"{"account": {"type": "brand"}, "tokens": [{"name": "x"}]}"#;
        let root = parse(FileId(0), text).unwrap();
        let ty = root.get("account").unwrap().value.get("type").unwrap();
        assert_eq!(
            &text[ty.key_span.start as usize..ty.key_span.end as usize],
            "\"type\""
        );
        assert!(parse(FileId(0), "{\"a\": 1,}").is_err());
        assert!(
            parse(FileId(0), "{\"a\": 1, \"a\": 2}")
                .unwrap_err()
                .message
                .contains("duplicate")
        );
        assert!(parse(FileId(0), "").is_err());
        assert!(parse(FileId(0), &"[".repeat(100_000)).is_err());
        assert!(parse(FileId(0), "// c\n{}").is_err());
    }

    #[test]
    fn only_rfc_8259_json_is_accepted() {
        for bad in [
            r#"{"scopes": ["campaigns:re\ad"]}"#,
            r#"{"name": "t\qx"}"#,
            r#"{"n": NaN}"#,
            r#"{"n": 1.}"#,
            r#"{"n": .5}"#,
            "{\"name\": \"a\u{1}b\"}",
            "{\u{c}\"a\": 1}",
            r#"{"name": "\ud800"}"#,
        ] {
            let e = parse(FileId(0), bad).expect_err(bad);
            assert!(
                e.message.starts_with("invalid JSON"),
                "{bad}: {}",
                e.message
            );
            assert!(e.span.end as usize <= bad.len());
        }
        // Escapes that JSON has keep their meaning.
        let root = parse(FileId(0), r#"{"a": "x\u0041\n\/"}"#).unwrap();
        assert_eq!(root.get("a").unwrap().value.as_str(), Some("xA\n/"));
        // A byte order mark is allowed, and spans count it.
        let text = "\u{feff}{\"a\": 1}";
        let root = parse(FileId(0), text).unwrap();
        let a = root.get("a").unwrap();
        assert_eq!(
            &text[a.key_span.start as usize..a.key_span.end as usize],
            "\"a\""
        );
    }
}
