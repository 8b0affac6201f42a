//! Suppressions and baselines through the real binary: inline and configured ignores, expiry,
//! `unused-ignore`, `--no-ignores`, and adopting scopeward with `--write-baseline`.

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::{AS_OF, bare, run};

const TOKENS: &str = "\
account:
  type: brand
  name: Acme
tokens:
  - name: old-reporting
    description: Legacy reporting
    environment: production
    primary_contact: ops@acme.example
    legacy: read-only
  - name: orders
    description: Orders
    environment: production
    primary_contact: ops@acme.example
    scopes: [conversions:write, programs:read]
";

fn check(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut cmd = bare();
    cmd.current_dir(dir)
        .args(["check", ".", "--format", "json", "--as-of", AS_OF])
        .args(extra);
    let out = run(cmd);
    (out.code, out.json())
}

fn rules(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["rule"].as_str().unwrap(),
                f["token"].as_str().unwrap_or("")
            )
        })
        .collect();
    v.sort();
    v
}

fn setup(policy: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acme-tokens.yaml"), TOKENS).unwrap();
    std::fs::write(dir.path().join("scopeward.toml"), policy).unwrap();
    dir
}

#[test]
fn configured_ignores_match_by_rule_token_path_and_scope() {
    let dir = setup(
        "[[ignore]]\nrule = \"legacy-token\"\ntoken = \"old-reporting\"\nreason = \"Migrating in Q1\"\n\n\
         [[ignore]]\nrule = \"unknown-scope\"\npath = \"*-tokens.yaml\"\nscope = \"programs:*\"\nreason = \"UI name\"\n",
    );
    let (code, all) = check(dir.path(), &["--no-ignores"]);
    assert_eq!(code, 1);
    let before = rules(&all);
    assert!(before.contains(&"legacy-token:old-reporting".to_string()));
    assert!(before.contains(&"unknown-scope:orders".to_string()));
    assert_eq!(all["summary"]["suppressed"], 0);

    let (_, doc) = check(dir.path(), &[]);
    let after = rules(&doc);
    assert!(
        !after.contains(&"legacy-token:old-reporting".to_string()),
        "{after:?}"
    );
    assert!(
        !after.contains(&"unknown-scope:orders".to_string()),
        "{after:?}"
    );
    assert_eq!(doc["summary"]["suppressed"], 2);
    assert_eq!(after.len() + 2, before.len());
    assert!(!after.iter().any(|r| r.starts_with("unused-ignore")));
}

#[test]
fn an_expired_ignore_lets_the_finding_return_with_a_note() {
    let dir = setup(
        "[[ignore]]\nrule = \"legacy-token\"\nreason = \"Migrating\"\nexpires = 2026-01-31\n",
    );
    let (_, doc) = check(dir.path(), &[]);
    assert!(rules(&doc).contains(&"legacy-token:old-reporting".to_string()));
    assert_eq!(doc["summary"]["suppressed"], 0);
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .args(["check", ".", "--as-of", AS_OF]);
    let human = run(cmd).stdout;
    assert!(
        human.contains("an ignore for this expired on 2026-01-31"),
        "{human}"
    );
    // Before it expires, it silences.
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .args(["check", ".", "--format", "json", "--as-of", "2026-01-01"]);
    let doc = run(cmd).json();
    assert!(!rules(&doc).contains(&"legacy-token:old-reporting".to_string()));
}

#[test]
fn unused_configured_ignores_point_into_the_policy() {
    let dir = setup(
        "[[ignore]]\nrule = \"full-access\"\ntoken = \"orders\"\nreason = \"Never needed\"\n",
    );
    let (_, doc) = check(dir.path(), &[]);
    let unused: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unused-ignore")
        .collect();
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0]["location"]["path"], "scopeward.toml");
    assert_eq!(unused[0]["location"]["line"], 2);
    // `--no-ignores` judges nothing.
    let (_, doc) = check(dir.path(), &["--no-ignores"]);
    assert!(!rules(&doc).iter().any(|r| r.starts_with("unused-ignore")));
}

#[test]
fn adopting_with_a_baseline_fails_only_on_new_findings() {
    let dir = setup("");
    let baseline = dir.path().join("scopeward-baseline.json");
    let (code, doc) = check(
        dir.path(),
        &["--write-baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{doc}");
    let accepted = doc["summary"]["suppressed"].as_u64().unwrap();
    // legacy-token and broad-access (old-reporting), unknown-scope (orders).
    assert_eq!(accepted, 3, "{doc}");
    assert!(doc["findings"].as_array().unwrap().is_empty());
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(
        written["entries"].as_array().unwrap().len() as u64,
        accepted
    );
    assert!(
        !std::fs::read_to_string(&baseline)
            .unwrap()
            .contains("\"line\"")
    );

    // Reformatted and reordered: nothing is new.
    let moved = "account: {type: brand, name: Acme}\ntokens:\n- {name: orders, description: Orders, environment: production, primary_contact: ops@acme.example, scopes: [conversions:write, programs:read]}\n- name: old-reporting\n  legacy: read-only\n  primary_contact: ops@acme.example\n  environment: production\n  description: Legacy reporting\n";
    std::fs::write(dir.path().join("acme-tokens.yaml"), moved).unwrap();
    let (code, doc) = check(dir.path(), &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 0, "{doc}");
    assert!(doc["findings"].as_array().unwrap().is_empty(), "{doc}");

    // A new token with a finding fails; a fixed one is counted.
    let changed = format!("{TOKENS}  - name: everything\n    description: x\n    environment: production\n    primary_contact: ops@acme.example\n    scopes: [\"*\"]\n")
        .replace("legacy: read-only", "scopes: [reports:read]");
    std::fs::write(dir.path().join("acme-tokens.yaml"), changed).unwrap();
    let (code, doc) = check(dir.path(), &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 1);
    let new = rules(&doc);
    assert!(
        new.contains(&"full-access:everything".to_string()),
        "{new:?}"
    );
    assert!(new.iter().all(|r| r.ends_with(":everything")), "{new:?}");
    let mut cmd = bare();
    cmd.current_dir(dir.path()).args([
        "check",
        ".",
        "--as-of",
        AS_OF,
        "--baseline",
        baseline.to_str().unwrap(),
    ]);
    let human = run(cmd).stdout;
    assert!(
        human.contains("no longer match anything (fixed)")
            || human.contains("no longer matches anything (fixed)"),
        "{human}"
    );
}

#[test]
fn a_broken_baseline_is_a_clear_error() {
    let dir = setup("");
    std::fs::write(
        dir.path().join("b.json"),
        "{\"version\": 9, \"tool\": \"x\", \"created\": \"x\", \"entries\": []}",
    )
    .unwrap();
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .args(["check", ".", "--as-of", AS_OF, "--baseline", "b.json"]);
    let out = run(cmd);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("version 9 baseline"), "{}", out.stderr);
}
