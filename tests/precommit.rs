//! `.pre-commit-hooks.yaml` with the real pre-commit framework (from PyPI) in throwaway git
//! repositories: a bad commit is refused with the diagnostic shown (and the secret redacted), a
//! clean one passes.
//!
//! - As users get them: `pre-commit try-repo` on this repository, so pre-commit pip-installs its
//!   `pyproject.toml` (no code, a dependency on the scopeward wheel) into a fresh virtual
//!   environment and runs the hooks from the wheel's binary. pip sees no index, only the
//!   wheelhouse `.ci/run` fills (`SCOPEWARD_WHEELHOUSE`: the wheel it built with maturin and the
//!   installer's build backend, setuptools); `scopeward` is not on `PATH`.
//! - The documented `system` variant: the same hooks with `language: system` in the user's
//!   configuration, running the scopeward already on `PATH` (here the built binary).
//! - The hooks' `files` pattern selects exactly the files the default `include` globs do.
//!
//! `.ci/run` installs pre-commit and builds the wheelhouse, and sets
//! `SCOPEWARD_REQUIRE_PRECOMMIT=1` and `SCOPEWARD_REQUIRE_WHEEL=1`: there a test fails instead of
//! skipping when either is missing.

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{bare, run};
use scopeward::tree::{Format, Kind, Node, parse};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const TOKEN: &str = "Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq";

fn pre_commit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SCOPEWARD_PRECOMMIT") {
        return Some(PathBuf::from(p));
    }
    let found = Command::new("pre-commit").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("SCOPEWARD_REQUIRE_PRECOMMIT").is_none(),
            "SCOPEWARD_REQUIRE_PRECOMMIT is set but pre-commit is not installed"
        );
        eprintln!("skipped: pre-commit is not installed (pip install pre-commit)");
    }
    found.then(|| PathBuf::from("pre-commit"))
}

/// The directory holding the built scopeward wheel (and setuptools), from `.ci/run`.
fn wheelhouse() -> Option<PathBuf> {
    let dir = std::env::var_os("SCOPEWARD_WHEELHOUSE").map(PathBuf::from);
    let has_wheel = dir.as_deref().is_some_and(|d| {
        std::fs::read_dir(d).is_ok_and(|mut it| {
            it.any(|e| {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                name.starts_with("scopeward-") && name.ends_with(".whl")
            })
        })
    });
    if !has_wheel {
        assert!(
            std::env::var_os("SCOPEWARD_REQUIRE_WHEEL").is_none(),
            "SCOPEWARD_REQUIRE_WHEEL is set but SCOPEWARD_WHEELHOUSE has no scopeward wheel"
        );
        eprintln!(
            "skipped: no wheelhouse (SCOPEWARD_WHEELHOUSE: a directory with the scopeward wheel \
             from `maturin build -m python/pyproject.toml` and a setuptools wheel; .ci/run makes one)"
        );
        return None;
    }
    dir
}

fn manifest() -> &'static Node<'static> {
    let text: &'static str = Box::leak(
        std::fs::read_to_string(Path::new(REPO).join(".pre-commit-hooks.yaml"))
            .unwrap()
            .into_boxed_str(),
    );
    let node =
        parse(Format::Yaml, scopeward::source::FileId(0), text).expect("the manifest parses");
    Box::leak(Box::new(node))
}

fn hooks() -> &'static [Node<'static>] {
    match &manifest().kind {
        Kind::Seq(hooks) => hooks,
        _ => panic!("the manifest is a list of hooks"),
    }
}

fn str_of<'a>(node: &'a Node<'a>, key: &str) -> Option<&'a str> {
    node.get(key).and_then(|e| e.value.as_str())
}

#[test]
fn manifest_installs_the_wheel_and_runs_scopeward() {
    let ids: Vec<&str> = hooks().iter().map(|h| str_of(h, "id").unwrap()).collect();
    assert_eq!(ids, ["scopeward-check", "scopeward-scan"]);
    for hook in hooks() {
        let id = str_of(hook, "id").unwrap();
        assert_eq!(str_of(hook, "language"), Some("python"), "{id}: language");
        assert!(
            str_of(hook, "entry").is_some_and(|e| e.starts_with("scopeward ")),
            "{id}: entry runs scopeward"
        );
    }
}

