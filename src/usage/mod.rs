//! Usage logs: which token (SID) called which catalogue operation, and when.
//!
//! [`read_with`] takes HTTP request logs — combined/common log format (nginx, Apache, Squid),
//! Squid's native format, JSON lines (nginx templates, Caddy), HAR 1.2, or a usage summary
//! from a warehouse (CSV or JSON lines), each possibly gzip-compressed; detected per file —
//! and aggregates them per SID: the time window, request counts, the scopes the requests
//! needed (refused ones included), and where each SID and scope was first seen (the earliest
//! request in time). Logs are streamed: memory does not grow with their size.
//!
//! Nothing of a log line is kept but those facts: no line text, header, query string or
//! password. Lines that are not impact.com requests are skipped; impact.com requests that
//! name no SID are counted as unattributable, with the operation they called, so that its
//! scope is never called unused; lines that do not parse and times that cannot be read are
//! counted per file, never fatal. A file that cannot be read (missing, corrupt gzip, not
//! UTF-8, a broken HAR) is an error naming it, and the other files are still read.

mod agg;
mod har;
mod json;
mod notes;
mod parse;
mod read;
mod route;
pub mod sql;
mod summary;
mod time;

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::catalogue::{Catalogues, ScopeId, ScopeSet};
use crate::model::{AccountType, Day};

pub use parse::{Status, basic_user};
pub use route::{
    HostFilter, Method, NoSid, NotRouted, OpMatch, Routed, Router, Url, is_impact_host,
    is_sid_user, plausible_sid,
};
pub use summary::FIELDS as SUMMARY_FIELDS;
pub use time::{day_of, time_text};

/// The format a log file was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// Common or combined log format, or Squid's native format (line by line).
    Text,
    JsonLines,
    Har,
    /// A usage summary (SPEC §8) as CSV.
    SummaryCsv,
    /// A usage summary as JSON lines.
    SummaryJsonLines,
}

impl LogFormat {
    /// Its name in prose ("not in … format").
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "access log",
            LogFormat::JsonLines => "JSON lines",
            LogFormat::Har => "HAR",
            LogFormat::SummaryCsv => "usage summary CSV",
            LogFormat::SummaryJsonLines => "usage summary JSON lines",
        }
    }

    /// Its name in JSON output.
    pub fn code(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::JsonLines => "json-lines",
            LogFormat::Har => "har",
            LogFormat::SummaryCsv => "summary-csv",
            LogFormat::SummaryJsonLines => "summary-json-lines",
        }
    }

    /// A summary counts requests per row, a log per line (HAR: per entry).
    pub fn is_summary(self) -> bool {
        matches!(self, LogFormat::SummaryCsv | LogFormat::SummaryJsonLines)
    }
}

/// impact.com requests that no token could be given, by why.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Unattributed {
    /// No SID in the path, and the log records no user (Apache's `%u` is `-`; Squid and
    /// Caddy do not log the Basic-auth user of a request they forward).
    pub no_user: u64,
    /// No SID in the path, and the logged user is not SID-shaped (a proxy's own login).
    pub user_not_sid: u64,
    /// An impact.com host, but a path no catalogue operation has.
    pub unknown_operation: u64,
}

impl Unattributed {
    pub fn total(&self) -> u64 {
        self.no_user + self.user_not_sid + self.unknown_operation
    }

    fn add(&mut self, o: &Unattributed) {
        self.no_user += o.no_user;
        self.user_not_sid += o.user_not_sid;
        self.unknown_operation += o.unknown_operation;
    }
}

