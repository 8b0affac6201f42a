//! Usage logs end to end: `audit --usage` and `suggest` (human, JSON, `--diff`) on the real
//! binary — least scopes, diffs that apply and leave nothing to flag, secrets planted in
//! every log format never echoed, and bad log files named with exit code 2.

mod common;
#[path = "usage/layouts.rs"]
mod layouts;
#[path = "usage/formats.rs"]
mod server_formats;
#[path = "usage/warehouse.rs"]
mod warehouse;

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{AS_OF, Out, bare, run};
use serde_json::Value;
use tempfile::TempDir;

const A: &str = "IRbrandAxxxxxxxxxxxxxxxxxxxxxxxxx1";
const F: &str = "IRflowFxxxxxxxxxxxxxxxxxxxxxxxxxx1";
const N: &str = "IRnoscopeNxxxxxxxxxxxxxxxxxxxxxxx1";
const L: &str = "IRlegacyLxxxxxxxxxxxxxxxxxxxxxxxx1";
const B: &str = "IRpartnerBxxxxxxxxxxxxxxxxxxxxxxx1";
const C: &str = "IRagencyCxxxxxxxxxxxxxxxxxxxxxxxx1";
const E: &str = "IRagencyExxxxxxxxxxxxxxxxxxxxxxxx1";
const U: &str = "IRundeclaredUxxxxxxxxxxxxxxxxxxxx1";
/// A fake Auth Token: 32 characters, the shape impact.com's have.
const SECRET: &str = "Zq8wRt5yUi2oPa7sDf4gHj1kLz9xCv3b";

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

fn clf(day: u32, method: &str, target: &str, status: u16) -> String {
    format!(
        "10.0.0.7 - - [{day:02}/Nov/2026:09:00:00 +0000] \"{method} {target} HTTP/1.1\" {status} 100 \"-\" \"client/1\"\n"
    )
}

fn brand_yaml() -> String {
    format!(
        "# Acme tokens: comments must survive.
account:
  type: brand
tokens:
  - name: shop-sync        # the Shopify bridge
    sid: {A}
    scopes:
      - actions:read
      # writes were for the 2025 migration
      - actions:write
      - \"reports:*\"
  - name: flow-style
    sid: {F}
    scopes: [ads:read, 'ads:write', campaigns:read]   # trailing comment
  - name: no-scopes-yet
    sid: {N}
    description: added later
  - name: old-erp
    sid: {L}
    legacy: read-write
"
    )
}

fn partner_toml() -> String {
    format!(
        "[account]
type = \"partner\"

[[tokens]]
name = \"deal-feed\"
sid = \"{B}\"
scopes = [
  \"deals:read\",
  # promo codes were never used
  \"promo-codes:read\",
  \"*:write\",
]
"
    )
}

fn agency_json() -> String {
    format!(
        "{{
  \"account\": {{\"type\": \"agency\"}},
  \"tokens\": [
    {{\"name\": \"agency-reports\", \"sid\": \"{C}\", \"scopes\": [\"reports:read\", \"jobs:read\"]}},
    {{\"name\": \"agency-new\", \"sid\": \"{E}\"}}
  ]
}}
"
    )
}

fn access_log() -> String {
    let mut s = String::new();
    s += &clf(
        1,
        "GET",
        &format!("/Advertisers/{A}/Actions?PageSize=100"),
        200,
    );
    s += &clf(
        2,
        "GET",
        &format!("/Advertisers/{A}/Reports/adv_actions/MetaData.json"),
        200,
    );
    s += &clf(
        3,
        "GET",
        &format!("https://api.impact.com/Advertisers/{F}/Ads"),
        200,
    );
    s += &clf(4, "GET", &format!("/Advertisers/{F}/Campaigns/1000"), 200);
    s += &clf(5, "POST", &format!("/Advertisers/{N}/Conversions"), 403);
    s += &clf(6, "GET", &format!("/Advertiser/{L}/Campaigns"), 200);
    s += &clf(
        7,
        "GET",
        &format!("/Mediapartners/{B}/Campaigns/1/Deals.json"),
        200,
    );
    s += &clf(
        8,
        "POST",
        &format!("/MediaPartners/{B}/MediaProperties"),
        201,
    );
    s += &clf(9, "GET", &format!("/Agencies/{C}/Reports"), 200);
    s += &clf(10, "GET", &format!("/Agencies/{E}/Jobs/77"), 200);
    s += &clf(11, "GET", &format!("/Advertisers/{U}/Ads"), 200);
    s += &clf(12, "GET", "/healthz", 200);
    s += "half a line from a log rotati\n";
    // A month earlier (the window must reach `min_window_days` for unused-scope to judge).
    s += &format!(
        "10.0.0.7 - - [01/Oct/2026:09:00:00 +0000] \"GET /Advertisers/{F}/Ads HTTP/1.1\" 200 100 \"-\" \"client/1\"\n"
    );
    s
}

fn setup() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tokens/brand-tokens.yaml", &brand_yaml());
    write(dir.path(), "tokens/partner-tokens.toml", &partner_toml());
    write(dir.path(), "tokens/agency-tokens.json", &agency_json());
    write(dir.path(), "logs/access.log", &access_log());
    dir
}

