//! Finding impact.com credentials in the text of any file, by shape and context
//! (`reference/impact-api.md`): an Auth Token is 32 characters of `[A-Za-z0-9._~-]`, weak
//! evidence alone, so it counts only beside its Account SID (`IR` + 32 alphanumerics), in a
//! `https://SID:TOKEN@api.impact.com/…` URL, or assigned to a telling name.
//!
//! Low false positives matter more than exotic recall: hashes, UUIDs, base64 blobs and other
//! vendors' keys stay silent because the token shape needs upper case, lower case and digits
//! mixed, and because a shape alone is never enough.

use std::ops::Range;

use regex::bytes::Regex;

use crate::redact::looks_like_auth_token;

/// How a credential was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Evidence {
    /// In a URL with credentials for an impact.com API host.
    CredentialUrl,
    /// Assigned to a name that says it is an impact.com Auth Token (`IMPACT_AUTH_TOKEN`).
    ToldByName,
    /// Assigned to a generic secret name (`auth_token`) in a file that mentions impact.com.
    GenericNameInImpactFile,
    /// Within a few lines of an Account SID.
    BesideSid,
    /// An Account SID with no Auth Token near it: an identifier, reported as information.
    BareSid,
}

/// One credential (or bare SID) found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The secret's bytes (for a bare SID: the SID's).
    pub range: Range<usize>,
    pub evidence: Evidence,
    /// The Account SID it belongs to, when one is known.
    pub sid: Option<String>,
    /// The name it was assigned to, if any (`IMPACT_AUTH_TOKEN`).
    pub name: Option<String>,
}

/// Lines around a SID searched for its Auth Token.
const NEAR_LINES: usize = 3;

/// What any finding starts from: a SID, or a word naming impact.com or an Auth Token, in the
/// spellings code uses (lower, UPPER, Capitalised, camelCase). Plain literals, not `(?i)`:
/// case-insensitive alternatives multiply into hundreds of literals and slow the SIMD
/// prefilter (ripgrep is given the same pattern in the benchmark).
pub const CANDIDATES: &str = r"IR[A-Za-z0-9]{32}|impact|IMPACT|Impact|auth_?token|AUTH_?TOKEN|[aA]uth_?Token|AUTHTOKEN|auth-token|AUTH-TOKEN";

fn candidates() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    // ASCII only: Unicode classes and case folding would only slow the literal prefilter.
    RE.get_or_init(|| {
        regex::bytes::RegexBuilder::new(CANDIDATES)
            .unicode(false)
            .build()
            .expect("a valid pattern")
    })
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-')
}

fn is_sid_at(text: &[u8], start: usize) -> bool {
    let end = start + 34;
    end <= text.len()
        && text[start..start + 2] == *b"IR"
        && text[start + 2..end].iter().all(u8::is_ascii_alphanumeric)
        && (start == 0 || !text[start - 1].is_ascii_alphanumeric())
        && (end == text.len() || !text[end].is_ascii_alphanumeric())
}

/// Whether the password of a credential URL is a value, not a placeholder (`{AUTH_TOKEN}`,
/// `$TOKEN`, `<AuthToken>`, `AUTH_TOKEN`): token characters only (`%7E` is `~`), and the
/// mixed case and digits of a generated secret.
fn is_password_value(raw: &[u8]) -> bool {
    let text = String::from_utf8_lossy(raw)
        .replace("%7E", "~")
        .replace("%7e", "~");
    if looks_like_auth_token(&text) {
        return true;
    }
    text.len() >= 20
        && text.bytes().all(is_token_byte)
        && text.bytes().any(|b| b.is_ascii_digit())
        && text.bytes().any(|b| b.is_ascii_uppercase())
        && text.bytes().any(|b| b.is_ascii_lowercase())
}

/// The line (without its end) around `at`.
fn line_of(text: &[u8], at: usize) -> Range<usize> {
    let start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
    start..end
}

