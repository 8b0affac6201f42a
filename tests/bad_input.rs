//! Bad input, through the real binary: every case exits 2 with a diagnostic that names the file
//! and the line:column of the problem (checked against the file's text), says what is wrong and
//! what to do where a hint is expected, never panics, and does not stop a valid file passed in
//! the same run from being checked. Secrets planted in broken files never reach the output.

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::{AS_OF, Out, bare, run};

/// A valid file checked alongside every bad one: its findings must still be reported.
const GOOD_NAME: &str = "good-tokens.yaml";
const GOOD: &str = "\
account:
  type: brand
  name: Acme
tokens:
  - name: good-full
    scopes: [\"*\"]
";

const SECRET: &str = "Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0";

fn run_in(dir: &Path, args: &[&str]) -> Out {
    let mut cmd = bare();
    cmd.current_dir(dir).args(args).args(["--as-of", AS_OF]);
    run(cmd)
}

/// What one bad file is expected to give.
struct Expect<'a> {
    line: u64,
    column: u64,
    /// Part of the error's message.
    message: &'a str,
    /// Part of its help, where a hint is expected.
    help: Option<&'a str>,
}

/// One-based line and character column of a byte offset.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line as u64, column as u64)
}

/// Line and column of the `nth` (0-based) occurrence of `needle`.
fn at(text: &str, needle: &str, nth: usize) -> (u64, u64) {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` #{nth} not in {text:?}"))
        .0;
    line_col(text, offset)
}

/// Writes `bytes` as `name` next to the good file, checks both (bad first, then good) in human
/// and JSON form, asserts the common contract, and returns the JSON `errors` of the bad file.
fn check_bad(name: &str, bytes: &[u8], expect: &[Expect<'_>]) -> Vec<Value> {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join(name), bytes).unwrap();
    std::fs::write(dir.path().join(GOOD_NAME), GOOD).unwrap();

    // Human output.
    let out = run_in(dir.path(), &["check", name, GOOD_NAME]);
    let all = out.all();
    assert_eq!(out.code, 2, "{name}: exit code\n{all}");
    for e in expect {
        let place = format!("{name}:{}:{}", e.line, e.column);
        assert!(all.contains(&place), "{name}: `{place}` not shown:\n{all}");
        assert!(
            all.contains(e.message),
            "{name}: `{}` not said:\n{all}",
            e.message
        );
        if let Some(help) = e.help {
            assert!(
                all.contains(help),
                "{name}: hint `{help}` not given:\n{all}"
            );
        }
    }
    assert!(
        all.contains("error[full-access]") && all.contains("good-tokens.yaml:6:14"),
        "{name}: the good file's findings are missing:\n{all}"
    );

    // JSON output.
    let out = run_in(dir.path(), &["check", name, GOOD_NAME, "--format", "json"]);
    assert_eq!(out.code, 2, "{name}: exit code (json)\n{}", out.all());
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: not JSON ({e}):\n{}", out.all()));
    let errors: Vec<Value> = doc["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["file"] == name)
        .cloned()
        .collect();
    assert!(!errors.is_empty(), "{name}: no error in the JSON:\n{doc:#}");
    for e in expect {
        let found = errors.iter().find(|err| {
            err["location"]["line"] == e.line
                && err["location"]["column"] == e.column
                && err["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(e.message))
        });
        let found = found.unwrap_or_else(|| {
            panic!(
                "{name}: no JSON error `{}` at {}:{}; errors: {errors:#?}",
                e.message, e.line, e.column
            )
        });
        assert_eq!(found["location"]["path"], name);
        if let Some(help) = e.help {
            assert!(
                found["help"].as_str().is_some_and(|h| h.contains(help)),
                "{name}: JSON hint `{help}` missing: {found:#}"
            );
        }
    }
    let good = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "full-access" && f["token"] == "good-full")
        .unwrap_or_else(|| panic!("{name}: the good file's findings are missing:\n{doc:#}"));
    assert_eq!(good["location"]["path"], GOOD_NAME);
    assert_eq!(good["location"]["line"], 6);
    assert_eq!(doc["summary"]["files"], 2);
    assert_eq!(doc["summary"]["tokens"], 1, "only the good file's token");
    errors
}

fn expect(pos: (u64, u64), message: &str) -> Expect<'_> {
    Expect {
        line: pos.0,
        column: pos.1,
        message,
        help: None,
    }
}

fn expect_help<'a>(pos: (u64, u64), message: &'a str, help: &'a str) -> Expect<'a> {
    Expect {
        line: pos.0,
        column: pos.1,
        message,
        help: Some(help),
    }
}

// ---------------------------------------------------------------------------------------------
// Malformed syntax

#[test]
fn malformed_yaml_colon_in_a_plain_value() {
    let text = "account:\n  type: brand\ntokens:\n  - name: x\n    description: note: a: b\n";
    check_bad(
        "colon-tokens.yaml",
        text.as_bytes(),
        &[expect_help(
            at(text, ": a: b", 0),
            "invalid YAML",
            "must be quoted",
        )],
    );
}

#[test]
fn malformed_yaml_unclosed_flow_sequence() {
    // The parser notices at the next `:`, inside the still-open `[`.
    let text =
        "account:\n  type: brand\ntokens:\n  - name: x\n    scopes: [ads:read\n  - name: y\n";
    check_bad(
        "unclosed-tokens.yaml",
        text.as_bytes(),
        &[expect(at(text, ": y", 0), "invalid YAML")],
    );
}

#[test]
fn malformed_yaml_unclosed_quote_and_bad_indentation() {
    let text = "account:\n  type: brand\ntokens:\n  - name: \"x\n";
    check_bad(
        "quote-tokens.yaml",
        text.as_bytes(),
        &[expect(line_col(text, text.len()), "invalid YAML")],
    );
    let text = "account:\n  type: brand\n tokens: []\n";
    check_bad(
        "indent-tokens.yaml",
        text.as_bytes(),
        &[expect(at(text, "tokens", 0), "invalid YAML")],
    );
}

#[test]
fn malformed_yaml_tab_indentation_has_a_hint() {
    let text = "account:\n  type: brand\ntokens:\n\t- name: x\n";
    let errors = check_bad("tab-tokens.yaml", text.as_bytes(), &[]);
    assert_eq!(errors[0]["location"]["line"], 4, "{errors:#?}");
    assert!(
        errors[0]["help"]
            .as_str()
            .is_some_and(|h| h.contains("spaces, not tabs")),
        "{errors:#?}"
    );
}

#[test]
fn malformed_yaml_tab_errors_point_at_the_tab() {
    let text = "account:\n  type: brand\ntokens:\n\t- name: x\n";
    check_bad(
        "tab-tokens.yaml",
        text.as_bytes(),
        &[expect_help(at(text, "\t", 0), "tab", "spaces, not tabs")],
    );
    let text = "account:\n  type: brand\ntokens:\n  - name: x\n\tscopes: [ads:read]\n";
    check_bad(
        "tab2-tokens.yaml",
        text.as_bytes(),
        &[expect_help(at(text, "\t", 0), "tab", "spaces, not tabs")],
    );
}

#[test]
fn malformed_toml() {
    let text = "[account]\ntype = \"brand\"\n\n[[tokens]]\nname = \"x\"\nscopes = [\"ads:read\",\n";
    check_bad(
        "unclosed-tokens.toml",
        text.as_bytes(),
        &[expect(
            line_col(text, text.len() - 1),
            "invalid TOML: unclosed array",
        )],
    );
    let text = "[account]\ntype = brand\n";
    check_bad(
        "unquoted-tokens.toml",
        text.as_bytes(),
        &[expect(at(text, "brand", 0), "invalid TOML")],
    );
    let text = "[account\ntype = \"brand\"\n";
    check_bad(
        "header-tokens.toml",
        text.as_bytes(),
        &[expect(at(text, "\n", 0), "invalid TOML: unclosed table")],
    );
    let text = "[account]\ntype = \"brand\"\n[[tokens]]\nname = \"x\ndescription = \"y\"\n";
    check_bad(
        "string-tokens.toml",
        text.as_bytes(),
        &[expect(at(text, "\n", 3), "invalid TOML")],
    );
}

#[test]
fn malformed_json_trailing_comma() {
    let text = "{\n  \"account\": {\"type\": \"brand\"},\n  \"tokens\": [\n    {\"name\": \"x\", \"scopes\": [\"ads:read\",]}\n  ]\n}\n";
    check_bad(
        "array-comma-tokens.json",
        text.as_bytes(),
        &[expect(at(text, ",]", 0), "invalid JSON: Trailing comma")],
    );
    let text = "{\n  \"account\": {\"type\": \"brand\"},\n  \"tokens\": [\n    {\"name\": \"x\"},\n  ]\n}\n";
    check_bad(
        "list-comma-tokens.json",
        text.as_bytes(),
        &[expect(
            at(text, "},\n  ]", 0).with_col_plus(1),
            "Trailing comma",
        )],
    );
    let text = "{\"account\": {\"type\": \"brand\",}, \"tokens\": []}";
    check_bad(
        "object-comma-tokens.json",
        text.as_bytes(),
        &[expect(at(text, ",}", 0), "Trailing comma")],
    );
}

#[test]
fn malformed_json_comments() {
    let text = "{\n  // the account\n  \"account\": {\"type\": \"brand\"},\n  \"tokens\": []\n}\n";
    check_bad(
        "line-comment-tokens.json",
        text.as_bytes(),
        &[expect(
            at(text, "//", 0),
            "invalid JSON: Comments are not allowed",
        )],
    );
    let text = "{\n  \"account\": {\"type\": \"brand\"}, /* block */\n  \"tokens\": []\n}\n";
    check_bad(
        "block-comment-tokens.json",
        text.as_bytes(),
        &[expect(at(text, "/*", 0), "Comments are not allowed")],
    );
}

#[test]
fn malformed_json_errors_carry_their_hints() {
    let text = "{\"account\": {\"type\": \"brand\"}, \"tokens\": [{\"name\": \"x\",}]}\n";
    check_bad(
        "comma-tokens.json",
        text.as_bytes(),
        &[expect_help(
            at(text, ",}", 0),
            "Trailing comma",
            "remove the comma",
        )],
    );
    let text = "// tokens\n{\"account\": {\"type\": \"brand\"}, \"tokens\": []}\n";
    check_bad(
        "comment-tokens.json",
        text.as_bytes(),
        &[expect_help(
            (1, 1),
            "Comments are not allowed",
            "JSON has no comments",
        )],
    );
}

#[test]
fn malformed_json_structure() {
    let text = "{\"account\": {\"type\": \"brand\"} \"tokens\": []}";
    check_bad(
        "missing-comma-tokens.json",
        text.as_bytes(),
        &[expect(at(text, " \"tokens\"", 0), "invalid JSON")],
    );
    let text = "{\"account\": {\"type\": \"brand\"}, \"tokens\": [";
    let errors = check_bad("truncated-tokens.json", text.as_bytes(), &[]);
    assert_eq!(errors[0]["location"]["line"], 1);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON"),
        "{errors:#?}"
    );
    let text = "{'account': {}}";
    check_bad(
        "single-quote-tokens.json",
        text.as_bytes(),
        &[expect(at(text, "'", 0), "invalid JSON")],
    );
}

trait ColPlus {
    fn with_col_plus(self, n: u64) -> Self;
}

impl ColPlus for (u64, u64) {
    fn with_col_plus(self, n: u64) -> Self {
        (self.0, self.1 + n)
    }
}

// ---------------------------------------------------------------------------------------------
// Wrong types, unknown keys and values, impossible dates

#[test]
fn wrong_types_yaml() {
    let text = "account:\n  type: brand\ntokens:\n  - name: a\n    scopes: 5\n  - name: [a]\n  - name: c\n    api_version: true\n";
    let errors = check_bad(
        "types-tokens.yaml",
        text.as_bytes(),
        &[
            expect(at(text, "5", 0), "found integer `5`"),
            expect(at(text, "[a]", 0), "expected a string, found a list"),
            expect(at(text, "true", 0), "found boolean `true`"),
        ],
    );
    let paths: Vec<&str> = errors.iter().filter_map(|e| e["path"].as_str()).collect();
    assert_eq!(
        paths,
        [
            "tokens[0].scopes",
            "tokens[1].name",
            "tokens[2].api_version"
        ]
    );
}

#[test]
fn wrong_types_toml() {
    let text = "[account]\ntype = \"brand\"\n[[tokens]]\nname = [\"a\"]\n[[tokens]]\nname = \"b\"\nscopes = 5\n[[tokens]]\nname = \"c\"\napi_version = true\n";
    check_bad(
        "types-tokens.toml",
        text.as_bytes(),
        &[
            expect(at(text, "[\"a\"]", 0), "expected a string, found a list"),
            expect(at(text, "5", 0), "found integer `5`"),
            expect(at(text, "true", 0), "found boolean `true`"),
        ],
    );
}

#[test]
fn wrong_types_json() {
    let text = "{\"account\": {\"type\": \"brand\"},\n \"tokens\": [\n  {\"name\": [\"a\"]},\n  {\"name\": \"b\", \"scopes\": 5},\n  {\"name\": \"c\", \"api_version\": true}\n ]}\n";
    check_bad(
        "types-tokens.json",
        text.as_bytes(),
        &[
            expect(at(text, "[\"a\"]", 0), "expected a string, found a list"),
            expect(at(text, "5", 0), "found integer `5`"),
            expect(at(text, "true", 0), "found boolean `true`"),
        ],
    );
}

#[test]
fn wrong_shapes_of_account_and_tokens() {
    let text = "account: 5\ntokens: {}\n";
    check_bad(
        "shape-tokens.yaml",
        text.as_bytes(),
        &[
            expect(at(text, "5", 0), "expected a table"),
            expect_help(
                at(text, "{}", 0),
                "expected a list of tokens, found a table",
                "list item",
            ),
        ],
    );
    let text = "- account: {type: brand}\n";
    check_bad(
        "list-tokens.yaml",
        text.as_bytes(),
        &[expect_help(
            (1, 1),
            "expected a table with `account` and `tokens`",
            "scopeward schema tokens",
        )],
    );
    let text = "tokens: []\n";
    check_bad(
        "no-account-tokens.yaml",
        text.as_bytes(),
        &[expect((1, 1), "missing required key `account`")],
    );
}

#[test]
fn unknown_keys_have_did_you_mean() {
    let text =
        "account:\n  type: brand\n  nmae: Acme\ntokens:\n  - name: x\n    enviroment: production\n";
    let errors = check_bad(
        "keys-tokens.yaml",
        text.as_bytes(),
        &[
            expect_help(
                at(text, "nmae", 0),
                "unknown key `nmae`",
                "did you mean `name`?",
            ),
            expect_help(
                at(text, "enviroment", 0),
                "unknown key `enviroment`",
                "did you mean `environment`?",
            ),
        ],
    );
    let loc = &errors[1]["location"];
    assert_eq!(
        loc["end_column"].as_u64().unwrap() - loc["column"].as_u64().unwrap(),
        "enviroment".len() as u64,
        "the span covers the key: {loc}"
    );

    let text = "account:\n  type: brand\ntokns:\n  - name: x\n";
    check_bad(
        "root-key-tokens.yaml",
        text.as_bytes(),
        &[expect_help(
            at(text, "tokns", 0),
            "unknown key `tokns`",
            "did you mean `tokens`?",
        )],
    );

    let text = "[account]\ntype = \"brand\"\n\n[[tokens]]\nname = \"x\"\nscope = [\"ads:read\"]\n";
    check_bad(
        "keys-tokens.toml",
        text.as_bytes(),
        &[expect_help(
            at(text, "scope", 0),
            "unknown key `scope`",
            "did you mean `scopes`?",
        )],
    );

    let text = "{\"account\": {\"type\": \"brand\"}, \"tokens\": [{\"name\": \"x\", \"descripton\": \"y\"}]}";
    check_bad(
        "keys-tokens.json",
        text.as_bytes(),
        &[expect_help(
            at(text, "\"descripton\"", 0),
            "unknown key `descripton`",
            "did you mean `description`?",
        )],
    );
}

#[test]
fn root_key_token_is_a_typo_not_a_secret() {
    let text = "account:\n  type: brand\ntoken:\n  - name: x\n    scopes: [ads:read]\n";
    let errors = check_bad(
        "token-typo-tokens.yaml",
        text.as_bytes(),
        &[expect_help(
            at(text, "token", 0),
            "unknown key `token`",
            "did you mean `tokens`?",
        )],
    );
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn unknown_account_type_has_did_you_mean() {
    for (name, text, typo, fix) in [
        (
            "brnad-tokens.yaml",
            "account:\n  type: brnad\ntokens: []\n",
            "brnad",
            "brand",
        ),
        (
            "partner-tokens.yaml",
            "account: {type: Partner}\ntokens: []\n",
            "Partner",
            "partner",
        ),
        (
            "agnecy-tokens.toml",
            "[account]\ntype = \"agnecy\"\n",
            "\"agnecy\"",
            "agency",
        ),
        (
            "advertiser-tokens.json",
            "{\"account\": {\"type\": \"advertiser\"}, \"tokens\": []}",
            "\"advertiser\"",
            "",
        ),
    ] {
        let value = typo.trim_matches('"');
        let errors = check_bad(
            name,
            text.as_bytes(),
            &[expect(
                at(text, typo, 0),
                &format!("unknown value `{value}`"),
            )],
        );
        let help = errors[0]["help"].as_str().unwrap_or("");
        if !fix.is_empty() {
            assert!(
                help.contains(&format!("did you mean `{fix}`?")),
                "{name}: {help}"
            );
        }
        assert!(
            help.contains("`brand`, `partner`, `agency`"),
            "{name}: the choices are listed: {help}"
        );
        assert_eq!(errors[0]["path"], "account.type");
    }
}

#[test]
fn impossible_dates() {
    let text = "account:\n  type: brand\ntokens:\n  - name: a\n    created: 2025-02-30\n  - name: b\n    last_used: 2025-13-01\n  - name: c\n    last_reset: 2025-04-31\n";
    check_bad(
        "dates-tokens.yaml",
        text.as_bytes(),
        &[
            expect(
                at(text, "2025-02-30", 0),
                "`2025-02-30` is not a valid date",
            ),
            expect(
                at(text, "2025-13-01", 0),
                "`2025-13-01` is not a valid date",
            ),
            expect(
                at(text, "2025-04-31", 0),
                "`2025-04-31` is not a valid date",
            ),
        ],
    );
    let text = "{\"account\": {\"type\": \"partner\"}, \"tokens\": [\n {\"name\": \"a\", \"created\": \"2025-02-30\"},\n {\"name\": \"b\", \"last_used\": \"2025-13-01\"}]}";
    check_bad(
        "dates-tokens.json",
        text.as_bytes(),
        &[
            expect(
                at(text, "\"2025-02-30\"", 0),
                "`2025-02-30` is not a valid date",
            ),
            expect(
                at(text, "\"2025-13-01\"", 0),
                "`2025-13-01` is not a valid date",
            ),
        ],
    );
    // TOML's own date literals are checked by the TOML parser; quoted dates by scopeward.
    let text = "[account]\ntype = \"brand\"\n[[tokens]]\nname = \"a\"\ncreated = 2025-02-30\n";
    check_bad(
        "literal-dates-tokens.toml",
        text.as_bytes(),
        &[expect(
            at(text, "2025-02-30", 0),
            "invalid TOML: invalid date",
        )],
    );
    let text = "[account]\ntype = \"brand\"\n[[tokens]]\nname = \"a\"\nlast_used = 2025-13-01\n";
    check_bad(
        "month-dates-tokens.toml",
        text.as_bytes(),
        &[expect(
            at(text, "2025-13-01", 0),
            "invalid TOML: invalid date",
        )],
    );
    let text =
        "[account]\ntype = \"brand\"\n[[tokens]]\nname = \"a\"\nlast_used = \"2025-02-30\"\n";
    check_bad(
        "quoted-dates-tokens.toml",
        text.as_bytes(),
        &[expect(
            at(text, "\"2025-02-30\"", 0),
            "`2025-02-30` is not a valid date",
        )],
    );
}

// ---------------------------------------------------------------------------------------------
// Empty files

#[test]
fn empty_files() {
    for (name, text) in [
        ("zero-tokens.yaml", ""),
        ("blank-tokens.yaml", "  \n\n   \n"),
        ("comment-tokens.yaml", "# nothing yet\n# really\n"),
        ("zero-tokens.yml", ""),
        ("zero-tokens.json", ""),
        ("blank-tokens.json", "\n   \n\t\n"),
        ("zero-tokens.toml", ""),
        ("blank-tokens.toml", "\n  \n"),
    ] {
        let errors = check_bad(
            name,
            text.as_bytes(),
            &[expect_help((1, 1), "the file is empty", "`account")],
        );
        assert_eq!(errors.len(), 1, "{name}: {errors:#?}");
    }
    // JSON has no comments: a comment-only JSON file is a syntax error at the comment.
    check_bad(
        "comment-tokens.json",
        b"\n// nothing yet\n",
        &[expect((2, 1), "Comments are not allowed")],
    );
}

