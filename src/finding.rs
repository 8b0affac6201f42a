//! The shared vocabulary of rules, renderers and every stage between: severities, what a rule
//! is ([`RuleMeta`]), what it needs to run, and the findings it makes. A finding has exactly one
//! primary location (or is explicitly placed nowhere), and a fingerprint made of what it is
//! about, never of where.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::AccountType;
use crate::source::Span;

/// How serious a finding is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule needs to have anything to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Token definitions alone.
    Definitions,
    /// A live listing (`audit --live` or `audit --listing`).
    Live,
    /// Usage logs (`--usage`): the rule does not run, and is not reported, without them.
    Usage,
    /// Either a live listing or usage logs.
    LiveOrUsage,
    /// `scopeward scan` (files of any kind, not token definitions).
    Scan,
}

/// What a run has beyond the definitions: rules that need more do not run without it (and
/// ignores of theirs are not judged unused).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inputs {
    pub live: bool,
    pub usage: bool,
    pub scan: bool,
}

impl Inputs {
    pub fn satisfy(self, needs: Needs) -> bool {
        match needs {
            Needs::Definitions => true,
            Needs::Live => self.live,
            Needs::Usage => self.usage,
            Needs::LiveOrUsage => self.live || self.usage,
            Needs::Scan => self.scan,
        }
    }
}

/// A numeric option of a rule, set in `[rules.<id>]`.
#[derive(Debug)]
pub struct RuleOption {
    pub name: &'static str,
    pub default: f64,
    /// Smallest and largest accepted values.
    pub range: (f64, f64),
    /// Whole numbers only (days, counts).
    pub integer: bool,
    pub help: &'static str,
}

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub default_severity: Severity,
    /// One line: when it fires.
    pub summary: &'static str,
    /// The documentation: `## What it does`, `## Why is this bad?`, `## Example`, `Use instead:`.
    pub doc: &'static str,
    pub options: &'static [RuleOption],
    pub needs: Needs,
    /// Also runs on what a listed token really holds (`audit --live`/`--listing`), for tokens
    /// no definition declares and tokens that can do more than declared.
    pub on_observed: bool,
    /// When the rule raises its own severity for some findings (`error for read-write`).
    pub severity_note: Option<&'static str>,
    /// Rules whose finding on the same token already says this one: it is then not reported
    /// (`sensitive-write` under `full-access`).
    pub implied_by: &'static [&'static str],
    /// SARIF `security-severity` (0.0–10.0; GitHub ranks alerts by it: 9+ critical, 7+ high,
    /// 4+ medium, else low), when the rule's default severity does not say it well.
    pub security_severity: Option<&'static str>,
    /// SARIF `precision` (`very-high`, `high`, `medium`, `low`): how often a finding is real.
    pub precision: &'static str,
}

impl RuleMeta {
    pub fn option(&self, name: &str) -> Option<&RuleOption> {
        self.options.iter().find(|o| o.name == name)
    }

    /// A URL where the rule's documentation can be read: its section of `docs/rules.md`
    /// (generated from the registry) as released with this version.
    pub fn help_uri(&self) -> String {
        format!(
            "{}/blob/v{}/docs/rules.md#{}",
            env!("CARGO_PKG_REPOSITORY"),
            env!("CARGO_PKG_VERSION"),
            self.id
        )
    }

    /// The SARIF `security-severity`: the rule's own, else from its default severity.
    pub fn security_severity(&self) -> &'static str {
        self.security_severity
            .unwrap_or(match self.default_severity {
                Severity::Error => "7.5",
                Severity::Warning => "5.0",
                Severity::Info => "2.0",
            })
    }
}

/// A typed rule option's value, read from the policy's number (validated against the
/// option's range and kind before any rule runs).
pub trait OptionValue: Copy {
    /// Whole numbers only.
    const INTEGER: bool;
    fn from_f64(v: f64) -> Self;
}

impl OptionValue for f64 {
    const INTEGER: bool = false;
    fn from_f64(v: f64) -> Self {
        v
    }
}

impl OptionValue for i64 {
    const INTEGER: bool = true;
    fn from_f64(v: f64) -> Self {
        v as i64
    }
}

impl OptionValue for usize {
    const INTEGER: bool = true;
    fn from_f64(v: f64) -> Self {
        v as usize
    }
}

/// The rules a run knows, for validating what names them (the policy, inline directives,
/// `--select`) without depending on the registry itself.
pub trait RuleIndex: Sync {
    /// The rule with this id, following redirects of renamed ids.
    fn find(&self, id: &str) -> Option<&'static RuleMeta>;
    /// Every registered rule.
    fn rules(&self) -> Vec<&'static RuleMeta>;
    /// Ids of rules this version accepts settings for but does not run yet.
    fn planned(&self) -> &'static [(&'static str, Severity, &'static str)];
    /// Every id a user may name: registered, planned and redirected.
    fn ids(&self) -> Vec<&'static str>;
}

/// One problem found by a rule.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    pub help: Option<Shared>,
    pub token: Option<String>,
    pub account_type: Option<AccountType>,
    pub account_name: Option<String>,
    pub environment: Option<String>,
    pub scope: Option<String>,
    /// The primary location; `None` only where a finding has no place in a file.
    pub location: Option<Span>,
    /// What the primary label says at the location.
    pub label: Option<Shared>,
    /// Other places worth showing ("first declared here", "denied by policy here").
    pub related: Vec<(Span, String)>,
    /// Stable across reformatting: rule, account, token, scope and subject.
    pub fingerprint: Fingerprint,
}