fn findings(out: &Out) -> Vec<(String, String, String)> {
    let doc = out.json();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["token"].as_str().unwrap_or("").to_string(),
                f["scope"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn usage_findings(out: &Out) -> Vec<(String, String, String)> {
    findings(out)
        .into_iter()
        .filter(|f| f.0 == "unused-scope" || f.0 == "missing-scope")
        .collect()
}

#[test]
fn audit_with_usage_fails_ci_on_unused_scopes_and_names_them() {
    let dir = setup();
    let out = run(sw(
        dir.path(),
        &[
            "audit",
            "tokens",
            "--usage",
            "logs/access.log",
            "--format",
            "json",
        ],
    ));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let mut got = usage_findings(&out);
    got.sort();
    let want: Vec<(String, String, String)> = [
        ("missing-scope", "agency-new", "jobs:read"),
        ("missing-scope", "no-scopes-yet", "conversions:write"),
        ("unused-scope", "agency-reports", "jobs:read"),
        ("unused-scope", "deal-feed", "*:write"),
        ("unused-scope", "deal-feed", "promo-codes:read"),
        ("unused-scope", "flow-style", "ads:write"),
        ("unused-scope", "old-erp", "*"),
        ("unused-scope", "shop-sync", "actions:write"),
        ("unused-scope", "shop-sync", "reports:*"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
    // The malformed line is reported once, on standard error, by number, not by content.
    assert_eq!(
        out.stderr.matches("not in access log format").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("line 13"), "{}", out.stderr);
    assert!(!out.all().contains("log rotati"));

    // Only unused scopes, at --fail-on error: exit 0 only when nothing is missing.
    let out = run(sw(
        dir.path(),
        &[
            "audit",
            "tokens",
            "--usage",
            "logs/access.log",
            "--fail-on",
            "error",
            "-q",
        ],
    ));
    assert_eq!(out.code, 1, "missing-scope is an error");
}

#[test]
fn usage_rules_stay_silent_without_usage_logs() {
    let dir = setup();
    let out = run(sw(dir.path(), &["check", "tokens", "--format", "json"]));
    assert!(usage_findings(&out).is_empty());
    // An inline ignore of a usage rule is not "unused" when the rule could not run.
    write(
        dir.path(),
        "tokens/ignored-tokens.yaml",
        "account: {type: brand}\ntokens:\n  - name: quiet # scopeward: ignore[unused-scope] read by a nightly job\n    scopes: [ads:read]\n",
    );
    let out = run(sw(
        dir.path(),
        &["check", "tokens/ignored-tokens.yaml", "--format", "json"],
    ));
    assert!(
        !findings(&out).iter().any(|f| f.0 == "unused-ignore"),
        "{}",
        out.stdout
    );
    let out = run(sw(dir.path(), &["audit", "tokens"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--usage"), "{}", out.stderr);
}

#[test]
fn suggest_prints_least_scopes_per_token() {
    let dir = setup();
    let out = run(sw(
        dir.path(),
        &["suggest", "--usage", "logs/access.log", "tokens"],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("suggest_human", out.stdout);

    let out = run(sw(
        dir.path(),
        &[
            "suggest",
            "--usage",
            "logs/access.log",
            "tokens",
            "--format",
            "json",
        ],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/suggest.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let token = |name: &str| -> &Value {
        doc["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["token"] == name)
            .unwrap_or_else(|| panic!("no {name} in {doc}"))
    };
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let shop = token("shop-sync");
    assert_eq!(
        strs(&shop["least_scopes"]),
        ["actions:read", "reports:read"]
    );
    assert_eq!(strs(&shop["remove"]), ["actions:write", "reports:*"]);
    assert_eq!(strs(&shop["add"]), ["reports:read"]);
    assert_eq!(shop["requests"], 2);
    assert_eq!(shop["first_seen"], "2026-11-01T09:00:00Z");
    let legacy = token("old-erp");
    assert_eq!(strs(&legacy["least_scopes"]), ["campaigns:read"]);
    assert!(legacy["note"].as_str().unwrap().contains("upgrade"));
    // Refused-only evidence (one 403) is reported, not granted.
    let n = token("no-scopes-yet");
    assert!(strs(&n["add"]).is_empty());
    assert_eq!(strs(&n["refused_only"]), ["conversions:write"]);
    assert_eq!(n["refused"], 1);
    assert_eq!(doc["include_refused"], false);
    assert_eq!(doc["window"]["days"], 42);
    assert_eq!(doc["window"]["judges_unused"], true);
    assert_eq!(doc["logs"][0]["detected"], "common/combined log format");
    assert_eq!(doc["logs"][0]["impact_requests"], 12);
    assert_eq!(doc["undeclared_sids"][0]["sid"], U);
    assert_eq!(doc["undeclared_sids"][0]["first_at"], "logs/access.log:11");
    assert_eq!(doc["logs"][0]["malformed"], 1);
    assert_eq!(doc["logs"][0]["first_malformed_line"], 13);
    assert_eq!(doc["logs"][0]["skipped"], 1);
    assert_eq!(doc["window"]["last"], "2026-11-11T09:00:00Z");
}

fn apply_and_reaudit(tool: &[&str]) {
    let dir = setup();
    let out = run(sw(
        dir.path(),
        &["suggest", "--usage", "logs/access.log", "tokens", "--diff"],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let diff = out.stdout.clone();
    assert!(diff.contains("--- a/tokens/brand-tokens.yaml"), "{diff}");
    let mut cmd = std::process::Command::new(tool[0]);
    cmd.args(&tool[1..]).current_dir(dir.path());
    cmd.stdin(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(diff.as_bytes())
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{tool:?} rejected the diff:\n{diff}");
    // Nothing left to flag but the legacy token, which only an upgrade in impact.com fixes,
    // and the scope only refused requests needed, which `suggest` never grants on its own.
    let out = run(sw(
        dir.path(),
        &[
            "audit",
            "tokens",
            "--usage",
            "logs/access.log",
            "--format",
            "json",
        ],
    ));
    let left = usage_findings(&out);
    assert_eq!(
        left,
        [
            (
                "missing-scope".to_string(),
                "no-scopes-yet".to_string(),
                "conversions:write".to_string()
            ),
            (
                "unused-scope".to_string(),
                "old-erp".to_string(),
                "*".to_string()
            )
        ],
        "{diff}"
    );
    // Comments and layout are kept.
    let brand = std::fs::read_to_string(dir.path().join("tokens/brand-tokens.yaml")).unwrap();
    for kept in [
        "# Acme tokens: comments must survive.",
        "# the Shopify bridge",
        "# writes were for the 2025 migration",
        "scopes: [ads:read, campaigns:read]   # trailing comment",
    ] {
        assert!(brand.contains(kept), "lost `{kept}`:\n{brand}");
    }
    let toml = std::fs::read_to_string(dir.path().join("tokens/partner-tokens.toml")).unwrap();
    assert!(toml.contains("# promo codes were never used"), "{toml}");
    // And a second suggest has nothing to change.
    let again = run(sw(
        dir.path(),
        &["suggest", "--usage", "logs/access.log", "tokens", "--diff"],
    ));
    assert_eq!(again.stdout, "", "a second diff:\n{}", again.stdout);
    insta::assert_snapshot!("suggest_diff", diff);
}

#[test]
fn suggest_diff_applies_with_patch() {
    apply_and_reaudit(&["patch", "-p1", "--quiet"]);
}

#[test]
fn suggest_diff_applies_with_git_apply() {
    apply_and_reaudit(&["git", "apply", "-"]);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn b64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn planted_auth_tokens_never_reach_any_output() {
    let dir = setup();
    let basic = b64(format!("{A}:{SECRET}").as_bytes());
    // Access log: a credential URL, a token in the query string, a token-shaped "SID".
    let mut log = String::new();
    log += &clf(
        1,
        "GET",
        &format!("https://{A}:{SECRET}@api.impact.com/Advertisers/{A}/Campaigns"),
        200,
    );
    log += &clf(
        1,
        "GET",
        &format!("/Advertisers/{A}/Ads?auth_token={SECRET}"),
        200,
    );
    log += &clf(1, "GET", &format!("/Advertisers/{SECRET}/Ads"), 200);
    log += &format!(
        "10.0.0.7 - {SECRET} [01/Nov/2026:09:00:00 +0000] \"POST https://trkapi.impact.com/PageLoad HTTP/1.1\" 200 1\n"
    );
    log += &format!("malformed {SECRET} line\n");
    write(dir.path(), "logs/secret.log", &log);
    std::fs::write(dir.path().join("logs/secret.log.gz"), gzip(log.as_bytes())).unwrap();
    // JSON lines: a credential URL and an Authorization field.
    write(
        dir.path(),
        "logs/secret.jsonl",
        &format!(
            "{{\"time\":\"2026-11-02T00:00:00Z\",\"method\":\"GET\",\"url\":\"https://{A}:{SECRET}@api.impact.com/Advertisers/{A}/Deals\",\"status\":200,\"authorization\":\"Basic {basic}\"}}\n{{\"broken\": \"{SECRET}\"\n"
        ),
    );
    // HAR: the Authorization header and a query string.
    write(
        dir.path(),
        "logs/secret.har",
        &format!(
            r#"{{"log": {{"version": "1.2", "entries": [
  {{"startedDateTime": "2026-11-03T00:00:00Z",
    "request": {{"method": "POST", "url": "https://api.impact.com/Advertisers/{A}/Conversions?token={SECRET}",
                "headers": [{{"name": "Authorization", "value": "Basic {basic}"}}],
                "queryString": [{{"name": "token", "value": "{SECRET}"}}]}},
    "response": {{"status": 403}}}},
  {{"startedDateTime": "2026-11-03T00:00:01Z",
    "request": {{"method": "POST", "url": "https://trkapi.impact.com/PageLoad",
                "headers": [{{"name": "Authorization", "value": "Basic {basic}"}}]}},
    "response": {{"status": 200}}}}
]}}}}"#
        ),
    );
    // A usage summary whose path is a credential URL, and a Caddy-style record whose
    // request headers hold the Authorization.
    write(
        dir.path(),
        "logs/secret-summary.csv",
        &format!(
            "sid,method,path,status,count,first_seen,last_seen\n,GET,https://{A}:{SECRET}@api.impact.com/Advertisers/{A}/Ads?auth_token={SECRET},2xx,3,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z\n{SECRET},POST,/PageLoad,2xx,1,,\n"
        ),
    );
    write(
        dir.path(),
        "logs/secret-caddy.jsonl",
        &format!(
            "{{\"ts\":1793527200.5,\"request\":{{\"method\":\"POST\",\"host\":\"proxy.internal\",\"uri\":\"/PageLoad?token={SECRET}\",\"headers\":{{\"Authorization\":[\"Basic {basic}\"]}}}},\"status\":200}}\n"
        ),
    );
    // A log whose very name carries one.
    write(
        dir.path(),
        &format!("logs/{SECRET}.log"),
        &clf(1, "GET", &format!("/Advertisers/{A}/Ads"), 200),
    );
    let logs = [
        "logs/secret.log",
        "logs/secret.log.gz",
        "logs/secret.jsonl",
        "logs/secret.har",
        "logs/secret-summary.csv",
        "logs/secret-caddy.jsonl",
        &format!("logs/{SECRET}.log"),
        &format!("logs/missing-{SECRET}.log"),
    ];
    let mut usage_args: Vec<String> = Vec::new();
    for l in &logs {
        usage_args.push("--usage".into());
        usage_args.push(l.to_string());
    }
    let check = |out: &Out, what: &str| {
        let all = out.all();
        assert!(!all.contains(SECRET), "{what} shows the Auth Token:\n{all}");
        assert!(
            !all.contains(&basic),
            "{what} shows the Authorization header:\n{all}"
        );
    };
    for format in [
        "human", "concise", "json", "sarif", "github", "junit", "markdown", "html",
    ] {
        let mut args: Vec<String> = vec!["audit".into(), "tokens".into()];
        args.extend(usage_args.iter().cloned());
        args.extend(["--format".to_string(), format.to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(sw(dir.path(), &args));
        assert_eq!(
            out.code, 2,
            "the missing log makes the run incomplete ({format})"
        );
        assert!(
            out.all().contains("logs/missing-"),
            "{format}: {}",
            out.all()
        );
        check(&out, &format!("audit --format {format}"));
        for read in [
            "secret-summary.csv: usage summary (CSV)",
            "secret-caddy.jsonl: JSON lines",
        ] {
            assert!(out.stderr.contains(read), "{format}: {}", out.stderr);
        }
    }
    for extra in [
        &["--format", "human"][..],
        &["--format", "json"],
        &["--diff"],
        &["--diff", "--format", "json"],
    ] {
        let mut args: Vec<String> = vec!["suggest".into(), "tokens".into()];
        args.extend(usage_args.iter().cloned());
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(sw(dir.path(), &args));
        assert_eq!(out.code, 2, "{extra:?}");
        check(&out, &format!("suggest {extra:?}"));
        if extra == ["--format", "json"] {
            // The planted requests still counted: the Basic-auth SID attributed the PageLoads.
            let doc = out.json();
            let shop = doc["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["token"] == "shop-sync")
                .unwrap();
            let scopes: Vec<&str> = shop["least_scopes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            assert!(scopes.contains(&"page-loads:write"), "{scopes:?}");
            // The conversion was refused (403): evidence to report, not to grant.
            assert!(!scopes.contains(&"conversions:write"), "{scopes:?}");
            assert_eq!(shop["refused_only"][0], "conversions:write", "{shop}");
        }
    }
}

#[test]
fn bad_log_files_are_named_exit_2_and_the_rest_is_used() {
    let dir = setup();
    let good = gzip(access_log().as_bytes());
    std::fs::write(dir.path().join("logs/good.log.gz"), &good).unwrap();
    std::fs::write(
        dir.path().join("logs/corrupt.log.gz"),
        &good[..good.len() / 2],
    )
    .unwrap();
    std::fs::write(
        dir.path().join("logs/latin1.log"),
        b"10.0.0.1 - caf\xe9 [01/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n",
    )
    .unwrap();
    write(
        dir.path(),
        "logs/broken.har",
        "{\"log\": {\"entries\": [ {\"request\": ",
    );
    std::fs::create_dir_all(dir.path().join("logs/a-directory")).unwrap();
    let out = run(sw(
        dir.path(),
        &[
            "audit",
            "tokens",
            "--usage",
            "logs/corrupt.log.gz",
            "--usage",
            "logs/latin1.log",
            "--usage",
            "logs/broken.har",
            "--usage",
            "logs/a-directory",
            "--usage",
            "logs/nope.log",
            "--usage",
            "logs/good.log.gz",
            "--format",
            "json",
        ],
    ));
    assert_eq!(out.code, 2, "{}", out.all());
    let doc = out.json();
    let errors: Vec<String> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["file"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    for name in [
        "corrupt.log.gz",
        "latin1.log",
        "broken.har",
        "a-directory",
        "nope.log",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(name)),
            "{name} is not named: {errors:?}"
        );
    }
    // The readable log was still used.
    assert!(
        usage_findings(&out).iter().any(|f| f.1 == "shop-sync"),
        "{}",
        out.stdout
    );
}

/// Usage logs that hold no impact.com request at all (an empty file, another service's log;
/// `server_formats` has a `--usage-host` that names no logged host) judge no scope: `audit` and `suggest` exit 2
/// naming each log, in every format, instead of passing as if every scope were needed. One
/// such log beside a log with requests is only a note.
#[test]
fn usage_logs_with_no_impact_request_at_all_fail_closed() {
    let dir = setup();
    write(dir.path(), "logs/empty.log", "");
    write(
        dir.path(),
        "logs/other-service.log",
        &(clf(3, "GET", "/healthz", 200) + &clf(3, "POST", "/api/v2/orders", 201)),
    );
    write(dir.path(), "logs/good.log", &access_log());
    let nothing = [
        "--usage",
        "logs/empty.log",
        "--usage",
        "logs/other-service.log",
    ];
    for command in ["audit", "suggest"] {
        for format in ["human", "json"] {
            let out = run(sw(
                dir.path(),
                &[[command, "tokens", "--format", format].as_slice(), &nothing].concat(),
            ));
            assert_eq!(out.code, 2, "{command} --format {format}: {}", out.all());
            // Each log named with what is wrong with it: in one JSON error of `audit`'s
            // report, or on one line (`suggest` says it on standard error).
            let named: Vec<String> = if format == "json" && command == "audit" {
                let doc = out.json();
                doc["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| format!("{} {}", e["file"], e["message"]))
                    .collect()
            } else {
                out.all().lines().map(str::to_string).collect()
            };
            for name in ["empty.log", "other-service.log"] {
                assert!(
                    named
                        .iter()
                        .any(|l| l.contains(name) && l.contains("nor in any other usage log given")),
                    "{command} --format {format}: {name} is not named:\n{}",
                    out.all()
                );
            }
        }
    }
    // Beside a log with requests, a quiet log is a note and the run judges by the other.
    let out = run(sw(
        dir.path(),
        &[
            "audit",
            "tokens",
            "--usage",
            "logs/empty.log",
            "--usage",
            "logs/good.log",
            "--format",
            "json",
        ],
    ));
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr
            .contains("empty.log: no impact.com request in it"),
        "{}",
        out.stderr
    );
    assert!(
        !out.all().contains("nor in any other usage log given"),
        "{}",
        out.all()
    );
    assert!(
        usage_findings(&out).iter().any(|f| f.1 == "shop-sync"),
        "{}",
        out.stdout
    );
}

/// Applies `suggest`'s edits in memory and checks the result: it still loads, and a second
/// `suggest` finds every edited token minimal.
fn round_trip(name: &str, text: &str, log: &str) -> String {
    use scopeward::catalogue::Catalogues;
    use scopeward::engine::{CheckOptions, check_texts_with};
    use scopeward::fix::{edit, plan as suggest};
    use scopeward::model::Day;
    use scopeward::policy::Policy;
    use scopeward::source::SourceMap;
    let cats = Catalogues::builtin();
    let (usage, errors) = Usage::from_bytes(&[("x.log", log.as_bytes())], &cats);
    assert!(errors.is_empty());
    let usage = std::sync::Arc::new(usage);
    let mut options = CheckOptions::new(Day::parse(AS_OF).unwrap());
    options.inventory = true;
    options.usage = Some(usage.clone());
    let check = |text: &str| {
        check_texts_with(
            &[(name, text)],
            SourceMap::new(),
            &Policy::default(),
            &cats,
            &options,
        )
    };
    let report = check(text);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // Layouts, not windows, are under test here: removals whatever the logs' window.
    let opts = suggest::SuggestOptions {
        min_window_days: None,
        ..suggest::SuggestOptions::default()
    };
    let (_, plans) = suggest::suggest(&report.inventory, &report.sources, &usage, &cats, &opts);
    let (files, skipped) = edit::apply(&plans, &report.sources);
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(files.len(), 1, "nothing edited in {name}");
    let new = files[0].2.clone();
    let again = check(&new);
    assert!(
        again.errors.is_empty(),
        "{name} no longer loads:\n{new}\n{:?}",
        again.errors
    );
    let (doc, _) = suggest::suggest(&again.inventory, &again.sources, &usage, &cats, &opts);
    for t in &doc.tokens {
        assert!(
            t.minimal,
            "{name}: `{}` is not minimal after the edit:\n{new}",
            t.token
        );
    }
    new
}

use scopeward::usage::Usage;

#[test]
fn edits_round_trip_in_every_layout() {
    let log = [
        clf(1, "GET", &format!("/Advertisers/{A}/Actions"), 200),
        clf(1, "POST", &format!("/Advertisers/{F}/Conversions"), 200),
        clf(1, "GET", &format!("/Advertisers/{N}/Ads"), 200),
        clf(1, "GET", &format!("/Mediapartners/{B}/PromoCodes"), 200),
        clf(1, "GET", &format!("/Agencies/{C}/Reports"), 200),
    ]
    .concat();
    // TOML: a token without `scopes` followed by another table; an inline array emptied.
    let toml = round_trip(
        "p.toml",
        &format!(
            "[account]\ntype = \"partner\"\n\n[[tokens]]\nname = \"feed\"\nsid = \"{B}\"\n# after the table\n\n[[tokens]]\nname = \"other\"\n"
        ),
        &log,
    );
    assert!(
        toml.contains(
            "sid = \"IRpartnerBxxxxxxxxxxxxxxxxxxxxxxx1\"\nscopes = [\"promo-codes:read\"]\n"
        ),
        "{toml}"
    );
    // YAML: a flow-mapping token; a block list whose entries all go; an entry then a comment.
    let yaml = round_trip(
        "b.yaml",
        &format!(
            "account: {{type: brand}}\ntokens:\n  - {{name: flow, sid: {A}}}\n  - name: emptied\n    sid: {F}\n    scopes:\n      - ads:read\n      - ads:write\n    description: keep me\n  - name: flow-list\n    sid: {N}\n    scopes: [\"campaigns:read\"]\n"
        ),
        &log,
    );
    assert!(
        yaml.contains(&format!(
            "  - {{name: flow, sid: {A}, scopes: [actions:read]}}\n"
        )),
        "{yaml}"
    );
    assert!(
        yaml.contains("      - conversions:write\n    description: keep me"),
        "{yaml}"
    );
    assert!(yaml.contains("scopes: [\"ads:read\"]"), "{yaml}");
    // JSON: a multi-line array, and an object without `scopes`.
    let json = round_trip(
        "a.json",
        &format!(
            "{{\n  \"account\": {{\"type\": \"agency\"}},\n  \"tokens\": [\n    {{\n      \"name\": \"r\",\n      \"sid\": \"{C}\",\n      \"scopes\": [\n        \"jobs:read\",\n        \"reports:*\"\n      ]\n    }}\n  ]\n}}\n"
        ),
        &log,
    );
    assert!(json.contains("\"reports:read\""), "{json}");
}

/// The peak resident memory (MB) of one run of the binary, polled from `/proc/PID/status`
/// (`VmHWM`, which `exec` resets) while it runs.
fn peak_rss_mb(dir: &Path, args: &[&str]) -> f64 {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scopeward"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0f64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status) {
            if let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.code().is_some_and(|c| c < 2), "{exit:?}");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    peak / 1024.0
}

#[test]
fn memory_stays_flat_as_logs_grow() {
    if !Path::new("/proc/self/status").exists() {
        eprintln!("skipped: no /proc to read peak memory from");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "tokens.yaml",
        &format!(
            "account: {{type: brand}}\ntokens:\n  - name: a\n    sid: {A}\n    scopes: [actions:read]\n"
        ),
    );
    let line = |i: usize| {
        format!(
            "10.0.0.7 - - [{:02}/Nov/2026:09:00:00 +0000] \"GET https://api.impact.com/Advertisers/IR{:032}/Actions?PageSize=100&Page={i} HTTP/1.1\" 200 512 \"-\" \"client/1\"\n",
            1 + i % 28,
            i % 500
        )
    };
    let write_log = |name: &str, lines: usize| {
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.path().join(name)).unwrap());
        for i in 0..lines {
            f.write_all(line(i).as_bytes()).unwrap();
        }
        f.flush().unwrap();
    };
    write_log("small.log", 50_000);
    write_log("large.log", 600_000);
    let args = |log: &'static str| {
        [
            "audit",
            "tokens.yaml",
            "--usage",
            log,
            "--format",
            "json",
            "-q",
        ]
    };
    let small = peak_rss_mb(dir.path(), &args("small.log"));
    let large = peak_rss_mb(dir.path(), &args("large.log"));
    let size = std::fs::metadata(dir.path().join("large.log"))
        .unwrap()
        .len() as f64
        / 1e6;
    // Twelve times the lines (about 100 MB more of log), at most a few MB more of memory.
    assert!(
        large < small + 25.0 && large < 100.0,
        "peak memory {small:.0} MB on 50,000 lines, {large:.0} MB on 600,000 ({size:.0} MB)"
    );
}
