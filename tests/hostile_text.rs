//! Text from inputs is inert in every format (SPEC §8, STYLE "Untrusted text"): hostile
//! strings — control bytes, ANSI/OSC sequences, `\r`, U+FFFE/U+FFFF, bidi controls, Markdown,
//! HTML and XML metacharacters, workflow commands, line breaks, planted fake Auth Tokens —
//! go into every field a report shows (file and directory names, account and token names,
//! environments, scopes, contacts, keys, failures), and each format's output is parsed with a
//! real parser of that format: serde_json (JSON), the OASIS schema (SARIF), roxmltree (JUnit),
//! comrak (Markdown, GFM tables), a workflow-command parser written here from GitHub's
//! documented syntax, the terminal output byte by byte, and the HTML's tags and attributes
//! against the page's own. No planted secret, nor its first 12 characters, appears anywhere.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Value, json};

use scopeward::catalogue::Catalogues;
use scopeward::diag::Failure;
use scopeward::engine::{CheckOptions, check_texts_with};
use scopeward::finding::Severity;
use scopeward::model::Day;
use scopeward::output::{OutputFormat, RenderOptions, render};
use scopeward::policy::Policy;
use scopeward::report::Report;
use scopeward::source::SourceMap;

/// Pieces hostile strings are made of.
const PIECES: &[&str] = &[
    "\u{1b}[2J",
    "\u{1b}]52;c;Zm9vYmFy\u{7}",
    "\u{1b}]0;title\u{1b}\\",
    "\u{9b}31m",
    "\u{7}",
    "\u{0}",
    "\u{7f}",
    "\u{8}",
    "\r",
    "\n",
    "\r\n# ✅ no blocking findings\r\n",
    "\u{fffe}",
    "\u{ffff}",
    "\u{202e}",
    "\u{2066}",
    "\u{200f}",
    "\u{2028}",
    "|",
    "||",
    "`",
    "```",
    "\n```\n",
    "](https://evil.example/x)",
    "[click](https://evil.example)",
    "![t](https://evil.example/p.png)",
    "<img src=x onerror=alert(1)>",
    "<script>",
    "</td></tr></table>",
    "<!--",
    "]]>",
    "&amp;",
    "&#10;",
    "@team",
    "@org/security",
    "# ",
    "## heading",
    "> quote",
    "- [ ] ",
    "*",
    "_",
    "~~",
    "\\",
    "\\|",
    "\"",
    "'",
    ":",
    ",",
    "%",
    "%0A",
    "::add-mask::",
    "::stop-commands::x",
    "::error::fake",
    "##[set-env name=A]B",
    "\n::warning title=x::y",
    "é",
    "𝄞",
    " ",
];

/// A fake Auth Token: 32 characters with upper case, lower case and digits mixed.
fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{23}".prop_map(|tail| format!("Q7wE9rT2y{tail}"))
}

/// A hostile string: pieces and plain words, with the secret planted in it sometimes.
fn hostile() -> impl Strategy<Value = Vec<(usize, String)>> {
    prop::collection::vec((0..PIECES.len() + 2, "[a-z]{1,6}"), 1..8)
}

fn assemble(parts: &[(usize, String)], secret: &str) -> String {
    parts
        .iter()
        .map(|(i, word)| match *i {
            i if i < PIECES.len() => PIECES[i].to_string(),
            i if i == PIECES.len() => word.clone(),
            _ => format!("-{secret}-"),
        })
        .collect()
}

/// A name fit for a path segment (no `/`, not empty): the hostile text as it is otherwise.
fn segment(s: &str) -> String {
    let s = s.replace('/', "_");
    if s.is_empty() { "x".into() } else { s }
}

struct Case {
    report: Report,
    secret: String,
}

fn case(h: &[Vec<(usize, String)>; 8], secret: &str) -> Case {
    let text = |i: usize| assemble(&h[i], secret);
    let dir = format!("dir-{}-{secret}", segment(&text(0)));
    let first = format!("{dir}/{}-tokens.json", segment(&text(1)));
    let second = format!("{}-{secret}/broken-tokens.json", segment(&text(2)));
    let doc = json!({
        "account": {"type": "brand", "name": text(3)},
        "tokens": [
            {
                "name": text(4),
                "environment": text(5),
                "scopes": [text(6), "actions:write"],
                "primary_contact": format!("{}@evil.example", text(7)),
                "api_version": "12",
            },
            {"name": format!("prod-{secret}"), "environment": "production", "scopes": ["*"]},
            {"name": "clean", "description": "d", "environment": "production",
             "primary_contact": "a@b.example", "api_version": "14", "scopes": ["reports:read"]},
        ],
    })
    .to_string();
    // An unknown key (an input error quoting it) in a second file.
    let broken = json!({
        "account": {"type": "brand"},
        "tokens": [{"name": text(4), text(7): 1}],
    })
    .to_string();
    let mut options = CheckOptions::new(Day::parse("2026-11-22").unwrap());
    options.inventory = true;
    let mut report = check_texts_with(
        &[
            (first.as_str(), doc.as_str()),
            (second.as_str(), broken.as_str()),
        ],
        SourceMap::new(),
        &Policy::default(),
        &Catalogues::builtin(),
        &options,
    );
    report
        .failures
        .push(Failure::new(format!("{dir}/{}", text(2)), text(5)));
    Case {
        report,
        secret: secret.to_string(),
    }
}

