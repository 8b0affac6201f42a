//! Logs as real servers write them, rendered from each server's documented format string
//! from one set of requests whose every detail is known: what each format lets scopeward
//! attribute, and that what it cannot is never called unused nor removed.
//!
//! - nginx `combined` (`$remote_addr - $remote_user [$time_local] "$request" $status
//!   $body_bytes_sent "$http_referer" "$http_user_agent"`): `$remote_user` is the Basic-auth
//!   user of the request, so `/PageLoad` is attributed.
//! - nginx JSON (`log_format json escape=json`, the common template with `"timestamp":
//!   "$msec"` and `"host": "$host"`): behind the reverse proxy, `$host` is the proxy's name.
//! - Apache `combined` (`%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"`): a
//!   reverse proxy does not authenticate, so `%u` is `-`.
//! - Squid native (`%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`), with
//!   `ssl_bump` (full URLs), proxy authentication (`%[un` is the proxy's login) and its default
//!   `strip_query_terms on` (`…?`).
//! - Caddy's JSON access log (`ts` in float seconds, the request nested, `user_id` empty).
//! - mitmproxy's HAR in reverse mode without `keep_host_header`: URLs carry the proxy's host,
//!   headers the `Authorization`.

use std::path::Path;

use super::{A, AS_OF, SECRET, b64, findings, gzip, run, sw, write};

/// One request the integration made: when (Unix seconds), what, and what came back.
struct Known {
    t: i64,
    method: &'static str,
    /// Path and query after the host.
    target: String,
    status: u16,
    /// Whether the request sent Basic auth (`SID:Auth Token`).
    basic: bool,
}

const PROXY: &str = "impact-proxy.internal";
/// 2026-10-01T08:00:00Z.
const OCT_1: i64 = 1_790_841_600;

fn traffic() -> Vec<Known> {
    let day = 86_400;
    let k = |t: i64, method, target: String, status, basic| Known {
        t,
        method,
        target,
        status,
        basic,
    };
    vec![
        k(
            OCT_1,
            "GET",
            format!("/Advertisers/{A}/Actions?PageSize=100"),
            200,
            true,
        ),
        k(
            OCT_1 + 60,
            "POST",
            format!("/Advertisers/{A}/Conversions"),
            200,
            true,
        ),
        // A tracking call: the SID is only in the Basic-auth user.
        k(OCT_1 + 3 * day, "POST", "/PageLoad".into(), 200, true),
        k(
            OCT_1 + 20 * day,
            "GET",
            format!("/Advertisers/{A}/Actions.json?ActionDateStart=2026-10-01"),
            200,
            true,
        ),
        k(
            OCT_1 + 40 * day,
            "POST",
            format!("/Advertisers/{A}/Conversions"),
            200,
            true,
        ),
        k(OCT_1 + 40 * day + 5, "GET", "/healthz".into(), 200, false),
    ]
}

fn time_local(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .unwrap()
        .strftime("%d/%b/%Y:%H:%M:%S +0000")
        .to_string()
}

/// `$name` → value, longest names first (nginx variables).
fn nginx(template: &str, vars: &[(&str, String)]) -> String {
    let mut vars: Vec<&(&str, String)> = vars.iter().collect();
    vars.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    let mut s = template.to_string();
    for (name, value) in vars {
        s = s.replace(&format!("${name}"), value);
    }
    s
}

fn vars(k: &Known) -> Vec<(&'static str, String)> {
    vec![
        ("remote_addr", "10.0.0.7".into()),
        ("remote_user", if k.basic { A.into() } else { "-".into() }),
        ("time_local", time_local(k.t)),
        ("msec", format!("{}.{:03}", k.t, 417)),
        ("request_method", k.method.into()),
        ("request_uri", k.target.clone()),
        ("request", format!("{} {} HTTP/1.1", k.method, k.target)),
        ("status", k.status.to_string()),
        ("body_bytes_sent", "512".into()),
        ("http_referer", "-".into()),
        ("http_user_agent", "shop-sync/2.1".into()),
        ("host", PROXY.into()),
        ("request_time", "0.042".into()),
    ]
}

