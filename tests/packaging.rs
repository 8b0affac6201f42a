//! What the install routes ship: the crate `cargo package` makes holds only what the build
//! needs (never the tests, whose fixtures plant fake Auth Tokens).

use std::path::Path;
use std::process::Command;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

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
            "Cargo.toml" | "Cargo.toml.orig" | "Cargo.lock" | "README.md" | ".cargo_vcs_info.json"
        ) || (f.starts_with("src/") && f.ends_with(".rs"))
            || (f.starts_with("policies/catalogues/") && f.ends_with(".yaml"))
    };
    let extra: Vec<&&str> = files.iter().filter(|f| !allowed(f)).collect();
    assert!(
        extra.is_empty(),
        "the crate would ship {extra:?}: narrow `include` in Cargo.toml"
    );
    for needed in [
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
