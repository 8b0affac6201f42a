//! `scopeward scan` through the real binary: what it finds and where, what it walks and skips,
//! the near-miss corpus that must stay silent, ignores and baselines, and that no format ever
//! prints a planted Auth Token.

mod common;

use std::path::Path;

use common::{AS_OF, Out, bare, run};

const SID: &str = "IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1";
const TOKENS: &[&str] = &[
    "Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq",
    "Mn4bVc7XzL2kJ9hG5fD3sA8qW1eR6tYu",
    "Hh7gG6fF5dD4sS3aA2qQ1wW0eE9rR8tT",
    "Pp0oO9iI8uU7yY6tT5rR4eE3wW2qQ1aA",
];

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn scan(dir: &Path, args: &[&str]) -> Out {
    let mut cmd = bare();
    cmd.current_dir(dir)
        .args(["--as-of", AS_OF, "scan"])
        .args(args);
    run(cmd)
}

/// `(path, line, column, severity)` of each finding, sorted.
fn places(out: &Out) -> Vec<(String, u64, u64, String)> {
    let json = out.json();
    let mut v: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["rule"], "committed-credential");
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
                f["location"]["column"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn no_token_in(what: &str, text: &str) {
    for t in TOKENS {
        assert!(
            !text.contains(t),
            "an Auth Token leaked into {what}:\n{text}"
        );
        assert!(
            !text.contains(&t[..10]),
            "part of an Auth Token leaked into {what}"
        );
    }
}

fn planted_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        ".env",
        &format!(
            "IMPACT_ACCOUNT_SID={SID}\nIMPACT_AUTH_TOKEN={}\n",
            TOKENS[0]
        ),
    );
    write(
        d,
        "src/client.py",
        &format!(
            "import os\nURL = \"https://{SID}:{}@api.impact.com/Advertisers\"\n",
            TOKENS[1]
        ),
    );
    write(
        d,
        "web/sync.js",
        &format!("// sync\nconst impactAuthToken = '{}';\n", TOKENS[2]),
    );
    // Ignored by .gitignore: never read.
    write(d, ".gitignore", "build/\n");
    write(
        d,
        "build/out.env",
        &format!("IMPACT_AUTH_TOKEN={}\n", TOKENS[3]),
    );
    // Inside .git: never read.
    write(
        d,
        ".git/config",
        &format!("IMPACT_AUTH_TOKEN={}\n", TOKENS[3]),
    );
    // Binary: skipped.
    let mut bin = b"\x00\x01\x02".to_vec();
    bin.extend(format!("IMPACT_AUTH_TOKEN={}", TOKENS[3]).bytes());
    std::fs::write(d.join("blob.bin"), bin).unwrap();
    // Too large: skipped (the limit is lowered in the test).
    let mut big = "x".repeat(4096);
    big.push_str(&format!("\nIMPACT_AUTH_TOKEN={}\n", TOKENS[3]));
    write(d, "big.txt", &big);
    // A symlink to a file outside the tree: not followed.
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "secret.env",
        &format!("IMPACT_AUTH_TOKEN={}\n", TOKENS[3]),
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path().join("secret.env"), d.join("link.env")).unwrap();
    std::mem::forget(outside);
    dir
}

#[test]
fn finds_credentials_at_their_exact_places_and_walks_like_ripgrep() {
    let dir = planted_tree();
    let out = scan(dir.path(), &["--format", "json", "--max-filesize", "2K"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        places(&out),
        vec![
            (".env".to_string(), 2, 19, "error".to_string()),
            ("src/client.py".to_string(), 2, 51, "error".to_string()),
            ("web/sync.js".to_string(), 2, 26, "error".to_string()),
        ]
    );
    let json = out.json();
    // `files` counts what was searched: .env, .gitignore, src/client.py, web/sync.js.
    assert_eq!(json["summary"]["files"], 4, "{}", out.stdout);
    // And the human summary says what was skipped.
    let human = scan(dir.path(), &["--max-filesize", "2K"]);
    assert!(
        human
            .stdout
            .contains("Scanned 4 files (1 binary, 1 over the size limit skipped): 3 errors."),
        "{}",
        human.stdout
    );
    no_token_in("human output", &human.all());
}

#[test]
fn no_format_prints_a_secret() {
    let dir = planted_tree();
    for format in [
        "human", "concise", "json", "sarif", "github", "junit", "markdown", "html",
    ] {
        let out = scan(dir.path(), &["--format", format]);
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        no_token_in(format, &out.all());
        assert!(
            out.all().contains("Zq8v"),
            "{format}: the first 4 characters show"
        );
    }
    let out = scan(
        dir.path(),
        &["--format", "sarif", "--output", "report.sarif"],
    );
    assert_eq!(out.code, 1);
    no_token_in(
        "the --output file",
        &std::fs::read_to_string(dir.path().join("report.sarif")).unwrap(),
    );
}

#[test]
fn the_near_miss_corpus_stays_silent() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scan-near-misses");
    let out = scan(&corpus, &["--format", "json", "."]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.json()["findings"],
        serde_json::json!([]),
        "{}",
        out.stdout
    );
    assert!(out.json()["summary"]["files"].as_u64().unwrap() >= 5);
}

