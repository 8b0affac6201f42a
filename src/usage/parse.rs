//! Line formats: common/combined log format (nginx, Apache, Squid's `common`/`combined`),
//! Squid's native format and JSON lines. Each parser yields a [`Request`] and keeps nothing
//! else of a line: never a header value, a password or the line itself. HAR is in `har`, the
//! usage summary in `summary`.
//!
//! No parser slices text at a byte offset it has not found at an ASCII byte, so no input
//! splits a character.

use std::borrow::Cow;

use super::time::{self, Time};

/// An HTTP status as logged: a code, a class (`2xx` in a usage summary), or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Code(u16),
    /// The first digit of a class such as `2xx`.
    Class(u8),
    Unknown,
}

impl Status {
    /// A 1xx, 2xx or 3xx answer: the API let the request through.
    pub fn ok(self) -> bool {
        match self {
            Status::Code(c) => (100..400).contains(&c),
            Status::Class(c) => (1..=3).contains(&c),
            Status::Unknown => false,
        }
    }

    /// Refused: 401 or 403.
    pub fn refused(self) -> bool {
        matches!(self, Status::Code(401 | 403))
    }

    /// `200`, `2xx`, or `403`.
    pub fn parse(s: &str) -> Option<Status> {
        let b = s.trim().as_bytes();
        match b {
            [d @ b'1'..=b'5', x, y]
                if x.eq_ignore_ascii_case(&b'x') && y.eq_ignore_ascii_case(&b'x') =>
            {
                Some(Status::Class(d - b'0'))
            }
            [a, b2, c] if [a, b2, c].iter().all(|d| d.is_ascii_digit()) => Some(Status::Code(
                u16::from(a - b'0') * 100 + u16::from(b2 - b'0') * 10 + u16::from(c - b'0'),
            )),
            _ => None,
        }
    }

    fn from_number(n: f64) -> Status {
        if n.fract() == 0.0 && (100.0..1000.0).contains(&n) {
            Status::Code(n as u16)
        } else {
            Status::Unknown
        }
    }
}

/// One logged request, as much as scopeward needs of it.
#[derive(Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub time: Time,
    pub method: Cow<'a, str>,
    /// A path or an absolute URL, as logged.
    pub target: Cow<'a, str>,
    /// The host logged beside the target (a JSON `host` field), if any.
    pub host: Option<Cow<'a, str>>,
    pub status: Status,
    /// The Basic-auth user, when the log records it.
    pub user: Option<Cow<'a, str>>,
}

/// What a line is.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    Request(Request<'a>),
    /// Well-formed, but not an HTTP request scopeward can use (a TLS handshake logged as
    /// `400`, a JSON record of something else).
    Other,
    /// Not in the file's format.
    Malformed,
}

/// Which text format a line was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Clf,
    Squid,
}

/// A common/combined log format line, or Squid's native format.
pub fn text_line(line: &str) -> (Line<'_>, Option<TextKind>) {
    if let Some(l) = clf(line) {
        return (l, Some(TextKind::Clf));
    }
    match squid(line) {
        Some(l) => (l, Some(TextKind::Squid)),
        None => (Line::Malformed, None),
    }
}

/// `host ident user [time] "METHOD target PROTO" status bytes …`
fn clf(line: &str) -> Option<Line<'_>> {
    let b = line.as_bytes();
    let open = memchr::memchr(b'[', b)?;
    let head = line[..open].trim_end();
    // `host ident user`, possibly after more client addresses (`a, b - - [`): the user is
    // the last field before the time.
    let mut count = 0;
    let mut user = "";
    for f in head.split(' ').filter(|f| !f.is_empty()) {
        count += 1;
        if count > 8 {
            return None;
        }
        user = f;
    }
    if count < 3 {
        return None;
    }
    let close = open + memchr::memchr(b']', &b[open..])?;
    let time = Time::from_opt(time::clf(&line[open + 1..close]));
    let rest = line[close + 1..].strip_prefix(' ')?;
    let rest = rest.strip_prefix('"')?;
    // The request ends at the quote followed by a space and the status (quotes inside it
    // are escaped by nginx and Apache, but do not rely on it).
    let rb = rest.as_bytes();
    let end = memchr::memchr_iter(b'"', rb).find(|&q| {
        rb.get(q + 1) == Some(&b' ')
            && rb
                .get(q + 2)
                .is_some_and(|c| c.is_ascii_digit() || *c == b'-')
    })?;
    let request = &rest[..end];
    let after = &rest[end + 2..];
    let status_text = after.split(' ').next()?;
    let status = if status_text == "-" {
        Status::Unknown
    } else {
        match Status::parse(status_text)? {
            s @ Status::Code(_) => s,
            _ => return None,
        }
    };
    let mut parts = request.split(' ').filter(|p| !p.is_empty());
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Some(Line::Other);
    };
    if !is_http_method(method) {
        return Some(Line::Other);
    }
    Some(Line::Request(Request {
        time,
        method: Cow::Borrowed(method),
        target: Cow::Borrowed(target),
        host: None,
        status,
        user: user_field(user).map(Cow::Borrowed),
    }))
}

