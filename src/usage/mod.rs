//! Usage logs: which token (SID) called which catalogue operation, and when.
//!
//! [`read`] takes HTTP request logs — combined/common log format (nginx, Apache, Squid),
//! Squid's native format, JSON lines, HAR 1.2, each possibly gzip-compressed; detected per
//! file — and aggregates them per SID: the time window, request counts, the scopes the
//! requests needed (refused ones included), and where each SID and scope was first seen.
//!
//! Nothing of a log line is kept but those facts: no line text, header, query string or
//! password. Lines that are not impact.com requests are skipped; lines that do not parse
//! are counted per file, never fatal. A file that cannot be read (missing, corrupt gzip,
//! not UTF-8, a broken HAR) is an error naming it, and the other files are still read.

mod parse;
mod route;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::catalogue::{Catalogues, ScopeId, ScopeSet};
use crate::model::{AccountType, Day};

pub use parse::basic_user;
pub use route::{Method, NotRouted, OpMatch, Routed, Router, Url, is_impact_host, plausible_sid};

/// The format a log file was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// Common or combined log format, or Squid's native format (line by line).
    Text,
    JsonLines,
    Har,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "access log",
            LogFormat::JsonLines => "JSON lines",
            LogFormat::Har => "HAR",
        }
    }
}

/// One log file read.
#[derive(Clone, Debug)]
pub struct LogFile {
    /// The path as given, scrubbed of anything secret-shaped.
    pub display: String,
    pub format: LogFormat,
    pub gzip: bool,
    /// Lines (HAR: entries) read.
    pub lines: u64,
    /// impact.com requests attributed to a token.
    pub requests: u64,
    /// Lines that are not impact.com requests.
    pub skipped: u64,
    /// impact.com requests with no SID in the path and no Basic-auth user.
    pub unattributed: u64,
    /// `CONNECT` tunnels to impact.com hosts: a proxy that does not inspect TLS sees no path.
    pub tunnels: u64,
    /// Lines not in the file's format.
    pub malformed: u64,
    /// The first malformed line's number.
    pub first_malformed: Option<u64>,
    /// Earliest and latest request time of the impact.com requests in it.
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
}

/// A place in a log: the file (an index into [`Usage::files`]) and the line, or for HAR
/// the entry, both one-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogLocation {
    pub file: u32,
    pub line: u64,
}

/// One scope a token's requests needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeUse {
    pub scope: ScopeId,
    pub requests: u64,
    /// Of which refused (401/403).
    pub refused: u64,
    pub first: LogLocation,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
}

/// Requests an agency token sent through the passthrough
/// `/Agencies/{SID}/Advertisers/{Id}/…` to brand endpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Passthrough {
    pub requests: u64,
    /// Brand scopes those requests reached (in the brand catalogue).
    pub brand_scopes: ScopeSet,
}

/// Everything the logs say about one SID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenUsage {
    pub sid: String,
    /// From the base path (`/Advertisers` brand, `/Mediapartners` partner, `/Agencies` agency).
    pub account_type: AccountType,
    pub requests: u64,
    /// Requests refused with 401 or 403.
    pub refused: u64,
    /// Requests to paths no catalogue operation matches.
    pub unmatched: u64,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
    /// Where the SID first appears.
    pub first_seen: LogLocation,
    /// Scopes of the token's own catalogue that its requests needed, refused ones included.
    pub needed: ScopeSet,
    /// Per scope, in catalogue order.
    pub scopes: Vec<ScopeUse>,
    pub passthrough: Passthrough,
    /// Requests under another account type's base path than the first (a SID is one token of
    /// one account type, so these are counted, not matched).
    pub other_type: u64,
}

impl TokenUsage {
    /// A SID first seen on `line` of the log being read, with nothing counted yet.
    fn new(sid: &str, account_type: AccountType, line: u64) -> Self {
        TokenUsage {
            sid: sid.to_string(),
            account_type,
            requests: 0,
            refused: 0,
            unmatched: 0,
            first_time: None,
            last_time: None,
            first_seen: LogLocation { file: 0, line },
            needed: ScopeSet::EMPTY,
            scopes: Vec::new(),
            passthrough: Passthrough::default(),
            other_type: 0,
        }
    }

