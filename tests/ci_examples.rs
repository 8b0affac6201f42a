//! The CI examples under `examples/ci/` (GitHub Actions and GitLab CI) are parsed, and every
//! scopeward command they contain is run, in order, against a copy of the examples laid out as
//! the workflows expect (`tokens/`). The scheduled live audits run against the loopback
//! impact.com server (`SCOPEWARD_API_BASE`), with fake Auth Tokens in the variables the
//! workflows map from secrets — which are checked to cover every token's `auth_token_env`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::impact::{FakeToken, ImpactServer};
use common::{bare, run};
use scopeward::tree::{Format, Kind, Node, parse};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const SHOPIFY_SID: &str = "IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1";
const DEALS_SID: &str = "IRq7Z2mNbV4xW8cK1dF5gH3jL6pR9sT0u1";
const SHOPIFY_TOKEN: &str = "Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq";
const DEALS_TOKEN: &str = "Hh7gG6fF5dD4sS3aA2qQ1wW0eE9rR8tT";

fn yaml(path: &Path) -> (String, &'static Node<'static>) {
    let text: &'static str = Box::leak(std::fs::read_to_string(path).unwrap().into_boxed_str());
    let node = parse(Format::Yaml, scopeward::source::FileId(0), text)
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    (text.to_string(), Box::leak(Box::new(node)))
}

fn entries<'a>(node: &'a Node<'a>) -> Vec<(&'a str, &'a Node<'a>)> {
    node.as_map()
        .map(|m| m.iter().map(|e| (e.key.as_ref(), &e.value)).collect())
        .unwrap_or_default()
}

fn seq<'a>(node: &'a Node<'a>) -> &'a [Node<'a>] {
    match &node.kind {
        Kind::Seq(items) => items,
        _ => &[],
    }
}

fn get<'a>(node: &'a Node<'a>, key: &str) -> Option<&'a Node<'a>> {
    node.get(key).map(|e| &e.value)
}

/// The scopeward command lines of a shell snippet (`|| test $? -eq 1` allows findings).
fn commands(script: &str) -> Vec<Vec<String>> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("scopeward "))
        .map(|l| {
            let l = l.split(" || ").next().unwrap();
            shlex::split(l).unwrap_or_else(|| panic!("not shell words: {l}"))
        })
        .collect()
}

/// GitHub: every step's `run`, with the job's `env` keys; also the `uses` of each step.
fn github(path: &Path) -> (Vec<Vec<String>>, BTreeSet<String>, Vec<String>) {
    let (_, doc) = yaml(path);
    let mut cmds = Vec::new();
    let mut env = BTreeSet::new();
    let mut uses = Vec::new();
    for (_, job) in entries(get(doc, "jobs").expect("jobs")) {
        if let Some(e) = get(job, "env") {
            env.extend(entries(e).into_iter().map(|(k, _)| k.to_string()));
        }
        for step in seq(get(job, "steps").expect("steps")) {
            if let Some(run) = get(step, "run").and_then(|r| r.as_str()) {
                cmds.extend(commands(run));
            }
            if let Some(u) = get(step, "uses").and_then(|r| r.as_str()) {
                let with = get(step, "with")
                    .map(|w| {
                        entries(w)
                            .into_iter()
                            .filter_map(|(k, v)| Some(format!("{k}={}", v.as_str()?)))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default();
                uses.push(format!("{u} {with}"));
            }
        }
    }
    (cmds, env, uses)
}

/// A job's name and its scopeward commands (each split into shell words).
type Job = (String, Vec<Vec<String>>);

/// GitLab: every job's `script` lines, and each job's `artifacts.paths`.
fn gitlab(path: &Path) -> (Vec<Job>, Vec<String>) {
    let (_, doc) = yaml(path);
    let mut jobs = Vec::new();
    let mut artifacts = Vec::new();
    for (name, job) in entries(doc) {
        let Some(script) = get(job, "script") else {
            continue;
        };
        let mut cmds = Vec::new();
        for line in seq(script) {
            cmds.extend(commands(line.as_str().expect("script lines are strings")));
        }
        if let Some(paths) = get(job, "artifacts").and_then(|a| get(a, "paths")) {
            artifacts.extend(
                seq(paths)
                    .iter()
                    .filter_map(|p| p.as_str().map(String::from)),
            );
        }
        jobs.push((name.to_string(), cmds));
    }
    (jobs, artifacts)
}

/// A repository laid out as the workflows expect: definitions under tokens/, the policy at
/// the root.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tokens")).unwrap();
    for entry in std::fs::read_dir(Path::new(REPO).join("examples")).unwrap() {
        let p: PathBuf = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("tokens") {
            std::fs::copy(&p, dir.path().join("tokens").join(&name)).unwrap();
        }
    }
    std::fs::copy(
        Path::new(REPO).join("examples/policy.toml"),
        dir.path().join("scopeward.toml"),
    )
    .unwrap();
    dir
}

/// Every `auth_token_env` the example definitions name.
fn token_envs() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(Path::new(REPO).join("examples")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for line in text.lines() {
            let l = line.trim().trim_start_matches('"');
            if let Some(rest) = l.strip_prefix("auth_token_env") {
                let v = rest
                    .trim_start_matches(['"', ':', '=', ' '])
                    .trim_matches(['"', ' ', ',']);
                out.insert(v.to_string());
            }
        }
    }
    assert!(!out.is_empty());
    out
}