#[test]
fn empty_toml_with_only_comments_is_empty() {
    check_bad(
        "comment-tokens.toml",
        b"# nothing yet\n",
        &[expect_help((1, 1), "the file is empty", "[[tokens]]")],
    );
}

// ---------------------------------------------------------------------------------------------
// Not UTF-8

#[test]
fn non_utf8_bytes_point_at_the_first_bad_byte() {
    // Latin-1 `é` after valid multi-byte UTF-8 on the same line: columns count characters.
    let mut bytes = b"account:\n  type: brand\n  name: \xc3\xa9t\xc3\xa9 caf".to_vec();
    bytes.extend_from_slice(b"\xe9 \xff\ntokens: []\n");
    check_bad(
        "latin1-tokens.yaml",
        &bytes,
        &[expect_help((3, 16), "not valid UTF-8", "save it as UTF-8")],
    );
    // A UTF-16 byte order mark.
    check_bad(
        "utf16-tokens.json",
        b"\xff\xfe{\x00}\x00",
        &[expect_help((1, 1), "not valid UTF-8", "UTF-8")],
    );
    // A truncated sequence at the very end of a TOML file.
    let mut bytes = b"[account]\ntype = \"brand\"\nname = \"".to_vec();
    bytes.extend_from_slice(b"\xe2\x82");
    check_bad(
        "truncated-tokens.toml",
        &bytes,
        &[expect((3, 9), "not valid UTF-8")],
    );
}