/// One log file read: what it held.
#[derive(Clone, Debug)]
pub struct LogFile {
    /// The path as given, scrubbed of anything secret-shaped.
    pub display: String,
    pub format: LogFormat,
    /// A text log mostly in Squid's native format (else common/combined).
    pub squid: bool,
    pub gzip: bool,
    /// Lines (HAR: entries; a summary: rows, and its header) read.
    pub lines: u64,
    /// impact.com requests: attributed to a token, or not.
    pub impact_requests: u64,
    /// impact.com requests attributed to a token.
    pub requests: u64,
    /// Lines that are not impact.com requests.
    pub skipped: u64,
    /// Requests to hosts `--usage-host` does not name.
    pub other_host: u64,
    /// impact.com requests no token could be given (the sum of `unattributed_reasons`).
    pub unattributed: u64,
    pub unattributed_reasons: Unattributed,
    /// The operations those requests called, when known: account type, scope, requests.
    pub unverifiable: Vec<(AccountType, ScopeId, u64)>,
    /// `CONNECT` tunnels to impact.com hosts: a proxy that does not inspect TLS sees no path.
    pub tunnels: u64,
    /// impact.com requests logged with their query cut off (`…?`: Squid's default
    /// `strip_query_terms on`), so a `_method=DELETE` override cannot be seen.
    pub stripped_queries: u64,
    /// Lines not in the file's format.
    pub malformed: u64,
    /// NUL bytes dropped (a hole left by truncating the log in place).
    pub nul_bytes: u64,
    /// The first malformed line's number.
    pub first_malformed: Option<u64>,
    /// Requests whose time field could not be read (counted, still used, never timed).
    pub bad_time: u64,
    pub first_bad_time: Option<u64>,
    /// Requests the log gives no time.
    pub no_time: u64,
    /// Requests last seen before `--since` (ignored).
    pub before_since: u64,
    /// Earliest and latest time of the impact.com requests in it.
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
}

impl LogFile {
    fn new(display: String, format: LogFormat, gzip: bool) -> LogFile {
        LogFile {
            display,
            format,
            squid: false,
            gzip,
            lines: 0,
            impact_requests: 0,
            requests: 0,
            skipped: 0,
            other_host: 0,
            unattributed: 0,
            unattributed_reasons: Unattributed::default(),
            unverifiable: Vec::new(),
            tunnels: 0,
            stripped_queries: 0,
            malformed: 0,
            nul_bytes: 0,
            first_malformed: None,
            bad_time: 0,
            first_bad_time: None,
            no_time: 0,
            before_since: 0,
            first_time: None,
            last_time: None,
        }
    }
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
    /// Of which let through (a 1xx, 2xx or 3xx answer).
    pub ok: u64,
    /// The earliest request needing it (in time; ties: in the logs).
    pub first: LogLocation,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
}

impl ScopeUse {
    fn new(scope: ScopeId, first: LogLocation) -> ScopeUse {
        ScopeUse {
            scope,
            requests: 0,
            refused: 0,
            ok: 0,
            first,
            first_time: None,
            last_time: None,
        }
    }

    fn count(
        &mut self,
        n: u64,
        ok: bool,
        refused: bool,
        first: Option<i64>,
        last: Option<i64>,
        at: LogLocation,
    ) {
        self.requests += n;
        self.refused += if refused { n } else { 0 };
        self.ok += if ok { n } else { 0 };
        if agg::earlier(first, at, self.first_time, self.first) {
            self.first = at;
        }
        self.first_time = agg::min_opt(self.first_time, first);
        self.last_time = agg::max_opt(self.last_time, last);
    }

    fn merge(&mut self, o: &ScopeUse) {
        if agg::earlier(o.first_time, o.first, self.first_time, self.first) {
            self.first = o.first;
        }
        self.requests += o.requests;
        self.refused += o.refused;
        self.ok += o.ok;
        self.first_time = agg::min_opt(self.first_time, o.first_time);
        self.last_time = agg::max_opt(self.last_time, o.last_time);
    }

    /// No request needing it was let through: every one refused, failed, or of unknown
    /// outcome. Such evidence does not grant a scope (`suggest --include-refused` lets it).
    pub fn refused_only(&self) -> bool {
        self.ok == 0
    }
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
    /// Where its earliest request is.
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
    /// A SID first seen at `at`, with nothing counted yet.
    fn new(sid: &str, account_type: AccountType, at: LogLocation) -> Self {
        TokenUsage {
            sid: sid.to_string(),
            account_type,
            requests: 0,
            refused: 0,
            unmatched: 0,
            first_time: None,
            last_time: None,
            first_seen: at,
            needed: ScopeSet::EMPTY,
            scopes: Vec::new(),
            passthrough: Passthrough::default(),
            other_type: 0,
        }
    }

