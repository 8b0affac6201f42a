//! A security engineer's first hour in a real repository: the right files are found (and the
//! wrong ones skipped), the policy is found from the paths checked and may extend an org-wide
//! base, each problem is said once, and the team's setup (baselines, selections, expiring
//! ignores) works without extra flags.

use std::path::Path;

mod common;
use common::{AS_OF, Out, bare, run};

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn sw_in(dir: &Path, args: &[&str]) -> Out {
    let mut cmd = bare();
    cmd.current_dir(dir)
        .env_remove("SCOPEWARD_CONFIG")
        .args(args)
        .args(["--as-of", AS_OF]);
    run(cmd)
}

fn rules_of(out: &Out) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A clean token but for what the test adds.
const CLEAN_TOKEN: &str = "    description: Sends orders\n    environment: production\n    api_version: \"14\"\n    primary_contact: ops@acme.example\n    created: 2026-06-01\n    last_used: 2026-11-20\n    last_reset: 2026-06-01\n";

/// A monorepo: definitions in `tokens/` and `impact/`, next to design tokens, tokenizer files,
/// JSON Schemas and test fixtures; a repository policy that extends an org-wide base.
fn monorepo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "org/scopeward-base.toml",
        "[environments.development]\ndeny = [\"*:write\"]\n[environments.production]\n\n[rules.unused-token]\ndays = 30\n\n[[ignore]]\nrule = \"missing-description\"\ntoken = \"legacy-export\"\nreason = \"documented in the runbook\"\n",
    );
    write(
        d,
        "repo/scopeward.toml",
        "extend = \"../org/scopeward-base.toml\"\nexclude = [\"**/fixtures/**\"]\n\n[rules.rotation-overdue]\nseverity = \"off\"\n",
    );
    write(
        d,
        "repo/tokens/acme.yaml",
        &format!(
            "account: {{type: brand, name: Acme}}\ntokens:\n  - name: orders-prod\n{CLEAN_TOKEN}    scopes: [conversions:write]\n  - name: everything-dev\n    description: x\n    environment: development\n    primary_contact: ops@acme.example\n    api_version: \"14\"\n    created: 2026-06-01\n    last_used: 2026-11-20\n    scopes: [ads:write]\n"
        ),
    );
    write(
        d,
        "repo/impact/partner.toml",
        "[account]\ntype = \"partner\"\n\n[[tokens]]\nname = \"legacy-export\"\nenvironment = \"production\"\nprimary_contact = \"ops@acme.example\"\napi_version = \"16\"\ncreated = 2026-06-01\nlast_used = 2026-11-20\nscopes = [\"deals:read\"]\n",
    );
    write(
        d,
        "repo/web/design-tokens.json",
        r##"{"color": {"primary": {"value": "#0af"}}}"##,
    );
    write(
        d,
        "repo/ml/tokenizer/special_tokens_map.json",
        r#"{"bos_token": "<s>", "eos_token": "</s>"}"#,
    );
    write(
        d,
        "repo/schemas/tokens.schema.json",
        r#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}"#,
    );
    write(
        d,
        "repo/tests/fixtures/bad-tokens.yaml",
        "account: {type: brand}\ntokens:\n  - name: x\n    scopes: [\"*\"]\n",
    );
    write(d, "repo/impact/README.yaml", "title: not tokens\n");
    dir
}