// ---------------------------------------------------------------------------------------------
// Deep nesting

#[test]
fn deep_flow_nesting_yaml() {
    let limit = scopeward::tree::MAX_DEPTH as u64;
    let text = "[".repeat(100_000);
    check_bad(
        "brackets-tokens.yaml",
        text.as_bytes(),
        &[expect_help((1, limit + 1), "invalid YAML", "nesting")],
    );
    let text = "{a: ".repeat(100_000);
    let errors = check_bad("braces-tokens.yaml", text.as_bytes(), &[]);
    assert!(
        errors[0]["help"].as_str().unwrap_or("").contains("nesting"),
        "{errors:#?}"
    );
    let text = "- ".repeat(100_000);
    let errors = check_bad("dashes-tokens.yaml", text.as_bytes(), &[]);
    assert!(
        errors[0]["help"].as_str().unwrap_or("").contains("nesting"),
        "{errors:#?}"
    );
}

#[test]
fn deep_block_mappings_yaml() {
    let limit = scopeward::tree::MAX_DEPTH as u64;
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&" ".repeat(i));
        text.push_str("a:\n");
    }
    check_bad(
        "block-tokens.yaml",
        text.as_bytes(),
        &[expect_help(
            (limit + 1, limit + 1),
            "invalid YAML",
            "nesting",
        )],
    );
}

