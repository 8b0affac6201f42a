//! `cargo bench --bench usage`: reading usage logs — parse, match to catalogue operations,
//! aggregate per SID — on 1,000,000 generated log lines, most of them combined log format.
//!
//! Measures, best of N runs (N = `SCOPEWARD_BENCH_RUNS`, default 5):
//! - `usage::Usage::from_bytes` over the lines held in memory (900,000 combined-log lines in
//!   one file, 100,000 JSON lines in another): parse + match + aggregate, no I/O;
//! - per line, combined log against JSON lines (1,000,000 of each, in memory);
//! - the same as one gzip-compressed file (inflate included);
//! - the release binary, `scopeward audit --usage … --format json`, on the files on disk
//!   (reading, the rules and output included), with its peak RSS — and on a log four times
//!   as large, to show that memory does not grow with the log.
//!
//! The target is under 1 s for the million lines on this project's 2-core machine, and
//! about 100 MB of memory whatever the size of the logs.

use std::io::Write;
use std::time::{Duration, Instant};

use scopeward::catalogue::Catalogues;
use scopeward::usage::Usage;

mod common;
use common::{Rng, sid};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLF_LINES: usize = 900_000;
const JSON_LINES: usize = 100_000;
const SIDS: usize = 200;

/// `(method, path after the SID)` of brand, partner and agency requests.
const BRAND: &[(&str, &str)] = &[
    ("GET", "/Actions?PageSize=100&Page=3"),
    ("GET", "/Actions/1000-2000-3000.json"),
    ("POST", "/Conversions"),
    ("GET", "/Campaigns/12345"),
    ("GET", "/Reports/adv_actions/MetaData.json"),
    ("GET", "/ReportExport/adv_actions?START_DATE=2026-11-01"),
    ("PUT", "/Ads/777"),
    ("POST", "/Actions?ActionId=5&_method=DELETE"),
    ("GET", "/Catalogs/55/Items?PageSize=500"),
    ("GET", "/NotAnEndpoint"),
];
const PARTNER: &[(&str, &str)] = &[
    ("GET", "/Campaigns/1200/Deals.json?PageSize=100"),
    ("GET", "/PromoCodes"),
    ("GET", "/Catalogs/ItemSearch?Query=shoes"),
    ("POST", "/MediaProperties"),
];
const AGENCY: &[(&str, &str)] = &[
    ("GET", "/Reports"),
    ("GET", "/Advertisers/4410/Actions"),
    ("GET", "/Jobs/9/Download"),
];

fn request(rng: &mut Rng, sids: &[String]) -> (String, String, u16) {
    let roll = rng.below(100);
    let status = match rng.below(50) {
        0 => 403,
        1 => 401,
        _ => 200,
    };
    if roll < 8 {
        return (
            "GET".into(),
            "https://cdn.example.net/assets/app.js".into(),
            200,
        );
    }
    let s = &sids[rng.below(sids.len())];
    let (base, ops) = match rng.below(10) {
        0..=6 => ("Advertisers", BRAND),
        7 | 8 => ("Mediapartners", PARTNER),
        _ => ("Agencies", AGENCY),
    };
    let (m, p) = ops[rng.below(ops.len())];
    let url = if rng.below(2) == 0 {
        format!("https://api.impact.com/{base}/{s}{p}")
    } else {
        format!("/{base}/{s}{p}")
    };
    (m.into(), url, status)
}

fn clf_lines(rng: &mut Rng, sids: &[String], n: usize) -> String {
    let mut clf = String::with_capacity(n * 190);
    for i in 0..n {
        if i % 50_000 == 49_999 {
            clf.push_str("truncated line from a log rotation\n");
            continue;
        }
        let (m, url, status) = request(rng, sids);
        let day = 1 + (i * 30 / n);
        let (h, min, sec) = ((i / 3600) % 24, (i / 60) % 60, i % 60);
        clf.push_str(&format!(
            "10.20.{}.{} - - [{day:02}/Nov/2026:{h:02}:{min:02}:{sec:02} +0000] \"{m} {url} HTTP/1.1\" {status} {} \"-\" \"integration/2.{}\"\n",
            rng.below(255),
            rng.below(255),
            rng.below(90_000),
            rng.below(9)
        ));
    }
    clf
}

fn json_lines(rng: &mut Rng, sids: &[String], n: usize) -> String {
    let mut json = String::with_capacity(n * 190);
    for i in 0..n {
        let (m, url, status) = request(rng, sids);
        let day = 1 + (i * 30 / n);
        json.push_str(&format!(
            "{{\"time\":\"2026-11-{day:02}T{:02}:{:02}:{:02}Z\",\"method\":\"{m}\",\"url\":\"{url}\",\"status\":{status},\"duration_ms\":{}}}\n",
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60,
            rng.below(900)
        ));
    }
    json
}

fn sids(rng: &mut Rng) -> Vec<String> {
    (0..SIDS).map(|_| sid(rng)).collect()
}

fn generate() -> (String, String) {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let sids = sids(&mut rng);
    let clf = clf_lines(&mut rng, &sids, CLF_LINES);
    let json = json_lines(&mut rng, &sids, JSON_LINES);
    (clf, json)
}