/// Squid's native `access.log`: `time elapsed client code/status bytes method URL user hier type`.
fn squid(line: &str) -> Option<Line<'_>> {
    let mut f = line.split(' ').filter(|f| !f.is_empty());
    let ts = f.next()?;
    let (secs, frac) = ts.split_once('.')?;
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let _elapsed = f.next()?;
    let _client = f.next()?;
    let code = f.next()?;
    let (_, status) = code.split_once('/')?;
    let status = match Status::parse(status) {
        Some(Status::Code(0)) | None => Status::Unknown,
        Some(s) => s,
    };
    let _bytes = f.next()?;
    let method = f.next()?;
    let target = f.next()?;
    let user = f.next()?;
    if !is_http_method(method) {
        return Some(Line::Other);
    }
    Some(Line::Request(Request {
        time: Time::from_opt(time::epoch_text(secs)),
        method: Cow::Borrowed(method),
        target: Cow::Borrowed(target),
        host: None,
        status,
        user: user_field(user).map(Cow::Borrowed),
    }))
}

fn user_field(u: &str) -> Option<&str> {
    (u != "-" && !u.is_empty()).then_some(u)
}

fn is_http_method(m: &str) -> bool {
    (3..=7).contains(&m.len()) && m.bytes().all(|b| b.is_ascii_uppercase())
}

/// One JSON-lines record. Fields are looked for at the top level and in `request`/`http`/
/// `req` objects (the status also in `response`/`res`), key names case-insensitively;
/// `request` may also be a request line (`"GET /x HTTP/1.1"`) or a path. An `Authorization`
/// header (top level, or under `request.headers`) is read for its Basic-auth user only.
pub fn json_line(line: &str) -> Line<'_> {
    super::json::record(line)
}

/// The head of a file, for detection: its valid UTF-8 prefix, cut at a character boundary.
pub fn head_text(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(t) => t,
        // Safe: `valid_up_to` is a character boundary by definition.
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// Whether text is a HAR document rather than JSON lines: one JSON object with `log.entries`,
/// possibly spread over many lines.
pub fn looks_like_har(text: &str) -> bool {
    let head = prefix(text, 4096);
    let t = head.trim_start();
    if !t.starts_with('{') {
        return false;
    }
    // A JSON-lines file's first line is a complete object; a HAR's first line rarely is.
    let first = t.lines().next().unwrap_or("");
    match serde_json::from_str::<serde_json::Value>(first) {
        Ok(v) => v.get("log").and_then(|l| l.get("entries")).is_some(),
        // A broken first record of a JSON-lines file: the next lines are whole objects.
        Err(_) => {
            let next_is_record = t
                .lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .take(3)
                .any(|l| {
                    matches!(
                        serde_json::from_str::<serde_json::Value>(l),
                        Ok(serde_json::Value::Object(_))
                    )
                });
            !next_is_record && head.contains("\"log\"")
        }
    }
}

/// Whether the head of a file is a token definition (JSON, YAML or TOML) rather than a log:
/// a definition given as `--usage` by mistake is named, not read as a log of malformed lines.
pub fn looks_like_definition(text: &str) -> bool {
    let head = prefix(text, 8192);
    let t = head.trim_start();
    if let Some(obj) = t.strip_prefix('{') {
        // The first key of the document.
        let key = obj.trim_start();
        return ["\"account\"", "\"tokens\"", "\"$schema\""]
            .iter()
            .any(|k| key.starts_with(k));
    }
    head.lines().any(|l| {
        let l = l.trim_end();
        matches!(l, "tokens:" | "account:" | "[account]" | "[[tokens]]")
    })
}

/// The user of `Basic base64(user:password)`; the password never leaves this function.
pub fn basic_user(header: &str) -> Option<String> {
    let (scheme, b64) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64_decode(b64.trim())?;
    let colon = decoded.iter().position(|b| *b == b':')?;
    let user = std::str::from_utf8(&decoded[..colon]).ok()?;
    (!user.is_empty()).then(|| user.to_string())
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    // Clients pad or not, and some proxies log the URL-safe alphabet: accept all four.
    const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);
    if s.len() > 1024 {
        return None;
    }
    STANDARD.decode(s).or_else(|_| URL_SAFE.decode(s)).ok()
}

/// serde_json's messages may quote the input: say only what kind of problem it is.
pub fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "missing or mistyped fields",
        serde_json::error::Category::Eof => "unexpected end of file",
    }
}

