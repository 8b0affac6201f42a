//! The usage summary (SPEC §8): one row per SID × method × path × status class, with the
//! number of requests and when they were first and last seen — what a warehouse query
//! (`scopeward usage-sql`) makes of logs too large for one machine. CSV with a header, or
//! JSON lines, with fields `sid, method, path, status, count, first_seen, last_seen`;
//! detected by the header (CSV) or the first record's keys (JSON lines).
//!
//! `status` is a class (`2xx`) or a code (`usage-sql` keeps 401 and 403 exact: they mean
//! refused); times are RFC 3339 UTC (epoch seconds are read too). `sid` may be empty: the
//! row's requests are then unattributable, unless its path carries the SID.

use std::borrow::Cow;

use serde::Deserialize;

use super::parse::{Request, Status};
use super::time::{self, Time};

/// The fields, in the order `usage-sql` writes them.
pub const FIELDS: [&str; 7] = [
    "sid",
    "method",
    "path",
    "status",
    "count",
    "first_seen",
    "last_seen",
];

/// One row: its requests (timed at `first_seen`), `last_seen`, and how many they were.
#[derive(Debug, PartialEq, Eq)]
pub struct Row<'a> {
    pub request: Request<'a>,
    pub last: Time,
    pub count: u64,
}

/// What a line of a summary is.
#[derive(Debug, PartialEq, Eq)]
pub enum SummaryLine<'a> {
    Row(Row<'a>),
    Malformed,
}

/// Where each field is in a CSV row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Columns([usize; 7]);

/// The columns of a CSV header naming every field (in any order, any case, quoted or not).
pub fn csv_header(line: &str) -> Option<Columns> {
    let names = csv_fields(line.trim_end_matches('\r'))?;
    let mut at = [usize::MAX; 7];
    for (i, name) in names.iter().enumerate() {
        if let Some(f) = FIELDS
            .iter()
            .position(|f| f.eq_ignore_ascii_case(name.trim()))
        {
            at[f] = i;
        }
    }
    at.iter().all(|i| *i != usize::MAX).then_some(Columns(at))
}

/// Whether a JSON line is a summary record (has `sid`, `count` and `first_seen`).
pub fn is_json_record(line: &str) -> bool {
    matches!(
        serde_json::from_str::<serde_json::Value>(line.trim()),
        Ok(serde_json::Value::Object(o))
            if ["sid", "count", "first_seen"].iter().all(|k| o.contains_key(*k))
    )
}

/// The fields of one CSV line (RFC 4180 quoting), or `None` when a quote is unbalanced.
fn csv_fields(line: &str) -> Option<Vec<Cow<'_, str>>> {
    let mut out = Vec::with_capacity(7);
    let mut rest = line;
    loop {
        if let Some(q) = rest.strip_prefix('"') {
            // A quoted field: up to the quote not doubled.
            let mut value = String::new();
            let mut s = q;
            loop {
                let i = s.find('"')?;
                value.push_str(&s[..i]);
                s = &s[i + 1..];
                if let Some(after) = s.strip_prefix('"') {
                    value.push('"');
                    s = after;
                } else {
                    break;
                }
            }
            out.push(Cow::Owned(value));
            match s.strip_prefix(',') {
                Some(after) => rest = after,
                None if s.trim().is_empty() => return Some(out),
                None => return None,
            }
        } else {
            match rest.find(',') {
                Some(i) => {
                    out.push(Cow::Borrowed(&rest[..i]));
                    rest = &rest[i + 1..];
                }
                None => {
                    out.push(Cow::Borrowed(rest));
                    return Some(out);
                }
            }
        }
    }
}

fn count_of(s: &str) -> Option<u64> {
    let t = s.trim();
    t.parse::<u64>().ok().or_else(|| {
        // `12.0` from a warehouse that writes every number as a float.
        t.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
            .map(|f| f as u64)
    })
}

fn time_of(s: &str) -> Time {
    if s.trim().is_empty() {
        Time::Missing
    } else {
        Time::from_opt(time::text(s))
    }
}

fn row<'a>(
    sid: Cow<'a, str>,
    method: Cow<'a, str>,
    path: Cow<'a, str>,
    status: &str,
    count: u64,
    first: Time,
    last: Time,
) -> SummaryLine<'a> {
    if method.trim().is_empty() || path.trim().is_empty() {
        return SummaryLine::Malformed;
    }
    let status = if status.trim().is_empty() {
        Status::Unknown
    } else {
        match Status::parse(status) {
            Some(s) => s,
            None => return SummaryLine::Malformed,
        }
    };
    let sid = match sid {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
    };
    SummaryLine::Row(Row {
        request: Request {
            time: first,
            method: Cow::Owned(method.trim().to_ascii_uppercase()),
            target: path,
            host: None,
            status,
            user: (!sid.is_empty()).then_some(sid),
        },
        last,
        count,
    })
}

