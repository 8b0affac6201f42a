//! HAR 1.2 (browser devtools, mitmproxy's `--set hardump=`), read as a stream: each entry of
//! `log.entries` is handed over as it is parsed, so a large HAR never sits whole in memory.
//! The `Authorization` header is decoded only for its user part (the SID); the password is
//! dropped at once.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::parse::{Request, Status, basic_user, json_error_kind};
use super::time::{self, Time};

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

impl HarEntry {
    fn request(self) -> Request<'static> {
        let user = self
            .request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("authorization"))
            .and_then(|h| basic_user(&h.value));
        Request {
            time: match self.started_date_time.as_deref() {
                Some(s) => Time::from_opt(time::text(s)),
                None => Time::Missing,
            },
            method: Cow::Owned(self.request.method.to_ascii_uppercase()),
            target: Cow::Owned(self.request.url),
            host: None,
            status: self
                .response
                .and_then(|r| u16::try_from(r.status).ok())
                .filter(|s| *s != 0)
                .map_or(Status::Unknown, Status::Code),
            user: user.map(Cow::Owned),
        }
    }
}

/// Reads a HAR document from `reader`, calling `each` with every entry's request (and its
/// one-based entry number). The error names the line and column and the kind of problem,
/// never the text.
pub fn read(
    reader: impl std::io::Read,
    each: &mut dyn FnMut(Request<'static>, u64),
) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut n = 0u64;
    let result = de
        .deserialize_map(Doc { each, n: &mut n })
        .and_then(|_| de.end());
    result.map_err(|e| {
        format!(
            "not a valid HAR document (line {}, column {}): {}",
            e.line(),
            e.column(),
            json_error_kind(&e)
        )
    })
}

use serde::Deserializer as _;

/// The document: `{"log": {"entries": [...]}}`, other keys skipped.
struct Doc<'a> {
    each: &'a mut dyn FnMut(Request<'static>, u64),
    n: &'a mut u64,
}

impl<'de> Visitor<'de> for Doc<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "log" && !seen {
                seen = true;
                map.next_value_seed(Log {
                    each: &mut *self.each,
                    n: &mut *self.n,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !seen {
            return Err(de::Error::missing_field("log"));
        }
        Ok(())
    }
}

struct Log<'a> {
    each: &'a mut dyn FnMut(Request<'static>, u64),
    n: &'a mut u64,
}

impl<'de> DeserializeSeed<'de> for Log<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Log<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR log")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "entries" {
                map.next_value_seed(Entries {
                    each: &mut *self.each,
                    n: &mut *self.n,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Entries<'a> {
    each: &'a mut dyn FnMut(Request<'static>, u64),
    n: &'a mut u64,
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of HAR entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<HarEntry>()? {
            *self.n += 1;
            (self.each)(entry.request(), *self.n);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn har_entries_and_basic_auth() {
        // "IRabcdefghij:Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0"
        let auth = "Basic SVJhYmNkZWZnaGlqOlhrM3ZQOXFMbU4yYUI3Y0Q0ZUY2Z0g4aksxc1Q1dVcw";
        let har_text = format!(
            r#"{{
  "log": {{"version": "1.2", "creator": {{"name": "mitmproxy", "version": "11"}}, "entries": [
    {{"startedDateTime": "2026-11-01T10:00:00.000Z",
      "request": {{"method": "GET", "url": "https://api.impact.com/Advertisers/IRx/Ads",
                  "headers": [{{"name": "Authorization", "value": "{auth}"}}]}},
      "response": {{"status": 200, "content": {{"text": "…"}}}}}},
    {{"request": {{"method": "post", "url": "/x"}}}}
  ]}}
}}"#
        );
        assert!(super::super::parse::looks_like_har(&har_text));
        let mut reqs = Vec::new();
        read(har_text.as_bytes(), &mut |r, n| reqs.push((r, n))).unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].0.user.as_deref(), Some("IRabcdefghij"));
        assert_eq!(reqs[0].0.time, Time::At(1793527200));
        assert_eq!((reqs[1].0.method.as_ref(), reqs[1].1), ("POST", 2));
        assert_eq!(reqs[1].0.time, Time::Missing);
        assert!(!format!("{:?}", reqs[0].0).contains("Xk3v"));
        let err = read("{\"log\": [".as_bytes(), &mut |_, _| {}).unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        assert!(read("{}".as_bytes(), &mut |_, _| {}).is_err());
    }
}