/// The error is on line 1, deep inside the nesting (past column `past`, before its end),
/// at one of its brackets or keys, with a hint.
fn assert_points_into_brackets(text: &str, errors: &[Value], open: char, past: usize) {
    let loc = &errors[0]["location"];
    assert_eq!(loc["line"], 1, "{errors:#?}");
    let column = loc["column"].as_u64().unwrap() as usize;
    assert!(
        column > past && column <= text.chars().count(),
        "column {column} is not inside the nesting: {errors:#?}"
    );
    let at = text.chars().nth(column - 1).unwrap();
    assert!(
        at == open || "\"a:= b".contains(at),
        "column {column} is at `{at}`, not in the nesting: {errors:#?}"
    );
    assert!(
        errors[0]["help"].as_str().unwrap_or("").contains("nesting")
            || errors[0]["help"].as_str().unwrap_or("").contains("levels"),
        "{errors:#?}"
    );
}

#[test]
fn deep_nesting_json() {
    let text = "[".repeat(100_000);
    let errors = check_bad("brackets-tokens.json", text.as_bytes(), &[]);
    assert_points_into_brackets(&text, &errors, '[', scopeward::tree::MAX_DEPTH);
    let text = "{\"a\":".repeat(100_000);
    let errors = check_bad("objects-tokens.json", text.as_bytes(), &[]);
    assert_points_into_brackets(&text, &errors, '{', scopeward::tree::MAX_DEPTH);
    // Within the JSON parser's limit but deeper than scopeward's own.
    let limit = scopeward::tree::MAX_DEPTH;
    let text = format!("{{\"account\": {}{}}}", "[".repeat(200), "]".repeat(200));
    let errors = check_bad("closed-tokens.json", text.as_bytes(), &[]);
    assert_points_into_brackets(&text, &errors, '[', scopeward::tree::MAX_DEPTH);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("deeper than {limit} levels")),
        "{errors:#?}"
    );
}

