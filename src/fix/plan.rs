//! `scopeward suggest`: per token, the least scopes that cover everything its logged
//! requests did, what to remove from its grants and what to add. Pure: the checked
//! definitions (the report's inventory) and the usage in, a [`SuggestDoc`] out.
//!
//! Every operation needs exactly one `<category>:read|write` scope, so the least set covering
//! a token's requests is the set of scopes those requests needed. Evidence is weighed:
//! - a scope only refused requests needed (no 2xx/3xx answer) is kept when held, but never
//!   added unless `--include-refused`: a failing integration is no reason to grant more;
//! - a held scope whose operations the logs show requests to that no token can be given (no
//!   SID in the path, no SID-shaped user) is unverifiable from these logs: kept;
//! - over a window shorter than `unused-scope`'s `min_window_days`, nothing is removed.
//!
//! An agency token whose requests went through the passthrough keeps the `advertisers`
//! scopes it holds (impact.com does not document which agency scope the passthrough needs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalogue::{Catalogues, Resolved, ScopeSet};
use crate::model::AccountType;
use crate::report::TokenView;
use crate::source::SourceMap;
use crate::usage::{LogFile, TokenUsage, Usage, time_text};

/// The `--format json` document of `scopeward suggest` (`schemas/suggest.schema.json`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(title = "scopeward suggest output")]
pub struct SuggestDoc {
    /// 1 for this shape.
    pub version: u32,
    pub tool: Tool,
    /// The earliest and latest impact.com request in the logs (RFC 3339, UTC).
    pub window: Window,
    /// Whether scopes needed only by refused requests were added (`--include-refused`).
    pub include_refused: bool,
    /// What each log contributed.
    pub logs: Vec<LogSummary>,
    /// Declared tokens whose SID the logs show, with their least scopes.
    pub tokens: Vec<TokenSuggestion>,
    /// Declared tokens that the logs do not show (by SID), or that declare no SID.
    pub not_in_logs: Vec<Unseen>,
    /// SIDs in the logs that no definition declares.
    pub undeclared_sids: Vec<UndeclaredSid>,
    /// With `--diff`: the unified diff that applies the suggestions to the definition files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct Window {
    pub first: Option<String>,
    pub last: Option<String>,
    /// Calendar days (UTC) from the first to the last request, both included.
    pub days: Option<i64>,
    /// Whether the window is long enough to call a scope unused (`unused-scope`'s
    /// `min_window_days`); when not, nothing is removed.
    pub judges_unused: bool,
    /// Why it is not, when it is not.
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LogSummary {
    pub path: String,
    /// `text` (combined/common or Squid), `json-lines`, `har`, `summary-csv` or
    /// `summary-json-lines`.
    pub format: String,
    /// The format as detected, in words (`Squid native format`, …).
    pub detected: String,
    pub gzip: bool,
    /// Lines read (HAR: entries).
    pub lines: u64,
    /// impact.com requests, attributed to a token or not.
    pub impact_requests: u64,
    /// impact.com requests attributed to a token.
    pub requests: u64,
    /// Lines that are not impact.com requests (and requests to hosts `--usage-host` does not
    /// name, also in `other_host`).
    pub skipped: u64,
    pub other_host: u64,
    /// impact.com requests no token can be given (no SID in the path, no SID-shaped user).
    pub unattributed: u64,
    /// Why, request by request.
    pub unattributed_reasons: crate::usage::Unattributed,
    /// The scopes those requests needed (`<account type> <scope>`): unverifiable from these
    /// logs, so never called unused nor removed.
    pub unverifiable: Vec<String>,
    /// `CONNECT` tunnels to impact.com hosts (a proxy without TLS inspection sees no path).
    pub tunnels: u64,
    /// impact.com requests logged without their query (`…?`, Squid's `strip_query_terms`).
    pub stripped_queries: u64,
    /// Lines not in the file's format (counted, never fatal).
    pub malformed: u64,
    pub first_malformed_line: Option<u64>,
    /// Requests whose time could not be read (counted; outside the window).
    pub unreadable_times: u64,
    pub first_unreadable_time_line: Option<u64>,
    /// Requests the log gives no time.
    pub no_time: u64,
    /// Requests before `--since` (ignored).
    pub before_since: u64,
    /// The earliest and latest impact.com request in it (RFC 3339, UTC).
    pub first: Option<String>,
    pub last: Option<String>,
    /// What the log could not show, in words.
    pub notes: Vec<String>,
}

/// One scope a token's requests needed.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ScopeCount {
    pub scope: String,
    pub requests: u64,
    /// Of which refused (401/403).
    pub refused: u64,
    /// Of which let through (1xx, 2xx, 3xx).
    pub ok: u64,
    /// Where the earliest request needing it is (`path:line`, or `path entry N` for HAR).
    pub first_at: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TokenSuggestion {
    pub token: String,
    pub account_type: AccountType,
    pub account_name: Option<String>,
    /// The definition file.
    pub path: String,
    pub line: Option<u32>,
    pub sid: String,
    /// `read-write` or `read-only` for a legacy token.
    pub legacy: Option<String>,
    pub requests: u64,
    pub refused: u64,
    /// Requests to paths no catalogue operation matches.
    pub unmatched: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The least scopes the token should hold, in catalogue order: those its requests needed
    /// and were let through, those it holds that refused requests needed, and those it holds
    /// that the logs cannot verify.
    pub least_scopes: Vec<String>,
    /// Entries of `scopes` to keep as written.
    pub keep: Vec<String>,
    /// Entries of `scopes` to remove (scopes never needed; patterns granting more than needed).
    pub remove: Vec<String>,
    /// Scopes to add (needed and not held, or needed and held only through a removed pattern).
    pub add: Vec<String>,
    /// Scopes it holds whose operations the logs show requests to that no token can be given:
    /// kept, since these logs cannot say whether it uses them.
    pub unverifiable: Vec<String>,
    /// Scopes it lacks that only refused requests needed: not added (`--include-refused`
    /// adds them).
    pub refused_only: Vec<String>,
    pub scopes: Vec<ScopeCount>,
    /// Requests through the agency passthrough, and the brand scopes they reached.
    pub passthrough_requests: u64,
    pub passthrough_brand_scopes: Vec<String>,
    /// Whether the definition already matches its use.
    pub minimal: bool,
    /// What else to know (legacy tokens cannot be re-scoped, only upgraded).
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Unseen {
    pub token: String,
    pub account_type: AccountType,
    pub path: String,
    pub sid: Option<String>,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct UndeclaredSid {
    pub sid: String,
    pub account_type: AccountType,
    pub requests: u64,
    pub first_at: String,
}

/// A suggestion with what the editor needs to apply it.
#[derive(Clone, Debug)]
pub struct Plan<'a> {
    pub view: &'a TokenView,
    /// Indices into the token's grants to remove.
    pub remove: Vec<usize>,
    /// Scope names to add.
    pub add: Vec<String>,
}

/// How suggestions are made.
#[derive(Clone, Copy, Debug)]
pub struct SuggestOptions {
    /// `--include-refused`: scopes only refused requests needed are added too.
    pub include_refused: bool,
    /// `unused-scope`'s `min_window_days`: over a shorter window nothing is removed (`None`:
    /// the rule is off, and removals follow the logs whatever their window).
    pub min_window_days: Option<i64>,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions {
            include_refused: false,
            min_window_days: Some(30),
        }
    }
}

/// Computes the suggestions. `views` is the inventory of a checked run.
pub fn suggest<'a>(
    views: &'a [TokenView],
    sources: &SourceMap,
    usage: &Usage,
    catalogues: &Catalogues,
    options: &SuggestOptions,
) -> (SuggestDoc, Vec<Plan<'a>>) {
    let mut doc = SuggestDoc {
        version: 1,
        tool: Tool {
            name: "scopeward".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        window: window(usage, options),
        include_refused: options.include_refused,
        logs: usage
            .files
            .iter()
            .map(|f| log_summary(f, catalogues))
            .collect(),
        tokens: Vec::new(),
        not_in_logs: Vec::new(),
        undeclared_sids: Vec::new(),
        diff: None,
    };
    let ctx = Ctx {
        sources,
        usage,
        catalogues,
        options,
        judges_unused: doc.window.judges_unused,
    };
    let mut plans = Vec::new();
    let mut declared = std::collections::HashSet::new();
    for v in views {
        if let Some(sid) = v.sid.as_deref().filter(|s| !s.is_empty()) {
            declared.insert(sid.to_string());
        }
        match seen(v, &ctx) {
            Ok(u) => {
                let (s, plan) = one(v, u, &ctx);
                doc.tokens.push(s);
                plans.extend(plan);
            }
            Err(unseen) => doc.not_in_logs.push(unseen),
        }
    }
    for t in usage.tokens() {
        if !declared.contains(&t.sid) {
            doc.undeclared_sids.push(UndeclaredSid {
                sid: t.sid.clone(),
                account_type: t.account_type,
                requests: t.requests,
                first_at: usage.describe(t.first_seen),
            });
        }
    }
    (doc, plans)
}

/// What a suggestion is made from.
struct Ctx<'a> {
    sources: &'a SourceMap,
    usage: &'a Usage,
    catalogues: &'a Catalogues,
    options: &'a SuggestOptions,
    judges_unused: bool,
}

