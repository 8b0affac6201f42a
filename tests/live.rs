//! `audit --live` and `audit --listing` against a real HTTP server on loopback that behaves
//! like impact.com (tests/common/impact.rs). Asserts on findings, the saved listing, and what
//! the server received: only GETs of safe list endpoints, within budget, never a secret out.

mod common;
#[path = "common/hostile.rs"]
mod hostile;

use std::path::Path;
use std::time::{Duration, Instant};

use common::impact::{FakeToken, ImpactServer, TlsCert, Trouble};
use common::{AS_OF, Out, bare, run};
use hostile::{Got, Hostile, Reply, Request};
use serde_json::Value;

const SID_REPORTS: &str = "IRreportsProd0000000000000000000001";
const SID_OLD: &str = "IRoldFeed00000000000000000000000001";
const SID_BROKEN: &str = "IRbroken000000000000000000000000001";
const SID_PARTNER: &str = "IRpartnerSync0000000000000000000001";
// Fake Auth Tokens, shaped like real ones: none of them may ever be printed or saved.
const TOKEN_REPORTS: &str = "Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq";
const TOKEN_OLD: &str = "Mn4bVc7XzL2kJ9hG5fD3sA8qW1eR6tYu";
const TOKEN_BROKEN_REAL: &str = "Pp0oO9iI8uU7yY6tT5rR4eE3wW2qQ1aA";
const TOKEN_BROKEN_STALE: &str = "Ss1dD2fF3gG4hH5jJ6kK7lL8zZ9xX0cC";
const TOKEN_PARTNER: &str = "Hh7gG6fF5dD4sS3aA2qQ1wW0eE9rR8tT";
const ALL_SECRETS: &[&str] = &[
    TOKEN_REPORTS,
    TOKEN_OLD,
    TOKEN_BROKEN_REAL,
    TOKEN_BROKEN_STALE,
    TOKEN_PARTNER,
];

const DEFINITIONS: &str = "\
account:
  type: brand
  name: Acme
tokens:
  - name: reports-prod
    description: Nightly reporting
    environment: production
    primary_contact: ops@acme.example
    sid: IRreportsProd0000000000000000000001
    auth_token_env: SW_TEST_REPORTS
    scopes: [reports:read, actions:read, deals:read]
  - name: old-feed
    description: Retired feed
    environment: production
    primary_contact: ops@acme.example
    sid: IRoldFeed00000000000000000000000001
    auth_token_env: SW_TEST_OLD
    state: disabled
    scopes: [reports:read]
  - name: broken
    description: Token reset in the UI
    environment: production
    primary_contact: ops@acme.example
    sid: IRbroken000000000000000000000000001
    auth_token_env: SW_TEST_BROKEN
    scopes: [reports:read]
  - name: no-credentials
    description: Declared only
    environment: production
    primary_contact: ops@acme.example
    scopes: [reports:read]
";

const PARTNER_DEFINITIONS: &str = "\
account:
  type: partner
tokens:
  - name: partner-sync
    description: Pulls campaigns
    environment: production
    primary_contact: ops@acme.example
    sid: IRpartnerSync0000000000000000000001
    auth_token_env: SW_TEST_PARTNER
    scopes: [campaigns:read]
";

fn server() -> ImpactServer {
    ImpactServer::start(vec![
        // Can read more than declared (campaigns), and not everything declared (deals).
        FakeToken::new(
            SID_REPORTS,
            TOKEN_REPORTS,
            &["Reports", "Actions", "Campaigns"],
        ),
        // Declared disabled, still works.
        FakeToken::new(SID_OLD, TOKEN_OLD, &["Reports"]),
        // Its real token differs from the one the job holds.
        FakeToken::new(SID_BROKEN, TOKEN_BROKEN_REAL, &["Reports"]),
        // Disabled in the UI, declared enabled.
        FakeToken::new(SID_PARTNER, TOKEN_PARTNER, &["Campaigns"]).disabled(),
    ])
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acme-tokens.yaml"), DEFINITIONS).unwrap();
    std::fs::write(dir.path().join("partner-tokens.yaml"), PARTNER_DEFINITIONS).unwrap();
    dir
}

fn audit(dir: &Path, api_base: &str, extra: &[&str]) -> Out {
    let mut cmd = bare();
    cmd.current_dir(dir)
        .env("SW_TEST_REPORTS", TOKEN_REPORTS)
        .env("SW_TEST_OLD", TOKEN_OLD)
        .env("SW_TEST_BROKEN", TOKEN_BROKEN_STALE)
        .env("SW_TEST_PARTNER", TOKEN_PARTNER)
        .args(["--as-of", AS_OF, "audit", "--live", "--api-base", api_base])
        .args(["--backoff-ms", "20"])
        .args(extra);
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    run(cmd)
}

const PROXY_VARS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `audit --listing LISTING` in `dir`, offline.
fn offline(dir: &Path, listing: &str, extra: &[&str]) -> Out {
    let mut cmd = bare();
    cmd.current_dir(dir)
        .args(["--as-of", AS_OF, "audit", "--listing", listing])
        .args(extra);
    run(cmd)
}

/// A workspace declaring one complete brand token, `reports-prod`, with these scopes.
fn reports_token(scopes: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tokens.yaml"),
        format!(
            "account: {{type: brand}}\ntokens:\n  - name: reports-prod\n    description: d\n    environment: production\n    primary_contact: a@b.example\n    sid: {SID_REPORTS}\n    auth_token_env: SW_TEST_REPORTS\n    scopes: [{}]\n",
            scopes.join(", ")
        ),
    )
    .unwrap();
    dir
}

/// The listing `--save-listing listing.json` wrote in `dir`.
fn saved_listing(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("listing.json")).unwrap()).unwrap()
}

fn findings(out: &Out) -> Vec<(String, String, String, String)> {
    let json = out.json();
    let mut v: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["token"].as_str().unwrap_or("").to_string(),
                f["scope"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn no_secret_in(what: &str, text: &str) {
    for s in ALL_SECRETS {
        assert!(
            !text.contains(s),
            "an Auth Token leaked into {what}:\n{text}"
        );
        // Not even most of one.
        assert!(
            !text.contains(&s[..12]),
            "part of an Auth Token leaked into {what}"
        );
    }
}

/// The reason a listed token gives for not probing `scope`, if it lists it as unprobed.
fn unprobed_reason<'a>(token: &'a Value, scope: &str) -> Option<&'a str> {
    token["unprobed"]
        .as_array()?
        .iter()
        .find(|u| u["scope"] == scope)
        .and_then(|u| u["reason"].as_str())
}

