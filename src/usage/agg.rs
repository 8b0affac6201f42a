//! Counting: what the requests of some lines of one file say, per SID and per scope, and what
//! the file held besides (skipped, unattributable, malformed lines, unreadable times).
//!
//! Chunks of a file are counted apart, in any order, and merged; a location is the chunk and
//! the line in it until [`Agg::finish`] makes it the file and the line in the file. "First"
//! is always the earliest request in time (ties: the earliest place), so neither the order
//! of the chunks nor the order of the files on the command line changes it.

use rustc_hash::FxHashMap;

use super::parse::{self, Line, Request, TextKind};
use super::route::{HostFilter, Method, NoSid, NotRouted, OpMatch, Router, is_impact_host};
use super::summary::{self, SummaryLine};
use super::time::Time;
use super::{LogFile, LogFormat, LogLocation, ScopeUse, TokenUsage, Unattributed};
use crate::catalogue::{ScopeId, ScopeSet};
use crate::model::AccountType;

/// What every chunk of a run is read with.
pub(super) struct Ctx<'a> {
    pub router: &'a Router,
    pub hosts: &'a HostFilter,
    /// Unix seconds: entries last seen before it are ignored.
    pub since: Option<i64>,
    pub format: LogFormat,
    /// The columns of a CSV usage summary.
    pub columns: Option<summary::Columns>,
}

/// Whether `(a_time, a)` comes before `(b_time, b)`: the earlier time, a missing time last,
/// then the earlier place.
pub(super) fn earlier(
    a_time: Option<i64>,
    a: LogLocation,
    b_time: Option<i64>,
    b: LogLocation,
) -> bool {
    (a_time.unwrap_or(i64::MAX), a) < (b_time.unwrap_or(i64::MAX), b)
}

pub(super) fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

pub(super) fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn first_of(a: Option<LogLocation>, b: Option<LogLocation>) -> Option<LogLocation> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// A request as counted: how many (a summary row is many), whether they succeeded or were
/// refused, and when.
struct Counted {
    count: u64,
    ok: bool,
    refused: bool,
    first: Option<i64>,
    last: Option<i64>,
    at: LogLocation,
}

/// The aggregate of some lines of one file.
#[derive(Debug, Default)]
pub(super) struct Agg {
    pub lines: u64,
    pub impact: u64,
    pub requests: u64,
    pub skipped: u64,
    pub other_host: u64,
    pub unattributed: Unattributed,
    /// Requests no token could be given, per operation they called (account type, scope).
    pub unverifiable: FxHashMap<(AccountType, ScopeId), u64>,
    pub tunnels: u64,
    pub stripped_queries: u64,
    pub malformed: u64,
    pub first_malformed: Option<LogLocation>,
    pub bad_time: u64,
    pub first_bad_time: Option<LogLocation>,
    pub no_time: u64,
    pub before_since: u64,
    pub clf_lines: u64,
    pub squid_lines: u64,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
    pub sids: FxHashMap<String, TokenUsage>,
    /// Lines per chunk, by chunk number.
    pub chunk_lines: Vec<(u32, u64)>,
    /// The stream could not be read on.
    pub read_error: Option<String>,
    /// The first chunk with bytes that are not UTF-8: chunk, line in it, byte in the file.
    pub bad_utf8: Option<(u32, u64, u64)>,
}

impl Agg {
    /// Counts the lines of one chunk (number `chunk`).
    pub fn chunk(&mut self, ctx: &Ctx<'_>, chunk: u32, text: &str, skip_header: bool) {
        let mut n = 0u32;
        for line in text.split_terminator('\n') {
            n += 1;
            if skip_header && n == 1 {
                self.lines += 1;
                continue;
            }
            self.line(
                ctx,
                line,
                LogLocation {
                    file: chunk,
                    line: u64::from(n),
                },
            );
        }
        self.chunk_lines.push((chunk, u64::from(n)));
    }

    /// A line too long to be a log line: counted as malformed, never read.
    pub fn overlong(&mut self, chunk: u32) {
        self.lines += 1;
        self.malformed(LogLocation {
            file: chunk,
            line: 1,
        });
        self.chunk_lines.push((chunk, 1));
    }

    /// Bytes that are not UTF-8 in chunk `chunk`, on its `line`, at `byte` of the file.
    pub fn utf8_error(&mut self, chunk: u32, line: u64, byte: u64) {
        if self.bad_utf8.is_none_or(|(c, _, _)| chunk < c) {
            self.bad_utf8 = Some((chunk, line, byte));
        }
    }

    fn malformed(&mut self, at: LogLocation) {
        self.malformed += 1;
        self.first_malformed = first_of(self.first_malformed, Some(at));
    }

