//! `cargo bench --bench scan`: `scopeward scan` on a generated tree of about 220 MB (source
//! files, configs, logs, JSON, a few binaries and a `.gitignore`d build folder), beside
//! ripgrep searching the same tree for the same candidate patterns (`scan::detect::CANDIDATES`)
//! with the same walk (hidden files searched, `.git` skipped, binaries skipped, no symlinks).
//!
//! Best of N runs (N = `SCOPEWARD_BENCH_RUNS`, default 5), warm page cache. ripgrep must be on
//! `PATH` (`apt-get install ripgrep`); without it only scopeward is timed.
//!
//! `cargo bench --bench scan -- --generate DIR` only writes the tree.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{ALNUM, Rng, sid};

const FILES: usize = 4_000;
/// Average file size: FILES × this ≈ 220 MB.
const FILE_BYTES: usize = 55_000;

const HEX: &[u8] = b"0123456789abcdef";
const WORDS: &[&str] = &[
    "import",
    "return",
    "function",
    "const",
    "let",
    "value",
    "config",
    "request",
    "response",
    "partner",
    "campaign",
    "report",
    "order",
    "customer",
    "if",
    "else",
    "for",
    "while",
    "true",
    "false",
    "null",
    "self",
    "this",
    "await",
    "async",
    "string",
    "number",
    "error",
    "result",
    "items",
    "page",
    "size",
    "total",
    "user",
    "account",
    "token_env",
    "handler",
    "client",
];

fn token(rng: &mut Rng) -> String {
    loop {
        let t = rng.word(ALNUM, 32);
        let up = t.bytes().filter(u8::is_ascii_uppercase).count();
        let lo = t.bytes().filter(u8::is_ascii_lowercase).count();
        let di = t.bytes().filter(u8::is_ascii_digit).count();
        if up >= 3 && lo >= 3 && di >= 2 {
            return t;
        }
    }
}

/// One text file: code-like lines with near misses now and then, and in one file of 50 a
/// planted credential (a tree full of secrets would measure the report, not the search).
fn text_file(rng: &mut Rng, planted: &mut usize) -> String {
    let mut s = String::with_capacity(FILE_BYTES + 200);
    let plant_at = (rng.below(50) == 0).then(|| rng.below(FILE_BYTES));
    let mut done = false;
    while s.len() < FILE_BYTES {
        if !done && plant_at.is_some_and(|at| s.len() >= at) {
            let sid = sid(rng);
            s.push_str(&format!(
                "IMPACT_ACCOUNT_SID={sid}\nIMPACT_AUTH_TOKEN={}\n",
                token(rng)
            ));
            *planted += 1;
            done = true;
        }
        match rng.below(400) {
            0 => s.push_str("# the impact.com auth token comes from IMPACT_AUTH_TOKEN\n"),
            1 => s.push_str(&format!("checksum = \"{}\"\n", rng.word(HEX, 32))),
            2 => s.push_str(&format!("request_id: {}\n", rng.word(HEX, 32))),
            3 => s.push_str("# see the impact.com API docs for paging\n"),
            4 => s.push_str(&format!("blob: {}==\n", rng.word(ALNUM, 60))),
            _ => {
                let n = 4 + rng.below(10);
                for i in 0..n {
                    if i > 0 {
                        s.push(' ');
                    }
                    s.push_str(WORDS[rng.below(WORDS.len())]);
                }
                s.push('\n');
            }
        }
    }
    s
}

