//! Rate limits: what impact.com's headers say, and how long to wait.
//!
//! Brand accounts send `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
//! (documented as seconds; an example shows an epoch time: both are accepted). Partner accounts
//! send `X-RateLimit-Limit-hour`, `X-RateLimit-Remaining-hour` and `RateLimit-Reset`, and
//! `Retry-After` on 429. Header names are matched case-insensitively (HTTP says they are).

use std::time::Duration;

/// What one response said about the budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateInfo {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Time until the budget resets.
    pub reset: Option<Duration>,
    /// `Retry-After`: how long to wait before the next request.
    pub retry_after: Option<Duration>,
}

/// Values above this are epoch seconds, not a number of seconds to wait.
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

impl RateInfo {
    /// Reads the headers of a response. `now` is the current Unix time in seconds (for epoch
    /// reset values and HTTP dates).
    pub fn from_headers<'h>(
        headers: impl IntoIterator<Item = (&'h str, &'h str)>,
        now: u64,
    ) -> RateInfo {
        let mut info = RateInfo::default();
        for (name, value) in headers {
            let value = value.trim();
            let name = name.to_ascii_lowercase();
            match name.as_str() {
                "x-ratelimit-limit" | "x-ratelimit-limit-hour" | "ratelimit-limit" => {
                    info.limit = min_opt(info.limit, parse_count(value));
                }
                "x-ratelimit-remaining" | "x-ratelimit-remaining-hour" | "ratelimit-remaining" => {
                    info.remaining = min_opt(info.remaining, parse_count(value));
                }
                "x-ratelimit-reset" | "x-ratelimit-reset-hour" | "ratelimit-reset" => {
                    if let Some(d) = parse_reset(value, now) {
                        info.reset = Some(info.reset.map_or(d, |r| r.max(d)));
                    }
                }
                "retry-after" => info.retry_after = parse_retry_after(value, now),
                _ => {}
            }
        }
        info
    }

    /// How long to wait after a 429 before trying again: what the server said, else `fallback`.
    pub fn wait_after_429(&self, fallback: Duration) -> Duration {
        self.retry_after
            .or(self.reset.filter(|_| self.remaining == Some(0)))
            .or(self.reset)
            .unwrap_or(fallback)
    }

    /// How long to pause before the next request so the budget is not run dry: nothing while
    /// more than a tenth of it is left, then the time to the reset spread over what remains,
    /// and the whole time to the reset when nothing remains.
    pub fn pace(&self) -> Duration {
        let (Some(remaining), Some(reset)) = (self.remaining, self.reset) else {
            return Duration::ZERO;
        };
        if remaining == 0 {
            return reset;
        }
        let low = match self.limit {
            Some(limit) => remaining.saturating_mul(10) < limit,
            None => remaining < 5,
        };
        if low {
            reset / (remaining.min(u32::MAX as u64) as u32)
        } else {
            Duration::ZERO
        }
    }
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A count such as `1000`; some servers send `1000, 1000;w=3600` (the IETF draft): the first
/// number counts.
fn parse_count(value: &str) -> Option<u64> {
    let first = value.split([',', ';']).next()?.trim();
    first.parse().ok()
}

fn parse_reset(value: &str, now: u64) -> Option<Duration> {
    let first = value.split([',', ';']).next()?.trim();
    let n: f64 = first.parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let n = n.ceil() as u64;
    Some(Duration::from_secs(if n >= EPOCH_THRESHOLD {
        n.saturating_sub(now)
    } else {
        n
    }))
}