    fn line(&mut self, ctx: &Ctx<'_>, text: &str, at: LogLocation) {
        self.lines += 1;
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.trim().is_empty() {
            return;
        }
        let parsed = match ctx.format {
            LogFormat::JsonLines => parse::json_line(text),
            LogFormat::SummaryCsv | LogFormat::SummaryJsonLines => {
                let row = match (ctx.format, &ctx.columns) {
                    (LogFormat::SummaryCsv, Some(cols)) => summary::csv_line(text, cols),
                    _ => summary::json_line(text),
                };
                match row {
                    SummaryLine::Row(r) => self.request(ctx, &r.request, r.count, r.last, at),
                    SummaryLine::Malformed => self.malformed(at),
                }
                return;
            }
            _ => {
                let (line, kind) = parse::text_line(text);
                match kind {
                    Some(TextKind::Clf) => self.clf_lines += 1,
                    Some(TextKind::Squid) => self.squid_lines += 1,
                    None => {}
                }
                line
            }
        };
        match parsed {
            Line::Request(r) => self.request(ctx, &r, 1, Time::Missing, at),
            Line::Other => self.skipped += 1,
            Line::Malformed => self.malformed(at),
        }
    }

    /// Counts `count` requests like `r` (last seen at `last`, for a summary row).
    pub fn request(
        &mut self,
        ctx: &Ctx<'_>,
        r: &Request<'_>,
        count: u64,
        last: Time,
        at: LogLocation,
    ) {
        let first = match r.time {
            Time::At(t) => Some(t),
            Time::Missing => {
                self.no_time += count;
                None
            }
            Time::Unreadable => {
                self.bad_time += count;
                self.first_bad_time = first_of(self.first_bad_time, Some(at));
                None
            }
        };
        let last = last.at().or(first);
        if let (Some(since), Some(t)) = (ctx.since, last) {
            if t < since {
                self.before_since += count;
                return;
            }
        }
        let Some(method) = self.method(r, count) else {
            return;
        };
        let routed = ctx.router.route(
            method,
            &r.target,
            r.host.as_deref(),
            r.user.as_deref(),
            ctx.hosts,
        );
        let counted = Counted {
            count,
            ok: r.status.ok(),
            refused: r.status.refused(),
            first,
            last,
            at,
        };
        match routed {
            Ok(routed) => {
                self.seen(&counted, &r.target);
                self.requests += count;
                self.record(&routed, &counted);
            }
            Err(NotRouted::Foreign) => self.skipped += count,
            Err(NotRouted::OtherHost) => self.other_host += count,
            Err(NotRouted::Unattributable { why, op }) => {
                self.seen(&counted, &r.target);
                match why {
                    NoSid::NoUser => self.unattributed.no_user += count,
                    NoSid::UserNotSid => self.unattributed.user_not_sid += count,
                    NoSid::UnknownOperation => self.unattributed.unknown_operation += count,
                }
                if let Some(op) = op {
                    *self.unverifiable.entry(op).or_default() += count;
                }
            }
        }
    }

    /// The method to route by, or `None` when the request is not one to route (counted).
    fn method(&mut self, r: &Request<'_>, count: u64) -> Option<Method> {
        match Method::parse(&r.method) {
            Some(m) => Some(m),
            None if r.method.eq_ignore_ascii_case("HEAD") => Some(Method::Get),
            None if r.method.eq_ignore_ascii_case("CONNECT") => {
                let host = r.target.rsplit_once(':').map_or(&*r.target, |(h, _)| h);
                if is_impact_host(host) {
                    self.tunnels += count;
                } else {
                    self.skipped += count;
                }
                None
            }
            None => {
                self.skipped += count;
                None
            }
        }
    }

    /// An impact.com request, attributed or not: the file's window and what it shows.
    fn seen(&mut self, c: &Counted, target: &str) {
        self.impact += c.count;
        self.first_time = min_opt(self.first_time, c.first);
        self.last_time = max_opt(self.last_time, c.last);
        // Squid's `strip_query_terms on` (its default) logs `…?` with the query cut off.
        if target.ends_with('?') {
            self.stripped_queries += c.count;
        }
    }