fn generate(dir: &Path) -> (u64, usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let mut rng = Rng(0x5EED_CAFE);
    let mut bytes = 0u64;
    let mut planted = 0;
    let exts = [
        "py", "js", "yaml", "json", "env", "toml", "sh", "md", "log", "txt",
    ];
    for i in 0..FILES {
        let sub = dir.join(format!("pkg{:02}/mod{:02}", i % 40, (i / 40) % 10));
        std::fs::create_dir_all(&sub).unwrap();
        let text = text_file(&mut rng, &mut planted);
        let path = sub.join(format!("file{i:05}.{}", exts[i % exts.len()]));
        std::fs::write(&path, &text).unwrap();
        bytes += text.len() as u64;
    }
    // Binaries: skipped by both.
    for i in 0..40 {
        let mut b = vec![0u8; 50_000];
        b[100] = b'I';
        std::fs::write(dir.join(format!("pkg{:02}/asset{i}.bin", i % 40)), b).unwrap();
        bytes += 50_000;
    }
    // A .gitignore'd build folder: skipped by both.
    std::fs::write(dir.join(".gitignore"), "build/\n").unwrap();
    std::fs::create_dir_all(dir.join("build")).unwrap();
    for i in 0..100 {
        let text = text_file(&mut rng, &mut 0);
        std::fs::write(dir.join(format!("build/gen{i}.js")), text).unwrap();
    }
    (bytes, planted)
}

fn best_of(runs: usize, mut cmd: impl FnMut() -> Command) -> (Duration, i32) {
    let mut best = Duration::MAX;
    let mut code = 0;
    for _ in 0..runs {
        let mut c = cmd();
        c.stdout(Stdio::null()).stderr(Stdio::null());
        let start = Instant::now();
        let status = c.status().expect("spawn");
        best = best.min(start.elapsed());
        code = status.code().unwrap_or(-1);
    }
    (best, code)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--generate") {
        let dir = PathBuf::from(args.get(i + 1).expect("--generate DIR"));
        let (bytes, planted) = generate(&dir);
        println!(
            "wrote {FILES} files ({:.1} MB, {planted} planted credentials) under {}",
            bytes as f64 / 1e6,
            dir.display()
        );
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let runs: usize = std::env::var("SCOPEWARD_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let bin = env!("CARGO_BIN_EXE_scopeward");
    let dir = std::env::temp_dir().join(format!("scopeward-scan-bench-{}", std::process::id()));
    let (bytes, planted) = generate(&dir);
    println!(
        "tree: {FILES} text files, {:.1} MB, {planted} planted credentials; best of {runs}",
        bytes as f64 / 1e6
    );

    // Warm the page cache, and check the answer.
    let out = Command::new(bin)
        .args([
            "scan",
            "--format",
            "json",
            "--as-of",
            "2026-11-22",
            "--fail-on",
            "error",
        ])
        .arg(&dir)
        .output()
        .expect("scopeward runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let errors = json["summary"]["error"].as_u64().unwrap_or(0);
    assert_eq!(
        errors as usize, planted,
        "every planted credential found, nothing else"
    );

    let (sw, code) = best_of(runs, || {
        let mut c = Command::new(bin);
        c.args(["scan", "--format", "json", "--as-of", "2026-11-22"])
            .arg(&dir);
        c
    });
    assert_eq!(code, 1);
    println!(
        "scopeward scan (JSON):            {:.3} s",
        sw.as_secs_f64()
    );
    let rg = Command::new("rg").arg("--version").output().is_ok();
    if rg {
        let dir = &dir;
        let rg_cmd = |mode: &'static str| {
            move || {
                let mut c = Command::new("rg");
                // The same walk: hidden files searched, .git skipped, .gitignore respected,
                // binaries skipped (rg's default), no symlinks followed (rg's default).
                c.args(["--hidden", "-g", "!.git", "--no-messages", mode, "-e"])
                    .arg(scopeward::scan::detect::CANDIDATES)
                    .arg(dir);
                c
            }
        };
        let (rg_time, _) = best_of(runs, rg_cmd("--count"));
        println!(
            "rg --count (same patterns, walk): {:.3} s",
            rg_time.as_secs_f64()
        );
        let (rg_lines, _) = best_of(runs, rg_cmd("--line-number"));
        println!(
            "rg --line-number (prints lines):  {:.3} s",
            rg_lines.as_secs_f64()
        );
        println!(
            "ratio scopeward / rg --count: {:.2}×",
            sw.as_secs_f64() / rg_time.as_secs_f64()
        );
    } else {
        println!("(rg not found: install ripgrep to compare)");
    }
    let _ = std::io::stdout().flush();
    let _ = std::fs::remove_dir_all(&dir);
}
