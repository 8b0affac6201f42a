//! Every output format over one canonical run (the shipped examples), snapshotted; and a
//! planted fake Auth Token that no format may ever print.

use clap::ValueEnum;
use scopeward::output::OutputFormat;

mod common;
use common::{AS_OF, bare, run};

fn name(format: OutputFormat) -> String {
    format.to_possible_value().unwrap().get_name().to_string()
}

fn render_examples(format: &str) -> String {
    let mut cmd = bare();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "examples/", "--as-of", AS_OF, "--format", format])
        .env_remove("GITHUB_STEP_SUMMARY");
    let out = run(cmd);
    assert_eq!(out.code, 1, "{}", out.all());
    out.stdout
}

#[test]
fn github_annotations() {
    let text = render_examples("github");
    for line in text.lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice "),
            "{line}"
        );
        assert!(
            line.contains("file=examples/") && line.contains(",line=") && line.contains(",col="),
            "{line}"
        );
    }
    insta::assert_snapshot!("github", text);
}

#[test]
fn github_step_summary_is_written_when_set() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let mut cmd = bare();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "examples/", "--as-of", AS_OF, "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary);
    run(cmd);
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("earlier step\n## scopeward: 3 errors, 16 warnings"),
        "{written}"
    );
}

#[test]
fn junit_report() {
    let text = render_examples("junit");
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    // One case per token identity, clean ones included.
    assert_eq!(text.matches("<testcase ").count(), 9);
    assert!(
        text.contains(
            "<testcase name=\"shopify-orders-prod\" classname=\"scopeward.brand.Acme\"/>"
        )
    );
    assert_eq!(text.matches("<failure ").count(), 19);
    insta::assert_snapshot!("junit", text);
}

#[test]
fn markdown_tables() {
    let text = render_examples("markdown");
    assert!(text.starts_with("## scopeward: 3 errors, 16 warnings, 0 info\n"));
    assert!(text.contains("### brand Acme / legacy-erp"));
    insta::assert_snapshot!("markdown", text);
}

const SECRET: &str = "Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0";

#[test]
fn no_format_ever_prints_a_planted_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("leaky-tokens.yaml"),
        format!(
            "# backup of the old token: {SECRET}\naccount:\n  type: brand\n  password: {SECRET}\ntokens:\n  - name: orders\n    auth_token: {SECRET}\n    auth_token_env: {SECRET}\n    description: https://IRabc:{SECRET}@api.impact.com/Advertisers\n    scopes: [\"*\", \"{SECRET}\"]\n    environment: {SECRET}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken-tokens.toml"),
        format!("[account]\ntype = \"brand\"\n[[tokens]]\nname = \"x\"\nauth_token = \"{SECRET}\" oops\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("scopeward.toml"),
        format!("[[ignore]]\nrule = \"full-access\"\nreason = \"old token {SECRET}\"\n"),
    )
    .unwrap();
    let pieces: Vec<&str> = (4..=SECRET.len() - 8).map(|i| &SECRET[i..i + 8]).collect();
    for format in OutputFormat::value_variants() {
        let format = name(*format);
        let out_file = dir.path().join(format!("report.{format}"));
        for to_file in [false, true] {
            let mut cmd = bare();
            cmd.current_dir(dir.path())
                .args([
                    "check", ".", "--as-of", AS_OF, "--format", &format, "--color", "always",
                ])
                .env("GITHUB_STEP_SUMMARY", dir.path().join("summary.md"));
            if to_file {
                cmd.arg("--output").arg(&out_file);
            }
            let out = run(cmd);
            assert_eq!(out.code, 2, "{format}: {}", out.all());
            let mut everything = out.all();
            if to_file {
                everything.push_str(&std::fs::read_to_string(&out_file).unwrap());
            }
            if let Ok(summary) = std::fs::read_to_string(dir.path().join("summary.md")) {
                everything.push_str(&summary);
            }
            assert!(
                everything.contains("Xk3v"),
                "{format}: the secret is not even reported"
            );
            for piece in &pieces {
                assert!(
                    !everything.contains(piece),
                    "{format}: `{piece}` of the secret leaked:\n{everything}"
                );
            }
        }
    }
}

