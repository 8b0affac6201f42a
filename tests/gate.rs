//! The gate fails closed: a run that found nothing to check, could not read what it was given,
//! or was given something it cannot compile exits 2 with a message — never a green run. Named
//! inputs are read whatever their kind (FIFO, device, standard input), up to a size cap, and a
//! panic prints none of what was being read.

use std::io::Write;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

mod common;
use common::{AS_OF, Out, bare, run};

/// A token that holds everything: `full-access`, an error.
const FULL: &str = "account:\n  type: brand\ntokens:\n  - name: everything\n    scopes: [\"*\"]\n";

/// A fake Auth Token (32 alphanumerics), planted to prove it is never printed.
const SECRET: &str = "Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq";

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn sw(dir: &Path, args: &[&str]) -> Out {
    let mut cmd = bare();
    cmd.current_dir(dir).args(args).args(["--as-of", AS_OF]);
    run(cmd)
}

/// The binary with `stdin` piped in.
fn sw_stdin(dir: &Path, args: &[&str], stdin: &str) -> Out {
    let mut cmd = bare();
    cmd.current_dir(dir)
        .args(args)
        .args(["--as-of", AS_OF])
        .write_stdin(stdin.as_bytes().to_vec());
    run(cmd)
}

fn has_rule(out: &Out, rule: &str) -> bool {
    out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == rule)
}

#[test]
fn a_folder_named_for_tokens_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tokens/acme.yaml", FULL);
    write(dir.path(), "impact/brand.yaml", FULL);
    for arg in ["tokens/", "tokens", ".", "impact"] {
        let out = sw(dir.path(), &["check", arg, "--format", "json"]);
        assert_eq!(out.code, 1, "check {arg}: {}", out.all());
        assert!(has_rule(&out, "full-access"), "check {arg}: {}", out.stdout);
    }
}

#[test]
fn nothing_to_check_is_exit_2_naming_the_globs_and_what_was_skipped() {
    let dir = tempfile::tempdir().unwrap();
    // Empty.
    let out = sw(dir.path(), &["check", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.all().contains("no token definition files found"),
        "{}",
        out.all()
    );
    // Definitions only under a hidden folder: not walked, and said so.
    write(dir.path(), ".impact/tokens.yaml", FULL);
    write(dir.path(), "notes.yaml", "a: 1\n");
    let out = sw(dir.path(), &["check", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    let all = out.all();
    assert!(all.contains("hidden folders"), "{all}");
    assert!(all.contains("matched no include glob"), "{all}");
    // The hidden folder named: checked.
    let out = sw(dir.path(), &["check", ".impact", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    // --allow-empty opts out.
    let out = sw(dir.path(), &["check", ".", "--allow-empty"]);
    assert_eq!(out.code, 0, "{}", out.all());
    // suggest and scan fail closed on nothing too.
    std::fs::write(dir.path().join("empty.log"), "").unwrap();
    let empty = tempfile::tempdir().unwrap();
    let out = sw(empty.path(), &["scan", "."]);
    assert_eq!(out.code, 2, "scan of nothing: {}", out.all());
    let out = sw(empty.path(), &["scan", ".", "--allow-empty"]);
    assert_eq!(out.code, 0, "{}", out.all());
}

#[test]
fn gitignored_definitions_are_named_in_the_message() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "generated/\n");
    write(dir.path(), "generated/acme-tokens.yaml", FULL);
    let out = sw(dir.path(), &["check", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.all().contains(".gitignore"), "{}", out.all());
}

#[test]
fn standard_input_is_read_with_its_name_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = sw_stdin(dir.path(), &["check", "-", "--format", "json"], FULL);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(has_rule(&out, "full-access"));
    let doc = out.json();
    assert_eq!(doc["findings"][0]["location"]["path"], "<stdin>");
    // JSON on standard input, named so.
    let json = r#"{"account": {"type": "brand"}, "tokens": [{"name": "x", "scopes": ["*"]}]}"#;
    let out = sw_stdin(
        dir.path(),
        &[
            "check",
            "-",
            "--stdin-filename",
            "acme-tokens.json",
            "--format",
            "json",
        ],
        json,
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(
        out.json()["findings"][0]["location"]["path"],
        "acme-tokens.json"
    );
    // /dev/stdin named as a path is read too.
    let out = sw_stdin(
        dir.path(),
        &["check", "/dev/stdin", "--format", "json"],
        FULL,
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(has_rule(&out, "full-access"));
}

#[test]
fn scan_reads_standard_input_and_dev_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let env = format!(
        "IMPACT_ACCOUNT_SID=IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1\nIMPACT_AUTH_TOKEN={SECRET}\n"
    );
    for arg in ["-", "/dev/stdin"] {
        let out = sw_stdin(dir.path(), &["scan", arg], &env);
        assert_eq!(out.code, 1, "scan {arg}: {}", out.all());
        assert!(out.all().contains("committed-credential"), "{}", out.all());
        assert!(
            !out.all().contains(&SECRET[..12]),
            "the secret leaked: {}",
            out.all()
        );
    }
}

#[test]
fn a_fifo_and_a_device_named_are_read_never_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("acme-tokens.yaml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            f.write_all(FULL.as_bytes()).unwrap();
        })
    };
    let out = sw(
        dir.path(),
        &["check", "acme-tokens.yaml", "--format", "json"],
    );
    writer.join().unwrap();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(has_rule(&out, "full-access"));
    // A character device holding nothing is not a definition: an error, not a green run.
    let out = sw(dir.path(), &["check", "/dev/null"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.all().contains("the file is empty"), "{}", out.all());
}

#[test]
fn every_input_kind_has_a_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "acme-tokens.yaml", FULL);
    let deadline = std::time::Duration::from_secs(60);
    for args in [
        &["check", "acme-tokens.yaml", "--max-filesize", "16"][..],
        &["check", "/dev/zero"],
        &["check", "acme-tokens.yaml", "--config", "/dev/zero"],
        &["check", "acme-tokens.yaml", "--baseline", "/dev/zero"],
        &["audit", "acme-tokens.yaml", "--listing", "/dev/zero"],
        &["scan", "/dev/zero"],
    ] {
        let started = std::time::Instant::now();
        let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("scopeward"));
        cmd.current_dir(dir.path())
            .args(args)
            .args(["--as-of", AS_OF])
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = cmd.output().unwrap();
        assert!(
            started.elapsed() < deadline,
            "{args:?} took {:?}",
            started.elapsed()
        );
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if args[0] == "scan" {
            // scan skips (and counts) what is over its --max-filesize.
            assert_eq!(out.status.code(), Some(0), "{args:?}: {all}");
            assert!(
                all.contains("over the size limit skipped"),
                "{args:?}: {all}"
            );
        } else {
            assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
            assert!(
                all.contains("cap") || all.contains("--max-filesize"),
                "{args:?}: {all}"
            );
        }
        assert!(
            all.len() < 64 << 10,
            "{args:?}: {} bytes of output",
            all.len()
        );
    }
}

