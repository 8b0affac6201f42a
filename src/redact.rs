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
    // Runs on every key and value: reject by length before anything else.
    if value.len() < 32 {
        return false;
    }
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
    // Cheap rejections first: this runs on every string value.
    if value.len() < 8 || !value.as_bytes().contains(&b'@') {
        return None;
    }
    let scheme = memchr::memmem::find(value.as_bytes(), b"://")?;
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

/// Whether a key names a secret, compared case-insensitively with `-` and `_` ignored:
/// `auth_token`, `password`, `secret`, `api_key`, `client-secret`, …. Called for every key and
/// many words of every file, so it allocates nothing and looks only at keys of a fitting length.
pub fn is_secret_key(key: &str) -> bool {
    if key.len() < 4 || key.len() > 24 {
        return false;
    }
    // Every secret key starts with one of these letters.
    if !matches!(
        key.as_bytes()[0].to_ascii_lowercase(),
        b'a' | b'b' | b'c' | b'i' | b'p' | b's' | b't'
    ) {
        return false;
    }
    let mut buf = [0u8; 24];
    let mut n = 0;
    for b in key.bytes() {
        if b != b'_' && b != b'-' {
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
    }
    let k = &buf[..n];
    match n {
        4 => k == b"pass",
        5 => k == b"token",
        6 => k == b"secret" || k == b"passwd" || k == b"apikey" || k == b"bearer",
        8 => k == b"password",
        9 => k == b"authtoken" || k == b"apisecret",
        10 => k == b"credential",
        11 => k == b"accesstoken" || k == b"credentials" || k == b"irauthtoken",
        12 => k == b"clientsecret",
        14 => k == b"authtokenvalue",
        15 => k == b"impactauthtoken",
        _ => false,
    }
}

/// A secret found by scanning raw text: comments included, and files that do not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextSecret {
    /// Byte range of the secret value.
    pub range: std::ops::Range<usize>,
    /// The secret-bearing key it was assigned to, if that is how it was found.
    pub key: Option<String>,
}

/// Scans text for secrets without understanding its format: words shaped like an Auth Token,
/// the password part of URLs with credentials, and values assigned to secret-bearing keys
/// (`auth_token: …`, `"password": "…"`, `token = "…"`). One pass over the bytes.
pub fn scan_text(text: &str) -> Vec<TextSecret> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !WORD[bytes[i] as usize] {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && WORD[bytes[i] as usize] {
            i += 1;
        }
        let len = i - start;
        if len == 32 && looks_like_auth_token(&text[start..i]) {
            out.push(TextSecret {
                range: start..i,
                key: None,
            });
            continue;
        }
        if len > 32 {
            // Punctuation that joins a token to its neighbours (`tokens[0].TOKEN`, `-TOKEN-`,
            // `missing-TOKEN.log`): try each part that starts and ends at a joint.
            // Every one of them: `-TOKEN--TOKEN` holds two.
            let word = &text[start..i];
            let wb = word.as_bytes();
            let joint = |b: u8| matches!(b, b'.' | b'-' | b'_' | b'~');
            let before = out.len();
            let mut p = 0;
            while p + 32 <= wb.len() {
                if (p == 0 || joint(wb[p - 1]))
                    && (p + 32 == wb.len() || joint(wb[p + 32]))
                    && word.is_char_boundary(p)
                    && word.is_char_boundary(p + 32)
                    && looks_like_auth_token(&word[p..p + 32])
                {
                    out.push(TextSecret {
                        range: start + p..start + p + 32,
                        key: None,
                    });
                    p += 33;
                } else {
                    p += 1;
                }
            }
            if out.len() > before {
                continue;
            }
        }
        match bytes.get(i) {
            // `key:` / `key =` / `"key":` — only then can the word be a secret-bearing key.
            Some(b':' | b'=' | b'"' | b'\'' | b' ' | b'\t') if (4..=24).contains(&len) => {
                if assignment_follows(bytes, i) && is_secret_key(&text[start..i]) {
                    if let Some(range) = assigned_value(bytes, i) {
                        out.push(TextSecret {
                            range,
                            key: Some(text[start..i].to_string()),
                        });
                    }
                }
                // `scheme://user:password@host`
                if bytes.get(i..i + 3) == Some(b"://") {
                    if let Some(found) = url_secret(text, start, i) {
                        out.push(found);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Scans only comments (from each `#` to the end of its line): values of a file that parsed are
/// checked structurally, so this finds what the parser skipped, at a fraction of a full scan.
pub fn scan_comments(text: &str) -> Vec<TextSecret> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'#', &bytes[from..]) {
        let start = from + p + 1;
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |e| start + e);
        for mut found in scan_text(&text[start..end]) {
            found.range = found.range.start + start..found.range.end + start;
            out.push(found);
        }
        from = end;
    }
    out
}

/// A message made safe to show: every secret `scan_text` finds in it is redacted. Applied to
/// everything a finding or an error says, since those often quote what a user wrote.
pub fn scrub(message: &str) -> std::borrow::Cow<'_, str> {
    let found = scan_text(message);
    if found.is_empty() {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len());
    let mut pos = 0;
    for f in found {
        if f.range.start < pos {
            continue;
        }
        out.push_str(&message[pos..f.range.start]);
        out.push_str(&redact(&message[f.range.clone()]));
        pos = f.range.end;
    }
    out.push_str(&message[pos..]);
    std::borrow::Cow::Owned(out)
}

/// Bytes that make up words: what an Auth Token or a key is made of.
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'~' || c == b'-';
        b += 1;
    }
    t
};