/// Finds the credentials of one text. Cheap when there is nothing: one regex pass whose
/// literal prefilter skips most bytes.
pub fn scan(text: &[u8]) -> Vec<Hit> {
    let re = candidates();
    let mut hits: Vec<Hit> = Vec::new();
    let mut sids: Vec<Range<usize>> = Vec::new();
    let mut lines_done: Vec<usize> = Vec::new();
    let mut mentions_impact = false;
    for m in re.find_iter(text) {
        let s = m.start();
        if text[s] == b'I' && text.get(s + 1) == Some(&b'R') && is_sid_at(text, s) {
            sids.push(s..s + 34);
        }
        if m.as_bytes().eq_ignore_ascii_case(b"impact") {
            mentions_impact = true;
        }
        let line = line_of(text, s);
        if lines_done.last() == Some(&line.start) {
            continue;
        }
        lines_done.push(line.start);
        scan_line(text, line, &mut hits);
    }
    let impact_file = mentions_impact || !sids.is_empty();
    // Generic names count only in a file that is about impact.com.
    hits.retain(|h| h.evidence != Evidence::GenericNameInImpactFile || impact_file);

    // Auth Tokens beside a SID: assigned values within a few lines.
    for sid in &sids {
        let sid_text = String::from_utf8_lossy(&text[sid.clone()]).into_owned();
        if let Some(h) = hits.iter_mut().find(|h| {
            h.sid.is_none()
                && near(text, sid.start, h.range.start)
                && h.evidence != Evidence::BareSid
        }) {
            h.sid = Some(sid_text);
            if h.evidence == Evidence::GenericNameInImpactFile {
                h.evidence = Evidence::BesideSid;
            }
            continue;
        }
        let mut found = false;
        for line in lines_near(text, sid.start) {
            for (value, name) in assigned_tokens(text, line) {
                if hits.iter().any(|h| h.range == value) {
                    found = true;
                    continue;
                }
                if name.as_deref().is_some_and(is_digest_name) {
                    continue;
                }
                hits.push(Hit {
                    range: value,
                    evidence: Evidence::BesideSid,
                    sid: Some(sid_text.clone()),
                    name,
                });
                found = true;
            }
        }
        // `SID:TOKEN` (Basic-auth pairs written out).
        if text.get(sid.end) == Some(&b':') {
            let start = sid.end + 1;
            let end = (start..text.len())
                .find(|&i| !is_token_byte(text[i]))
                .unwrap_or(text.len());
            if end - start == 32
                && looks_like_auth_token(std::str::from_utf8(&text[start..end]).unwrap_or(""))
                && !hits.iter().any(|h| h.range == (start..end))
            {
                hits.push(Hit {
                    range: start..end,
                    evidence: Evidence::BesideSid,
                    sid: Some(sid_text.clone()),
                    name: None,
                });
                found = true;
            }
        }
        let in_hit = hits
            .iter()
            .any(|h| h.sid.as_deref() == Some(sid_text.as_str()));
        if !found && !in_hit && !is_sid_key_line(text, sid.start) {
            hits.push(Hit {
                range: sid.clone(),
                evidence: Evidence::BareSid,
                sid: Some(sid_text),
                name: None,
            });
        }
    }
    hits.sort_by_key(|h| (h.range.start, h.range.end));
    hits.dedup_by(|a, b| a.range == b.range);
    // A bare SID reported once per SID and file is enough.
    let mut seen = std::collections::HashSet::new();
    hits.retain(|h| h.evidence != Evidence::BareSid || seen.insert(h.sid.clone()));
    hits
}

fn near(text: &[u8], a: usize, b: usize) -> bool {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    memchr::memchr_iter(b'\n', &text[lo..hi]).count() <= NEAR_LINES
}

/// The lines within [`NEAR_LINES`] of `at`.
fn lines_near(text: &[u8], at: usize) -> Vec<Range<usize>> {
    let here = line_of(text, at);
    let mut out = vec![here.clone()];
    let mut start = here.start;
    for _ in 0..NEAR_LINES {
        if start == 0 {
            break;
        }
        let prev = line_of(text, start - 1);
        out.push(prev.clone());
        start = prev.start;
    }
    let mut end = here.end;
    for _ in 0..NEAR_LINES {
        if end >= text.len() {
            break;
        }
        let next = line_of(text, end + 1);
        out.push(next.clone());
        end = next.end;
    }
    out
}

/// Whether the SID sits under a key named `sid`/`account_sid` (token definitions and config
/// that name a token by its identifier): not worth even an information note.
fn is_sid_key_line(text: &[u8], at: usize) -> bool {
    let line = line_of(text, at);
    let before = String::from_utf8_lossy(&text[line.start..at]).to_ascii_lowercase();
    let key: String = before
        .trim_end_matches([' ', '"', '\'', ':', '='])
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    key == "sid" || key.ends_with("_sid") || key.ends_with("-sid") || key.ends_with("accountsid")
}

/// Names under which a 32-character value is a digest or an id, not a secret.
fn is_digest_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "hash", "sha", "md5", "digest", "checksum", "etag", "uuid", "guid", "nonce", "commit",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n == "id"
        || n.ends_with("_id")
        || n.ends_with("id\"")
}

