//! A format-neutral document tree in which every key and value keeps its byte span.
//!
//! YAML, TOML and JSON are each parsed by a real parser into this one shape; everything after
//! loading (typed models, rules, diagnostics) works on it and never on a format's own types.

pub mod de;
pub mod json;
pub mod toml;
pub mod yaml;

use std::borrow::Cow;

use crate::source::{FileId, Span};

/// The input formats scopeward reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
    Json,
}

impl Format {
    /// The format of a file, from its extension.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "YAML",
            Format::Toml => "TOML",
            Format::Json => "JSON",
        }
    }
}

/// One value with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node<'a> {
    pub span: Span,
    pub kind: Kind<'a>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Borrowed from the source text where the parser allows it.
    Str(Cow<'a, str>),
    /// A TOML date, time or date-time, in its TOML spelling.
    Datetime(String),
    Seq(Vec<Node<'a>>),
    Map(Vec<Entry<'a>>),
}

/// One key of a mapping with its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry<'a> {
    pub key: Cow<'a, str>,
    pub key_span: Span,
    pub value: Node<'a>,
}

impl Kind<'_> {
    /// What a user calls this kind of value, for "expected …, found …" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Datetime(_) => "a date",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a table",
        }
    }
}

impl<'a> Node<'a> {
    pub fn new(span: Span, kind: Kind<'a>) -> Self {
        Node { span, kind }
    }

    pub fn as_map(&self) -> Option<&[Entry<'a>]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entry for `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Entry<'a>> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// Number of nodes in this subtree (this one included).
    pub fn count(&self) -> usize {
        1 + match &self.kind {
            Kind::Seq(items) => items.iter().map(Node::count).sum(),
            Kind::Map(entries) => entries.iter().map(|e| e.value.count()).sum(),
            _ => 0,
        }
    }
}

/// A file that could not be read as a document: where, what, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// A second place worth pointing at (the first of two duplicate keys, an anchor).
    pub related: Option<(Span, String)>,
}

impl ParseError {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        ParseError {
            span,
            message: message.into(),
            help: None,
            related: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related = Some((span, label.into()));
        self
    }
}

/// Largest file scopeward will read, in bytes (spans are 32-bit).
pub const MAX_FILE_BYTES: usize = 512 * 1024 * 1024;

/// Deepest nesting accepted in any format. Token files need four levels; this leaves room
/// for users' own structure while keeping recursion on the stack bounded.
pub const MAX_DEPTH: usize = 128;

/// Parses text in the given format into a tree.
pub fn parse(format: Format, file: FileId, text: &str) -> Result<Node<'_>, ParseError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(ParseError::new(
            Span::new(file, 0, 0),
            format!(
                "file is too large ({} MB); scopeward reads files up to {} MB",
                text.len() / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    let node = match format {
        Format::Yaml => yaml::parse(file, text)?,
        Format::Toml => toml::parse(file, text)?,
        Format::Json => json::parse(file, text)?,
    };
    check_depth(&node, 0)?;
    Ok(node)
}

fn check_depth(node: &Node<'_>, depth: usize) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError::new(
            node.span,
            format!("nesting is deeper than {MAX_DEPTH} levels"),
        )
        .with_help("token definitions need only a few levels; is this the right file?"));
    }
    match &node.kind {
        Kind::Seq(items) => items.iter().try_for_each(|n| check_depth(n, depth + 1)),
        Kind::Map(entries) => entries
            .iter()
            .try_for_each(|e| check_depth(&e.value, depth + 1)),
        _ => Ok(()),
    }
}

/// Reports the second of two equal keys in one mapping.
pub(crate) fn check_duplicate_keys(entries: &[Entry<'_>]) -> Result<(), ParseError> {
    // Small mappings dominate: a quadratic scan beats hashing below a few dozen keys.
    if entries.len() <= 32 {
        for (i, e) in entries.iter().enumerate() {
            if let Some(first) = entries[..i].iter().find(|f| f.key == e.key) {
                return Err(duplicate_key(first, e));
            }
        }
        return Ok(());
    }
    let mut seen = std::collections::HashMap::with_capacity(entries.len());
    for e in entries {
        if let Some(first) = seen.insert(e.key.as_ref(), e) {
            return Err(duplicate_key(first, e));
        }
    }
    Ok(())
}

fn duplicate_key(first: &Entry<'_>, second: &Entry<'_>) -> ParseError {
    ParseError::new(second.key_span, format!("duplicate key `{}`", second.key))
        .with_related(first.key_span, "first defined here")
        .with_help("a key may appear once in a mapping; remove or merge one of them")
}
