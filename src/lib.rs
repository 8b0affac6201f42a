//! scopeward: a scope policy linter and least-privilege auditor for impact.com API tokens.
//!
//! Data flows one way: load (files → spanned model) → resolve (catalogue, policy) → rules
//! (pure: model in, findings out) → filter (ignores, baseline) → render (one module per format).
//! Every import points down the layers below, top floor first (CONTRIBUTING.md draws them):
//!
//! - `app` — the commands; `cli`, `schema`
//! - `engine` (load → model → run → report), `scan`
//! - `output`, `filter`, `fix`
//! - `report` — what renderers read
//! - `rules`
//! - `policy`, `live`, `usage`
//! - `catalogue`, `finding`
//! - `model`
//! - `diag`
//! - `tree`, `source`
//! - `inert` — untrusted text made inert for each output (scrubbed by `redact`)
//! - `redact`, `did_you_mean`

pub mod app;
pub mod catalogue;
pub mod cli;
pub mod diag;
pub mod did_you_mean;
pub mod engine;
pub mod filter;
pub mod finding;
pub mod fix;
pub mod inert;
pub mod live;
pub mod model;
pub mod output;
pub mod policy;
pub mod redact;
pub mod report;
pub mod rules;
pub mod scan;
pub mod schema;
pub mod source;
pub mod tree;
pub mod usage;
