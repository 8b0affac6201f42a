//! Live listings (SPEC §1): what each token can really do, observed by probing the API with the
//! token's own credentials ([`probe`]), saved as JSON and audited later against the definitions.
//!
//! A listing never holds an Auth Token: only SIDs (identifiers), states and scope names.

mod exchange;
pub mod probe;
pub mod rate;
pub mod stop;
mod worker;

pub use exchange::inert;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Catalogues, ScopeSet};
use crate::diag::InputError;
use crate::model::AccountType;
use crate::source::{FileId, Span};
use crate::tree::de::{Sp, from_node};
use crate::tree::{Format, parse};

/// The version of the listing format this build reads and writes.
pub const LISTING_VERSION: u32 = 1;

/// A live listing, field for field (`scopeward schema listing`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "scopeward live listing")]
pub struct Listing {
    /// Format version: 1.
    pub version: u32,
    pub tool: ListingTool,
    /// When the probes ran (RFC 3339, UTC).
    pub taken_at: String,
    /// The API base URL probed, e.g. `https://api.impact.com`.
    pub api_base: String,
    pub tokens: Vec<ListedToken>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingTool {
    pub name: String,
    pub version: String,
}

/// One token as the API showed it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListedToken {
    /// The token's Account SID (an identifier, not the secret).
    pub sid: Sp<String>,
    pub account_type: Sp<AccountType>,
    /// The name of the definition it was probed for, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Sp<String>>,
    pub state: Sp<LiveState>,
    /// Read scopes the API granted (200 to their probe).
    pub granted: Sp<Vec<Sp<String>>>,
    /// Read scopes the API refused (403 to their probe).
    pub refused: Vec<Sp<String>>,
    /// Scopes no safe probe can decide: every write, and reads without a probe-safe list
    /// operation. Declared ones are listed; they are not judged.
    pub unverifiable: Vec<String>,
    /// Read scopes that would have been probed but were not, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<UnprobedSchema>")]
    pub unprobed: Vec<Unprobed>,
    /// When this token's probes ended (RFC 3339, UTC).
    pub probed_at: String,
    /// Requests sent for this token, retries included.
    pub requests: u32,
    /// What went wrong while probing it (network failures, malformed responses).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// What the API says a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LiveState {
    /// It authenticated and at least one probe was answered.
    Active,
    /// Every probe was refused with 403: a disabled token (or one with no readable scope).
    Disabled,
    /// The API rejected the SID/Auth Token (401).
    Invalid,
    /// The probes could not tell (network failure, no credentials), or they were cut short
    /// (an interrupt, `--deadline`, the breaker, `--max-requests`, a rate limit beyond
    /// `--max-wait`): what was granted and refused before is still listed.
    Unknown,
}

/// A read scope that would have been probed but was not, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unprobed {
    pub scope: String,
    pub reason: UnprobedReason,
}

/// The shape of an `unprobed` entry (what [`Unprobed`] reads).
#[derive(JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
#[schemars(
    rename = "Unprobed",
    description = "A read scope that was not probed, and why."
)]
#[allow(dead_code)]
enum UnprobedSchema {
    Entry {
        /// The read scope, e.g. `contacts:read`.
        scope: String,
        reason: UnprobedReason,
    },
    /// Listings of earlier builds: the scope alone (its reason is `unknown`).
    Scope(String),
}

