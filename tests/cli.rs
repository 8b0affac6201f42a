//! The command line end to end: the real binary, run in temporary directories, with
//! `--as-of 2026-11-22` and no colour or environment that could change its output.
//!
//! Covers exit codes, the JSON document of SPEC §6 field by field (with locations checked
//! against the files' text), policy files (`--config`, discovery, errors), directory walking
//! (include globs, `.gitignore`, explicit files), `--output`, `--quiet`, `--color`, the
//! informational commands and fingerprint stability.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::{AS_OF, bare, run};

/// A file with one token and no findings at all.
const CLEAN: &str = "\
account:
  type: brand
  name: Acme
tokens:
  - name: orders-prod
    description: Sends orders as conversions
    environment: production
    api_version: \"14\"
    primary_contact: ops@acme.example
    created: 2026-06-01
    last_used: 2026-11-20
    last_reset: 2026-06-01
    scopes: [conversions:write, campaigns:read]
";

/// Only warnings: no description.
const WARNING_ONLY: &str = "\
account:
  type: brand
tokens:
  - name: orders-prod
    environment: production
    api_version: \"14\"
    primary_contact: ops@acme.example
    created: 2026-06-01
    last_used: 2026-11-20
    last_reset: 2026-06-01
    scopes: [ads:read]
";

/// Only an `info` finding: a disabled token kept around.
const INFO_ONLY: &str = "\
account:
  type: brand
tokens:
  - name: old-prod
    description: Retired export
    environment: production
    state: disabled
    api_version: \"14\"
    primary_contact: ops@acme.example
    created: 2026-06-01
    last_used: 2026-08-01
    last_reset: 2026-06-01
    scopes: [reports:read]
";

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The binary, run in `dir` with `args` and `--as-of 2026-11-22`.
fn sw(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = bare();
    cmd.current_dir(dir).args(args).args(["--as-of", AS_OF]);
    cmd
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn tmp() -> TempDir {
    tempfile::tempdir().unwrap()
}

/// Byte offset of a one-based line and character column (columns count characters).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    assert!(line >= 1 && column >= 1, "locations are one-based");
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let rest = &text[start..];
    let line_text = rest.split('\n').next().unwrap_or("");
    let chars = line_text.chars().count();
    assert!(
        column <= chars + 1,
        "column {column} is past the end of line {line} ({chars} characters)"
    );
    start
        + line_text
            .char_indices()
            .nth(column - 1)
            .map_or(line_text.len(), |(i, _)| i)
}

/// The text a JSON `location` covers.
fn located_text<'t>(text: &'t str, loc: &Value) -> &'t str {
    let n = |k: &str| loc[k].as_u64().unwrap_or_else(|| panic!("{k} in {loc}")) as usize;
    let start = offset_of(text, n("line"), n("column"));
    let end = offset_of(text, n("end_line"), n("end_column"));
    assert!(start <= end, "location runs backwards: {loc}");
    &text[start..end]
}

fn findings(doc: &Value) -> &Vec<Value> {
    doc["findings"].as_array().expect("findings is an array")
}

fn find<'a>(doc: &'a Value, rule: &str, token: &str) -> &'a Value {
    findings(doc)
        .iter()
        .find(|f| f["rule"] == rule && f["token"] == token)
        .unwrap_or_else(|| panic!("no {rule} finding for {token} in {doc:#}"))
}