/// A git repository for one scenario, with everything but `PATH` set as a developer's shell
/// would have it (and pip kept off the network).
struct Repo {
    dir: tempfile::TempDir,
    path_env: OsString,
    pip_env: Vec<(&'static str, OsString)>,
}

impl Repo {
    fn new(path_env: OsString, pip_env: Vec<(&'static str, OsString)>) -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
            path_env,
            pip_env,
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn cmd(&self, program: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("PATH", &self.path_env)
            .env("HOME", self.dir.path())
            .env("PRE_COMMIT_HOME", self.dir.path().join(".cache-pre-commit"))
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("NO_COLOR", "1")
            // The "today" of day-based rules, through the environment as a CI job would set it.
            .env("SCOPEWARD_AS_OF", "2026-11-22");
        for (k, v) in &self.pip_env {
            cmd.env(k, v);
        }
        cmd.output().expect("runs")
    }

    fn git(&self, args: &[&str]) -> Output {
        let out = self.cmd(Path::new("git"), args);
        assert!(
            out.status.success() || args[0] == "commit",
            "git {args:?}: {}",
            text(&out)
        );
        out
    }

    fn write(&self, name: &str, text: &str) {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn stage(&self) {
        self.git(&["add", "-A"]);
    }

    fn commit(&self, message: &str) -> Output {
        self.stage();
        self.git(&["commit", "-q", "-m", message])
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const CLEAN_TOKENS: &str = "\
account:
  type: brand
tokens:
  - name: orders-prod
    description: Sends orders as conversions
    environment: production
    primary_contact: ops@acme.example
    api_version: \"14\"
    created: 2026-11-01
    last_used: 2026-11-20
    scopes: [conversions:write]
";

fn write_clean(repo: &Repo) {
    repo.write("tokens/acme-tokens.yaml", CLEAN_TOKENS);
    repo.write(
        "src/app.py",
        "import os\nTOKEN = os.environ['IMPACT_AUTH_TOKEN']\n",
    );
}

fn write_widened(repo: &Repo) {
    repo.write(
        "tokens/acme-tokens.yaml",
        &CLEAN_TOKENS.replace("[conversions:write]", "[\"*\"]"),
    );
}

fn write_credential(repo: &Repo) {
    repo.write(".env", &format!("IMPACT_AUTH_TOKEN={TOKEN}\n"));
}

fn assert_check_refused(shown: &str) {
    assert!(shown.contains("scopeward check"), "{shown}");
    assert!(shown.contains("full-access"), "{shown}");
    assert!(shown.contains("tokens/acme-tokens.yaml:"), "{shown}");
}

fn assert_scan_refused(shown: &str) {
    assert!(shown.contains("committed-credential"), "{shown}");
    assert!(shown.contains("Zq8v…"), "{shown}");
    assert!(
        !shown.contains(&TOKEN[..8]),
        "the Auth Token is printed:\n{shown}"
    );
}

/// `PATH` without any directory that holds a `scopeward`: the hooks can only run the wheel's.
fn path_without_scopeward() -> OsString {
    let dirs = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter(|d| !d.join("scopeward").exists())
        .collect::<Vec<_>>();
    std::env::join_paths(dirs).unwrap()
}

#[test]
fn hooks_from_the_wheel_refuse_bad_commits_and_pass_clean_ones() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let Some(wheelhouse) = wheelhouse() else {
        return;
    };
    let pip_env = vec![
        ("PIP_NO_INDEX", OsString::from("1")),
        ("PIP_FIND_LINKS", wheelhouse.into_os_string()),
        ("PIP_DISABLE_PIP_VERSION_CHECK", OsString::from("1")),
        ("VIRTUALENV_NO_PERIODIC_UPDATE", OsString::from("1")),
    ];
    let repo = Repo::new(path_without_scopeward(), pip_env);
    // `try-repo` takes the repository as it is, uncommitted changes included, and runs every
    // hook of its manifest on the staged files, as the commit would.
    let try_repo = |repo: &Repo| repo.cmd(&pre_commit, &["try-repo", REPO, "--verbose"]);

    write_clean(&repo);
    repo.stage();
    let out = try_repo(&repo);
    let shown = text(&out);
    assert!(out.status.success(), "clean files are refused:\n{shown}");
    // pre-commit installed the hooks' environment from this repository (the wheel came from
    // the wheelhouse: pip had no index).
    assert!(shown.contains("Installing environment"), "{shown}");
    assert!(shown.contains("scopeward check"), "{shown}");
    assert!(shown.contains("scopeward scan"), "{shown}");
    repo.commit("clean");

    // A full-access token and a committed Auth Token: both hooks refuse.
    write_widened(&repo);
    write_credential(&repo);
    repo.stage();
    let out = try_repo(&repo);
    let shown = text(&out);
    assert!(!out.status.success(), "bad files went through:\n{shown}");
    assert_check_refused(&shown);
    assert_scan_refused(&shown);
}

/// The README's `system` variant: this repository's hooks with `language: system`, running the
/// scopeward on `PATH`, through `git commit` as a developer meets them.
#[test]
fn system_variant_runs_the_scopeward_on_path() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let head = Command::new("git")
        .args(["-C", REPO, "rev-parse", "HEAD"])
        .output()
        .expect("git runs");
    assert!(head.status.success(), "{}", text(&head));
    let head = String::from_utf8(head.stdout).unwrap().trim().to_string();

    let bin_dir = Path::new(env!("CARGO_BIN_EXE_scopeward"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut paths = vec![bin_dir];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let repo = Repo::new(std::env::join_paths(paths).unwrap(), Vec::new());

    let readme = std::fs::read_to_string(Path::new(REPO).join("README.md")).unwrap();
    let config = readme
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("language: system"))
        .expect("the README shows the system variant");
    assert!(config.contains("rev: "), "{config}");
    // The README's configuration, pointed at this repository at HEAD.
    let config: String = config
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("- repo: ") {
                format!("  - repo: {REPO}")
            } else if l.trim_start().starts_with("rev: ") {
                format!("    rev: {head}")
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect();
    repo.write(".pre-commit-config.yaml", &config);
    repo.git(&["add", ".pre-commit-config.yaml"]);
    let out = repo.cmd(&pre_commit, &["install"]);
    assert!(out.status.success(), "pre-commit install: {}", text(&out));
    assert!(repo.commit("configure pre-commit").status.success());

    write_clean(&repo);
    let out = repo.commit("clean");
    assert!(
        out.status.success(),
        "a clean commit is refused:\n{}",
        text(&out)
    );

    write_widened(&repo);
    let out = repo.commit("widen");
    let shown = text(&out);
    assert!(
        !out.status.success(),
        "a full-access token was committed:\n{shown}"
    );
    assert_check_refused(&shown);
    repo.git(&["reset", "-q", "--hard"]);

    // A committed Auth Token in a file the definitions pattern does not match.
    write_credential(&repo);
    let out = repo.commit("oops");
    let shown = text(&out);
    assert!(
        !out.status.success(),
        "a committed Auth Token went through:\n{shown}"
    );
    assert_scan_refused(&shown);
}

/// A definition in the format its extension names (the content of others does not matter).
fn definition_for(path: &str) -> &'static str {
    if path.ends_with(".json") {
        r#"{"account": {"type": "brand"}, "tokens": []}"#
    } else if path.ends_with(".toml") {
        "tokens = []\n[account]\ntype = \"brand\"\n"
    } else {
        "account:\n  type: brand\ntokens: []\n"
    }
}

/// How many definition files `scopeward check` finds when it walks a directory.
fn files_found(dir: &Path) -> u64 {
    let mut cmd = bare();
    cmd.current_dir(dir)
        .args(["check", ".", "--format", "json", "--as-of", "2026-11-22"]);
    let out = run(cmd);
    match serde_json::from_str::<serde_json::Value>(&out.stdout) {
        Ok(v) => v["summary"]["files"].as_u64().expect("summary.files"),
        // No definition file found at all may be an input error.
        Err(_) if out.code == 2 => 0,
        Err(e) => panic!("{e}: {}", out.all()),
    }
}

/// The `files` pattern of scopeward-check picks exactly the staged files that a walk with the
/// default `include` globs reads. When the defaults change, this fails: update `files` in
/// .pre-commit-hooks.yaml, the one place the pattern lives.
#[test]
fn files_pattern_follows_the_default_include_globs() {
    let check = hooks()
        .iter()
        .find(|h| str_of(h, "id") == Some("scopeward-check"))
        .unwrap();
    let pattern = str_of(check, "files").expect("scopeward-check has a files pattern");
    // pre-commit searches the pattern (Python `re.search`) in paths relative to the root.
    let re = regex::Regex::new(pattern).unwrap();
    let samples = [
        "acme-tokens.yaml",
        "tokens.yml",
        "config/partner_tokens.toml",
        "a/b/initech-agency-tokens.json",
        "mytokens.json",
        "tokens/acme.yaml",
        "impact/acme.yml",
        "impact/tokens/globex.toml",
        "tokens.d/acme.json",
        "notes.yaml",
        "TOKENS.yaml",
        "acme-tokens.txt",
        "acme-tokens.yaml.bak",
        "tokens/readme.md",
        "deploy/tokens/prod/acme.yaml",
        "x/impactful/acme.yaml",
        "impact/notes.md",
    ];
    let mut disagree = Vec::new();
    for sample in samples {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(sample);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, definition_for(sample)).unwrap();
        let walked = files_found(dir.path()) == 1;
        if walked != re.is_match(sample) {
            disagree.push(format!(
                "{sample}: the default include globs {} it, the hook's files pattern {}",
                if walked { "match" } else { "do not match" },
                if walked { "does not" } else { "does" },
            ));
        }
    }
    assert!(
        disagree.is_empty(),
        "update `files` of scopeward-check in .pre-commit-hooks.yaml:\n{}",
        disagree.join("\n")
    );
}