pub(super) fn status_of_number(n: f64) -> Status {
    Status::from_number(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(line: Line<'_>) -> Request<'_> {
        match line {
            Line::Request(r) => r,
            other => panic!("not a request: {other:?}"),
        }
    }

    fn text(line: &str) -> Line<'_> {
        text_line(line).0
    }

    #[test]
    fn clf_and_combined() {
        let r = req(text(
            r#"10.0.0.1 - IRabcdefghij [10/Oct/2026:13:55:36 -0700] "GET /Advertisers/IRx/Actions?a=1 HTTP/1.1" 200 2326 "-" "curl/8""#,
        ));
        assert_eq!(r.method, "GET");
        assert_eq!(r.target, "/Advertisers/IRx/Actions?a=1");
        assert_eq!(r.status, Status::Code(200));
        assert_eq!(r.user.as_deref(), Some("IRabcdefghij"));
        assert_eq!(r.time, Time::At(1791665736));
        let r = req(text(
            r#"::1 - - [01/Jan/2026:00:00:00 +0000] "POST https://api.impact.com/x HTTP/2.0" 403 -"#,
        ));
        assert_eq!((r.status, r.user), (Status::Code(403), None));
        assert_eq!(r.time, Time::At(1767225600));
        // 31 February is not 3 March: the time is unreadable, the request still counts.
        let r = req(text(
            r#"::1 - - [31/Feb/2026:00:00:00 +0000] "GET /x HTTP/1.1" 200 1"#,
        ));
        assert_eq!(r.time, Time::Unreadable);
        assert_eq!(
            text(r#"1.2.3.4 - - [01/Jan/2026:00:00:00 +0000] "\x16\x03\x01" 400 157"#),
            Line::Other
        );
        for bad in [
            "",
            "garbage",
            "a b c [",
            r#"a b c [x] "GET / HTTP/1.1" abc"#,
        ] {
            assert_eq!(text(bad), Line::Malformed, "{bad:?}");
        }
    }

    #[test]
    fn squid_native() {
        let (line, kind) = text_line(
            "1767225600.123    45 10.0.0.2 TCP_MISS/201 512 POST https://api.impact.com/Advertisers/IRx/Conversions svcimpactsync01 HIER_DIRECT/1.2.3.4 application/json",
        );
        let r = req(line);
        assert_eq!(kind, Some(TextKind::Squid));
        assert_eq!(
            (r.time, r.status),
            (Time::At(1767225600), Status::Code(201))
        );
        assert_eq!(r.method, "POST");
        assert_eq!(r.user.as_deref(), Some("svcimpactsync01"));
    }

    #[test]
    fn statuses() {
        assert_eq!(Status::parse("2xx"), Some(Status::Class(2)));
        assert_eq!(Status::parse("4XX"), Some(Status::Class(4)));
        assert_eq!(Status::parse("403"), Some(Status::Code(403)));
        assert_eq!(Status::parse("4x"), None);
        assert_eq!(Status::parse("é"), None);
        assert!(Status::Code(302).ok() && Status::Class(2).ok());
        assert!(!Status::Code(403).ok() && !Status::Class(4).ok() && !Status::Unknown.ok());
        assert!(Status::Code(401).refused() && !Status::Class(4).refused());
    }

    #[test]
    fn definitions_are_not_logs() {
        assert!(looks_like_definition(
            "{\n  \"account\": {\"type\": \"brand\"}"
        ));
        assert!(looks_like_definition(
            "# tokens\naccount:\n  type: brand\ntokens:\n"
        ));
        assert!(looks_like_definition("[account]\ntype = \"brand\"\n"));
        assert!(!looks_like_definition("{\"time\": 1, \"tokens\": 3}"));
        assert!(!looks_like_definition(
            "10.0.0.1 - - [01/Jan/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1"
        ));
    }

    #[test]
    fn prefixes_end_on_character_boundaries() {
        let s = format!("{}é", "a".repeat(4095));
        assert_eq!(prefix(&s, 4096).len(), 4095);
        assert_eq!(head_text(&s.as_bytes()[..4096]).len(), 4095);
        assert!(!looks_like_har(&s));
    }

    #[test]
    fn basic_auth_user_only() {
        // "IRabcdefghij:Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0"
        let auth = "Basic SVJhYmNkZWZnaGlqOlhrM3ZQOXFMbU4yYUI3Y0Q0ZUY2Z0g4aksxc1Q1dVcw";
        assert_eq!(basic_user(auth).as_deref(), Some("IRabcdefghij"));
        assert_eq!(basic_user("Bearer x"), None);
        // "IRab:p?>" padded and unpadded; "IRab:p?>>???" (its base64 has `+` and `/`) in both alphabets.
        assert_eq!(basic_user("basic SVJhYjpwPz4=").as_deref(), Some("IRab"));
        assert_eq!(basic_user("Basic SVJhYjpwPz4").as_deref(), Some("IRab"));
        assert_eq!(
            basic_user("Basic SVJhYjpwPz4+Pz8/").as_deref(),
            Some("IRab")
        );
        assert_eq!(
            basic_user("Basic SVJhYjpwPz4-Pz8_").as_deref(),
            Some("IRab")
        );
        // Not base64, no colon, an empty user, or a user that is not text: no user.
        assert_eq!(basic_user("Basic ***"), None);
        assert_eq!(basic_user("Basic SVJhYg=="), None);
        assert_eq!(basic_user("Basic OnA="), None);
        assert_eq!(basic_user("Basic //46cA=="), None);
        assert!(!looks_like_har(r#"{"time":1,"url":"/x","method":"GET"}"#));
        // JSON lines whose first record is cut, with a `log` field in the records.
        assert!(!looks_like_har(
            "{\"log\": \"cut\n{\"log\": \"x\", \"url\": \"/y\"}\n"
        ));
    }
}