fn rules_of(doc: &Value) -> BTreeSet<String> {
    findings(doc)
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn paths_of(doc: &Value) -> BTreeSet<String> {
    findings(doc)
        .iter()
        .filter_map(|f| f["location"]["path"].as_str().map(str::to_string))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// check examples/

#[test]
fn check_examples_exits_1_with_the_summary_line() {
    let out = run(sw(repo_root(), &["check", "examples/"]));
    assert_eq!(out.code, 1, "{}", out.all());
    let last = out.stdout.lines().last().unwrap_or("");
    // A legacy read-write token is `legacy-token`, which implies `full-access` and
    // `sensitive-write`: said once.
    assert_eq!(last, "Checked 3 files, 10 tokens: 3 errors, 16 warnings.");
    for rule in [
        "error[legacy-token]",
        "error[unknown-scope]",
        "error[shared-environment]",
        "warning[agency-credential-exposure]",
    ] {
        assert!(out.stdout.contains(rule), "{rule} missing:\n{}", out.stdout);
    }
    // Diagnostics name the file and line:column.
    assert!(
        out.stdout.contains("examples/acme-brand-tokens.yaml:40:39"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains('\u{1b}'), "no colour with NO_COLOR");
}

#[test]
fn audit_examples_against_the_shipped_listing_and_logs() {
    // The README's offline audit: a saved live listing and usage logs, no network.
    let out = run(sw(
        repo_root(),
        &[
            "audit",
            "examples/",
            "--listing",
            "examples/live-listing.json",
            "--usage",
            "examples/usage/egress-access.log",
            "--usage",
            "examples/usage/deals-feed.jsonl",
            "--format",
            "json",
        ],
    ));
    assert_eq!(out.code, 1, "{}", out.all());
    let json = out.json();
    let mut seen: Vec<(String, String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            [
                "scope-drift",
                "state-drift",
                "unmanaged-token",
                "unused-scope",
                "missing-scope",
            ]
            .contains(&f["rule"].as_str().unwrap())
        })
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["token"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    seen.dedup();
    let expect = |r: &str, t: &str, p: &str| (r.to_string(), t.to_string(), p.to_string());
    for e in [
        expect(
            "scope-drift",
            "shopify-orders-prod",
            "examples/acme-brand-tokens.yaml",
        ),
        expect(
            "state-drift",
            "deals-feed-prod",
            "examples/globex-partner-tokens.toml",
        ),
        expect(
            "unmanaged-token",
            "ops-script",
            "examples/live-listing.json",
        ),
        expect(
            "missing-scope",
            "shopify-orders-prod",
            "examples/acme-brand-tokens.yaml",
        ),
        expect(
            "unused-scope",
            "deals-feed-prod",
            "examples/globex-partner-tokens.toml",
        ),
    ] {
        assert!(seen.contains(&e), "{e:?} not in {seen:?}");
    }
}

#[test]
fn check_examples_json_matches_spec_field_for_field() {
    let out = run(sw(repo_root(), &["check", "examples/", "--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();

    assert_eq!(doc["version"], 1);
    assert_eq!(doc["tool"]["name"], "scopeward");
    assert_eq!(doc["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["as_of"], AS_OF);

    let fs = findings(&doc);
    assert_eq!(fs.len(), 19);
    let string_or_null = |v: &Value| v.is_string() || v.is_null();
    for f in fs {
        let obj = f.as_object().expect("a finding is an object");
        for key in [
            "rule",
            "severity",
            "message",
            "help",
            "token",
            "account_type",
            "environment",
            "scope",
            "location",
            "fingerprint",
        ] {
            assert!(obj.contains_key(key), "finding lacks `{key}`: {f}");
        }
        assert!(f["rule"].is_string());
        assert!(
            ["error", "warning", "info"].contains(&f["severity"].as_str().unwrap()),
            "{f}"
        );
        assert!(!f["message"].as_str().unwrap().is_empty());
        for key in ["help", "token", "account_type", "environment", "scope"] {
            assert!(string_or_null(&f[key]), "{key} in {f}");
        }
        if let Some(t) = f["account_type"].as_str() {
            assert!(["brand", "partner", "agency"].contains(&t), "{f}");
        }
        let fp = f["fingerprint"].as_str().unwrap();
        assert!(!fp.is_empty());
        let loc = f["location"]
            .as_object()
            .expect("example findings have a location");
        for key in ["path", "line", "column", "end_line", "end_column"] {
            assert!(loc.contains_key(key), "location lacks `{key}`: {f}");
        }
        assert!(loc["path"].is_string());
        for key in ["line", "column", "end_line", "end_column"] {
            assert!(loc[key].as_u64().unwrap() >= 1, "{key} is one-based: {f}");
        }
    }

    let summary = &doc["summary"];
    for key in ["files", "tokens", "error", "warning", "info", "suppressed"] {
        assert!(summary[key].is_u64(), "summary.{key}: {summary}");
    }
    assert_eq!(summary["files"], 3);
    assert_eq!(summary["tokens"], 10);
    assert_eq!(summary["error"], 3);
    assert_eq!(summary["warning"], 16);
    assert_eq!(summary["info"], 0);
    assert_eq!(summary["suppressed"], 0);
    let count = |sev: &str| fs.iter().filter(|f| f["severity"] == sev).count() as u64;
    assert_eq!(summary["error"], count("error"));
    assert_eq!(summary["warning"], count("warning"));

    let f = find(&doc, "legacy-token", "legacy-erp");
    assert_eq!(f["severity"], "error");
    assert_eq!(
        f["message"],
        "token `legacy-erp` is a legacy read-write token: it holds every brand scope"
    );
    assert_eq!(
        f["help"],
        "upgrade it to a scoped access token with only the scopes it needs, then delete the legacy pair"
    );
    assert_eq!(f["account_type"], "brand");
    assert_eq!(f["environment"], "production");
    assert_eq!(f["scope"], Value::Null);
    assert_eq!(f["location"]["path"], "examples/acme-brand-tokens.yaml");
}

#[test]
fn json_locations_point_at_the_right_text() {
    let out = run(sw(repo_root(), &["check", "examples/", "--format", "json"]));
    let doc = out.json();
    // Every location covers exactly a key or value: non-empty, no surrounding blanks.
    for f in findings(&doc) {
        let loc = &f["location"];
        let path = loc["path"].as_str().unwrap();
        let text = std::fs::read_to_string(repo_root().join(path)).unwrap();
        let covered = located_text(&text, loc);
        assert!(!covered.is_empty(), "empty location: {f}");
        assert_eq!(covered, covered.trim(), "location with blanks: {f}");
    }
    let text_of = |rule: &str, token: &str| {
        let f = find(&doc, rule, token);
        let path = f["location"]["path"].as_str().unwrap();
        let text = std::fs::read_to_string(repo_root().join(path)).unwrap();
        (located_text(&text, &f["location"]).to_string(), f.clone())
    };
    let (t, f) = text_of("unknown-scope", "dashboard-prod");
    assert_eq!(t, "programs:read");
    assert_eq!(f["scope"], "programs:read");
    assert_eq!(
        (&f["location"]["line"], &f["location"]["column"]),
        (&Value::from(40), &Value::from(39))
    );
    assert_eq!(text_of("legacy-token", "legacy-erp").0, "read-write");
    assert_eq!(
        text_of("environment-name-mismatch", "dashboard-prod").0,
        "dashboard-prod"
    );
    assert_eq!(text_of("outdated-api-version", "payouts-admin").0, "15");
    assert_eq!(text_of("unused-token", "old-reporting").0, "\"never\"");
    assert_eq!(
        text_of("agency-credential-exposure", "client-reports").0,
        "\"*:read\""
    );
    let (t, f) = text_of("shared-environment", "compliance-sync");
    assert_eq!(t, "\"compliance-sync\"");
    assert_eq!(
        f["location"]["line"], 27,
        "points at the second declaration"
    );
}

#[test]
fn json_columns_count_characters_not_bytes() {
    let dir = tmp();
    let text = "account: {type: brand, name: \"Café ☕ Ünïcode\"}\ntokens:\n  - {name: \"naïve-☕-prod\", description: \"çà et là 🎉\", environment: production, primary_contact: ops@acme.example, api_version: \"14\", created: 2026-06-01, last_used: 2026-11-20, last_reset: 2026-06-01, scopes: [ads:read, programs:read]}\n";
    write(dir.path(), "uni-tokens.yaml", text);
    let out = run(sw(
        dir.path(),
        &["check", "uni-tokens.yaml", "--format", "json"],
    ));
    assert_eq!(out.code, 1, "{}", out.all());
    let doc = out.json();
    let f = find(&doc, "unknown-scope", "naïve-☕-prod");
    let loc = &f["location"];
    let line3 = text.lines().nth(2).unwrap();
    let byte = line3.find("programs:read").unwrap();
    let column = line3[..byte].chars().count() + 1;
    assert_eq!(loc["line"], 3);
    assert_eq!(loc["column"], column as u64, "{loc}");
    assert_eq!(loc["end_line"], 3);
    assert_eq!(loc["end_column"], (column + "programs:read".len()) as u64);
    assert_eq!(located_text(text, loc), "programs:read");
}

// ---------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn exit_0_for_a_clean_file() {
    let dir = tmp();
    write(dir.path(), "clean-tokens.yaml", CLEAN);
    let out = run(sw(dir.path(), &["check", "clean-tokens.yaml"]));
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(out.stdout.trim(), "Checked 1 file, 1 token: no findings.");
    let out = run(sw(
        dir.path(),
        &["check", "clean-tokens.yaml", "--format", "json"],
    ));
    assert_eq!(out.code, 0);
    let doc = out.json();
    assert_eq!(findings(&doc).len(), 0);
    assert_eq!(doc["summary"]["files"], 1);
    assert_eq!(doc["summary"]["tokens"], 1);
}

#[test]
fn check_defaults_to_the_working_directory() {
    let dir = tmp();
    write(dir.path(), "defs/clean-tokens.yaml", CLEAN);
    write(dir.path(), "defs/warn-tokens.yaml", WARNING_ONLY);
    let out = run(sw(dir.path(), &["check", "--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.all());
    let doc = out.json();
    assert_eq!(doc["summary"]["files"], 2);
    assert_eq!(
        paths_of(&doc),
        BTreeSet::from(["defs/warn-tokens.yaml".to_string()])
    );
}

#[test]
fn fail_on_decides_between_0_and_1() {
    let dir = tmp();
    write(dir.path(), "warn-tokens.yaml", WARNING_ONLY);
    write(dir.path(), "info-tokens.yaml", INFO_ONLY);

    let out = run(sw(dir.path(), &["check", "warn-tokens.yaml"]));
    assert_eq!(out.code, 1, "warnings fail by default:\n{}", out.all());
    assert!(out.stdout.contains("warning[missing-description]"));
    assert!(out.stdout.contains("Checked 1 file, 1 token: 1 warning."));

    let out = run(sw(
        dir.path(),
        &["check", "warn-tokens.yaml", "--fail-on", "error"],
    ));
    assert_eq!(
        out.code,
        0,
        "only warnings with --fail-on error:\n{}",
        out.all()
    );
    assert!(out.stdout.contains("warning[missing-description]"));

    let out = run(sw(dir.path(), &["check", "info-tokens.yaml"]));
    assert_eq!(out.code, 0, "info does not fail by default:\n{}", out.all());
    assert!(out.stdout.contains("info[stale-disabled-token]"));
    let out = run(sw(
        dir.path(),
        &["check", "info-tokens.yaml", "--fail-on", "info"],
    ));
    assert_eq!(out.code, 1, "{}", out.all());

    let out = run(sw(
        dir.path(),
        &["check", "info-tokens.yaml", "--format", "json"],
    ));
    let doc = out.json();
    assert_eq!(doc["summary"]["info"], 1);
    assert_eq!(
        find(&doc, "stale-disabled-token", "old-prod")["severity"],
        "info"
    );
}

#[test]
fn exit_2_for_bad_input_and_the_rest_is_still_checked() {
    let dir = tmp();
    write(dir.path(), "warn-tokens.yaml", WARNING_ONLY);
    write(
        dir.path(),
        "broken-tokens.yaml",
        "account:\n  type: [brand\n",
    );
    let out = run(sw(dir.path(), &["check", "."]));
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stdout.contains("broken-tokens.yaml:"), "{}", out.stdout);
    assert!(out.stdout.contains("warning[missing-description]"));
    let out = run(sw(dir.path(), &["check", ".", "--format", "json"]));
    assert_eq!(out.code, 2);
    let doc = out.json();
    assert!(!doc["errors"].as_array().unwrap().is_empty());
    assert_eq!(
        find(&doc, "missing-description", "orders-prod")["location"]["path"],
        "warn-tokens.yaml"
    );
}

#[test]
fn exit_2_for_a_nonexistent_path() {
    let dir = tmp();
    write(dir.path(), "clean-tokens.yaml", CLEAN);
    let out = run(sw(
        dir.path(),
        &["check", "clean-tokens.yaml", "missing-tokens.yaml"],
    ));
    assert_eq!(out.code, 2, "{}", out.all());
    let all = out.all();
    assert!(all.contains("missing-tokens.yaml"), "{all}");
    assert!(all.contains("no such file"), "{all}");
    let out = run(sw(dir.path(), &["check", "no-such-dir/"]));
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.all().contains("no-such-dir"));
}

#[test]
fn exit_2_for_a_bad_as_of() {
    let dir = tmp();
    write(dir.path(), "clean-tokens.yaml", CLEAN);
    for bad in ["2026-13-01", "2026-02-30", "tomorrow", ""] {
        let out = run({
            let mut c = bare();
            c.current_dir(dir.path())
                .args(["check", "clean-tokens.yaml", "--as-of", bad]);
            c
        });
        assert_eq!(out.code, 2, "--as-of {bad:?}: {}", out.all());
        assert!(out.stderr.contains("--as-of"), "{}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    // SCOPEWARD_AS_OF is read too.
    let out = run({
        let mut c = bare();
        c.current_dir(dir.path())
            .env("SCOPEWARD_AS_OF", "2026-99-01")
            .args(["check", "clean-tokens.yaml"]);
        c
    });
    assert_eq!(out.code, 2, "{}", out.all());
}

#[test]
fn exit_2_for_a_file_that_is_not_a_definition() {
    let dir = tmp();
    write(dir.path(), "notes.txt", "hello\n");
    let out = run(sw(dir.path(), &["check", "notes.txt"]));
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.all().contains("notes.txt"));
}

// ---------------------------------------------------------------------------------------------
// Policy

const DENY_ADS_IN_PRODUCTION: &str = "\
[environments.production]
deny = [\"ads:read\"]
";

#[test]
fn config_flag_applies_a_policy() {
    let dir = tmp();
    write(dir.path(), "defs/warn-tokens.yaml", WARNING_ONLY);
    write(dir.path(), "policies/strict.toml", DENY_ADS_IN_PRODUCTION);
    let out = run(sw(
        dir.path(),
        &[
            "check",
            "defs",
            "--config",
            "policies/strict.toml",
            "--format",
            "json",
        ],
    ));
    assert_eq!(out.code, 1, "{}", out.all());
    let doc = out.json();
    let f = find(&doc, "environment-scope-denied", "orders-prod");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["scope"], "ads:read");

    write(
        dir.path(),
        "policies/quiet.toml",
        "[rules.missing-description]\nseverity = \"off\"\n",
    );
    let out = run(sw(
        dir.path(),
        &["check", "defs", "--config", "policies/quiet.toml"],
    ));
    assert_eq!(out.code, 0, "{}", out.all());

    let out = run(sw(
        dir.path(),
        &["check", "defs", "--config", "policies/nope.toml"],
    ));
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.all().contains("nope.toml"), "{}", out.all());
}

#[test]
fn policy_is_discovered_by_walking_up_from_the_working_directory() {
    let dir = tmp();
    write(dir.path(), "scopeward.toml", DENY_ADS_IN_PRODUCTION);
    write(dir.path(), "team/defs/deep/warn-tokens.yaml", WARNING_ONLY);
    let cwd = dir.path().join("team/defs/deep");
    let out = run(sw(&cwd, &["check", "warn-tokens.yaml", "--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.all());
    let doc = out.json();
    assert!(
        rules_of(&doc).contains("environment-scope-denied"),
        "policy two levels up applies: {doc:#}"
    );

    // The same file elsewhere, with no policy above it: the rule does not fire.
    let other = tmp();
    write(other.path(), "a/warn-tokens.yaml", WARNING_ONLY);
    let out = run(sw(
        &other.path().join("a"),
        &["check", "warn-tokens.yaml", "--format", "json"],
    ));
    let doc = out.json();
    assert!(!rules_of(&doc).contains("environment-scope-denied"));
}

/// Checks a clean file under `policy` (run from `run_in`, a subdirectory or the root) and
/// asserts exit 2 with every expected text in the output.
fn assert_policy_error(policy: &str, run_in: &str, expected: &[&str]) -> TempDir {
    let dir = tmp();
    write(dir.path(), "scopeward.toml", policy);
    write(dir.path(), &format!("{run_in}/clean-tokens.yaml"), CLEAN);
    let out = run(sw(
        &dir.path().join(run_in),
        &["check", "clean-tokens.yaml"],
    ));
    assert_eq!(out.code, 2, "{}", out.all());
    let all = out.all();
    for text in expected {
        assert!(all.contains(text), "`{text}` is missing from:\n{all}");
    }
    dir
}

#[test]
fn policy_unknown_key_exits_2_and_shows_the_line() {
    assert_policy_error(
        "include = [\"**/*tokens*.yaml\"]\nenvironmets = [\"production\"]\n",
        ".",
        &[
            "unknown key `environmets`",
            "did you mean `environments`?",
            "scopeward.toml:2:1",
            "environmets = [\"production\"]",
        ],
    );
}

#[test]
fn policy_unknown_rule_exits_2_with_did_you_mean() {
    let dir = assert_policy_error(
        "# policy\n\n[rules.unused-tokn]\ndays = 30\n",
        ".",
        &[
            "unknown rule `unused-tokn`",
            "did you mean `unused-token`?",
            "scopeward.toml:3:8",
            "[rules.unused-tokn]",
        ],
    );
    let out = run(sw(
        dir.path(),
        &["check", "clean-tokens.yaml", "--format", "json"],
    ));
    assert_eq!(out.code, 2);
    let doc = out.json();
    let e = &doc["errors"][0];
    assert_eq!(e["location"]["path"], "scopeward.toml");
    assert_eq!(e["location"]["line"], 3);
    assert_eq!(e["location"]["column"], 8);
}

#[test]
fn policy_deny_pattern_matching_nothing_exits_2() {
    // Found from a subdirectory, so the path is shown as the policy's own.
    assert_policy_error(
        "[environments.production]\ndeny = [\"ads:read\", \"promo-code:write\"]\n",
        "sub",
        &[
            "deny pattern `promo-code:write` matches no scope",
            "did you mean `promo-codes:write`?",
            "scopeward.toml:2:21",
            "deny = [\"ads:read\", \"promo-code:write\"]",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Finding files

#[test]
fn directories_are_walked_with_include_globs_and_gitignore() {
    let dir = tmp();
    let d = dir.path();
    write(d, ".gitignore", "ignored/\nsecret-tokens.yaml\n");
    write(d, "a-tokens.yaml", WARNING_ONLY);
    write(d, "sub/b-tokens.yml", WARNING_ONLY);
    write(d, "sub/deeper/c.tokens.json", &yaml_to_json_warning_only());
    write(d, "ignored/d-tokens.yaml", WARNING_ONLY);
    write(d, "sub/secret-tokens.yaml", WARNING_ONLY);
    write(d, "notes.yaml", WARNING_ONLY);
    write(d, "sub/config.json", "{}");
    write(d, "e-tokens.txt", WARNING_ONLY);

    let out = run(sw(d, &["check", ".", "--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.all());
    let doc = out.json();
    assert_eq!(
        paths_of(&doc),
        BTreeSet::from([
            "a-tokens.yaml".to_string(),
            "sub/b-tokens.yml".to_string(),
            "sub/deeper/c.tokens.json".to_string(),
        ]),
        "{doc:#}"
    );
    assert_eq!(doc["summary"]["files"], 3);

    // Named on the command line, files are checked whatever the globs and .gitignore say.
    let out = run(sw(
        d,
        &[
            "check",
            "notes.yaml",
            "ignored/d-tokens.yaml",
            "--format",
            "json",
        ],
    ));
    assert_eq!(out.code, 1, "{}", out.all());
    let doc = out.json();
    assert_eq!(
        paths_of(&doc),
        BTreeSet::from([
            "notes.yaml".to_string(),
            "ignored/d-tokens.yaml".to_string()
        ])
    );

    // A directory argument is shown with its prefix.
    let out = run(sw(d, &["check", "sub", "--format", "json"]));
    let doc = out.json();
    assert_eq!(
        paths_of(&doc),
        BTreeSet::from([
            "sub/b-tokens.yml".to_string(),
            "sub/deeper/c.tokens.json".to_string()
        ])
    );
}

#[test]
fn include_globs_come_from_the_policy() {
    let dir = tmp();
    let d = dir.path();
    write(d, "scopeward.toml", "include = [\"defs/*.yaml\"]\n");
    write(d, "defs/acme.yaml", WARNING_ONLY);
    write(d, "defs/nested/globex.yaml", WARNING_ONLY);
    write(d, "other-tokens.yaml", WARNING_ONLY);
    let out = run(sw(d, &["check", "--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.all());
    let doc = out.json();
    assert_eq!(
        paths_of(&doc),
        BTreeSet::from(["defs/acme.yaml".to_string()]),
        "`*` does not cross directories: {doc:#}"
    );
}

#[test]
fn no_definition_files_fails_closed() {
    let dir = tmp();
    write(dir.path(), "README.md", "nothing here\n");
    let out = run(sw(dir.path(), &["check", "."]));
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.all().contains("no token definition files found"),
        "{}",
        out.all()
    );
    assert!(
        out.all().contains("**/*tokens*"),
        "names the include globs: {}",
        out.all()
    );
    let out = run(sw(dir.path(), &["check", ".", "--allow-empty"]));
    assert_eq!(out.code, 0, "{}", out.all());
}

fn yaml_to_json_warning_only() -> String {
    serde_json::json!({
        "account": {"type": "brand"},
        "tokens": [{
            "name": "orders-prod",
            "environment": "production",
            "api_version": "14",
            "primary_contact": "ops@acme.example",
            "created": "2026-06-01",
            "last_used": "2026-11-20",
            "last_reset": "2026-06-01",
            "scopes": ["ads:read"]
        }]
    })
    .to_string()
}

// ---------------------------------------------------------------------------------------------
// Output options

#[test]
fn output_writes_the_report_to_a_file() {
    let dir = tmp();
    write(dir.path(), "warn-tokens.yaml", WARNING_ONLY);
    let out = run(sw(
        dir.path(),
        &[
            "check",
            "warn-tokens.yaml",
            "--format",
            "json",
            "--output",
            "report.json",
        ],
    ));
    assert_eq!(out.code, 1, "the exit code does not change: {}", out.all());
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["summary"]["warning"], 1);

    let out = run(sw(
        dir.path(),
        &[
            "check",
            "warn-tokens.yaml",
            "-o",
            "report.txt",
            "--color",
            "auto",
        ],
    ));
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(dir.path().join("report.txt")).unwrap();
    assert!(text.contains("warning[missing-description]"));
    assert!(text.contains("Checked 1 file, 1 token: 1 warning."));
    assert!(!text.contains('\u{1b}'), "no colour in a file");

    let out = run(sw(
        dir.path(),
        &["check", "warn-tokens.yaml", "--output", "no/such/dir/r.txt"],
    ));
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("no/such/dir/r.txt"), "{}", out.stderr);
}

#[test]
fn quiet_hides_the_summary_and_findings_below_fail_on() {
    let dir = tmp();
    write(dir.path(), "warn-tokens.yaml", WARNING_ONLY);
    write(dir.path(), "clean-tokens.yaml", CLEAN);

    let out = run(sw(dir.path(), &["check", "warn-tokens.yaml", "--quiet"]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("warning[missing-description]"));
    assert!(!out.stdout.contains("Checked"), "{}", out.stdout);

    let out = run(sw(
        dir.path(),
        &["check", "warn-tokens.yaml", "-q", "--fail-on", "error"],
    ));
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.trim(), "", "nothing at or above error");

    let out = run(sw(dir.path(), &["check", "clean-tokens.yaml", "--quiet"]));
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
}

#[test]
fn color_always_colours_and_never_or_no_color_do_not() {
    let dir = tmp();
    write(dir.path(), "warn-tokens.yaml", WARNING_ONLY);
    let with = |color: &str, no_color: bool| {
        let mut c = sw(dir.path(), &["check", "warn-tokens.yaml", "--color", color]);
        if !no_color {
            c.env_remove("NO_COLOR");
        }
        run(c)
    };
    let out = with("always", false);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("\u{1b}["), "ANSI escapes expected");
    assert!(out.stdout.contains("missing-description"));

    for (color, no_color) in [
        ("never", false),
        ("never", true),
        ("auto", true),
        ("auto", false),
    ] {
        let out = with(color, no_color);
        assert_eq!(out.code, 1);
        assert!(
            !out.all().contains('\u{1b}'),
            "--color {color} (NO_COLOR {no_color}): {:?}",
            out.stdout
        );
    }

    // JSON is never coloured.
    let mut c = sw(
        dir.path(),
        &[
            "check",
            "warn-tokens.yaml",
            "--color",
            "always",
            "--format",
            "json",
        ],
    );
    c.env_remove("NO_COLOR");
    let out = run(c);
    assert!(!out.stdout.contains('\u{1b}'));
    out.json();
}

// ---------------------------------------------------------------------------------------------
// Informational commands

const SPEC_RULE_IDS: &[&str] = &[
    "full-access",
    "broad-access",
    "legacy-token",
    "unused-token",
    "stale-disabled-token",
    "shared-environment",
    "missing-environment",
    "unknown-environment",
    "environment-name-mismatch",
    "environment-scope-denied",
    "unknown-scope",
    "outdated-api-version",
    "secret-in-definition",
    "missing-description",
    "missing-contact",
    "external-contact",
    "rotation-overdue",
    "duplicate-token",
    "sensitive-write",
    "agency-credential-exposure",
    "unused-scope",
    "missing-scope",
    "scope-drift",
    "state-drift",
    "invalid-credentials",
    "unmanaged-token",
    "unused-ignore",
    "committed-credential",
];

#[test]
fn rules_lists_every_spec_rule() {
    let dir = tmp();
    let out = run(sw(dir.path(), &["rules"]));
    assert_eq!(out.code, 0, "{}", out.all());
    for id in SPEC_RULE_IDS {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.split_whitespace().next() == Some(id)),
            "`{id}` not listed:\n{}",
            out.stdout
        );
    }
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("full-access "))
        .unwrap();
    assert!(line.contains("error"), "{line}");

    let out = run(sw(dir.path(), &["rules", "--format", "json"]));
    assert_eq!(out.code, 0);
    let doc = out.json();
    let ids: BTreeSet<&str> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in SPEC_RULE_IDS {
        assert!(ids.contains(id), "{id}");
    }
}

#[test]
fn explain_prints_a_rules_documentation() {
    let dir = tmp();
    let out = run(sw(dir.path(), &["explain", "full-access"]));
    assert_eq!(out.code, 0, "{}", out.all());
    let s = &out.stdout;
    assert!(s.starts_with("# full-access\n"), "{s}");
    assert!(s.contains("Default severity: error"), "{s}");
    for section in ["What it does", "Why is this bad", "Example", "Use instead"] {
        assert!(s.contains(section), "`{section}` missing:\n{s}");
    }
}

#[test]
fn explain_an_unknown_rule_exits_2_with_did_you_mean() {
    let dir = tmp();
    let out = run(sw(dir.path(), &["explain", "full-acess"]));
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("unknown rule `full-acess`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean `full-access`?"),
        "{}",
        out.stderr
    );
    let out = run(sw(dir.path(), &["explain", "zzzzzz"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("scopeward rules"), "{}", out.stderr);
}

#[test]
fn catalogue_brand_lists_the_spec_categories() {
    let dir = tmp();
    let out = run(sw(dir.path(), &["catalogue", "brand"]));
    assert_eq!(out.code, 0, "{}", out.all());
    let s = &out.stdout;
    assert!(s.starts_with("brand catalogue"), "{s}");
    assert!(s.contains("/Advertisers/{AccountSID}"), "{s}");
    let listed: BTreeSet<&str> = s
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for id in common::SPEC_BRAND_CATEGORIES {
        assert!(listed.contains(id), "`{id}` not listed:\n{s}");
    }
    assert!(!s.contains("partner catalogue"), "only brand: {s}");
}

#[test]
fn catalogue_json_is_all_three_account_types() {
    let dir = tmp();
    let out = run(sw(dir.path(), &["catalogue", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.all());
    let doc = out.json();
    let all = doc.as_array().expect("an array of catalogues");
    let types: Vec<&str> = all
        .iter()
        .map(|c| c["account_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["brand", "partner", "agency"]);
    for c in all {
        let cats = c["categories"].as_array().unwrap();
        assert!(!cats.is_empty());
        for cat in cats {
            let id = cat["id"].as_str().unwrap();
            assert!(
                id.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "kebab-case: {id}"
            );
            assert!(cat["operations"].is_array());
        }
    }
    let agency: BTreeSet<&str> = all[2]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        agency,
        BTreeSet::from(["account", "advertisers", "compliance", "jobs", "reports"])
    );
    let out = run(sw(
        dir.path(),
        &["catalogue", "partner", "--format", "json"],
    ));
    assert_eq!(out.json()["account_type"], "partner");
}

#[test]
fn schema_tokens_is_a_json_schema_of_the_definition_file() {
    let dir = tmp();
    let out = run(sw(dir.path(), &["schema", "tokens"]));
    assert_eq!(out.code, 0, "{}", out.all());
    let schema = out.json();
    assert!(
        schema["$schema"]
            .as_str()
            .unwrap()
            .starts_with("https://json-schema.org/"),
        "{schema:#}"
    );
    assert_eq!(schema["type"], "object");
    assert!(schema["properties"]["account"].is_object());
    assert!(schema["properties"]["tokens"].is_object());
    // Every $ref resolves.
    let mut refs = Vec::new();
    collect_refs(&schema, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r.strip_prefix('#').expect("local refs");
        assert!(schema.pointer(pointer).is_some(), "dangling $ref {r}");
    }
    // The token definition's keys (SPEC §2) are all there.
    let token = resolve(&schema, &schema["properties"]["tokens"]["items"]);
    let props = token["properties"].as_object().expect("token properties");
    for key in [
        "name",
        "description",
        "environment",
        "sid",
        "auth_token_env",
        "api_version",
        "state",
        "legacy",
        "primary_contact",
        "developer_contacts",
        "created",
        "last_used",
        "last_reset",
        "justification",
        "scopes",
    ] {
        assert!(props.contains_key(key), "token schema lacks `{key}`");
    }
    for kind in ["policy", "catalogue"] {
        let out = run(sw(dir.path(), &["schema", kind]));
        assert_eq!(out.code, 0);
        assert!(out.json().is_object(), "schema {kind}");
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    out.push(v.as_str().unwrap().to_string());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn resolve<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => root.pointer(r.strip_prefix('#').unwrap()).unwrap(),
        None => v,
    }
}

#[test]
fn schema_without_a_kind_lists_the_kinds() {
    let dir = tmp();
    let out = run(sw(dir.path(), &["schema"]));
    assert_eq!(out.code, 0, "{}", out.all());
    for kind in ["tokens", "policy", "catalogue"] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.split_whitespace().next() == Some(kind)),
            "{kind} not listed:\n{}",
            out.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Fingerprints

const FP_BASE: &str = "\
account:
  type: brand
  name: Acme
tokens:
  - name: alpha-prod
    environment: production
    scopes: [programs:read, \"*:write\"]
  - name: beta-dev
    description: Beta
    environment: development
    legacy: read-write
    created: 2024-01-01
";

/// The same tokens, reindented, with comments and blank lines.
const FP_REINDENTED: &str = "\
# Acme's tokens
account:
    type: brand     # the account type
    name: Acme


tokens:

    # the first one
    -   name: alpha-prod
        environment: production

        scopes:
            - programs:read
            - \"*:write\"
    # the second one
    -   name: beta-dev
        description: Beta
        environment: development
        legacy: read-write
        created: 2024-01-01
";

/// Flow style, keys and tokens in another order.
const FP_FLOW_MOVED: &str = "\
{tokens: [{created: 2024-01-01, legacy: read-write, name: beta-dev, environment: development, description: Beta},
          {scopes: [programs:read, '*:write'], environment: production, name: alpha-prod}],
 account: {name: Acme, type: brand}}
";

fn fingerprints(dir: &Path, name: &str, text: &str) -> Vec<(String, String)> {
    write(dir, name, text);
    let out = run(sw(dir, &["check", name, "--format", "json"]));
    assert_eq!(out.code, 1, "{name}: {}", out.all());
    let doc = out.json();
    assert!(
        doc["errors"].as_array().unwrap().is_empty(),
        "{name}: {doc:#}"
    );
    let mut fps: Vec<(String, String)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["fingerprint"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    fps.sort();
    fps
}

#[test]
fn fingerprints_survive_reformatting_and_moving_tokens() {
    let dir = tmp();
    let base = fingerprints(dir.path(), "fp-tokens.yaml", FP_BASE);
    assert!(base.len() >= 5, "{base:?}");
    assert!(base.iter().any(|(_, r)| r == "unknown-scope"));
    let reindented = fingerprints(dir.path(), "fp-tokens.yaml", FP_REINDENTED);
    assert_eq!(
        base, reindented,
        "reindented, with comments and blank lines"
    );
    let moved = fingerprints(dir.path(), "fp-tokens.yaml", FP_FLOW_MOVED);
    assert_eq!(base, moved, "flow style, tokens and keys moved");
    // Another file name, another directory, another format: still the same findings.
    let json = serde_json::json!({
        "tokens": [
            {"name": "beta-dev", "description": "Beta", "environment": "development",
             "legacy": "read-write", "created": "2024-01-01"},
            {"name": "alpha-prod", "environment": "production",
             "scopes": ["programs:read", "*:write"]}
        ],
        "account": {"type": "brand", "name": "Acme"}
    });
    let json = fingerprints(
        dir.path(),
        "elsewhere/acme.tokens.json",
        &serde_json::to_string_pretty(&json).unwrap(),
    );
    assert_eq!(base, json, "as JSON in another file");
}

#[test]
fn fingerprints_change_with_the_scope() {
    let dir = tmp();
    let base = fingerprints(dir.path(), "fp-tokens.yaml", FP_BASE);
    let changed = fingerprints(
        dir.path(),
        "fp-tokens.yaml",
        &FP_BASE.replace("programs:read", "programs:write"),
    );
    assert_ne!(base, changed);
    let unknown = |fps: &[(String, String)]| -> String {
        fps.iter()
            .find(|(_, r)| r == "unknown-scope")
            .unwrap()
            .0
            .clone()
    };
    assert_ne!(unknown(&base), unknown(&changed));
    // Findings not about that scope keep theirs.
    let rest = |fps: &[(String, String)]| -> Vec<(String, String)> {
        fps.iter()
            .filter(|(_, r)| r != "unknown-scope")
            .cloned()
            .collect()
    };
    assert_eq!(rest(&base), rest(&changed));
}

#[test]
fn report_flags_belong_to_the_commands_that_report() {
    // Reference commands take --format human|json only; a report format is refused, not
    // silently ignored.
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["rules", "--format", "sarif"][..],
        &["explain", "full-access", "--format", "junit"],
        &["catalogue", "--format", "html"],
        &["completions", "bash", "--format", "junit"],
        &["completions", "bash", "--baseline", "missing.json"],
        &["schema", "tokens", "--fail-on", "error"],
    ] {
        let out = run(sw(dir.path(), args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.all());
    }
    let out = run(sw(dir.path(), &["schema", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.all());
    let kinds = out.json();
    assert!(
        kinds
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kind"] == "tokens")
    );
}
