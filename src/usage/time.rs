//! Request times as logs write them, to Unix seconds (UTC): CLF (`10/Oct/2026:13:55:36 -0700`),
//! RFC 3339 / ISO 8601, and epoch seconds, milliseconds, microseconds or nanoseconds, as
//! numbers or strings (nginx's `$msec` is `"1793527200.123"`). Dates are validated by jiff, so
//! `31/Feb` is unreadable instead of rolling into March. Nothing here slices text at a byte
//! offset that may not be a character boundary.

/// What a log said about a request's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Time {
    /// Unix seconds.
    At(i64),
    /// The record has no time field.
    Missing,
    /// It has one, and it cannot be read.
    Unreadable,
}

impl Time {
    pub fn from_opt(t: Option<i64>) -> Time {
        t.map_or(Time::Unreadable, Time::At)
    }

    pub fn at(self) -> Option<i64> {
        match self {
            Time::At(t) => Some(t),
            _ => None,
        }
    }
}

/// The earliest and latest Unix second jiff represents (years -9999 to 9999).
fn in_range(secs: i64) -> Option<i64> {
    jiff::Timestamp::from_second(secs).ok().map(|_| secs)
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 19 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0i64, |n, d| {
        n.checked_mul(10)?.checked_add(i64::from(d - b'0'))
    })
}

/// Unix seconds of a civil date and time in UTC, the date validated by jiff.
fn civil(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    let date = jiff::civil::Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()?;
    // A leap second (`:60`) is the last second of its minute.
    let s = if s == 60 { 59 } else { s };
    let time = jiff::civil::Time::new(
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        0,
    )
    .ok()?;
    date.to_datetime(time)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// `10/Oct/2000:13:55:36 -0700` (the offset optional) → Unix seconds.
pub fn clf(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[14] != b':' {
        return None;
    }
    if b[17] != b':' {
        return None;
    }
    let day = digits(&b[0..2])?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(&b[3..6]))? as i64
        + 1;
    let year = digits(&b[7..11])?;
    let (h, mi, sec) = (
        digits(&b[12..14])?,
        digits(&b[15..17])?,
        digits(&b[18..20])?,
    );
    let offset = match b[20..].trim_ascii() {
        [] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 4 => {
            let (oh, om) = (digits(&rest[..2])?, digits(&rest[2..])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let v = oh * 3600 + om * 60;
            if *sign == b'-' { -v } else { v }
        }
        _ => return None,
    };
    in_range(civil(year, month, day, h, mi, sec)? - offset)
}

/// Epoch seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude:
/// milliseconds since 1970 pass 10^11 in 1973) → Unix seconds.
pub fn epoch(v: f64) -> Option<i64> {
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let secs = if v < 1e11 {
        v
    } else if v < 1e14 {
        v / 1e3
    } else if v < 1e17 {
        v / 1e6
    } else {
        v / 1e9
    };
    in_range(secs.floor() as i64)
}

/// `1793527200`, `1793527200.123` or `1793527200123` as text.
pub fn epoch_text(s: &str) -> Option<i64> {
    let t = s.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let n = digits(int.as_bytes())?;
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Integer arithmetic: no float rounding of a whole number of seconds.
    let secs = match n {
        0..100_000_000_000 => n,
        100_000_000_000..100_000_000_000_000 => n / 1_000,
        100_000_000_000_000..100_000_000_000_000_000 => n / 1_000_000,
        _ => n / 1_000_000_000,
    };
    in_range(secs)
}

/// A time as text: RFC 3339 (or ISO 8601 without an offset, taken as UTC), CLF, or epoch.
pub fn text(s: &str) -> Option<i64> {
    let t = s.trim();
    let first = *t.as_bytes().first()?;
    if !first.is_ascii_digit() {
        return None;
    }
    if t.len() >= 20 && t.as_bytes().get(2) == Some(&b'/') {
        return clf(t);
    }
    if t.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return epoch_text(t);
    }
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_second());
    }
    None
}

/// The day (UTC) of a Unix time.
pub fn day_of(secs: i64) -> Option<crate::model::Day> {
    jiff::Timestamp::from_second(secs)
        .ok()
        .map(|t| crate::model::Day(t.to_zoned(jiff::tz::TimeZone::UTC).date()))
}

/// A Unix time as RFC 3339 (UTC, seconds).
pub fn time_text(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_times_are_validated() {
        // 2026-10-10T20:55:36Z
        assert_eq!(clf("10/Oct/2026:13:55:36 -0700"), Some(1791665736));
        assert_eq!(clf("01/Jan/2026:00:00:00 +0000"), Some(1767225600));
        assert_eq!(clf("01/Jan/2026:00:00:00"), Some(1767225600));
        for bad in [
            "31/Feb/2026:00:00:00 +0000",
            "29/Feb/2026:00:00:00 +0000",
            "00/Jan/2026:00:00:00 +0000",
            "01/Foo/2026:00:00:00 +0000",
            "01/Jan/2026:24:00:00 +0000",
            "01/Jan/2026:00:00:00 +2500",
            "01/Jan/2026:00:00:00 +1é2",
            "01/Jan/2026:00:00:00 x",
            "01/Jan/2026",
        ] {
            assert_eq!(clf(bad), None, "{bad}");
        }
        assert!(clf("29/Feb/2028:00:00:00 +0000").is_some());
    }

    #[test]
    fn epochs_in_every_unit_and_spelling() {
        let t = 1793527200;
        for v in [
            1793527200.0,
            1793527200.9,
            1793527200123.0,
            1793527200123456.0,
        ] {
            assert_eq!(epoch(v), Some(t), "{v}");
        }
        assert_eq!(epoch(1.7935272001234568e18), Some(t));
        for s in [
            "1793527200",
            "1793527200.123",
            "1793527200123",
            " 1793527200.5 ",
            "1793527200123456789",
        ] {
            assert_eq!(text(s), Some(t), "{s}");
        }
        assert_eq!(epoch(-1.0), None);
        assert_eq!(epoch(f64::NAN), None);
        assert_eq!(text("1793527200.12a"), None);
        assert_eq!(text("99999999999999999999999"), None);
    }

    #[test]
    fn rfc3339_and_iso() {
        assert_eq!(text("2026-11-01T10:00:00Z"), Some(1793527200));
        assert_eq!(text("2026-11-01T11:00:00+01:00"), Some(1793527200));
        assert_eq!(text("2026-11-01T10:00:00.123Z"), Some(1793527200));
        assert_eq!(text("2026-11-01T10:00:00"), Some(1793527200));
        assert_eq!(text("01/Nov/2026:10:00:00 +0000"), Some(1793527200));
        assert_eq!(text("2026-02-31T10:00:00Z"), None);
        assert_eq!(text("yesterday"), None);
        assert_eq!(text(""), None);
        assert_eq!(text("é"), None);
    }
}
