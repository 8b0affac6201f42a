//! Log formats: common/combined log format (nginx, Apache, Squid's `common`/`combined`),
//! Squid's native format, JSON lines and HAR 1.2. Each parser yields [`Request`]s and keeps
//! nothing else of a line: never a header value, a password or the line itself.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

/// One logged request, as much as scopeward needs of it.
#[derive(Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// Unix seconds (UTC), when the log has a time.
    pub time: Option<i64>,
    pub method: Cow<'a, str>,
    /// A path or an absolute URL, as logged.
    pub target: Cow<'a, str>,
    pub status: Option<u16>,
    /// The Basic-auth user (an Account SID), when the log records it.
    pub user: Option<Cow<'a, str>>,
}

/// What a line is.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    Request(Request<'a>),
    /// Well-formed, but not an HTTP request scopeward can use (a `CONNECT`, a TLS handshake
    /// logged as `400`, a JSON record of something else).
    Other,
    /// Not in the file's format.
    Malformed,
}

/// A common/combined log format line, or Squid's native format.
pub fn text_line(line: &str) -> Line<'_> {
    match clf(line) {
        Some(l) => l,
        None => squid(line).unwrap_or(Line::Malformed),
    }
}

/// `host ident user [time] "METHOD target PROTO" status bytes …`
fn clf(line: &str) -> Option<Line<'_>> {
    let b = line.as_bytes();
    let open = memchr::memchr(b'[', b)?;
    let head = line[..open].trim_end();
    // `host ident user`, possibly after more client addresses (`a, b - - [`): the user is
    // the last field before the time.
    let fields: Vec<&str> = head.split(' ').filter(|f| !f.is_empty()).collect();
    if fields.len() < 3 || fields.len() > 8 {
        return None;
    }
    let user = fields[fields.len() - 1];
    let close = open + memchr::memchr(b']', &b[open..])?;
    let time = clf_time(&line[open + 1..close]);
    let rest = line[close + 1..].strip_prefix(' ')?;
    let rest = rest.strip_prefix('"')?;
    // The request ends at the quote followed by a space and the status (quotes inside it
    // are escaped by nginx and Apache, but do not rely on it).
    let mut end = None;
    for q in memchr::memchr_iter(b'"', rest.as_bytes()) {
        let after = &rest.as_bytes()[q + 1..];
        if after.first() == Some(&b' ')
            && after
                .get(1)
                .is_some_and(|c| c.is_ascii_digit() || *c == b'-')
        {
            end = Some(q);
            break;
        }
    }
    let end = end?;
    let request = &rest[..end];
    let after = &rest[end + 2..];
    let status_text = after.split(' ').next()?;
    let status = if status_text == "-" {
        None
    } else {
        Some(parse_status(status_text)?)
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
    let status = parse_status(status);
    let _bytes = f.next()?;
    let method = f.next()?;
    let target = f.next()?;
    let user = f.next()?;
    if !is_http_method(method) {
        return Some(Line::Other);
    }
    Some(Line::Request(Request {
        time: secs.parse().ok(),
        method: Cow::Borrowed(method),
        target: Cow::Borrowed(target),
        status: status.filter(|s| *s != 0),
        user: user_field(user).map(Cow::Borrowed),
    }))
}

fn user_field(u: &str) -> Option<&str> {
    (u != "-" && !u.is_empty()).then_some(u)
}

fn parse_status(s: &str) -> Option<u16> {
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn is_http_method(m: &str) -> bool {
    (3..=7).contains(&m.len()) && m.bytes().all(|b| b.is_ascii_uppercase())
}

/// `10/Oct/2000:13:55:36 -0700` → Unix seconds.
pub fn clf_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let day = num(0..2)?;
    let month = match s.get(3..6)? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year = num(7..11)?;
    let (h, m, sec) = (num(12..14)?, num(15..17)?, num(18..20)?);
    let mut offset = 0;
    if let Some(z) = s.get(20..).map(str::trim) {
        if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) {
            let v = num_str(&z[1..3])? * 3600 + num_str(&z[3..5])? * 60;
            offset = if z.starts_with('-') { -v } else { v };
        }
    }
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86400 + h * 3600 + m * 60 + sec - offset)
}