#[test]
fn concise_is_one_line_per_finding_then_the_summary() {
    let text = render_examples("concise");
    let lines: Vec<&str> = text.lines().collect();
    let json: serde_json::Value = serde_json::from_str(&render_examples("json")).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(lines.len(), findings.len() + 1, "{text}");
    for (line, f) in lines.iter().zip(findings) {
        let loc = &f["location"];
        let expected = format!(
            "{}:{}:{}: {}[{}] {}",
            loc["path"].as_str().unwrap(),
            loc["line"],
            loc["column"],
            f["severity"].as_str().unwrap(),
            f["rule"].as_str().unwrap(),
            f["message"].as_str().unwrap()
        );
        assert_eq!(*line, expected);
    }
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("Checked 3 files, 10 tokens:"),
        "{text}"
    );
    insta::assert_snapshot!("concise", text);
}

#[test]
fn report_writes_more_formats_in_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let junit = dir.path().join("out.xml");
    let mut cmd = bare();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "examples/", "--as-of", AS_OF, "--format", "github"])
        .arg("--report")
        .arg(format!("sarif={}", sarif.display()))
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .env_remove("GITHUB_STEP_SUMMARY");
    let out = run(cmd);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stdout.starts_with("::"), "{}", out.stdout);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .starts_with("<?xml")
    );
    // A report written with `--report` is the one `--format` prints, also for the formats
    // that list every token (JUnit's passing test cases, HTML's exposure matrix).
    for format in ["junit", "html", "sarif"] {
        let path = dir.path().join(format!("report.{format}"));
        let mut cmd = bare();
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["check", "examples/", "--as-of", AS_OF, "--format", "json"])
            .arg("--report")
            .arg(format!("{format}={}", path.display()));
        run(cmd);
        let mut cmd = bare();
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "check",
            "examples/",
            "--as-of",
            AS_OF,
            "--format",
            format,
        ]);
        let printed = run(cmd).stdout;
        assert_eq!(std::fs::read_to_string(&path).unwrap(), printed, "{format}");
    }
    // A format that is not one, or no path, is refused before anything runs.
    for bad in ["xlsx=out.xlsx", "sarif", "sarif="] {
        let mut cmd = bare();
        cmd.args(["check", "examples/", "--report", bad]);
        assert_eq!(run(cmd).code, 2, "{bad}");
    }
}

#[test]
fn json_and_sarif_say_what_suppressed_and_what_the_baseline_did() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme-tokens.yaml"),
        "account: {type: brand}\ntokens:\n  # scopeward: ignore[full-access] migrating\n  - name: x\n    scopes: [\"*\"]\n  - name: y\n    scopes: [\"*\"]\n",
    )
    .unwrap();
    let sw = |args: &[&str]| {
        let mut cmd = bare();
        cmd.current_dir(dir.path())
            .args(args)
            .args(["--as-of", AS_OF]);
        run(cmd)
    };
    sw(&["check", "--write-baseline", "b.json"]);
    // y's findings are in the baseline; one baseline entry no longer matches once y is fixed.
    std::fs::write(
        dir.path().join("acme-tokens.yaml"),
        "account: {type: brand}\ntokens:\n  # scopeward: ignore[full-access] migrating\n  - name: x\n    scopes: [\"*\"]\n  - name: y\n    description: d\n    scopes: [\"*\"]\n",
    )
    .unwrap();
    let out = sw(&["check", "--baseline", "b.json", "--format", "json"]);
    let summary = &out.json()["summary"];
    assert_eq!(summary["suppressed_by"]["inline"], 1, "{summary}");
    assert!(
        summary["suppressed_by"]["baseline"].as_u64().unwrap() > 0,
        "{summary}"
    );
    assert!(
        summary["baseline"]["fixed"].as_u64().unwrap() >= 1,
        "{summary}"
    );
    assert_eq!(summary["skipped"], 0);
    let out = sw(&["check", "--baseline", "b.json", "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let fixed = &doc["runs"][0]["properties"]["baseline"]["fixed"];
    assert_eq!(fixed, &summary["baseline"]["fixed"]);
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let sev: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev), "{rule}");
        assert!(
            ["very-high", "high", "medium", "low"]
                .contains(&rule["properties"]["precision"].as_str().unwrap()),
            "{rule}"
        );
    }
    let out = sw(&["check", "--baseline", "b.json"]);
    assert!(
        out.stdout.contains("by the baseline") && out.stdout.contains("1 inline"),
        "{}",
        out.stdout
    );
}

