//! Per-rule fixtures: `tests/fixtures/<rule-id>/` holds definition files named `bad*` (each must
//! trigger the rule) and `good*` (none may), and optionally a `scopeward.toml`. Each set is
//! checked with only that rule enabled, as of 2026-11-22; the rendered diagnostics of the bad
//! set are snapshotted (no colour, fixed width). Usage logs beside them (`*.log`, `*.jsonl`,
//! `*.har`, optionally `.gz`) are given to both sets, as `--usage` would.
//!
//! Every rule's documentation has the fixed sections, and its examples do what they say: the
//! `## Example` block triggers the rule, the `Use instead:` block does not — run by the same
//! harness.

use std::path::Path;

use scopeward::catalogue::Catalogues;
use scopeward::engine::{CheckOptions, check_texts_with};
use scopeward::finding::{Needs, RuleMeta, Severity};
use scopeward::live::{Listing, LiveInput};
use scopeward::model::Day;
use scopeward::output::{RenderOptions, human};
use scopeward::policy::Policy;
use scopeward::report::Report;
use scopeward::rules::REGISTRY;
use scopeward::scan::{ReportOptions, ScanOptions, into_report, scan_paths};
use scopeward::source::{SourceFile, SourceMap};
use scopeward::usage::Usage;

/// Whether a fixture file is a usage log.
fn is_log(name: &str) -> bool {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    [".log", ".jsonl", ".har"].iter().any(|e| name.ends_with(e))
}

const LISTING: &str = "listing.json";

/// The evidence beside the definitions of one focused run.
#[derive(Default)]
struct Evidence<'a> {
    /// `scopeward.toml`.
    policy: Option<&'a str>,
    /// A live listing, named `listing.json`.
    listing: Option<&'a str>,
    /// Usage logs, by name, given as `--usage` would.
    logs: Vec<(&'a str, &'a [u8])>,
}

/// Checks definition documents with only rule `id` enabled (and what it judges), as of
/// 2026-11-22, and keeps only that rule's findings. The one harness of the fixtures and of the
/// rules' documented examples.
fn check_focused(id: &'static str, docs: &[(&str, &str)], ev: &Evidence<'_>) -> Report {
    let mut sources = SourceMap::new();
    let mut policy = match ev.policy {
        Some(text) => {
            let fid = sources.add(SourceFile::new("scopeward.toml", None, text));
            Policy::parse(fid, text, &scopeward::rules::Registry)
                .unwrap_or_else(|e| panic!("{id}: invalid scopeward.toml: {e:?}"))
        }
        None => Policy::default(),
    };
    policy.focus(&scopeward::rules::Registry, id);
    let catalogues = Catalogues::builtin();
    let mut options = CheckOptions::new(as_of());
    if let Some(text) = ev.listing {
        let fid = sources.add(SourceFile::new(LISTING, None, text));
        let listing = Listing::parse(fid, text, &catalogues)
            .unwrap_or_else(|e| panic!("{id}: invalid {LISTING}: {e:?}"));
        options.live = Some(std::sync::Arc::new(LiveInput::new(listing, fid)));
    }
    if !ev.logs.is_empty() {
        let (mut usage, errors) = Usage::from_bytes(&ev.logs, &catalogues);
        assert!(
            errors.is_empty(),
            "{id}: usage logs do not read: {errors:?}"
        );
        assert!(
            usage.requests() > 0,
            "{id}: the usage logs have no impact.com request"
        );
        usage.place(&mut sources);
        options.usage = Some(std::sync::Arc::new(usage));
    }
    let mut report = check_texts_with(docs, sources, &policy, &catalogues, &options);
    assert!(
        report.errors.is_empty(),
        "{id}: input errors: {:?}",
        report.errors
    );
    report.findings.retain(|f| f.rule.id == id);
    report
}

/// Scans files with only rule `id` enabled, as `scopeward scan FILE…` would.
fn scan_focused(id: &'static str, dir: &Path, names: &[String]) -> Report {
    let mut policy = Policy::default();
    policy.focus(&scopeward::rules::Registry, id);
    let paths: Vec<std::path::PathBuf> = names.iter().map(Into::into).collect();
    let result = scan_paths(&paths, dir, &ScanOptions::default());
    assert!(result.failures.is_empty(), "{id}: {:?}", result.failures);
    let mut report = into_report(
        result,
        SourceMap::new(),
        &policy,
        &ReportOptions {
            as_of: as_of(),
            apply_ignores: true,
            baseline: None,
        },
    );
    report.findings.retain(|f| f.rule.id == id);
    report
}

fn as_of() -> Day {
    Day::parse("2026-11-22").unwrap()
}

