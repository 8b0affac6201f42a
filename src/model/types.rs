//! The token definition document, field for field. The JSON Schema in `schemas/` is generated
//! from these types.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::tree::de::Sp;

/// The three kinds of impact.com account.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    Brand,
    Partner,
    Agency,
}

impl AccountType {
    pub const ALL: [AccountType; 3] = [
        AccountType::Brand,
        AccountType::Partner,
        AccountType::Agency,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::Brand => "brand",
            AccountType::Partner => "partner",
            AccountType::Agency => "agency",
        }
    }

    pub fn parse(s: &str) -> Option<AccountType> {
        AccountType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for AccountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token definition file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "scopeward token definitions")]
pub struct TokenFileDoc {
    /// The JSON Schema of this file, for editors (`scopeward schema tokens` prints it).
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// The impact.com account the tokens belong to.
    pub account: AccountDoc,
    /// The account's API access tokens.
    #[serde(default)]
    pub tokens: Vec<TokenDoc>,
}

impl TokenFileDoc {
    pub const KEYS: &'static [&'static str] = &["account", "tokens", "$schema"];
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountDoc {
    /// brand | partner | agency
    #[serde(rename = "type")]
    pub kind: Sp<AccountType>,
    /// A name for the account, shown in findings.
    #[serde(default)]
    pub name: Option<Sp<String>>,
}

impl AccountDoc {
    pub const KEYS: &'static [&'static str] = &["type", "name"];
}

/// One API access token as declared.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenDoc {
    /// The token's name; unique within the account.
    pub name: Sp<String>,
    /// What the token is for.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The environment it serves: one of the policy's environments (a list of several is flagged).
    #[serde(default)]
    pub environment: Option<Sp<Environments>>,
    /// The token's Account SID: an identifier, not the secret.
    #[serde(default)]
    pub sid: Option<Sp<String>>,
    /// The NAME of the environment variable holding the Auth Token, for live probes.
    #[serde(default)]
    pub auth_token_env: Option<Sp<String>>,
    /// The API version the token is set to.
    #[serde(default)]
    pub api_version: Option<Sp<ApiVersion>>,
    /// enabled | disabled (default enabled)
    #[serde(default)]
    pub state: Option<Sp<TokenState>>,
    /// Only for legacy tokens: read-write | read-only.
    #[serde(default)]
    pub legacy: Option<Sp<Legacy>>,
    /// Who owns the token.
    #[serde(default)]
    pub primary_contact: Option<Sp<String>>,
    /// Developers who may use it.
    #[serde(default)]
    pub developer_contacts: Option<Sp<Vec<Sp<String>>>>,
    /// When the token was created.
    #[serde(default)]
    pub created: Option<Sp<Day>>,
    /// When the token was last used: a date, an RFC 3339 time, or "never".
    #[serde(default)]
    pub last_used: Option<Sp<LastUsed>>,
    /// When the Auth Token was last reset.
    #[serde(default)]
    pub last_reset: Option<Sp<Day>>,
    /// Why sensitive write scopes are needed.
    #[serde(default)]
    pub justification: Option<Sp<String>>,
    /// Scopes: `<category>:read`, `<category>:write`, or patterns `*`, `<category>:*`, `*:read`, `*:write`.
    #[serde(default)]
    pub scopes: Option<Sp<Vec<Sp<String>>>>,
    /// Where the whole token is (set by the loader, not read from the file).
    #[serde(skip)]
    #[schemars(skip)]
    pub span: Option<crate::source::Span>,
}

impl TokenDoc {
    pub const KEYS: &'static [&'static str] = &[
        "name",
        "description",
        "environment",
        "sid",
        "auth_token_env",
        "api_version",
        "state",
        "legacy",
        "primary_contact",
        "developer_contacts",
        "created",
        "last_used",
        "last_reset",
        "justification",
        "scopes",
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenState {
    #[default]
    Enabled,
    Disabled,
}

impl TokenState {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Enabled => "enabled",
            TokenState::Disabled => "disabled",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Legacy {
    ReadWrite,
    ReadOnly,
}

impl Legacy {
    pub fn as_str(self) -> &'static str {
        match self {
            Legacy::ReadWrite => "read-write",
            Legacy::ReadOnly => "read-only",
        }
    }

    /// The scope pattern of what it can do (SPEC §1): read-write holds `*`, read-only `*:read`.
    pub fn pattern(self) -> &'static str {
        match self {
            Legacy::ReadWrite => "*",
            Legacy::ReadOnly => "*:read",
        }
    }
}