const NGINX_COMBINED: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";
const NGINX_JSON: &str = "{\"timestamp\":\"$msec\",\"remote_addr\":\"$remote_addr\",\"remote_user\":\"$remote_user\",\"host\":\"$host\",\"request_method\":\"$request_method\",\"request_uri\":\"$request_uri\",\"status\":$status,\"body_bytes_sent\":$body_bytes_sent,\"request_time\":$request_time,\"http_user_agent\":\"$http_user_agent\"}";
const APACHE_COMBINED: &str = "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"";
const SQUID_NATIVE: &str = "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt";

fn apache(k: &Known) -> String {
    [
        ("%{Referer}i", "-".to_string()),
        ("%{User-agent}i", "shop-sync/2.1".into()),
        ("%>s", k.status.to_string()),
        ("%h", "10.0.0.7".into()),
        ("%l", "-".into()),
        // A reverse proxy authenticates nobody: `%u` is `-`.
        ("%u", "-".into()),
        ("%t", format!("[{}]", time_local(k.t))),
        ("%r", format!("{} {} HTTP/1.1", k.method, k.target)),
        ("%b", "512".into()),
    ]
    .iter()
    .fold(APACHE_COMBINED.to_string(), |s, (d, v)| s.replace(d, v))
}

fn squid(k: &Known) -> String {
    // `strip_query_terms on`: the query is cut after its `?`.
    let url = format!("https://{}{}", host_of(k), k.target);
    let url = match url.find('?') {
        Some(q) => url[..=q].to_string(),
        None => url,
    };
    [
        ("%ts.%03tu", format!("{}.417", k.t)),
        ("%6tr", format!("{:6}", 42)),
        ("%>a", "10.0.0.7".into()),
        ("%Ss/%03>Hs", format!("TCP_MISS/{:03}", k.status)),
        ("%<st", "512".into()),
        ("%rm", k.method.into()),
        ("%ru", url),
        // Proxy authentication: the proxy's own login, not a SID.
        ("%[un", "svcimpactsync01".into()),
        ("%Sh/%<a", "HIER_DIRECT/203.0.113.10".into()),
        ("%mt", "application/json".into()),
    ]
    .iter()
    .fold(SQUID_NATIVE.to_string(), |s, (d, v)| s.replace(d, v))
}

fn host_of(k: &Known) -> &'static str {
    if k.target.starts_with("/PageLoad") {
        "trkapi.impact.com"
    } else {
        "api.impact.com"
    }
}

fn caddy(k: &Known) -> String {
    serde_json::json!({
        "level": "info",
        "ts": k.t as f64 + 0.5241024,
        "logger": "http.log.access.log0",
        "msg": "handled request",
        "request": {
            "remote_ip": "10.0.0.7",
            "remote_port": "41342",
            "client_ip": "10.0.0.7",
            "proto": "HTTP/1.1",
            "method": k.method,
            "host": PROXY,
            "uri": k.target,
            "headers": {"User-Agent": ["shop-sync/2.1"], "Authorization": ["REDACTED"]}
        },
        "bytes_read": 0,
        "user_id": "",
        "duration": 0.000929675,
        "size": 512,
        "status": k.status,
        "resp_headers": {"Server": ["Caddy"]}
    })
    .to_string()
}

