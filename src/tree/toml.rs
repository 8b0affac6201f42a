//! TOML → [`Node`] with the `toml` crate's spanned document (`DeTable`).

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Entry, Kind, Node, ParseError};
use crate::source::{FileId, Span};

pub fn parse(file: FileId, text: &str) -> Result<Node<'_>, ParseError> {
    let blank = text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    });
    if blank {
        return Err(ParseError::new(Span::new(file, 0, 0), "the file is empty")
            .with_help("a token definition file needs `account` and `[[tokens]]`"));
    }
    let table = DeTable::parse(text).map_err(|e| {
        let range = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        let mut err = ParseError::new(
            Span::new(file, range.start, range.end),
            format!("invalid TOML: {message}"),
        );
        if message.contains("duplicate key") {
            err = err.with_help("a key may appear once in a table; remove or merge one of them");
        } else if message.contains("recursion") || message.contains("nest") {
            err = err.with_help("token definitions need only a few levels of nesting");
        }
        err
    })?;
    let span = table.span();
    let entries = convert_table(file, table.into_inner(), 0)?;
    Ok(Node::new(
        Span::new(file, span.start, span.end),
        Kind::Map(entries),
    ))
}

fn convert_table(
    file: FileId,
    table: DeTable<'_>,
    depth: usize,
) -> Result<Vec<Entry<'_>>, ParseError> {
    let mut entries = Vec::with_capacity(table.len());
    for (key, value) in table {
        let key_range = key.span();
        entries.push(Entry {
            key: key.into_inner(),
            key_span: Span::new(file, key_range.start, key_range.end),
            value: convert(file, value, depth + 1)?,
        });
    }
    Ok(entries)
}

fn convert(
    file: FileId,
    value: Spanned<DeValue<'_>>,
    depth: usize,
) -> Result<Node<'_>, ParseError> {
    let range = value.span();
    let span = Span::new(file, range.start, range.end);
    if depth > super::MAX_DEPTH {
        return Err(ParseError::new(
            span,
            format!("nesting is deeper than {} levels", super::MAX_DEPTH),
        ));
    }
    let kind = match value.into_inner() {
        DeValue::String(s) => Kind::Str(s),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(n) => Kind::Int(n),
                Err(_) => return Err(ParseError::new(span, "integer out of range")),
            }
        }
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(x) => Kind::Float(x),
            Err(_) => return Err(ParseError::new(span, "invalid number")),
        },
        DeValue::Boolean(b) => Kind::Bool(b),
        DeValue::Datetime(d) => Kind::Datetime(d.to_string()),
        DeValue::Array(items) => Kind::Seq(
            items
                .into_iter()
                .map(|v| convert(file, v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => Kind::Map(convert_table(file, t, depth)?),
    };
    Ok(Node::new(span, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_kinds() {
        let text = "[account]\ntype = \"brand\"\n\n[[tokens]]\nname = \"x\"\ncreated = 2025-06-02\nscopes = [\"ads:read\"]\n";
        let root = parse(FileId(0), text).unwrap();
        let account = &root.get("account").unwrap().value;
        let ty = account.get("type").unwrap();
        assert_eq!(
            &text[ty.key_span.start as usize..ty.key_span.end as usize],
            "type"
        );
        assert_eq!(ty.value.as_str(), Some("brand"));
        let Kind::Seq(tokens) = &root.get("tokens").unwrap().value.kind else {
            panic!()
        };
        let created = &tokens[0].get("created").unwrap().value;
        assert_eq!(created.kind, Kind::Datetime("2025-06-02".into()));
    }

    #[test]
    fn errors_have_spans() {
        let e = parse(FileId(0), "a = 1\na = 2\n").unwrap_err();
        assert!(e.message.contains("duplicate"), "{}", e.message);
        assert_eq!(e.span.start, 6);
        assert!(parse(FileId(0), "").is_err());
        let deep = format!("a = {}{}", "[".repeat(50_000), "]".repeat(50_000));
        assert!(parse(FileId(0), &deep).is_err());
    }
}