#[test]
fn a_link_to_the_environment_prints_none_of_it() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", dir.path().join("env-tokens.yaml")).unwrap();
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .env("SCOPEWARD_TEST_SECRET", SECRET)
        .args(["check", "env-tokens.yaml", "--as-of", AS_OF]);
    let out = run(cmd);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(!out.all().contains(&SECRET[..12]), "{}", out.all());
    assert!(
        !out.all().contains("SCOPEWARD_TEST_SECRET"),
        "{}",
        out.all()
    );
}

#[test]
fn a_panic_prints_no_input_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .env("SCOPEWARD_DEBUG_PANIC", format!("a log line with {SECRET}"))
        .args(["check", "."]);
    let out = run(cmd);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("internal error"), "{}", out.stderr);
    assert!(out.stderr.contains("report"), "{}", out.stderr);
    assert!(!out.all().contains(&SECRET[..12]), "{}", out.all());
}

#[test]
fn an_ignore_with_an_invalid_glob_is_a_policy_error_not_match_all() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "acme-tokens.yaml", FULL);
    write(
        dir.path(),
        "scopeward.toml",
        "[[ignore]]\nrule = \"full-access\"\npath = \"[elsewhere\"\nreason = \"not here\"\n",
    );
    let out = sw(dir.path(), &["check", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.all().contains("invalid glob"), "{}", out.all());
    assert!(out.all().contains("scopeward.toml:3:"), "{}", out.all());
}

#[test]
fn files_that_are_not_definitions_are_skipped_when_walked_and_errors_when_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tokens/acme.yaml", FULL);
    write(
        dir.path(),
        "design-tokens.json",
        r##"{"color": {"primary": {"value": "#0af"}}, "size": {"base": {"value": "16px"}}}"##,
    );
    write(
        dir.path(),
        "model/special_tokens_map.json",
        r#"{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}"#,
    );
    write(
        dir.path(),
        "schemas/tokens.schema.json",
        r#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "x", "type": "object"}"#,
    );
    let out = sw(dir.path(), &["check", ".", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let doc = out.json();
    assert!(
        doc["errors"].as_array().is_none_or(|e| e.is_empty()),
        "{doc:#}"
    );
    assert!(out.stderr.contains("skipped 3 files"), "{}", out.stderr);
    // Named on the command line: one error for the file, not one per key.
    let out = sw(
        dir.path(),
        &["check", "design-tokens.json", "--format", "json"],
    );
    assert_eq!(out.code, 2, "{}", out.all());
    let errors = out.json()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("not a token definition file"),
        "{errors:#?}"
    );
}