#[test]
fn deep_nesting_toml() {
    let text = format!("a = {}", "[".repeat(100_000));
    let errors = check_bad("brackets-tokens.toml", text.as_bytes(), &[]);
    assert_points_into_brackets(&text, &errors, '[', 40);
    let text = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let errors = check_bad("closed-tokens.toml", text.as_bytes(), &[]);
    assert_points_into_brackets(&text, &errors, '[', 40);
    let text = format!("a = {}", "{b = ".repeat(100_000));
    let errors = check_bad("tables-tokens.toml", text.as_bytes(), &[]);
    assert_points_into_brackets(&text, &errors, '{', 40);
    // Dotted keys nest without brackets: this must not crash either.
    let text = format!("[{}]\nx = 1\n", vec!["t"; 100_000].join("."));
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("dotted-tokens.toml"), text.as_bytes()).unwrap();
    let out = run_in(dir.path(), &["check", "dotted-tokens.toml"]);
    assert_eq!(out.code, 2, "{}", &out.all()[..out.all().len().min(2000)]);
}

// ---------------------------------------------------------------------------------------------
// Alias bombs

/// Largest resident set of any child process waited for so far, in bytes.
fn children_max_rss() -> u64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    // Linux reports kilobytes.
    usage.ru_maxrss as u64 * 1024
}

