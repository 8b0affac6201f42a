//! JSON-lines records, read in one pass over the line with serde_json: keys are matched
//! case-insensitively against the names servers use (nginx `log_format … escape=json`
//! templates, Caddy's access log, application logs), every other value is skipped without
//! being built, and strings are borrowed from the line unless they hold escapes.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::parse::{Line, Request, Status, basic_user, status_of_number};
use super::time::{self, Time};

/// Field names, best first, for each thing scopeward reads.
const TIME: &[&str] = &[
    "time",
    "timestamp",
    "@timestamp",
    "ts",
    "time_iso8601",
    "time_local",
    "datetime",
    "date",
    "msec",
    "event_datetime",
    "created_at",
    "when",
    "starteddatetime",
    "start_time",
];
const METHOD: &[&str] = &[
    "method",
    "request_method",
    "http_method",
    "httpmethod",
    "verb",
];
const URL: &[&str] = &[
    "url",
    "uri",
    "request_uri",
    "requesturi",
    "path",
    "target",
    "request_url",
    "requesturl",
    "request_path",
];
const STATUS: &[&str] = &[
    "status",
    "status_code",
    "statuscode",
    "response_status",
    "responsecode",
    "http_status",
    "code",
];
const USER: &[&str] = &[
    "remote_user",
    "user",
    "username",
    "user_name",
    "auth_user",
    "user_id",
    "userid",
    "sid",
    "account_sid",
];
const HOST: &[&str] = &["host", "http_host", "request_host", "server_name"];
/// Objects whose fields count too (one level down; top-level fields win).
const NESTED: &[&str] = &["request", "http", "req", "response", "res"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Time(u8),
    Method(u8),
    Url(u8),
    Status(u8),
    User(u8),
    Host(u8),
    Authorization,
    /// `request`: an object, a request line or a path.
    Request,
    Nested,
    Headers,
    Other,
}