    /// Sets the log file of every location (counted while reading one file).
    fn place_in(&mut self, file: u32) {
        self.first_seen.file = file;
        for u in &mut self.scopes {
            u.first.file = file;
        }
        self.scopes.sort_by_key(|x| x.scope);
    }

    /// Adds what a later part of the logs says about the same SID: the one merge of usage
    /// counts (chunks of a file, then files). Requests under another account type than this
    /// one's are counted in `other_type`, those it had counted there included.
    fn merge(&mut self, o: TokenUsage) {
        if o.account_type != self.account_type {
            self.other_type += o.requests + o.other_type;
            return;
        }
        self.requests += o.requests;
        self.refused += o.refused;
        self.unmatched += o.unmatched;
        self.other_type += o.other_type;
        self.first_time = min_opt(self.first_time, o.first_time);
        self.last_time = max_opt(self.last_time, o.last_time);
        self.passthrough.requests += o.passthrough.requests;
        self.passthrough.brand_scopes = self
            .passthrough
            .brand_scopes
            .union(o.passthrough.brand_scopes);
        self.needed = self.needed.union(o.needed);
        for u in o.scopes {
            match self.scopes.iter_mut().find(|x| x.scope == u.scope) {
                Some(x) => {
                    x.requests += u.requests;
                    x.refused += u.refused;
                    x.first_time = min_opt(x.first_time, u.first_time);
                    x.last_time = max_opt(x.last_time, u.last_time);
                }
                None => self.scopes.push(u),
            }
        }
        self.scopes.sort_by_key(|x| x.scope);
    }

    pub fn scope(&self, id: ScopeId) -> Option<&ScopeUse> {
        self.scopes.iter().find(|s| s.scope == id)
    }

    /// The day of the last logged request.
    pub fn last_day(&self) -> Option<Day> {
        self.last_time.and_then(day_of)
    }

    pub fn first_day(&self) -> Option<Day> {
        self.first_time.and_then(day_of)
    }
}

/// The day (UTC) of a Unix time.
pub fn day_of(secs: i64) -> Option<Day> {
    jiff::Timestamp::from_second(secs)
        .ok()
        .map(|t| Day(t.to_zoned(jiff::tz::TimeZone::UTC).date()))
}

/// A Unix time as RFC 3339 (UTC, seconds).
pub fn time_text(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// What a set of usage logs says, per SID.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    pub files: Vec<LogFile>,
    tokens: Vec<TokenUsage>,
    by_sid: FxHashMap<String, usize>,
    /// Where each SID first appears, as a span in a run's source map (see [`Usage::place`]).
    spans: FxHashMap<String, crate::source::Span>,
}