fn f(rule: &str, sev: &str, token: &str, scope: &str) -> (String, String, String, String) {
    (rule.into(), sev.into(), token.into(), scope.into())
}

#[test]
fn live_audit_finds_drift_state_and_credentials_and_sends_only_safe_reads() {
    let srv = server();
    let dir = workspace();
    let out = audit(
        dir.path(),
        &srv.base,
        &["--format", "json", "--save-listing", "listing.json"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        findings(&out),
        vec![
            f("invalid-credentials", "error", "broken", ""),
            f("scope-drift", "error", "reports-prod", ""),
            f("scope-drift", "warning", "reports-prod", ""),
            f("state-drift", "error", "old-feed", ""),
            f("state-drift", "error", "partner-sync", ""),
        ],
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("not probed: no-credentials"),
        "{}",
        out.stderr
    );
    // reports-prod: 18 list probes + 5 through its first campaign; old-feed: 18 (no campaigns
    // granted); broken: 1 (401 ends it); partner-sync: 18.
    assert!(
        out.stderr
            .contains("probed 4 tokens with 60 requests: 2 active, 1 disabled, 1 invalid"),
        "{}",
        out.stderr
    );

    // Findings point into the definitions.
    let json = out.json();
    let drift = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "invalid-credentials")
        .unwrap();
    assert_eq!(drift["location"]["path"], "acme-tokens.yaml");
    assert_eq!(drift["location"]["line"], 24, "the `sid` of `broken`");

    // The listing: states, scopes, and no secret.
    let text = std::fs::read_to_string(dir.path().join("listing.json")).unwrap();
    no_secret_in("the saved listing", &text);
    let listing: Value = serde_json::from_str(&text).unwrap();
    let by_sid = |sid: &str| {
        listing["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["sid"] == sid)
            .unwrap()
            .clone()
    };
    let reports = by_sid(SID_REPORTS);
    assert_eq!(reports["state"], "active");
    assert_eq!(
        reports["granted"],
        serde_json::json!(["actions:read", "campaigns:read", "reports:read"])
    );
    assert!(
        reports["refused"]
            .as_array()
            .unwrap()
            .contains(&"deals:read".into())
    );
    assert!(
        reports["unverifiable"].as_array().unwrap().is_empty(),
        "every declared scope is a probeable read"
    );
    // Reads that need a campaign id went through the first campaign of the granted list.
    for dependent in ["contacts:read", "contracts:read", "notes:read"] {
        assert!(
            reports["refused"]
                .as_array()
                .unwrap()
                .contains(&dependent.into()),
            "{dependent}: {reports}"
        );
    }
    assert!(srv.received().iter().any(|r| r.path
        == format!("/Advertisers/{SID_REPORTS}/Campaigns/1/Contracts")
        && r.status == 403));
    assert_eq!(by_sid(SID_OLD)["state"], "active");
    assert_eq!(by_sid(SID_BROKEN)["state"], "invalid");
    assert_eq!(by_sid(SID_BROKEN)["requests"], 1, "stops at the first 401");
    assert_eq!(by_sid(SID_PARTNER)["state"], "disabled");
    assert_eq!(by_sid(SID_PARTNER)["account_type"], "partner");

    // What the server received.
    let got = srv.received();
    assert!(!got.is_empty());
    for r in &got {
        assert_eq!(r.method, "GET", "{r:?}");
        assert_eq!(r.query, "PageSize=1", "{r:?}");
        assert_eq!(r.accept.as_deref(), Some("application/json"));
        for bad in ["Export", "calldata", "CallData", "_method"] {
            assert!(!r.path.contains(bad) && !r.query.contains(bad), "{r:?}");
        }
        assert!(r.user.is_some(), "every request authenticates: {r:?}");
    }
    // At most one request per category per token (no retries were needed here).
    let mut seen = std::collections::HashSet::new();
    for r in &got {
        assert!(
            seen.insert((r.user.clone(), r.path.clone())),
            "sent twice: {r:?}"
        );
    }
    // Connectivity first: each token's first request is CompanyInformation.
    for sid in [SID_REPORTS, SID_OLD, SID_BROKEN, SID_PARTNER] {
        let first = got.iter().find(|r| r.user.as_deref() == Some(sid)).unwrap();
        assert!(first.path.ends_with("/CompanyInformation"), "{first:?}");
    }
    let partner: Vec<_> = got
        .iter()
        .filter(|r| r.user.as_deref() == Some(SID_PARTNER))
        .collect();
    assert!(
        partner
            .iter()
            .all(|r| r.path.starts_with("/Mediapartners/"))
    );
    assert_eq!(
        partner.len(),
        18,
        "one probe per partner read category with a list operation (22 minus 4 that need another id)"
    );
    no_secret_in("stdout", &out.stdout);
    no_secret_in("stderr", &out.stderr);
}

#[test]
fn a_saved_listing_is_audited_offline_and_unmanaged_tokens_point_into_it() {
    let srv = server();
    let dir = workspace();
    let live = audit(
        dir.path(),
        &srv.base,
        &["--format", "json", "--save-listing", "listing.json"],
    );
    assert_eq!(live.code, 1, "{}", live.stderr);
    drop(srv); // offline from here

    let audited = offline(dir.path(), "listing.json", &["--format", "json"]);
    assert_eq!(audited.code, 1, "{}", audited.stderr);
    assert_eq!(findings(&audited), findings(&live));

    // Without the partner's definition, its listed token is unmanaged.
    std::fs::remove_file(dir.path().join("partner-tokens.yaml")).unwrap();
    let out = offline(dir.path(), "listing.json", &["--format", "json"]);
    let json = out.json();
    let unmanaged: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unmanaged-token")
        .collect();
    assert_eq!(unmanaged.len(), 1, "{}", out.stdout);
    assert_eq!(unmanaged[0]["token"], "partner-sync");
    assert_eq!(unmanaged[0]["account_type"], "partner");
    let loc = &unmanaged[0]["location"];
    assert_eq!(loc["path"], "listing.json");
    let text = std::fs::read_to_string(dir.path().join("listing.json")).unwrap();
    let line = text
        .lines()
        .nth(loc["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    assert!(line.contains(SID_PARTNER), "points at the SID: {line}");
}

#[test]
fn tokens_found_only_live_are_judged_on_what_they_can_read() {
    // A brand token that can read every category: broad, even though nobody declared it.
    let all_reads = [
        "CompanyInformation",
        "LegalEntities",
        "Actions",
        "ActionUpdates",
        "ActionInquiries",
        "Ads",
        "Campaigns",
        "Catalogs",
        "Deals",
        "ExceptionLists",
        "Invoices",
        "Jobs",
        "MediaPartners",
        "PhoneNumbers",
        "PromoCodes",
        "Reports",
        "APISubmissions",
        "TrackingValueRequests",
    ];
    let srv = ImpactServer::start(vec![FakeToken::new(SID_REPORTS, TOKEN_REPORTS, &all_reads)]);
    let dir = reports_token(&["reports:read"]);
    let out = audit(dir.path(), &srv.base, &["--format", "json"]);
    let json = out.json();
    let broad: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "broad-access")
        .collect();
    assert_eq!(broad.len(), 1, "{}", out.stdout);
    assert_eq!(broad[0]["location"]["path"], "live-listing.json");
    // One finding for the token, naming every undeclared read.
    let drift: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "scope-drift")
        .collect();
    assert_eq!(drift.len(), 1, "one finding per token and direction");
    let message = drift[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("can read {} scopes", all_reads.len() - 1)),
        "{message}"
    );
}

