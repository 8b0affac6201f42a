//! `init`, shell completions and the man page.

mod common;
use common::{AS_OF, bare, run};

#[test]
fn init_writes_a_clean_starting_point_for_each_account_type() {
    for ty in ["brand", "partner", "agency"] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = bare();
        cmd.current_dir(dir.path()).args(["init", "--type", ty]);
        let out = run(cmd);
        assert_eq!(out.code, 0, "{}", out.all());
        let tokens = dir.path().join(format!("{ty}-tokens.yaml"));
        assert!(dir.path().join("scopeward.toml").is_file());
        let text = std::fs::read_to_string(&tokens).unwrap();
        assert!(text.contains(&format!("type: {ty}")), "{text}");
        // What init writes passes its own check (the policy included).
        let mut cmd = bare();
        cmd.current_dir(dir.path())
            .args(["check", "--as-of", AS_OF]);
        let out = run(cmd);
        assert_eq!(out.code, 0, "{ty}: {}", out.all());
        assert!(
            out.stdout.contains("Checked 1 file, 1 token: no findings."),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn init_never_overwrites_and_adds_to_an_existing_setup() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scopeward.toml"), "# mine\n").unwrap();
    // An existing policy is kept; the starter file of the account type is added.
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .args(["init", "--type", "partner"]);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("kept"), "{}", out.stdout);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("scopeward.toml")).unwrap(),
        "# mine\n"
    );
    assert!(dir.path().join("partner-tokens.yaml").is_file());
    // Another account type is added beside it.
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .args(["init", "--type", "brand"]);
    assert_eq!(run(cmd).code, 0);
    assert!(dir.path().join("brand-tokens.yaml").is_file());
    // The same one again is refused, and nothing is touched.
    let before = std::fs::read_to_string(dir.path().join("brand-tokens.yaml")).unwrap();
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .args(["init", "--type", "brand"]);
    let out = run(cmd);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("brand-tokens.yaml")).unwrap(),
        before
    );
    // Both starters check clean together.
    let mut cmd = bare();
    cmd.current_dir(dir.path())
        .args(["check", "--as-of", AS_OF]);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout
            .contains("Checked 2 files, 2 tokens: no findings."),
        "{}",
        out.stdout
    );
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let mut cmd = bare();
        cmd.args(["completions", shell]);
        let out = run(cmd);
        assert_eq!(out.code, 0);
        for word in ["check", "explain", "catalogue", "--fail-on"] {
            assert!(out.stdout.contains(word), "{shell} completions lack {word}");
        }
        if shell == "bash" {
            // The script is valid bash.
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("scopeward.bash");
            std::fs::write(&path, &out.stdout).unwrap();
            let status = std::process::Command::new("bash")
                .arg("-n")
                .arg(&path)
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
}

#[test]
fn man_page() {
    let mut cmd = bare();
    cmd.arg("man");
    let out = run(cmd);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains(".TH scopeward 1"),
        "{}",
        &out.stdout[..200.min(out.stdout.len())]
    );
    for word in ["check", "explain", "\\-\\-fail\\-on"] {
        assert!(out.stdout.contains(word), "man page lacks {word}");
    }
}

#[test]
fn man_pages_one_per_subcommand_with_exit_status_and_examples() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bare();
    cmd.args(["man", "--dir"]).arg(dir.path());
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.all());
    for name in [
        "scopeward",
        "scopeward-check",
        "scopeward-audit",
        "scopeward-suggest",
        "scopeward-scan",
        "scopeward-rules",
        "scopeward-explain",
        "scopeward-catalogue",
        "scopeward-schema",
        "scopeward-init",
        "scopeward-completions",
        "scopeward-man",
    ] {
        let page = std::fs::read_to_string(dir.path().join(format!("{name}.1")))
            .unwrap_or_else(|e| panic!("{name}.1: {e}"));
        assert!(
            page.contains(&format!(".TH {name} 1")),
            "{name}: {}",
            &page[..200.min(page.len())]
        );
        assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
        assert!(page.contains(".SH EXAMPLES"), "{name}");
    }
    let check = std::fs::read_to_string(dir.path().join("scopeward-check.1")).unwrap();
    assert!(
        check.contains("\\-\\-fail\\-on"),
        "check's page has its options"
    );
}

#[test]
fn version_says_commit_build_date_and_target() {
    let mut cmd = bare();
    cmd.arg("--version");
    let out = run(cmd);
    assert_eq!(out.code, 0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], format!("scopeward {}", env!("CARGO_PKG_VERSION")));
    assert!(
        lines.iter().any(|l| l.starts_with("commit: ")),
        "{}",
        out.stdout
    );
    let built = lines
        .iter()
        .find_map(|l| l.strip_prefix("built: "))
        .expect("built:");
    assert!(
        built.len() == 10 && built.as_bytes()[4] == b'-' && built.as_bytes()[7] == b'-',
        "{built}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("target: ") && l.len() > 10),
        "{}",
        out.stdout
    );
}