const MEMORY_BOUND: u64 = 1024 * 1024 * 1024;

fn billion_laughs() -> String {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let (prev, cur) = (w[0], w[1]);
        let items = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("{cur}: &{cur} [{items}]\n"));
    }
    text
}

/// The error is at an alias, says the aliases expand too far, and calls it a bomb.
fn assert_stopped_at_an_alias(text: &str, errors: &[Value]) {
    let loc = &errors[0]["location"];
    let line = loc["line"].as_u64().unwrap() as usize;
    let column = loc["column"].as_u64().unwrap() as usize;
    let at = text.lines().nth(line - 1).unwrap().chars().nth(column - 1);
    assert_eq!(at, Some('*'), "not at an alias: {errors:#?}");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("too many"),
        "{errors:#?}"
    );
    assert!(
        errors[0]["help"]
            .as_str()
            .unwrap_or("")
            .contains("alias bomb"),
        "{errors:#?}"
    );
}

#[test]
fn yaml_billion_laughs_is_stopped() {
    let text = billion_laughs();
    let errors = check_bad("laughs-tokens.yaml", text.as_bytes(), &[]);
    assert_stopped_at_an_alias(&text, &errors);
    assert!(children_max_rss() < MEMORY_BOUND, "memory stays bounded");
}

#[test]
fn yaml_alias_bomb_of_mappings_inside_tokens_is_stopped() {
    // Inside `tokens`, where items are handed over while parsing.
    let mut text = String::from("account: {type: brand}\ntokens:\n");
    text.push_str("  - &t0 {name: t, description: d, environment: production}\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "  - &t{i} {{name: t{i}, a: [*t{p}, *t{p}, *t{p}, *t{p}, *t{p}, *t{p}, *t{p}, *t{p}]}}\n"
        ));
    }
    let errors = check_bad("mapping-bomb-tokens.yaml", text.as_bytes(), &[]);
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("too many")),
        "{errors:#?}"
    );
    assert!(children_max_rss() < MEMORY_BOUND, "memory stays bounded");
}

