//! serde_json's pretty layout, with the document's one long list laid out a piece at a time.
//!
//! JSON and SARIF documents are small but for their list of findings. The document is printed
//! with that list standing in as a marker value; each element of the list is pretty-printed
//! on its own (in parallel, by the caller) and shifted to its depth; and the writer copies the
//! bytes in order. The result is byte for byte what serde_json prints for the whole document:
//! the pretty printer breaks lines only between tokens (a line break in a string is escaped),
//! so shifting every line after the first by the depth's indentation gives what it prints for
//! the element in place.

use std::io::{self, Write};

use serde::Serialize;

/// What the long list is printed as in the document: a string no input can make appear as a
/// value (see [`write_spliced`]).
pub const MARK: &str = "\u{0}scopeward:list\u{0}";

/// Serialises as [`MARK`].
pub struct Mark;

impl Serialize for Mark {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(MARK)
    }
}

/// Two spaces a level, as serde_json's pretty printer indents.
const INDENT: &[u8] = b"  ";

/// `value` pretty-printed alone, each line after the first shifted to sit at `depth`.
pub fn at_depth(value: &impl Serialize, depth: usize) -> io::Result<Vec<u8>> {
    let alone = serde_json::to_vec_pretty(value)?;
    let breaks = memchr::memchr_iter(b'\n', &alone).count();
    let mut shifted = Vec::with_capacity(alone.len() + breaks * depth * INDENT.len());
    let mut from = 0;
    for at in memchr::memchr_iter(b'\n', &alone) {
        shifted.extend_from_slice(&alone[from..=at]);
        for _ in 0..depth {
            shifted.extend_from_slice(INDENT);
        }
        from = at + 1;
    }
    shifted.extend_from_slice(&alone[from..]);
    Ok(shifted)
}

/// Writes `doc` pretty-printed, then a line feed, with the value of its key `key` (which
/// serialises as [`Mark`]) written as a list of the elements `items` gives for the depth it
/// passes (each from [`at_depth`] at that depth).
///
/// The marker is found as `"key": "MARK"`: a quote inside a printed string is always escaped,
/// so those bytes can only be the document's own key and value, never text from an input. It
/// must be there exactly once.
pub fn write_spliced<I>(
    out: &mut dyn Write,
    doc: &impl Serialize,
    key: &str,
    items: impl FnOnce(usize) -> I,
) -> io::Result<()>
where
    I: Iterator<Item = io::Result<Vec<u8>>>,
{
    let head = serde_json::to_vec_pretty(doc)?;
    let mut pattern = serde_json::to_vec(key)?;
    pattern.extend_from_slice(b": ");
    pattern.extend_from_slice(&serde_json::to_vec(MARK)?);
    let mut found = memchr::memmem::find_iter(&head, &pattern);
    let (Some(at), None) = (found.next(), found.next()) else {
        return Err(io::Error::other(format!(
            "the document's `{key}` list is not where it should be"
        )));
    };
    let line = head[..at]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let depth = (at - line) / INDENT.len();
    let value = at + pattern.len() - serde_json::to_vec(MARK)?.len();
    out.write_all(&head[..value])?;
    let mut first = true;
    for item in items(depth + 1) {
        out.write_all(if first { b"[\n" } else { b",\n" })?;
        indent(out, depth + 1)?;
        out.write_all(&item?)?;
        first = false;
    }
    if first {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"\n")?;
        indent(out, depth)?;
        out.write_all(b"]")?;
    }
    out.write_all(&head[at + pattern.len()..])?;
    out.write_all(b"\n")
}

fn indent(out: &mut dyn Write, depth: usize) -> io::Result<()> {
    for _ in 0..depth {
        out.write_all(INDENT)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Doc<L: Serialize> {
        a: u32,
        deep: Vec<Inner<L>>,
        z: &'static str,
    }

    #[derive(Serialize)]
    struct Inner<L: Serialize> {
        before: Vec<u8>,
        list: L,
        after: Option<bool>,
    }

    #[derive(Serialize)]
    struct Item {
        text: String,
        nested: Vec<Vec<u8>>,
    }

    fn doc<L: Serialize>(list: L) -> Doc<L> {
        Doc {
            a: 1,
            deep: vec![Inner {
                before: vec![1, 2],
                list,
                after: None,
            }],
            z: "line\nbreak \"quoted\" list",
        }
    }

    fn spliced(items: &[Item]) -> String {
        let mut out = Vec::new();
        write_spliced(&mut out, &doc(Mark), "list", |depth| {
            items.iter().map(move |i| at_depth(i, depth))
        })
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_spliced_list_prints_as_serde_json_prints_it_in_place() {
        let items = [
            Item {
                text: "a\nb \"list\": x".into(),
                nested: vec![vec![], vec![1]],
            },
            Item {
                text: MARK.into(),
                nested: vec![],
            },
        ];
        for n in [0, 1, 2] {
            let whole = serde_json::to_string_pretty(&doc(&items[..n])).unwrap() + "\n";
            assert_eq!(spliced(&items[..n]), whole, "{n} items");
        }
    }

    #[test]
    fn the_marker_in_input_text_is_not_taken_for_the_list() {
        #[derive(Serialize)]
        struct Two {
            note: String,
            list: Mark,
        }
        let hostile = format!("\"list\": \"{MARK}\"");
        let mut out = Vec::new();
        write_spliced(
            &mut out,
            &Two {
                note: hostile.clone(),
                list: Mark,
            },
            "list",
            |_| std::iter::empty(),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["note"], hostile.as_str());
        assert_eq!(v["list"], serde_json::json!([]));
    }
}
