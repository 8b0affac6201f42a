//! `--format sarif` through the real binary: schema validity against the OASIS SARIF 2.1.0
//! schema, rule metadata, UTF-16 columns, suppressions, input errors, and no leaked secret.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

use scopeward::rules::REGISTRY;

mod common;
use common::{AS_OF, bare, run};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// Runs `scopeward check ARGS --format sarif --as-of AS_OF` in `dir`: exit code and the log.
fn sarif(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check"];
    all.extend(args);
    sarif_of(dir, &all)
}

/// Runs `scopeward COMMAND ARGS --format sarif --as-of AS_OF` in `dir`.
fn sarif_of(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut cmd = bare();
    cmd.current_dir(dir)
        .args(args)
        .args(["--format", "sarif", "--as-of", AS_OF]);
    let out = run(cmd);
    let doc = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        )
    });
    (out.code, doc)
}

fn canonical() -> (i32, Value) {
    sarif(Path::new(REPO), &["examples/"])
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text =
            std::fs::read_to_string(Path::new(REPO).join("tests/data/sarif-schema-2.1.0.json"))
                .expect("the SARIF schema is in tests/data");
        let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        // The OASIS schema declares draft-04; formats (uri, date-time) are checked too.
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles")
    })
}

fn assert_valid(doc: &Value, what: &str) {
    let errors: Vec<String> = validator()
        .iter_errors(doc)
        .map(|e| {
            format!(
                "{} (at {}; schema {})",
                e,
                e.instance_path(),
                e.schema_path()
            )
        })
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: {} schema error(s):\n{}\n\n{}",
        errors.len(),
        errors.join("\n"),
        serde_json::to_string_pretty(doc).unwrap()
    );
}

fn the_run(doc: &Value) -> &Value {
    let runs = doc["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    &runs[0]
}

fn results(doc: &Value) -> &Vec<Value> {
    the_run(doc)["results"].as_array().expect("results")
}

const TOKENS: &str = "\
account:
  type: brand
  name: Acme
tokens:
  # scopeward: ignore[legacy-token] migrating to a scoped token in Q1 (SEC-42)
  - name: old-reporting
    description: Legacy reporting
    environment: production
    primary_contact: ops@acme.example
    legacy: read-only
  - name: older-reporting
    description: Older reporting
    environment: production
    primary_contact: ops@acme.example
    legacy: read-only
  - name: orders
    description: Orders
    environment: production
    primary_contact: ops@acme.example
    scopes: [conversions:write, programs:read]
";

const POLICY: &str = "\
[[ignore]]
rule = \"legacy-token\"
token = \"older-reporting\"
reason = \"Decommissioned with the old ERP\"
";

fn suppression_dir() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acme-tokens.yaml"), TOKENS).unwrap();
    std::fs::write(dir.path().join("scopeward.toml"), POLICY).unwrap();
    dir
}

fn suppressions_of(doc: &Value, rule: &str, token: &str) -> Vec<Value> {
    results(doc)
        .iter()
        .filter(|r| r["ruleId"] == rule && r["properties"]["token"] == token)
        .map(|r| r["suppressions"].clone())
        .collect()
}

#[test]
fn the_canonical_run_is_valid_sarif() {
    let (code, doc) = canonical();
    assert_eq!(code, 1, "the examples have findings");
    assert_valid(&doc, "check examples/");
    assert_eq!(doc["version"], "2.1.0");
    assert!(
        doc["$schema"]
            .as_str()
            .unwrap()
            .contains("sarif-schema-2.1.0")
    );
    let run = the_run(&doc);
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert!(!results(&doc).is_empty());
}

