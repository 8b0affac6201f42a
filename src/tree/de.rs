//! A serde `Deserializer` over a [`Node`] tree, so typed models (token definitions, the policy,
//! catalogues) are plain `#[derive(Deserialize)]` structs, while every error still carries the
//! span of the exact key or value, its path (`tokens[3].scopes[1]`) and a did-you-mean.
//!
//! [`Sp<T>`] captures a value's span the way `toml::Spanned` does: a struct with a reserved name
//! that this deserializer recognises.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};
use serde::{Deserialize, Serialize};

use super::{Entry, Kind, Node};
use crate::source::{FileId, Span};

const SPANNED: &str = "$scopeward::Sp";
const SPANNED_FIELDS: &[&str] = &["$file", "$start", "$end", "$value"];

/// A value with the span it was read from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }
}

impl<T> std::ops::Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Serialize> Serialize for Sp<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for SpVisitor<T> {
            type Value = Sp<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a spanned value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sp<T>, A::Error> {
                let mut file = 0u32;
                let mut start = 0u32;
                let mut end = 0u32;
                let mut value = None;
                while let Some(key) = map.next_key::<&str>()? {
                    match key {
                        "$file" => file = map.next_value()?,
                        "$start" => start = map.next_value()?,
                        "$end" => end = map.next_value()?,
                        _ => value = Some(map.next_value()?),
                    }
                }
                let value = value.ok_or_else(|| de::Error::custom("spanned value missing"))?;
                Ok(Sp {
                    value,
                    span: Span {
                        file: FileId(file),
                        start,
                        end,
                    },
                })
            }
        }
        deserializer.deserialize_struct(SPANNED, SPANNED_FIELDS, SpVisitor(Default::default()))
    }
}

/// A deserialisation error: what is wrong, where, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeError {
    pub message: String,
    pub span: Option<Span>,
    pub help: Option<String>,
    /// Path from the deserialised root, e.g. `tokens[3].scopes[1]`.
    pub path: String,
    missing_field: bool,
}