fn har(traffic: &[Known]) -> String {
    let basic = format!("Basic {}", b64(format!("{A}:{SECRET}").as_bytes()));
    let entries: Vec<serde_json::Value> = traffic
        .iter()
        .map(|k| {
            let mut headers = vec![serde_json::json!({"name": "Host", "value": PROXY})];
            if k.basic {
                headers.push(serde_json::json!({"name": "Authorization", "value": basic}));
            }
            serde_json::json!({
                "startedDateTime": jiff::Timestamp::from_second(k.t).unwrap().to_string(),
                "time": 42,
                "request": {
                    "method": k.method,
                    "url": format!("https://{PROXY}{}", k.target),
                    "httpVersion": "HTTP/1.1",
                    "headers": headers,
                    "queryString": [],
                    "cookies": [],
                    "headersSize": -1,
                    "bodySize": 0
                },
                "response": {"status": k.status, "statusText": "OK", "httpVersion": "HTTP/1.1",
                             "headers": [], "cookies": [], "content": {"size": 2, "mimeType": "application/json", "text": "{}"},
                             "redirectURL": "", "headersSize": -1, "bodySize": 2},
                "cache": {},
                "timings": {"send": 0, "wait": 40, "receive": 2}
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "log": {"version": "1.2", "creator": {"name": "mitmproxy", "version": "11.0.0"}, "entries": entries}
    }))
    .unwrap()
}

/// `(file name, text, detected format, whether the Basic-auth user is in the log)`.
fn logs() -> Vec<(&'static str, String, &'static str, bool)> {
    let t = traffic();
    let lines =
        |f: &dyn Fn(&Known) -> String| -> String { t.iter().map(|k| f(k) + "\n").collect() };
    vec![
        (
            "nginx-combined.log",
            lines(&|k| nginx(NGINX_COMBINED, &vars(k))),
            "common/combined log format",
            true,
        ),
        (
            "nginx-json.log",
            lines(&|k| nginx(NGINX_JSON, &vars(k))),
            "JSON lines",
            true,
        ),
        (
            "apache-combined.log",
            lines(&apache),
            "common/combined log format",
            false,
        ),
        (
            "squid-access.log",
            lines(&squid),
            "Squid native format",
            false,
        ),
        ("caddy-access.log", lines(&caddy), "JSON lines", false),
        ("mitmproxy.har", har(&t), "HAR", true),
    ]
}

const TOKENS: &str = "account: {type: brand}
tokens:
  - name: shop-sync
    sid: IRbrandAxxxxxxxxxxxxxxxxxxxxxxxxx1
    scopes:
      - actions:read
      - conversions:write
      - page-loads:write
      - ads:write
";

fn setup_tokens(dir: &Path) {
    write(dir, "tokens/brand-tokens.yaml", TOKENS);
}

#[test]
fn every_server_format_gives_the_truth_it_can_see() {
    for (name, text, detected, has_user) in logs() {
        let dir = tempfile::tempdir().unwrap();
        setup_tokens(dir.path());
        write(dir.path(), &format!("logs/{name}"), &text);
        let log = format!("logs/{name}");
        let out = run(sw(
            dir.path(),
            &["audit", "tokens", "--usage", &log, "--format", "json"],
        ));
        let got: Vec<(String, String, String)> = findings(&out)
            .into_iter()
            .filter(|f| {
                [
                    "unused-scope",
                    "missing-scope",
                    "unmanaged-token",
                    "unused-token",
                ]
                .contains(&f.0.as_str())
            })
            .collect();
        // Only ads:write is unused; page-loads:write is either attributed (the log has the
        // Basic-auth user) or unverifiable (it has not) — never unused.
        assert_eq!(
            got,
            [(
                "unused-scope".to_string(),
                "shop-sync".to_string(),
                "ads:write".to_string()
            )],
            "{name}:\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!("usage: {log}: {detected}")),
            "{name}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("attributed to a token"),
            "{name}: {}",
            out.stderr
        );
        let unverifiable = out
            .stderr
            .contains("page-loads:write (1) cannot be verified");
        assert_eq!(unverifiable, !has_user, "{name}: {}", out.stderr);
        assert!(!out.all().contains(SECRET), "{name}");

        // And the diff removes ads:write, and nothing else.
        let out = run(sw(
            dir.path(),
            &["suggest", "tokens", "--usage", &log, "--diff"],
        ));
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        let removed: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with('-') && !l.starts_with("---"))
            .collect();
        assert_eq!(removed, ["-      - ads:write"], "{name}:\n{}", out.stdout);
        assert!(
            !out.stdout
                .lines()
                .any(|l| l.starts_with('+') && !l.starts_with("+++"))
        );
    }
}

