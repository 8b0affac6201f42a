//! What the install routes ship: the crate `cargo package` makes holds only what the build
//! needs (never the tests, whose fixtures plant fake Auth Tokens); every place that names the
//! version to install names this crate's; every GitHub `uses:` is pinned to a full commit SHA.

use std::path::Path;
use std::process::Command;

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(REPO).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn cargo_package_ships_only_what_the_crate_needs() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(REPO)
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo package --list: {stderr}");
    // Targets declared in Cargo.toml whose files are not shipped are dropped with a warning;
    // that is expected for the benches, and nothing else.
    for line in stderr.lines().filter(|l| l.starts_with("warning")) {
        assert!(
            line.contains("ignoring benchmark"),
            "cargo package warns: {line}"
        );
    }
    let files: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    let allowed = |f: &str| {
        matches!(
            f,
            "Cargo.toml"
                | "Cargo.toml.orig"
                | "Cargo.lock"
                | "README.md"
                | ".cargo_vcs_info.json"
                | "build.rs"
        ) || (f.starts_with("src/") && f.ends_with(".rs"))
            || (f.starts_with("policies/catalogues/") && f.ends_with(".yaml"))
    };
    let extra: Vec<&&str> = files.iter().filter(|f| !allowed(f)).collect();
    assert!(
        extra.is_empty(),
        "the crate would ship {extra:?}: narrow `include` in Cargo.toml"
    );
    for needed in [
        "build.rs",
        "src/main.rs",
        "src/lib.rs",
        "policies/catalogues/brand.yaml",
        "policies/catalogues/partner.yaml",
        "policies/catalogues/agency.yaml",
        "README.md",
        "Cargo.lock",
    ] {
        assert!(
            files.contains(&needed),
            "{needed} is not packaged: {files:?}"
        );
    }
    // Every source file is shipped (a module moved or added under src/ included).
    let mut missing = Vec::new();
    let mut stack = vec![Path::new(REPO).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(REPO)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                if !files.contains(&rel.as_str()) {
                    missing.push(rel);
                }
            }
        }
    }
    assert!(missing.is_empty(), "not packaged: {missing:?}");
}

/// Every `pkg==X` / `version: "X"` naming the scopeward release to install.
#[test]
fn every_install_route_names_this_version() {
    let pin = regex::Regex::new(r"scopeward(?:-pre-commit)?==([0-9][^\s\x22'`,\]]*)").unwrap();
    let mut places = 0;
    for rel in [
        "pyproject.toml",
        "README.md",
        "examples/ci/github/scopeward.yml",
        "examples/ci/github/scopeward-nightly.yml",
        "examples/ci/gitlab/.gitlab-ci.yml",
    ] {
        let text = read(rel);
        let found: Vec<&str> = pin
            .captures_iter(&text)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        assert!(!found.is_empty(), "{rel} names no scopeward version");
        for v in found {
            assert_eq!(
                v, VERSION,
                "{rel} installs scopeward {v}, the crate is {VERSION}"
            );
            places += 1;
        }
    }
    // pre-commit's `rev` in the README is this release's tag.
    let readme = read("README.md");
    let revs: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.trim().strip_prefix("rev: "))
        .map(|r| r.split_whitespace().next().unwrap())
        .collect();
    assert!(revs.len() >= 2, "{revs:?}");
    for rev in revs {
        assert_eq!(rev, format!("v{VERSION}"), "README.md: pre-commit rev");
    }
    // The hooks' installer has the crate's version too, and the action installs it by default.
    let shim = read("pyproject.toml");
    assert!(
        shim.contains(&format!("\nversion = \"{VERSION}\"\n")),
        "pyproject.toml's version is not {VERSION}"
    );
    let action = read("action.yml");
    let default = action
        .split("\n  version:\n")
        .nth(1)
        .and_then(|rest| {
            rest.lines()
                .find(|l| l.trim_start().starts_with("default:"))
        })
        .expect("action.yml has a version input with a default");
    assert_eq!(
        default.trim(),
        format!("default: \"{VERSION}\""),
        "action.yml's default version"
    );
    assert!(places >= 5, "{places}");
}

/// zizmor's `unpinned-uses`, without zizmor: a tag or branch can be moved to other code, a full
/// commit SHA cannot. A `# vX.Y.Z` comment says which release it is (Dependabot and Renovate
/// keep both up to date).
#[test]
fn github_steps_use_actions_pinned_to_a_commit() {
    let uses = regex::Regex::new(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$").unwrap();
    let pinned = regex::Regex::new(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$").unwrap();
    let comment = regex::Regex::new(r"^\s+# v\d+(\.\d+)*\s*$").unwrap();
    let mut files = vec!["action.yml".to_string()];
    for entry in std::fs::read_dir(Path::new(REPO).join("examples/ci/github")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        files.push(format!("examples/ci/github/{name}"));
    }
    let mut seen = 0;
    for rel in &files {
        let text = read(rel);
        for (n, line) in text.lines().enumerate() {
            let Some(c) = uses.captures(line) else {
                continue;
            };
            seen += 1;
            let target = &c[1];
            assert!(
                pinned.is_match(target),
                "{rel}:{}: `{target}` is not pinned to a full commit SHA",
                n + 1
            );
            assert!(
                comment.is_match(&c[2]),
                "{rel}:{}: `{target}` has no `# vX.Y.Z` comment",
                n + 1
            );
        }
        // Checkouts keep no credentials on disk (zizmor's artipacked).
        for (i, _) in text.match_indices("uses: actions/checkout@") {
            let step = &text[i..];
            let step = &step[..step.find("\n      - ").unwrap_or(step.len())];
            assert!(
                step.contains("persist-credentials: false"),
                "{rel}: a checkout without persist-credentials: false"
            );
        }
    }
    assert!(seen >= 4, "{seen} uses: found");
}