/// The fixture files of `dir` whose names start with `prefix`, and the rule's findings on them.
fn run(id: &'static str, dir: &Path, prefix: &str) -> (Report, Vec<String>) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix) && n != "scopeward.toml" && n != LISTING && !is_log(n))
        .collect();
    names.sort();
    if scopeward::rules::find(id).is_some_and(|r| r.meta().needs == Needs::Scan) {
        assert!(
            !dir.join("scopeward.toml").exists(),
            "{id}: scan fixtures take no policy"
        );
        return (scan_focused(id, dir, &names), names);
    }
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    let texts: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), read(&dir.join(n))))
        .collect();
    let docs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let policy = dir
        .join("scopeward.toml")
        .exists()
        .then(|| read(&dir.join("scopeward.toml")));
    let listing = dir.join(LISTING).exists().then(|| read(&dir.join(LISTING)));
    let mut logs: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| is_log(&p.file_name().unwrap().to_string_lossy()))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    logs.sort();
    let ev = Evidence {
        policy: policy.as_deref(),
        listing: listing.as_deref(),
        logs: logs.iter().map(|(n, b)| (n.as_str(), &b[..])).collect(),
    };
    (check_focused(id, &docs, &ev), names)
}

#[test]
fn every_rule_has_fixtures_that_behave() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let opts = RenderOptions {
        color: false,
        width: 100,
        quiet: false,
        fail_on: Severity::Info,
    };
    for rule in REGISTRY {
        let id = rule.meta().id;
        let dir = root.join(id);
        assert!(
            dir.is_dir(),
            "no fixtures for {id}: add tests/fixtures/{id}/"
        );

        let (bad, names) = run(id, &dir, "bad");
        assert!(!names.is_empty(), "{id}: no bad* fixture");
        for name in &names {
            // A finding located in the file, or pointing into it ("first declared here"); for
            // a token the file does not declare, into the listing.
            let in_file = |s: &scopeward::source::Span| {
                let shown = &bad.sources.get(s.file).display;
                shown == name || (id == "unmanaged-token" && (shown == LISTING || is_log(shown)))
            };
            let hits = bad
                .findings
                .iter()
                .filter(|f| {
                    f.location.as_ref().is_some_and(in_file)
                        || f.related.iter().any(|r| in_file(&r.0))
                })
                .count();
            assert!(hits > 0, "{id}: {name} does not trigger the rule");
        }
        let (good, names) = run(id, &dir, "good");
        assert!(!names.is_empty(), "{id}: no good* fixture");
        let messages: Vec<&str> = good.findings.iter().map(|f| f.message.as_str()).collect();
        assert!(
            messages.is_empty(),
            "{id}: good fixtures trigger it: {messages:?}"
        );

        let rendered = human::render(&bad, &opts);
        insta::with_settings!({snapshot_path => "snapshots/fixtures", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(id, rendered);
        });
    }
}

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

struct DocExamples {
    policy: Option<String>,
    /// A usage log (a `log` block under `## Example`), given to both examples.
    log: Option<String>,
    bad: String,
    good: String,
    /// A live listing (a `json` block) the examples are audited against; `Use instead:` may
    /// bring its own.
    listing: Option<String>,
    good_listing: Option<String>,
}

fn examples(doc: &str) -> Result<DocExamples, String> {
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
    policy: Option<&str>,
    log: Option<&str>,
    yaml: &str,
    listing: Option<&str>,
) -> Vec<String> {
    let ev = Evidence {
        policy,
        listing,
        logs: log
            .map(|l| ("usage.log", l.as_bytes()))
            .into_iter()
            .collect(),
    };
    check_focused(id, &[("example.yaml", yaml)], &ev)
        .findings
        .iter()
        .map(|f| f.message.clone())
        .collect()
}

#[test]
fn every_rule_documents_itself_and_its_examples_hold() {
    for rule in REGISTRY {
        let meta = rule.meta();
        if meta.needs == Needs::Scan {
            scan_examples_hold(meta);
            continue;
        }
        let ex = examples(meta.doc).unwrap_or_else(|e| panic!("{}: {e}", meta.id));
        assert_eq!(
            ex.listing.is_some(),
            matches!(meta.needs, Needs::Live | Needs::LiveOrUsage),
            "{}: a listing example exactly when the rule needs one",
            meta.id
        );
        assert!(
            ex.log.is_some() || meta.needs != Needs::Usage,
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
                offline.is_empty() || meta.needs != Needs::Usage,
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
fn scan_examples_hold(meta: &RuleMeta) {
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
        scopeward::scan::detect::scan(text.as_bytes())
            .into_iter()
            .filter(|h| h.evidence != scopeward::scan::Evidence::BareSid)
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
            !scopeward::rules::PLANNED.iter().any(|p| p.0 == id),
            "{id} is both planned and registered"
        );
    }
}