impl DeError {
    pub fn new(message: impl Into<String>) -> Self {
        DeError {
            message: message.into(),
            span: None,
            help: None,
            path: String::new(),
            missing_field: false,
        }
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span.get_or_insert(span);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    fn within_key(mut self, key: &str) -> Self {
        let sep = if self.path.is_empty() || self.path.starts_with('[') {
            ""
        } else {
            "."
        };
        self.path = format!("{key}{sep}{}", self.path);
        self
    }

    fn within_index(mut self, index: usize) -> Self {
        let sep = if self.path.is_empty() || self.path.starts_with('[') {
            ""
        } else {
            "."
        };
        self.path = format!("[{index}]{sep}{}", self.path);
        self
    }

    /// Prefix for a path built by a caller that deserialises a subtree (`tokens[3]`).
    pub fn under(mut self, prefix: &str) -> Self {
        if self.path.is_empty() {
            self.path = prefix.to_string();
        } else if self.path.starts_with('[') {
            self.path = format!("{prefix}{}", self.path);
        } else {
            self.path = format!("{prefix}.{}", self.path);
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(msg.to_string())
    }

    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        let found = match unexp {
            de::Unexpected::Str(s) => {
                format!("the string \"{}\"", crate::redact::redact_if_secret(s))
            }
            de::Unexpected::Map => "a mapping".to_string(),
            de::Unexpected::Seq => "a list".to_string(),
            de::Unexpected::Unit => "nothing (null)".to_string(),
            other => other.to_string(),
        };
        let expected = exp
            .to_string()
            .replace("a sequence", "a list")
            .replace("a map", "a table");
        DeError::new(format!("expected {expected}, found {found}"))
    }

    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        let found = match unexp {
            de::Unexpected::Str(s) => format!("\"{}\"", crate::redact::redact_if_secret(s)),
            other => other.to_string(),
        };
        DeError::new(format!("invalid value {found}: expected {exp}"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let shown = crate::redact::redact_if_secret(variant);
        let mut e = DeError::new(format!("unknown value `{shown}`"));
        let word = crate::did_you_mean::account_type_word(variant, expected.iter().copied());
        e.help = Some(match word {
            Some((s, why)) => format!(
                "did you mean `{s}`? impact.com's API calls {why}; expected one of {}",
                one_of(expected)
            ),
            None => match crate::did_you_mean::did_you_mean(variant, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? expected one of {}", one_of(expected)),
                None => format!("expected one of {}", one_of(expected)),
            },
        });
        e
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut e = DeError::new(format!("unknown key `{field}`"));
        e.help = Some(
            match crate::did_you_mean::did_you_mean(field, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("expected one of {}", one_of(expected)),
            },
        );
        e
    }

    fn missing_field(field: &'static str) -> Self {
        let mut e = DeError::new(format!("missing required key `{field}`"));
        e.missing_field = true;
        e
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError::new(format!("duplicate key `{field}`"))
    }
}

fn one_of(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Deserialises a typed value from a tree node.
pub fn from_node<'de, T: Deserialize<'de>>(node: &'de Node<'de>) -> Result<T, DeError> {
    T::deserialize(NodeDe(node))
}

/// A `Deserializer` over one node.
#[derive(Clone, Copy)]
pub struct NodeDe<'a>(pub &'a Node<'a>);

impl<'a> NodeDe<'a> {
    fn fail(&self, e: DeError) -> DeError {
        if e.missing_field && e.span.is_none() {
            // Point at the first line of the mapping rather than all of it.
            let span = match &self.0.kind {
                Kind::Map(entries) if !entries.is_empty() => {
                    let first = &entries[0];
                    Span {
                        file: self.0.span.file,
                        start: self.0.span.start.min(first.key_span.start),
                        end: first
                            .value
                            .span
                            .end
                            .min(first.key_span.end.max(first.key_span.start)),
                    }
                }
                _ => self.0.span,
            };
            return e.at(span);
        }
        e.at(self.0.span)
    }
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.deserialize_any(visitor)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.0.kind {
            Kind::Null => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(*b),
            Kind::Int(i) => visitor.visit_i64(*i),
            Kind::Float(f) => visitor.visit_f64(*f),
            Kind::Str(s) => visitor.visit_borrowed_str(s),
            Kind::Datetime(s) => visitor.visit_borrowed_str(s),
            Kind::Seq(items) => visitor.visit_seq(Seq {
                items: items.iter(),
                index: 0,
            }),
            Kind::Map(entries) => visitor.visit_map(Map {
                entries: entries.iter(),
                current: None,
            }),
        };
        r.map_err(|e| self.fail(e))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.kind {
            Kind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
        .map_err(|e| self.fail(e))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == SPANNED {
            return visitor.visit_map(SpannedAccess {
                node: self.0,
                field: 0,
            });
        }
        match &self.0.kind {
            Kind::Map(_) => self.deserialize_any(visitor),
            other => Err(self.fail(DeError::new(format!(
                "expected a table with keys such as {}, found {}",
                one_of(&fields[..fields.len().min(3)]),
                other.describe()
            )))),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.0.kind {
            Kind::Str(s) => visitor.visit_enum(EnumStr(s)).map_err(|e| self.fail(e)),
            other => Err(self.fail(DeError::new(format!(
                "expected one of {}, found {}",
                one_of(variants),
                other.describe()
            )))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_unit
        deserialize_seq deserialize_map deserialize_identifier
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }
}

struct Seq<'a> {
    items: std::slice::Iter<'a, Node<'a>>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(NodeDe(node))
            .map(Some)
            .map_err(|e| e.at(node.span).within_index(index))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Map<'a> {
    entries: std::slice::Iter<'a, Entry<'a>>,
    current: Option<&'a Entry<'a>>,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some(entry);
        seed.deserialize(KeyDe(entry))
            .map(Some)
            .map_err(|e| e.at(entry.key_span).within_key(&entry.key))
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let entry = self.current.take().expect("value requested before key");
        seed.deserialize(NodeDe(&entry.value))
            .map_err(|e| e.at(entry.value.span).within_key(&entry.key))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct KeyDe<'a>(&'a Entry<'a>);

impl<'de> Deserializer<'de> for KeyDe<'de> {
    type Error = DeError;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(&self.0.key)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct SpannedAccess<'a> {
    node: &'a Node<'a>,
    field: usize,
}

impl<'de> MapAccess<'de> for SpannedAccess<'de> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.field >= SPANNED_FIELDS.len() {
            return Ok(None);
        }
        seed.deserialize(de::value::BorrowedStrDeserializer::<DeError>::new(
            SPANNED_FIELDS[self.field],
        ))
        .map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let field = self.field;
        self.field += 1;
        let span = self.node.span;
        match field {
            0 => seed.deserialize(span.file.0.into_deserializer()),
            1 => seed.deserialize(span.start.into_deserializer()),
            2 => seed.deserialize(span.end.into_deserializer()),
            _ => seed.deserialize(NodeDe(self.node)),
        }
    }
}

struct EnumStr<'a>(&'a str);

impl<'de> EnumAccess<'de> for EnumStr<'de> {
    type Error = DeError;
    type Variant = UnitOnly;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, UnitOnly), DeError> {
        let de: de::value::BorrowedStrDeserializer<'de, DeError> =
            de::value::BorrowedStrDeserializer::new(self.0);
        seed.deserialize(de).map(|v| (v, UnitOnly))
    }
}