/// A log file that could not be read; the message names the file and never quotes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl Usage {
    /// The usage of one SID.
    pub fn token(&self, sid: &str) -> Option<&TokenUsage> {
        self.by_sid.get(sid).map(|&i| &self.tokens[i])
    }

    /// Every SID seen, in order of first appearance, with where it was first seen.
    pub fn sids(&self) -> impl Iterator<Item = (&str, LogLocation)> {
        self.tokens.iter().map(|t| (t.sid.as_str(), t.first_seen))
    }

    /// Every token's usage, in order of first appearance.
    pub fn tokens(&self) -> &[TokenUsage] {
        &self.tokens
    }

    /// Gives each SID's first appearance a place findings can point at: per log file, a
    /// stand-in source with the SID on the line where the log first has it (and nothing else
    /// of the log, so no log line is ever shown). HAR entries have no line: their SIDs sit on
    /// the first line.
    pub fn place(&mut self, sources: &mut crate::source::SourceMap) {
        for (index, file) in self.files.iter().enumerate() {
            let mut firsts: Vec<(u64, &str)> = self
                .tokens
                .iter()
                .filter(|t| t.first_seen.file as usize == index)
                .map(|t| {
                    let line = if file.format == LogFormat::Har {
                        1
                    } else {
                        t.first_seen.line.max(1)
                    };
                    (line, t.sid.as_str())
                })
                .collect();
            if firsts.is_empty() {
                continue;
            }
            firsts.sort();
            let mut text = String::new();
            let mut line = 1u64;
            let mut at = Vec::new();
            for (want, sid) in firsts {
                while line < want {
                    text.push('\n');
                    line += 1;
                }
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push(' ');
                }
                at.push((sid.to_string(), text.len(), text.len() + sid.len()));
                text.push_str(sid);
            }
            text.push('\n');
            let mut source = crate::source::SourceFile::new(file.display.clone(), None, text);
            // A "SID" shaped like an Auth Token (a secret pasted into a path) is never shown.
            source.redact_scanned();
            let id = sources.add(source);
            for (sid, start, end) in at {
                self.spans
                    .insert(sid, crate::source::Span::new(id, start, end));
            }
        }
    }

    /// Where a SID first appears in the logs, once [`Usage::place`] has run.
    pub fn span_of(&self, sid: &str) -> Option<crate::source::Span> {
        self.spans.get(sid).copied()
    }

    /// `path:line` (or `path entry N` for HAR) of a location.
    pub fn describe(&self, at: LogLocation) -> String {
        match self.files.get(at.file as usize) {
            Some(f) if f.format == LogFormat::Har => format!("{} entry {}", f.display, at.line),
            Some(f) => format!("{}:{}", f.display, at.line),
            None => format!("line {}", at.line),
        }
    }

    /// Earliest and latest request over every file.
    pub fn window(&self) -> (Option<i64>, Option<i64>) {
        let first = self.files.iter().filter_map(|f| f.first_time).min();
        let last = self.files.iter().filter_map(|f| f.last_time).max();
        (first, last)
    }

    /// Requests attributed to a token, over every file.
    pub fn requests(&self) -> u64 {
        self.files.iter().map(|f| f.requests).sum()
    }

    /// Reads logs given as `(display name, bytes)` (gzip detected by its magic bytes).
    pub fn from_bytes(
        inputs: &[(&str, &[u8])],
        catalogues: &Catalogues,
    ) -> (Usage, Vec<UsageError>) {
        let router = Router::new(catalogues);
        let mut usage = Usage::default();
        let mut errors = Vec::new();
        for (name, bytes) in inputs {
            usage.add(name, bytes, &router, &mut errors);
        }
        (usage, errors)
    }

    fn add(&mut self, name: &str, bytes: &[u8], router: &Router, errors: &mut Vec<UsageError>) {
        let display = crate::redact::scrub(name).into_owned();
        let fail = |message: String| UsageError {
            path: display.clone(),
            message,
        };
        let gzip = bytes.starts_with(&[0x1f, 0x8b]);
        let inflated;
        let bytes = if gzip {
            let mut out = Vec::new();
            let d = flate2::read::MultiGzDecoder::new(bytes);
            // Bounded, so a gzip bomb is an error and not an exhausted machine.
            let mut d = std::io::Read::take(d, MAX_INFLATED + 1);
            if let Err(e) = std::io::Read::read_to_end(&mut d, &mut out) {
                errors.push(fail(format!("cannot decompress (corrupt gzip?): {e}")));
                return;
            }
            if out.len() as u64 > MAX_INFLATED {
                errors.push(fail(format!(
                    "decompresses to more than {} GB: split the log",
                    MAX_INFLATED >> 30
                )));
                return;
            }
            inflated = out;
            &inflated[..]
        } else {
            bytes
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let at = e.valid_up_to();
                let line = memchr::memchr_iter(b'\n', &bytes[..at]).count() + 1;
                errors.push(fail(format!(
                    "not valid UTF-8 (line {line}, byte {at}): is it a log file?"
                )));
                return;
            }
        };
        let file = self.files.len() as u32;
        let format = if parse::looks_like_har(text) {
            LogFormat::Har
        } else if text.trim_start().starts_with('{') {
            LogFormat::JsonLines
        } else {
            LogFormat::Text
        };
        let agg = match format {
            LogFormat::Har => match parse::har(text) {
                Ok(reqs) => {
                    let mut agg = Agg::default();
                    for (i, r) in reqs.iter().enumerate() {
                        agg.lines += 1;
                        agg.request(router, r, i as u64 + 1);
                    }
                    agg
                }
                Err(message) => {
                    errors.push(fail(message));
                    return;
                }
            },
            _ => aggregate_lines(text, format, router),
        };
        self.files.push(LogFile {
            display,
            format,
            gzip,
            lines: agg.lines,
            requests: agg.requests,
            skipped: agg.skipped,
            unattributed: agg.unattributed,
            tunnels: agg.tunnels,
            malformed: agg.malformed,
            first_malformed: agg.first_malformed,
            first_time: agg.first_time,
            last_time: agg.last_time,
        });
        self.merge(file, agg);
    }

    fn merge(&mut self, file: u32, agg: Agg) {
        let mut sids: Vec<(String, TokenUsage)> = agg.sids.into_iter().collect();
        sids.sort_by_key(|(_, s)| s.first_seen.line);
        for (sid, mut s) in sids {
            s.place_in(file);
            match self.by_sid.get(&sid) {
                Some(&i) => self.tokens[i].merge(s),
                None => {
                    self.by_sid.insert(sid, self.tokens.len());
                    self.tokens.push(s);
                }
            }
        }
    }
}

