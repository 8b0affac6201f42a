//! `cargo bench --bench check`: end-to-end speed of `scopeward check` on 100,000 generated
//! tokens (about 31 MB of YAML), beside the YAML parser alone on the same bytes.
//!
//! Measures, best of N runs (N = `SCOPEWARD_BENCH_RUNS`, default 5):
//! - `check` on one 100,000-token file and on the same tokens split over 100 files, JSON and
//!   human output, wall time and the child's peak RSS;
//! - granit-parser's event stream alone over the same bytes (one thread per file, like `check`);
//! - `check` on a handful of small files (the pre-commit case);
//! - PyYAML's C loader on the same file, if `python3 -c 'import yaml'` works;
//! - the findings-heavy case (`common::heavy`: 100,000 tokens, about 176,000 findings) in every
//!   format — wall time, peak RSS and output size beside the parse-only floor — with the
//!   targets of issue 14 checked and printed (not asserted), 20,000 such tokens beside the
//!   PyYAML script, and the HTML page loaded in headless Chromium (`/usr/bin/chromium`).
//!
//! `cargo bench --bench check -- --generate DIR` only writes the data; `-- --heavy` runs only
//! the findings-heavy case.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;

mod common;
use common::{Rng, sid};

// The same allocator as the scopeward binary, so parse-only is measured on equal terms.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TOKENS: usize = 100_000;
const SPLIT_FILES: usize = 100;

const SCOPES: &[&str] = &[
    "conversions:write",
    "campaigns:read",
    "actions:read",
    "reports:read",
    "ads:read",
    "deals:read",
    "catalogs:write",
    "catalogs:read",
    "contacts:read",
    "promo-codes:read",
    "tracking-links:write",
];

const ENVS: &[&str] = &["development", "staging", "production"];

fn token_yaml(i: usize, rng: &mut Rng, out: &mut String) {
    use std::fmt::Write;
    let env = ENVS[rng.below(ENVS.len())];
    let short = &env[..4];
    let _ = writeln!(out, "  - name: integration-{i:06}-{short}");
    let _ = writeln!(out, "    description: Shop {i} orders as conversions");
    let _ = writeln!(out, "    environment: {env}");
    let _ = writeln!(out, "    sid: {}", sid(rng));
    let _ = writeln!(out, "    auth_token_env: SHOP_{i:06}_IMPACT_TOKEN");
    let _ = writeln!(
        out,
        "    api_version: \"{}\"",
        if rng.below(10) == 0 { 13 } else { 14 }
    );
    let _ = writeln!(out, "    primary_contact: ops-{}@acme.example", i % 97);
    let _ = writeln!(
        out,
        "    created: 2026-0{}-1{}",
        1 + rng.below(9),
        rng.below(10)
    );
    let _ = writeln!(out, "    last_used: 2026-11-{:02}", 1 + rng.below(21));
    let n = 1 + rng.below(4);
    let mut scopes: Vec<&str> = (0..n).map(|_| SCOPES[rng.below(SCOPES.len())]).collect();
    if rng.below(50) == 0 {
        scopes.push("media-partners:read"); // unknown: a finding now and then
    }
    let _ = writeln!(out, "    scopes: [{}]", scopes.join(", "));
}

fn document(range: std::ops::Range<usize>, rng: &mut Rng) -> String {
    let mut s = String::with_capacity(range.len() * 330 + 64);
    s.push_str("account:\n  type: brand\n  name: Bench\ntokens:\n");
    for i in range {
        token_yaml(i, rng, &mut s);
    }
    s
}

/// Writes `one/bench-tokens.yaml` (every token) and `split/NNN-tokens.yaml`.
fn generate(dir: &Path) -> (PathBuf, PathBuf, usize) {
    let one = dir.join("one");
    let split = dir.join("split");
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&split).unwrap();
    let mut rng = Rng(0x5c09e3a4d);
    let text = document(0..TOKENS, &mut rng);
    std::fs::write(one.join("bench-tokens.yaml"), &text).unwrap();
    let per = TOKENS / SPLIT_FILES;
    // Same tokens, split: names stay unique across files.
    let mut rng = Rng(0x5c09e3a4d);
    for f in 0..SPLIT_FILES {
        let doc = document(f * per..(f + 1) * per, &mut rng);
        std::fs::write(split.join(format!("{f:03}-tokens.yaml")), doc).unwrap();
    }
    (one, split, text.len())
}

