//! Every rule's documentation has the fixed sections, and its examples do what they say: the
//! `## Example` block triggers the rule, the `Use instead:` block does not.

use crate::catalogue::Catalogues;
use crate::engine::{CheckOptions, check_texts_with};
use crate::live::{Listing, LiveInput};
use crate::model::Day;
use crate::policy::Policy;
use crate::source::{FileId, SourceFile, SourceMap};
use crate::usage::Usage;

use super::REGISTRY;

/// The fenced blocks of a markdown text: `(language, body)`.
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let line = line.strip_prefix(' ').unwrap_or(line);
        if let Some(lang) = line.strip_prefix("```") {
            match current.take() {
                Some(block) => out.push(block),
                None => current = Some((lang.trim().to_string(), String::new())),
            }
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

pub(crate) struct DocExamples {
    pub policy: Option<String>,
    /// A usage log (a `log` block under `## Example`), given to both examples.
    pub log: Option<String>,
    pub bad: String,
    pub good: String,
    /// A live listing (a `json` block) the examples are audited against; `Use instead:` may
    /// bring its own.
    pub listing: Option<String>,
    pub good_listing: Option<String>,
}

pub(crate) fn examples(doc: &str) -> Result<DocExamples, String> {
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "Use instead:",
    ] {
        if !doc.contains(section) {
            return Err(format!("missing section `{section}`"));
        }
    }
    let example_at = doc.find("## Example").unwrap();
    let instead_at = doc.find("Use instead:").unwrap();
    if instead_at < example_at {
        return Err("`Use instead:` comes before `## Example`".into());
    }
    let example = blocks(&doc[example_at..instead_at]);
    let instead = blocks(&doc[instead_at..]);
    let policy = example
        .iter()
        .find(|(l, _)| l == "toml")
        .map(|(_, b)| b.clone());
    let log = example
        .iter()
        .find(|(l, _)| l == "log")
        .map(|(_, b)| b.clone());
    let bad = example
        .iter()
        .find(|(l, _)| l == "yaml")
        .ok_or("no yaml block under `## Example`")?
        .1
        .clone();
    let good = instead
        .iter()
        .find(|(l, _)| l == "yaml")
        .ok_or("no yaml block after `Use instead:`")?
        .1
        .clone();
    let json = |blocks: &[(String, String)]| {
        blocks
            .iter()
            .find(|(l, _)| l == "json")
            .map(|(_, b)| b.clone())
    };
    let listing = json(&example);
    let good_listing = json(&instead).or_else(|| listing.clone());
    Ok(DocExamples {
        policy,
        log,
        bad,
        good,
        listing,
        good_listing,
    })
}

fn run_example(
    id: &'static str,
    policy_text: Option<&str>,
    log: Option<&str>,
    yaml: &str,
    listing: Option<&str>,
) -> Vec<String> {
    let mut sources = SourceMap::new();
    let mut policy = match policy_text {
        Some(text) => {
            let id = sources.add(SourceFile::new("scopeward.toml", None, text));
            Policy::parse(id, text).unwrap_or_else(|e| panic!("policy of {id:?} is invalid: {e:?}"))
        }
        None => Policy::default(),
    };
    policy.focus(id);
    let catalogues = Catalogues::builtin();
    let mut options = CheckOptions::new(Day::parse("2026-11-22").unwrap());
    if let Some(text) = listing {
        let file = sources.add(SourceFile::new("listing.json", None, text));
        let parsed = Listing::parse(file, text, &catalogues)
            .unwrap_or_else(|e| panic!("{id}: the example listing is invalid: {e:?}"));
        options.live = Some(std::sync::Arc::new(LiveInput::new(parsed, file)));
    }
    if let Some(log) = log {
        let (mut usage, errors) = Usage::from_bytes(&[("usage.log", log.as_bytes())], &catalogues);
        assert!(
            errors.is_empty(),
            "{id}: the example log does not read: {errors:?}"
        );
        assert!(
            usage.requests() > 0,
            "{id}: the example log has no impact.com request"
        );
        usage.place(&mut sources);
        options.usage = Some(std::sync::Arc::new(usage));
    }
    let report = check_texts_with(
        &[("example.yaml", yaml)],
        sources,
        &policy,
        &catalogues,
        &options,
    );
    assert!(
        report.errors.is_empty(),
        "{id}: example does not load: {:?}",
        report.errors
    );
    report
        .findings
        .iter()
        .filter(|f| f.rule.id == id)
        .map(|f| f.message.clone())
        .collect()
}

