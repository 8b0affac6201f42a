//! The warehouse path equals the raw path: generated request logs are written as a combined
//! log and as a table; DuckDB (the `duckdb` package from PyPI) runs `scopeward usage-sql
//! --dialect duckdb` over the table; `audit` and `suggest` on the summary it writes give the
//! same findings and the same suggestions as on the raw log.
//!
//! The test needs a Python with `duckdb`: `SCOPEWARD_DUCKDB_PYTHON` names it (`.ci/run`
//! installs one and sets `SCOPEWARD_REQUIRE_DUCKDB=1`, which makes its absence a failure),
//! else `python3` is tried; without it, outside CI, the test says so and passes.

use std::path::Path;

use serde_json::Value;

use super::{A, AS_OF, B, C, L, U, run, sw, write};

/// A Python that can `import duckdb`, or why there is none.
fn python() -> Result<String, String> {
    let candidates: Vec<String> = match std::env::var("SCOPEWARD_DUCKDB_PYTHON") {
        Ok(p) if !p.is_empty() => vec![p],
        _ => vec!["python3".into()],
    };
    for p in candidates {
        let ok = std::process::Command::new(&p)
            .args(["-c", "import duckdb"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(p);
        }
    }
    Err("no Python with the `duckdb` package (set SCOPEWARD_DUCKDB_PYTHON)".into())
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// `(unix time, method, target, status, user)` of generated requests.
type Row = (i64, String, String, Option<u16>, Option<String>);

fn traffic() -> Vec<Row> {
    let mut rng = Rng(0x5eed_0000_beef_0001);
    let start = 1_790_841_600; // 2026-10-01T08:00:00Z
    // (SID, base, method, path after the SID) of what the integrations do.
    let ops: Vec<(&str, &str, &str, &str)> = vec![
        (A, "Advertisers", "GET", "/Actions?PageSize=100"),
        (A, "advertisers", "GET", "/Actions.json"),
        (
            A,
            "Advertisers",
            "POST",
            "/Actions?ActionId=7&_method=DELETE",
        ),
        (
            A,
            "Advertisers",
            "GET",
            "/Reports/adv_actions/MetaData.json",
        ),
        (A, "Advertisers", "GET", "/NotAnEndpoint"),
        (L, "Advertiser", "GET", "/Campaigns/1000"),
        (
            B,
            "Mediapartners",
            "GET",
            "/Campaigns/1200/Deals.json?PageSize=10",
        ),
        (B, "MediaPartners", "POST", "/MediaProperties"),
        (C, "Agencies", "GET", "/Reports"),
        (C, "Agencies", "GET", "/Advertisers/4410/Actions"),
        (U, "Advertisers", "GET", "/Ads"),
    ];
    let hosts = [
        "",
        "https://api.impact.com",
        "https://impact-proxy.internal:8443",
    ];
    let mut out = Vec::new();
    for i in 0..3000i64 {
        let t = start + i * 1500 + rng.below(600) as i64;
        let status = match rng.below(40) {
            0 => Some(403),
            1 => Some(401),
            2 => Some(404),
            3 => Some(500),
            4 => None,
            _ => Some(200),
        };
        let user = match rng.below(3) {
            0 => Some(A.to_string()),
            1 => Some("svcimpactsync01".to_string()),
            _ => None,
        };
        let (method, target) = match rng.below(20) {
            // Tracking calls: the SID only in the Basic-auth user, when the log has it.
            0 => (
                "POST".to_string(),
                "https://trkapi.impact.com/PageLoad".to_string(),
            ),
            1 => (
                "GET".to_string(),
                "https://cdn.example.net/app.js".to_string(),
            ),
            2 => (
                "GET".to_string(),
                "https://api.impact.com/healthz".to_string(),
            ),
            _ => {
                let (sid, base, m, p) = ops[rng.below(ops.len())];
                let host = hosts[rng.below(hosts.len())];
                (m.to_string(), format!("{host}/{base}/{sid}{p}"))
            }
        };
        out.push((t, method, target, status, user));
    }
    // A write scope only ever refused: reported, not granted.
    out.push((
        start + 10,
        "POST".into(),
        format!("/Advertisers/{A}/Conversions"),
        Some(403),
        None,
    ));
    out
}

fn clf_log(rows: &[Row]) -> String {
    rows.iter()
        .map(|(t, m, target, status, user)| {
            let time = jiff::Timestamp::from_second(*t)
                .unwrap()
                .strftime("%d/%b/%Y:%H:%M:%S +0000");
            format!(
                "10.0.0.9 - {} [{time}] \"{m} {target} HTTP/1.1\" {} 128 \"-\" \"sync/1\"\n",
                user.as_deref().unwrap_or("-"),
                status.map_or("-".to_string(), |s| s.to_string())
            )
        })
        .collect()
}

fn table_csv(rows: &[Row]) -> String {
    let mut s = String::from("time,method,path,status,user\n");
    for (t, m, target, status, user) in rows {
        let time = jiff::Timestamp::from_second(*t)
            .unwrap()
            .strftime("%Y-%m-%d %H:%M:%S");
        s += &format!(
            "{time},{m},\"{target}\",{},{}\n",
            status.map_or(String::new(), |s| s.to_string()),
            user.as_deref().unwrap_or("")
        );
    }
    s
}

const TOKENS: &str = "account: {type: brand}
tokens:
  - name: shop-sync
    sid: IRbrandAxxxxxxxxxxxxxxxxxxxxxxxxx1
    scopes: [actions:read, actions:write, reports:*, page-loads:write, ads:write]
  - name: old-erp
    sid: IRlegacyLxxxxxxxxxxxxxxxxxxxxxxxx1
    legacy: read-write
";
const PARTNER: &str = "[account]\ntype = \"partner\"\n\n[[tokens]]\nname = \"deal-feed\"\nsid = \"IRpartnerBxxxxxxxxxxxxxxxxxxxxxxx1\"\nscopes = [\"deals:read\", \"*:write\"]\n";
const AGENCY: &str = "{\"account\": {\"type\": \"agency\"}, \"tokens\": [{\"name\": \"agency-reports\", \"sid\": \"IRagencyCxxxxxxxxxxxxxxxxxxxxxxxx1\", \"scopes\": [\"reports:read\", \"jobs:read\"]}]}\n";

fn summarise(dir: &Path, python: &str) {
    let sql = run(sw(
        dir,
        &[
            "usage-sql",
            "--dialect",
            "duckdb",
            "--table",
            "requests",
            "--user-col",
            "user",
        ],
    ));
    assert_eq!(sql.code, 0, "{}", sql.stderr);
    write(dir, "summary.sql", &sql.stdout);
    let script = "import duckdb, sys
con = duckdb.connect()
con.execute(\"CREATE TABLE requests AS SELECT * FROM read_csv('table.csv', header = true, \"
            \"columns = {'time': 'TIMESTAMP', 'method': 'VARCHAR', 'path': 'VARCHAR', \"
            \"'status': 'INTEGER', 'user': 'VARCHAR'})\")
query = open('summary.sql').read()
con.execute('COPY (' + query + ') TO \\'summary.csv\\' (HEADER, DELIMITER \\',\\')')
";
    write(dir, "summarise.py", script);
    let out = std::process::Command::new(python)
        .arg("summarise.py")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "DuckDB failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        sql.stdout
    );
}

/// Findings as `(rule, token, scope, severity)`, sorted.
fn findings(out: &super::Out) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("rule"), s("token"), s("scope"), s("severity"))
        })
        .collect();
    v.sort();
    v
}