/// The password of a URL whose scheme is the word `text[start..end]`.
fn url_secret(text: &str, start: usize, end: usize) -> Option<TextSecret> {
    let bytes = text.as_bytes();
    let rest_start = end + 3;
    let stop = bytes[rest_start..]
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'/' | b'>'))
        .map_or(bytes.len(), |p| rest_start + p);
    let r = url_with_credentials(&text[start..stop])?;
    Some(TextSecret {
        range: start + r.start..start + r.end,
        key: None,
    })
}

/// Whether `:` or `=` comes next, after an optional closing quote and spaces.
fn assignment_follows(bytes: &[u8], mut i: usize) -> bool {
    if matches!(bytes.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    matches!(bytes.get(i), Some(b':' | b'='))
}

/// The value after `key` when it is assigned: optional closing quote, spaces, `:` or `=`,
/// spaces, then a quoted or bare value up to the end of the line.
fn assigned_value(bytes: &[u8], mut i: usize) -> Option<std::ops::Range<usize>> {
    if matches!(bytes.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if !matches!(bytes.get(i), Some(b':' | b'=')) {
        return None;
    }
    i += 1;
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let (start, end) = match bytes.get(i)? {
        q @ (b'"' | b'\'') => {
            let start = i + 1;
            let len = bytes[start..].iter().position(|b| b == q || *b == b'\n')?;
            (start, start + len)
        }
        b'\n' | b'\r' | b'#' | b'{' | b'[' | b'|' | b'>' => return None,
        _ => {
            let start = i;
            let len = bytes[start..]
                .iter()
                .position(|b| matches!(b, b'\n' | b'\r' | b',' | b'}' | b']' | b' ' | b'#'))
                .unwrap_or(bytes.len() - start);
            (start, start + len)
        }
    };
    let value = std::str::from_utf8(&bytes[start..end]).ok()?.trim();
    // Names of variables and placeholders are not secrets, nor are plain words ("token:
    // upgrade it"): a secret has a digit or a symbol, or is long.
    let mixed = value.bytes().any(|b| !b.is_ascii_alphabetic());
    if value.is_empty()
        || value.len() < 6
        || (!mixed && value.len() < 16)
        || matches!(value, "null" | "None" | "nil" | "true" | "false" | "~")
        || value.starts_with('$')
        || value.starts_with("{{")
        || value.starts_with('<')
        || value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
    {
        return None;
    }
    Some(start..end)
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
        for key in [
            "auth_token",
            "api-key",
            "ClientSecret",
            "IMPACT_AUTH_TOKEN",
            "credentials",
            "token",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "tokens",
            "name",
            "description",
            "auth_token_env",
            "sid",
            "passphrase_hint",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
        assert!(!is_secret_key("auth_token_env"));
    }

    #[test]
    fn comment_scan_sees_only_comments() {
        let tok = "Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0";
        let text = format!("a: {tok}\n# old: {tok}\nb: 1 # password: hunter2hunter2\n");
        let found: Vec<(usize, &str)> = scan_comments(&text)
            .into_iter()
            .map(|s| (s.range.start, &text[s.range]))
            .collect();
        assert_eq!(found, [(43, tok), (93, "hunter2hunter2")]);
    }

    #[test]
    fn text_scan_finds_secrets_in_any_syntax() {
        let tok = "Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0";
        let text = format!(
            "# old: {tok}\nauth_token: \"abc123defg\"\nlegacy token: upgrade it\npassword = 'hunter2hunter2'\nurl: https://IRx:s3cr3tpass@api.impact.com/a\nauth_token_env: MY_TOKEN\ntoken: ${{TOKEN}}\n"
        );
        let found: Vec<&str> = scan_text(&text)
            .into_iter()
            .map(|s| &text[s.range])
            .collect();
        assert_eq!(found, [tok, "abc123defg", "hunter2hunter2", "s3cr3tpass"]);
    }

    #[test]
    fn tokens_joined_to_words_by_punctuation_are_found() {
        let tok = "Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0";
        for text in [
            format!("logs/missing-{tok}.log"),
            format!("-{tok}-"),
            format!("tokens[0].{tok}"),
            format!("{tok}.log.gz"),
        ] {
            assert_eq!(scrub(&text).matches("Xk3v…").count(), 1, "{text}");
            assert!(!scrub(&text).contains(tok), "{text}");
        }
        // Two in one word are both found.
        let two = format!("-{tok}--{tok}/x");
        assert_eq!(scrub(&two), "-Xk3v…--Xk3v…/x");
        // A longer run of token characters is not a token.
        let long = format!("{tok}abc");
        assert_eq!(scrub(&long), long.as_str());
    }
}