#[test]
fn a_bare_sid_is_information_only() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "README.md",
        &format!("Our reporting token is {SID}.\n"),
    );
    let out = scan(dir.path(), &["--format", "json"]);
    assert_eq!(
        out.code, 0,
        "info does not fail the default --fail-on warning"
    );
    assert_eq!(
        places(&out),
        vec![("README.md".to_string(), 1, 24, "info".to_string())]
    );
    let out = scan(dir.path(), &["--fail-on", "info"]);
    assert_eq!(out.code, 1);
}

#[test]
fn ignores_and_baselines_work_as_for_check() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "docs/example.js",
        &format!(
            "// scopeward: ignore[committed-credential] a documented sample, reset long ago\nconst impactToken = '{}';\n",
            TOKENS[0]
        ),
    );
    write(d, "app/.env", &format!("IMPACT_AUTH_TOKEN={}\n", TOKENS[1]));
    write(
        d,
        "vendor/lib.sh",
        &format!("export IR_AUTH_TOKEN={}\n", TOKENS[2]),
    );
    write(
        d,
        "scopeward.toml",
        "[[ignore]]\nrule = \"committed-credential\"\npath = \"vendor/**\"\nreason = \"third-party code, reported upstream\"\n",
    );
    let out = scan(d, &["--format", "json"]);
    assert_eq!(
        places(&out),
        vec![("app/.env".to_string(), 1, 19, "error".to_string())]
    );
    assert_eq!(out.json()["summary"]["suppressed"], 2);

    // A baseline accepts what is there today; a new credential is still reported.
    let out = scan(d, &["--write-baseline", "baseline.json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    no_token_in(
        "the baseline",
        &std::fs::read_to_string(d.join("baseline.json")).unwrap(),
    );
    // Moving the line keeps the fingerprint.
    write(
        d,
        "app/.env",
        &format!("# moved\n\nIMPACT_AUTH_TOKEN={}\n", TOKENS[1]),
    );
    let out = scan(d, &["--baseline", "baseline.json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    write(
        d,
        "app/new.env",
        &format!("IMPACT_AUTH_TOKEN={}\n", TOKENS[3]),
    );
    let out = scan(d, &["--baseline", "baseline.json", "--format", "json"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        places(&out),
        vec![("app/new.env".to_string(), 1, 19, "error".to_string())]
    );
}

#[test]
fn named_files_are_read_and_missing_ones_are_errors() {
    let dir = planted_tree();
    let out = scan(dir.path(), &["--format", "json", "web/sync.js", "nope.txt"]);
    assert_eq!(out.code, 2, "a missing path: the run is incomplete");
    assert_eq!(places(&out).len(), 1);
    assert!(out.all().contains("nope.txt"), "{}", out.all());
}

#[test]
fn non_utf8_files_are_still_searched() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"caf\xe9 \xff\n".to_vec();
    bytes.extend(format!("IMPACT_AUTH_TOKEN={}\n", TOKENS[0]).bytes());
    std::fs::write(dir.path().join("latin1.env"), bytes).unwrap();
    let out = scan(dir.path(), &["--format", "json"]);
    assert_eq!(
        places(&out),
        vec![("latin1.env".to_string(), 2, 19, "error".to_string())]
    );
    no_token_in("output", &out.all());
}