fn classify(key: &str) -> Key {
    let mut buf = [0u8; 24];
    let b = key.as_bytes();
    if b.len() > buf.len() {
        return Key::Other;
    }
    for (o, c) in buf.iter_mut().zip(b) {
        *o = c.to_ascii_lowercase();
    }
    // ASCII lower-casing keeps UTF-8 valid; a key that is not ASCII matches nothing.
    let Ok(k) = std::str::from_utf8(&buf[..b.len()]) else {
        return Key::Other;
    };
    let find = |list: &[&str]| list.iter().position(|n| *n == k).map(|i| i as u8);
    if k == "request" {
        return Key::Request;
    }
    if let Some(i) = find(TIME) {
        Key::Time(i)
    } else if let Some(i) = find(METHOD) {
        Key::Method(i)
    } else if let Some(i) = find(URL) {
        Key::Url(i)
    } else if let Some(i) = find(STATUS) {
        Key::Status(i)
    } else if let Some(i) = find(USER) {
        Key::User(i)
    } else if let Some(i) = find(HOST) {
        Key::Host(i)
    } else if k == "authorization" {
        Key::Authorization
    } else if k == "headers" {
        Key::Headers
    } else if NESTED.contains(&k) {
        Key::Nested
    } else {
        Key::Other
    }
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(classify(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// A value scopeward may read: a string (borrowed when it can be), a number, or anything
/// else (skipped).
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Num(f64),
    Other,
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Scalar<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Num(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Num(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Num(v))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar<'de>, A::Error> {
                drain_seq(seq).map(|_| Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar<'de>, A::Error> {
                drain_map(map).map(|_| Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// The best value seen for one field: lower rank wins (nesting level, then name priority).
struct Best<T> {
    value: Option<T>,
    rank: u16,
}

impl<T> Default for Best<T> {
    fn default() -> Self {
        Best {
            value: None,
            rank: u16::MAX,
        }
    }
}

impl<T> Best<T> {
    fn offer(&mut self, value: T, rank: u16) {
        if self.value.is_none() || rank < self.rank {
            self.value = Some(value);
            self.rank = rank;
        }
    }
}

#[derive(Default)]
struct Fields<'a> {
    time: Best<i64>,
    /// A time field was there (readable or not).
    time_seen: bool,
    method: Best<Cow<'a, str>>,
    url: Best<Cow<'a, str>>,
    /// `request` as text: a request line, or a path.
    request: Best<Cow<'a, str>>,
    status: Best<Status>,
    user: Best<Cow<'a, str>>,
    host: Best<Cow<'a, str>>,
    /// The Basic-auth user of an `Authorization` header (the password is never kept).
    auth_user: Option<String>,
}

impl<'a> Fields<'a> {
    fn take(&mut self, key: Key, value: Scalar<'a>, level: u16) {
        let rank = |i: u8| level * 32 + u16::from(i);
        match (key, value) {
            (Key::Time(i), v) => {
                let t = match v {
                    Scalar::Str(s) => time::text(&s),
                    Scalar::Num(n) => time::epoch(n),
                    Scalar::Other => return,
                };
                self.time_seen = true;
                if let Some(t) = t {
                    self.time.offer(t, rank(i));
                }
            }
            (Key::Method(i), Scalar::Str(s)) => self.method.offer(s, rank(i)),
            (Key::Url(i), Scalar::Str(s)) => self.url.offer(s, rank(i)),
            (Key::Status(i), v) => {
                let status = match v {
                    Scalar::Str(s) => Status::parse(&s),
                    Scalar::Num(n) => Some(status_of_number(n)),
                    Scalar::Other => None,
                };
                if let Some(s) = status.filter(|s| *s != Status::Unknown) {
                    self.status.offer(s, rank(i));
                }
            }
            (Key::User(i), Scalar::Str(s)) if !s.is_empty() && s != "-" => {
                self.user.offer(s, rank(i))
            }
            (Key::Host(i), Scalar::Str(s)) if !s.is_empty() && s != "-" => {
                self.host.offer(s, rank(i))
            }
            (Key::Authorization, Scalar::Str(s)) => self.authorization(&s),
            (Key::Request, Scalar::Str(s)) => self.request.offer(s, level),
            _ => {}
        }
    }

    fn authorization(&mut self, header: &str) {
        if self.auth_user.is_none() {
            self.auth_user = basic_user(header);
        }
    }

    fn into_line(self) -> Line<'a> {
        let mut method = self.method.value;
        let mut target = self.url.value;
        if let Some(req) = self.request.value {
            match req {
                Cow::Borrowed(r) => request_text(r, &mut method, &mut target, Cow::Borrowed),
                Cow::Owned(r) => {
                    request_text(&r, &mut method, &mut target, |s| Cow::Owned(s.to_string()))
                }
            }
        }
        let (Some(method), Some(target)) = (method, target) else {
            return Line::Other;
        };
        let method = if method.bytes().all(|b| !b.is_ascii_lowercase()) {
            method
        } else {
            Cow::Owned(method.to_ascii_uppercase())
        };
        let time = match (self.time.value, self.time_seen) {
            (Some(t), _) => Time::At(t),
            (None, true) => Time::Unreadable,
            (None, false) => Time::Missing,
        };
        Line::Request(Request {
            time,
            method,
            target,
            host: self.host.value,
            status: self.status.value.unwrap_or(Status::Unknown),
            user: self.user.value.or(self.auth_user.map(Cow::Owned)),
        })
    }
}

/// `request` as text: `"GET /x HTTP/1.1"` gives the method and target (when no field gave
/// them); a bare path (Apache's `%U`) gives the target.
fn request_text<'a, 's>(
    r: &'s str,
    method: &mut Option<Cow<'a, str>>,
    target: &mut Option<Cow<'a, str>>,
    own: impl Fn(&'s str) -> Cow<'a, str>,
) {
    if target.is_some() {
        return;
    }
    let mut parts = r.split(' ').filter(|p| !p.is_empty());
    match (parts.next(), parts.next()) {
        (Some(m), Some(t)) => {
            if method.is_none() {
                *method = Some(own(m));
            }
            *target = Some(own(t));
        }
        (Some(p), None) if p.starts_with('/') => *target = Some(own(p)),
        _ => {}
    }
}

/// The fields of one object, at a nesting level.
struct ObjectSeed<'f, 'a> {
    fields: &'f mut Fields<'a>,
    level: u16,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
                Key::Nested | Key::Request if self.level < 1 => {
                    map.next_value_seed(AnySeed {
                        fields: self.fields,
                        level: self.level + 1,
                        key,
                    })?;
                }
                Key::Headers if self.level < 2 => {
                    map.next_value_seed(HeadersSeed {
                        fields: self.fields,
                    })?;
                }
                Key::Nested | Key::Headers => {
                    map.next_value::<IgnoredAny>()?;
                }
                key => {
                    let v = map.next_value::<Scalar<'de>>()?;
                    self.fields.take(key, v, self.level);
                }
            }
        }
        Ok(())
    }
}

/// A nested value: an object read one level down, or (for `request`) text.
struct AnySeed<'f, 'a> {
    fields: &'f mut Fields<'a>,
    level: u16,
    key: Key,
}

impl<'de> DeserializeSeed<'de> for AnySeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AnySeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        ObjectSeed {
            fields: self.fields,
            level: self.level,
        }
        .visit_map(map)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.fields
            .take(self.key, Scalar::Str(Cow::Borrowed(v)), self.level - 1);
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.fields.take(
            self.key,
            Scalar::Str(Cow::Owned(v.to_string())),
            self.level - 1,
        );
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        drain_seq(seq)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A `headers` object: only `Authorization` is read (a string, or Caddy's list of strings),
/// and only for its Basic-auth user.
struct HeadersSeed<'f, 'a> {
    fields: &'f mut Fields<'a>,
}

impl<'de> DeserializeSeed<'de> for HeadersSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for HeadersSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("headers")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            if key != Key::Authorization {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let values = map.next_value::<OneOrMany<'de>>()?;
            if let Some(v) = values.0 {
                self.fields.authorization(&v);
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        drain_seq(seq)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A string, or the first string of a list.
struct OneOrMany<'a>(Option<Cow<'a, str>>);

impl<'de> de::Deserialize<'de> for OneOrMany<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<OneOrMany<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a header value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(OneOrMany(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(OneOrMany(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut first = None;
                while let Some(s) = seq.next_element::<Scalar<'de>>()? {
                    if let (None, Scalar::Str(s)) = (&first, s) {
                        first = Some(s);
                    }
                }
                Ok(OneOrMany(first))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map).map(|_| OneOrMany(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(OneOrMany(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(OneOrMany(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(OneOrMany(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(OneOrMany(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// One JSON-lines record (see [`super::parse::json_line`]).
pub fn record(line: &str) -> Line<'_> {
    let mut fields = Fields::default();
    let mut de = serde_json::Deserializer::from_str(line);
    let read = de
        .deserialize_map(ObjectSeed {
            fields: &mut fields,
            level: 0,
        })
        .and_then(|_| de.end());
    match read {
        Ok(()) => fields.into_line(),
        Err(_) => Line::Malformed,
    }
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
    fn json_lines_in_several_shapes() {
        let r = req(record(
            r#"{"time":"2026-11-01T10:00:00Z","method":"get","url":"https://api.impact.com/Advertisers/IRx/Ads","status":200}"#,
        ));
        assert_eq!((r.method.as_ref(), r.status), ("GET", Status::Code(200)));
        assert_eq!(r.time, Time::At(1793527200));
        assert!(
            matches!(r.target, Cow::Borrowed(_)),
            "borrowed from the line"
        );
        let r = req(record(
            r#"{"timestamp":1793527200123,"request":{"method":"PUT","path":"/Advertisers/IRx/Ads/1"},"response":{"status_code":"403"},"host":"api.impact.com"}"#,
        ));
        assert_eq!(r.target, "/Advertisers/IRx/Ads/1");
        assert_eq!(r.host.as_deref(), Some("api.impact.com"));
        assert_eq!(
            (r.status, r.time),
            (Status::Code(403), Time::At(1793527200))
        );
        let r = req(record(
            r#"{"time_local":"01/Nov/2026:10:00:00 +0000","request":"DELETE /Advertisers/IRx/Actions HTTP/1.1","status":"200","remote_user":"IRabcdefghij"}"#,
        ));
        assert_eq!(
            (r.method.as_ref(), r.target.as_ref()),
            ("DELETE", "/Advertisers/IRx/Actions")
        );
        assert_eq!(r.user.as_deref(), Some("IRabcdefghij"));
        assert_eq!(record(r#"{"level":"info","msg":"started"}"#), Line::Other);
        assert_eq!(record("{not json"), Line::Malformed);
        assert_eq!(record("[1,2]"), Line::Malformed);
        assert_eq!(record("{} trailing"), Line::Malformed);
    }

    #[test]
    fn nginx_msec_and_caddy() {
        // nginx: `"timestamp": "$msec"`, `"status": $status`, `$request_uri`, `$host`.
        let r = req(record(
            r#"{"timestamp":"1793527200.123","remote_user":"-","request_method":"POST","request_uri":"/Advertisers/IRx/Conversions?x=1","status":201,"host":"proxy.internal"}"#,
        ));
        assert_eq!(r.time, Time::At(1793527200));
        assert_eq!(r.user, None);
        assert_eq!(r.host.as_deref(), Some("proxy.internal"));
        // Caddy: `ts` in float seconds, the request nested, headers as lists.
        let r = req(record(
            r#"{"level":"info","ts":1793527200.52,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.2","proto":"HTTP/1.1","method":"GET","host":"api.impact.com","uri":"/Advertisers/IRx/Ads","headers":{"User-Agent":["x"],"Authorization":["REDACTED"]}},"user_id":"","duration":0.01,"size":12,"status":200,"resp_headers":{"Server":["Caddy"]}}"#,
        ));
        assert_eq!(
            (r.time, r.status),
            (Time::At(1793527200), Status::Code(200))
        );
        assert_eq!(r.target, "/Advertisers/IRx/Ads");
        assert_eq!(r.user, None);
        // A time field that cannot be read is told apart from none.
        let r = req(record(r#"{"time":"soon","method":"GET","url":"/x"}"#));
        assert_eq!(r.time, Time::Unreadable);
        let r = req(record(r#"{"method":"GET","url":"/x"}"#));
        assert_eq!(r.time, Time::Missing);
        // Apache's `"Request": "%U"` is a path; key names in any case.
        let r = req(record(
            r#"{"Time":1793527200,"Method":"GET","Request":"/x","Status":"200"}"#,
        ));
        assert_eq!((r.target.as_ref(), r.time), ("/x", Time::At(1793527200)));
    }

    #[test]
    fn authorization_gives_only_the_user() {
        // "IRabcdefghij:Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0"
        let auth = "Basic SVJhYmNkZWZnaGlqOlhrM3ZQOXFMbU4yYUI3Y0Q0ZUY2Z0g4aksxc1Q1dVcw";
        let line = format!(
            r#"{{"method":"POST","url":"/PageLoad","request":{{"headers":{{"Authorization":["{auth}"]}}}}}}"#
        );
        let r = req(record(&line));
        assert_eq!(r.user.as_deref(), Some("IRabcdefghij"));
        assert!(!format!("{r:?}").contains("Xk3v"));
        let line = format!(r#"{{"method":"POST","url":"/PageLoad","authorization":"{auth}"}}"#);
        assert_eq!(req(record(&line)).user.as_deref(), Some("IRabcdefghij"));
    }
}