fn num_str(s: &str) -> Option<i64> {
    s.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| s.parse().ok())
        .flatten()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// A time as JSON logs write it: RFC 3339, a CLF time, or Unix seconds or milliseconds.
fn json_time(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => {
            if let Ok(ts) = s.parse::<jiff::Timestamp>() {
                return Some(ts.as_second());
            }
            if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
                return dt
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .ok()
                    .map(|z| z.timestamp().as_second());
            }
            clf_time(s)
        }
        Value::Number(n) => {
            let f = n.as_f64()?;
            // Milliseconds since 1970 are past 10^11 from 1973 on.
            Some(if f > 1e11 {
                (f / 1000.0) as i64
            } else {
                f as i64
            })
        }
        _ => None,
    }
}

fn pick<'v>(obj: &'v serde_json::Map<String, Value>, keys: &[&str]) -> Option<&'v Value> {
    keys.iter()
        .find_map(|k| obj.get(*k))
        .filter(|v| !v.is_null())
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

const TIME_KEYS: &[&str] = &[
    "time",
    "timestamp",
    "@timestamp",
    "ts",
    "date",
    "datetime",
    "time_local",
    "time_iso8601",
    "startedDateTime",
];
const METHOD_KEYS: &[&str] = &["method", "request_method", "http_method", "verb"];
const URL_KEYS: &[&str] = &["url", "uri", "request_uri", "path", "target", "request_url"];
const STATUS_KEYS: &[&str] = &[
    "status",
    "status_code",
    "statusCode",
    "response_status",
    "code",
];
const USER_KEYS: &[&str] = &[
    "user",
    "remote_user",
    "username",
    "auth_user",
    "sid",
    "account_sid",
];
const HOST_KEYS: &[&str] = &["host", "server_name", "http_host"];

/// One JSON-lines record. Fields are looked for at the top level and in `request`/`response`
/// (or `http`) objects; `request` may also be a request line (`"GET /x HTTP/1.1"`).
pub fn json_line(line: &str) -> Line<'static> {
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line) else {
        return Line::Malformed;
    };
    let nested = |name: &str| obj.get(name).and_then(Value::as_object);
    let scopes: Vec<&serde_json::Map<String, Value>> = std::iter::once(&obj)
        .chain(nested("request"))
        .chain(nested("http"))
        .chain(nested("req"))
        .collect();
    let find = |keys: &[&str]| scopes.iter().find_map(|o| pick(o, keys));
    let mut method = find(METHOD_KEYS).and_then(as_text);
    let mut target = find(URL_KEYS).and_then(as_text);
    if let (None, Some(Value::String(req))) = (&target, obj.get("request")) {
        let mut parts = req.split(' ');
        if let (Some(m), Some(t)) = (parts.next(), parts.next()) {
            method = method.or(Some(m.to_string()));
            target = Some(t.to_string());
        }
    }
    let (Some(method), Some(mut target)) = (method, target) else {
        return Line::Other;
    };
    if !target.contains("://") {
        if let Some(host) = find(HOST_KEYS).and_then(Value::as_str) {
            if target.starts_with('/') && !host.is_empty() {
                target = format!("https://{host}{target}");
            }
        }
    }
    let status = find(STATUS_KEYS)
        .or_else(|| {
            ["response", "res"]
                .iter()
                .find_map(|n| obj.get(*n).and_then(Value::as_object))
                .and_then(|r| pick(r, STATUS_KEYS))
        })
        .and_then(|v| match v {
            Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
    let user = find(USER_KEYS)
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty() && *u != "-")
        .map(|u| Cow::Owned(u.to_string()));
    Line::Request(Request {
        time: find(TIME_KEYS).and_then(json_time),
        method: Cow::Owned(method.to_ascii_uppercase()),
        target: Cow::Owned(target),
        status,
        user,
    })
}

#[derive(Deserialize)]
struct Har {
    log: HarLog,
}

