//! scopeward: a scope policy linter and least-privilege auditor for impact.com API tokens.
//!
//! Data flows one way: load (files → spanned model) → resolve (catalogue, policy) → rules
//! (pure: model in, findings out) → filter (severity) → render (one module per format).

pub mod app;
pub mod catalogue;
pub mod cli;
pub mod engine;
pub mod filter;
pub mod live;
pub mod model;
pub mod output;
pub mod policy;
pub mod redact;
pub mod rules;
pub mod scan;
pub mod schema;
pub mod source;
pub mod suggest;
pub mod tree;
pub mod usage;