    fn record(&mut self, routed: &super::Routed<'_>, c: &Counted) {
        let s = match self.sids.get_mut(routed.sid) {
            Some(s) => s,
            None => self
                .sids
                .entry(routed.sid.to_string())
                .or_insert_with(|| TokenUsage::new(routed.sid, routed.account_type, c.at)),
        };
        if s.account_type != routed.account_type {
            s.other_type += c.count;
            return;
        }
        s.requests += c.count;
        s.refused += if c.refused { c.count } else { 0 };
        if earlier(c.first, c.at, s.first_time, s.first_seen) {
            s.first_seen = c.at;
        }
        s.first_time = min_opt(s.first_time, c.first);
        s.last_time = max_opt(s.last_time, c.last);
        match routed.op {
            OpMatch::Unknown => s.unmatched += c.count,
            OpMatch::Op { scope, .. } if routed.passthrough => {
                s.passthrough.requests += c.count;
                s.passthrough.brand_scopes.insert(scope);
            }
            OpMatch::Op { scope, .. } => {
                s.needed.insert(scope);
                let u = match s.scopes.iter().position(|u| u.scope == scope) {
                    Some(i) => &mut s.scopes[i],
                    None => {
                        s.scopes.push(ScopeUse::new(scope, c.at));
                        s.scopes.last_mut().expect("just pushed")
                    }
                };
                u.count(c.count, c.ok, c.refused, c.first, c.last, c.at);
            }
        }
    }

    /// Adds another chunk's aggregate (chunks merge in any order).
    pub fn absorb(&mut self, o: Agg) {
        self.lines += o.lines;
        self.impact += o.impact;
        self.requests += o.requests;
        self.skipped += o.skipped;
        self.other_host += o.other_host;
        self.unattributed.add(&o.unattributed);
        for (k, n) in o.unverifiable {
            *self.unverifiable.entry(k).or_default() += n;
        }
        self.tunnels += o.tunnels;
        self.stripped_queries += o.stripped_queries;
        self.malformed += o.malformed;
        self.first_malformed = first_of(self.first_malformed, o.first_malformed);
        self.bad_time += o.bad_time;
        self.first_bad_time = first_of(self.first_bad_time, o.first_bad_time);
        self.no_time += o.no_time;
        self.before_since += o.before_since;
        self.clf_lines += o.clf_lines;
        self.squid_lines += o.squid_lines;
        self.first_time = min_opt(self.first_time, o.first_time);
        self.last_time = max_opt(self.last_time, o.last_time);
        self.chunk_lines.extend(o.chunk_lines);
        if self.read_error.is_none() {
            self.read_error = o.read_error;
        }
        if let Some((c, l, b)) = o.bad_utf8 {
            self.utf8_error(c, l, b);
        }
        for (sid, t) in o.sids {
            match self.sids.get_mut(&sid) {
                Some(s) => s.merge(t),
                None => {
                    self.sids.insert(sid, t);
                }
            }
        }
    }

    /// The file's facts and its tokens' usage, every location made the file (`file`) and
    /// its line.
    pub fn finish(mut self, file: u32, mut log: LogFile) -> (LogFile, Vec<TokenUsage>) {
        self.chunk_lines.sort_unstable();
        let mut before = FxHashMap::default();
        let mut total = 0u64;
        for (chunk, lines) in &self.chunk_lines {
            before.insert(*chunk, total);
            total += lines;
        }
        let place = |at: LogLocation| LogLocation {
            file,
            line: before.get(&at.file).copied().unwrap_or(0) + at.line,
        };
        log.lines = self.lines;
        log.impact_requests = self.impact;
        log.requests = self.requests;
        log.skipped = self.skipped;
        log.other_host = self.other_host;
        log.unattributed = self.unattributed.total();
        log.unattributed_reasons = self.unattributed;
        let mut unverifiable: Vec<(AccountType, ScopeId, u64)> = self
            .unverifiable
            .into_iter()
            .map(|((t, s), n)| (t, s, n))
            .collect();
        unverifiable.sort();
        log.unverifiable = unverifiable;
        log.tunnels = self.tunnels;
        log.stripped_queries = self.stripped_queries;
        log.malformed = self.malformed;
        log.first_malformed = self.first_malformed.map(|l| place(l).line);
        log.bad_time = self.bad_time;
        log.first_bad_time = self.first_bad_time.map(|l| place(l).line);
        log.no_time = self.no_time;
        log.before_since = self.before_since;
        log.first_time = self.first_time;
        log.last_time = self.last_time;
        if log.format == LogFormat::Text && self.squid_lines > self.clf_lines {
            log.squid = true;
        }
        let mut tokens: Vec<TokenUsage> = self.sids.into_values().collect();
        for t in &mut tokens {
            t.first_seen = place(t.first_seen);
            for u in &mut t.scopes {
                u.first = place(u.first);
            }
            t.scopes.sort_by_key(|x| x.scope);
        }
        (log, tokens)
    }
}

/// The scopes no token could be given requests of, per account type.
pub(super) fn unverifiable_sets(files: &[LogFile]) -> [ScopeSet; 3] {
    let mut out = [ScopeSet::EMPTY; 3];
    for f in files {
        for (ty, scope, _) in &f.unverifiable {
            out[*ty as usize].insert(*scope);
        }
    }
    out
}