impl<'de> Deserialize<'de> for Unprobed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Entry {
            scope: String,
            reason: UnprobedReason,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Unprobed;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a scope and the reason it was not probed")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Unprobed, E> {
                Ok(Unprobed {
                    scope: v.to_string(),
                    reason: UnprobedReason::Unknown,
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Unprobed, A::Error> {
                let e = Entry::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Unprobed {
                    scope: e.scope,
                    reason: e.reason,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Why a read scope was not probed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UnprobedReason {
    /// Its own probe failed: `problems` says how.
    Failed,
    /// The connectivity check (`CompanyInformation`) failed: the rest would have failed alike.
    Unreachable,
    /// The API rejected the credentials (401) before it.
    InvalidCredentials,
    /// The token's `sid` is not an Account SID: nothing was sent.
    BadSid,
    /// It is read through the first item of another list (`Campaigns/{id}/Contacts`), and
    /// that list was refused.
    ParentRefused,
    /// It is read through the first item of another list, and that list was empty.
    ParentEmpty,
    /// It is read through the first item of another list, and that item's id was not fit for
    /// a path (odd characters, or shaped like a secret).
    ParentIdUnusable,
    /// It is read through the first item of another list, and that list could not be probed.
    ParentUnprobed,
    /// `--max-requests` was reached.
    Budget,
    /// `--deadline` passed.
    Deadline,
    /// Probing stopped after 5 failed exchanges in a row with the API.
    Breaker,
    /// The API asked to wait longer than `--max-wait`.
    RateLimited,
    /// Probing was interrupted (SIGINT or SIGTERM).
    Interrupted,
    /// Not recorded (a listing from an earlier build).
    Unknown,
}

impl UnprobedReason {
    /// Whether the token's probing was cut short (then its state is `unknown`).
    pub fn cuts_short(self) -> bool {
        matches!(
            self,
            UnprobedReason::Budget
                | UnprobedReason::Deadline
                | UnprobedReason::Breaker
                | UnprobedReason::RateLimited
                | UnprobedReason::Interrupted
        )
    }
}

impl From<stop::StopReason> for UnprobedReason {
    fn from(r: stop::StopReason) -> Self {
        match r {
            stop::StopReason::Interrupted(_) => UnprobedReason::Interrupted,
            stop::StopReason::Deadline => UnprobedReason::Deadline,
            stop::StopReason::Breaker => UnprobedReason::Breaker,
            stop::StopReason::RateLimited => UnprobedReason::RateLimited,
        }
    }
}

/// `--deadline`: `90s`, `5m`, `1h 30m`, or ISO 8601 (`PT30M`); positive.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let d: jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 90s, 5m, 1h)"))?;
    if d.is_negative() || d.is_zero() {
        return Err(format!("`{text}`: a duration must be positive"));
    }
    std::time::Duration::try_from(d).map_err(|_| format!("`{text}` is too long"))
}

impl LiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Active => "active",
            LiveState::Disabled => "disabled",
            LiveState::Invalid => "invalid",
            LiveState::Unknown => "unknown",
        }
    }
}

impl ListedToken {
    /// The granted read scopes as a set of `cat`'s scopes (unknown names are left out).
    pub fn granted_set(&self, cat: &Catalogue) -> ScopeSet {
        names_to_set(self.granted.value.iter().map(|s| s.value.as_str()), cat)
    }

    pub fn refused_set(&self, cat: &Catalogue) -> ScopeSet {
        names_to_set(self.refused.iter().map(|s| s.value.as_str()), cat)
    }
}

fn names_to_set<'a>(names: impl Iterator<Item = &'a str>, cat: &Catalogue) -> ScopeSet {
    names
        .filter_map(|n| cat.scope_id(n))
        .fold(ScopeSet::EMPTY, |mut s, id| {
            s.insert(id);
            s
        })
}