fn server() -> ImpactServer {
    ImpactServer::start(vec![
        FakeToken::new(SHOPIFY_SID, SHOPIFY_TOKEN, &["Campaigns", "Actions"]),
        FakeToken::new(
            DEALS_SID,
            DEALS_TOKEN,
            &["Deals", "PromoCodes", "Campaigns"],
        ),
    ])
}

/// Runs one scopeward command as the CI job would; returns its exit code and output.
fn run_in(dir: &Path, args: &[String], api_base: &str) -> common::Out {
    let mut cmd = bare();
    cmd.current_dir(dir)
        .args(&args[1..])
        .env("SCOPEWARD_AS_OF", "2026-11-22")
        .env("SCOPEWARD_API_BASE", api_base)
        .env("ACME_SHOPIFY_PROD_TOKEN", SHOPIFY_TOKEN)
        .env("GLOBEX_DEALS_TOKEN", DEALS_TOKEN)
        .env("GITHUB_STEP_SUMMARY", dir.join("step-summary.md"));
    let out = run(cmd);
    for secret in [SHOPIFY_TOKEN, DEALS_TOKEN] {
        assert!(
            !out.all().contains(secret),
            "{args:?} printed an Auth Token"
        );
    }
    out
}

#[test]
fn github_pull_request_workflow_runs_as_written() {
    let (cmds, _, uses) = github(&Path::new(REPO).join("examples/ci/github/scopeward.yml"));
    let lines: Vec<String> = cmds.iter().map(|c| c.join(" ")).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("scopeward check") && l.contains("--format github"))
    );
    assert!(lines.iter().any(|l| l.starts_with("scopeward scan")));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("--format sarif --output scopeward.sarif"))
    );
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@")
                && u.contains("sarif_file=scopeward.sarif")),
        "{uses:?}"
    );
    let dir = workspace();
    for cmd in &cmds {
        let out = run_in(dir.path(), cmd, "https://api.impact.com");
        // The examples have findings: 1 is what a failing check looks like; 2 would mean the
        // command itself is wrong.
        assert!(
            matches!(out.code, 0 | 1),
            "{cmd:?} exited {}:\n{}",
            out.code,
            out.all()
        );
        if cmd.iter().any(|a| a == "github") {
            assert!(
                out.stdout.contains(",file=tokens/") || cmd[1] == "scan",
                "{}",
                out.stdout
            );
        }
    }
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("scopeward.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn github_nightly_workflow_probes_live_and_keeps_the_listing() {
    let (cmds, env, uses) =
        github(&Path::new(REPO).join("examples/ci/github/scopeward-nightly.yml"));
    // Every token's Auth Token comes from a secret mapped into the job's environment.
    let needed = token_envs();
    assert!(
        env.is_superset(&needed),
        "env {env:?} lacks some of {needed:?}"
    );
    let lines: Vec<String> = cmds.iter().map(|c| c.join(" ")).collect();
    assert!(lines.iter().any(|l| l.contains("audit")
        && l.contains("--live")
        && l.contains("--save-listing listing.json")));
    assert!(
        uses.iter()
            .any(|u| u.starts_with("actions/upload-artifact@") && u.contains("path=listing.json")),
        "{uses:?}"
    );
    let srv = server();
    let dir = workspace();
    for cmd in &cmds {
        let out = run_in(dir.path(), cmd, &srv.base);
        assert!(
            matches!(out.code, 0 | 1),
            "{cmd:?} exited {}:\n{}",
            out.code,
            out.all()
        );
    }
    let listing = std::fs::read_to_string(dir.path().join("listing.json")).unwrap();
    for secret in [SHOPIFY_TOKEN, DEALS_TOKEN] {
        assert!(!listing.contains(secret));
    }
    assert!(dir.path().join("scopeward-live.sarif").exists());
    // It really probed, read-only.
    let got = srv.received();
    assert!(got.iter().any(|r| r.user.as_deref() == Some(SHOPIFY_SID)));
    assert!(got.iter().all(|r| r.method == "GET"));
}

#[test]
fn gitlab_pipeline_runs_as_written() {
    let (jobs, artifacts) = gitlab(&Path::new(REPO).join("examples/ci/gitlab/.gitlab-ci.yml"));
    let names: Vec<&str> = jobs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["scopeward-check", "scopeward-scan", "scopeward-live-audit"]
    );
    assert!(
        artifacts.contains(&"listing.json".to_string()),
        "{artifacts:?}"
    );
    let srv = server();
    let dir = workspace();
    for (job, cmds) in &jobs {
        assert!(!cmds.is_empty(), "{job} runs no scopeward command");
        for cmd in cmds {
            let out = run_in(dir.path(), cmd, &srv.base);
            assert!(
                matches!(out.code, 0 | 1),
                "{job}: {cmd:?} exited {}:\n{}",
                out.code,
                out.all()
            );
        }
    }
    for report in [
        "scopeward-check.xml",
        "scopeward-scan.xml",
        "scopeward-live.xml",
    ] {
        let xml = std::fs::read_to_string(dir.path().join(report)).unwrap();
        assert!(xml.starts_with("<?xml"), "{report}");
    }
    assert!(dir.path().join("listing.json").exists());
}