#[test]
fn the_schema_check_is_not_vacuous() {
    let (_, mut doc) = canonical();
    let run = &mut doc["runs"][0];
    run["results"][0]["level"] = "fatal".into();
    run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
    run["tool"]["driver"]["rules"][0]["helpUri"] = "not a uri".into();
    run["invocations"][0]
        .as_object_mut()
        .unwrap()
        .remove("executionSuccessful");
    let errors: Vec<String> = validator()
        .iter_errors(&doc)
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn runs_with_suppressions_baselines_and_errors_are_valid_sarif() {
    let dir = suppression_dir();
    let (_, doc) = sarif(dir.path(), &["."]);
    assert_valid(&doc, "inline and configured ignores");

    let baseline = dir.path().join("baseline.json");
    let (code, doc) = sarif(
        dir.path(),
        &[".", "--write-baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert_valid(&doc, "--write-baseline");
    let (code, doc) = sarif(dir.path(), &[".", "--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_valid(&doc, "--baseline");
    assert!(
        results(&doc).iter().all(|r| r["suppressions"].is_array()),
        "every result is suppressed"
    );

    let bad = tempfile::tempdir().unwrap();
    std::fs::write(
        bad.path().join("bad-tokens.yaml"),
        "account:\n  type: brand\ntokens:\n  - name: [unclosed\n",
    )
    .unwrap();
    let (code, doc) = sarif(bad.path(), &[".", "missing-tokens.yaml"]);
    assert_eq!(code, 2);
    assert_valid(&doc, "input errors");
}

#[test]
fn the_driver_lists_every_rule_with_its_documentation() {
    let (_, doc) = canonical();
    let driver = &the_run(&doc)["tool"]["driver"];
    assert_eq!(driver["name"], "scopeward");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), REGISTRY.len());
    for (rule, registered) in rules.iter().zip(REGISTRY) {
        let meta = registered.meta();
        assert_eq!(rule["id"], meta.id);
        assert_eq!(rule["shortDescription"]["text"], meta.summary);
        assert_eq!(rule["helpUri"], meta.help_uri());
        let name = rule["name"].as_str().unwrap();
        assert!(
            name.chars().next().unwrap().is_ascii_uppercase() && !name.contains('-'),
            "{name}"
        );
        let help = rule["help"]["text"].as_str().unwrap();
        assert!(help.contains("## What it does"), "{help}");
        assert!(
            !help.contains("\n ## "),
            "doc lines keep their leading space: {help}"
        );
        assert_eq!(rule["help"]["markdown"], rule["help"]["text"]);
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
        let level = match meta.default_severity.as_str() {
            "error" => "error",
            "warning" => "warning",
            _ => "note",
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level, "{}", meta.id);
    }
}

#[test]
fn results_point_at_their_rules_and_files() {
    let (_, doc) = canonical();
    let run = the_run(&doc);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
    for r in results(&doc) {
        let i = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        assert!(r["partialFingerprints"]["scopeward/v1"].is_string());
        assert!(r.get("suppressions").is_none());
        for loc in r["locations"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(r["relatedLocations"].as_array().into_iter().flatten())
        {
            let art = &loc["physicalLocation"]["artifactLocation"];
            assert_eq!(art["uriBaseId"], "%SRCROOT%");
            let uri = art["uri"].as_str().unwrap();
            assert!(uri.starts_with("examples/"), "{uri}");
            let region = &loc["physicalLocation"]["region"];
            assert!(region["startLine"].as_u64().unwrap() >= 1);
            assert!(region["startColumn"].as_u64().unwrap() >= 1);
            assert!(region.get("snippet").is_none(), "no snippets");
        }
    }
}

#[test]
fn columns_count_utf16_code_units() {
    let dir = tempfile::tempdir().unwrap();
    // 𝄞 is one character, two UTF-16 code units, four UTF-8 bytes.
    std::fs::write(
        dir.path().join("clef-tokens.yaml"),
        "account: {type: brand}\ntokens:\n  - {description: \"𝄞\", name: clef, environment: production, primary_contact: a@b.example, legacy: read-only}\n",
    )
    .unwrap();
    let (_, doc) = sarif(dir.path(), &["."]);
    assert_valid(&doc, "non-BMP text");
    let legacy = results(&doc)
        .iter()
        .find(|r| r["ruleId"] == "legacy-token")
        .expect("a legacy-token result");
    let region = &legacy["locations"][0]["physicalLocation"]["region"];
    let line = "  - {description: \"𝄞\", name: clef, environment: production, primary_contact: a@b.example, legacy: read-only}";
    let byte = line.find("read-only").unwrap();
    let utf16 = line[..byte].encode_utf16().count() as u64 + 1;
    let chars = line[..byte].chars().count() as u64 + 1;
    assert_eq!(utf16, chars + 1);
    assert_eq!(region["startLine"], 3);
    assert_eq!(region["startColumn"], utf16, "{region}");
    assert_eq!(
        region["endColumn"],
        utf16 + "read-only".len() as u64,
        "{region}"
    );
}

#[test]
fn suppressed_findings_are_results_with_suppressions() {
    let dir = suppression_dir();
    let (code, doc) = sarif(dir.path(), &["."]);
    assert_eq!(code, 1, "unknown-scope still fails");

    let inline = suppressions_of(&doc, "legacy-token", "old-reporting");
    assert_eq!(inline.len(), 1);
    let s = &inline[0][0];
    assert_eq!(s["kind"], "inSource");
    assert_eq!(s["status"], "accepted");
    assert_eq!(
        s["justification"],
        "migrating to a scoped token in Q1 (SEC-42)"
    );
    let region = &s["location"]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 5, "the ignore comment: {s}");

    let config = suppressions_of(&doc, "legacy-token", "older-reporting");
    assert_eq!(config.len(), 1);
    let s = &config[0][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["justification"], "Decommissioned with the old ERP");
    assert_eq!(
        s["location"]["physicalLocation"]["artifactLocation"]["uri"],
        "scopeward.toml"
    );

    // Unsuppressed findings carry no suppressions.
    let open: Vec<&Value> = results(&doc)
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .collect();
    assert!(open.iter().any(|r| r["ruleId"] == "unknown-scope"));

    // The baseline accepts the rest, externally and without a location.
    let baseline = dir.path().join("baseline.json");
    let (_, doc) = sarif(
        dir.path(),
        &[".", "--write-baseline", baseline.to_str().unwrap()],
    );
    let unknown = suppressions_of(&doc, "unknown-scope", "orders");
    assert_eq!(unknown.len(), 1);
    let s = &unknown[0][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
    assert!(s.get("location").is_none());
    // Ignores still count as in-source or external.
    assert_eq!(
        suppressions_of(&doc, "legacy-token", "old-reporting")[0][0]["kind"],
        "inSource"
    );
}

#[test]
fn a_policy_outside_the_working_directory_is_a_file_uri() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("acme-tokens.yaml"), TOKENS).unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let (_, doc) = sarif(&work, &[".", "--config", policy.to_str().unwrap()]);
    assert_valid(&doc, "--config outside the working directory");
    let s = &suppressions_of(&doc, "legacy-token", "older-reporting")[0][0];
    let art = &s["location"]["physicalLocation"]["artifactLocation"];
    let uri = art["uri"].as_str().unwrap();
    assert!(uri.starts_with("file:///"), "{uri}");
    assert!(uri.ends_with("/policy.toml"), "{uri}");
    assert!(art.get("uriBaseId").is_none(), "{art}");
}

#[test]
fn input_errors_are_tool_execution_notifications() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad-tokens.yaml"),
        "account:\n  type: brand\ntokens:\n  - name: [unclosed\n",
    )
    .unwrap();
    let (code, doc) = sarif(dir.path(), &[".", "missing-tokens.yaml"]);
    assert_eq!(code, 2);
    let inv = &the_run(&doc)["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert!(notes.len() >= 2, "{notes:?}");
    assert!(notes.iter().all(|n| n["level"] == "error"));
    assert!(notes.iter().any(|n| {
        n["message"]["text"]
            .as_str()
            .unwrap()
            .contains("missing-tokens.yaml")
    }));
    let located = notes
        .iter()
        .find(|n| n["locations"].is_array())
        .expect("the YAML error has a location");
    assert_eq!(
        located["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "bad-tokens.yaml"
    );
}

#[test]
fn no_secret_reaches_the_log() {
    const SECRET: &str = "Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("leaky-tokens.yaml"),
        format!(
            "account: {{type: brand}}\n# the old one was {SECRET}\ntokens:\n  - name: leaky\n    environment: production\n    auth_token: {SECRET}\n    scopes: [campaigns:read]\n"
        ),
    )
    .unwrap();
    // A broken file quoting it too: errors quote input.
    std::fs::write(
        dir.path().join("broken-tokens.yaml"),
        format!("account: {{type: brand}}\ntokens:\n  - name: x\n    {SECRET}: [\n"),
    )
    .unwrap();
    for extra in [&[][..], &["--no-ignores"][..]] {
        let mut cmd = bare();
        cmd.current_dir(dir.path())
            .args(["check", ".", "--format", "sarif", "--as-of", AS_OF])
            .args(extra);
        let out = run(cmd);
        let all = out.all();
        assert!(all.contains("secret-in-definition"), "{all}");
        for start in 4..=SECRET.len() - 8 {
            let piece = &SECRET[start..start + 8];
            assert!(
                !all.contains(piece),
                "`{piece}` of the secret leaked:\n{all}"
            );
        }
        let doc: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_valid(&doc, "secrets");
    }
    // Baselined, the secret finding is still redacted.
    let baseline = dir.path().join("baseline.json");
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .args(["check", ".", "--format", "sarif", "--as-of", AS_OF])
        .args(["--write-baseline", baseline.to_str().unwrap()]);
    let all = run(cmd).all();
    assert!(!all.contains(&SECRET[4..12]), "{all}");
}

#[test]
fn snapshot_of_the_canonical_run() {
    let (_, doc) = canonical();
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/sarif");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("check_examples", text));
}

#[test]
fn live_audit_sarif_is_valid_and_every_result_has_a_location() {
    let dir = TempDir::new().unwrap();
    std::fs::copy(
        Path::new(REPO).join("tests/fixtures/scope-drift/listing.json"),
        dir.path().join("listing.json"),
    )
    .unwrap();
    // Drift (reports-prod), a stale state (reports-prod is active), invalid credentials
    // (broken); partner-sync is declared nowhere: unmanaged, located in the listing.
    std::fs::write(
        dir.path().join("acme-tokens.yaml"),
        "account: {type: brand}\ntokens:\n  - name: reports-prod\n    description: d\n    environment: production\n    primary_contact: a@acme.example\n    sid: IRbrandReports000000000000000000001\n    state: disabled\n    scopes: [reports:read, deals:read]\n  - name: broken\n    description: d\n    environment: production\n    primary_contact: a@acme.example\n    sid: IRbrandBroken0000000000000000000001\n    scopes: [reports:read]\n",
    )
    .unwrap();
    let (code, doc) = sarif_of(dir.path(), &["audit", "--listing", "listing.json"]);
    assert_eq!(code, 1);
    assert_valid(&doc, "audit --listing");
    let mut rules: Vec<&str> = results(&doc)
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    rules.sort();
    rules.dedup();
    assert_eq!(
        rules,
        [
            "invalid-credentials",
            "scope-drift",
            "state-drift",
            "unmanaged-token"
        ]
    );
    for r in results(&doc) {
        // GitHub code scanning rejects results without a location.
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_else(|| panic!("no location: {r}"));
        if r["ruleId"] == "unmanaged-token" {
            assert_eq!(uri, "listing.json");
        } else {
            assert_eq!(uri, "acme-tokens.yaml");
        }
    }
}

#[test]
fn usage_audit_sarif_locates_undeclared_sids_in_the_log() {
    let dir = TempDir::new().unwrap();
    std::fs::copy(
        Path::new(REPO).join("tests/fixtures/unmanaged-token/usage.log"),
        dir.path().join("proxy.log"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("acme-tokens.yaml"),
        "account: {type: brand}\ntokens:\n  - name: reports-prod\n    description: d\n    environment: production\n    primary_contact: a@acme.example\n    sid: IRbrandReports000000000000000000001\n    scopes: [reports:read]\n",
    )
    .unwrap();
    let (code, doc) = sarif_of(dir.path(), &["audit", "--usage", "proxy.log"]);
    assert_eq!(code, 1);
    assert_valid(&doc, "audit --usage");
    let unmanaged: Vec<&Value> = results(&doc)
        .iter()
        .filter(|r| r["ruleId"] == "unmanaged-token")
        .collect();
    assert_eq!(unmanaged.len(), 1, "{doc}");
    let loc = &unmanaged[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "proxy.log");
    assert_eq!(
        loc["region"]["startLine"], 2,
        "the log line of its first request"
    );
}

#[test]
fn scan_sarif_is_valid_and_redacted() {
    let fixtures = Path::new(REPO).join("tests/fixtures/committed-credential");
    let mut cmd = bare();
    cmd.current_dir(&fixtures)
        .args(["--as-of", AS_OF, "scan", ".", "--format", "sarif"]);
    let out = run(cmd);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_valid(&doc, "scan");
    let results = results(&doc);
    assert!(results.len() >= 7, "{}", out.stdout);
    for r in results {
        assert_eq!(r["ruleId"], "committed-credential");
        assert!(r["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64());
        assert!(r["partialFingerprints"].is_object());
    }
    // The fixtures' fake Auth Tokens: none is printed whole.
    for token in [
        "Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq",
        "Mn4bVc7XzL2kJ9hG5fD3sA8qW1eR6tYu",
    ] {
        assert!(!out.stdout.contains(token));
    }
}