#[test]
fn squid_notes_stripped_queries_and_its_login_is_no_token() {
    let (name, text, ..) = logs()
        .into_iter()
        .find(|l| l.0.starts_with("squid"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    setup_tokens(dir.path());
    write(dir.path(), name, &text);
    let out = run(sw(
        dir.path(),
        &["audit", "tokens", "--usage", name, "--format", "json"],
    ));
    assert!(out.stderr.contains("strip_query_terms"), "{}", out.stderr);
    assert!(
        out.stderr.contains("whose logged user is not a SID"),
        "{}",
        out.stderr
    );
    assert!(
        !findings(&out).iter().any(|f| f.0 == "unmanaged-token"),
        "{}",
        out.stdout
    );
}

#[test]
fn epoch_times_keep_a_token_in_use() {
    // nginx's `"timestamp": "$msec"`: read, so the token was used 2026-11-10, not never.
    let (name, text, ..) = logs()
        .into_iter()
        .find(|l| l.0 == "nginx-json.log")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "tokens/brand-tokens.yaml",
        &TOKENS.replace("    scopes:", "    last_used: 2026-05-01\n    scopes:"),
    );
    write(dir.path(), name, &text);
    let out = run(sw(
        dir.path(),
        &["audit", "tokens", "--usage", name, "--format", "json"],
    ));
    assert!(
        !findings(&out).iter().any(|f| f.0 == "unused-token"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("2026-10-01 to 2026-11-10 UTC"),
        "{}",
        out.stderr
    );
    // A time field that cannot be read is counted and said, never dropped silently.
    let broken = text.replacen("\"timestamp\":\"1790", "\"timestamp\":\"x1790", 1);
    write(dir.path(), name, &broken);
    let out = run(sw(
        dir.path(),
        &["audit", "tokens", "--usage", name, "--format", "json"],
    ));
    assert!(
        out.stderr
            .contains("1 request with a time that cannot be read (first: line 1)"),
        "{}",
        out.stderr
    );
}

#[test]
fn usage_host_narrows_and_a_log_that_yields_nothing_says_so() {
    let (name, text, ..) = logs()
        .into_iter()
        .find(|l| l.0 == "nginx-json.log")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    setup_tokens(dir.path());
    write(dir.path(), name, &text);
    let audit = |host: &str| {
        run(sw(
            dir.path(),
            &[
                "audit",
                "tokens",
                "--usage",
                name,
                "--usage-host",
                host,
                "--format",
                "json",
            ],
        ))
    };
    let out = audit(PROXY);
    assert!(
        findings(&out).iter().any(|f| f.0 == "unused-scope"),
        "{}",
        out.stderr
    );
    let out = audit("api.internal");
    // A host filter that matches no logged request judges nothing: exit 2, not a pass.
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        !findings(&out).iter().any(|f| f.0 == "unused-scope"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("no impact.com request in it"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("6 requests to hosts --usage-host does not name skipped"),
        "{}",
        out.stderr
    );
}

#[test]
fn rotated_and_gzip_logs_in_one_flag_and_first_at_follows_time() {
    // `--usage access.log*` as a shell expands it, with the definitions after it.
    let (_, text, ..) = logs().into_iter().next().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    setup_tokens(dir.path());
    let part = |r: std::ops::Range<usize>| {
        lines[r]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    // Newest first, as logrotate names them.
    write(dir.path(), "logs/access.log", &part(4..6));
    write(dir.path(), "logs/access.log.1", &part(2..4));
    std::fs::write(
        dir.path().join("logs/access.log.2.gz"),
        gzip(part(0..2).as_bytes()),
    )
    .unwrap();
    let out = run(sw(
        dir.path(),
        &[
            "suggest",
            "--usage",
            "logs/access.log",
            "logs/access.log.1",
            "logs/access.log.2.gz",
            "tokens",
            "--format",
            "json",
        ],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["logs"].as_array().unwrap().len(), 3, "{doc}");
    assert_eq!(doc["logs"][2]["gzip"], true);
    let shop = &doc["tokens"][0];
    assert_eq!(shop["token"], "shop-sync", "tokens/ was checked: {doc}");
    assert_eq!(shop["scopes"][0]["scope"], "actions:read");
    assert_eq!(shop["scopes"][0]["first_at"], "logs/access.log.2.gz:1");
    assert_eq!(shop["first_seen"], "2026-10-01T08:00:00Z");
    // A JSON definition after the logs is named, not read as a log of malformed lines.
    write(
        dir.path(),
        "tokens.json",
        "{\"account\": {\"type\": \"brand\"}, \"tokens\": []}\n",
    );
    let out = run(sw(
        dir.path(),
        &[
            "audit",
            "tokens",
            "--usage",
            "logs/access.log",
            "tokens.json",
        ],
    ));
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.all()
            .contains("tokens.json: is a token definition file"),
        "{}",
        out.all()
    );
}

#[test]
fn short_windows_judge_nothing_unused_and_say_why() {
    let (name, text, ..) = logs().into_iter().next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    setup_tokens(dir.path());
    write(dir.path(), name, &text);
    // --since cuts the window to 21 days (2026-10-21 to 2026-11-10).
    let out = run(sw(
        dir.path(),
        &[
            "audit",
            "tokens",
            "--usage",
            name,
            "--since",
            "2026-10-15",
            "--format",
            "json",
        ],
    ));
    assert!(
        !findings(&out).iter().any(|f| f.0 == "unused-scope"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("note: unused-scope is silent: the usage logs cover 2026-10-21 to 2026-11-10 UTC, 21 days, less than `min_window_days` (30)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("3 requests before --since ignored"),
        "{}",
        out.stderr
    );
    let out = run(sw(
        dir.path(),
        &[
            "suggest",
            "tokens",
            "--usage",
            name,
            "--since",
            "2026-10-15",
            "--diff",
        ],
    ));
    assert_eq!(out.stdout, "", "nothing removed over a short window");
    // The policy may ask for less.
    write(
        dir.path(),
        "scopeward.toml",
        "[rules.unused-scope]\nmin_window_days = 7\n",
    );
    let out = run(sw(
        dir.path(),
        &[
            "audit",
            "tokens",
            "--usage",
            name,
            "--since",
            "2026-10-15",
            "--format",
            "json",
        ],
    ));
    assert!(
        findings(&out).iter().any(|f| f.0 == "unused-scope"),
        "{}",
        out.all()
    );
    let _ = AS_OF;
}

#[test]
fn refused_only_evidence_is_granted_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "tokens/brand-tokens.yaml",
        "account: {type: brand}\ntokens:\n  - name: shop-sync\n    sid: IRbrandAxxxxxxxxxxxxxxxxxxxxxxxxx1\n    scopes: [actions:read]\n",
    );
    let log = format!(
        "10.0.0.7 - - [01/Oct/2026:08:00:00 +0000] \"GET /Advertisers/{A}/Actions HTTP/1.1\" 200 1\n\
         10.0.0.7 - - [09/Nov/2026:08:00:00 +0000] \"POST /Advertisers/{A}/Actions?ActionId=1&_method=DELETE HTTP/1.1\" 403 1\n"
    );
    write(dir.path(), "a.log", &log);
    let out = run(sw(
        dir.path(),
        &["audit", "tokens", "--usage", "a.log", "--format", "json"],
    ));
    assert!(
        findings(&out).contains(&(
            "missing-scope".into(),
            "shop-sync".into(),
            "actions:write".into()
        )),
        "{}",
        out.stdout
    );
    let out = run(sw(
        dir.path(),
        &["suggest", "tokens", "--usage", "a.log", "--diff"],
    ));
    assert_eq!(out.stdout, "", "a 403 is no reason to grant a write scope");
    let out = run(sw(
        dir.path(),
        &[
            "suggest",
            "tokens",
            "--usage",
            "a.log",
            "--diff",
            "--include-refused",
        ],
    ));
    assert!(
        out.stdout
            .contains("+    scopes: [actions:read, actions:write]"),
        "{}",
        out.stdout
    );
}

/// What `audit --usage` found, as (rule, token, scope).
fn usage_findings(dir: &Path, log: &str) -> (Vec<(String, String, String)>, String) {
    let out = run(sw(
        dir,
        &["audit", "tokens", "--usage", log, "--format", "json"],
    ));
    assert!(out.code < 2, "{log}: {}", out.all());
    (findings(&out), out.stderr)
}

#[test]
fn a_log_truncated_in_place_reads_as_if_it_had_no_hole() {
    // logrotate's `copytruncate` empties a log while its server keeps writing at its old
    // offset: the file starts with a hole of NUL bytes (here longer than the head read to
    // tell the format), then whole lines.
    for (name, text, detected, _) in logs() {
        if name.ends_with(".har") {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        setup_tokens(dir.path());
        write(dir.path(), &format!("logs/{name}"), &text);
        let mut holed = vec![0u8; 200 << 10];
        holed.extend_from_slice(text.as_bytes());
        // And a second hole between lines, as a second truncation leaves.
        let cut = holed.len() - text.len() / 2;
        let cut = cut + holed[cut..].iter().position(|b| *b == b'\n').unwrap() + 1;
        holed.splice(cut..cut, std::iter::repeat_n(0u8, 5000));
        std::fs::write(dir.path().join("logs/holed.log"), &holed).unwrap();
        std::fs::write(dir.path().join("logs/holed.log.gz"), gzip(&holed)).unwrap();

        let (want, _) = usage_findings(dir.path(), &format!("logs/{name}"));
        assert!(
            want.iter().any(|f| f.0 == "unused-scope"),
            "{name}: {want:?}"
        );
        for holed in ["logs/holed.log", "logs/holed.log.gz"] {
            let (got, stderr) = usage_findings(dir.path(), holed);
            assert_eq!(got, want, "{name} as {holed}:\n{stderr}");
            assert!(
                stderr.contains(&format!("usage: {holed}: {detected}")),
                "{name}: {stderr}"
            );
            assert!(
                stderr.contains(&format!("{holed}: 209800 NUL bytes skipped")),
                "{name}: {stderr}"
            );
            let summary = stderr
                .lines()
                .find(|l| l.starts_with(&format!("usage: {holed}:")))
                .unwrap();
            assert!(summary.contains(" 0 malformed"), "{name}: {summary}");
        }
    }
}

#[test]
fn an_endless_or_exploding_log_stops_at_the_cap_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    setup_tokens(dir.path());
    let (_, text, ..) = logs().into_iter().next().unwrap();
    // 64 MiB of log lines, compressed to a fraction of that.
    let line = text.lines().next().unwrap().to_string() + "\n";
    let big = line.repeat((64 << 20) / line.len() + 1);
    std::fs::write(dir.path().join("bomb.log.gz"), gzip(big.as_bytes())).unwrap();
    let mut cases = vec!["bomb.log.gz"];
    if Path::new("/dev/zero").exists() {
        cases.push("/dev/zero");
    }
    for log in cases {
        let mut cmd = sw(
            dir.path(),
            &["audit", "tokens", "--usage", log, "--max-usage-size", "16M"],
        );
        // A bound proving the run ends, far above what it takes.
        cmd.timeout(std::time::Duration::from_secs(120));
        let out = run(cmd);
        assert_eq!(out.code, 2, "{log}: {}", out.all());
        assert!(
            out.all()
                .contains("longer than 16 MiB (--max-usage-size): stopped reading it"),
            "{log}: {}",
            out.all()
        );
    }
    // Under the cap, the same log is read whole.
    let out = run(sw(
        dir.path(),
        &[
            "audit",
            "tokens",
            "--usage",
            "bomb.log.gz",
            "--max-usage-size",
            "65M",
        ],
    ));
    assert!(out.code < 2, "{}", out.all());
}