#[derive(Deserialize)]
struct HarLog {
    #[serde(default)]
    entries: Vec<HarEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HarEntry {
    #[serde(default)]
    started_date_time: Option<String>,
    request: HarRequest,
    #[serde(default)]
    response: Option<HarResponse>,
}

#[derive(Deserialize)]
struct HarRequest {
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<HarHeader>,
}

#[derive(Deserialize)]
struct HarHeader {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct HarResponse {
    #[serde(default)]
    status: i64,
}

/// Whether text is a HAR document rather than JSON lines: one JSON object with `log.entries`,
/// possibly spread over many lines.
pub fn looks_like_har(text: &str) -> bool {
    let head = &text[..text.len().min(4096)];
    let t = head.trim_start();
    if !t.starts_with('{') {
        return false;
    }
    // A JSON-lines file's first line is a complete object; a HAR's first line rarely is.
    let first = t.lines().next().unwrap_or("");
    match serde_json::from_str::<Value>(first) {
        Ok(v) => v.get("log").and_then(|l| l.get("entries")).is_some(),
        // A broken first record of a JSON-lines file: the next lines are whole objects.
        Err(_) => {
            let next_is_record = t
                .lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .take(3)
                .any(|l| matches!(serde_json::from_str::<Value>(l), Ok(Value::Object(_))));
            !next_is_record && head.contains("\"log\"")
        }
    }
}

/// The requests of a HAR 1.2 document, or why it cannot be read. The `Authorization` header
/// is decoded only for its user part (the SID); the password is dropped at once.
pub fn har(text: &str) -> Result<Vec<Request<'static>>, String> {
    let doc: Har = serde_json::from_str(text).map_err(|e| {
        format!(
            "not a valid HAR document (line {}, column {}): {}",
            e.line(),
            e.column(),
            e.classify_msg()
        )
    })?;
    Ok(doc
        .log
        .entries
        .into_iter()
        .map(|e| {
            let user = e
                .request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("authorization"))
                .and_then(|h| basic_user(&h.value));
            Request {
                time: e
                    .started_date_time
                    .as_deref()
                    .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                    .map(|t| t.as_second()),
                method: Cow::Owned(e.request.method.to_ascii_uppercase()),
                target: Cow::Owned(e.request.url),
                status: e
                    .response
                    .and_then(|r| u16::try_from(r.status).ok())
                    .filter(|s| *s != 0),
                user: user.map(Cow::Owned),
            }
        })
        .collect())
}

trait ClassifyMsg {
    fn classify_msg(&self) -> &'static str;
}