/// Builds a finding; `at` or `nowhere` finishes it.
#[must_use = "a finding is only reported once finished with `at` or `nowhere`"]
pub struct FindingBuilder {
    rule: &'static RuleMeta,
    severity: Option<Severity>,
    message: String,
    help: Option<String>,
    token: Option<String>,
    account_type: Option<AccountType>,
    account_name: Option<String>,
    environment: Option<String>,
    scope: Option<String>,
    label: Option<String>,
    related: Vec<(Span, String)>,
    subject: Option<String>,
}

impl FindingBuilder {
    pub fn new(rule: &'static RuleMeta, message: impl Into<String>) -> Self {
        FindingBuilder {
            rule,
            severity: None,
            message: message.into(),
            help: None,
            token: None,
            account_type: None,
            account_name: None,
            environment: None,
            scope: None,
            label: None,
            related: Vec::new(),
            subject: None,
        }
    }

    /// The environment a finding is about.
    pub fn environment(mut self, environment: Option<&str>) -> Self {
        self.environment = environment.map(str::to_string);
        self
    }

    pub fn account(mut self, ty: AccountType, name: Option<&str>) -> Self {
        self.account_type = Some(ty);
        self.account_name = name.map(str::to_string);
        self
    }

    /// The token a finding is about, where there is no definition to take it from.
    pub fn token_name(mut self, name: impl Into<String>) -> Self {
        self.token = Some(name.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Raises or lowers this finding's severity from the rule's default (a policy setting
    /// still wins).
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// Distinguishes findings of one rule on one token and scope (e.g. which contact).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn at(self, span: Span) -> Finding {
        self.finish(Some(span))
    }

    pub fn nowhere(self) -> Finding {
        self.finish(None)
    }

    fn finish(mut self, location: Option<Span>) -> Finding {
        // Messages quote what users wrote: nothing shaped like a secret leaves unredacted.
        let scrub = |s: &mut String| {
            if let std::borrow::Cow::Owned(clean) = crate::redact::scrub(s) {
                *s = clean;
            }
        };
        scrub(&mut self.message);
        // (The help and the label are scrubbed once per distinct text, by `shared`.)
        for s in [&mut self.token, &mut self.environment, &mut self.scope]
            .into_iter()
            .flatten()
        {
            scrub(s);
        }
        for (_, label) in &mut self.related {
            scrub(label);
        }
        let fingerprint = fingerprint(&[
            self.rule.id,
            self.account_type.map_or("", |t| t.as_str()),
            self.account_name.as_deref().unwrap_or(""),
            self.token.as_deref().unwrap_or(""),
            self.scope.as_deref().unwrap_or(""),
            self.subject.as_deref().unwrap_or(""),
        ]);
        Finding {
            rule: self.rule,
            severity: self.severity.unwrap_or(self.rule.default_severity),
            message: self.message,
            help: self.help.map(shared),
            token: self.token,
            account_type: self.account_type,
            account_name: self.account_name,
            environment: self.environment,
            scope: self.scope,
            location,
            label: self.label.map(shared),
            related: self.related,
            fingerprint,
        }
    }
}

/// A text many findings repeat (a rule's help, a label): held once per thread and shared.
pub type Shared = std::sync::Arc<str>;

/// `text` scrubbed of secrets, as a [`Shared`]: the one this thread made already for the
/// same text, if any (scrubbed once). The thread keeps a bounded number of texts.
fn shared(text: String) -> Shared {
    thread_local! {
        static TEXTS: std::cell::RefCell<rustc_hash::FxHashMap<Box<str>, Shared>> =
            Default::default();
    }
    TEXTS.with(|t| {
        let mut texts = t.borrow_mut();
        if let Some(known) = texts.get(text.as_str()) {
            return known.clone();
        }
        // Texts that quote the input rarely repeat: start over rather than keep them all.
        if texts.len() >= 1024 {
            texts.clear();
        }
        let scrubbed: Shared = crate::redact::scrub(&text).into();
        texts.insert(text.into_boxed_str(), scrubbed.clone());
        scrubbed
    })
}

/// A stable content hash: XXH3-128 over the parts, each preceded by its length, as 32 hex
/// digits. The algorithm and layout are fixed: baselines store these values.
pub fn fingerprint(parts: &[&str]) -> Fingerprint {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(b"scopeward-v1");
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let mut hex = [0; 32];
    let digest = h.digest128();
    for (i, d) in hex.iter_mut().enumerate() {
        *d = b"0123456789abcdef"[(digest >> (124 - 4 * i) & 0xf) as usize];
    }
    Fingerprint(hex)
}

/// A [`fingerprint`]: its 32 hex digits, held in place (a finding is made for every problem of
/// every token: no allocation of its own).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits")
    }
}

impl std::ops::Deref for Fingerprint {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprints_are_fixed_and_separate_their_parts() {
        // Baselines store these values: a change here breaks every user's baseline.
        assert_eq!(
            super::fingerprint(&["full-access", "brand", "Acme", "legacy", "", ""]).as_str(),
            "5ac287cdae2abfaef0a60d76749bbbc8"
        );
        // Leading zero digits are kept.
        assert!(
            (0..200)
                .map(|i| super::fingerprint(&[&i.to_string()]))
                .any(|f| f.starts_with('0'))
        );
        assert_ne!(
            super::fingerprint(&["ab", "c"]),
            super::fingerprint(&["a", "bc"])
        );
        assert_eq!(super::fingerprint(&["x"]).len(), 32);
    }
}