#[test]
fn every_rule_documents_itself_and_its_examples_hold() {
    let _ = FileId(0);
    for rule in REGISTRY {
        let meta = rule.meta();
        if meta.needs == crate::finding::Needs::Scan {
            scan_examples_hold(meta);
            continue;
        }
        let ex = examples(meta.doc).unwrap_or_else(|e| panic!("{}: {e}", meta.id));
        assert_eq!(
            ex.listing.is_some(),
            matches!(
                meta.needs,
                crate::finding::Needs::Live | crate::finding::Needs::LiveOrUsage
            ),
            "{}: a listing example exactly when the rule needs one",
            meta.id
        );
        assert!(
            ex.log.is_some() || meta.needs != crate::finding::Needs::Usage,
            "{}: a rule that needs usage logs needs a `log` block in its Example",
            meta.id
        );
        let bad = run_example(
            meta.id,
            ex.policy.as_deref(),
            ex.log.as_deref(),
            &ex.bad,
            ex.listing.as_deref(),
        );
        assert!(
            !bad.is_empty(),
            "{}: the Example does not trigger the rule",
            meta.id
        );
        if ex.log.is_some() {
            let offline = run_example(meta.id, ex.policy.as_deref(), None, &ex.bad, None);
            assert!(
                offline.is_empty() || meta.needs != crate::finding::Needs::Usage,
                "{}: runs without usage logs: {offline:?}",
                meta.id
            );
        }
        let good = run_example(
            meta.id,
            ex.policy.as_deref(),
            ex.log.as_deref(),
            &ex.good,
            ex.good_listing.as_deref(),
        );
        assert!(
            good.is_empty(),
            "{}: `Use instead` triggers it: {good:?}",
            meta.id
        );
    }
}

/// A `scan` rule's examples are files of any kind: the Example's first block must give an error
/// finding, the `Use instead:` block none.
fn scan_examples_hold(meta: &super::RuleMeta) {
    let doc = meta.doc;
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "Use instead:",
    ] {
        assert!(doc.contains(section), "{}: missing `{section}`", meta.id);
    }
    let example_at = doc.find("## Example").unwrap();
    let instead_at = doc.find("Use instead:").unwrap();
    let first = |text: &str| {
        blocks(text)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{}: a section without a code block", meta.id))
            .1
    };
    let credentials = |text: String| {
        crate::scan::detect::scan(text.as_bytes())
            .into_iter()
            .filter(|h| h.evidence != crate::scan::Evidence::BareSid)
            .count()
    };
    assert!(
        credentials(first(&doc[example_at..instead_at])) > 0,
        "{}: the Example does not trigger the rule",
        meta.id
    );
    assert_eq!(
        credentials(first(&doc[instead_at..])),
        0,
        "{}: `Use instead` triggers it",
        meta.id
    );
}

#[test]
fn ids_are_unique_kebab_case() {
    let mut seen = std::collections::HashSet::new();
    for rule in REGISTRY {
        let id = rule.meta().id;
        assert!(seen.insert(id), "duplicate rule id {id}");
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !id.starts_with('-'),
            "{id} is not kebab-case"
        );
        assert!(
            !super::PLANNED.iter().any(|p| p.0 == id),
            "{id} is both planned and registered"
        );
    }
}