impl ClassifyMsg for serde_json::Error {
    /// serde_json's messages may quote the input: say only what kind of problem it is.
    fn classify_msg(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "missing or mistyped fields",
            serde_json::error::Category::Eof => "unexpected end of file",
        }
    }
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
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
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

    #[test]
    fn clf_and_combined() {
        let r = req(text_line(
            r#"10.0.0.1 - IRabcdefghij [10/Oct/2026:13:55:36 -0700] "GET /Advertisers/IRx/Actions?a=1 HTTP/1.1" 200 2326 "-" "curl/8""#,
        ));
        assert_eq!(r.method, "GET");
        assert_eq!(r.target, "/Advertisers/IRx/Actions?a=1");
        assert_eq!(r.status, Some(200));
        assert_eq!(r.user.as_deref(), Some("IRabcdefghij"));
        // 2026-10-10T20:55:36Z
        assert_eq!(r.time, Some(1791665736));
        let r = req(text_line(
            r#"::1 - - [01/Jan/2026:00:00:00 +0000] "POST https://api.impact.com/x HTTP/2.0" 403 -"#,
        ));
        assert_eq!((r.status, r.user), (Some(403), None));
        assert_eq!(r.time, Some(1767225600));
        assert_eq!(
            text_line(r#"1.2.3.4 - - [01/Jan/2026:00:00:00 +0000] "\x16\x03\x01" 400 157"#),
            Line::Other
        );
        assert_eq!(
            text_line(
                r#"1.2.3.4 - - [01/Jan/2026:00:00:00 +0000] "CONNECT api.impact.com:443 HTTP/1.1" 200 0"#
            ),
            Line::Request(Request {
                time: Some(1767225600),
                method: "CONNECT".into(),
                target: "api.impact.com:443".into(),
                status: Some(200),
                user: None
            })
        );
        for bad in [
            "",
            "garbage",
            "a b c [",
            r#"a b c [x] "GET / HTTP/1.1" abc"#,
        ] {
            assert_eq!(text_line(bad), Line::Malformed, "{bad:?}");
        }
    }

    #[test]
    fn squid_native() {
        let r = req(text_line(
            "1767225600.123    45 10.0.0.2 TCP_MISS/201 512 POST https://api.impact.com/Advertisers/IRx/Conversions IRabcdefghij HIER_DIRECT/1.2.3.4 application/json",
        ));
        assert_eq!((r.time, r.status), (Some(1767225600), Some(201)));
        assert_eq!(r.method, "POST");
        assert_eq!(r.user.as_deref(), Some("IRabcdefghij"));
    }

    #[test]
    fn json_lines_in_several_shapes() {
        let r = req(json_line(
            r#"{"time":"2026-11-01T10:00:00Z","method":"get","url":"https://api.impact.com/Advertisers/IRx/Ads","status":200}"#,
        ));
        assert_eq!((r.method.as_ref(), r.status), ("GET", Some(200)));
        assert_eq!(r.time, Some(1793527200));
        let r = req(json_line(
            r#"{"timestamp":1793527200123,"request":{"method":"PUT","path":"/Advertisers/IRx/Ads/1"},"response":{"status_code":"403"},"host":"api.impact.com"}"#,
        ));
        assert_eq!(r.target, "https://api.impact.com/Advertisers/IRx/Ads/1");
        assert_eq!((r.status, r.time), (Some(403), Some(1793527200)));
        let r = req(json_line(
            r#"{"time_local":"01/Nov/2026:10:00:00 +0000","request":"DELETE /Advertisers/IRx/Actions HTTP/1.1","status":"200","remote_user":"IRabcdefghij"}"#,
        ));
        assert_eq!(
            (r.method.as_ref(), r.target.as_ref()),
            ("DELETE", "/Advertisers/IRx/Actions")
        );
        assert_eq!(r.user.as_deref(), Some("IRabcdefghij"));
        assert_eq!(
            json_line(r#"{"level":"info","msg":"started"}"#),
            Line::Other
        );
        assert_eq!(json_line("{not json"), Line::Malformed);
        assert_eq!(json_line("[1,2]"), Line::Malformed);
    }

    #[test]
    fn har_entries_and_basic_auth() {
        // "IRabcdefghij:Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0"
        let auth = "Basic SVJhYmNkZWZnaGlqOlhrM3ZQOXFMbU4yYUI3Y0Q0ZUY2Z0g4aksxc1Q1dVcw";
        assert_eq!(basic_user(auth).as_deref(), Some("IRabcdefghij"));
        let har_text = format!(
            r#"{{
  "log": {{"version": "1.2", "entries": [
    {{"startedDateTime": "2026-11-01T10:00:00.000Z",
      "request": {{"method": "GET", "url": "https://api.impact.com/Advertisers/IRx/Ads",
                  "headers": [{{"name": "Authorization", "value": "{auth}"}}]}},
      "response": {{"status": 200}}}}
  ]}}
}}"#
        );
        assert!(looks_like_har(&har_text));
        let reqs = har(&har_text).unwrap();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].user.as_deref(), Some("IRabcdefghij"));
        assert!(!format!("{reqs:?}").contains("Xk3v"));
        assert!(!looks_like_har(r#"{"time":1,"url":"/x","method":"GET"}"#));
        // JSON lines whose first record is cut, with a `log` field in the records.
        assert!(!looks_like_har(
            "{\"log\": \"cut\n{\"log\": \"x\", \"url\": \"/y\"}\n"
        ));
        assert!(har("{\"log\": [").is_err());
    }
}