/// One environment or a list of them.
#[derive(Clone, Debug, PartialEq)]
pub enum Environments {
    One(String),
    Many(Vec<Sp<String>>),
}

impl JsonSchema for Environments {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Environments".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An environment name, or a list of them (a token serving several is flagged).",
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}}
            ]
        })
    }
}

impl<'de> Deserialize<'de> for Environments {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Environments;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an environment name or a list of names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Environments, E> {
                Ok(Environments::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Environments, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Sp<String>>()? {
                    out.push(s);
                }
                Ok(Environments::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// An API version, written as a string (`"14"`) or a bare number (`14`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiVersion(pub String);

impl JsonSchema for ApiVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ApiVersion".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "API version, e.g. \"14\"",
            "type": ["string", "integer"]
        })
    }
}

impl<'de> Deserialize<'de> for ApiVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ApiVersion;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an API version such as \"14\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ApiVersion, E> {
                let v = v.trim();
                let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
                let v = v.strip_suffix(".0").unwrap_or(v);
                Ok(ApiVersion(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ApiVersion, E> {
                Ok(ApiVersion(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ApiVersion, E> {
                Ok(ApiVersion(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ApiVersion, E> {
                if v.fract() == 0.0 && v >= 0.0 {
                    Ok(ApiVersion(format!("{}", v as u64)))
                } else {
                    Err(E::custom(format!(
                        "invalid API version `{v}`: versions are whole numbers"
                    )))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A calendar day: `2025-06-02`, or the day of an RFC 3339 time (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub jiff::civil::Date);

impl Day {
    pub fn parse(s: &str) -> Result<Day, String> {
        let s = s.trim();
        if s.len() > 10 {
            if let Ok(ts) = s.parse::<jiff::Timestamp>() {
                return Ok(Day(ts.to_zoned(jiff::tz::TimeZone::UTC).date()));
            }
            if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
                return Ok(Day(dt.date()));
            }
        }
        s.parse::<jiff::civil::Date>().map(Day).map_err(|e| {
            let detail = e.to_string();
            let detail = detail.rsplit(": ").next().unwrap_or(&detail).to_string();
            format!("`{s}` is not a valid date ({detail})")
        })
    }

    /// Whole days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Day) -> i64 {
        i64::from((later.0 - self.0).get_days())
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl JsonSchema for Day {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Day".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A date (YYYY-MM-DD) or an RFC 3339 time",
            "type": "string"
        })
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Day;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date such as 2025-06-02")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Day, E> {
                Day::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// `last_used`: a day or `never`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastUsed {
    Never,
    On(Day),
}

impl JsonSchema for LastUsed {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LastUsed".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A date (YYYY-MM-DD), an RFC 3339 time, or \"never\"",
            "type": "string"
        })
    }
}

impl<'de> Deserialize<'de> for LastUsed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LastUsed;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date such as 2026-11-01, or \"never\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LastUsed, E> {
                if v.trim().eq_ignore_ascii_case("never") {
                    return Ok(LastUsed::Never);
                }
                Day::parse(v).map(LastUsed::On).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::Day;

    #[test]
    fn day_arithmetic_and_parsing() {
        let a = Day::parse("2025-12-30").unwrap();
        let b = Day::parse("2026-03-01T23:30:00Z").unwrap();
        assert_eq!(b.to_string(), "2026-03-01");
        assert_eq!(a.days_until(b), 61);
        assert_eq!(b.days_until(a), -61);
        assert!(Day::parse("2025-02-30").unwrap_err().contains("2025-02-30"));
        assert!(Day::parse("yesterday").is_err());
    }
}