/// `Retry-After`: seconds, or an HTTP date (RFC 9110 IMF-fixdate).
fn parse_retry_after(value: &str, now: u64) -> Option<Duration> {
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let at = u64::try_from(at.as_second()).ok()?;
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Exponential backoff with jitter: `base · 2^attempt`, then a random 50–100 % of that
/// ("equal jitter"), so that parallel workers do not retry in step.
pub fn backoff(base: Duration, attempt: u32, seed: u64) -> Duration {
    let full = base.saturating_mul(1u32 << attempt.min(10));
    let frac = 0.5 + (splitmix(seed) >> 11) as f64 / (1u64 << 53) as f64 * 0.5;
    full.mul_f64(frac)
}

/// A small, good-enough mixer for jitter (not for anything secret).
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_795_000_000;

    fn info(headers: &[(&str, &str)]) -> RateInfo {
        RateInfo::from_headers(headers.iter().copied(), NOW)
    }

    #[test]
    fn brand_headers_any_case() {
        let i = info(&[
            ("x-ratelimit-limit", "1000"),
            ("X-RATELIMIT-REMAINING", "12"),
            ("X-RateLimit-Reset", "1800"),
        ]);
        assert_eq!(i.limit, Some(1000));
        assert_eq!(i.remaining, Some(12));
        assert_eq!(i.reset, Some(Duration::from_secs(1800)));
    }

    #[test]
    fn reset_as_epoch_is_relative_to_now() {
        let i = info(&[("X-RateLimit-Reset", &(NOW + 90).to_string())]);
        assert_eq!(i.reset, Some(Duration::from_secs(90)));
        // An epoch in the past means "now".
        let i = info(&[("X-RateLimit-Reset", &(NOW - 5).to_string())]);
        assert_eq!(i.reset, Some(Duration::ZERO));
    }

    #[test]
    fn partner_headers() {
        let i = info(&[
            ("X-RateLimit-Limit-hour", "500"),
            ("x-ratelimit-remaining-hour", "0"),
            ("RateLimit-Reset", "42"),
            ("Retry-After", "7"),
        ]);
        assert_eq!((i.limit, i.remaining), (Some(500), Some(0)));
        assert_eq!(
            i.wait_after_429(Duration::from_secs(1)),
            Duration::from_secs(7)
        );
        assert_eq!(i.pace(), Duration::from_secs(42));
    }

    #[test]
    fn retry_after_http_date() {
        let date = jiff::Timestamp::from_second((NOW + 30) as i64).unwrap();
        let text = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&date)
            .unwrap();
        let i = info(&[("retry-after", &text)]);
        assert_eq!(i.retry_after, Some(Duration::from_secs(30)));
    }

    #[test]
    fn garbage_is_ignored() {
        let i = info(&[
            ("X-RateLimit-Remaining", "lots"),
            ("X-RateLimit-Reset", "-3"),
            ("Retry-After", "soon"),
        ]);
        assert_eq!(i, RateInfo::default());
        assert_eq!(i.pace(), Duration::ZERO);
        assert_eq!(
            i.wait_after_429(Duration::from_millis(250)),
            Duration::from_millis(250)
        );
    }

    #[test]
    fn pacing_starts_below_a_tenth() {
        let plenty = info(&[
            ("X-RateLimit-Limit", "1000"),
            ("X-RateLimit-Remaining", "100"),
            ("X-RateLimit-Reset", "600"),
        ]);
        assert_eq!(plenty.pace(), Duration::ZERO);
        let low = info(&[
            ("X-RateLimit-Limit", "1000"),
            ("X-RateLimit-Remaining", "60"),
            ("X-RateLimit-Reset", "600"),
        ]);
        assert_eq!(low.pace(), Duration::from_secs(10));
    }

    #[test]
    fn backoff_grows_and_jitters_within_bounds() {
        let base = Duration::from_millis(100);
        for attempt in 0..5 {
            let full = base * (1 << attempt);
            let waits: Vec<Duration> = (0..50).map(|s| backoff(base, attempt, s)).collect();
            assert!(
                waits.iter().all(|w| *w >= full / 2 && *w <= full),
                "{waits:?}"
            );
            assert!(waits.iter().any(|w| *w != waits[0]), "no jitter: {waits:?}");
        }
    }
}