fn opts(color: bool) -> RenderOptions {
    RenderOptions {
        color,
        width: 100,
        quiet: false,
        fail_on: Severity::Warning,
    }
}

fn assert_no_secret(out: &str, secret: &str, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        !out.contains(&secret[..12]),
        "{what}: the planted secret leaked:\n{out}"
    );
    Ok(())
}

/// Characters no output may carry raw from an input.
fn forbidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{fffe}' | '\u{ffff}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}')
}

fn check_terminal(out: &str, color: bool) -> Result<(), TestCaseError> {
    let bytes = out.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b {
            // Only the theme's colours: `ESC [ digits ; … m`.
            prop_assert!(color, "ESC with colour off at {i}:\n{out}");
            let rest = &bytes[i + 1..];
            prop_assert!(rest.first() == Some(&b'['), "not a CSI at {i}:\n{out}");
            let end = rest
                .iter()
                .position(|b| !(b.is_ascii_digit() || *b == b';' || *b == b'['));
            prop_assert!(
                end.is_some_and(|e| rest[e] == b'm'),
                "not an SGR sequence at {i}:\n{out}"
            );
            i += 1 + end.unwrap() + 1;
            continue;
        }
        i += 1;
    }
    let stripped = out.replace('\u{1b}', "");
    for (n, c) in stripped.chars().enumerate() {
        prop_assert!(
            !forbidden(c),
            "{c:?} at char {n} reaches the terminal:\n{out}"
        );
    }
    Ok(())
}

/// A workflow command: its name, its properties and its message, unescaped.
type Command = (String, Vec<(String, String)>, String);

/// Parses one workflow command line as the runner does (`::name key=value,…::message`), with
/// the runner's unescaping; `None` when the line is not a command.
fn workflow_command(line: &str) -> Option<Command> {
    let rest = line.strip_prefix("::")?;
    let end = rest.find("::")?;
    let (head, message) = (&rest[..end], &rest[end + 2..]);
    let (name, props) = match head.find(' ') {
        Some(i) => (&head[..i], &head[i + 1..]),
        None => (head, ""),
    };
    let unescape_data = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%")
    };
    let unescape_prop = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), unescape_prop(v))
        })
        .collect();
    Some((name.to_string(), props, unescape_data(message)))
}

fn check_github(report: &Report, out: &str) -> Result<(), TestCaseError> {
    prop_assert!(!out.contains('\r'), "a raw CR:\n{out}");
    let lines: Vec<&str> = out.lines().collect();
    prop_assert_eq!(
        lines.len(),
        report.errors.len() + report.failures.len() + report.findings.len(),
        "one command per finding, error and failure:\n{}",
        out
    );
    for line in lines {
        let (name, props, _message) = workflow_command(line)
            .ok_or_else(|| TestCaseError::fail(format!("not a workflow command: {line:?}")))?;
        prop_assert!(
            matches!(name.as_str(), "error" | "warning" | "notice"),
            "command {name:?}: {line}"
        );
        for (k, _) in &props {
            prop_assert!(
                matches!(
                    k.as_str(),
                    "title" | "file" | "line" | "col" | "endLine" | "endColumn"
                ),
                "property {k:?}: {line}"
            );
        }
        for c in line.chars() {
            prop_assert!(!forbidden(c), "{c:?} in {line:?}");
        }
    }
    Ok(())
}