#[test]
fn yaml_many_aliases_to_one_large_anchor_are_stopped() {
    // Each alias is small enough on its own; together they are not.
    let mut text = String::from("big: &big [");
    text.push_str(&vec!["x"; 5000].join(", "));
    text.push_str("]\nrefs:\n");
    for _ in 0..20_000 {
        text.push_str("  - *big\n");
    }
    let errors = check_bad("wide-bomb-tokens.yaml", text.as_bytes(), &[]);
    assert_stopped_at_an_alias(&text, &errors);
    assert!(children_max_rss() < MEMORY_BOUND, "memory stays bounded");
}

#[test]
fn yaml_small_aliases_are_fine() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("alias-tokens.yaml"),
        "account: {type: brand}\ntokens:\n  - name: a-prod\n    scopes: &s [\"*\"]\n  - name: b-prod\n    scopes: *s\n",
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &["check", "alias-tokens.yaml", "--format", "json"],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let full: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "full-access")
        .map(|f| f["token"].as_str().unwrap())
        .collect();
    assert_eq!(full, ["a-prod", "b-prod"]);
}

// ---------------------------------------------------------------------------------------------
// Duplicate keys, a second document

#[test]
fn duplicate_keys() {
    let text =
        "account:\n  type: brand\ntokens:\n  - name: x\n    description: a\n    description: b\n";
    let errors = check_bad(
        "dup-tokens.yaml",
        text.as_bytes(),
        &[expect_help(
            at(text, "description", 1),
            "duplicate key `description`",
            "remove or merge",
        )],
    );
    assert!(errors.len() == 1, "{errors:#?}");
    let out_dir = TempDir::new().unwrap();
    std::fs::write(out_dir.path().join("dup-tokens.yaml"), text).unwrap();
    let out = run_in(out_dir.path(), &["check", "dup-tokens.yaml"]);
    assert!(
        out.stdout.contains("first defined here"),
        "the first key is pointed at too:\n{}",
        out.stdout
    );

    let text = "[account]\ntype = \"brand\"\ntype = \"partner\"\n";
    check_bad(
        "dup-tokens.toml",
        text.as_bytes(),
        &[expect_help(
            at(text, "type", 1),
            "duplicate key",
            "remove or merge",
        )],
    );
    let text = "{\"account\": {\"type\": \"brand\", \"type\": \"agency\"}, \"tokens\": []}";
    check_bad(
        "dup-tokens.json",
        text.as_bytes(),
        &[expect_help(
            at(text, "\"type\"", 1),
            "duplicate key `type`",
            "remove or merge",
        )],
    );
    let text = "account:\n  type: brand\ntokens: []\ntokens: []\n";
    check_bad(
        "dup-root-tokens.yaml",
        text.as_bytes(),
        &[expect(at(text, "tokens", 1), "duplicate key `tokens`")],
    );
}

#[test]
fn a_second_yaml_document() {
    let text = "account:\n  type: brand\ntokens: []\n---\naccount:\n  type: partner\ntokens: []\n";
    check_bad(
        "two-docs-tokens.yaml",
        text.as_bytes(),
        &[expect_help(
            at(text, "---", 0),
            "a second YAML document",
            "split it into files",
        )],
    );
    let text = "account:\n  type: brand\ntokens: []\n...\naccount:\n  type: partner\n";
    check_bad(
        "end-marker-tokens.yaml",
        text.as_bytes(),
        &[expect(at(text, "account", 1), "a second YAML document")],
    );
    // A leading `---` starts the only document: that is fine.
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("one-doc-tokens.yaml"),
        "---\naccount:\n  type: brand\ntokens: []\n...\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["check", "one-doc-tokens.yaml"]);
    assert_eq!(out.code, 0, "{}", out.all());
}

// ---------------------------------------------------------------------------------------------
// Secrets in broken files

/// The 8-character pieces of the secret found in `output`.
fn secret_pieces(output: &str) -> Vec<String> {
    let chars: Vec<char> = SECRET.chars().collect();
    chars
        .windows(8)
        .map(|w| w.iter().collect::<String>())
        .filter(|piece| output.contains(piece.as_str()))
        .collect()
}

/// Runs `bytes` as `name` (with the good file) in human and JSON form and says what went
/// wrong: a wrong exit code, the file not named, the good file not checked, or a piece of the
/// secret shown. `code` is the expected exit code.
fn secret_problems(name: &str, bytes: &[u8], code: i32) -> Vec<String> {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join(name), bytes).unwrap();
    std::fs::write(dir.path().join(GOOD_NAME), GOOD).unwrap();
    let mut problems = Vec::new();
    for format in ["human", "json"] {
        let out = run_in(dir.path(), &["check", name, GOOD_NAME, "--format", format]);
        let all = out.all();
        if out.code != code {
            problems.push(format!("{name} ({format}): exit code {}", out.code));
        }
        if !all.contains(name) {
            problems.push(format!("{name} ({format}): the file is not named"));
        }
        if !all.contains("good-full") {
            problems.push(format!("{name} ({format}): the good file is not checked"));
        }
        let pieces = secret_pieces(&all);
        if !pieces.is_empty() {
            let lines: Vec<&str> = all
                .lines()
                .filter(|l| pieces.iter().any(|p| l.contains(p.as_str())))
                .collect();
            problems.push(format!(
                "{name} ({format}): the secret is shown in:\n    {}",
                lines.join("\n    ")
            ));
        }
    }
    problems
}