#[test]
fn a_monorepo_checks_exactly_its_definitions() {
    let repo = monorepo();
    let out = sw_in(&repo.path().join("repo"), &["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let doc = out.json();
    assert_eq!(doc["summary"]["files"], 2, "{doc:#}");
    assert!(
        doc["errors"].as_array().is_none_or(|e| e.is_empty()),
        "{doc:#}"
    );
    assert_eq!(
        rules_of(&out),
        vec![
            // The base policy's deny of writes in development.
            ("environment-scope-denied".into(), "tokens/acme.yaml".into()),
        ],
        "{doc:#}"
    );
    // Four files matched the globs and are not definitions: one line says so.
    assert!(out.stderr.contains("skipped 4 files"), "{}", out.stderr);
    // The base's ignore applied (suppressed, not gone).
    assert_eq!(doc["summary"]["suppressed"], 1, "{doc:#}");
}

#[test]
fn the_policy_is_found_from_the_paths_checked() {
    let repo = monorepo();
    // Run from the parent of the repository, on its tokens folder: the repository's policy
    // (and its base) apply.
    let out = sw_in(repo.path(), &["check", "repo/tokens", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        rules_of(&out)
            .iter()
            .any(|(r, _)| r == "environment-scope-denied"),
        "{}",
        out.stdout
    );
    // --no-config: the defaults (no deny), whatever is found.
    let out = sw_in(
        repo.path(),
        &["check", "repo/tokens", "--no-config", "--format", "json"],
    );
    assert!(
        !rules_of(&out)
            .iter()
            .any(|(r, _)| r == "environment-scope-denied"),
        "{}",
        out.stdout
    );
    // SCOPEWARD_CONFIG names one.
    write(
        repo.path(),
        "strict.toml",
        "[environments.production]\ndeny = [\"*:write\"]\n",
    );
    let mut cmd = bare();
    cmd.current_dir(repo.path())
        .env("SCOPEWARD_CONFIG", "strict.toml")
        .args(["check", "repo/tokens", "--format", "json", "--as-of", AS_OF]);
    let out = run(cmd);
    let denied: Vec<_> = rules_of(&out)
        .into_iter()
        .filter(|(r, _)| r == "environment-scope-denied")
        .collect();
    assert_eq!(denied.len(), 1, "production writes denied: {}", out.stdout);
}

#[test]
fn extend_cycles_and_missing_bases_are_errors_at_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "acme-tokens.yaml",
        "account: {type: brand}\ntokens: []\n",
    );
    write(d, "scopeward.toml", "extend = \"base.toml\"\n");
    write(d, "base.toml", "extend = \"scopeward.toml\"\n");
    let out = sw_in(d, &["check", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.all().contains("cycle"), "{}", out.all());
    write(d, "scopeward.toml", "extend = \"nowhere.toml\"\n");
    let out = sw_in(d, &["check", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.all().contains("scopeward.toml:1:10"), "{}", out.all());
}

#[test]
fn the_policy_baseline_is_used_without_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "acme-tokens.yaml",
        "account: {type: brand}\ntokens:\n  - name: x\n    scopes: [\"*\"]\n",
    );
    let out = sw_in(d, &["check", "--write-baseline", "baseline.json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    // Without the key, the findings are back.
    assert_eq!(sw_in(d, &["check"]).code, 1);
    write(d, "scopeward.toml", "baseline = \"baseline.json\"\n");
    let out = sw_in(d, &["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.json()["summary"]["suppressed"].as_u64().unwrap() > 0);
    // A baseline the policy names must exist: fail closed.
    write(d, "scopeward.toml", "baseline = \"missing.json\"\n");
    assert_eq!(sw_in(d, &["check"]).code, 2);
}

#[test]
fn every_unknown_key_is_reported_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "acme-tokens.yaml",
        "account: {type: brand, nmae: Acme}\ntokens:\n  - nmae: x\n    enviroment: production\n    scops: [ads:read]\n    descripton: y\n",
    );
    let out = sw_in(dir.path(), &["check", ".", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.all());
    let messages: Vec<String> = out.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    for key in ["nmae", "enviroment", "scops", "descripton"] {
        assert!(
            messages.contains(&format!("unknown key `{key}`")),
            "{key}: {messages:?}"
        );
    }
    // `name` is missing only because it is misspelled: said once, as the typo.
    assert!(
        !messages
            .iter()
            .any(|m| m.contains("missing required key `name`")),
        "{messages:?}"
    );
}

#[test]
fn select_and_disable_take_rule_ids_only() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "acme-tokens.yaml",
        "account: {type: brand}\ntokens:\n  - name: x\n    scopes: [\"*\"]\n",
    );
    let out = sw_in(
        dir.path(),
        &["check", "--select", "full-access", "--format", "json"],
    );
    assert_eq!(out.code, 1);
    assert!(
        rules_of(&out).iter().all(|(r, _)| r == "full-access"),
        "{}",
        out.stdout
    );
    let out = sw_in(
        dir.path(),
        &[
            "check",
            "--disable",
            "full-access,missing-description",
            "--format",
            "json",
        ],
    );
    assert!(
        !rules_of(&out)
            .iter()
            .any(|(r, _)| r == "full-access" || r == "missing-description"),
        "{}",
        out.stdout
    );
    let out = sw_in(dir.path(), &["check", "--select", "full-acess"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("did you mean `full-access`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn inline_ignores_expire() {
    let dir = tempfile::tempdir().unwrap();
    let token = |expires: &str| {
        format!(
            "account: {{type: brand}}\ntokens:\n  # scopeward: ignore[full-access] migrating expires={expires}\n  - name: x\n{CLEAN_TOKEN}    scopes: [\"*\"]\n"
        )
    };
    write(dir.path(), "acme-tokens.yaml", &token("2027-01-31"));
    let out = sw_in(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    write(dir.path(), "acme-tokens.yaml", &token("2026-11-01"));
    let out = sw_in(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    // The expired directive is not also reported as unused.
    assert!(
        !rules_of(&out).iter().any(|(r, _)| r == "unused-ignore"),
        "{}",
        out.stdout
    );
    // The finding points at the directive that let it go.
    let out = sw_in(dir.path(), &["check"]);
    assert!(
        out.stdout
            .contains("an ignore for this expired on 2026-11-01"),
        "{}",
        out.stdout
    );
}

#[test]
fn implied_findings_are_said_once_and_ignores_of_them_still_count() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "acme-tokens.yaml",
        &format!(
            "account: {{type: brand}}\ntokens:\n  # scopeward: ignore[legacy-token, full-access] migrating in Q1\n  - name: erp\n{CLEAN_TOKEN}    legacy: read-write\n  - name: all\n{CLEAN_TOKEN}    scopes: [\"*\"]\n"
        ),
    );
    let out = sw_in(dir.path(), &["check", "--format", "json"]);
    let rules: Vec<String> = rules_of(&out).into_iter().map(|(r, _)| r).collect();
    // `all` holds everything: full-access, not also sensitive-write.
    assert_eq!(rules, ["full-access"], "{}", out.stdout);
    assert!(!rules.contains(&"unused-ignore".to_string()));
}

#[test]
fn prose_that_quotes_a_directive_is_not_one() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "docs/rules.md",
        "Silence a finding with `# scopeward: ignore[rule-id, …] reason`.\n\nIMPACT_ACCOUNT_SID=IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1\nIMPACT_AUTH_TOKEN=Fk2Lm9Qz7Xc4Vb1Nw8Ep5Rt3Yu6Io0As\n",
    );
    let out = sw_in(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(out.code, 1, "a finding, not an input error: {}", out.all());
    let doc = out.json();
    assert!(
        doc["errors"].as_array().is_none_or(|e| e.is_empty()),
        "{doc:#}"
    );
    assert!(
        !rules_of(&out).iter().any(|(r, _)| r == "unused-ignore"),
        "{doc:#}"
    );
}

#[test]
fn explain_invalid_input_explains_it() {
    let out = sw_in(Path::new("."), &["explain", "invalid-input"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("Not a rule"), "{}", out.stdout);
    assert!(!out.all().contains("did you mean"), "{}", out.all());
}