fn window(usage: &Usage, options: &SuggestOptions) -> Window {
    let (first, last) = usage.window();
    let judged = options.min_window_days.map(|min| usage.covers(min));
    Window {
        first: first.map(time_text),
        last: last.map(time_text),
        days: usage.window_days(),
        judges_unused: judged.as_ref().is_none_or(Result::is_ok),
        note: judged
            .and_then(Result::err)
            .map(|why| format!("nothing is removed: {why}")),
    }
}

fn log_summary(f: &LogFile, catalogues: &Catalogues) -> LogSummary {
    LogSummary {
        path: f.display.clone(),
        format: f.format.code().into(),
        detected: f.detected().into(),
        gzip: f.gzip,
        lines: f.lines,
        impact_requests: f.impact_requests,
        requests: f.requests,
        skipped: f.skipped + f.other_host,
        other_host: f.other_host,
        unattributed: f.unattributed,
        unattributed_reasons: f.unattributed_reasons,
        unverifiable: f
            .unverifiable
            .iter()
            .map(|(ty, scope, _)| format!("{ty} {}", catalogues.get(*ty).scope_name(*scope)))
            .collect(),
        tunnels: f.tunnels,
        stripped_queries: f.stripped_queries,
        malformed: f.malformed,
        first_malformed_line: f.first_malformed,
        unreadable_times: f.bad_time,
        first_unreadable_time_line: f.first_bad_time,
        no_time: f.no_time,
        before_since: f.before_since,
        first: f.first_time.map(time_text),
        last: f.last_time.map(time_text),
        notes: f.notes(catalogues),
    }
}

