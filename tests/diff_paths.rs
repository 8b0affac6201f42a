//! `suggest --diff` headers are inert: a file name holding a newline cannot start a file of its
//! own, and a diff of files outside the working directory still applies where it says.

use std::path::Path;
use std::process::Command as StdCommand;

mod common;
use common::{AS_OF, bare, run};

const SID: &str = "IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1";

fn definitions() -> String {
    format!(
        "account: {{type: brand}}\ntokens:\n  - name: feed\n    sid: {SID}\n    scopes: [actions:read, ads:read]\n"
    )
}

fn log() -> String {
    let line = |day: &str| {
        format!(
            "10.0.0.1 - - [{day}/2026:10:00:00 +0000] \"GET /Advertisers/{SID}/Actions HTTP/1.1\" 200 12 \"-\" \"c\"\n"
        )
    };
    line("01/Oct") + &line("20/Nov")
}

fn suggest_diff(dir: &Path, paths: &[&str]) -> (String, String) {
    let mut cmd = bare();
    cmd.current_dir(dir)
        .args([
            "suggest",
            "--diff",
            "--usage",
            "access.log",
            "--as-of",
            AS_OF,
        ])
        .args(paths);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.all());
    (out.stdout, out.stderr)
}

fn patch(dir: &Path, diff: &str) -> std::process::Output {
    let path = dir.join("fix.diff");
    std::fs::write(&path, diff).unwrap();
    StdCommand::new("patch")
        .current_dir(dir)
        .args(["-p1", "-i"])
        .arg(&path)
        .output()
        .expect("patch runs")
}

#[test]
fn a_file_name_with_a_newline_cannot_inject_a_file() {
    let dir = tempfile::tempdir().unwrap();
    // A folder and a file whose names end one header and write another.
    let folder = "p\n--- /dev/null\n+++ b";
    let file = "build.rs\n@@ -0,0 +1 @@\n+fn main() {}\n.yaml";
    std::fs::create_dir_all(dir.path().join(folder)).unwrap();
    std::fs::write(dir.path().join(folder).join(file), definitions()).unwrap();
    let name = format!("{folder}/{file}");
    let name = name.as_str();
    std::fs::write(dir.path().join("access.log"), log()).unwrap();
    let (diff, _) = suggest_diff(dir.path(), &[name]);
    assert!(diff.contains("ads:read"), "{diff}");
    for line in diff.lines() {
        assert!(
            !(line.starts_with("+++ b/build.rs") || line.starts_with("--- a/build.rs")),
            "an injected header: {diff}"
        );
    }
    assert!(diff.starts_with("--- \"a/p\\n--- /dev/null\\n"), "{diff}");
    let _ = patch(dir.path(), &diff);
    assert!(
        !dir.path().join("build.rs").exists(),
        "patch created build.rs"
    );
}

#[test]
fn a_diff_of_files_outside_the_working_directory_applies_where_it_says() {
    let root = tempfile::tempdir().unwrap();
    let defs = root.path().join("repo/tokens");
    let work = root.path().join("work");
    std::fs::create_dir_all(&defs).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(defs.join("acme.yaml"), definitions()).unwrap();
    std::fs::write(work.join("access.log"), log()).unwrap();
    let (diff, stderr) = suggest_diff(&work, &["../repo/tokens/acme.yaml"]);
    assert!(!diff.contains("a/.."), "{diff}");
    assert!(stderr.contains("relative to"), "{stderr}");
    let out = patch(&defs, &diff);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let edited = std::fs::read_to_string(defs.join("acme.yaml")).unwrap();
    assert!(!edited.contains("ads:read"), "{edited}");
    assert!(edited.contains("actions:read"), "{edited}");
}
