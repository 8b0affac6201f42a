//! Property tests: whatever text the loader or the policy parser is given — random bytes,
//! random strings, or the shipped examples with random damage — it returns errors instead of
//! panicking, and every span it reports lies within the text, on character boundaries. The
//! whole pipeline (rules and both renderers) survives the same damaged files.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use scopeward::catalogue::Catalogues;
use scopeward::diag::InputError;
use scopeward::engine::check_texts;
use scopeward::finding::Severity;
use scopeward::model::{Day, load_text};
use scopeward::output::{OutputFormat, RenderOptions, render};
use scopeward::policy::Policy;
use scopeward::source::{FileId, SourceFile, SourceMap, Span};
use scopeward::tree::Format;

const BRAND_YAML: &str = include_str!("../examples/acme-brand-tokens.yaml");
const PARTNER_TOML: &str = include_str!("../examples/globex-partner-tokens.toml");
const AGENCY_JSON: &str = include_str!("../examples/initech-agency-tokens.json");
const POLICY_TOML: &str = include_str!("../examples/policy.toml");

/// A policy that uses every section, to give mutations more to break.
const FULL_POLICY_TOML: &str = r#"
include = ["**/*tokens*.yaml", "defs/*.json"]

[environments.development]
deny = ["*:write", "reports:*"]
allowed_contact_domains = ["acme.example"]

[environments.production]

[rules.unused-token]
severity = "error"
days = 60

[rules.broad-access]
max_fraction = 0.4

[[ignore]]
rule = "legacy-token"
token = "old-reporting"
reason = "Migrating in Q1"
expires = 2027-01-31
"#;

const FILE: FileId = FileId(0);

/// `cases` per property, or `PROPTEST_CASES` for a longer hunt.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn format_strategy() -> impl Strategy<Value = Format> {
    prop_oneof![Just(Format::Yaml), Just(Format::Toml), Just(Format::Json)]
}

fn check_span(text: &str, span: Span, what: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(span.file, FILE, "{} is in another file", what);
    prop_assert!(
        span.start <= span.end,
        "{} runs backwards: {:?}",
        what,
        span
    );
    prop_assert!(
        span.end as usize <= text.len(),
        "{} {:?} ends past the text ({} bytes)",
        what,
        span,
        text.len()
    );
    prop_assert!(
        text.is_char_boundary(span.start as usize),
        "{} {:?} starts inside a character",
        what,
        span
    );
    prop_assert!(
        text.is_char_boundary(span.end as usize),
        "{} {:?} ends inside a character",
        what,
        span
    );
    Ok(())
}

fn check_errors(text: &str, errors: &[InputError]) -> Result<(), TestCaseError> {
    let source = SourceFile::new("x", None, text);
    for e in errors {
        check_span(text, e.span, &format!("error `{}`", e.message))?;
        if let Some(related) = &e.related {
            check_span(text, related.0, &format!("related span of `{}`", e.message))?;
        }
        prop_assert!(!e.message.is_empty());
        // Line and column lookups work on every span.
        let start = source.line_col(e.span.start as usize);
        let end = source.line_col(e.span.end as usize);
        prop_assert!(start <= end, "{:?} > {:?} for {:?}", start, end, e);
    }
    Ok(())
}

/// Loads `text` as `format` and checks every span it reports.
fn load_and_check(format: Format, text: &str) -> Result<(), TestCaseError> {
    let loaded = load_text(FILE, format, text);
    check_errors(text, &loaded.errors)?;
    for s in &loaded.secrets {
        check_span(text, s.value_span, &format!("secret at `{}`", s.path))?;
    }
    Ok(())
}

fn policy_and_check(text: &str) -> Result<(), TestCaseError> {
    if let Err(errors) = Policy::parse(FILE, text, &scopeward::rules::Registry) {
        prop_assert!(!errors.is_empty(), "an error result with no errors");
        check_errors(text, &errors)?;
    }
    Ok(())
}