/// Wall time and peak RSS (MB) of one run, read by GNU time (`/usr/bin/time -f "%e %M"`):
/// a child's `ru_maxrss` seen from here would count pages inherited from this large process.
fn timed_rss(dir: &std::path::Path, args: &[&str]) -> Option<(f64, f64)> {
    let out = dir.join("time.out");
    let status = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%e %M", "-o"])
        .arg(&out)
        .arg(env!("CARGO_BIN_EXE_scopeward"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    assert!(status.code().is_some_and(|c| c < 2), "{status:?}");
    let text = std::fs::read_to_string(&out).ok()?;
    let mut f = text.lines().last()?.split_whitespace();
    let secs: f64 = f.next()?.parse().ok()?;
    let kb: f64 = f.next()?.parse().ok()?;
    Some((secs, kb / 1024.0))
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let out = f();
        best = best.min(t.elapsed());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

fn main() {
    let runs: usize = std::env::var("SCOPEWARD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let (clf, json) = generate();
    let lines = clf.lines().count() + json.lines().count();
    let mb = (clf.len() + json.len()) as f64 / 1e6;
    println!(
        "{lines} log lines ({mb:.1} MB): {CLF_LINES} combined-log, {JSON_LINES} JSON lines, {SIDS} SIDs; best of {runs}"
    );
    let cats = Catalogues::builtin();

    let (t, (usage, errors)) = best_of(runs, || {
        Usage::from_bytes(
            &[
                ("access.log", clf.as_bytes()),
                ("app.jsonl", json.as_bytes()),
            ],
            &cats,
        )
    });
    assert!(errors.is_empty());
    let requests = usage.requests();
    println!(
        "parse + match + aggregate, in memory:   {:>7.3} s  ({requests} impact.com requests, {} tokens, {:.0} lines/s)",
        t.as_secs_f64(),
        usage.tokens().len(),
        lines as f64 / t.as_secs_f64()
    );

    // Per line: a million lines of each format, alone.
    {
        let mut rng = Rng(0x5eed_1234_abcd_0002);
        let ids = sids(&mut rng);
        let clf1 = clf_lines(&mut rng, &ids, 1_000_000);
        let json1 = json_lines(&mut rng, &ids, 1_000_000);
        let (t_clf, _) = best_of(runs, || {
            Usage::from_bytes(&[("a.log", clf1.as_bytes())], &cats)
        });
        let (t_json, _) = best_of(runs, || {
            Usage::from_bytes(&[("a.jsonl", json1.as_bytes())], &cats)
        });
        println!(
            "1,000,000 combined-log lines ({:.0} MB):   {:>7.3} s  ({:.0} ns/line)",
            clf1.len() as f64 / 1e6,
            t_clf.as_secs_f64(),
            t_clf.as_secs_f64() * 1e3
        );
        println!(
            "1,000,000 JSON lines ({:.0} MB):           {:>7.3} s  ({:.0} ns/line, {:.2}x combined)",
            json1.len() as f64 / 1e6,
            t_json.as_secs_f64(),
            t_json.as_secs_f64() * 1e3,
            t_json.as_secs_f64() / t_clf.as_secs_f64()
        );
    }

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(clf.as_bytes()).unwrap();
    gz.write_all(json.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let (t, _) = best_of(runs, || {
        Usage::from_bytes(&[("access.log.gz", &gz[..])], &cats)
    });
    println!(
        "the same, one gzip file ({:.1} MB):     {:>7.3} s",
        gz.len() as f64 / 1e6,
        t.as_secs_f64()
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("access.log"), &clf).unwrap();
    std::fs::write(dir.path().join("app.jsonl"), &json).unwrap();
    std::fs::write(
        dir.path().join("tokens.yaml"),
        "account: {type: brand}\ntokens:\n  - name: a\n    scopes: [actions:read]\n",
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_scopeward");
    let audit = [
        "audit",
        "tokens.yaml",
        "--usage",
        "access.log",
        "app.jsonl",
        "--format",
        "json",
        "--as-of",
        "2026-12-01",
        "--quiet",
    ];
    let (t, status) = best_of(runs, || {
        std::process::Command::new(bin)
            .current_dir(dir.path())
            .args(audit)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
    });
    assert!(status.code().is_some_and(|c| c < 2), "{status:?}");
    println!(
        "`scopeward audit --usage`, end to end:  {:>7.3} s",
        t.as_secs_f64()
    );
    // Peak memory, on these logs and on one four times as large.
    {
        let mut big = std::fs::File::create(dir.path().join("big.log")).unwrap();
        for _ in 0..4 {
            big.write_all(clf.as_bytes()).unwrap();
            big.write_all(json.as_bytes()).unwrap();
        }
    }
    let big = [
        "audit",
        "tokens.yaml",
        "--usage",
        "big.log",
        "--format",
        "json",
        "--as-of",
        "2026-12-01",
        "--quiet",
    ];
    match (timed_rss(dir.path(), &audit), timed_rss(dir.path(), &big)) {
        (Some((_, rss)), Some((t4, rss4))) => {
            println!("peak RSS, 1,000,000 lines ({mb:.0} MB):      {rss:>7.0} MB");
            println!(
                "peak RSS, 4,000,000 lines ({:.0} MB):      {rss4:>7.0} MB  ({t4:.2} s)",
                mb * 4.0
            );
        }
        _ => println!("peak RSS: GNU time (/usr/bin/time) is not installed"),
    }
}
