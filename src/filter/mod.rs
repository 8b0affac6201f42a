//! The filter stage: after the rules, before rendering. Applies inline and configured ignores
//! (reporting those that silenced nothing as `unused-ignore`) and the baseline. Suppressed
//! findings are kept, with how they were suppressed: SARIF shows them as suppressed results.

pub mod baseline;
pub mod inline;

use std::collections::HashMap;

use crate::diag::InputError;
use crate::finding::{Finding, FindingBuilder};
use crate::model::Day;
use crate::policy::{Ignore, Policy};
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
    pub active: Vec<Box<Finding>>,
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

/// Applies the ignores (unless `--no-ignores`), reports those that silenced nothing, then the
/// baseline.
pub fn apply(findings: Vec<Box<Finding>>, input: &FilterInput<'_>) -> Filtered {
    let mut out = Filtered {
        active: findings,
        suppressed: Vec::new(),
        errors: Vec::new(),
        baseline: None,
    };
    if input.apply_ignores {
        let (mut inline, errors) = InlineIgnores::collect(input);
        out.errors = errors;
        let mut config = ConfigIgnores::new(input.policy);
        // Findings are boxed: this moves pointers, never the findings themselves.
        let mut kept = Vec::with_capacity(out.active.len());
        for mut f in std::mem::take(&mut out.active) {
            let by = match inline.silences(input, &mut f) {
                Some(by) => Some(by),
                None => config.silences(input, &mut f),
            };
            match by {
                Some(by) => out.suppressed.push(Suppressed { finding: f, by }),
                None => kept.push(f),
            }
        }
        let mut sink = Sink::new(input.policy);
        inline.report_unused(input, &mut sink);
        config.report_unused(input, &mut sink);
        kept.extend(sink.into_findings());
        out.active = kept;
    }
    // After the ignores (an ignore of an implied finding still counts as used), before the
    // baseline.
    let (active, suppressed) = drop_implied(
        std::mem::take(&mut out.active),
        std::mem::take(&mut out.suppressed),
    );
    out.active = active;
    out.suppressed = suppressed;
    if let Some(base) = input.baseline {
        let (kept, stats) =
            baseline::apply(std::mem::take(&mut out.active), base, &mut out.suppressed);
        out.active = kept;
        out.baseline = Some(stats);
    }
    out
}

/// The inline directives of every file that may hold them, each with how often each of its
/// rules silenced something; and the lines that open each token.
struct InlineIgnores {
    by_file: HashMap<FileId, Vec<(inline::InlineIgnore, Vec<usize>)>>,
    headers: HashMap<FileId, Vec<(usize, usize, String)>>,
}

impl InlineIgnores {
    fn collect(input: &FilterInput<'_>) -> (Self, Vec<InputError>) {
        let mut errors = Vec::new();
        let mut by_file = HashMap::new();
        for (id, source) in input.sources.iter() {
            // Definition files with comments (YAML, TOML); every file `scan` reports on, in
            // the comment syntax its name says.
            let comments = if input.inputs.scan {
                inline::Comments::for_path(&source.display)
            } else if matches!(input.formats.get(&id), Some(Format::Yaml | Format::Toml)) {
                inline::Comments::Hash
            } else {
                continue;
            };
            let (found, errs) = inline::scan(id, source, comments);
            errors.extend(errs);
            if !found.is_empty() {
                let counted = found
                    .into_iter()
                    .map(|i| {
                        let uses = vec![0; i.rules.len()];
                        (i, uses)
                    })
                    .collect();
                by_file.insert(id, counted);
            }
        }
        let headers = if by_file.is_empty() {
            HashMap::new()
        } else {
            token_headers(input.sources, input.files)
        };
        (InlineIgnores { by_file, headers }, errors)
    }

    /// The directive that silences `f`: one aimed at its line, or at the head of its token.
    /// An expired one that matches lets it through, noting the directive that let it go.
    fn silences(&mut self, input: &FilterInput<'_>, f: &mut Finding) -> Option<Suppression> {
        let loc = f.location?;
        let list = self.by_file.get_mut(&loc.file)?;
        let line = input.sources.get(loc.file).line_index(loc.start as usize);
        let headers = self.headers.get(&loc.file);
        let heads_token = |target: usize| {
            f.token.as_deref().is_some_and(|name| {
                headers.is_some_and(|h| {
                    h.iter()
                        .any(|(a, b, n)| n == name && (*a..=*b).contains(&target))
                })
            })
        };
        for (ig, used) in list.iter_mut() {
            let Some(ri) = ig.rules.iter().position(|(id, _)| *id == f.rule.id) else {
                continue;
            };
            if ig.target_line == line || heads_token(ig.target_line) {
                used[ri] += 1;
                if let Some((day, span)) = ig.expires.filter(|(d, _)| *d < input.as_of) {
                    f.related
                        .push((span, format!("an ignore for this expired on {day}")));
                    continue;
                }
                return Some(Suppression {
                    kind: SuppressionKind::Inline,
                    reason: crate::redact::scrub(&ig.reason).into_owned(),
                    span: Some(ig.span),
                });
            }
        }
        None
    }

    fn report_unused(&self, input: &FilterInput<'_>, sink: &mut Sink<'_>) {
        for list in self.by_file.values() {
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
    }
}

/// The policy's `[[ignore]]` entries, each with how often it silenced something.
struct ConfigIgnores<'a> {
    entries: &'a [Ignore],
    used: Vec<usize>,
}

