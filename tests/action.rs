//! `action.yml` (`uses: scopeward/scopeward@v1`): its steps run as a runner would run them —
//! each `run` through `bash --noprofile --norc -eo pipefail`, with the job's environment
//! (`RUNNER_TEMP`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, …), the step's `env` with the
//! `${{ inputs.* }}` / `${{ steps.*.outputs.* }}` it names, and each step's `if`.
//!
//! The install step pip-installs the wheel from the wheelhouse `.ci/run` builds
//! (`SCOPEWARD_WHEELHOUSE`, no index). Without one, outside CI, the tests run the other steps
//! with the cargo-built binary as the install step's output and say so; with
//! `SCOPEWARD_REQUIRE_WHEEL=1` (CI) a missing wheelhouse fails.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use scopeward::tree::{Format, Kind, Node, parse};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn action() -> &'static Node<'static> {
    let text: &'static str = Box::leak(
        std::fs::read_to_string(Path::new(REPO).join("action.yml"))
            .unwrap()
            .into_boxed_str(),
    );
    let node = parse(Format::Yaml, scopeward::source::FileId(0), text).expect("action.yml parses");
    Box::leak(Box::new(node))
}

fn get<'a>(node: &'a Node<'a>, key: &str) -> Option<&'a Node<'a>> {
    node.get(key).map(|e| &e.value)
}

fn str_at<'a>(node: &'a Node<'a>, key: &str) -> Option<&'a str> {
    get(node, key).and_then(|v| v.as_str())
}

fn entries<'a>(node: &'a Node<'a>) -> Vec<(&'a str, &'a Node<'a>)> {
    node.as_map()
        .map(|m| m.iter().map(|e| (e.key.as_ref(), &e.value)).collect())
        .unwrap_or_default()
}

fn steps() -> &'static [Node<'static>] {
    let runs = get(action(), "runs").expect("runs");
    assert_eq!(str_at(runs, "using"), Some("composite"));
    match &get(runs, "steps").expect("steps").kind {
        Kind::Seq(s) => s,
        _ => panic!("steps is a list"),
    }
}

/// The inputs with their defaults, then `with` on top, as the runner resolves them.
fn inputs(with: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, spec) in entries(get(action(), "inputs").expect("inputs")) {
        assert!(str_at(spec, "description").is_some(), "{name}: description");
        out.insert(
            name.to_string(),
            str_at(spec, "default").unwrap_or("").to_string(),
        );
    }
    for (k, v) in with {
        assert!(out.contains_key(*k), "no input {k}");
        out.insert(k.to_string(), v.to_string());
    }
    out
}

/// A job on a runner: one workspace, one temp directory, one step summary.
struct Job {
    workspace: tempfile::TempDir,
    temp: tempfile::TempDir,
    inputs: BTreeMap<String, String>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    extra_env: Vec<(String, String)>,
    log: Vec<String>,
}