impl Listing {
    pub fn new(api_base: &str, taken_at: jiff::Timestamp, tokens: Vec<ListedToken>) -> Self {
        Listing {
            version: LISTING_VERSION,
            tool: ListingTool {
                name: "scopeward".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            taken_at: rfc3339(taken_at),
            api_base: api_base.to_string(),
            tokens,
        }
    }

    /// The canonical rendering: pretty JSON with a trailing newline. `--save-listing` writes
    /// exactly this, and findings about tokens found only live point into it.
    pub fn render(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a listing serialises");
        s.push('\n');
        s
    }

    /// Reads a listing with spans, checking what the schema cannot say: the version, the
    /// timestamps, and that every scope exists in its account type's catalogue.
    pub fn parse(file: FileId, text: &str, catalogues: &Catalogues) -> Result<Listing, InputError> {
        let whole = Span::new(file, 0, text.len());
        let node = parse(Format::Json, file, text).map_err(InputError::from)?;
        if let Some(v) = node.get("version") {
            match v.value.kind {
                crate::tree::Kind::Int(1) => {}
                _ => {
                    return Err(InputError::new(
                        v.value.span,
                        format!(
                            "unsupported listing version: this build reads version {LISTING_VERSION}"
                        ),
                    ));
                }
            }
        }
        let listing: Listing = from_node(&node).map_err(|e| InputError::from_de(e, whole))?;
        let at = |key: &str| node.get(key).map_or(whole, |e| e.value.span);
        check_time(&listing.taken_at, at("taken_at"))?;
        let tokens_node = node.get("tokens").map(|e| &e.value);
        for (i, t) in listing.tokens.iter().enumerate() {
            let token_node = tokens_node.and_then(|n| match &n.kind {
                crate::tree::Kind::Seq(items) => items.get(i),
                _ => None,
            });
            let probed_span = token_node
                .and_then(|n| n.get("probed_at"))
                .map_or(whole, |e| e.value.span);
            check_time(&t.probed_at, probed_span)?;
            let cat = catalogues.get(t.account_type.value);
            for s in t.granted.value.iter().chain(&t.refused) {
                match cat.scope_id(&s.value) {
                    Some(id) if cat.scope_access(id) == crate::catalogue::Access::Read => {}
                    Some(_) => {
                        return Err(InputError::new(
                            s.span,
                            format!(
                                "`{}` is not a read scope: probes only decide reads",
                                s.value
                            ),
                        ));
                    }
                    None => {
                        return Err(InputError::new(
                            s.span,
                            format!(
                                "unknown {} scope `{}`",
                                t.account_type.value.as_str(),
                                s.value
                            ),
                        )
                        .with_help(format!(
                            "was the listing taken with another catalogue? `scopeward catalogue {}` lists the scopes",
                            t.account_type.value.as_str()
                        )));
                    }
                }
            }
        }
        Ok(listing)
    }
}

fn check_time(value: &str, span: Span) -> Result<(), InputError> {
    value.parse::<jiff::Timestamp>().map(|_| ()).map_err(|_| {
        InputError::new(span, format!("`{value}` is not an RFC 3339 time"))
            .with_help("write it like 2026-11-22T03:00:00Z")
    })
}

/// A timestamp in RFC 3339 at whole seconds, UTC.
pub fn rfc3339(t: jiff::Timestamp) -> String {
    t.round(jiff::Unit::Second)
        .unwrap_or(t)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A spanned value with no place in a file (for listings built in memory before rendering).
pub(crate) fn unspanned<T>(value: T) -> Sp<T> {
    Sp::new(value, Span::new(FileId(u32::MAX), 0, 0))
}

/// A listing as a run sees it: read from (or rendered into) a source file, so that findings
/// about tokens found only live point into it.
#[derive(Debug)]
pub struct LiveInput {
    pub listing: Listing,
    /// The listing's source in the run's source map.
    pub file: FileId,
    by_sid: rustc_hash::FxHashMap<String, usize>,
}

impl LiveInput {
    pub fn new(listing: Listing, file: FileId) -> Self {
        let by_sid = listing
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.sid.value.clone(), i))
            .collect();
        LiveInput {
            listing,
            file,
            by_sid,
        }
    }

    /// The listed token with this SID.
    pub fn token(&self, sid: &str) -> Option<&ListedToken> {
        self.by_sid.get(sid).map(|&i| &self.listing.tokens[i])
    }

    /// When the listing was taken, for messages.
    pub fn taken_at(&self) -> &str {
        &self.listing.taken_at
    }
}

/// Offline rules that also judge what a listed token really holds (its granted reads).
/// A listed token as a definition would state it: its name (or SID), SID, and the scopes the
/// API granted, each spanned in the listing. For the rules that also run on what a token really holds. A token granted every
/// read a probe can decide is taken to read everything (`*:read`): the few categories no
/// probe reaches are not evidence of restraint.
pub fn observed_doc(t: &ListedToken, cat: &Catalogue) -> crate::model::TokenDoc {
    let probeable = probe::probeable(cat);
    let scopes = if !probeable.is_empty() && t.granted_set(cat).is_superset(probeable) {
        Sp::new(
            vec![Sp::new("*:read".to_string(), t.granted.span)],
            t.granted.span,
        )
    } else {
        t.granted.clone()
    };
    let name = match &t.name {
        Some(n) => n.clone(),
        None => t.sid.clone(),
    };
    crate::model::TokenDoc {
        name,
        description: None,
        environment: None,
        sid: Some(t.sid.clone()),
        auth_token_env: None,
        api_version: None,
        state: None,
        legacy: None,
        primary_contact: None,
        developer_contacts: None,
        created: None,
        last_used: None,
        last_reset: None,
        justification: None,
        scopes: Some(scopes),
        span: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_read_like_people_write_them() {
        use std::time::Duration;
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("PT30M"), Ok(Duration::from_secs(1800)));
        for bad in ["", "soon", "0s", "-5m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unprobed_entries_read_in_both_shapes() {
        let v: Vec<Unprobed> = serde_json::from_str(
            r#"["contacts:read", {"scope": "notes:read", "reason": "parent-refused"}]"#,
        )
        .unwrap();
        assert_eq!(v[0].reason, UnprobedReason::Unknown);
        assert_eq!(v[1].reason, UnprobedReason::ParentRefused);
        assert!(
            serde_json::from_str::<Vec<Unprobed>>(r#"[{"scope": "x", "reason": "nope"}]"#).is_err()
        );
    }
}