impl<'a> ConfigIgnores<'a> {
    fn new(policy: &'a Policy) -> Self {
        ConfigIgnores {
            entries: &policy.ignores,
            used: vec![0; policy.ignores.len()],
        }
    }

    /// The entry that silences `f`. An expired one that matches lets it through, noting the
    /// entry that let it go.
    fn silences(&mut self, input: &FilterInput<'_>, f: &mut Finding) -> Option<Suppression> {
        for (i, ig) in self.entries.iter().enumerate() {
            if !matches(input, ig, f) {
                continue;
            }
            self.used[i] += 1;
            let doc = &ig.doc;
            if let Some(expires) = doc.expires.as_ref().filter(|e| e.value < input.as_of) {
                f.related.push((
                    expires.span,
                    format!("an ignore for this expired on {}", expires.value),
                ));
                continue;
            }
            return Some(Suppression {
                kind: SuppressionKind::Config,
                reason: crate::redact::scrub(&doc.reason.value).into_owned(),
                span: Some(doc.rule.span),
            });
        }
        None
    }

    fn report_unused(&self, input: &FilterInput<'_>, sink: &mut Sink<'_>) {
        for (ig, n) in self.entries.iter().zip(&self.used) {
            let ig = &ig.doc;
            if *n > 0 || !rule_enabled(input, &ig.rule.value) {
                continue;
            }
            let text = |v: &Option<crate::tree::de::Sp<String>>| {
                v.as_ref().map_or("", |t| t.value.as_str()).to_string()
            };
            let mut b = FindingBuilder::new(
                &UnusedIgnore::META,
                format!("`[[ignore]]` of `{}` silenced nothing", ig.rule.value),
            )
            .help("remove the entry from scopeward.toml: nothing matches it")
            .label("unused")
            .subject(format!(
                "config:{}:{}:{}:{}",
                ig.rule.value,
                text(&ig.token),
                text(&ig.path),
                text(&ig.scope)
            ));
            if let Some(t) = &ig.token {
                b = b.related(t.span, "for this token");
            }
            sink.push(b.at(ig.rule.span));
        }
    }
}

/// Whether an `[[ignore]]` entry matches a finding: its rule (following redirects), and each
/// of `token`, `path` and `scope` it sets.
fn matches(input: &FilterInput<'_>, ig: &Ignore, f: &Finding) -> bool {
    let doc = &ig.doc;
    let rule = doc.rule.value == f.rule.id
        || crate::rules::find(&doc.rule.value).map(|r| r.meta().id) == Some(f.rule.id);
    let token = doc
        .token
        .as_ref()
        .is_none_or(|t| f.token.as_deref() == Some(t.value.as_str()));
    let path = ig.path.as_ref().is_none_or(|m| {
        f.location
            .is_some_and(|l| m.is_match(&input.sources.get(l.file).display))
    });
    let scope = ig
        .scope
        .as_ref()
        .is_none_or(|m| f.scope.as_deref().is_some_and(|s| m.is_match(s)));
    rule && token && path && scope
}

/// One root cause, one finding: drops each finding whose rule another finding on the same
/// token (same account, same file), reported or suppressed, already implies
/// (`RuleMeta::implied_by`).
fn drop_implied(
    active: Vec<Box<Finding>>,
    suppressed: Vec<Suppressed>,
) -> (Vec<Box<Finding>>, Vec<Suppressed>) {
    // Only the findings of rules some other rule is implied by matter here (a few rules;
    // serial work over every finding, so it is kept to a pass and a fast hash).
    let mut implying: Vec<&'static str> = Vec::new();
    let mut seen: Vec<*const crate::finding::RuleMeta> = Vec::new();
    for f in active.iter().chain(suppressed.iter().map(|s| &s.finding)) {
        if !f.rule.implied_by.is_empty() && !seen.contains(&std::ptr::from_ref(f.rule)) {
            seen.push(std::ptr::from_ref(f.rule));
            implying.extend(f.rule.implied_by.iter().copied());
        }
    }
    if implying.is_empty() {
        return (active, suppressed);
    }
    let present: rustc_hash::FxHashSet<(ImpliedKey<'_>, &'static str)> = active
        .iter()
        .chain(suppressed.iter().map(|s| &s.finding))
        .filter(|f| implying.contains(&f.rule.id))
        .filter_map(|f| Some((implied_key(f)?, f.rule.id)))
        .collect();
    let implied = |f: &Finding| {
        !f.rule.implied_by.is_empty()
            && implied_key(f).is_some_and(|k| {
                f.rule
                    .implied_by
                    .iter()
                    .any(|by| present.contains(&(k, *by)))
            })
    };
    let keep_active: Vec<bool> = active.iter().map(|f| !implied(f)).collect();
    let keep_suppressed: Vec<bool> = suppressed.iter().map(|s| !implied(&s.finding)).collect();
    drop(present);
    let (mut active, mut suppressed) = (active, suppressed);
    // In place, as above.
    let mut keep = keep_active.into_iter();
    active.retain(|_| keep.next().unwrap_or(true));
    let mut keep = keep_suppressed.into_iter();
    suppressed.retain(|_| keep.next().unwrap_or(true));
    (active, suppressed)
}

/// A token as findings name it: account type and name, token name, file.
type ImpliedKey<'a> = (
    Option<&'static str>,
    Option<&'a str>,
    &'a str,
    Option<FileId>,
);

fn implied_key(f: &Finding) -> Option<ImpliedKey<'_>> {
    Some((
        f.account_type.map(|t| t.as_str()),
        f.account_name.as_deref(),
        f.token.as_deref()?,
        f.location.map(|l| l.file),
    ))
}
