//! `audit --live` and `audit --listing` against a real HTTP server on loopback that behaves
//! like impact.com (tests/common/impact.rs). Asserts on findings, the saved listing, and what
//! the server received: only GETs of safe list endpoints, within budget, never a secret out.

mod common;

use std::path::Path;
use std::time::Duration;

use common::impact::{FakeToken, ImpactServer, Trouble};
use common::{AS_OF, Out, bare, run};
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
    run(cmd)
}

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
        "human", "json", "sarif", "github", "junit", "markdown", "html",
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