/// The suggest document without what names the log (paths, lines, per-log counts).
fn suggestions(out: &super::Out) -> Value {
    let mut doc = out.json();
    doc["logs"] = Value::Null;
    for t in doc["tokens"].as_array_mut().unwrap() {
        for s in t["scopes"].as_array_mut().unwrap() {
            s["first_at"] = Value::Null;
        }
    }
    for u in doc["undeclared_sids"].as_array_mut().unwrap() {
        u["first_at"] = Value::Null;
    }
    doc
}

#[test]
fn a_warehouse_summary_gives_the_findings_and_suggestions_of_the_raw_log() {
    let python = match python() {
        Ok(p) => p,
        Err(why) if std::env::var_os("SCOPEWARD_REQUIRE_DUCKDB").is_some() => {
            panic!("SCOPEWARD_REQUIRE_DUCKDB is set, but {why}")
        }
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let rows = traffic();
    write(dir.path(), "raw.log", &clf_log(&rows));
    write(dir.path(), "table.csv", &table_csv(&rows));
    write(dir.path(), "tokens/brand-tokens.yaml", TOKENS);
    write(dir.path(), "tokens/partner-tokens.toml", PARTNER);
    write(dir.path(), "tokens/agency-tokens.json", AGENCY);
    summarise(dir.path(), &python);
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    assert!(
        summary.starts_with("sid,method,path,status,count,first_seen,last_seen"),
        "{summary}"
    );
    assert!(
        summary.lines().count() < rows.len() / 10,
        "a summary, not a copy"
    );
    let audit = |log: &str| {
        run(sw(
            dir.path(),
            &["audit", "tokens", "--usage", log, "--format", "json"],
        ))
    };
    let (raw, sum) = (audit("raw.log"), audit("summary.csv"));
    assert_eq!(raw.code, sum.code, "{}\n{}", raw.stderr, sum.stderr);
    let raw_findings = findings(&raw);
    assert!(
        raw_findings.iter().any(|f| f.0 == "unused-scope")
            && raw_findings.iter().any(|f| f.0 == "missing-scope")
            && raw_findings.iter().any(|f| f.0 == "unmanaged-token"),
        "the comparison covers the usage rules: {raw_findings:?}"
    );
    assert_eq!(raw_findings, findings(&sum));
    assert!(
        sum.stderr
            .contains("usage: summary.csv: usage summary (CSV)"),
        "{}",
        sum.stderr
    );
    for extra in [
        &["--format", "json"][..],
        &["--format", "json", "--include-refused"],
    ] {
        let suggest = |log: &str| {
            let mut args = vec!["suggest", "tokens", "--usage", log];
            args.extend_from_slice(extra);
            run(sw(dir.path(), &args))
        };
        assert_eq!(
            suggestions(&suggest("raw.log")),
            suggestions(&suggest("summary.csv"))
        );
    }
    let diff = |log: &str| {
        run(sw(
            dir.path(),
            &["suggest", "tokens", "--usage", log, "--diff"],
        ))
        .stdout
    };
    let raw_diff = diff("raw.log");
    assert!(
        raw_diff.contains("--- a/tokens/brand-tokens.yaml"),
        "{raw_diff}"
    );
    assert_eq!(raw_diff, diff("summary.csv"));
    let _ = AS_OF;
}