    /// Adds what another part of the logs says about the same SID: the one merge of usage
    /// counts (chunks of a file, then files). Requests under another account type than this
    /// one's are counted in `other_type`, those it had counted there included.
    fn merge(&mut self, o: TokenUsage) {
        if o.account_type != self.account_type {
            self.other_type += o.requests + o.other_type;
            return;
        }
        if agg::earlier(o.first_time, o.first_seen, self.first_time, self.first_seen) {
            self.first_seen = o.first_seen;
        }
        self.requests += o.requests;
        self.refused += o.refused;
        self.unmatched += o.unmatched;
        self.other_type += o.other_type;
        self.first_time = agg::min_opt(self.first_time, o.first_time);
        self.last_time = agg::max_opt(self.last_time, o.last_time);
        self.passthrough.requests += o.passthrough.requests;
        self.passthrough.brand_scopes = self
            .passthrough
            .brand_scopes
            .union(o.passthrough.brand_scopes);
        self.needed = self.needed.union(o.needed);
        for u in o.scopes {
            match self.scopes.iter_mut().find(|x| x.scope == u.scope) {
                Some(x) => x.merge(&u),
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

/// How logs are read.
#[derive(Clone, Debug)]
pub struct UsageOptions {
    /// `--usage-host`: only these logged hosts count (empty: any).
    pub hosts: Vec<String>,
    /// `--since`: entries last seen before this Unix second are ignored.
    pub since: Option<i64>,
    /// Bytes per chunk counted in parallel (small values in tests, to put boundaries
    /// everywhere).
    pub chunk_bytes: usize,
    /// `--max-usage-size`: the most bytes read of one log, after decompression.
    pub max_bytes: u64,
}

/// `--max-usage-size` by default: far beyond a real log, short of an endless stream.
pub const DEFAULT_MAX_USAGE_SIZE: u64 = 100 << 30;

impl Default for UsageOptions {
    fn default() -> Self {
        UsageOptions {
            hosts: Vec::new(),
            since: None,
            chunk_bytes: read::CHUNK,
            max_bytes: DEFAULT_MAX_USAGE_SIZE,
        }
    }
}

/// What a set of usage logs says, per SID.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    pub files: Vec<LogFile>,
    tokens: Vec<TokenUsage>,
    by_sid: FxHashMap<String, usize>,
    /// Per account type, the scopes of operations requests called that no token could be
    /// given: unverifiable from these logs.
    unverifiable: [ScopeSet; 3],
    /// `--since`, when given.
    pub since: Option<i64>,
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

    /// Every SID seen, in order of its earliest request, with where that is.
    pub fn sids(&self) -> impl Iterator<Item = (&str, LogLocation)> {
        self.tokens.iter().map(|t| (t.sid.as_str(), t.first_seen))
    }

    /// Every token's usage, in order of its earliest request.
    pub fn tokens(&self) -> &[TokenUsage] {
        &self.tokens
    }

    /// Scopes of `account_type` that requests needed which no token could be given (no SID
    /// in the path, no SID-shaped user): whether a token uses them, these logs cannot say.
    pub fn unverifiable(&self, account_type: AccountType) -> ScopeSet {
        self.unverifiable[account_type as usize]
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

    /// `path:line` (or `path entry N` for HAR, `path row N` for a summary) of a location.
    pub fn describe(&self, at: LogLocation) -> String {
        match self.files.get(at.file as usize) {
            Some(f) if f.format == LogFormat::Har => format!("{} entry {}", f.display, at.line),
            Some(f) => format!("{}:{}", f.display, at.line),
            None => format!("line {}", at.line),
        }
    }

    /// Earliest and latest impact.com request over every file.
    pub fn window(&self) -> (Option<i64>, Option<i64>) {
        let first = self.files.iter().filter_map(|f| f.first_time).min();
        let last = self.files.iter().filter_map(|f| f.last_time).max();
        (first, last)
    }

    /// How many calendar days (UTC) the logs cover, first and last day included; `None`
    /// when no request has a time.
    pub fn window_days(&self) -> Option<i64> {
        let (a, b) = self.window();
        Some(day_of(a?)?.days_until(day_of(b?)?) + 1)
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
        Usage::from_bytes_with(inputs, catalogues, &UsageOptions::default())
    }

    /// [`Usage::from_bytes`] with options.
    pub fn from_bytes_with(
        inputs: &[(&str, &[u8])],
        catalogues: &Catalogues,
        options: &UsageOptions,
    ) -> (Usage, Vec<UsageError>) {
        let mut reader = Reader::new(catalogues, options);
        for (name, bytes) in inputs {
            reader.add(name, *bytes);
        }
        reader.finish()
    }
}

/// Reads logs one after another into one [`Usage`].
struct Reader<'a> {
    router: Router,
    hosts: HostFilter,
    options: &'a UsageOptions,
    usage: Usage,
    errors: Vec<UsageError>,
}

impl<'a> Reader<'a> {
    fn new(catalogues: &Catalogues, options: &'a UsageOptions) -> Self {
        Reader {
            router: Router::new(catalogues),
            hosts: HostFilter::new(&options.hosts),
            options,
            usage: Usage {
                since: options.since,
                ..Usage::default()
            },
            errors: Vec::new(),
        }
    }

    /// Reads one log; a log that cannot be read is an error, and adds nothing.
    fn add(&mut self, name: &str, raw: impl std::io::Read + Send) {
        let display = crate::redact::scrub(name).into_owned();
        let mut ctx = agg::Ctx {
            router: &self.router,
            hosts: &self.hosts,
            since: self.options.since,
            format: LogFormat::Text,
            columns: None,
        };
        let read = match read::read(
            raw,
            &mut ctx,
            self.options.chunk_bytes,
            self.options.max_bytes,
        ) {
            Ok(r) => r,
            Err(message) => {
                self.errors.push(UsageError {
                    path: display,
                    message,
                });
                return;
            }
        };
        let index = self.usage.files.len() as u32;
        let (mut file, tokens) = read
            .agg
            .finish(index, LogFile::new(display, read.format, read.gzip));
        file.nul_bytes = read.nul_bytes;
        self.usage.files.push(file);
        for t in tokens {
            match self.usage.by_sid.get(&t.sid) {
                Some(&i) => self.usage.tokens[i].merge(t),
                None => {
                    self.usage
                        .by_sid
                        .insert(t.sid.clone(), self.usage.tokens.len());
                    self.usage.tokens.push(t);
                }
            }
        }
    }

    /// The usage, its tokens in order of their earliest request.
    fn finish(mut self) -> (Usage, Vec<UsageError>) {
        let u = &mut self.usage;
        u.tokens.sort_by_key(|t| {
            (
                t.first_time.unwrap_or(i64::MAX),
                t.first_seen,
                t.sid.clone(),
            )
        });
        u.by_sid = u
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.sid.clone(), i))
            .collect();
        u.unverifiable = agg::unverifiable_sets(&u.files);
        (self.usage, self.errors)
    }
}

/// Reads usage logs. Files that cannot be read are reported in the errors, each naming its
/// file, and the others are still read.
pub fn read(paths: &[PathBuf], catalogues: &Catalogues) -> (Usage, Vec<UsageError>) {
    read_with(paths, Path::new(""), catalogues, &UsageOptions::default())
}

/// [`read`] with paths shown relative to `cwd`.
pub fn read_from(
    paths: &[PathBuf],
    cwd: &Path,
    catalogues: &Catalogues,
) -> (Usage, Vec<UsageError>) {
    read_with(paths, cwd, catalogues, &UsageOptions::default())
}

/// [`read_from`] with options. `-` reads standard input.
pub fn read_with(
    paths: &[PathBuf],
    cwd: &Path,
    catalogues: &Catalogues,
    options: &UsageOptions,
) -> (Usage, Vec<UsageError>) {
    let mut reader = Reader::new(catalogues, options);
    for p in paths {
        if p.as_os_str() == "-" {
            reader.add("<stdin>", std::io::stdin());
            continue;
        }
        let display = crate::source::display_path(p, cwd);
        let full = crate::source::on_disk(cwd, p);
        let opened = std::fs::File::open(&full).and_then(|f| {
            if f.metadata()?.is_dir() {
                Err(std::io::Error::from(std::io::ErrorKind::IsADirectory))
            } else {
                Ok(f)
            }
        });
        match opened {
            Ok(file) => reader.add(&display, file),
            Err(e) => reader.errors.push(UsageError {
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
    reader.finish()
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

    fn gz(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
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
        assert_eq!((f.tunnels, f.impact_requests), (1, 5));
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
        assert_eq!(
            (actions.requests, actions.ok, actions.first.line),
            (2, 2, 2)
        );
        assert_eq!(u.describe(actions.first), "access.log:2");
        let conv = t
            .scope(brand.scope_id("conversions:write").unwrap())
            .unwrap();
        assert_eq!((conv.requests, conv.refused, conv.ok), (1, 1, 0));
        assert!(conv.refused_only());
        assert_eq!(t.first_day().unwrap().to_string(), "2026-11-02");
        assert_eq!(t.last_day().unwrap().to_string(), "2026-11-05");
        let sids: Vec<_> = u.sids().map(|(s, at)| (s.to_string(), at.line)).collect();
        assert_eq!(sids, [(SID.to_string(), 2), (SID2.to_string(), 6)]);
        assert_eq!(u.token(SID2).unwrap().account_type, AccountType::Partner);
        assert_eq!(u.window_days(), Some(4));
    }

    /// Every number a read gives, to compare two reads.
    fn facts(u: &Usage) -> String {
        let mut s = String::new();
        for f in &u.files {
            let mut f = f.clone();
            f.display.clear();
            s += &format!("{f:?}\n");
        }
        for t in u.tokens() {
            s += &format!("{t:?}\n");
        }
        s
    }

    #[test]
    fn chunks_of_any_size_read_the_same() {
        let mut log = String::new();
        for day in 1..=28 {
            log += &clf(day, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
            log += "not a log line\n";
            log += &clf(29 - day, "PUT", &format!("/Advertisers/{SID}/Ads/1"), 403);
            log += &clf(
                day,
                "GET",
                &format!("/Mediapartners/{SID2}/PromoCodes"),
                200,
            );
        }
        let cats = Catalogues::builtin();
        let read = |chunk: usize, bytes: &[u8]| {
            let options = UsageOptions {
                chunk_bytes: chunk,
                ..UsageOptions::default()
            };
            let (u, errors) = Usage::from_bytes_with(&[("x.log", bytes)], &cats, &options);
            assert!(errors.is_empty(), "{errors:?}");
            facts(&u)
        };
        let whole = read(1 << 20, log.as_bytes());
        for chunk in [1, 7, 64, 333, 4096] {
            assert_eq!(read(chunk, log.as_bytes()), whole, "chunks of {chunk}");
        }
        let whole_gz = read(1 << 20, &gz(log.as_bytes()));
        assert_eq!(whole_gz.replace("gzip: true", "gzip: false"), whole);
        assert_eq!(read(5, &gz(log.as_bytes())), whole_gz);
        // The earliest PUT is on day 1, at the last line of the PUTs' run.
        let (u, _) = usage("x.log", &log);
        let t = u.token(SID).unwrap();
        let brand = cats.get(AccountType::Brand);
        let w = t.scope(brand.scope_id("ads:write").unwrap()).unwrap();
        assert_eq!(w.first.line, 28 * 4 - 1);
    }

    #[test]
    fn first_follows_time_whatever_the_order_of_files() {
        let cats = Catalogues::builtin();
        let old = clf(1, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        let new = clf(9, "GET", "/healthz", 200)
            + &clf(9, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        for order in [
            [("old.log", &old), ("new.log", &new)],
            [("new.log", &new), ("old.log", &old)],
        ] {
            let inputs: Vec<(&str, &[u8])> =
                order.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
            let (u, _) = Usage::from_bytes(&inputs, &cats);
            let t = u.token(SID).unwrap();
            assert_eq!(u.describe(t.first_seen), "old.log:1");
            assert_eq!(u.describe(t.scopes[0].first), "old.log:1");
        }
    }

    #[test]
    fn gzip_and_bad_files_are_named() {
        let text = clf(1, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        let gz = gz(text.repeat(2000).as_bytes());
        let corrupt = &gz[..gz.len() / 2];
        let latin1 = b"10.0.0.1 - caf\xe9 [01/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n";
        let definition = b"account:\n  type: brand\ntokens: []\n";
        let (u, errors) = Usage::from_bytes(
            &[
                ("a.log.gz", &gz[..]),
                ("b.log.gz", corrupt),
                ("c.log", &latin1[..]),
                ("tokens.yaml", &definition[..]),
            ],
            &Catalogues::builtin(),
        );
        assert_eq!(u.files.len(), 1);
        assert!(u.files[0].gzip);
        assert_eq!(u.token(SID).unwrap().requests, 2000);
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["b.log.gz", "c.log", "tokens.yaml"]);
        assert!(errors[0].message.contains("gzip"), "{}", errors[0]);
        assert!(errors[1].message.contains("UTF-8 (line 1"), "{}", errors[1]);
        assert!(errors[2].message.contains("definition"), "{}", errors[2]);
    }

    #[test]
    fn an_overlong_line_is_malformed_and_skipped() {
        let mut log = clf(1, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        log.push_str(&"x".repeat(9 << 20));
        log.push('\n');
        log += &clf(2, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        let (u, errors) = usage("x.log", &log);
        assert!(errors.is_empty());
        let f = &u.files[0];
        assert_eq!((f.lines, f.malformed, f.first_malformed), (3, 1, Some(2)));
        assert_eq!(u.token(SID).unwrap().requests, 2);
    }

    #[test]
    fn unattributable_requests_make_their_scopes_unverifiable() {
        let mut log = clf(1, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        log += &clf(2, "POST", "https://trkapi.impact.com/PageLoad", 200);
        log += "1793527200.000 5 10.0.0.2 TCP_MISS/200 10 POST https://trkapi.impact.com/PageLoad svcimpactsync01 HIER_DIRECT/1.2.3.4 -\n";
        log += "1793527200.000 5 10.0.0.2 TCP_MISS/200 10 POST https://api.impact.com/Advertisers/IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1/Actions? - HIER_DIRECT/1.2.3.4 -\n";
        let (u, _) = usage("x.log", &log);
        let f = &u.files[0];
        assert_eq!(f.unattributed_reasons.no_user, 1);
        assert_eq!(f.unattributed_reasons.user_not_sid, 1);
        assert_eq!(f.stripped_queries, 1);
        assert!(u.token("svcimpactsync01").is_none());
        let cats = Catalogues::builtin();
        let brand = cats.get(AccountType::Brand);
        assert_eq!(
            brand.names_of(u.unverifiable(AccountType::Brand)),
            ["page-loads:write"]
        );
        assert!(u.unverifiable(AccountType::Partner).is_empty());
        let notes = f.notes(&cats).join("\n");
        assert!(
            notes.contains("page-loads:write (2) cannot be verified"),
            "{notes}"
        );
        assert!(notes.contains("strip_query_terms"), "{notes}");
    }

    #[test]
    fn since_and_unreadable_times() {
        let mut log = clf(1, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        log += &clf(20, "GET", &format!("/Advertisers/{SID}/Actions"), 200);
        log += &format!(
            "10.0.0.1 - - [31/Feb/2026:10:00:00 +0000] \"GET /Advertisers/{SID}/Deals HTTP/1.1\" 200 1\n"
        );
        let options = UsageOptions {
            since: time::text("2026-11-10T00:00:00Z"),
            ..UsageOptions::default()
        };
        let (u, _) = Usage::from_bytes_with(
            &[("x.log", log.as_bytes())],
            &Catalogues::builtin(),
            &options,
        );
        let f = &u.files[0];
        assert_eq!(
            (f.before_since, f.bad_time, f.first_bad_time),
            (1, 1, Some(3))
        );
        let t = u.token(SID).unwrap();
        // The unreadable time still counts the request (deals:read), but not in the window.
        assert_eq!(t.requests, 2);
        assert_eq!(t.first_day().unwrap().to_string(), "2026-11-20");
        assert!(
            f.notes(&Catalogues::builtin())
                .iter()
                .any(|n| n.contains("cannot be read (first: line 3)"))
        );
    }

    #[test]
    fn a_summary_reads_like_the_log_it_summarises() {
        let cats = Catalogues::builtin();
        let mut log = clf(1, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        log += &clf(3, "GET", &format!("/Advertisers/{SID}/Ads"), 200);
        log += &clf(2, "POST", &format!("/Advertisers/{SID}/Conversions"), 403);
        log += &clf(
            2,
            "POST",
            &format!("https://proxy.internal/Advertisers/{SID}/Actions?_method=DELETE"),
            200,
        );
        let csv = format!(
            "sid,method,path,status,count,first_seen,last_seen\n\
             {SID},GET,/Advertisers/{SID}/Ads,2xx,2,2026-11-01T10:00:00Z,2026-11-03T10:00:00Z\n\
             {SID},POST,/Advertisers/{SID}/Conversions,403,1,2026-11-02T10:00:00Z,2026-11-02T10:00:00Z\n\
             {SID},DELETE,https://proxy.internal/Advertisers/{SID}/Actions,2xx,1,2026-11-02T10:00:00Z,2026-11-02T10:00:00Z\n"
        );
        let jsonl: String = csv
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                format!(
                    "{{\"sid\":\"{}\",\"method\":\"{}\",\"path\":\"{}\",\"status\":\"{}\",\"count\":{},\"first_seen\":\"{}\",\"last_seen\":\"{}\"}}\n",
                    f[0], f[1], f[2], f[3], f[4], f[5], f[6]
                )
            })
            .collect();
        let tokens = |name: &str, text: &str| {
            let (u, errors) = Usage::from_bytes(&[(name, text.as_bytes())], &cats);
            assert!(errors.is_empty(), "{errors:?}");
            let mut t = u.tokens()[0].clone();
            t.first_seen = LogLocation { file: 0, line: 0 };
            for s in &mut t.scopes {
                s.first = t.first_seen;
            }
            (u.files[0].format, format!("{t:?}"))
        };
        let (_, raw) = tokens("raw.log", &log);
        assert_eq!(tokens("s.csv", &csv), (LogFormat::SummaryCsv, raw.clone()));
        assert_eq!(
            tokens("s.jsonl", &jsonl),
            (LogFormat::SummaryJsonLines, raw)
        );
    }

    /// A line of each format, with `{x}` where text may be put.
    fn templates() -> Vec<(&'static str, String)> {
        vec![
            (
                "clf",
                format!(
                    "10.0.0.1 - {{x}} [01/Nov/2026:10:00:00 +0000] \"GET /Advertisers/{SID}/Ads?q={{x}} HTTP/1.1\" 200 12 \"{{x}}\" \"{{x}}\"\n"
                ),
            ),
            (
                "squid",
                format!(
                    "1793527200.{{x}} 5 10.0.0.2 TCP_MISS/200 10 GET https://api.impact.com/Advertisers/{SID}/Ads?{{x}} {{x}} HIER_DIRECT/1.2.3.4 text/{{x}}\n"
                ),
            ),
            (
                "jsonl",
                format!(
                    "{{\"time\":\"2026-11-01T10:00:00Z{{x}}\",\"method\":\"GET\",\"url\":\"/Advertisers/{SID}/Ads{{x}}\",\"status\":200,\"ua\":\"{{x}}\"}}\n"
                ),
            ),
            (
                "har",
                format!(
                    "{{\"log\":{{\"comment\":\"{{x}}\",\"entries\":[{{\"startedDateTime\":\"2026-11-01T10:00:00Z\",\"request\":{{\"method\":\"GET\",\"url\":\"https://api.impact.com/Advertisers/{SID}/Ads?{{x}}\",\"headers\":[{{\"name\":\"{{x}}\",\"value\":\"{{x}}\"}}]}},\"response\":{{\"status\":200}}}}]}}}}\n"
                ),
            ),
            (
                "csv",
                format!(
                    "sid,method,path,status,count,first_seen,last_seen\n{SID},GET,/Advertisers/{SID}/Ads{{x}},2xx,1,2026-11-01T10:00:00Z{{x}},{{x}}\n"
                ),
            ),
            (
                "summary-jsonl",
                format!(
                    "{{\"sid\":\"{SID}\",\"method\":\"GET\",\"path\":\"/Advertisers/{SID}/Ads{{x}}\",\"status\":\"2xx\",\"count\":1,\"first_seen\":\"{{x}}\",\"last_seen\":\"2026-11-01T10:00:00Z\"}}\n"
                ),
            ),
        ]
    }

    /// Reads one log with a router built once (building one per read is most of a small read).
    fn read_one(router: &Router, bytes: &[u8], chunk: usize) -> Result<String, String> {
        let hosts = HostFilter::default();
        let mut ctx = agg::Ctx {
            router,
            hosts: &hosts,
            since: None,
            format: LogFormat::Text,
            columns: None,
        };
        read::read(bytes, &mut ctx, chunk, DEFAULT_MAX_USAGE_SIZE).map(|r| {
            let (f, tokens) = r
                .agg
                .finish(0, LogFile::new(String::new(), r.format, r.gzip));
            format!("{f:?}{tokens:?}")
        })
    }

    #[test]
    fn multi_byte_characters_at_every_boundary_of_every_reader() {
        let router = router();
        for (name, template) in templates() {
            let line = template.replace("{x}", "");
            for ch in ["é", "€", "😀"] {
                // A character at every byte offset of the line, read in chunks of every size.
                for at in (0..=line.len()).filter(|at| line.is_char_boundary(*at)) {
                    let text = format!("{}{ch}{}", &line[..at], &line[at..]);
                    for chunk in [1, 3, 1 << 20] {
                        let _ = read_one(router, text.as_bytes(), chunk);
                    }
                    let _ = read_one(router, &gz(text.as_bytes()), 2);
                }
                // A run of them straddling the 4 KiB a format is detected on.
                for pad in 4090..4100 {
                    let filler = "a".repeat(pad);
                    let text = template.replace("{x}", &format!("{filler}{ch}{ch}"));
                    let read = read_one(router, text.as_bytes(), 1 << 20);
                    assert!(read.is_ok() || name == "har", "{name}: {read:?}");
                    assert_eq!(
                        read_one(router, &gz(text.as_bytes()), 4096).is_ok(),
                        read.is_ok()
                    );
                }
            }
        }
    }

    fn router() -> &'static Router {
        static ROUTER: std::sync::OnceLock<Router> = std::sync::OnceLock::new();
        ROUTER.get_or_init(|| Router::new(&Catalogues::builtin()))
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_lines_never_panic(line in "\\PC{0,200}", path in "[/A-Za-z0-9.?&=_:{}%-]{0,80}") {
            let router = router();
            let text = format!(
                "{line}\n1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] \"GET {path} HTTP/1.1\" 200 1\n{{\"url\":\"{path}\",\"method\":\"GET\"}}\n/Advertisers/{path}\n"
            );
            let _ = read_one(router, text.as_bytes(), 1 << 20);
            let _ = read_one(router, format!("{{{line}").as_bytes(), 1 << 20);
            let _ = read_one(router, format!("sid,method,path,status,count,first_seen,last_seen\n{line}\n").as_bytes(), 1 << 20);
            let hosts = HostFilter::default();
            let _ = router.route(Method::Get, &path, Some(&line), Some(&line), &hosts);
            let _ = router.route(Method::Post, &format!("https://api.impact.com/Agencies/IRaaaaaaaaaaaa/Advertisers/{path}"), None, None, &hosts);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600), chunk in 1usize..64) {
            let router = router();
            let _ = read_one(router, &bytes, chunk);
            let mut gzipped = vec![0x1f, 0x8b];
            gzipped.extend_from_slice(&bytes);
            let _ = read_one(router, &gzipped, chunk);
            let _ = read_one(router, &gz(&bytes), chunk);
            let mut har = b"{\"log\":{\"entries\":[".to_vec();
            har.extend_from_slice(&bytes);
            let _ = read_one(router, &har, chunk);
            for (_, template) in templates() {
                let text = template.replace("{x}", &String::from_utf8_lossy(&bytes));
                let _ = read_one(router, text.as_bytes(), chunk);
            }
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