/// One CSV row.
pub fn csv_line<'a>(line: &'a str, cols: &Columns) -> SummaryLine<'a> {
    let Some(mut fields) = csv_fields(line) else {
        return SummaryLine::Malformed;
    };
    if cols.0.iter().any(|i| *i >= fields.len()) {
        return SummaryLine::Malformed;
    }
    let mut take = |f: usize| std::mem::take(&mut fields[cols.0[f]]);
    let (sid, method, path, status) = (take(0), take(1), take(2), take(3));
    let Some(count) = count_of(&take(4)) else {
        return SummaryLine::Malformed;
    };
    let (first, last) = (time_of(&take(5)), time_of(&take(6)));
    row(sid, method, path, &status, count, first, last)
}

#[derive(Deserialize)]
struct JsonRow<'a> {
    #[serde(borrow, default)]
    sid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow)]
    path: Cow<'a, str>,
    #[serde(default)]
    status: Option<serde_json::Value>,
    count: serde_json::Value,
    #[serde(default)]
    first_seen: Option<serde_json::Value>,
    #[serde(default)]
    last_seen: Option<serde_json::Value>,
}

fn json_text(v: &serde_json::Value) -> Option<Cow<'_, str>> {
    match v {
        serde_json::Value::String(s) => Some(Cow::Borrowed(s)),
        serde_json::Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

fn json_time(v: Option<&serde_json::Value>) -> Time {
    match v {
        None | Some(serde_json::Value::Null) => Time::Missing,
        Some(serde_json::Value::Number(n)) => Time::from_opt(n.as_f64().and_then(time::epoch)),
        Some(serde_json::Value::String(s)) => time_of(s),
        Some(_) => Time::Unreadable,
    }
}

/// One JSON-lines record.
pub fn json_line(line: &str) -> SummaryLine<'_> {
    let Ok(r) = serde_json::from_str::<JsonRow<'_>>(line) else {
        return SummaryLine::Malformed;
    };
    let Some(count) = json_text(&r.count).and_then(|c| count_of(&c)) else {
        return SummaryLine::Malformed;
    };
    let status = match &r.status {
        None | Some(serde_json::Value::Null) => Cow::Borrowed(""),
        Some(v) => match json_text(v) {
            Some(s) => Cow::Owned(s.into_owned()),
            None => return SummaryLine::Malformed,
        },
    };
    let (first, last) = (
        json_time(r.first_seen.as_ref()),
        json_time(r.last_seen.as_ref()),
    );
    row(
        r.sid.unwrap_or_default(),
        r.method,
        r.path,
        &status,
        count,
        first,
        last,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_with_any_column_order() {
        let cols = csv_header("\"SID\",method,path,status,count,last_seen,first_seen").unwrap();
        let SummaryLine::Row(r) = csv_line(
            "IRx,get,\"/Advertisers/IRx/Ads\",2xx,12,2026-11-02T00:00:00Z,2026-11-01T10:00:00Z",
            &cols,
        ) else {
            panic!()
        };
        assert_eq!(r.count, 12);
        assert_eq!(r.request.method, "GET");
        assert_eq!(r.request.status, Status::Class(2));
        assert_eq!(r.request.time, Time::At(1793527200));
        assert_eq!(r.last, Time::At(1793577600));
        assert_eq!(r.request.user.as_deref(), Some("IRx"));
        let SummaryLine::Row(r) = csv_line(",POST,/PageLoad,403,1,,", &cols) else {
            panic!()
        };
        assert_eq!((r.request.user, r.request.time), (None, Time::Missing));
        assert_eq!(csv_line("a,b", &cols), SummaryLine::Malformed);
        assert_eq!(csv_line("\"a,b", &cols), SummaryLine::Malformed);
        assert_eq!(
            csv_line("IRx,GET,/x,abc,1,,", &cols),
            SummaryLine::Malformed
        );
        assert!(csv_header("sid,method,path,status,count").is_none());
        let cols = csv_header("sid,method,path,status,count,first_seen,last_seen").unwrap();
        let SummaryLine::Row(r) = csv_line("\"I\"\"R\",GET,/x,200,3,,", &cols) else {
            panic!()
        };
        assert_eq!(r.request.user.as_deref(), Some("I\"R"));
    }

    #[test]
    fn json_rows() {
        let line = r#"{"sid":"IRx","method":"GET","path":"/Advertisers/IRx/Ads","status":"2xx","count":3,"first_seen":"2026-11-01T10:00:00Z","last_seen":1793577600}"#;
        assert!(is_json_record(line));
        let SummaryLine::Row(r) = json_line(line) else {
            panic!()
        };
        assert_eq!((r.count, r.last), (3, Time::At(1793577600)));
        assert!(!is_json_record(r#"{"time":1,"method":"GET"}"#));
        assert_eq!(json_line("{\"sid\": 1}"), SummaryLine::Malformed);
    }
}
