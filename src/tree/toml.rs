//! TOML → [`Node`] with the `toml` crate's spanned document (`DeTable`).

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Entry, Kind, Node, ParseError};
use crate::source::{FileId, Span};

/// How deep the `toml` parser nests before it stops (its own fixed limit, below
/// [`super::MAX_DEPTH`]).
pub const TOML_MAX_DEPTH: usize = 80;

pub fn parse(file: FileId, text: &str) -> Result<Node<'_>, ParseError> {
    // Blank means TOML whitespace (space, tab), line breaks (LF, CRLF) and comments only: a
    // vertical tab, form feed or lone CR is not whitespace in TOML, and the parser says so.
    let blank = text.split_inclusive('\n').all(|l| {
        let l = l
            .strip_suffix("\r\n")
            .or_else(|| l.strip_suffix('\n'))
            .unwrap_or(l);
        let l = l.trim_matches(|c| c == ' ' || c == '\t');
        l.is_empty() || l.starts_with('#')
    });
    if blank {
        return Err(ParseError::new(Span::new(file, 0, 0), "the file is empty")
            .with_help("a token definition file needs `account` and `[[tokens]]`"));
    }
    let (table, errors) = DeTable::parse_recoverable(text);
    // The parser goes on past an error: report the first one in the file.
    if let Some(e) = errors
        .iter()
        .min_by_key(|e| e.span().map_or(usize::MAX, |r| r.start))
    {
        let range = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        let mut err = ParseError::new(
            Span::new(file, range.start, range.end),
            format!("invalid TOML: {message}"),
        );
        if message.contains("duplicate key") {
            err = err.with_help("a key may appear once in a table; remove or merge one of them");
        } else if message.contains("recursion") || message.contains("nest") {
            err = err.with_help(format!(
                "TOML nests at most {TOML_MAX_DEPTH} levels; token definitions need only a few"
            ));
        }
        return Err(err);
    }
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

    #[test]
    fn only_toml_whitespace_is_blank() {
        for text in ["\u{b}", "\u{c}", "\r", "a = 1\r"] {
            let e = parse(FileId(0), text).expect_err(text);
            assert!(
                e.message.starts_with("invalid TOML"),
                "{text:?}: {}",
                e.message
            );
        }
        for text in ["", " \t\n", "# c\r\n\r\n"] {
            assert_eq!(
                parse(FileId(0), text).unwrap_err().message,
                "the file is empty"
            );
        }
    }

    #[test]
    fn the_first_problem_is_the_one_reported() {
        // The parser reports the missing `]` (at `y`) after a problem it found later in the
        // file; the first one in the file is at byte 8.
        let text = "x = [1,\ny = 2\n[t]\n[t]\n";
        let e = parse(FileId(0), text).unwrap_err();
        assert_eq!(e.span.start, 8, "{e:?} is not the first problem");
    }
}
