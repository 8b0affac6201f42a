//! `.pre-commit-hooks.yaml` with the real pre-commit framework (from PyPI) in a throwaway git
//! repository: a bad commit is refused with the diagnostic shown (and the secret redacted), a
//! clean one passes.
//!
//! The hooks run as the manifest declares them (ids, entries, `files`, `pass_filenames`), from
//! a `repo: local` configuration with `language: system` and the built binary on `PATH`: the
//! manifest's `language: rust` would `cargo install` scopeward first, which needs a network and
//! minutes. `.ci/run` installs pre-commit and sets `SCOPEWARD_REQUIRE_PRECOMMIT=1`, so there
//! the test fails instead of skipping when pre-commit is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scopeward::tree::{Format, Kind, Node, parse};

const TOKEN: &str = "Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq";

fn pre_commit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SCOPEWARD_PRECOMMIT") {
        return Some(PathBuf::from(p));
    }
    let found = Command::new("pre-commit").arg("--version").output().is_ok();
    found.then(|| PathBuf::from("pre-commit"))
}

fn str_of<'a>(node: &'a Node<'a>, key: &str) -> Option<&'a str> {
    node.get(key).and_then(|e| e.value.as_str())
}

/// The manifest's hooks as a `repo: local` configuration running the built binary.
fn local_config(manifest: &str) -> String {
    let node =
        parse(Format::Yaml, scopeward::source::FileId(0), manifest).expect("the manifest parses");
    let Kind::Seq(hooks) = &node.kind else {
        panic!("the manifest is a list of hooks")
    };
    let mut out = String::from("repos:\n  - repo: local\n    hooks:\n");
    let mut ids = Vec::new();
    for hook in hooks {
        let id = str_of(hook, "id").expect("id");
        ids.push(id.to_string());
        assert_eq!(str_of(hook, "language"), Some("rust"), "{id}: language");
        let entry = str_of(hook, "entry").expect("entry");
        assert!(
            entry.starts_with("scopeward "),
            "{id}: entry runs scopeward"
        );
        out.push_str(&format!(
            "      - id: {id}\n        name: {}\n",
            str_of(hook, "name").unwrap()
        ));
        out.push_str(&format!(
            "        entry: {entry}\n        language: system\n"
        ));
        if let Some(files) = str_of(hook, "files") {
            out.push_str(&format!("        files: '{files}'\n"));
        }
        let pass = hook
            .get("pass_filenames")
            .map(|e| matches!(e.value.kind, Kind::Bool(true)));
        out.push_str(&format!(
            "        pass_filenames: {}\n",
            pass.unwrap_or(true)
        ));
    }
    assert_eq!(ids, ["scopeward-check", "scopeward-scan"]);
    out
}

struct Repo {
    dir: tempfile::TempDir,
    path_env: std::ffi::OsString,
    pre_commit: PathBuf,
}

impl Repo {
    fn new(pre_commit: PathBuf) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_scopeward"))
            .parent()
            .unwrap()
            .to_path_buf();
        let mut paths = vec![bin_dir];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let repo = Repo {
            dir,
            path_env: std::env::join_paths(paths).unwrap(),
            pre_commit,
        };
        repo.git(&["init", "-q", "-b", "main"]);
        let manifest = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
        )
        .unwrap();
        repo.write(".pre-commit-config.yaml", &local_config(&manifest));
        repo.git(&["add", ".pre-commit-config.yaml"]);
        let out = repo.cmd(&repo.pre_commit, &["install"]);
        assert!(out.status.success(), "pre-commit install: {}", text(&out));
        assert!(repo.commit("configure pre-commit").status.success());
        repo
    }

    fn cmd(&self, program: &Path, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
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
            .env("SCOPEWARD_AS_OF", "2026-11-22")
            .output()
            .expect("runs")
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

    fn commit(&self, message: &str) -> Output {
        self.git(&["add", "-A"]);
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

#[test]
fn hooks_refuse_bad_commits_with_the_diagnostic_and_pass_clean_ones() {
    let Some(pre_commit) = pre_commit() else {
        assert!(
            std::env::var_os("SCOPEWARD_REQUIRE_PRECOMMIT").is_none(),
            "SCOPEWARD_REQUIRE_PRECOMMIT is set but pre-commit is not installed"
        );
        eprintln!("skipped: pre-commit is not installed (pip install pre-commit)");
        return;
    };
    let repo = Repo::new(pre_commit);

    // A clean definition and an ordinary file: the commit goes through.
    repo.write("tokens/acme-tokens.yaml", CLEAN_TOKENS);
    repo.write(
        "src/app.py",
        "import os\nTOKEN = os.environ['IMPACT_AUTH_TOKEN']\n",
    );
    let out = repo.commit("clean");
    assert!(
        out.status.success(),
        "a clean commit is refused:\n{}",
        text(&out)
    );

    // A full-access token: refused by scopeward-check, with the diagnostic shown.
    repo.write(
        "tokens/acme-tokens.yaml",
        &CLEAN_TOKENS.replace("[conversions:write]", "[\"*\"]"),
    );
    let out = repo.commit("widen");
    let shown = text(&out);
    assert!(
        !out.status.success(),
        "a full-access token was committed:\n{shown}"
    );
    assert!(shown.contains("scopeward check"), "{shown}");
    assert!(shown.contains("full-access"), "{shown}");
    assert!(shown.contains("tokens/acme-tokens.yaml:"), "{shown}");
    repo.git(&["reset", "-q", "--hard"]);

    // A committed Auth Token in a file the definitions glob does not match: refused by
    // scopeward-scan, redacted.
    repo.write(".env", &format!("IMPACT_AUTH_TOKEN={TOKEN}\n"));
    let out = repo.commit("oops");
    let shown = text(&out);
    assert!(
        !out.status.success(),
        "a committed Auth Token went through:\n{shown}"
    );
    assert!(shown.contains("committed-credential"), "{shown}");
    assert!(shown.contains("Zq8v…"), "{shown}");
    assert!(
        !shown.contains(&TOKEN[..8]),
        "the Auth Token is printed:\n{shown}"
    );
}