fn check_markdown(report: &Report, out: &str) -> Result<(), TestCaseError> {
    use comrak::nodes::NodeValue;
    prop_assert!(!out.chars().any(forbidden), "a raw control:\n{out}");
    let arena = comrak::Arena::new();
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.tasklist = true;
    let root = comrak::parse_document(&arena, out, &options);
    let groups = scopeward::output::by_token(report)
        .iter()
        .filter(|(_, f)| !f.is_empty())
        .count();
    let input = usize::from(!report.errors.is_empty() || !report.failures.is_empty());
    let (mut headings, mut tables) = (0, 0);
    for node in root.descendants() {
        match &node.data.borrow().value {
            NodeValue::Heading(_) => headings += 1,
            NodeValue::Table(_) => {
                tables += 1;
                let width = node.children().next().map_or(0, |r| r.children().count());
                for row in node.children() {
                    prop_assert_eq!(
                        row.children().count(),
                        width,
                        "a row with other cells:\n{}",
                        out
                    );
                }
            }
            NodeValue::Link(_) | NodeValue::Image(_) => {
                return Err(TestCaseError::fail(format!("a link or image:\n{out}")));
            }
            NodeValue::HtmlBlock(_)
            | NodeValue::CodeBlock(_)
            | NodeValue::BlockQuote
            | NodeValue::List(_)
            | NodeValue::ThematicBreak => {
                return Err(TestCaseError::fail(format!("a block from input:\n{out}")));
            }
            NodeValue::HtmlInline(html) => {
                prop_assert_eq!(html.as_str(), "<br>", "inline HTML from input:\n{}", out);
            }
            NodeValue::Text(t) => {
                let t: &str = t;
                prop_assert!(
                    !t.as_bytes()
                        .windows(2)
                        .any(|w| w[0] == b'@' && w[1].is_ascii_alphanumeric()),
                    "a mention: {t:?}"
                );
            }
            _ => {}
        }
    }
    prop_assert_eq!(headings, 1 + input + groups, "headings:\n{}", out);
    prop_assert_eq!(tables, input + groups, "tables:\n{}", out);
    Ok(())
}

fn check_junit(report: &Report, out: &str) -> Result<(), TestCaseError> {
    let doc = roxmltree::Document::parse(out)
        .map_err(|e| TestCaseError::fail(format!("not well-formed XML: {e}\n{out}")))?;
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let groups = scopeward::output::by_token(report).len();
    let input = usize::from(!report.errors.is_empty() || !report.failures.is_empty());
    prop_assert_eq!(cases.len(), groups + input);
    for n in doc.descendants() {
        prop_assert!(
            n.is_root() || n.is_element() || n.is_text(),
            "a node from input: {:?}",
            n
        );
    }
    Ok(())
}

fn sarif_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
        )
        .unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    })
}

/// The tags and attributes the page itself uses; anything else came from an input.
const HTML_TAGS: &[&str] = &[
    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "a", "header", "h1", "h2", "h3",
    "h4", "p", "nav", "main", "section", "ul", "li", "span", "div", "table", "thead", "tbody",
    "tr", "th", "td", "code", "pre", "details", "summary", "strong", "time", "footer",
];
const HTML_ATTRS: &[&str] = &[
    "lang",
    "charset",
    "name",
    "content",
    "http-equiv",
    "class",
    "href",
    "id",
    "aria-label",
    "aria-labelledby",
    "aria-hidden",
    "scope",
    "title",
    "datetime",
    "tabindex",
    "role",
    "open",
];

fn check_html(out: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        !out.chars().any(|c| forbidden(c) && c != '\t'),
        "a raw control"
    );
    let style_end = out.find("</style>").unwrap_or(0);
    let mut rest = &out[style_end..];
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest
            .find('>')
            .ok_or_else(|| TestCaseError::fail("an open tag"))?;
        let tag = &rest[..end];
        rest = &rest[end..];
        let tag = tag.trim_start_matches('/');
        let mut words = tag.split_whitespace();
        let name = words.next().unwrap_or("");
        prop_assert!(
            HTML_TAGS.contains(&name),
            "tag <{}> from input:\n{}",
            name,
            tag
        );
        // Attribute names are what precedes `=` or stands alone outside quoted values.
        let mut in_quote = false;
        let mut attr = String::new();
        for c in tag[name.len()..].chars() {
            match c {
                '"' => in_quote = !in_quote,
                c if in_quote => {
                    prop_assert!(c != '<' && c != '>', "markup in an attribute: {tag}");
                }
                '=' | ' ' | '/' => {
                    if !attr.is_empty() {
                        prop_assert!(
                            HTML_ATTRS.contains(&attr.as_str()),
                            "attribute {attr:?} from input: {tag}"
                        );
                        attr.clear();
                    }
                }
                c => attr.push(c),
            }
        }
        if !attr.is_empty() {
            prop_assert!(
                HTML_ATTRS.contains(&attr.as_str()),
                "attribute {attr:?}: {tag}"
            );
        }
    }
    Ok(())
}