/// Text made of what token files are made of: indentation, punctuation, keys and values.
fn structured_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\n".to_string()),
        Just("  ".to_string()),
        Just("\t".to_string()),
        Just("- ".to_string()),
        Just(": ".to_string()),
        Just(" = ".to_string()),
        Just(", ".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[[tokens]]\n".to_string()),
        Just("[account]\n".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("#".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("---\n".to_string()),
        Just("account".to_string()),
        Just("tokens".to_string()),
        Just("type".to_string()),
        Just("brand".to_string()),
        Just("name".to_string()),
        Just("scopes".to_string()),
        Just("created".to_string()),
        Just("2025-02-30".to_string()),
        Just("auth_token".to_string()),
        Just("Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0".to_string()),
        Just("é☕𝄞".to_string()),
        Just("\u{feff}".to_string()),
        Just("\r\n".to_string()),
        "[a-z0-9:*_.-]{1,12}",
    ];
    prop::collection::vec(piece, 0..80).prop_map(|v| v.concat())
}

/// One way of damaging a file.
#[derive(Clone, Debug)]
enum Mutation {
    InsertBytes(usize, Vec<u8>),
    DeleteBytes(usize, usize),
    ReplaceByte(usize, u8),
    DuplicateLine(usize),
    DeleteLine(usize),
    SwapLines(usize, usize),
    Indent(usize, usize),
    Dedent(usize),
    TabIndent(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b" \t\n\r:-[]{}\"',#&*=\\".to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), prop::collection::vec(byte.clone(), 1..8))
            .prop_map(|(at, b)| Mutation::InsertBytes(at, b)),
        (any::<usize>(), 1usize..16).prop_map(|(at, n)| Mutation::DeleteBytes(at, n)),
        (any::<usize>(), byte).prop_map(|(at, b)| Mutation::ReplaceByte(at, b)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::DeleteLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), 1usize..6).prop_map(|(l, n)| Mutation::Indent(l, n)),
        any::<usize>().prop_map(Mutation::Dedent),
        any::<usize>().prop_map(Mutation::TabIndent),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies mutations to bytes; the result is read as the binary reads a file (lossily, since
/// invalid UTF-8 is reported before parsing).
fn mutate(original: &str, mutations: &[Mutation]) -> String {
    let mut bytes = original.as_bytes().to_vec();
    for m in mutations {
        let len = bytes.len();
        let pos = |at: usize| if len == 0 { 0 } else { at % (len + 1) };
        let mut lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        let line = |at: usize| at % lines.len();
        match m {
            Mutation::InsertBytes(at, b) => {
                let p = pos(*at);
                bytes.splice(p..p, b.iter().copied());
                continue;
            }
            Mutation::DeleteBytes(at, n) => {
                let p = pos(*at).min(len);
                let end = (p + n).min(len);
                bytes.drain(p..end);
                continue;
            }
            Mutation::ReplaceByte(at, b) => {
                if len > 0 {
                    bytes[at % len] = *b;
                }
                continue;
            }
            Mutation::Truncate(at) => {
                bytes.truncate(pos(*at));
                continue;
            }
            Mutation::DuplicateLine(at) => {
                let l = line(*at);
                let copy = lines[l].clone();
                lines.insert(l, copy);
            }
            Mutation::DeleteLine(at) => {
                let l = line(*at);
                lines.remove(l);
                if lines.is_empty() {
                    lines.push(Vec::new());
                }
            }
            Mutation::SwapLines(a, b) => {
                let (a, b) = (line(*a), line(*b));
                lines.swap(a, b);
            }
            Mutation::Indent(at, n) => {
                let l = line(*at);
                lines[l].splice(0..0, std::iter::repeat_n(b' ', *n));
            }
            Mutation::Dedent(at) => {
                let l = line(*at);
                let spaces = lines[l].iter().take_while(|&&b| b == b' ').count();
                lines[l].drain(..spaces.min(2));
            }
            Mutation::TabIndent(at) => {
                let l = line(*at);
                lines[l].insert(0, b'\t');
            }
        }
        bytes = lines.join(&b'\n');
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn example() -> impl Strategy<Value = (Format, &'static str)> {
    prop_oneof![
        Just((Format::Yaml, BRAND_YAML)),
        Just((Format::Toml, PARTNER_TOML)),
        Just((Format::Json, AGENCY_JSON)),
    ]
}

fn name_for(format: Format) -> &'static str {
    match format {
        Format::Yaml => "mutated-tokens.yaml",
        Format::Toml => "mutated-tokens.toml",
        Format::Json => "mutated-tokens.json",
    }
}

#[test]
fn the_unmutated_examples_load_cleanly() {
    for (format, text) in [
        (Format::Yaml, BRAND_YAML),
        (Format::Toml, PARTNER_TOML),
        (Format::Json, AGENCY_JSON),
    ] {
        let loaded = load_text(FILE, format, text);
        assert!(loaded.errors.is_empty(), "{format:?}: {:?}", loaded.errors);
        assert!(!loaded.tokens.is_empty());
        assert_eq!(mutate(text, &[]), text);
    }
    assert!(Policy::parse(FILE, POLICY_TOML, &scopeward::rules::Registry).is_ok());
    assert!(Policy::parse(FILE, FULL_POLICY_TOML, &scopeward::rules::Registry).is_ok());
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_bytes_never_panic(format in format_strategy(), bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        load_and_check(format, &text)?;
    }

    #[test]
    fn random_strings_never_panic(format in format_strategy(), text in any::<String>()) {
        load_and_check(format, &text)?;
    }

    #[test]
    fn structured_strings_never_panic(format in format_strategy(), text in structured_text()) {
        load_and_check(format, &text)?;
    }

    #[test]
    fn mutated_examples_never_panic(
        (format, original) in example(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let text = mutate(original, &mutations);
        load_and_check(format, &text)?;
    }

    #[test]
    fn examples_read_as_another_format_never_panic(
        (_, original) in example(),
        format in format_strategy(),
        mutations in prop::collection::vec(mutation(), 0..3),
    ) {
        let text = mutate(original, &mutations);
        load_and_check(format, &text)?;
    }

    #[test]
    fn random_policy_text_never_panics(text in any::<String>()) {
        policy_and_check(&text)?;
    }

    #[test]
    fn structured_policy_text_never_panics(text in structured_text()) {
        policy_and_check(&text)?;
    }

    #[test]
    fn mutated_policies_never_panic(
        original in prop_oneof![Just(POLICY_TOML), Just(FULL_POLICY_TOML)],
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let text = mutate(original, &mutations);
        policy_and_check(&text)?;
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Files are read through `engine::read_source`, which reports invalid UTF-8 itself.
    #[test]
    fn read_source_spans_are_on_char_boundaries(
        prefix in "[a-z: \n]{0,40}",
        bad in prop::collection::vec(0x80u8..=0xff, 1..4),
        suffix in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut bytes = prefix.into_bytes();
        bytes.extend(bad);
        bytes.extend(suffix);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x-tokens.yaml");
        std::fs::write(&path, &bytes).unwrap();
        let (source, err) = scopeward::engine::read_source(&path, "x-tokens.yaml".into(), FILE, 1 << 20);
        let binary = bytes.contains(&0) || bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]);
        if binary {
            // Not text (a NUL byte, UTF-16): an error, and nothing of it is kept to show.
            let err = err.expect("a binary file is an error");
            prop_assert!(source.text().is_empty(), "a binary file keeps no text");
            check_span(source.text(), err.span, "the binary error")?;
        } else if std::str::from_utf8(&bytes).is_err() {
            let err = err.expect("invalid UTF-8 is an error");
            check_span(source.text(), err.span, "the UTF-8 error")?;
            prop_assert!(!err.span.is_empty(), "the span covers the bad byte");
        }
    }
}

proptest! {
    // The whole pipeline is slower: fewer cases.
    #![proptest_config(config(96))]

    #[test]
    fn mutated_examples_check_and_render_without_panicking(
        (format, original) in example(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let text = mutate(original, &mutations);
        let report = check_texts(
            &[(name_for(format), text.as_str())],
            SourceMap::new(),
            &Policy::default(),
            &Catalogues::builtin(),
            Day::parse("2026-11-22").unwrap(),
        );
        for f in &report.findings {
            if let Some(span) = f.location {
                check_span(&text, span, &format!("finding `{}`", f.message))?;
            }
        }
        for e in &report.errors {
            check_span(&text, e.span, &format!("error `{}`", e.message))?;
        }
        let opts = RenderOptions { color: false, width: 100, quiet: false, fail_on: Severity::Warning };
                let catalogues = Catalogues::builtin();
        // The JSON written a field at a time is what serde_json prints for the whole document.
        let json = render(&report, OutputFormat::Json, &opts, &catalogues);
        let whole = serde_json::to_string_pretty(&scopeward::output::json::build(&report)).unwrap();
        prop_assert_eq!(json, whole + "\n");
        let sarif = render(&report, OutputFormat::Sarif, &opts, &catalogues);
        let whole = serde_json::to_string_pretty(&scopeward::output::sarif::build(&report)).unwrap();
        prop_assert_eq!(sarif, whole + "\n");
        let human = render(&report, OutputFormat::Human, &opts, &catalogues);
        prop_assert!(human.contains("Checked 1 file"), "{}", human);
        // Every other format renders whatever was found, too.
        for format in <OutputFormat as clap::ValueEnum>::value_variants() {
            let _ = render(&report, *format, &opts, &catalogues);
        }
        let json = render(&report, OutputFormat::Json, &opts, &catalogues);
        let doc: serde_json::Value = serde_json::from_str(&json).expect("the JSON report parses");
        prop_assert_eq!(doc["errors"].as_array().map(Vec::len), Some(report.errors.len()));
    }
}