#[test]
fn rate_limits_are_waited_out_and_5xx_retried() {
    let srv = ImpactServer::start(vec![
        FakeToken::new(
            SID_REPORTS,
            TOKEN_REPORTS,
            &["Reports", "CompanyInformation"],
        )
        .trouble(
            "Reports",
            Trouble::RateLimited {
                times: 1,
                retry_after: 1,
            },
        )
        .trouble("Actions", Trouble::Unavailable { times: 2 }),
    ]);
    let dir = reports_token(&["reports:read", "account:read"]);
    let started = std::time::Instant::now();
    let out = audit(dir.path(), &srv.base, &["--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    let got = srv.received();
    let reports: Vec<_> = got
        .iter()
        .filter(|r| r.path.ends_with("/Reports"))
        .collect();
    assert_eq!(
        reports.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![429, 200]
    );
    let actions: Vec<_> = got
        .iter()
        .filter(|r| r.path.ends_with("/Actions"))
        .collect();
    assert_eq!(
        actions.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![503, 503, 403]
    );
}

#[test]
fn network_trouble_names_token_and_endpoint_exits_2_and_keeps_what_was_learnt() {
    let srv = ImpactServer::start(vec![
        FakeToken::new(SID_REPORTS, TOKEN_REPORTS, &["Reports", "Actions", "Deals"])
            .trouble("Actions", Trouble::Slow(Duration::from_secs(3)))
            .trouble("Deals", Trouble::Malformed)
            .trouble("Invoices", Trouble::Unavailable { times: 99 }),
    ]);
    let dir = reports_token(&["reports:read"]);
    let out = audit(
        dir.path(),
        &srv.base,
        &[
            "--timeout",
            "1",
            "--format",
            "json",
            "--save-listing",
            "listing.json",
        ],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    let all = out.all();
    let path = format!("GET /Advertisers/{SID_REPORTS}");
    for expected in [
        format!(
            "token `reports-prod`: {path}/Actions — no complete answer within 1 s (--timeout) (after 3 retries)"
        ),
        format!("token `reports-prod`: {path}/Deals — malformed answer: 200 but not JSON"),
        format!(
            "token `reports-prod`: {path}/Invoices — the API answered 503 Service Unavailable (after 3 retries)"
        ),
    ] {
        assert!(all.contains(&expected), "missing `{expected}` in:\n{all}");
    }
    // What was learnt is still reported and saved.
    let listing: Value = saved_listing(dir.path());
    let t = &listing["tokens"][0];
    assert_eq!(t["state"], "active");
    assert!(
        t["granted"]
            .as_array()
            .unwrap()
            .contains(&"reports:read".into())
    );
    for s in ["actions:read", "deals:read", "invoices:read"] {
        assert_eq!(unprobed_reason(t, s), Some("failed"), "{s} in {t}");
    }
    assert_eq!(t["problems"].as_array().unwrap().len(), 3);
    no_secret_in("output", &all);
}

#[test]
fn max_requests_caps_the_run() {
    let srv = server();
    let dir = workspace();
    let out = audit(
        dir.path(),
        &srv.base,
        &[
            "--max-requests",
            "5",
            "--concurrency",
            "1",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.all().contains("--max-requests 5 reached"),
        "{}",
        out.all()
    );
    assert_eq!(srv.received().len(), 5);
    assert!(
        out.stderr.contains("probed 4 tokens with 5 requests"),
        "{}",
        out.stderr
    );
}

#[test]
fn missing_credentials_are_named_and_the_rest_is_still_probed() {
    let srv = server();
    let dir = workspace();
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .env("SW_TEST_REPORTS", TOKEN_REPORTS)
        .env("SW_TEST_OLD", TOKEN_OLD)
        .env("SW_TEST_BROKEN", TOKEN_BROKEN_STALE)
        .env_remove("SW_TEST_PARTNER")
        .args(["--as-of", AS_OF, "audit", "--live", "--format", "json"])
        .args(["--api-base", &srv.base]);
    let out = run(cmd);
    assert_eq!(out.code, 2);
    assert!(
        out.all().contains("token `partner-sync`: the environment variable `SW_TEST_PARTNER` (its auth_token_env) is not set: not probed"),
        "{}",
        out.all()
    );
    assert!(
        !srv.received()
            .iter()
            .any(|r| r.user.as_deref() == Some(SID_PARTNER))
    );
    let rules: Vec<String> = findings(&out).into_iter().map(|f| f.0).collect();
    assert!(rules.contains(&"scope-drift".to_string()), "{rules:?}");
}

#[test]
fn plain_http_is_refused_except_on_loopback() {
    let dir = workspace();
    let out = audit(dir.path(), "http://api.impact.com", &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("plain http is refused"),
        "{}",
        out.stderr
    );
    let out = audit(dir.path(), "https://SID:secret@api.impact.com", &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("must not carry credentials"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreachable_api_is_a_clear_error() {
    // A port nobody listens on: bind, learn the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = workspace();
    let out = audit(
        dir.path(),
        &format!("http://127.0.0.1:{port}"),
        &["--format", "json"],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.all().contains(&format!(
            "cannot connect to 127.0.0.1:{port}: connection refused"
        )),
        "{}",
        out.all()
    );
    // Four tokens fail at once: the breaker stops the rest.
    assert!(
        out.all()
            .contains("5 failed exchanges in a row with the API: probing stopped"),
        "{}",
        out.all()
    );
    no_secret_in("output", &out.all());
}

#[test]
fn no_format_leaks_a_secret() {
    let srv = server();
    let dir = workspace();
    for format in [
        "human", "concise", "json", "sarif", "github", "junit", "markdown", "html",
    ] {
        let out = audit(dir.path(), &srv.base, &["--format", format]);
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        no_secret_in(format, &out.all());
    }
}

#[test]
fn a_broken_listing_is_an_input_error_with_a_place() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("listing.json"),
        r#"{"version": 1, "tool": {"name": "scopeward", "version": "0.1.0"},
 "taken_at": "2026-11-22T03:00:00Z", "api_base": "https://api.impact.com",
 "tokens": [{"sid": "IRx", "account_type": "brand", "state": "active",
   "granted": ["reprots:read"], "refused": [], "unverifiable": [],
   "probed_at": "2026-11-22T03:00:01Z", "requests": 1}]}"#,
    )
    .unwrap();
    let out = offline(dir.path(), "listing.json", &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.all().contains("unknown brand scope `reprots:read`"),
        "{}",
        out.all()
    );
    assert!(out.all().contains("listing.json:4:"), "{}", out.all());
    // The definitions were still checked.
    assert!(
        out.all().contains("Checked 2 files, 5 tokens"),
        "{}",
        out.all()
    );
}

#[test]
fn probes_slow_down_before_the_budget_runs_out() {
    // Two requests left of 1,000 for the next 2 s, in the partner header family: the prober
    // spreads the rest over the reset window instead of running the budget dry.
    let srv = ImpactServer::start(vec![
        FakeToken::new(
            SID_PARTNER,
            TOKEN_PARTNER,
            &["Campaigns", "CompanyInformation"],
        )
        .budget(1000, 2, 2)
        .hourly_headers(),
    ]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("partner-tokens.yaml"), PARTNER_DEFINITIONS).unwrap();
    let started = std::time::Instant::now();
    let out = audit(
        dir.path(),
        &srv.base,
        &["--format", "json", "--max-requests", "3"],
    );
    let elapsed = started.elapsed();
    // Three requests, each after a pause of reset / remaining = 1 s (the first is free).
    assert_eq!(srv.received().len(), 3);
    assert!(elapsed >= Duration::from_secs(2), "paced: {elapsed:?}");
    assert_eq!(out.code, 2, "the budget cap stops the run: {}", out.stderr);
}

#[test]
fn a_listing_named_like_a_definition_file_is_not_read_as_one() {
    let srv = server();
    let dir = workspace();
    // `*tokens*.json` is a definition glob: the listing must still not be checked as one.
    let out = audit(
        dir.path(),
        &srv.base,
        &["--format", "json", "--save-listing", "live-tokens.json"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let audited = offline(dir.path(), "live-tokens.json", &["--format", "json"]);
    assert_eq!(audited.code, 1, "{}", audited.stderr);
    assert_eq!(audited.json()["summary"]["files"], 2);
    assert_eq!(findings(&audited), findings(&out));
    // --save-listing belongs to --live.
    let mut cmd = bare();
    cmd.current_dir(dir.path()).args([
        "audit",
        "--listing",
        "live-tokens.json",
        "--save-listing",
        "x.json",
    ]);
    let out = run(cmd);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

#[test]
fn reads_behind_an_id_are_probed_through_the_first_item_of_a_granted_list() {
    let srv = ImpactServer::start(vec![
        FakeToken::new(
            SID_REPORTS,
            TOKEN_REPORTS,
            &["CompanyInformation", "Campaigns", "Contacts"],
        ),
        // Campaigns refused: the campaign-scoped reads cannot be decided.
        FakeToken::new(SID_OLD, TOKEN_OLD, &["CompanyInformation", "Contacts"]),
    ]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tokens.yaml"),
        "account: {type: brand}\ntokens:\n  - name: crm-sync\n    description: d\n    environment: production\n    primary_contact: a@b.example\n    sid: IRreportsProd0000000000000000000001\n    auth_token_env: SW_TEST_REPORTS\n    scopes: [account:read, campaigns:read, contacts:read]\n  - name: crm-blind\n    description: d\n    environment: production\n    primary_contact: a@b.example\n    sid: IRoldFeed00000000000000000000000001\n    auth_token_env: SW_TEST_OLD\n    scopes: [account:read, contacts:read]\n",
    )
    .unwrap();
    let out = audit(
        dir.path(),
        &srv.base,
        &["--format", "json", "--save-listing", "listing.json"],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let listing: Value = saved_listing(dir.path());
    let sync = &listing["tokens"][0];
    assert_eq!(
        sync["granted"],
        serde_json::json!(["account:read", "campaigns:read", "contacts:read"])
    );
    let blind = &listing["tokens"][1];
    assert_eq!(blind["granted"], serde_json::json!(["account:read"]));
    assert_eq!(blind["state"], "active");
    assert_eq!(blind["unverifiable"], serde_json::json!([]));
    // Every read that hangs off a campaign is listed, with the reason it was not probed.
    for dependent in [
        "contacts:read",
        "unsubscribed-contacts:read",
        "contracts:read",
        "notes:read",
        "partner-groups:read",
    ] {
        assert_eq!(
            unprobed_reason(blind, dependent),
            Some("parent-refused"),
            "{dependent}: {blind}"
        );
    }
    // No campaign id, no request for campaign-scoped reads.
    assert!(
        !srv.received()
            .iter()
            .any(|r| r.user.as_deref() == Some(SID_OLD) && r.path.contains("/Campaigns/"))
    );
}

#[test]
fn probes_speak_tls_and_trust_an_extra_ca_only_when_told() {
    let (srv, ca_pem) = ImpactServer::start_tls(vec![FakeToken::new(
        SID_REPORTS,
        TOKEN_REPORTS,
        &["CompanyInformation", "Reports"],
    )]);
    assert!(srv.base.starts_with("https://localhost:"));
    let dir = reports_token(&["account:read", "reports:read"]);
    std::fs::write(dir.path().join("ca.pem"), &ca_pem).unwrap();
    // Without the CA, the certificate is not trusted: a clear error, nothing learnt.
    let out = audit(dir.path(), &srv.base, &["--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        srv.received().is_empty(),
        "no request crossed an untrusted connection"
    );
    assert!(
        out.all().contains(
            "securely: its certificate is not signed by a trusted CA (a private CA, e.g. a TLS-inspecting proxy's, can be trusted with --ca-cert)"
        ),
        "{}",
        out.all()
    );
    // With it, the probes run over TLS.
    let out = audit(
        dir.path(),
        &srv.base,
        &["--format", "json", "--ca-cert", "ca.pem"],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let got = srv.received();
    assert!(
        got.iter()
            .any(|r| r.path.ends_with("/Reports") && r.status == 200),
        "{got:?}"
    );
    no_secret_in("output", &out.all());
}

// Hostile networks (tests/common/hostile.rs): every scenario ends within its bounds, with a
// listing that says what is known and what is not, and no secret anywhere. Wall-time bounds
// are generous ceilings, never speed targets.

/// The scopes `reports_token` declares in the hostile scenarios.
const HOSTILE_SCOPES: &[&str] = &["account:read", "reports:read", "campaigns:read"];

/// A handler for the reports token: 401 for anyone else, else `answer(resource, request)`.
fn as_api(
    answer: impl Fn(&str, &Request<'_>) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Request<'_>) -> Reply + Send + Sync + 'static {
    move |r: &Request<'_>| {
        if r.got.user.as_deref() != Some(SID_REPORTS) || r.password != Some(TOKEN_REPORTS) {
            return Reply::status(401);
        }
        answer(r.got.resource(), r)
    }
}

/// `audit --live` of the reports token against `base`, saving `listing.json`: what it printed,
/// and how long it took.
fn hostile_audit(dir: &Path, base: &str, extra: &[&str]) -> (Out, Duration) {
    let started = Instant::now();
    let format: &[&str] = if extra.contains(&"--format") {
        &[]
    } else {
        &["--format", "json"]
    };
    let out = audit(
        dir,
        base,
        &[format, &["--save-listing", "listing.json"], extra].concat(),
    );
    let took = started.elapsed();
    eprintln!("took {took:?}");
    (out, took)
}

/// No planted secret in the output, the error stream or the saved listing (if any).
fn nothing_leaked(dir: &Path, out: &Out) {
    no_secret_in("stdout", &out.stdout);
    no_secret_in("stderr", &out.stderr);
    if let Ok(text) = std::fs::read_to_string(dir.join("listing.json")) {
        no_secret_in("the saved listing", &text);
    }
}

fn requests_for(got: &[Got], resource: &str) -> usize {
    got.iter().filter(|g| g.resource() == resource).count()
}

#[test]
fn a_body_sent_a_byte_a_second_is_cut_at_the_timeout() {
    let srv = Hostile::start(as_api(|resource, _| match resource {
        "CompanyInformation" => Reply::list(resource, "1"),
        "Reports" => Reply::SlowBody(
            format!("{{\"Reports\":[{}]}}", " ".repeat(80)),
            Duration::from_secs(1),
        ),
        _ => Reply::status(403),
    }));
    let dir = reports_token(HOSTILE_SCOPES);
    let (out, took) = hostile_audit(dir.path(), &srv.base(), &["--timeout", "2"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    // Four exchanges of at most 2 s each, not 80 s per exchange.
    assert!(took < Duration::from_secs(40), "took {took:?}");
    assert_eq!(requests_for(&srv.received(), "Reports"), 4);
    assert!(
        out.all().contains(&format!(
            "token `reports-prod`: GET /Advertisers/{SID_REPORTS}/Reports — no complete answer within 2 s (--timeout) (after 3 retries)"
        )),
        "{}",
        out.all()
    );
    let listing = saved_listing(dir.path());
    let t = &listing["tokens"][0];
    assert_eq!(t["state"], "active", "{t}");
    assert_eq!(unprobed_reason(t, "reports:read"), Some("failed"));
    assert!(
        t["refused"]
            .as_array()
            .unwrap()
            .contains(&"deals:read".into())
    );
    nothing_leaked(dir.path(), &out);
}

/// Answers the connectivity check, then never again.
fn silent_after_the_check() -> Hostile {
    Hostile::start(as_api(|resource, _| match resource {
        "CompanyInformation" => Reply::list(resource, "1"),
        _ => Reply::Silent,
    }))
}

#[test]
fn a_server_silent_after_the_connectivity_check_trips_the_breaker() {
    let srv = silent_after_the_check();
    let dir = reports_token(HOSTILE_SCOPES);
    let (out, took) = hostile_audit(dir.path(), &srv.base(), &["--timeout", "1"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(took < Duration::from_secs(30), "took {took:?}");
    // The check, then 5 failed exchanges in a row: 4 for the first category, 1 for the next.
    assert_eq!(srv.received().len(), 6, "{:?}", srv.received());
    for g in srv.received() {
        assert_eq!((g.method.as_str(), g.query.as_str()), ("GET", "PageSize=1"));
    }
    assert!(
        out.all()
            .contains("5 failed exchanges in a row with the API: probing stopped"),
        "{}",
        out.all()
    );
    let listing = saved_listing(dir.path());
    let t = &listing["tokens"][0];
    assert_eq!(t["state"], "unknown", "cut short: {t}");
    assert_eq!(t["granted"], serde_json::json!(["account:read"]));
    assert_eq!(unprobed_reason(t, "reports:read"), Some("breaker"));
    // Campaign-dependent reads are listed too.
    assert_eq!(unprobed_reason(t, "contacts:read"), Some("breaker"));
    nothing_leaked(dir.path(), &out);
}

#[test]
fn the_deadline_ends_the_probing_of_a_silent_server() {
    let srv = silent_after_the_check();
    let dir = reports_token(HOSTILE_SCOPES);
    let (out, took) = hostile_audit(
        dir.path(),
        &srv.base(),
        &["--timeout", "30", "--deadline", "3s"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(took < Duration::from_secs(25), "took {took:?}");
    assert_eq!(srv.received().len(), 2, "{:?}", srv.received());
    assert!(
        out.all().contains("--deadline 3s reached: probing stopped"),
        "{}",
        out.all()
    );
    let listing = saved_listing(dir.path());
    let t = &listing["tokens"][0];
    assert_eq!(t["state"], "unknown");
    for scope in ["legal-entities:read", "reports:read", "notes:read"] {
        assert_eq!(unprobed_reason(t, scope), Some("deadline"), "{scope}: {t}");
    }
    nothing_leaked(dir.path(), &out);
}

#[test]
fn endless_429s_beyond_max_wait_stop_the_probing_at_once() {
    let srv = Hostile::start(as_api(|_, _| {
        Reply::Json(429, vec![("Retry-After".into(), "60".into())], "{}".into())
    }));
    let dir = reports_token(HOSTILE_SCOPES);
    let (out, took) = hostile_audit(dir.path(), &srv.base(), &["--max-wait", "5"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_eq!(
        srv.received().len(),
        1,
        "nothing sent into a 60 s Retry-After"
    );
    assert!(
        out.all().contains(
            "rate limited (429): the API asks to wait 60 s, more than --max-wait 5 s: probing stopped"
        ),
        "{}",
        out.all()
    );
    let t = &saved_listing(dir.path())["tokens"][0];
    assert_eq!(t["state"], "unknown");
    assert_eq!(unprobed_reason(t, "reports:read"), Some("rate-limited"));
    nothing_leaked(dir.path(), &out);
}

#[test]
fn after_any_429_the_host_waits_at_least_a_second() {
    // `Retry-After: 0` and a date in the past, on every category: each next request — of the
    // same category or the next — waits a second.
    let srv = Hostile::start(as_api(|resource, r| match resource {
        "CompanyInformation" => Reply::list(resource, "1"),
        _ => {
            let after = if r.nth % 2 == 0 {
                "0"
            } else {
                "Thu, 01 Jan 2015 00:00:00 GMT"
            };
            Reply::Json(429, vec![("Retry-After".into(), after.into())], "{}".into())
        }
    }));
    let dir = reports_token(HOSTILE_SCOPES);
    let (out, took) = hostile_audit(dir.path(), &srv.base(), &["--deadline", "6s"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let got = srv.received();
    assert!(got.len() <= 8, "{} requests in 6 s", got.len());
    for pair in got[1..].windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_millis(950),
            "{gap:?} after a 429: {pair:?}"
        );
    }
    // The first category gave up after its retries; the next one waited too.
    assert!(requests_for(&got, "LegalEntities") == 4, "{got:?}");
    assert!(requests_for(&got, "Actions") >= 1, "{got:?}");
    nothing_leaked(dir.path(), &out);
}

#[test]
fn a_long_wait_is_announced_even_when_stderr_is_not_a_terminal() {
    let srv = Hostile::start(as_api(|resource, r| match resource {
        "CompanyInformation" if r.nth == 0 => {
            Reply::Json(429, vec![("Retry-After".into(), "6".into())], "{}".into())
        }
        "CompanyInformation" | "Reports" | "Campaigns" => Reply::list(resource, "1"),
        _ => Reply::status(403),
    }));
    let dir = reports_token(HOSTILE_SCOPES);
    let (out, took) = hostile_audit(dir.path(), &srv.base(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(took < Duration::from_secs(40), "took {took:?}");
    assert!(
        out.stderr.contains(&format!(
            "note: waiting 6 s before the next request of token `reports-prod` to 127.0.0.1:{}: rate limited by the API (429)",
            srv.port
        )),
        "{}",
        out.stderr
    );
    let got = srv.received();
    assert!(got[1].at - got[0].at >= Duration::from_secs(5), "{got:?}");
}

#[test]
fn a_401_after_an_authenticated_answer_is_a_problem_not_a_dead_token() {
    // A WAF that answers 401 on some paths: the token still reads campaigns and reports.
    let srv = Hostile::start(as_api(|resource, r| match resource {
        "CompanyInformation" | "Reports" | "Campaigns" => Reply::list(resource, "7"),
        "Actions" | "Contacts" => Reply::status(401),
        _ if r.got.path.contains("/Campaigns/7/") => Reply::status(403),
        _ => Reply::status(403),
    }));
    let dir = reports_token(HOSTILE_SCOPES);
    let (out, took) = hostile_audit(dir.path(), &srv.base(), &[]);
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_eq!(out.code, 2, "a problem, not a finding: {}", out.stderr);
    let rules: Vec<String> = findings(&out).into_iter().map(|f| f.0).collect();
    assert!(
        !rules.contains(&"invalid-credentials".to_string()),
        "{rules:?}"
    );
    let t = &saved_listing(dir.path())["tokens"][0];
    assert_eq!(t["state"], "active", "{t}");
    assert_eq!(
        t["granted"],
        serde_json::json!(["account:read", "campaigns:read", "reports:read"])
    );
    assert_eq!(unprobed_reason(t, "actions:read"), Some("failed"));
    assert_eq!(unprobed_reason(t, "contacts:read"), Some("failed"));
    // Every category was still probed (23 brand probes, 5 through the first campaign).
    assert_eq!(srv.received().len(), 23);
    // The endpoint of a read through a campaign is shown as its template.
    assert!(
        out.all().contains(&format!(
            "GET /Advertisers/{SID_REPORTS}/Campaigns/{{id}}/Contacts — 401 Unauthorized, though the token had authenticated"
        )),
        "{}",
        out.all()
    );
    nothing_leaked(dir.path(), &out);
}

#[test]
fn a_secret_echoed_by_the_server_goes_nowhere() {
    // The server hands the Auth Token back as the first campaign's id, as a reason phrase and
    // in a header: none of it may reach a path, a message or the listing.
    let srv = Hostile::start(as_api(|resource, r| {
        let secret = r.password.unwrap_or_default().to_string();
        match resource {
            "CompanyInformation" | "Reports" => Reply::list(resource, "1"),
            "Campaigns" => Reply::list(resource, &secret),
            "Actions" => {
                Reply::Phrase(503, secret.clone(), format!("{{\"Message\":\"{secret}\"}}"))
            }
            "Deals" => Reply::Json(418, vec![("X-Echo".into(), secret.clone())], secret),
            _ => Reply::status(403),
        }
    }));
    let dir = reports_token(HOSTILE_SCOPES);
    for format in [
        "json", "human", "concise", "sarif", "github", "markdown", "html", "junit",
    ] {
        let (out, took) = hostile_audit(dir.path(), &srv.base(), &["--format", format]);
        assert!(took < Duration::from_secs(30), "took {took:?}");
        assert_eq!(out.code, 2, "{format}: {}", out.stderr);
        nothing_leaked(dir.path(), &out);
    }
    for g in srv.received() {
        no_secret_in("a request path", &g.path);
    }
    let t = &saved_listing(dir.path())["tokens"][0];
    assert_eq!(t["granted"].as_array().unwrap().len(), 3, "{t}");
    for dependent in ["contacts:read", "contracts:read", "notes:read"] {
        assert_eq!(
            unprobed_reason(t, dependent),
            Some("parent-id-unusable"),
            "{dependent}: {t}"
        );
    }
}

#[test]
fn what_cannot_heal_is_not_retried_and_what_can_is() {
    let srv = Hostile::start(as_api(|resource, r| match resource {
        "CompanyInformation" | "Campaigns" => Reply::list(resource, "1"),
        "Deals" => Reply::HugeHeader,
        "Invoices" => Reply::ManyHeaders,
        "Reports" if r.nth == 0 => Reply::ResetMidBody,
        "Actions" if r.nth == 0 => Reply::CloseMidHeaders,
        "Reports" | "Actions" => Reply::list(resource, "1"),
        _ => Reply::status(403),
    }));
    let dir = reports_token(&[
        "account:read",
        "reports:read",
        "campaigns:read",
        "actions:read",
    ]);
    let (out, took) = hostile_audit(dir.path(), &srv.base(), &[]);
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_eq!(out.code, 2, "{}", out.stderr);
    let got = srv.received();
    assert_eq!(
        requests_for(&got, "Deals"),
        1,
        "a 1 MiB header is not retried"
    );
    assert_eq!(
        requests_for(&got, "Invoices"),
        1,
        "10,000 headers are not retried"
    );
    assert_eq!(
        requests_for(&got, "Reports"),
        2,
        "a reset mid-body is retried"
    );
    assert_eq!(
        requests_for(&got, "Actions"),
        2,
        "a close mid-headers is retried"
    );
    let all = out.all();
    for endpoint in ["Deals", "Invoices"] {
        assert!(
            all.contains(&format!(
                "GET /Advertisers/{SID_REPORTS}/{endpoint} — the answer's headers are too large or too many to read (not retried)"
            )),
            "{endpoint}: {all}"
        );
    }
    let t = &saved_listing(dir.path())["tokens"][0];
    let granted = t["granted"].as_array().unwrap();
    assert!(granted.contains(&"reports:read".into()) && granted.contains(&"actions:read".into()));
    nothing_leaked(dir.path(), &out);
}

#[test]
fn plain_http_to_a_tls_port_and_https_to_a_plain_one_say_so() {
    let (tls, _) = ImpactServer::start_tls(vec![FakeToken::new(
        SID_REPORTS,
        TOKEN_REPORTS,
        &["Reports"],
    )]);
    let port = tls.base.rsplit(':').next().unwrap().to_string();
    let dir = reports_token(HOSTILE_SCOPES);
    let (out, _) = hostile_audit(dir.path(), &format!("http://127.0.0.1:{port}"), &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.all().contains(&format!(
            "is 127.0.0.1:{port} a TLS port? (then use https://)"
        )),
        "{}",
        out.all()
    );
    let plain = Hostile::start(as_api(|resource, _| Reply::list(resource, "1")));
    let (out, _) = hostile_audit(
        dir.path(),
        &format!("https://localhost:{}", plain.port),
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.all().contains(&format!(
            "localhost:{} does not speak TLS (a plain-http port? https:// needs a TLS server)",
            plain.port
        )),
        "{}",
        out.all()
    );
    assert!(!out.all().contains("InvalidContentType"), "{}", out.all());
    nothing_leaked(dir.path(), &out);
}

#[test]
fn a_proxy_asking_for_credentials_is_named_without_them() {
    let proxy = Hostile::proxy_407();
    let proxy_url = format!(
        "http://squid-user:Pr0xyPassw0rdNotShown@127.0.0.1:{}",
        proxy.port
    );
    let dir = reports_token(HOSTILE_SCOPES);
    // HTTPS through the proxy (CONNECT), then plain http (the proxy answers the GET itself).
    for (var, base) in [
        ("HTTPS_PROXY", "https://localhost:9"),
        ("HTTP_PROXY", "http://localhost:9"),
    ] {
        let mut cmd = bare();
        cmd.current_dir(dir.path())
            .env("SW_TEST_REPORTS", TOKEN_REPORTS)
            .args(["--as-of", AS_OF, "audit", "--live", "--api-base", base])
            .args(["--format", "json", "--backoff-ms", "20"]);
        for v in PROXY_VARS {
            cmd.env_remove(v);
        }
        cmd.env(var, &proxy_url);
        let out = run(cmd);
        assert_eq!(out.code, 2, "{}", out.stderr);
        let all = out.all();
        assert!(
            all.contains(&format!(
                "the proxy http://127.0.0.1:{} asks for credentials (407 Proxy Authentication Required)",
                proxy.port
            )),
            "{var}: {all}"
        );
        for hidden in ["Pr0xyPassw0rd", "squid-user", "corp", "\u{202e}"] {
            assert!(!all.contains(hidden), "{hidden} in {all}");
        }
        nothing_leaked(dir.path(), &out);
    }
    let got = proxy.received();
    assert!(
        got.iter()
            .any(|g| g.method == "CONNECT" && g.path == "localhost:9"),
        "{got:?}"
    );
    assert!(got.len() <= 4, "a 407 is not retried: {got:?}");
}

#[test]
fn tls_failures_are_told_in_words() {
    let dir = reports_token(HOSTILE_SCOPES);
    let token = || vec![FakeToken::new(SID_REPORTS, TOKEN_REPORTS, &["Reports"])];
    // A CA of another name than the servers' issuer.
    let mut other = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    other.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    other
        .distinguished_name
        .push(rcgen::DnType::CommonName, "some other CA");
    let other = other
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap();
    std::fs::write(dir.path().join("other-ca.pem"), other.pem()).unwrap();
    for (cert, words) in [
        (
            TlsCert::CaAsServer,
            "securely: it presents a CA certificate as its own",
        ),
        (
            TlsCert::WrongName,
            "securely: its certificate is for another host name",
        ),
        (TlsCert::Expired, "securely: its certificate has expired"),
        (
            TlsCert::Good,
            "securely: its certificate is signed neither by a system CA nor by the CA given with --ca-cert",
        ),
    ] {
        let (srv, pem) = ImpactServer::start_tls_with(token(), cert);
        let ca = if cert == TlsCert::Good {
            "other-ca.pem".to_string()
        } else {
            std::fs::write(dir.path().join("ca.pem"), pem).unwrap();
            "ca.pem".to_string()
        };
        let (out, _) = hostile_audit(dir.path(), &srv.base, &["--ca-cert", &ca]);
        assert_eq!(out.code, 2, "{cert:?}: {}", out.stderr);
        let all = out.all();
        assert!(all.contains(words), "{cert:?}: {all}");
        // --ca-cert was given: no advice to give it; no rustls internals.
        for bad in [
            "can be trusted with --ca-cert",
            "CaUsedAsEndEntity",
            "OtherError",
            "Other(",
            "InvalidCertificate",
        ] {
            assert!(!all.contains(bad), "{cert:?}: `{bad}` in {all}");
        }
        assert!(
            srv.received().is_empty(),
            "{cert:?}: no request over a bad connection"
        );
        nothing_leaked(dir.path(), &out);
    }
}

/// Runs the audit as a child, sends `signal` once the server has seen a request for
/// `Reports` (which it never answers), and returns the exit code, the output and the time from
/// the signal to the exit.
fn interrupted(signal: i32) -> (i32, String, String, Duration, tempfile::TempDir) {
    let srv = Hostile::start(as_api(|resource, _| match resource {
        "CompanyInformation" | "Campaigns" => Reply::list(resource, "1"),
        "Reports" => Reply::Silent,
        _ => Reply::status(403),
    }));
    let dir = reports_token(HOSTILE_SCOPES);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("scopeward"));
    cmd.current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("SW_TEST_REPORTS", TOKEN_REPORTS)
        .args([
            "--as-of",
            AS_OF,
            "audit",
            "--live",
            "--api-base",
            &srv.base(),
        ])
        .args(["--format", "json", "--save-listing", "listing.json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    let child = cmd.spawn().unwrap();
    let pid = child.id() as i32;
    assert!(
        srv.wait_for(Duration::from_secs(60), |g| g.resource() == "Reports"),
        "the probe reached Reports"
    );
    let sent = Instant::now();
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let code = out.status.code().expect("exited, not killed");
    (
        code,
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        took,
        dir,
    )
}

#[test]
fn sigint_and_sigterm_save_what_was_learnt_report_and_exit_130_or_143() {
    for (signal, code, name) in [
        (libc::SIGINT, 130, "SIGINT"),
        (libc::SIGTERM, 143, "SIGTERM"),
    ] {
        let (got, stdout, stderr, took, dir) = interrupted(signal);
        assert_eq!(got, code, "{name}: {stderr}");
        // At once: not after the 30 s --timeout of the exchange in flight.
        assert!(took < Duration::from_secs(15), "{name}: took {took:?}");
        let report: Value = serde_json::from_str(&stdout).expect("the report was printed");
        let errors = report["errors"].to_string();
        assert!(
            errors.contains(&format!("interrupted ({name}): probing stopped")),
            "{name}: {errors}"
        );
        let listing = saved_listing(dir.path());
        let t = &listing["tokens"][0];
        assert_eq!(t["state"], "unknown", "{name}: half-probed: {t}");
        assert!(
            t["granted"]
                .as_array()
                .unwrap()
                .contains(&"account:read".into()),
            "{name}: what was learnt is kept: {t}"
        );
        assert_eq!(
            unprobed_reason(t, "reports:read"),
            Some("interrupted"),
            "{t}"
        );
        assert_eq!(unprobed_reason(t, "notes:read"), Some("interrupted"), "{t}");
        no_secret_in("stdout", &stdout);
        no_secret_in("stderr", &stderr);
        no_secret_in("the listing", &listing.to_string());
    }
}

#[test]
fn listings_read_unprobed_entries_of_both_shapes() {
    let dir = reports_token(&["reports:read"]);
    let listing = |unprobed: &str| {
        format!(
            r#"{{"version": 1, "tool": {{"name": "scopeward", "version": "0.1.0"}},
 "taken_at": "2026-11-22T03:00:00Z", "api_base": "https://api.impact.com",
 "tokens": [{{"sid": "{SID_REPORTS}", "account_type": "brand", "state": "active",
   "granted": ["reports:read"], "refused": [], "unverifiable": [],
   "unprobed": {unprobed}, "probed_at": "2026-11-22T03:00:01Z", "requests": 2}}]}}"#
        )
    };
    // Earlier builds wrote bare names; this one writes the reason too.
    std::fs::write(
        dir.path().join("listing.json"),
        listing(r#"["deals:read", {"scope": "notes:read", "reason": "parent-refused"}]"#),
    )
    .unwrap();
    let out = offline(dir.path(), "listing.json", &["--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    // A reason this build does not know is an input error with a place.
    std::fs::write(
        dir.path().join("listing.json"),
        listing(r#"[{"scope": "notes:read", "reason": "felt-like-it"}]"#),
    )
    .unwrap();
    let out = offline(dir.path(), "listing.json", &[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.all().contains("listing.json:5:"), "{}", out.all());
}

#[test]
fn a_probe_that_learnt_nothing_never_overwrites_a_saved_listing() {
    let srv = server();
    let dir = workspace();
    let out = audit(dir.path(), &srv.base, &["--save-listing", "listing.json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let good = std::fs::read_to_string(dir.path().join("listing.json")).unwrap();
    drop(srv);
    // Nothing answers on this port now: every token stays unknown.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let out = audit(
        dir.path(),
        &closed,
        &[
            "--save-listing",
            "listing.json",
            "--timeout",
            "1",
            "--deadline",
            "20s",
        ],
    );
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.all().contains("existing listing is kept"),
        "{}",
        out.all()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("listing.json")).unwrap(),
        good
    );
}

#[test]
fn a_live_audit_with_nothing_to_probe_fails_closed() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme-tokens.yaml"),
        "account: {type: brand}\ntokens:\n  - name: no-sid\n    scopes: [reports:read]\n",
    )
    .unwrap();
    let out = audit(dir.path(), &srv.base, &[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.all().contains("nothing was checked live"),
        "{}",
        out.all()
    );
    assert!(srv.received().is_empty(), "nothing sent");
}
