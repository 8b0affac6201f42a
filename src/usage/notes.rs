//! What was read, in words: one line per log file (format, lines, impact.com requests,
//! attributed, unattributable, skipped, malformed, the window in UTC), and the notes that
//! explain what a log could not show. Shared by `audit --usage` (standard error) and
//! `suggest` (standard error and its JSON).

use super::{LogFile, LogFormat, Usage, day_of};
use crate::catalogue::Catalogues;
use crate::source::plural;

impl LogFile {
    /// The format as detected, in words.
    pub fn detected(&self) -> &'static str {
        match self.format {
            LogFormat::Text if self.squid => "Squid native format",
            LogFormat::Text => "common/combined log format",
            LogFormat::JsonLines => "JSON lines",
            LogFormat::Har => "HAR",
            LogFormat::SummaryCsv => "usage summary (CSV)",
            LogFormat::SummaryJsonLines => "usage summary (JSON lines)",
        }
    }

    /// One line: what the file held.
    pub fn what_was_read(&self) -> String {
        let unit = match self.format {
            LogFormat::Har => ("entry", "entries"),
            LogFormat::SummaryCsv | LogFormat::SummaryJsonLines => ("line", "lines"),
            _ => ("line", "lines"),
        };
        let mut s = format!(
            "{}: {}{}, {}: {} ({} attributed to a token, {} unattributable), {} skipped, {} malformed",
            self.display,
            self.detected(),
            if self.gzip { ", gzip" } else { "" },
            plural(self.lines, unit.0, unit.1),
            plural(
                self.impact_requests,
                "impact.com request",
                "impact.com requests"
            ),
            self.requests,
            self.unattributed,
            self.skipped + self.other_host,
            self.malformed,
        );
        if let (Some(a), Some(b)) = (
            self.first_time.and_then(day_of),
            self.last_time.and_then(day_of),
        ) {
            s.push_str(&format!("; {a} to {b} UTC"));
        }
        s
    }

    /// What the file could not show, one note each.
    pub fn notes(&self, catalogues: &Catalogues) -> Vec<String> {
        let mut out = Vec::new();
        let name = &self.display;
        if self.impact_requests == 0 && self.tunnels == 0 {
            out.push(format!(
                "{name}: no impact.com request in it (a path under /Advertisers, /Mediapartners or /Agencies with an IR… SID, or an impact.com host): is it the right file, host (--usage-host) and format?"
            ));
        }
        if self.malformed > 0 {
            out.push(format!(
                "{name}: {} not in {} format skipped (first: line {})",
                plural(self.malformed, "line", "lines"),
                self.format.as_str(),
                self.first_malformed.unwrap_or(0)
            ));
        }
        if self.nul_bytes > 0 {
            out.push(format!(
                "{name}: {} skipped (a log truncated in place while its server wrote on, as logrotate's copytruncate does, holds them)",
                plural(self.nul_bytes, "NUL byte", "NUL bytes"),
            ));
        }
        if self.unattributed > 0 {
            out.push(self.unattributed_note(catalogues));
        }
        if self.bad_time > 0 {
            out.push(format!(
                "{name}: {} with a time that cannot be read (first: line {}): counted, but outside the window and never judged by time",
                plural(self.bad_time, "request", "requests"),
                self.first_bad_time.unwrap_or(0)
            ));
        }
        if self.no_time > 0 && self.impact_requests > 0 {
            out.push(format!(
                "{name}: {} with no time field: counted, but outside the window",
                plural(self.no_time, "request", "requests")
            ));
        }
        if self.tunnels > 0 {
            out.push(format!(
                "{name}: {} to impact.com: the proxy saw no paths (log at the client, or inspect TLS)",
                plural(self.tunnels, "CONNECT tunnel", "CONNECT tunnels")
            ));
        }
        if self.stripped_queries > 0 {
            out.push(format!(
                "{name}: {} logged without their query string (`…?`, Squid's default `strip_query_terms on`): a `_method=PUT|DELETE` override cannot be seen, so such a request counts as its logged method (set `strip_query_terms off`)",
                plural(self.stripped_queries, "impact.com request", "impact.com requests")
            ));
        }
        if self.before_since > 0 {
            out.push(format!(
                "{name}: {} before --since ignored",
                plural(self.before_since, "request", "requests")
            ));
        }
        if self.other_host > 0 {
            out.push(format!(
                "{name}: {} to hosts --usage-host does not name skipped",
                plural(self.other_host, "request", "requests")
            ));
        }
        out
    }

    fn unattributed_note(&self, catalogues: &Catalogues) -> String {
        let r = &self.unattributed_reasons;
        let mut why = Vec::new();
        if r.no_user > 0 {
            why.push(format!(
                "{} with no SID in the path and no user in the log",
                r.no_user
            ));
        }
        if r.user_not_sid > 0 {
            why.push(format!(
                "{} whose logged user is not a SID (a proxy's own login?)",
                r.user_not_sid
            ));
        }
        if r.unknown_operation > 0 {
            why.push(format!(
                "{} to impact.com paths no catalogue operation has",
                r.unknown_operation
            ));
        }
        let mut s = format!(
            "{}: {} no token can be given ({})",
            self.display,
            plural(
                self.unattributed,
                "impact.com request",
                "impact.com requests"
            ),
            why.join("; ")
        );
        let scopes: Vec<String> = self
            .unverifiable
            .iter()
            .map(|(ty, scope, n)| {
                format!(
                    "{} {} ({n})",
                    ty.as_str(),
                    catalogues.get(*ty).scope_name(*scope)
                )
            })
            .collect();
        if !scopes.is_empty() {
            s.push_str(&format!(
                ": {} cannot be verified from these logs and {} never called unused nor removed (log the Basic-auth user, e.g. nginx's $remote_user, to attribute them)",
                scopes.join(", "),
                if scopes.len() == 1 { "is" } else { "are" }
            ));
        }
        s
    }
}

impl Usage {
    /// Whether the logs cover at least `min_days` days (the days they cover), or why not —
    /// a scope is called unused only over a window that long (`unused-scope`'s
    /// `min_window_days`).
    pub fn covers(&self, min_days: i64) -> Result<i64, String> {
        match (self.window_days(), self.window_text()) {
            (Some(days), _) if days >= min_days => Ok(days),
            (Some(_), Some(text)) => Err(format!(
                "the usage logs cover {text}, less than `min_window_days` ({min_days}): give logs covering more, or set `[rules.unused-scope] min_window_days`"
            )),
            _ => Err("no impact.com request in the usage logs has a time, so the window they cover is unknown".into()),
        }
    }

    /// The window of the logs in words (`2026-11-01 to 2026-11-30 UTC, 30 days`).
    pub fn window_text(&self) -> Option<String> {
        let (a, b) = self.window();
        let (a, b) = (day_of(a?)?, day_of(b?)?);
        let days = a.days_until(b) + 1;
        Some(format!(
            "{a} to {b} UTC, {}",
            plural(days as u64, "day", "days")
        ))
    }
}
