//! Secrets by construction: the Auth Token newtype, the "looks like an Auth Token" test, and
//! redaction to at most the first four characters followed by `…` (SPEC §7).

use std::fmt;

/// An impact.com Auth Token. Its `Debug` and `Display` redact it and it cannot be serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

impl AuthToken {
    pub fn new(secret: String) -> Self {
        AuthToken(secret)
    }

    /// The secret itself, for an `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthToken({})", redact(&self.0))
    }
}

impl fmt::Display for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// The first four characters of a secret followed by `…`; shorter secrets show nothing.
pub fn redact(secret: &str) -> String {
    if secret.chars().count() <= 8 {
        return "…".to_string();
    }
    let mut out: String = secret.chars().take(4).collect();
    out.push('…');
    out
}

/// The redaction of `secret`, padded with spaces to the same byte length, so a masked copy of a
/// file keeps every offset and line break.
pub fn mask_same_len(secret: &str) -> String {
    let mut out = redact(secret);
    if out.len() > secret.len() {
        out = "*".repeat(secret.len());
    }
    while out.len() < secret.len() {
        out.push(' ');
    }
    out
}

/// Characters an Auth Token is made of (public samples; `~` may appear as `%7E` in URLs).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-')
}

/// Whether a whole value has the shape of an impact.com Auth Token: 32 characters of
/// `[A-Za-z0-9._~-]` with upper case, lower case and digits mixed (so words, hex digests,
/// UUIDs and identifiers in one case do not match).
pub fn looks_like_auth_token(value: &str) -> bool {
    let v = value.trim();
    if v.len() != 32 || !v.chars().all(is_token_char) {
        return false;
    }
    if v.starts_with("IR") && v.chars().all(|c| c.is_ascii_alphanumeric()) && v.len() == 34 {
        return false;
    }
    let upper = v.chars().filter(char::is_ascii_uppercase).count();
    let lower = v.chars().filter(char::is_ascii_lowercase).count();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    // Random 32-character tokens over 62 symbols have all three classes, several of each.
    upper >= 3 && lower >= 3 && digits >= 2 && !v.contains("__") && !v.contains("--")
}

/// Whether a value carries credentials in a URL (`https://SID:TOKEN@host/…`).
pub fn url_with_credentials(value: &str) -> Option<std::ops::Range<usize>> {
    let scheme = value.find("://")?;
    let rest = &value[scheme + 3..];
    let at = rest.find('@')?;
    let userinfo = &rest[..at];
    if userinfo.contains('/') || !userinfo.contains(':') {
        return None;
    }
    let colon = userinfo.find(':')?;
    let start = scheme + 3 + colon + 1;
    let end = scheme + 3 + at;
    (end > start).then_some(start..end)
}

/// Whether a value is a secret by its shape alone.
pub fn looks_secret(value: &str) -> bool {
    looks_like_auth_token(value) || url_with_credentials(value).is_some()
}

/// A user value made safe to echo in a message: redacted if it looks secret.
pub fn redact_if_secret(value: &str) -> String {
    if looks_like_auth_token(value) {
        return redact(value);
    }
    if let Some(r) = url_with_credentials(value) {
        let mut s = value.to_string();
        s.replace_range(r.clone(), &redact(&value[r]));
        return s;
    }
    value.to_string()
}

/// Keys whose value is a secret wherever they appear (compared case-insensitively, with `-`
/// and `_` ignored).
const SECRET_KEYS: &[&str] = &[
    "authtoken",
    "token",
    "password",
    "passwd",
    "pass",
    "secret",
    "apisecret",
    "apikey",
    "accesstoken",
    "clientsecret",
    "credentials",
    "credential",
    "bearer",
    "irauthtoken",
    "impactauthtoken",
    "authtokenvalue",
];

/// Whether a key names a secret. Called for every key of every file: no allocation.
pub fn is_secret_key(key: &str) -> bool {
    if key.len() > 40 {
        return false;
    }
    let mut buf = [0u8; 40];
    let mut n = 0;
    for b in key.bytes() {
        if b != b'_' && b != b'-' {
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
    }
    let k = &buf[..n];
    SECRET_KEYS.iter().any(|s| s.as_bytes() == k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(looks_like_auth_token("Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0"));
        assert!(!looks_like_auth_token("ACME_SHOPIFY_PROD_TOKEN"));
        assert!(!looks_like_auth_token("d41d8cd98f00b204e9800998ecf8427e"));
        assert!(!looks_like_auth_token(
            "550e8400-e29b-41d4-a716-446655440000"
        ));
        assert!(!looks_like_auth_token("IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1"));
        assert_eq!(
            url_with_credentials("https://IRabc:s3cr3t@api.impact.com/x"),
            Some(14..20)
        );
        assert_eq!(url_with_credentials("https://api.impact.com/a@b"), None);
    }

    #[test]
    fn redaction() {
        let t = AuthToken::new("Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0".into());
        assert_eq!(format!("{t}"), "Xk3v…");
        assert_eq!(format!("{t:?}"), "AuthToken(Xk3v…)");
        assert_eq!(mask_same_len("Xk3vP9qLmN2aB7cD").len(), 16);
        assert_eq!(redact("short"), "…");
        assert!(is_secret_key("Auth-Token"));
        assert!(is_secret_key("PASSWORD"));
        assert!(!is_secret_key("auth_token_env"));
    }
}
