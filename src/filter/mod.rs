//! The filter stage: after the rules, before rendering. Applies inline and configured ignores
//! (reporting those that silenced nothing as `unused-ignore`) and the baseline. Suppressed
//! findings are kept, with how they were suppressed: SARIF shows them as suppressed results.

pub mod baseline;
pub mod inline;

use std::collections::HashMap;

use crate::diag::InputError;
use crate::finding::{Finding, FindingBuilder};
use crate::model::Day;
use crate::policy::{IgnoreDoc, Policy};
use crate::report::{BaselineStats, Suppressed, Suppression, SuppressionKind};
use crate::rules::{FileModel, Sink, UnusedIgnore};
use crate::source::{FileId, SourceMap};
use crate::tree::Format;

pub use baseline::BaselineFile;

/// What the filter needs to know beyond the findings.
pub struct FilterInput<'a> {
    pub sources: &'a SourceMap,
    pub files: &'a [FileModel],
    pub formats: &'a HashMap<FileId, Format>,
    pub policy: &'a Policy,
    pub as_of: Day,
    pub apply_ignores: bool,
    pub baseline: Option<&'a BaselineFile>,
    /// What the run had beyond definitions (rules needing more did not run).
    pub inputs: crate::finding::Inputs,
}

pub struct Filtered {
    pub active: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    pub errors: Vec<InputError>,
    pub baseline: Option<BaselineStats>,
}

/// The lines that open each token (from its first line to its name), by file: an inline
/// ignore aimed at one of them silences that token's findings wherever they are in it.
fn token_headers(
    sources: &SourceMap,
    files: &[FileModel],
) -> HashMap<FileId, Vec<(usize, usize, String)>> {
    let mut out: HashMap<FileId, Vec<(usize, usize, String)>> = HashMap::new();
    for f in files {
        let src = sources.get(f.file);
        for t in &f.tokens {
            let start = t.doc.span.map_or(t.doc.name.span.start, |s| s.start) as usize;
            let first = src.line_index(start);
            let name_line = src.line_index(t.doc.name.span.start as usize);
            out.entry(f.file).or_default().push((
                first.min(name_line),
                name_line.max(first),
                t.name().to_string(),
            ));
        }
    }
    out
}

/// An ignore for a rule that is off (or not run by this version, or not in this run for want
/// of a listing or logs) cannot be judged unused.
fn rule_enabled(input: &FilterInput<'_>, id: &str) -> bool {
    crate::rules::find(id)
        .is_some_and(|r| input.policy.enabled(r.meta()) && input.inputs.satisfy(r.meta().needs))
}