#[test]
fn human_output_never_wraps_inside_a_scope_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme-tokens.yaml"),
        "account: {type: brand}\ntokens:\n  - name: a-rather-long-token-name-for-wrapping\n    scopes: [promo-code-exception-lists:writ, tracking-value-requests:red, action-inquiries:wirte]\n",
    )
    .unwrap();
    for width in ["60", "71", "83", "97"] {
        let mut cmd = bare();
        cmd.current_dir(dir.path()).env("COLUMNS", width).args([
            "check",
            "--as-of",
            AS_OF,
            "--select",
            "unknown-scope",
        ]);
        let out = run(cmd);
        for scope in [
            "promo-code-exception-lists",
            "tracking-value-requests",
            "action-inquiries",
        ] {
            let whole = out.stdout.lines().filter(|l| l.contains(scope)).count();
            assert!(whole > 0, "width {width}: `{scope}` split:\n{}", out.stdout);
            for l in out.stdout.lines() {
                assert!(
                    !l.trim_end().ends_with("promo-") && !l.trim_end().ends_with("tracking-"),
                    "width {width}: {l}"
                );
            }
        }
    }
}

/// `--format json` and `sarif` are written with their findings serialised in parallel and put
/// in place: byte for byte what serde_json prints for the whole document — with findings,
/// suppressed findings and errors, and with none of them.
#[test]
fn json_and_sarif_written_in_pieces_are_the_documents_serde_json_prints() {
    use scopeward::catalogue::Catalogues;
    use scopeward::engine::check_texts;
    use scopeward::model::Day;
    use scopeward::output::{RenderOptions, json, render, sarif};
    use scopeward::policy::Policy;
    use scopeward::source::SourceMap;
    let docs: [&[(&str, &str)]; 3] = [
        &[
            (
                "a.yaml",
                "account:\n  type: brand\ntokens:\n  - name: a # scopeward: ignore[missing-description] later\n    scopes: [ads:read, \"*\"]\n  - name: b\n    legacy: read-write\n",
            ),
            ("b.yaml", "account: [\n"),
            (
                "c.toml",
                "[account]\ntype = \"partner\"\n[[tokens]]\nname = 7\n",
            ),
        ],
        &[(
            "clean.yaml",
            "account:\n  type: brand\ntokens:\n  - name: a\n    description: reads ads\n    environment: production\n    primary_contact: a@acme.example\n    api_version: 14\n    scopes: [ads:read]\n    created: 2026-11-01\n    last_used: 2026-11-20\n    auth_token_env: A_TOKEN\n",
        )],
        &[],
    ];
    let opts = RenderOptions {
        color: false,
        width: 100,
        quiet: false,
        fail_on: scopeward::finding::Severity::Warning,
    };
    let mut shapes = (false, false, false);
    for docs in docs {
        let report = check_texts(
            docs,
            SourceMap::new(),
            &Policy::default(),
            &Catalogues::builtin(),
            Day::parse(AS_OF).unwrap(),
        );
        shapes.0 |= !report.findings.is_empty();
        shapes.1 |= !report.suppressed.is_empty();
        shapes.2 |= !report.errors.is_empty();
        let written = render(&report, OutputFormat::Json, &opts, &Catalogues::builtin());
        let whole = serde_json::to_string_pretty(&json::build(&report)).unwrap() + "\n";
        assert_eq!(written, whole);
        let written = render(&report, OutputFormat::Sarif, &opts, &Catalogues::builtin());
        let whole = serde_json::to_string_pretty(&sarif::build(&report)).unwrap() + "\n";
        assert_eq!(written, whole);
    }
    assert_eq!(shapes, (true, true, true), "findings, suppressed, errors");
}