fn check_all(case: &Case) -> Result<(), TestCaseError> {
    let catalogues = Catalogues::builtin();
    let report = &case.report;
    prop_assert!(!report.findings.is_empty());
    for color in [false, true] {
        let out = render(report, OutputFormat::Human, &opts(color), &catalogues);
        assert_no_secret(&out, &case.secret, "human")?;
        check_terminal(&out, color)?;
    }
    let o = opts(false);
    let json = render(report, OutputFormat::Json, &o, &catalogues);
    assert_no_secret(&json, &case.secret, "json")?;
    let doc: Value = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(
        doc["findings"].as_array().map(Vec::len),
        Some(report.findings.len())
    );

    let sarif = render(report, OutputFormat::Sarif, &o, &catalogues);
    assert_no_secret(&sarif, &case.secret, "sarif")?;
    let log: Value =
        serde_json::from_str(&sarif).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&log)
        .map(|e| e.to_string())
        .collect();
    prop_assert!(errors.is_empty(), "SARIF schema: {:?}", errors);

    let github = render(report, OutputFormat::Github, &o, &catalogues);
    assert_no_secret(&github, &case.secret, "github")?;
    check_github(report, &github)?;

    let markdown = render(report, OutputFormat::Markdown, &o, &catalogues);
    assert_no_secret(&markdown, &case.secret, "markdown")?;
    check_markdown(report, &markdown)?;

    let junit = render(report, OutputFormat::Junit, &o, &catalogues);
    assert_no_secret(&junit, &case.secret, "junit")?;
    check_junit(report, &junit)?;

    let html = render(report, OutputFormat::Html, &o, &catalogues);
    assert_no_secret(&html, &case.secret, "html")?;
    check_html(&html)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn hostile_text_is_inert_in_every_format(
        h in [hostile(), hostile(), hostile(), hostile(), hostile(), hostile(), hostile(), hostile()],
        secret in secret(),
    ) {
        check_all(&case(&h, &secret))?;
    }
}

/// The property's fixed worst case: every piece at once, in every field.
#[test]
fn every_piece_in_every_field() {
    let secret = "Q7wE9rT2yXk3vP9qLmN2aB7cD4eF6gH8";
    let all: Vec<(usize, String)> = (0..PIECES.len() + 2)
        .map(|i| (i, "w".to_string()))
        .collect();
    let h: [Vec<(usize, String)>; 8] = std::array::from_fn(|_| all.clone());
    let case = case(&h, secret);
    check_all(&case).unwrap();
    // The checks above can fail: raw text would be seen.
    let tags: BTreeSet<&str> = HTML_TAGS.iter().copied().collect();
    assert!(!tags.contains("img") && !tags.contains("script"));
    assert!(workflow_command("::add-mask::x").is_some());
    assert!(check_terminal("a\u{1b}]0;t\u{7}", false).is_err());
    assert!(check_html("<img src=x>").is_err());
}

fn human_of(docs: &[(&str, &str)]) -> String {
    let report = check_texts_with(
        docs,
        SourceMap::new(),
        &Policy::default(),
        &Catalogues::builtin(),
        &CheckOptions::new(Day::parse("2026-11-22").unwrap()),
    );
    render(
        &report,
        OutputFormat::Human,
        &opts(false),
        &Catalogues::builtin(),
    )
}

/// A line of megabytes is cut in every snippet (as context above a finding, and as the line
/// of an error at its end): the output stays small, each line at most a few hundred
/// characters.
#[test]
fn long_lines_are_cut_in_snippets() {
    let long = "a".repeat(5_000_000);
    let text = format!(
        "account:\n  type: brand\ntokens:\n  - name: x\n    description: {long}\n    scopes: [nope:read]\n    justification: {long} [\n"
    );
    let out = human_of(&[("long-tokens.yaml", &text)]);
    assert!(
        out.contains("unknown brand scope `nope:read`"),
        "{}",
        &out[..2000.min(out.len())]
    );
    assert!(out.len() < 40_000, "{} bytes of output", out.len());
    for line in out.lines() {
        assert!(
            line.chars().count() < 400,
            "a line of {} characters",
            line.chars().count()
        );
    }
}

/// A file that is not a definition (here: what `/proc/self/environ` looks like) shows only a
/// short, scrubbed excerpt of the line its error is on.
#[test]
fn files_that_are_not_definitions_show_a_short_scrubbed_excerpt() {
    let secret = "Q7wE9rT2yXk3vP9qLmN2aB7cD4eF6gH8";
    let environ = format!(
        "HOME=/root\0PATH=/usr/bin\0IMPACT_AUTH_TOKEN={secret}\0DB_PASSWORD=hunter2hunter2\0{}",
        "X=1\0".repeat(20_000)
    );
    let out = human_of(&[("environ-tokens.yaml", &environ)]);
    assert!(out.contains("error[invalid-input]"), "{out}");
    assert!(!out.contains(&secret[..12]), "{out}");
    assert!(!out.contains("hunter2hunter2"), "{out}");
    assert!(!out.contains('\0'));
    assert!(out.len() < 4_000, "{} bytes:\n{out}", out.len());
}