/// Reads usage logs. Files that cannot be read are reported in the errors, each naming its
/// file, and the others are still read.
pub fn read(paths: &[PathBuf], catalogues: &Catalogues) -> (Usage, Vec<UsageError>) {
    read_from(paths, Path::new(""), catalogues)
}

/// [`read`] with paths shown relative to `cwd`.
pub fn read_from(
    paths: &[PathBuf],
    cwd: &Path,
    catalogues: &Catalogues,
) -> (Usage, Vec<UsageError>) {
    let router = Router::new(catalogues);
    let mut usage = Usage::default();
    let mut errors = Vec::new();
    for p in paths {
        let display = crate::source::display_path(p, cwd);
        let full = crate::source::on_disk(cwd, p);
        match std::fs::read(&full) {
            Ok(bytes) => usage.add(&display, &bytes, &router, &mut errors),
            Err(e) => errors.push(UsageError {
                path: crate::redact::scrub(&display).into_owned(),
                message: match e.kind() {
                    std::io::ErrorKind::NotFound => {
                        "cannot read the usage log: no such file".into()
                    }
                    std::io::ErrorKind::PermissionDenied => {
                        "cannot read the usage log: permission denied".into()
                    }
                    std::io::ErrorKind::IsADirectory => {
                        "is a directory: name the log files themselves".into()
                    }
                    _ => format!("cannot read the usage log: {e}"),
                },
            }),
        }
    }
    (usage, errors)
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// The aggregate of some lines of one file. Line numbers are relative to the chunk until
/// [`Agg::shift`] makes them absolute.
#[derive(Debug, Default)]
struct Agg {
    lines: u64,
    requests: u64,
    skipped: u64,
    unattributed: u64,
    tunnels: u64,
    malformed: u64,
    first_malformed: Option<u64>,
    first_time: Option<i64>,
    last_time: Option<i64>,
    sids: FxHashMap<String, TokenUsage>,
}

impl Agg {
    fn line(&mut self, router: &Router, format: LogFormat, text: &str, line: u64) {
        self.lines += 1;
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.trim().is_empty() {
            return;
        }
        let parsed = match format {
            LogFormat::JsonLines => parse::json_line(text),
            _ => parse::text_line(text),
        };
        match parsed {
            parse::Line::Request(r) => self.request(router, &r, line),
            parse::Line::Other => self.skipped += 1,
            parse::Line::Malformed => {
                self.malformed += 1;
                if self.first_malformed.is_none() {
                    self.first_malformed = Some(line);
                }
            }
        }
    }

    fn request(&mut self, router: &Router, r: &parse::Request<'_>, line: u64) {
        let method = match Method::parse(&r.method) {
            Some(m) => m,
            None if r.method.eq_ignore_ascii_case("HEAD") => Method::Get,
            None if r.method.eq_ignore_ascii_case("CONNECT") => {
                let host = r.target.rsplit_once(':').map_or(&*r.target, |(h, _)| h);
                if is_impact_host(host) {
                    self.tunnels += 1;
                } else {
                    self.skipped += 1;
                }
                return;
            }
            None => {
                self.skipped += 1;
                return;
            }
        };
        let routed = match router.route(method, &r.target, r.user.as_deref()) {
            Ok(routed) => routed,
            Err(NotRouted::Foreign) => {
                self.skipped += 1;
                return;
            }
            Err(NotRouted::NoSid) => {
                self.unattributed += 1;
                return;
            }
        };
        self.requests += 1;
        self.first_time = min_opt(self.first_time, r.time);
        self.last_time = max_opt(self.last_time, r.time);
        let refused = matches!(r.status, Some(401 | 403));
        let s = match self.sids.get_mut(routed.sid) {
            Some(s) => s,
            None => self
                .sids
                .entry(routed.sid.to_string())
                .or_insert_with(|| TokenUsage::new(routed.sid, routed.account_type, line)),
        };
        if s.account_type != routed.account_type {
            s.other_type += 1;
            return;
        }
        s.requests += 1;
        s.refused += u64::from(refused);
        s.first_time = min_opt(s.first_time, r.time);
        s.last_time = max_opt(s.last_time, r.time);
        match routed.op {
            OpMatch::Unknown => s.unmatched += 1,
            OpMatch::Op { scope, .. } if routed.passthrough => {
                s.passthrough.requests += 1;
                s.passthrough.brand_scopes.insert(scope);
            }
            OpMatch::Op { scope, .. } => {
                s.needed.insert(scope);
                let u = match s.scopes.iter().position(|u| u.scope == scope) {
                    Some(i) => &mut s.scopes[i],
                    None => {
                        s.scopes.push(ScopeUse {
                            scope,
                            requests: 0,
                            refused: 0,
                            first: LogLocation { file: 0, line },
                            first_time: None,
                            last_time: None,
                        });
                        s.scopes.last_mut().expect("just pushed")
                    }
                };
                u.requests += 1;
                u.refused += u64::from(refused);
                u.first_time = min_opt(u.first_time, r.time);
                u.last_time = max_opt(u.last_time, r.time);
            }
        }
    }

    /// Makes line numbers absolute: the chunk starts after `before` lines.
    fn shift(&mut self, before: u64) {
        self.first_malformed = self.first_malformed.map(|l| l + before);
        for s in self.sids.values_mut() {
            s.first_seen.line += before;
            for u in &mut s.scopes {
                u.first.line += before;
            }
        }
    }

    /// Adds a later chunk's aggregate.
    fn absorb(&mut self, other: Agg) {
        self.lines += other.lines;
        self.requests += other.requests;
        self.skipped += other.skipped;
        self.unattributed += other.unattributed;
        self.tunnels += other.tunnels;
        self.malformed += other.malformed;
        self.first_malformed = self.first_malformed.or(other.first_malformed);
        self.first_time = min_opt(self.first_time, other.first_time);
        self.last_time = max_opt(self.last_time, other.last_time);
        for (sid, o) in other.sids {
            match self.sids.get_mut(&sid) {
                None => {
                    self.sids.insert(sid, o);
                }
                Some(s) => s.merge(o),
            }
        }
    }
}

/// The most a gzip-compressed log may inflate to.
const MAX_INFLATED: u64 = 4 << 30;

/// Chunks of about this many bytes are parsed in parallel.
const CHUNK: usize = 1 << 20;

/// Parses and aggregates a line-oriented file, chunk by chunk in parallel, then merges the
/// chunks in order (so "first seen" is the first line of the file).
fn aggregate_lines(text: &str, format: LogFormat, router: &Router) -> Agg {
    let bytes = text.as_bytes();
    let mut bounds = vec![0];
    let mut at = 0;
    while at < bytes.len() {
        let target = (at + CHUNK).min(bytes.len());
        let end = if target == bytes.len() {
            target
        } else {
            memchr::memchr(b'\n', &bytes[target..]).map_or(bytes.len(), |p| target + p + 1)
        };
        bounds.push(end);
        at = end;
    }
    let chunks: Vec<Agg> = bounds
        .par_windows(2)
        .map(|w| {
            let chunk = &text[w[0]..w[1]];
            let mut agg = Agg::default();
            let mut n = 0u64;
            for line in chunk.split_terminator('\n') {
                n += 1;
                agg.line(router, format, line, n);
            }
            agg
        })
        .collect();
    let mut total = Agg::default();
    for mut c in chunks {
        c.shift(total.lines);
        total.absorb(c);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1";
    const SID2: &str = "IRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2";

    fn usage(name: &str, text: &str) -> (Usage, Vec<UsageError>) {
        Usage::from_bytes(&[(name, text.as_bytes())], &Catalogues::builtin())
    }

    fn clf(day: u32, method: &str, path: &str, status: u16) -> String {
        format!(
            "10.0.0.1 - - [{day:02}/Nov/2026:10:00:00 +0000] \"{method} {path} HTTP/1.1\" {status} 12 \"-\" \"client\"\n"
        )
    }

    #[test]
    fn requests_under_another_account_type_are_never_dropped_by_a_merge() {
        // The second log first sees the SID under the partner base path, then twice under the
        // brand one: merged into the brand token of the first log, all four requests count.
        let first = clf(1, "GET", &format!("/Advertisers/{SID}/Actions"), 200);
        let mut second = clf(2, "GET", &format!("/Mediapartners/{SID}/Campaigns"), 200);
        second += &clf(3, "GET", &format!("/Advertisers/{SID}/Actions"), 200);
        second += &clf(4, "GET", &format!("/Advertisers/{SID}/Campaigns"), 200);
        let (u, errors) = Usage::from_bytes(
            &[("a.log", first.as_bytes()), ("b.log", second.as_bytes())],
            &Catalogues::builtin(),
        );
        assert!(errors.is_empty());
        let t = u.token(SID).unwrap();
        assert_eq!(t.account_type, AccountType::Brand);
        assert_eq!(t.requests + t.other_type, 4, "{t:?}");
        assert_eq!(t.requests, 1);
    }

    #[test]
    fn aggregates_per_sid_and_scope() {
        let mut log = String::new();
        log.push_str("garbage line\n");
        log += &clf(2, "GET", &format!("/Advertisers/{SID}/Actions"), 200);
        log += &clf(1, "GET", "/healthz", 200);
        log += &clf(3, "POST", &format!("/Advertisers/{SID}/Conversions"), 403);
        log += &clf(5, "GET", &format!("/Advertisers/{SID}/Actions.json"), 200);
        log += &clf(4, "GET", &format!("/Mediapartners/{SID2}/Campaigns"), 200);
        log += &clf(4, "GET", &format!("/Advertisers/{SID}/NoSuchThing"), 404);
        log += &clf(4, "CONNECT", "api.impact.com:443", 200);
        let (u, errors) = usage("access.log", &log);
        assert!(errors.is_empty());
        let f = &u.files[0];
        assert_eq!((f.lines, f.requests, f.skipped, f.malformed), (8, 5, 1, 1));
        assert_eq!(f.tunnels, 1);
        assert_eq!(f.first_malformed, Some(1));
        let t = u.token(SID).unwrap();
        assert_eq!(t.account_type, AccountType::Brand);
        assert_eq!((t.requests, t.refused, t.unmatched), (4, 1, 1));
        let cat = Catalogues::builtin();
        let brand = cat.get(AccountType::Brand);
        assert_eq!(
            brand.names_of(t.needed),
            ["actions:read", "conversions:write"]
        );
        let actions = t.scope(brand.scope_id("actions:read").unwrap()).unwrap();
        assert_eq!((actions.requests, actions.first.line), (2, 2));
        assert_eq!(u.describe(actions.first), "access.log:2");
        let conv = t
            .scope(brand.scope_id("conversions:write").unwrap())
            .unwrap();
        assert_eq!((conv.requests, conv.refused), (1, 1));
        assert_eq!(t.first_day().unwrap().to_string(), "2026-11-02");
        assert_eq!(t.last_day().unwrap().to_string(), "2026-11-05");
        let sids: Vec<_> = u.sids().map(|(s, at)| (s.to_string(), at.line)).collect();
        assert_eq!(sids, [(SID.to_string(), 2), (SID2.to_string(), 6)]);
        assert_eq!(u.token(SID2).unwrap().account_type, AccountType::Partner);
    }

    #[test]
    fn chunks_merge_in_file_order() {
        // Enough lines for several chunks: first-seen lines must be absolute.
        let mut log = String::new();
        let line = clf(1, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        while log.len() < 3 * CHUNK {
            log += &line;
        }
        let before = log.lines().count() as u64;
        log += &clf(9, "PUT", &format!("/Advertisers/{SID}/Ads/1"), 200);
        log += "not a log line\n";
        let (u, _) = usage("big.log", &log);
        let t = u.token(SID).unwrap();
        assert_eq!(t.requests, before + 1);
        let brand = Catalogues::builtin();
        let w = t
            .scope(brand.get(AccountType::Brand).scope_id("ads:write").unwrap())
            .unwrap();
        assert_eq!(w.first.line, before + 1);
        assert_eq!(u.files[0].first_malformed, Some(before + 2));
    }

    #[test]
    fn gzip_and_bad_files_are_named() {
        use std::io::Write;
        let text = clf(1, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let corrupt = &gz[..gz.len() / 2];
        let latin1 = b"10.0.0.1 - caf\xe9 [01/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n";
        let (u, errors) = Usage::from_bytes(
            &[
                ("a.log.gz", &gz[..]),
                ("b.log.gz", corrupt),
                ("c.log", &latin1[..]),
            ],
            &Catalogues::builtin(),
        );
        assert_eq!(u.files.len(), 1);
        assert!(u.files[0].gzip);
        assert_eq!(u.token(SID).unwrap().requests, 1);
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["b.log.gz", "c.log"]);
        assert!(errors[1].message.contains("UTF-8"), "{}", errors[1]);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_lines_never_panic(line in "\\PC{0,200}", path in "[/A-Za-z0-9.?&=_:{}%-]{0,80}") {
            let cats = Catalogues::builtin();
            let text = format!(
                "{line}\n1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] \"GET {path} HTTP/1.1\" 200 1\n{{\"url\":\"{path}\",\"method\":\"GET\"}}\n/Advertisers/{path}\n"
            );
            let _ = Usage::from_bytes(&[("x.log", text.as_bytes())], &cats);
            let _ = Usage::from_bytes(&[("x.jsonl", format!("{{{line}").as_bytes())], &cats);
            let router = Router::new(&cats);
            let _ = router.route(Method::Get, &path, Some(&line));
            let _ = router.route(Method::Post, &format!("https://api.impact.com/Agencies/IRaaaaaaaaaaaa/Advertisers/{path}"), None);
        }
    }

    #[test]
    fn other_account_type_under_the_same_sid_is_counted_apart() {
        let mut log = clf(1, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        log += &clf(2, "GET", &format!("/Mediapartners/{SID}/Campaigns"), 200);
        let (u, _) = usage("x.log", &log);
        let t = u.token(SID).unwrap();
        assert_eq!((t.requests, t.other_type), (1, 1));
    }
}