/// Whether a variable name says it holds an impact.com Auth Token.
fn telling_name(name: &str) -> Option<Evidence> {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let secretish = n.ends_with("authtoken")
        || n.ends_with("token")
        || n.ends_with("secret")
        || n.ends_with("password")
        || n.ends_with("apikey");
    if !secretish {
        return None;
    }
    let upper_prefix = |p: &str| {
        name.len() > p.len() && name[..p.len()].eq_ignore_ascii_case(p) && {
            let b = name.as_bytes()[p.len()];
            b == b'_' || b == b'-' || b.is_ascii_uppercase()
        }
    };
    if n.contains("impact") || upper_prefix("IR") || upper_prefix("IRADIUS") {
        return Some(Evidence::ToldByName);
    }
    // `auth_token`, `authToken`, `AUTH_TOKEN`: generic, unless another vendor is named.
    let generic = [
        "authtoken",
        "apitoken",
        "accesstoken",
        "token",
        "secret",
        "password",
    ];
    generic
        .contains(&n.as_str())
        .then_some(Evidence::GenericNameInImpactFile)
}

/// Values on a line that have an Auth Token's shape and are assigned (`NAME = VALUE`,
/// `NAME: VALUE`, `"NAME": "VALUE"`, `NAME=VALUE`), with the name when there is one.
fn assigned_tokens(text: &[u8], line: Range<usize>) -> Vec<(Range<usize>, Option<String>)> {
    let mut out = Vec::new();
    let mut i = line.start;
    while i < line.end {
        if !is_token_byte(text[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < line.end && is_token_byte(text[i]) {
            i += 1;
        }
        if i - start != 32 {
            continue;
        }
        let word = std::str::from_utf8(&text[start..i]).unwrap_or("");
        if !looks_like_auth_token(word) {
            continue;
        }
        // What comes before: optional quote, spaces, then `=` or `:`.
        let mut j = start;
        if j > line.start && matches!(text[j - 1], b'"' | b'\'' | b'`') {
            j -= 1;
        }
        while j > line.start && matches!(text[j - 1], b' ' | b'\t') {
            j -= 1;
        }
        if j == line.start || !matches!(text[j - 1], b'=' | b':') {
            continue;
        }
        j -= 1;
        if j > line.start && text[j - 1] == b':' {
            j -= 1; // `:=`
        }
        while j > line.start && matches!(text[j - 1], b' ' | b'\t' | b'"' | b'\'') {
            j -= 1;
        }
        let name_end = j;
        while j > line.start
            && (text[j - 1].is_ascii_alphanumeric() || matches!(text[j - 1], b'_' | b'-' | b'.'))
        {
            j -= 1;
        }
        let name = (j < name_end).then(|| String::from_utf8_lossy(&text[j..name_end]).into_owned());
        out.push((start..i, name));
    }
    out
}

/// Credential URLs and telling-name assignments on one line.
fn scan_line(text: &[u8], line: Range<usize>, hits: &mut Vec<Hit>) {
    let l = &text[line.clone()];
    // `scheme://USER:PASS@api.impact.com` (or api.impactradius.com).
    for at in memchr::memmem::find_iter(l, b"://") {
        let rest = &l[at + 3..];
        let Some(end) = rest
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'/' | b'>' | b'`'))
            .or(Some(rest.len()))
        else {
            continue;
        };
        let authority = &rest[..end];
        let Some(at_sign) = memchr::memrchr(b'@', authority) else {
            continue;
        };
        let host = String::from_utf8_lossy(&authority[at_sign + 1..]).to_ascii_lowercase();
        let host = host.split(':').next().unwrap_or("");
        if !(host == "api.impact.com" || host == "api.impactradius.com") {
            continue;
        }
        let userinfo = &authority[..at_sign];
        let Some(colon) = memchr::memchr(b':', userinfo) else {
            continue;
        };
        if colon + 1 >= userinfo.len() || !is_password_value(&userinfo[colon + 1..]) {
            continue;
        }
        let base = line.start + at + 3;
        let user = String::from_utf8_lossy(&userinfo[..colon]).into_owned();
        hits.push(Hit {
            range: base + colon + 1..base + userinfo.len(),
            evidence: Evidence::CredentialUrl,
            sid: user.starts_with("IR").then_some(user),
            name: None,
        });
    }
    for (value, name) in assigned_tokens(text, line.clone()) {
        let Some(evidence) = name.as_deref().and_then(telling_name) else {
            continue;
        };
        if hits
            .iter()
            .any(|h| h.range.start <= value.start && value.end <= h.range.end)
        {
            continue;
        }
        hits.push(Hit {
            range: value,
            evidence,
            sid: None,
            name,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq";
    const SID: &str = "IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1";

    fn found(text: &str) -> Vec<(Evidence, String)> {
        scan(text.as_bytes())
            .into_iter()
            .map(|h| (h.evidence, text[h.range].to_string()))
            .collect()
    }

    #[test]
    fn telling_names_in_many_languages() {
        for text in [
            format!("IMPACT_AUTH_TOKEN={TOKEN}\n"),
            format!("export IR_AUTH_TOKEN=\"{TOKEN}\"\n"),
            format!("impact_auth_token: {TOKEN}\n"),
            format!("{{\"impactAuthToken\": \"{TOKEN}\"}}\n"),
            format!("IMPACT_TOKEN = '{TOKEN}'\n"),
            format!("const impactToken = `{TOKEN}`;\n"),
            format!("impact_token := \"{TOKEN}\"\n"),
            format!("[impact]\nauth_token = \"{TOKEN}\"\n"),
        ] {
            let f = found(&text);
            assert_eq!(f.len(), 1, "{text}: {f:?}");
            assert_eq!(f[0].1, TOKEN, "{text}");
        }
    }

    #[test]
    fn beside_its_sid_and_in_urls() {
        let f = found(&format!("sid: {SID}\ntoken: {TOKEN}\n"));
        assert_eq!(f, vec![(Evidence::BesideSid, TOKEN.to_string())]);
        let f = found(&format!("curl -u {SID}:{TOKEN} https://api.impact.com/\n"));
        assert_eq!(f, vec![(Evidence::BesideSid, TOKEN.to_string())]);
        for host in [
            "api.impact.com",
            "api.impactradius.com",
            "API.Impact.com:443",
        ] {
            let text =
                format!("url = \"https://{SID}:{TOKEN}@{host}/Advertisers/{SID}/Actions\"\n");
            let f = found(&text);
            assert_eq!(
                f,
                vec![(Evidence::CredentialUrl, TOKEN.to_string())],
                "{text}"
            );
        }
    }

    #[test]
    fn generic_names_need_an_impact_file() {
        assert!(found(&format!("auth_token = \"{TOKEN}\"\n")).is_empty());
        let f = found(&format!(
            "# impact.com integration\nauth_token = \"{TOKEN}\"\n"
        ));
        assert_eq!(
            f,
            vec![(Evidence::GenericNameInImpactFile, TOKEN.to_string())]
        );
    }

    #[test]
    fn a_bare_sid_is_information_and_a_sid_key_is_nothing() {
        let f = found(&format!("see {SID} for details\n"));
        assert_eq!(f, vec![(Evidence::BareSid, SID.to_string())]);
        let f = found(&format!("Our token is {SID}.\n"));
        assert_eq!(f, vec![(Evidence::BareSid, SID.to_string())]);
        assert!(found(&format!("sid: {SID}\n")).is_empty());
        assert!(found(&format!("account_sid = \"{SID}\"\n")).is_empty());
    }

    #[test]
    fn near_misses_stay_silent() {
        for text in [
            // Hashes, UUIDs, base64, other vendors' keys, long identifiers.
            "md5 = \"9e107d9d372bb6826bd81d3542a419d6\"\n".to_string(),
            "sha = 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12\n".into(),
            "id: 123e4567-e89b-12d3-a456-426614174000\n".into(),
            "IMPACT_UUID=123e4567e89b12d3a456426614174000\n".into(),
            "blob: SGVsbG8gV29ybGQhIFRoaXMgaXMgYSBiYXNlNjQgYmxvYi4=\n".into(),
            "TWILIO_AUTH_TOKEN=a1b2c3d4e5f60718293a4b5c6d7e8f90\n".into(),
            "STRIPE_KEY=sk_live_51HqLyjWDarjtT1zdp7dcXYZabc\n".into(),
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n".into(),
            "GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a\n".into(),
            "impact_report_name: ThisIsAVeryLongIdentifierForReports\n".into(),
            format!("# impact.com docs\ncommit: {TOKEN}\n"),
            format!("IMPACT_AUTH_TOKEN_ENV=ACME_SHOPIFY_PROD_TOKEN\nsid: {SID}\n"),
            "BASE = f\"https://{ACCOUNT_SID}:{AUTH_TOKEN}@api.impact.com\"\n".into(),
            "url: https://$IMPACT_SID:$IMPACT_AUTH_TOKEN@api.impact.com/\n".into(),
            "see https://<AccountSID>:<AuthToken>@api.impact.com/Advertisers\n".into(),
        ] {
            assert!(found(&text).is_empty(), "{text}: {:?}", found(&text));
        }
    }
}