/// What one step did.
#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Job {
    fn new(workspace: tempfile::TempDir, with: &[(&str, &str)]) -> Job {
        Job {
            workspace,
            temp: tempfile::tempdir().unwrap(),
            inputs: inputs(with),
            outputs: BTreeMap::new(),
            extra_env: Vec::new(),
            log: Vec::new(),
        }
    }

    fn summary(&self) -> PathBuf {
        self.temp.path().join("step-summary.md")
    }

    /// `${{ … }}` in a value, for the contexts the action uses.
    fn expand(&self, value: &str) -> String {
        let mut out = String::new();
        let mut rest = value;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("closed expression") + start;
            out.push_str(&self.eval(rest[start + 3..end].trim()));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// The expression language as far as the action uses it: `inputs.X`, `steps.ID.outputs.X`,
    /// 'literals', `==`, `!=` and `&&` (results are strings; 'true' is true).
    fn eval(&self, expr: &str) -> String {
        if expr.contains("&&") {
            let all = expr.split("&&").all(|e| self.eval(e) == "true");
            return all.to_string();
        }
        for op in ["!=", "=="] {
            if let Some((a, b)) = expr.split_once(op) {
                let equal = self.eval(a) == self.eval(b);
                return (equal == (op == "==")).to_string();
            }
        }
        let e = expr.trim();
        if let Some(lit) = e.strip_prefix('\'').and_then(|l| l.strip_suffix('\'')) {
            return lit.to_string();
        }
        if let Some(name) = e.strip_prefix("inputs.") {
            return self.inputs.get(name).cloned().expect("a declared input");
        }
        if let Some(path) = e.strip_prefix("steps.") {
            let (id, name) = path.split_once(".outputs.").expect("steps.ID.outputs.NAME");
            return self
                .outputs
                .get(id)
                .and_then(|o| o.get(name))
                .cloned()
                .unwrap_or_default();
        }
        panic!("the test does not evaluate `{e}`")
    }

    fn condition(&self, step: &Node) -> bool {
        match str_at(step, "if") {
            None => true,
            Some(c) => {
                let c = c.trim();
                let c = c
                    .strip_prefix("${{")
                    .and_then(|c| c.strip_suffix("}}"))
                    .unwrap_or(c);
                self.eval(c) == "true"
            }
        }
    }

    /// Runs one `run` step; records its outputs under its id.
    fn run_step(&mut self, step: &Node) -> Ran {
        let name = str_at(step, "name").unwrap_or("?").to_string();
        assert_eq!(str_at(step, "shell"), Some("bash"), "{name}: shell");
        let script = str_at(step, "run").expect("a run step");
        assert!(
            !script.contains("${{"),
            "{name}: an expression inside `run` (template injection): pass it through env"
        );
        let output = self.temp.path().join(format!("output-{}", self.log.len()));
        std::fs::write(&output, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(self.workspace.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.temp.path())
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", self.workspace.path())
            .env("GITHUB_ACTION_PATH", REPO)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", self.summary())
            .env("RUNNER_TEMP", self.temp.path())
            .env("RUNNER_OS", "Linux")
            .env("NO_COLOR", "1");
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        if let Some(env) = get(step, "env") {
            for (k, v) in entries(env) {
                cmd.env(k, self.expand(v.as_str().expect("env values are strings")));
            }
        }
        let out = cmd.output().expect("bash runs");
        let ran = Ran {
            code: out.status.code().expect("exited"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let mut outputs = BTreeMap::new();
        for line in std::fs::read_to_string(&output).unwrap().lines() {
            let (k, v) = line.split_once('=').expect("name=value lines");
            outputs.insert(k.to_string(), v.to_string());
        }
        if let Some(id) = str_at(step, "id") {
            self.outputs.insert(id.to_string(), outputs);
        }
        self.log.push(format!("{name}: exit {}", ran.code));
        ran
    }

    /// Runs the steps in order from `first` as the runner would: a failed step ends the job,
    /// a step whose `if` is false is skipped, an action step (`uses`) is recorded, not run.
    fn run_from(&mut self, first: &str) -> (BTreeMap<String, Ran>, Vec<String>) {
        let mut ran = BTreeMap::new();
        let mut used = Vec::new();
        let mut started = false;
        for step in steps() {
            let name = str_at(step, "name").expect("every step has a name");
            started |= name == first;
            if !started || !self.condition(step) {
                continue;
            }
            if let Some(uses) = str_at(step, "uses") {
                let with = get(step, "with")
                    .map(|w| {
                        entries(w)
                            .into_iter()
                            .map(|(k, v)| format!("{k}={}", self.expand(v.as_str().unwrap())))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default();
                used.push(format!("{uses} {with}"));
                continue;
            }
            let r = self.run_step(step);
            let failed = r.code != 0;
            ran.insert(name.to_string(), r);
            if failed {
                break;
            }
        }
        (ran, used)
    }
}

fn wheelhouse() -> Option<PathBuf> {
    let dir = std::env::var_os("SCOPEWARD_WHEELHOUSE").map(PathBuf::from)?;
    let has = std::fs::read_dir(&dir).ok()?.any(|e| {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        n.starts_with("scopeward-") && n.ends_with(".whl")
    });
    has.then_some(dir)
}

/// Installs scopeward as the action's first step does (from the wheelhouse), or stands the
/// cargo-built binary in for it outside CI.
fn install(job: &mut Job) {
    let install = &steps()[0];
    assert_eq!(str_at(install, "id"), Some("install"));
    match wheelhouse() {
        Some(dir) => {
            job.extra_env = vec![
                ("PIP_NO_INDEX".into(), "1".into()),
                ("PIP_FIND_LINKS".into(), dir.to_string_lossy().into_owned()),
            ];
            let r = job.run_step(install);
            assert_eq!(r.code, 0, "install: {r:?}");
            assert!(
                r.stdout
                    .contains(&format!("scopeward {}", env!("CARGO_PKG_VERSION"))),
                "{r:?}"
            );
            let bin = job.outputs["install"]["bin"].clone();
            assert!(
                bin.starts_with(&*job.temp.path().to_string_lossy()),
                "installed under RUNNER_TEMP: {bin}"
            );
            job.extra_env.clear();
        }
        None => {
            assert!(
                std::env::var_os("SCOPEWARD_REQUIRE_WHEEL").is_none(),
                "SCOPEWARD_REQUIRE_WHEEL is set but SCOPEWARD_WHEELHOUSE has no scopeward wheel"
            );
            eprintln!(
                "note: no wheelhouse (SCOPEWARD_WHEELHOUSE): the install step is not run, the \
                 cargo-built binary stands in for it"
            );
            let mut o = BTreeMap::new();
            o.insert("bin".into(), env!("CARGO_BIN_EXE_scopeward").into());
            job.outputs.insert("install".into(), o);
        }
    }
}

/// The examples as a repository lays them out: definitions under tokens/, the policy at the root.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tokens")).unwrap();
    for entry in std::fs::read_dir(Path::new(REPO).join("examples")).unwrap() {
        let p = entry.unwrap().path();
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

#[test]
fn check_annotates_summarises_uploads_sarif_and_fails_on_findings() {
    let mut job = Job::new(
        workspace(),
        &[
            ("paths", "tokens/"),
            ("sarif", "scopeward.sarif"),
            ("args", "--as-of 2026-11-22"),
        ],
    );
    install(&mut job);
    let (ran, used) = job.run_from("Run scopeward");
    let run = &ran["Run scopeward"];
    assert_eq!(run.code, 0, "{run:?}");
    // Annotations on the definitions' lines, and a Markdown job summary.
    let error = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::error title=scopeward ") && l.contains(",file=tokens/"))
        .unwrap_or_else(|| panic!("no error annotation on a definition: {run:?}"));
    let rule = error["::error title=scopeward ".len()..]
        .split(',')
        .next()
        .unwrap();
    let summary = std::fs::read_to_string(job.summary()).expect("a job summary");
    assert!(
        summary.contains(rule),
        "{rule} is not in the summary:\n{summary}"
    );
    // SARIF written and handed to code scanning under its own category.
    let sarif: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(job.workspace.path().join("scopeward.sarif")).unwrap(),
    )
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
    assert_eq!(job.outputs["run"]["exit-code"], "1");
    assert_eq!(
        used,
        [
            "github/codeql-action/upload-sarif@89a39a4e59826350b863aa6b6252a07ad50cf83e \
             sarif_file=scopeward.sarif,category=scopeward-check"
        ]
    );
    // The job fails, after the upload.
    let fail = &ran["Fail on findings"];
    assert_eq!(fail.code, 1, "{fail:?} {:?}", job.log);
}

#[test]
fn a_clean_scan_passes_without_sarif() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        "import os\nTOKEN = os.environ['IMPACT_AUTH_TOKEN']\n",
    )
    .unwrap();
    let mut job = Job::new(dir, &[("command", "scan"), ("upload-sarif", "true")]);
    install(&mut job);
    let (ran, used) = job.run_from("Run scopeward");
    assert_eq!(ran["Run scopeward"].code, 0, "{ran:?}");
    assert_eq!(job.outputs["run"]["exit-code"], "0");
    assert_eq!(job.outputs["run"].get("sarif"), None);
    assert!(used.is_empty(), "{used:?}");
    assert_eq!(ran["Fail on findings"].code, 0, "{ran:?}");
}

#[test]
fn fail_on_error_lets_warnings_pass_and_sarif_can_stay_local() {
    let dir = tempfile::tempdir().unwrap();
    // One token whose only finding is a warning (no description).
    std::fs::write(
        dir.path().join("acme-tokens.yaml"),
        "account:\n  type: brand\ntokens:\n  - name: orders-prod\n    environment: production\n    \
         primary_contact: ops@acme.example\n    api_version: \"14\"\n    created: 2026-11-01\n    \
         last_used: 2026-11-20\n    scopes: [conversions:write]\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let mut job = Job::new(
        dir,
        &[
            ("fail-on", "error"),
            ("format", "human"),
            ("sarif", "out/scopeward.sarif"),
            ("upload-sarif", "false"),
            ("args", "--as-of 2026-11-22"),
        ],
    );
    install(&mut job);
    let (ran, used) = job.run_from("Run scopeward");
    let run = &ran["Run scopeward"];
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("missing-description"), "{run:?}");
    assert_eq!(job.outputs["run"]["exit-code"], "0", "{run:?}");
    assert_eq!(job.outputs["run"]["sarif"], "out/scopeward.sarif");
    assert!(job.workspace.path().join("out/scopeward.sarif").exists());
    assert!(
        used.is_empty(),
        "upload-sarif: false uploads nothing: {used:?}"
    );
    assert_eq!(ran["Fail on findings"].code, 0);
}

/// Inputs are data: `paths` and `args` are split on whitespace and passed as arguments, never
/// read by a shell; a command or version that is not one is refused before anything runs.
#[test]
fn inputs_are_never_run_as_shell() {
    let dir = tempfile::tempdir().unwrap();
    let mut job = Job::new(
        dir,
        &[
            ("paths", "$(touch pwned-paths) *"),
            ("args", "; touch pwned-args `touch pwned-tick`"),
        ],
    );
    install(&mut job);
    let (ran, _) = job.run_from("Run scopeward");
    assert_eq!(job.outputs["run"]["exit-code"], "2", "{ran:?}");
    assert_eq!(ran["Fail on findings"].code, 2);
    let left: Vec<_> = std::fs::read_dir(job.workspace.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "the inputs ran: {left:?}");

    let mut job = Job::new(tempfile::tempdir().unwrap(), &[("command", "check; id")]);
    install(&mut job);
    let (ran, _) = job.run_from("Run scopeward");
    let run = &ran["Run scopeward"];
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.contains("command must be"), "{run:?}");
    assert!(!ran.contains_key("Fail on findings"));

    let mut job = Job::new(
        tempfile::tempdir().unwrap(),
        &[("version", "0.1.0 --index-url http://127.0.0.1:9/")],
    );
    let r = job.run_step(&steps()[0]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.contains("version must be"), "{r:?}");
    assert!(r.stderr.is_empty(), "{r:?}");
    assert!(
        !job.temp.path().join("scopeward-0.1.0").exists(),
        "a venv was made"
    );
}
