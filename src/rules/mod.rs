//! The rules: one file each, one registry list here.
//!
//! A rule is pure: it reads the resolved model (catalogue, policy, tokens) and pushes findings.
//! It overrides only the hook at the level it needs — the whole run, one file's account, one
//! token, or one scope grant — and never prints or formats anything.

mod context;
mod sink;

use crate::finding::{FindingBuilder, Inputs, RuleIndex, RuleMeta, Severity};
use crate::policy::Policy;
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

/// A rule with options: `run.options::<Rule>()` gives them typed, as the policy set them (or
/// their defaults), validated before any rule ran.
pub trait Configured {
    type Options;
    fn options(policy: &Policy) -> Self::Options;
}

/// Declares a rule: its doc comment is its documentation (available at run time too). Options,
/// when it has some, are declared with their type, default, range and help:
/// `options: { days: i64 = 90, range (1, 36500), "help" }` makes a typed `Options` struct
/// that [`Run::options`] returns.
macro_rules! declare_rule {
    (@needs) => { $crate::finding::Needs::Definitions };
    (@needs $needs:ident) => { $crate::finding::Needs::$needs };
    (@observed) => { false };
    (@observed $o:literal) => { $o };
    (@precision) => { "very-high" };
    (@precision $p:literal) => { $p };
    (@note) => { None };
    (@note $n:literal) => { Some($n) };
    (
        $(#[doc = $doc:expr])*
        pub struct $name:ident {
            id: $id:literal,
            severity: $sev:ident,
            summary: $summary:literal,
            options: {$(
                $(#[doc = $odoc:expr])*
                $oname:ident: $oty:ty = $odef:literal, range ($omin:literal, $omax:literal), $ohelp:literal
            );* $(;)?}
            $(, needs: $needs:ident)?
            $(, on_observed: $observed:literal)?
            $(, severity_note: $note:literal)?
            $(, implied_by: [$($implied:literal),* $(,)?])?
            $(, security_severity: $secsev:literal)?
            $(, precision: $precision:literal)? $(,)?
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
                options: &[$($crate::finding::RuleOption {
                    name: stringify!($oname),
                    default: $odef as f64,
                    range: ($omin as f64, $omax as f64),
                    integer: <$oty as $crate::finding::OptionValue>::INTEGER,
                    help: $ohelp,
                }),*],
                needs: declare_rule!(@needs $($needs)?),
                on_observed: declare_rule!(@observed $($observed)?),
                severity_note: declare_rule!(@note $($note)?),
                implied_by: &[$($($implied),*)?],
                security_severity: declare_rule!(@note $($secsev)?),
                precision: declare_rule!(@precision $($precision)?),
            };
        }

        /// The rule's options, as the policy set them.
        #[derive(Clone, Copy, Debug)]
        #[allow(dead_code)]
        pub struct Options {
            $($(#[doc = $odoc])* pub $oname: $oty,)*
        }

        impl $crate::rules::Configured for $name {
            type Options = Options;
            #[allow(unused_variables)]
            fn options(policy: &$crate::policy::Policy) -> Options {
                Options {
                    $($oname: <$oty as $crate::finding::OptionValue>::from_f64(
                        policy.option(&Self::META, stringify!($oname)),
                    ),)*
                }
            }
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
pub mod docs;
mod unused_token;
pub(crate) mod util;

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

/// The registry as a [`RuleIndex`], for the stages below the rules that validate rule ids.
#[derive(Clone, Copy, Debug, Default)]
pub struct Registry;

impl RuleIndex for Registry {
    fn find(&self, id: &str) -> Option<&'static RuleMeta> {
        find(id).map(|r| r.meta())
    }
    fn rules(&self) -> Vec<&'static RuleMeta> {
        REGISTRY.iter().map(|r| r.meta()).collect()
    }
    fn planned(&self) -> &'static [(&'static str, Severity, &'static str)] {
        PLANNED
    }
    fn ids(&self) -> Vec<&'static str> {
        all_ids().collect()
    }
}

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
