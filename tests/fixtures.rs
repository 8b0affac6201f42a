//! Per-rule fixtures: `tests/fixtures/<rule-id>/` holds definition files named `bad*` (each must
//! trigger the rule) and `good*` (none may), and optionally a `scopeward.toml`. Each set is
//! checked with only that rule enabled, as of 2026-11-22; the rendered diagnostics of the bad
//! set are snapshotted (no colour, fixed width). Usage logs beside them (`*.log`, `*.jsonl`,
//! `*.har`, optionally `.gz`) are given to both sets, as `--usage` would.

use std::path::Path;

use scopeward::catalogue::Catalogues;
use scopeward::engine::{CheckOptions, check_texts_with};
use scopeward::finding::{Needs, Severity};
use scopeward::live::{Listing, LiveInput};
use scopeward::model::Day;
use scopeward::output::{RenderOptions, human};
use scopeward::policy::Policy;
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

fn run(id: &'static str, dir: &Path, prefix: &str) -> (scopeward::report::Report, Vec<String>) {
    let mut sources = SourceMap::new();
    let policy_path = dir.join("scopeward.toml");
    let mut policy = if policy_path.exists() {
        let text = std::fs::read_to_string(&policy_path).unwrap();
        let fid = sources.add(SourceFile::new("scopeward.toml", None, text.clone()));
        Policy::parse(fid, &text).unwrap_or_else(|e| panic!("{id}: invalid scopeward.toml: {e:?}"))
    } else {
        Policy::default()
    };
    policy.focus(id);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix) && n != "scopeward.toml" && n != LISTING && !is_log(n))
        .collect();
    names.sort();
    if scopeward::rules::find(id).is_some_and(|r| r.meta().needs == Needs::Scan) {
        // Files of any kind, scanned as `scopeward scan FILE…` would.
        let paths: Vec<std::path::PathBuf> = names.iter().map(Into::into).collect();
        let result = scan_paths(&paths, dir, &ScanOptions::default());
        assert!(result.failures.is_empty(), "{id}: {:?}", result.failures);
        let mut report = into_report(
            result,
            sources,
            &policy,
            &ReportOptions {
                as_of: Day::parse("2026-11-22").unwrap(),
                apply_ignores: true,
                baseline: None,
            },
        );
        report.findings.retain(|f| f.rule.id == id);
        return (report, names);
    }
    let texts: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), std::fs::read_to_string(dir.join(n)).unwrap()))
        .collect();
    let docs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let catalogues = Catalogues::builtin();
    let mut options = CheckOptions::new(Day::parse("2026-11-22").unwrap());
    // Rules that need a live listing read `listing.json` beside the fixtures.
    let listing_path = dir.join(LISTING);
    if listing_path.exists() {
        let text = std::fs::read_to_string(&listing_path).unwrap();
        let fid = sources.add(SourceFile::new(LISTING, None, text.clone()));
        let listing = Listing::parse(fid, &text, &catalogues)
            .unwrap_or_else(|e| panic!("{id}: invalid {LISTING}: {e:?}"));
        options.live = Some(std::sync::Arc::new(LiveInput::new(listing, fid)));
    }
    let mut logs: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| is_log(&p.file_name().unwrap().to_string_lossy()))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    if !logs.is_empty() {
        logs.sort();
        let inputs: Vec<(&str, &[u8])> = logs.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
        let (mut usage, errors) = Usage::from_bytes(&inputs, &catalogues);
        assert!(
            errors.is_empty(),
            "{id}: usage logs do not read: {errors:?}"
        );
        usage.place(&mut sources);
        options.usage = Some(std::sync::Arc::new(usage));
    }
    let mut report = check_texts_with(&docs, sources, &policy, &catalogues, &options);
    assert!(
        report.errors.is_empty(),
        "{id}/{prefix}*: input errors: {:?}",
        report.errors
    );
    report.findings.retain(|f| f.rule.id == id);
    (report, names)
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
