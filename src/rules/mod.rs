//! The rules: one file each, one registry list here.
//!
//! A rule is pure: it reads the resolved model (catalogue, policy, tokens) and pushes findings.
//! It overrides only the hook at the level it needs — the whole run, one file's account, one
//! token, or one scope grant — and never prints or formats anything.

mod context;
mod sink;

use crate::finding::{FindingBuilder, Inputs, RuleMeta, RuleOption, Severity};
pub use context::{Account, FileModel, Grant, Memo, Run, Token, TokenRef};
pub use sink::Sink;

/// A rule. Every hook has a default that does nothing.
pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;

    /// Once per run, over every file (cross-file checks such as duplicates).
    fn check_run(&self, _run: &Run<'_>, _out: &mut Sink<'_>) {}

    /// Once per definition file.
    fn check_file(&self, _run: &Run<'_>, _file: &FileModel, _out: &mut Sink<'_>) {}

    /// Once per token.
    fn check_token(&self, _run: &Run<'_>, _token: TokenRef<'_>, _out: &mut Sink<'_>) {}

    /// Once per scope entry of a token.
    fn check_grant(
        &self,
        _run: &Run<'_>,
        _token: TokenRef<'_>,
        _grant: &Grant,
        _out: &mut Sink<'_>,
    ) {
    }
}

/// Declares a rule: its doc comment is its documentation (available at run time too).
macro_rules! declare_rule {
    (@needs) => { $crate::finding::Needs::Definitions };
    (@needs $needs:ident) => { $crate::finding::Needs::$needs };
    (
        $(#[doc = $doc:expr])*
        pub struct $name:ident {
            id: $id:literal,
            severity: $sev:ident,
            summary: $summary:literal,
            options: [$($opt:expr),* $(,)?]
            $(, needs: $needs:ident)? $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const META: $crate::finding::RuleMeta = $crate::finding::RuleMeta {
                id: $id,
                default_severity: $crate::finding::Severity::$sev,
                summary: $summary,
                doc: concat!($($doc, "\n"),*),
                options: &[$($opt),*],
                needs: declare_rule!(@needs $($needs)?),
            };
        }
    };
}

mod agency_credential_exposure;
mod broad_access;
mod committed_credential;
pub use committed_credential::CommittedCredential;
mod duplicate_token;
mod environment_name_mismatch;
mod environment_scope_denied;
mod external_contact;
mod full_access;
mod invalid_credentials;
mod legacy_token;
mod missing_contact;
mod missing_description;
mod missing_environment;
mod missing_scope;
mod outdated_api_version;
mod rotation_overdue;
mod scope_drift;
mod secret_in_definition;
mod sensitive_write;
mod shared_environment;
mod stale_disabled_token;
mod state_drift;
mod unknown_environment;
mod unknown_scope;
mod unmanaged_token;
mod unused_ignore;
mod unused_scope;
pub use unused_ignore::UnusedIgnore;
mod unused_token;
pub(crate) mod util;

#[cfg(test)]
pub(crate) mod doc_tests;

/// Every rule, in the order `scopeward rules` lists them.
pub static REGISTRY: &[&dyn Rule] = &[
    &full_access::FullAccess,
    &broad_access::BroadAccess,
    &legacy_token::LegacyToken,
    &unused_token::UnusedToken,
    &stale_disabled_token::StaleDisabledToken,
    &shared_environment::SharedEnvironment,
    &missing_environment::MissingEnvironment,
    &unknown_environment::UnknownEnvironment,
    &environment_name_mismatch::EnvironmentNameMismatch,
    &environment_scope_denied::EnvironmentScopeDenied,
    &unknown_scope::UnknownScope,
    &outdated_api_version::OutdatedApiVersion,
    &secret_in_definition::SecretInDefinition,
    &missing_description::MissingDescription,
    &missing_contact::MissingContact,
    &external_contact::ExternalContact,
    &rotation_overdue::RotationOverdue,
    &duplicate_token::DuplicateToken,
    &sensitive_write::SensitiveWrite,
    &agency_credential_exposure::AgencyCredentialExposure,
    &scope_drift::ScopeDrift,
    &state_drift::StateDrift,
    &invalid_credentials::InvalidCredentials,
    &unmanaged_token::UnmanagedToken,
    &unused_ignore::UnusedIgnore,
    &unused_scope::UnusedScope,
    &missing_scope::MissingScope,
    &committed_credential::CommittedCredential,
];

/// Rules of the specification that need live probes, usage logs, suppressions or `scan`, which
/// this build does not run yet. The policy accepts their `[rules.<id>]` sections.
pub const PLANNED: &[(&str, Severity, &str)] = &[];

/// Old rule ids that keep working, and the id they became.
pub const REDIRECTS: &[(&str, &str)] = &[];

/// The rule with this id (following redirects).
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    let id = REDIRECTS
        .iter()
        .find(|(old, _)| *old == id)
        .map_or(id, |(_, new)| *new);
    REGISTRY.iter().copied().find(|r| r.meta().id == id)
}

/// Every id a user may name: registered, planned and redirected.
pub fn all_ids() -> impl Iterator<Item = &'static str> {
    REGISTRY
        .iter()
        .map(|r| r.meta().id)
        .chain(PLANNED.iter().map(|p| p.0))
        .chain(REDIRECTS.iter().map(|r| r.0))
}

/// `docs/rules.md`: every rule's documentation, generated from the registry.
pub fn markdown_docs() -> String {
    let mut s = String::from(
        "# scopeward rules\n\n<!-- Generated from the rule registry by `SCOPEWARD_BLESS=1 cargo test`; do not edit. -->\n",
    );
    for r in REGISTRY {
        s.push('\n');
        // `# id` becomes `## id`, and the rule's own `##` sections `###`, so ids are anchors.
        let mut in_code = false;
        for line in crate::app::explain_text(r.meta()).lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if line.starts_with('#') && !in_code {
                s.push('#');
            }
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

/// The README's rule table, generated from the registry.
pub fn markdown_table() -> String {
    let mut s = String::from("| id | default | fires when |\n| --- | --- | --- |\n");
    for r in REGISTRY {
        let m = r.meta();
        let sev = if m.id == "legacy-token" {
            "warning (error for read-write)".to_string()
        } else {
            m.default_severity.to_string()
        };
        let summary = m.summary.trim_end_matches(" (error for read-write)");
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            m.id,
            sev,
            summary.replace('|', "\\|")
        ));
    }
    for (id, sev, summary) in PLANNED {
        s.push_str(&format!("| `{id}` | {sev} | {summary} *(not yet run)* |\n"));
    }
    s
}
