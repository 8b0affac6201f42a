//! The report: the one contract between the pipelines that produce findings (`check`,
//! `audit`, `scan`) and the renderers that show them. Renderers read this and nothing above it.

use crate::catalogue::{Resolved, ScopeSet};
pub use crate::diag::Failure;
use crate::diag::{Diagnostics, InputError};
use crate::finding::Finding;
use crate::model::{AccountType, Day, Legacy, TokenState};
use crate::source::{FileId, SourceMap, Span};
use crate::tree::de::Sp;

/// Everything one run found.
#[derive(Debug)]
pub struct Report {
    pub sources: SourceMap,
    /// Findings that count (not suppressed).
    pub findings: Vec<Box<Finding>>,
    /// Findings silenced by an ignore or the baseline, kept for formats that show them.
    pub suppressed: Vec<Suppressed>,
    /// What the baseline did, when one was given.
    pub baseline: Option<BaselineStats>,
    /// Every token checked, for formats that show who can do what (`CheckOptions::inventory`).
    pub inventory: Vec<TokenView>,
    /// Input that could not be understood, with spans.
    pub errors: Vec<InputError>,
    pub failures: Vec<Failure>,
    /// Definition files checked.
    pub files: usize,
    /// Files found by walking that matched the include globs but are not token definitions
    /// (no top-level `account` or `tokens`), by display path.
    pub skipped: Vec<String>,
    /// Tokens loaded.
    pub tokens: usize,
    pub as_of: Day,
    /// For `scan`: what the walk skipped (`files` counts the files searched).
    pub scan: Option<ScanStats>,
}

/// What `scan` skipped.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScanStats {
    pub skipped_binary: usize,
    pub skipped_large: usize,
}

impl Report {
    /// A report of nothing yet (for errors found before checking).
    pub fn empty(as_of: Day) -> Report {
        Report {
            sources: SourceMap::new(),
            findings: Vec::new(),
            suppressed: Vec::new(),
            baseline: None,
            inventory: Vec::new(),
            errors: Vec::new(),
            failures: Vec::new(),
            files: 0,
            skipped: Vec::new(),
            tokens: 0,
            as_of,
            scan: None,
        }
    }

    /// Adds what went wrong elsewhere in the run.
    pub fn absorb(&mut self, d: Diagnostics) {
        self.errors.extend(d.errors);
        self.failures.extend(d.failures);
    }

    /// Whether the run could not complete (exit code 2).
    pub fn incomplete(&self) -> bool {
        !self.errors.is_empty() || !self.failures.is_empty()
    }
}

/// A token as the report shows it: what it is and everything it can do.
#[derive(Clone, Debug)]
pub struct TokenView {
    pub file: FileId,
    pub account_type: AccountType,
    pub account_name: Option<String>,
    pub name: String,
    pub name_span: Span,
    pub environments: Vec<String>,
    pub state: TokenState,
    pub legacy: Option<Legacy>,
    pub effective: ScopeSet,
    /// The token's Account SID, as declared.
    pub sid: Option<String>,
    /// The variable holding its Auth Token (for live probes).
    pub auth_token_env: Option<String>,
    /// Its `scopes` entries as written, with their spans and what they resolved to.
    pub grants: Vec<(Sp<String>, Resolved)>,
    /// The span of the `scopes` value, of the `legacy` value, and of the whole token.
    pub scopes_span: Option<Span>,
    pub legacy_span: Option<Span>,
    pub span: Option<Span>,
}

/// How a finding was silenced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressionKind {
    /// `# scopeward: ignore[…]` in the definition file.
    Inline,
    /// `[[ignore]]` in scopeward.toml.
    Config,
    /// In the `--baseline` file.
    Baseline,
}

impl SuppressionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Inline => "inline",
            SuppressionKind::Config => "config",
            SuppressionKind::Baseline => "baseline",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub reason: String,
    /// The ignore that silenced it (absent for the baseline).
    pub span: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct Suppressed {
    pub finding: Box<Finding>,
    pub by: Suppression,
}

/// What the baseline did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaselineStats {
    /// Findings it accepted.
    pub matched: usize,
    /// Entries that match nothing any more: fixed since the baseline was written.
    pub fixed: usize,
}