struct Measure {
    best: Duration,
    peak_rss_mb: f64,
    /// User + system CPU seconds of the run that measured the peak (GNU time only): a figure
    /// that other load on a shared machine inflates less than wall time.
    cpu: Option<f64>,
    exit: i32,
}

/// Runs a command `runs` times for its best wall time, then once more for its peak RSS.
///
/// The peak is read by GNU time (`/usr/bin/time -f %M`) when it is installed: a child's
/// `ru_maxrss` counts the pages it inherited from this large process before `exec`, so it cannot
/// be measured from here. Without GNU time, `/proc/PID/status`'s `VmHWM` (which `exec` resets) is
/// polled every millisecond while the child runs.
/// One run's wall time and exit code, its output thrown away.
fn time_once(cmd: &mut dyn FnMut() -> Command) -> (Duration, i32) {
    let mut c = cmd();
    c.stdout(Stdio::null()).stderr(Stdio::null());
    let start = Instant::now();
    let status = c.status().expect("spawn");
    (start.elapsed(), status.code().unwrap_or(-1))
}

/// A command the bench runs, by name.
type Named<'a> = (&'a str, Box<dyn FnMut() -> Command + 'a>);

/// The best wall time of each command over `rounds`, the commands taken in turn, one run of
/// each per round, after `per_round`: on a shared machine a slow spell then slows every one
/// of them, not the few that ran during it, and the ratios between them hold. With `exit`,
/// every run must end with that code.
fn best_in_turn(
    cmds: &mut [Named<'_>],
    rounds: usize,
    exit: Option<i32>,
    mut per_round: impl FnMut(),
) -> Vec<Duration> {
    let mut best = vec![Duration::MAX; cmds.len()];
    for _ in 0..rounds {
        per_round();
        for ((name, cmd), best) in cmds.iter_mut().zip(&mut best) {
            let (took, code) = time_once(cmd.as_mut());
            assert!(exit.is_none_or(|e| e == code), "{name}: exited {code}");
            *best = (*best).min(took);
        }
    }
    best
}

/// `scopeward check --format FORMAT DIR` as of the findings-heavy data's date.
fn heavy_check<'a>(bin: &'a str, dir: &Path, format: &'a str) -> Box<dyn FnMut() -> Command + 'a> {
    let dir = dir.to_path_buf();
    Box::new(move || {
        let mut c = Command::new(bin);
        c.args(["check", "--format", format, "--as-of", common::heavy::AS_OF])
            .arg(&dir);
        c
    })
}

fn measure(cmd: &mut dyn FnMut() -> Command, runs: usize) -> Measure {
    let mut best = Duration::MAX;
    let mut exit = 0;
    for _ in 0..runs {
        let (took, code) = time_once(cmd);
        best = best.min(took);
        exit = code;
    }
    let (peak_rss_mb, cpu) = peak_rss_mb(cmd());
    Measure {
        best,
        peak_rss_mb,
        cpu,
        exit,
    }
}

fn peak_rss_mb(cmd: Command) -> (f64, Option<f64>) {
    let gnu_time = Path::new("/usr/bin/time");
    if gnu_time.exists() {
        let out = std::env::temp_dir().join(format!("scopeward-bench-rss-{}", std::process::id()));
        let status = Command::new(gnu_time)
            .arg("-f")
            .arg("%U %S %M")
            .arg("-o")
            .arg(&out)
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .current_dir(cmd.get_current_dir().unwrap_or(Path::new(".")))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let fields: Vec<f64> = std::fs::read_to_string(&out)
            .ok()
            .and_then(|s| s.lines().last().map(str::to_string))
            .map(|l| {
                l.split_whitespace()
                    .filter_map(|f| f.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let _ = std::fs::remove_file(&out);
        if let (Ok(_), [user, sys, kb]) = (status, fields.as_slice()) {
            return (kb / 1024.0, Some(user + sys));
        }
    }
    let mut cmd = cmd;
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0f64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    (peak_kb / 1024.0, None)
}

fn parse_only(files: &[PathBuf], runs: usize) -> Duration {
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        let events: usize = texts
            .par_iter()
            .map(|t| {
                let mut n = 0usize;
                for ev in granit_parser::Parser::new_from_str(t) {
                    ev.expect("valid YAML");
                    n += 1;
                }
                n
            })
            .sum();
        best = best.min(start.elapsed());
        assert!(events > TOKENS);
    }
    best
}

/// scopeward's YAML stage alone: events into spanned trees, each token handed out and dropped.
fn tree_only(files: &[PathBuf], runs: usize) -> Duration {
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        let tokens: usize = texts
            .par_iter()
            .map(|t| {
                let mut n = 0usize;
                scopeward::tree::yaml::parse_split(
                    scopeward::source::FileId(0),
                    t,
                    "tokens",
                    &mut |_, node| {
                        n += 1;
                        drop(node);
                    },
                    &mut |_, _| {},
                )
                .expect("valid YAML");
                n
            })
            .sum();
        best = best.min(start.elapsed());
        assert_eq!(tokens, TOKENS);
    }
    best
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--generate") {
        let dir = PathBuf::from(args.get(i + 1).expect("--generate DIR"));
        let (_, _, bytes) = generate(&dir);
        let heavy = dir.join("heavy");
        std::fs::create_dir_all(&heavy).unwrap();
        let text = common::heavy::document(0..TOKENS, &mut Rng(0x1e5_ca1e));
        std::fs::write(heavy.join("heavy-tokens.yaml"), &text).unwrap();
        println!(
            "wrote {TOKENS} tokens ({:.1} MB) under {}, and {TOKENS} findings-heavy ones ({:.1} MB) under heavy/",
            bytes as f64 / 1e6,
            dir.display(),
            text.len() as f64 / 1e6
        );
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return; // `cargo bench -- --list`
    }
    let runs: usize = std::env::var("SCOPEWARD_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let bin = env!("CARGO_BIN_EXE_scopeward");
    let tmp = std::env::temp_dir().join(format!("scopeward-bench-{}", std::process::id()));
    if !args.iter().any(|a| a == "--heavy") {
        clean(bin, &tmp, runs);
    }
    heavy(bin, &tmp.join("heavy"), runs);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The mostly-clean case: about 12,000 findings per 100,000 tokens.
fn clean(bin: &'static str, tmp: &Path, runs: usize) {
    let (one, split, bytes) = generate(tmp);
    println!(
        "data: {TOKENS} tokens, {:.1} MB of YAML; best of {runs} runs; {} CPUs; load average {}",
        bytes as f64 / 1e6,
        rayon::current_num_threads(),
        load()
    );
    println!();

    let check = |dir: &Path, format: &'static str| {
        let dir = dir.to_path_buf();
        let cwd = tmp.to_path_buf();
        move || {
            let mut c = Command::new(bin);
            c.args(["check", "--format", format, "--as-of", "2026-11-22"])
                .arg(&dir)
                .current_dir(&cwd);
            c
        }
    };

    let mut rows = Vec::new();
    for (label, dir) in [("1 file", &one), ("100 files", &split)] {
        let files = yaml_files(dir);
        let parse = parse_only(&files, runs);
        let tree = tree_only(&files, runs);
        println!(
            "{label}: YAML events {} , events into spanned trees {}",
            secs(parse),
            secs(tree)
        );
        for format in ["json", "human"] {
            let m = measure(&mut check(dir, format), runs);
            assert!(m.exit == 0 || m.exit == 1, "check exited {}", m.exit);
            rows.push((label, format, m, parse));
        }
    }
    println!("| input | format | check | peak RSS | YAML parse only | check / parse |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (label, format, m, parse) in &rows {
        println!(
            "| {label} | {format} | {} | {:.0} MB | {} | {:.2}x |",
            secs(m.best),
            m.peak_rss_mb,
            secs(*parse),
            m.best.as_secs_f64() / parse.as_secs_f64()
        );
    }

    // The pre-commit case: a handful of small files.
    let small = tmp.join("small");
    std::fs::create_dir_all(&small).unwrap();
    let mut rng = Rng(7);
    for f in 0..5 {
        std::fs::write(
            small.join(format!("{f}-tokens.yaml")),
            document(f * 10..f * 10 + 10, &mut rng),
        )
        .unwrap();
    }
    let m = measure(&mut check(&small, "human"), runs.max(10));
    println!();
    println!(
        "pre-commit: 5 files of 10 tokens: {:.1} ms, peak RSS {:.0} MB",
        m.best.as_secs_f64() * 1e3,
        m.peak_rss_mb
    );

    // PyYAML's C loader on the same file, for scale.
    if has_pyyaml() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pyyaml_check.py");
        let file = one.join("bench-tokens.yaml");
        let m = measure(
            &mut || {
                let mut c = Command::new("python3");
                c.arg(&script).arg(&file);
                c
            },
            1,
        );
        let ours = rows[0].2.best.as_secs_f64();
        println!(
            "PyYAML C loader script, 1 file: {} (scopeward check is {:.1}x faster)",
            secs(m.best),
            m.best.as_secs_f64() / ours
        );
    } else {
        println!("PyYAML comparison skipped (pip install pyyaml to include it)");
    }
    println!();
}

/// The machine's load when a section starts (`/proc/loadavg`): on a shared machine, wall
/// times are only comparable at a similar load.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn has_pyyaml() -> bool {
    Command::new("python3")
        .args(["-c", "import yaml; yaml.CSafeLoader"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Every `--format` of `check`.
const FORMATS: &[&str] = &[
    "human", "concise", "json", "sarif", "github", "junit", "markdown", "html",
];

/// Bytes `check` writes in `format` (to `--output`, once).
fn output_bytes(bin: &str, dir: &Path, format: &str, out: &Path) -> u64 {
    let status = Command::new(bin)
        .args([
            "check",
            "--format",
            format,
            "--as-of",
            common::heavy::AS_OF,
            "--output",
        ])
        .arg(out)
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("spawn");
    assert!(matches!(status.code(), Some(0 | 1)), "{format}: {status}");
    std::fs::metadata(out).map_or(0, |m| m.len())
}

/// The findings-heavy case of issue 14, every format, beside the parse-only floor; then 20,000
/// such tokens beside the PyYAML script, and the HTML page in headless Chromium.
fn heavy(bin: &'static str, dir: &Path, runs: usize) {
    let one = dir.join("one");
    std::fs::create_dir_all(&one).unwrap();
    let text = common::heavy::document(0..TOKENS, &mut Rng(0x1e5_ca1e));
    let file = one.join("heavy-tokens.yaml");
    std::fs::write(&file, &text).unwrap();
    let findings = {
        let out = Command::new(bin)
            .args(["check", "--format", "json", "--as-of", common::heavy::AS_OF])
            .arg(&one)
            .stderr(Stdio::null())
            .output()
            .expect("spawn");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        doc["findings"].as_array().map_or(0, Vec::len)
    };
    println!(
        "findings-heavy: {TOKENS} tokens, {:.1} MB of YAML, {findings} findings; best of {runs} runs; load average {}",
        text.len() as f64 / 1e6,
        load()
    );
    drop(text);
    // The formats and the parse floor, taken in turn.
    let mut parse = Duration::MAX;
    let mut cmds: Vec<Named<'_>> = FORMATS
        .iter()
        .map(|f| (*f, heavy_check(bin, &one, f)))
        .collect();
    let best = best_in_turn(&mut cmds, runs, Some(1), || {
        parse = parse.min(parse_only(std::slice::from_ref(&file), 1));
    });
    let mut rows = Vec::new();
    for ((format, cmd), best) in cmds.iter_mut().zip(best) {
        let format = *format;
        let (peak_rss_mb, cpu) = peak_rss_mb(cmd());
        let m = Measure {
            best,
            peak_rss_mb,
            cpu,
            exit: 1,
        };
        let bytes = output_bytes(bin, &one, format, &dir.join(format!("out.{format}")));
        rows.push((format, m, bytes));
    }
    let json = rows.iter().find(|r| r.0 == "json").unwrap().1.best;
    println!(
        "| format | check | CPU (user+sys) | peak RSS | output | / YAML parse only | / json |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    println!("| (YAML parse only) | {} | | | | 1.00x | |", secs(parse));
    for (format, m, bytes) in &rows {
        println!(
            "| {format} | {} | {} | {:.0} MB | {:.1} MB | {:.2}x | {:.2}x |",
            secs(m.best),
            m.cpu.map_or("?".to_string(), |c| format!("{c:.2} s")),
            m.peak_rss_mb,
            *bytes as f64 / 1e6,
            m.best.as_secs_f64() / parse.as_secs_f64(),
            m.best.as_secs_f64() / json.as_secs_f64()
        );
    }
    let slowest = rows.iter().map(|r| r.1.best).max().unwrap();
    let fattest = rows.iter().map(|r| r.1.peak_rss_mb).fold(0f64, f64::max);
    let target = |ok: bool| if ok { "met" } else { "MISSED" };
    println!();
    println!(
        "targets: every format under 2 s: {} (slowest {}); under 300 MB: {} (largest {fattest:.0} MB);",
        target(slowest < Duration::from_secs(2)),
        secs(slowest),
        target(fattest < 300.0)
    );
    println!(
        "  json within 1.5x of the YAML parser: {} ({:.2}x); slowest format within 1.5x of json: {} ({:.2}x)",
        target(json.as_secs_f64() <= 1.5 * parse.as_secs_f64()),
        json.as_secs_f64() / parse.as_secs_f64(),
        target(slowest.as_secs_f64() <= 1.5 * json.as_secs_f64()),
        slowest.as_secs_f64() / json.as_secs_f64()
    );

    // 20,000 findings-heavy tokens, beside the PyYAML script, in one run.
    let small = dir.join("20k");
    std::fs::create_dir_all(&small).unwrap();
    let file20 = small.join("heavy-tokens.yaml");
    std::fs::write(
        &file20,
        common::heavy::document(0..20_000, &mut Rng(0x1e5_ca1e)),
    )
    .unwrap();
    if has_pyyaml() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pyyaml_check.py");
        let python = || {
            let mut c = Command::new("python3");
            c.arg(&script).arg(&file20);
            c
        };
        // Taken in turn, as above: the script, then each format, once per round.
        let mut cmds: Vec<Named<'_>> = vec![
            ("the PyYAML script", Box::new(python)),
            ("json", heavy_check(bin, &small, "json")),
            ("human", heavy_check(bin, &small, "human")),
        ];
        let best = best_in_turn(&mut cmds, runs.min(3), None, || {});
        let rss: Vec<f64> = cmds.iter_mut().map(|c| peak_rss_mb((c.1)()).0).collect();
        println!();
        println!("| 20,000 findings-heavy tokens | wall | peak RSS | PyYAML script / this |");
        println!("| --- | --- | --- | --- |");
        println!(
            "| PyYAML C loader script | {} | {:.0} MB | 1.0x |",
            secs(best[0]),
            rss[0]
        );
        for (i, format) in ["json", "human"].iter().enumerate() {
            let x = best[0].as_secs_f64() / best[i + 1].as_secs_f64();
            println!(
                "| scopeward check --format {format} | {} | {:.0} MB | {x:.1}x ({} 15x) |",
                secs(best[i + 1]),
                rss[i + 1],
                if x >= 15.0 { "meets" } else { "MISSES" }
            );
        }
    } else {
        println!("PyYAML comparison skipped (pip install pyyaml to include it)");
    }
    chromium_load(&dir.join("out.html"), runs);
}

/// Loads the findings-heavy HTML page in headless Chromium (`--dump-dom`: it returns once the
/// page has loaded and its DOM is built), beside an empty page for the browser's own start-up.
fn chromium_load(page: &Path, runs: usize) {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        println!("Chromium page load skipped (apt-get install chromium to include it)");
        return;
    }
    let empty = page.with_file_name("empty.html");
    std::fs::write(&empty, "<!DOCTYPE html><title>empty</title>").unwrap();
    let profile = page.with_file_name("chromium-profile");
    let load = |p: &Path| {
        let p = p.to_path_buf();
        let profile = profile.clone();
        move || {
            let mut c = Command::new(chromium);
            c.args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--dump-dom",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("file://{}", p.display()));
            c
        }
    };
    let base = measure(&mut load(&empty), runs.min(3));
    let m = measure(&mut load(page), runs.min(3));
    let size = std::fs::metadata(page).map_or(0, |m| m.len());
    println!();
    println!(
        "HTML in headless Chromium ({:.1} MB page): loaded and DOM dumped in {} (empty page: {}), so {:.2} s for the page; peak RSS {:.0} MB",
        size as f64 / 1e6,
        secs(m.best),
        secs(base.best),
        (m.best.as_secs_f64() - base.best.as_secs_f64()).max(0.0),
        m.peak_rss_mb
    );
}