/// The token's usage, or why the logs say nothing about it.
fn seen<'u>(v: &TokenView, ctx: &Ctx<'u>) -> Result<&'u TokenUsage, Unseen> {
    let unseen = |sid: Option<&str>, reason: String| Unseen {
        token: v.name.clone(),
        account_type: v.account_type,
        path: ctx.sources.get(v.file).display.clone(),
        sid: sid.map(str::to_string),
        reason,
    };
    let Some(sid) = v.sid.as_deref().filter(|s| !s.is_empty()) else {
        return Err(unseen(
            None,
            "declares no `sid`: add it to match the token to its requests".into(),
        ));
    };
    match ctx.usage.token(sid) {
        Some(u) if u.account_type == v.account_type => Ok(u),
        Some(u) => Err(unseen(
            Some(sid),
            format!(
                "the logs use this SID as a {} token, not {}",
                u.account_type, v.account_type
            ),
        )),
        None => Err(unseen(
            Some(sid),
            "no logged request: if the logs cover all of its use, disable it".into(),
        )),
    }
}

/// The scopes a token should hold, by what the logs say of them.
struct Target {
    /// Everything to hold after the suggestion.
    all: ScopeSet,
    /// Held scopes the logs cannot verify (kept).
    unverifiable: ScopeSet,
    /// Needed by refused requests only, not held, and not added.
    refused_only: ScopeSet,
}