/// Exit 2, the file named, the good file checked, and no piece of the secret anywhere.
fn assert_secret_hidden(name: &str, bytes: &[u8]) {
    let problems = secret_problems(name, bytes, 2);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn secrets_in_malformed_files_are_never_shown() {
    let s = SECRET;
    // On the line of the syntax error.
    assert_secret_hidden(
        "same-line-tokens.yaml",
        format!("account:\n  type: brand\ntokens:\n  - name: x\n    auth_token: {s}: bad: [\n")
            .as_bytes(),
    );
    assert_secret_hidden(
        "same-line-flow-tokens.yaml",
        format!("account:\n  type: brand\ntokens:\n  - {{name: x, auth_token: {s} ]\n").as_bytes(),
    );
    // On a line near it.
    assert_secret_hidden(
        "near-tokens.yaml",
        format!(
            "account:\n  type: brand\ntokens:\n  - name: x\n    auth_token: {s}\n    scopes: [ads:read\n  - name: y\n"
        )
        .as_bytes(),
    );
    assert_secret_hidden(
        "unclosed-quote-tokens.yaml",
        format!("account:\n  type: brand\ntokens:\n  - name: x\n    password: \"{s}\n").as_bytes(),
    );
    assert_secret_hidden(
        "same-line-tokens.toml",
        format!("[account]\ntype = \"brand\"\n[[tokens]]\nauth_token = \"{s}\" oops\n").as_bytes(),
    );
    assert_secret_hidden(
        "near-tokens.toml",
        format!("[account]\ntype = \"brand\"\n[[tokens]]\npassword = '{s}'\nname = = 3\n")
            .as_bytes(),
    );
    assert_secret_hidden(
        "same-line-tokens.json",
        format!("{{\"account\": {{\"type\": \"brand\"}},\n \"tokens\": [{{\"auth_token\": \"{s}\",}}]}}\n")
            .as_bytes(),
    );
    assert_secret_hidden(
        "near-tokens.json",
        format!("{{\"account\": {{\"type\": \"brand\"}},\n \"tokens\": [{{\"secret\": \"{s}\"\n \"name\": \"x\"}}]}}\n")
            .as_bytes(),
    );
    // Shaped like an Auth Token under an ordinary key, next to an error.
    assert_secret_hidden(
        "shape-tokens.yaml",
        format!("account:\n  type: brand\ntokens:\n  - name: x\n    description: {s}\n  bad\n")
            .as_bytes(),
    );
    // A file that also fails to deserialise (parses, but has a type error).
    assert_secret_hidden(
        "typed-tokens.yaml",
        format!("account:\n  type: brand\ntokens:\n  - name: [x]\n    auth_token: {s}\n")
            .as_bytes(),
    );
}

#[test]
fn secrets_in_non_utf8_files_are_never_shown() {
    let s = SECRET;
    let mut same_line =
        format!("account:\n  type: brand\ntokens:\n  - auth_token: {s} ").into_bytes();
    same_line.extend_from_slice(b"\xff\n");
    let mut near = b"account:\n  type: brand\ntokens:\n  - name: x\xff\n".to_vec();
    near.extend_from_slice(format!("    auth_token: {s}\n").as_bytes());
    let mut problems = secret_problems("same-line-latin1-tokens.yaml", &same_line, 2);
    problems.extend(secret_problems("near-latin1-tokens.yaml", &near, 2));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn secret_shaped_values_are_never_echoed_in_messages() {
    let s = SECRET;
    // Bad input (exit 2), and one valid file whose rules quote the value (exit 1).
    let cases = [
        (
            "key-tokens.yaml",
            format!("account:\n  type: brand\n{s}: 1\ntokens: []\n"),
            2,
        ),
        (
            "token-key-tokens.json",
            format!(
                "{{\"account\": {{\"type\": \"brand\"}}, \"tokens\": [{{\"name\": \"x\", \"{s}\": 1}}]}}"
            ),
            2,
        ),
        (
            "date-tokens.toml",
            format!("[account]\ntype = \"brand\"\n[[tokens]]\nname = \"x\"\ncreated = \"{s}\"\n"),
            2,
        ),
        (
            "version-tokens.yaml",
            format!("account:\n  type: brand\ntokens:\n  - name: x\n    api_version: {s}\n"),
            1,
        ),
        (
            "environment-tokens.yaml",
            format!("account:\n  type: brand\ntokens:\n  - name: x\n    environment: {s}\n"),
            1,
        ),
    ];
    let mut problems = Vec::new();
    for (name, text, code) in cases {
        problems.extend(secret_problems(name, text.as_bytes(), code));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