struct UnitOnly;

impl<'de> de::VariantAccess<'de> for UnitOnly {
    type Error = DeError;
    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, DeError> {
        Err(DeError::new("expected a plain name, not a value"))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, DeError> {
        Err(DeError::new("expected a plain name, not a list"))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(DeError::new("expected a plain name, not a table"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{Format, parse};

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        name: Sp<String>,
        #[serde(default)]
        items: Vec<Sp<u32>>,
        mode: Option<Mode>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "kebab-case")]
    enum Mode {
        ReadWrite,
        ReadOnly,
    }

    fn load(text: &str) -> Result<Doc, DeError> {
        let text: &'static str = Box::leak(text.to_string().into_boxed_str());
        let node = parse(Format::Yaml, FileId(3), text).unwrap();
        let node: &'static Node<'static> = Box::leak(Box::new(node));
        from_node(node)
    }

    #[test]
    fn spans_and_values() {
        let text = "name: abc\nitems: [1, 22]\nmode: read-only\n";
        let doc = load(text).unwrap();
        assert_eq!(doc.name.value, "abc");
        assert_eq!(doc.name.span, Span::new(FileId(3), 6, 9));
        assert_eq!(doc.items[1].value, 22);
        assert_eq!(
            &text[doc.items[1].span.start as usize..doc.items[1].span.end as usize],
            "22"
        );
        assert_eq!(doc.mode, Some(Mode::ReadOnly));
    }

    #[test]
    fn unknown_key_has_span_path_and_suggestion() {
        let text = "name: abc\nitemz: [1]\n";
        let e = load(text).unwrap_err();
        assert_eq!(e.message, "unknown key `itemz`");
        assert_eq!(e.help.as_deref(), Some("did you mean `items`?"));
        assert_eq!(e.span.unwrap().start, 10);
        assert_eq!(e.path, "itemz");
    }

    #[test]
    fn wrong_type_points_at_value_with_path() {
        let e = load("name: abc\nitems: [1, x]\n").unwrap_err();
        assert_eq!(e.path, "items[1]");
        assert!(e.message.starts_with("expected u32"), "{}", e.message);
        assert_eq!(e.span.unwrap().start, 21);
        let e = load("name: abc\nmode: read-writ\n").unwrap_err();
        assert_eq!(
            e.help.as_deref().unwrap().split('?').next(),
            Some("did you mean `read-write`")
        );
        let e = load("items: []\n").unwrap_err();
        assert_eq!(e.message, "missing required key `name`");
    }
}
