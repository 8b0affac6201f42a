//! JSON → [`Node`] with jsonc-parser's AST (byte ranges for keys and values), in strict mode:
//! no comments, trailing commas or other JSON5 liberties.

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

use super::{Entry, Kind, Node, ParseError, check_duplicate_keys};
use crate::source::{FileId, Span};

pub fn parse(file: FileId, text: &str) -> Result<Node<'_>, ParseError> {
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
            Span::new(file, r.start, r.end),
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
        Some(v) => convert(file, v),
        None => Err(ParseError::new(Span::new(file, 0, 0), "the file is empty")
            .with_help("a token definition file needs `account` and `tokens`")),
    }
}

fn convert(file: FileId, value: Value<'_>) -> Result<Node<'_>, ParseError> {
    let span = |r: jsonc_parser::common::Range| Span::new(file, r.start, r.end);
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
                    .map(|v| convert(file, v))
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
                    value: convert(file, prop.value)?,
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
}
