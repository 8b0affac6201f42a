//! JSON Schemas of the file kinds, generated from the Rust types. `schemas/*.schema.json` are
//! these outputs, committed; a test fails when they drift.

use crate::catalogue::CatalogueDoc;
use crate::model::TokenFileDoc;
use crate::policy::PolicyDoc;

/// A file kind with a JSON Schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// Token definition files.
    Tokens,
    /// scopeward.toml.
    Policy,
    /// Scope catalogues.
    Catalogue,
    /// Live listings (`audit --save-listing`).
    Listing,
    /// The JSON document `scopeward suggest --format json` prints.
    Suggest,
}

pub const KINDS: &[(SchemaKind, &str, &str)] = &[
    (
        SchemaKind::Tokens,
        "tokens",
        "token definition files (YAML, TOML or JSON)",
    ),
    (
        SchemaKind::Policy,
        "policy",
        "the policy file, scopeward.toml",
    ),
    (
        SchemaKind::Catalogue,
        "catalogue",
        "scope catalogues (policies/catalogues/*.yaml)",
    ),
    (
        SchemaKind::Listing,
        "listing",
        "live listings (`audit --save-listing`)",
    ),
    (
        SchemaKind::Suggest,
        "suggest",
        "the output of `scopeward suggest --format json`",
    ),
];

/// The schema of one kind, pretty-printed with a trailing newline.
pub fn generate(kind: SchemaKind) -> String {
    let schema = match kind {
        SchemaKind::Tokens => schemars::schema_for!(TokenFileDoc),
        SchemaKind::Policy => schemars::schema_for!(PolicyDoc),
        SchemaKind::Catalogue => schemars::schema_for!(CatalogueDoc),
        SchemaKind::Listing => schemars::schema_for!(crate::live::Listing),
        SchemaKind::Suggest => schemars::schema_for!(crate::fix::plan::SuggestDoc),
    };
    let mut schema = schema;
    schema.insert("$id".to_string(), serde_json::Value::String(id(kind)));
    let mut s = serde_json::to_string_pretty(&schema).expect("schemas serialise");
    s.push('\n');
    s
}

/// Where the schema of `kind` is published, for this version: its `$id`, and what a file's
/// `$schema` (or a YAML language server modeline) names.
pub fn id(kind: SchemaKind) -> String {
    let repo = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    let raw = repo.replacen(
        "https://github.com/",
        "https://raw.githubusercontent.com/",
        1,
    );
    format!(
        "{raw}/v{}/schemas/{}",
        env!("CARGO_PKG_VERSION"),
        file_name(kind)
    )
}

/// The file name under `schemas/`.
pub fn file_name(kind: SchemaKind) -> String {
    let name = KINDS
        .iter()
        .find(|k| k.0 == kind)
        .map_or("unknown", |k| k.1);
    format!("{name}.schema.json")
}