fn target(v: &TokenView, u: &TokenUsage, ctx: &Ctx<'_>) -> Target {
    let cat = ctx.catalogues.get(v.account_type);
    let held = v.effective;
    let proven =
        u.scopes
            .iter()
            .filter(|s| !s.refused_only())
            .fold(ScopeSet::EMPTY, |mut set, s| {
                set.insert(s.scope);
                set
            });
    let refused = u.needed.minus(proven);
    let unverifiable = ctx.usage.unverifiable(v.account_type).intersect(held);
    let mut all = proven.union(refused.intersect(held)).union(unverifiable);
    if ctx.options.include_refused {
        all = all.union(refused);
    }
    if v.account_type == AccountType::Agency && u.passthrough.requests > 0 {
        // impact.com does not say which agency scope the passthrough needs: keep them.
        all = all.union(held.intersect(cat.matching("advertisers:*")));
    }
    Target {
        all,
        unverifiable,
        refused_only: refused.minus(all),
    }
}

/// The grants to keep and to remove (by index), and what the kept ones cover. Over a window
/// too short to call anything unused, every grant is kept.
fn partition(
    v: &TokenView,
    target: ScopeSet,
    judges_unused: bool,
) -> (Vec<String>, Vec<(usize, String)>, ScopeSet) {
    let mut keep = Vec::new();
    let mut remove = Vec::new();
    let mut covered = ScopeSet::EMPTY;
    for (i, (text, resolved)) in v.grants.iter().enumerate() {
        let t = text.value.trim().to_string();
        let set = resolved.set();
        let kept = match resolved {
            // Not a scope of this catalogue: `unknown-scope`'s business, left alone.
            Resolved::Unknown => true,
            _ if !judges_unused => true,
            _ => !set.is_empty() && target.is_superset(set) && !covered.is_superset(set),
        };
        if kept {
            covered = covered.union(set);
            keep.push(t);
        } else {
            remove.push((i, t));
        }
    }
    (keep, remove, covered)
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What else to know about a token's suggestion, sentence by sentence.
fn note(
    legacy: Option<&str>,
    least: &[String],
    u: &TokenUsage,
    judges_unused: bool,
) -> Option<String> {
    let mut notes = Vec::new();
    if let Some(l) = legacy {
        notes.push(format!(
            "a legacy {l} token cannot be re-scoped: upgrade it in impact.com to a scoped access token with [{}], then declare those scopes",
            least.join(", ")
        ));
    }
    if !judges_unused && legacy.is_none() {
        notes.push(
            "the logs' window is too short to call a scope unused: nothing is removed".into(),
        );
    }
    if u.unmatched > 0 {
        notes.push(format!(
            "{} request{} matched no catalogue operation (an older API version, or an undocumented endpoint): check them before removing scopes",
            u.unmatched,
            plural(u.unmatched)
        ));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

fn one<'a>(v: &'a TokenView, u: &TokenUsage, ctx: &Ctx<'_>) -> (TokenSuggestion, Option<Plan<'a>>) {
    let cat = ctx.catalogues.get(v.account_type);
    let names = |set: ScopeSet| -> Vec<String> {
        cat.names_of(set).into_iter().map(str::to_string).collect()
    };
    let target = target(v, u, ctx);
    let (keep, remove, covered) = partition(v, target.all, ctx.judges_unused);
    let legacy = v.legacy.map(|l| l.as_str().to_string());
    // A legacy token: nothing to edit, only an upgrade in impact.com re-scopes it (the note).
    let (remove, add) = if legacy.is_some() {
        (Vec::new(), Vec::new())
    } else {
        (remove, names(target.all.minus(covered)))
    };
    let minimal = legacy.is_none() && remove.is_empty() && add.is_empty();
    let least = names(target.all);
    let path = ctx.sources.get(v.file).display.clone();
    let line = ctx
        .sources
        .get(v.file)
        .line_col(v.name_span.start as usize)
        .line;
    let suggestion = TokenSuggestion {
        token: v.name.clone(),
        account_type: v.account_type,
        account_name: v.account_name.clone(),
        path,
        line: Some(line),
        sid: u.sid.clone(),
        note: note(legacy.as_deref(), &least, u, ctx.judges_unused),
        legacy,
        requests: u.requests,
        refused: u.refused,
        unmatched: u.unmatched,
        first_seen: u.first_time.map(time_text),
        last_seen: u.last_time.map(time_text),
        least_scopes: least,
        keep,
        remove: remove.iter().map(|(_, t)| t.clone()).collect(),
        add: add.clone(),
        unverifiable: names(target.unverifiable),
        refused_only: names(target.refused_only),
        scopes: u
            .scopes
            .iter()
            .map(|s| ScopeCount {
                scope: cat.scope_name(s.scope).to_string(),
                requests: s.requests,
                refused: s.refused,
                ok: s.ok,
                first_at: ctx.usage.describe(s.first),
            })
            .collect(),
        passthrough_requests: u.passthrough.requests,
        passthrough_brand_scopes: ctx
            .catalogues
            .get(AccountType::Brand)
            .names_of(u.passthrough.brand_scopes)
            .into_iter()
            .map(str::to_string)
            .collect(),
        minimal,
    };
    let plan = (suggestion.legacy.is_none() && !minimal).then(|| Plan {
        view: v,
        remove: remove.into_iter().map(|(i, _)| i).collect(),
        add,
    });
    (suggestion, plan)
}

/// The JSON document, every string value scrubbed of anything secret-shaped (values only:
/// scrubbing the serialised text would take `"token": "name"` for an assignment).
pub fn render_json(doc: &SuggestDoc) -> String {
    fn scrub(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if let std::borrow::Cow::Owned(clean) = crate::redact::scrub(s) {
                    *s = clean;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(scrub),
            serde_json::Value::Object(map) => map.values_mut().for_each(scrub),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(doc).expect("serialises");
    scrub(&mut value);
    let mut s = serde_json::to_string_pretty(&value).expect("serialises");
    s.push('\n');
    s
}

/// The human report of `suggest`. What each log held is on standard error (and under
/// `logs` in JSON); this is the header, a section per token, and the tokens and SIDs the
/// logs and the definitions do not match.
pub fn render_human(doc: &SuggestDoc) -> String {
    let mut s = header(doc);
    for t in &doc.tokens {
        s.push('\n');
        token_section(&mut s, t);
    }
    tails(&mut s, doc);
    crate::redact::scrub(&s).into_owned()
}

fn header(doc: &SuggestDoc) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let requests: u64 = doc.logs.iter().map(|l| l.requests).sum();
    let _ = write!(
        s,
        "Usage logs: {} file{}, {} impact.com request{} attributed to a token",
        doc.logs.len(),
        plural(doc.logs.len() as u64),
        requests,
        plural(requests)
    );
    if let (Some(a), Some(b), Some(days)) = (&doc.window.first, &doc.window.last, doc.window.days) {
        let _ = write!(
            s,
            ", {} to {} UTC ({days} day{})",
            day(a),
            day(b),
            plural(days as u64)
        );
    }
    s.push('\n');
    let unattributed: u64 = doc.logs.iter().map(|l| l.unattributed).sum();
    if unattributed > 0 {
        let mut scopes: Vec<&str> = doc
            .logs
            .iter()
            .flat_map(|l| l.unverifiable.iter().map(String::as_str))
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        let _ = writeln!(
            s,
            "  {unattributed} impact.com request{} no token can be given; unverifiable from these logs, never removed: {}",
            plural(unattributed),
            if scopes.is_empty() {
                "none known".to_string()
            } else {
                scopes.join(", ")
            }
        );
    }
    if let Some(n) = &doc.window.note {
        let _ = writeln!(s, "  {n}");
    }
    s
}

fn token_section(s: &mut String, t: &TokenSuggestion) {
    use std::fmt::Write;
    let _ = writeln!(
        s,
        "{} token `{}` ({}:{}), SID {}",
        t.account_type,
        t.token,
        t.path,
        t.line.unwrap_or(0),
        t.sid
    );
    let mut window = format!("  {} request{}", t.requests, plural(t.requests));
    if t.refused > 0 {
        let _ = write!(window, " ({} refused)", t.refused);
    }
    if let (Some(a), Some(b)) = (&t.first_seen, &t.last_seen) {
        if day(a) == day(b) {
            let _ = write!(window, " on {} UTC", day(a));
        } else {
            let _ = write!(window, ", {} to {} UTC", day(a), day(b));
        }
    }
    s.push_str(&window);
    s.push('\n');
    let width = t.scopes.iter().map(|c| c.scope.len()).max().unwrap_or(0);
    for c in &t.scopes {
        let _ = write!(
            s,
            "    {:width$}  {:>7} request{}",
            c.scope,
            c.requests,
            plural(c.requests)
        );
        if c.refused > 0 {
            let _ = write!(s, " ({} refused)", c.refused);
        }
        let _ = writeln!(s, ", first at {}", c.first_at);
    }
    if t.passthrough_requests > 0 {
        let _ = writeln!(
            s,
            "    {} request{} through the agency passthrough, reaching brand {}",
            t.passthrough_requests,
            plural(t.passthrough_requests),
            t.passthrough_brand_scopes.join(", ")
        );
    }
    let _ = writeln!(s, "  least scopes: [{}]", t.least_scopes.join(", "));
    if !t.unverifiable.is_empty() {
        let _ = writeln!(
            s,
            "  unverifiable from these logs, kept: {}",
            t.unverifiable.join(", ")
        );
    }
    if !t.refused_only.is_empty() {
        let _ = writeln!(
            s,
            "  needed only by refused requests, not added (--include-refused adds them): {}",
            t.refused_only.join(", ")
        );
    }
    if t.minimal {
        s.push_str("  already minimal\n");
    } else {
        if !t.remove.is_empty() {
            let _ = writeln!(s, "  remove: {}", t.remove.join(", "));
        }
        if !t.add.is_empty() {
            let _ = writeln!(s, "  add: {}", t.add.join(", "));
        }
    }
    if let Some(n) = &t.note {
        let _ = writeln!(s, "  note: {n}");
    }
}

fn tails(s: &mut String, doc: &SuggestDoc) {
    use std::fmt::Write;
    if !doc.not_in_logs.is_empty() {
        s.push_str("\nNot in the logs:\n");
        for u in &doc.not_in_logs {
            let _ = writeln!(
                s,
                "  {} token `{}` ({}): {}",
                u.account_type, u.token, u.path, u.reason
            );
        }
    }
    if !doc.undeclared_sids.is_empty() {
        s.push_str("\nSIDs in the logs that no definition declares:\n");
        for u in &doc.undeclared_sids {
            let _ = writeln!(
                s,
                "  {} ({}): {} request{}, first at {}",
                u.sid,
                u.account_type,
                u.requests,
                plural(u.requests),
                u.first_at
            );
        }
    }
}

fn day(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}