pub fn apply(findings: Vec<Finding>, input: &FilterInput<'_>) -> Filtered {
    let mut errors = Vec::new();
    let mut suppressed = Vec::new();
    let mut active = findings;
    let mut extra = Vec::new();

    if input.apply_ignores {
        // Inline directives, per YAML/TOML file that has any.
        let mut inline: HashMap<FileId, Vec<(inline::InlineIgnore, Vec<usize>)>> = HashMap::new();
        for (id, source) in input.sources.iter() {
            // Definition files with comments; every file `scan` reports on.
            if !(input.inputs.scan
                || matches!(input.formats.get(&id), Some(Format::Yaml | Format::Toml)))
            {
                continue;
            }
            let (found, errs) = inline::scan(id, source);
            errors.extend(errs);
            if !found.is_empty() {
                let n = |i: &inline::InlineIgnore| vec![0; i.rules.len()];
                inline.insert(
                    id,
                    found
                        .into_iter()
                        .map(|i| {
                            let c = n(&i);
                            (i, c)
                        })
                        .collect(),
                );
            }
        }
        let headers = if inline.is_empty() {
            HashMap::new()
        } else {
            token_headers(input.sources, input.files)
        };

        // Configured ignores, with their globs compiled by the policy.
        let config: Vec<(
            &IgnoreDoc,
            Option<&globset::GlobMatcher>,
            Option<&globset::GlobMatcher>,
        )> = input
            .policy
            .ignores
            .iter()
            .map(|ig| (&ig.doc, ig.path.as_ref(), ig.scope.as_ref()))
            .collect();
        let mut config_used = vec![0usize; config.len()];

        let mut kept = Vec::with_capacity(active.len());
        for mut f in active {
            let mut by = None;
            if let Some(loc) = f.location {
                if let Some(list) = inline.get_mut(&loc.file) {
                    let line = input.sources.get(loc.file).line_index(loc.start as usize);
                    let file_headers = headers.get(&loc.file);
                    for (ig, used) in list.iter_mut() {
                        let Some(ri) = ig.rules.iter().position(|(id, _)| *id == f.rule.id) else {
                            continue;
                        };
                        let token_wide = f.token.as_deref().is_some_and(|name| {
                            file_headers.is_some_and(|h| {
                                h.iter().any(|(a, b, n)| {
                                    n == name && (*a..=*b).contains(&ig.target_line)
                                })
                            })
                        });
                        if ig.target_line == line || token_wide {
                            used[ri] += 1;
                            by = Some(Suppression {
                                kind: SuppressionKind::Inline,
                                reason: crate::redact::scrub(&ig.reason).into_owned(),
                                span: Some(ig.span),
                            });
                            break;
                        }
                    }
                }
            }
            if by.is_none() {
                for (i, (ig, path, scope)) in config.iter().enumerate() {
                    if ig.rule.value != f.rule.id
                        && crate::rules::find(&ig.rule.value).map(|r| r.meta().id)
                            != Some(f.rule.id)
                    {
                        continue;
                    }
                    if ig
                        .token
                        .as_ref()
                        .is_some_and(|t| f.token.as_deref() != Some(t.value.as_str()))
                    {
                        continue;
                    }
                    if let Some(m) = path {
                        let shown = f
                            .location
                            .map(|l| input.sources.get(l.file).display.as_str());
                        if !shown.is_some_and(|p| m.is_match(p)) {
                            continue;
                        }
                    }
                    if let Some(m) = scope {
                        if !f.scope.as_deref().is_some_and(|s| m.is_match(s)) {
                            continue;
                        }
                    }
                    config_used[i] += 1;
                    if let Some(expires) = ig.expires.as_ref().filter(|e| e.value < input.as_of) {
                        // Expired: the finding returns, pointing at the entry that let it go.
                        f.related.push((
                            expires.span,
                            format!("an ignore for this expired on {}", expires.value),
                        ));
                        continue;
                    }
                    by = Some(Suppression {
                        kind: SuppressionKind::Config,
                        reason: crate::redact::scrub(&ig.reason.value).into_owned(),
                        span: Some(ig.rule.span),
                    });
                    break;
                }
            }
            match by {
                Some(by) => suppressed.push(Suppressed { finding: f, by }),
                None => kept.push(f),
            }
        }
        active = kept;

        // Ignores that silenced nothing.
        let mut sink = Sink::new(input.policy);
        for list in inline.values() {
            for (ig, used) in list {
                for ((id, span), n) in ig.rules.iter().zip(used) {
                    if *n == 0 && rule_enabled(input, id) {
                        sink.push(
                            FindingBuilder::new(
                                &UnusedIgnore::META,
                                format!("inline ignore of `{id}` silenced nothing"),
                            )
                            .help("remove it: the finding it was written for is gone")
                            .label("unused")
                            .subject(format!("inline:{id}:{}", ig.reason))
                            .at(*span),
                        );
                    }
                }
            }
        }
        for ((ig, _, _), n) in config.iter().zip(&config_used) {
            if *n == 0 && rule_enabled(input, &ig.rule.value) {
                let mut b = FindingBuilder::new(
                    &UnusedIgnore::META,
                    format!("`[[ignore]]` of `{}` silenced nothing", ig.rule.value),
                )
                .help("remove the entry from scopeward.toml: nothing matches it")
                .label("unused")
                .subject(format!(
                    "config:{}:{}:{}:{}",
                    ig.rule.value,
                    ig.token.as_ref().map_or("", |t| t.value.as_str()),
                    ig.path.as_ref().map_or("", |t| t.value.as_str()),
                    ig.scope.as_ref().map_or("", |t| t.value.as_str())
                ));
                if let Some(t) = &ig.token {
                    b = b.related(t.span, "for this token");
                }
                sink.push(b.at(ig.rule.span));
            }
        }
        extra = sink.into_findings();
    }
    active.extend(extra);

    let mut stats = None;
    if let Some(base) = input.baseline {
        let (kept, stats_now) = baseline::apply(active, base, &mut suppressed);
        active = kept;
        stats = Some(stats_now);
    }
    Filtered {
        active,
        suppressed,
        errors,
        baseline: stats,
    }
}
