//! `scopeward suggest`: per token, the least scopes that cover everything its logged
//! requests did, what to remove from its grants and what to add. Pure: the checked
//! definitions (the report's inventory) and the usage in, a [`SuggestDoc`] out.
//!
//! Every operation needs exactly one `<category>:read|write` scope, so the least set covering
//! a token's requests is the set of scopes those requests needed (refused ones included).
//! An agency token whose requests went through the passthrough keeps the `advertisers`
//! scopes it holds (impact.com does not document which agency scope the passthrough needs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalogue::{Catalogues, Resolved, ScopeSet};
use crate::model::AccountType;
use crate::report::TokenView;
use crate::source::SourceMap;
use crate::usage::{LogFormat, TokenUsage, Usage, time_text};

/// The `--format json` document of `scopeward suggest` (`schemas/suggest.schema.json`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(title = "scopeward suggest output")]
pub struct SuggestDoc {
    /// 1 for this shape.
    pub version: u32,
    pub tool: Tool,
    /// The earliest and latest impact.com request in the logs (RFC 3339, UTC).
    pub window: Window,
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
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LogSummary {
    pub path: String,
    /// `text` (combined/common or Squid), `json-lines` or `har`.
    pub format: String,
    pub gzip: bool,
    /// Lines read (HAR: entries).
    pub lines: u64,
    /// impact.com requests attributed to a token.
    pub requests: u64,
    /// Lines that are not impact.com requests.
    pub skipped: u64,
    /// impact.com requests with no SID in the path and no Basic-auth user.
    pub unattributed: u64,
    /// `CONNECT` tunnels to impact.com hosts (a proxy without TLS inspection sees no path).
    pub tunnels: u64,
    /// Lines not in the file's format (counted, never fatal).
    pub malformed: u64,
    pub first_malformed_line: Option<u64>,
}

/// One scope a token's requests needed.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ScopeCount {
    pub scope: String,
    pub requests: u64,
    /// Of which refused (401/403).
    pub refused: u64,
    /// Where the first request needing it is (`path:line`, or `path entry N` for HAR).
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
    /// The least scopes covering every logged request, in catalogue order.
    pub least_scopes: Vec<String>,
    /// Entries of `scopes` to keep as written.
    pub keep: Vec<String>,
    /// Entries of `scopes` to remove (scopes never needed; patterns granting more than needed).
    pub remove: Vec<String>,
    /// Scopes to add (needed and not held, or needed and held only through a removed pattern).
    pub add: Vec<String>,
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

/// Computes the suggestions. `views` is the inventory of a checked run.
pub fn suggest<'a>(
    views: &'a [TokenView],
    sources: &SourceMap,
    usage: &Usage,
    catalogues: &Catalogues,
) -> (SuggestDoc, Vec<Plan<'a>>) {
    let (first, last) = usage.window();
    let mut doc = SuggestDoc {
        version: 1,
        tool: Tool {
            name: "scopeward".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        window: Window {
            first: first.map(time_text),
            last: last.map(time_text),
        },
        logs: usage
            .files
            .iter()
            .map(|f| LogSummary {
                path: f.display.clone(),
                format: match f.format {
                    LogFormat::Text => "text",
                    LogFormat::JsonLines => "json-lines",
                    LogFormat::Har => "har",
                }
                .into(),
                gzip: f.gzip,
                lines: f.lines,
                requests: f.requests,
                skipped: f.skipped,
                unattributed: f.unattributed,
                tunnels: f.tunnels,
                malformed: f.malformed,
                first_malformed_line: f.first_malformed,
            })
            .collect(),
        tokens: Vec::new(),
        not_in_logs: Vec::new(),
        undeclared_sids: Vec::new(),
        diff: None,
    };
    let mut plans = Vec::new();
    let mut declared = std::collections::HashSet::new();
    for v in views {
        let path = sources.get(v.file).display.clone();
        let Some(sid) = v.sid.as_deref().filter(|s| !s.is_empty()) else {
            doc.not_in_logs.push(Unseen {
                token: v.name.clone(),
                account_type: v.account_type,
                path,
                sid: None,
                reason: "declares no `sid`: add it to match the token to its requests".into(),
            });
            continue;
        };
        declared.insert(sid.to_string());
        let u = match usage.token(sid) {
            Some(u) if u.account_type == v.account_type => u,
            Some(u) => {
                doc.not_in_logs.push(Unseen {
                    token: v.name.clone(),
                    account_type: v.account_type,
                    path,
                    sid: Some(sid.to_string()),
                    reason: format!(
                        "the logs use this SID as a {} token, not {}",
                        u.account_type, v.account_type
                    ),
                });
                continue;
            }
            None => {
                doc.not_in_logs.push(Unseen {
                    token: v.name.clone(),
                    account_type: v.account_type,
                    path,
                    sid: Some(sid.to_string()),
                    reason: "no logged request: if the logs cover all of its use, disable it"
                        .into(),
                });
                continue;
            }
        };
        let (s, plan) = one(v, u, path, sources, usage, catalogues);
        doc.tokens.push(s);
        if let Some(plan) = plan {
            plans.push(plan);
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

fn one<'a>(
    v: &'a TokenView,
    u: &TokenUsage,
    path: String,
    sources: &SourceMap,
    usage: &Usage,
    catalogues: &Catalogues,
) -> (TokenSuggestion, Option<Plan<'a>>) {
    let cat = catalogues.get(v.account_type);
    let mut least = u.needed;
    if v.account_type == AccountType::Agency && u.passthrough.requests > 0 {
        least = least.union(v.effective.intersect(cat.matching("advertisers:*")));
    }
    let mut keep = Vec::new();
    let mut remove = Vec::new();
    let mut remove_idx = Vec::new();
    let mut covered = ScopeSet::EMPTY;
    for (i, (text, resolved)) in v.grants.iter().enumerate() {
        let t = text.value.trim().to_string();
        let set = resolved.set();
        let kept = match resolved {
            // Not a scope of this catalogue: `unknown-scope`'s business, left alone.
            Resolved::Unknown => true,
            _ => !set.is_empty() && least.is_superset(set) && !covered.is_superset(set),
        };
        if kept {
            covered = covered.union(set);
            keep.push(t);
        } else {
            remove.push(t);
            remove_idx.push(i);
        }
    }
    let legacy = v.legacy.map(|l| l.as_str().to_string());
    let mut add: Vec<String> = cat
        .names_of(least.minus(covered))
        .into_iter()
        .map(str::to_string)
        .collect();
    if legacy.is_some() {
        // Nothing to edit: only an upgrade in impact.com re-scopes a legacy token (the note).
        add.clear();
        remove.clear();
        remove_idx.clear();
    }
    let names = |set: ScopeSet| -> Vec<String> {
        cat.names_of(set).into_iter().map(str::to_string).collect()
    };
    let minimal = legacy.is_none() && remove.is_empty() && add.is_empty();
    let note = if let Some(l) = &legacy {
        Some(format!(
            "a legacy {l} token cannot be re-scoped: upgrade it in impact.com to a scoped access token with [{}], then declare those scopes",
            names(least).join(", ")
        ))
    } else if u.unmatched > 0 {
        Some(format!(
            "{} request{} matched no catalogue operation (an older API version, or an undocumented endpoint): check them before removing scopes",
            u.unmatched,
            if u.unmatched == 1 { "" } else { "s" }
        ))
    } else {
        None
    };
    let line = sources
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
        legacy: legacy.clone(),
        requests: u.requests,
        refused: u.refused,
        unmatched: u.unmatched,
        first_seen: u.first_time.map(time_text),
        last_seen: u.last_time.map(time_text),
        least_scopes: names(least),
        keep,
        remove,
        add: add.clone(),
        scopes: u
            .scopes
            .iter()
            .map(|s| ScopeCount {
                scope: cat.scope_name(s.scope).to_string(),
                requests: s.requests,
                refused: s.refused,
                first_at: usage.describe(s.first),
            })
            .collect(),
        passthrough_requests: u.passthrough.requests,
        passthrough_brand_scopes: catalogues
            .get(AccountType::Brand)
            .names_of(u.passthrough.brand_scopes)
            .into_iter()
            .map(str::to_string)
            .collect(),
        minimal,
        note,
    };
    let plan = (legacy.is_none() && !minimal).then_some(Plan {
        view: v,
        remove: remove_idx,
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

/// The human report of `suggest`.
pub fn render_human(doc: &SuggestDoc) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let requests: u64 = doc.logs.iter().map(|l| l.requests).sum();
    let _ = write!(
        s,
        "Usage logs: {} file{}, {} impact.com request{}",
        doc.logs.len(),
        plural(doc.logs.len() as u64),
        requests,
        plural(requests)
    );
    if let (Some(a), Some(b)) = (&doc.window.first, &doc.window.last) {
        let _ = write!(s, ", {} to {}", day(a), day(b));
    }
    s.push('\n');
    for l in &doc.logs {
        if l.malformed > 0 {
            let _ = writeln!(
                s,
                "  {}: {} line{} not in {} format (first: line {})",
                l.path,
                l.malformed,
                plural(l.malformed),
                if l.format == "json-lines" {
                    "JSON-lines"
                } else {
                    "a log"
                },
                l.first_malformed_line.unwrap_or(0)
            );
        }
        if l.unattributed > 0 {
            let _ = writeln!(
                s,
                "  {}: {} impact.com request{} without a SID in the path or a Basic-auth user",
                l.path,
                l.unattributed,
                plural(l.unattributed)
            );
        }
        if l.tunnels > 0 {
            let _ = writeln!(
                s,
                "  {}: {} CONNECT tunnel{} to impact.com: the proxy saw no paths (log at the client, or inspect TLS)",
                l.path,
                l.tunnels,
                plural(l.tunnels)
            );
        }
    }
    for t in &doc.tokens {
        s.push('\n');
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
                let _ = write!(window, " on {}", day(a));
            } else {
                let _ = write!(window, ", {} to {}", day(a), day(b));
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
    crate::redact::scrub(&s).into_owned()
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn day(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}
