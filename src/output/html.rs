//! `--format html`: one self-contained page for a security review. A summary, a token ×
//! category exposure matrix per account type (who can read or write what, high-sensitivity
//! writes highlighted), the findings grouped by token, what was suppressed, input that could
//! not be checked, and the documentation of every rule that fired.
//!
//! The page loads nothing: inline CSS, no scripts, fonts or images, and a Content Security
//! Policy that forbids any request. Every user-supplied text is HTML-escaped and scrubbed of
//! anything shaped like a secret; no source snippet is ever shown.

use crate::source::plural;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;

use super::json::location;
use super::{Counts, TokenKey, by_token};
use crate::catalogue::{Catalogue, Catalogues, ScopeId, Sensitivity};
use crate::finding::{Finding, RuleMeta, Severity};
use crate::model::{AccountType, TokenState};
use crate::report::{Report, TokenView};
use crate::rules::REGISTRY;
use crate::source::Span;

/// The tool's own text, escaped.
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    crate::inert::html_own(s)
}

/// Text from an input: scrubbed, then escaped ([`crate::inert::html`]).
fn text(s: &str) -> String {
    crate::inert::html(s)
}

/// The page being written: a buffer of at most about 64 KiB, handed to the writer as it fills.
struct Page<'w> {
    buf: String,
    out: &'w mut dyn io::Write,
    error: Option<io::Error>,
}

impl<'w> Page<'w> {
    fn new(out: &'w mut dyn io::Write) -> Self {
        Page {
            buf: String::with_capacity(80 * 1024),
            out,
            error: None,
        }
    }

    /// Writes out what is buffered once there is enough of it.
    fn spill(&mut self) {
        if self.buf.len() >= 64 * 1024 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(self.buf.as_bytes()) {
                self.error = Some(e);
            }
        }
        self.buf.clear();
    }

    fn finish(mut self) -> io::Result<()> {
        self.flush();
        self.error.map_or(Ok(()), Err)
    }
}

impl std::ops::Deref for Page<'_> {
    type Target = String;
    fn deref(&self) -> &String {
        &self.buf
    }
}

impl std::ops::DerefMut for Page<'_> {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.buf
    }
}

/// User text in which `` `quoted` `` parts become `<code>` (after escaping, so safe).
fn prose(s: &str) -> String {
    code_spans(text(s))
}

/// [`prose`] for the tool's own texts (rule documentation), which hold no secrets: the
/// redactor would take `token: upgrade` for one.
fn own_prose(s: &str) -> String {
    code_spans(esc(s).into_owned())
}

/// Turns `` `quoted` `` parts of escaped text into `<code>`.
fn code_spans(escaped: String) -> String {
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len() < 3 {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 && (i < last || parts.len() % 2 == 1) {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            if i % 2 == 1 {
                // An unpaired backtick: keep it as written.
                out.push('`');
            }
            out.push_str(part);
        }
    }
    out
}

/// `path:line:col`, or nothing where a finding has no place in a file.
fn at(report: &Report, span: Option<Span>) -> String {
    span.and_then(|s| location(&report.sources, s))
        .map_or(String::new(), |l| {
            format!(
                "<code class=\"loc\">{}:{}:{}</code>",
                text(&l.path),
                l.line,
                l.column
            )
        })
}

fn severity_badge(s: Severity) -> &'static str {
    match s {
        Severity::Error => {
            "<span class=\"sev sev-error\"><span aria-hidden=\"true\">✖ </span>error</span>"
        }
        Severity::Warning => {
            "<span class=\"sev sev-warning\"><span aria-hidden=\"true\">▲ </span>warning</span>"
        }
        Severity::Info => {
            "<span class=\"sev sev-info\"><span aria-hidden=\"true\">ℹ </span>info</span>"
        }
    }
}

fn rule_anchor(id: &str) -> String {
    format!("rule-{id}")
}

fn rule_link(meta: &RuleMeta) -> String {
    format!(
        "<a class=\"rule\" href=\"#{}\"><code>{}</code></a>",
        rule_anchor(meta.id),
        esc(meta.id)
    )
}

fn key_of(t: &TokenView) -> TokenKey<'_> {
    TokenKey {
        account_type: t.account_type.as_str(),
        account: t.account_name.as_deref(),
        name: &t.name,
    }
}

fn title_case(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

const STYLE: &str = r#"
:root {
  --fg: #1b1f24; --muted: #5b6470; --bg: #f6f7f9; --card: #fff; --line: #d9dde3; --line-soft: #eceef2;
  --accent: #2f5bd3; --error: #b42318; --error-bg: #fdecea; --warning: #8a4b00; --warning-bg: #fff3dc;
  --info: #1f5fa8; --info-bg: #e7f0fb; --ok: #1d6b3a; --ok-bg: #e6f4ea;
  --read-bg: #e3ecfb; --read-fg: #1d4e9e; --write-bg: #fde7c7; --write-fg: #7a3e00;
  --rw-bg: #f9d3a0; --rw-fg: #6b3200; --hot-bg: #c0262d; --hot-fg: #fff;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; }
a { color: var(--accent); }
a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
code { font-family: var(--mono); font-size: 0.88em; background: #eef0f4; padding: 0.05em 0.3em; border-radius: 4px; overflow-wrap: anywhere; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--card); padding: 0.5rem 1rem; z-index: 10; }
.sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
header.top { background: #14213d; color: #fff; padding: 1.4rem 2rem 1.2rem; }
header.top h1 { margin: 0; font-size: 1.55rem; font-weight: 650; letter-spacing: -0.01em; }
header.top h1 .brand { color: #9db7ff; font-weight: 700; }
header.top p { margin: 0.3rem 0 0; color: #c9d3ea; }
header.top nav { margin-top: 0.9rem; display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; font-size: 0.92rem; }
header.top nav a { color: #fff; text-decoration: none; border-bottom: 1px solid rgba(255,255,255,0.35); }
header.top nav a:hover { border-bottom-color: #fff; }
main { max-width: 1500px; margin: 0 auto; padding: 1.5rem 1.5rem 3rem; }
section.block { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1.2rem 1.2rem 1.4rem; margin: 0 0 1.5rem; }
h2 { font-size: 1.2rem; margin: 0 0 0.8rem; letter-spacing: -0.005em; }
h3 { font-size: 1.02rem; margin: 1.4rem 0 0.5rem; }
h3:first-of-type { margin-top: 0.6rem; }
p.lead { margin: 0 0 1rem; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 0.8rem; margin: 0; padding: 0; list-style: none; }
.cards li { border: 1px solid var(--line); border-radius: 8px; padding: 0.7rem 0.9rem; background: #fbfcfd; border-left-width: 5px; }
.cards .n { display: block; font-size: 1.7rem; font-weight: 700; line-height: 1.15; font-variant-numeric: tabular-nums; }
.cards .l { color: var(--muted); font-size: 0.9rem; }
.cards .c-error { border-left-color: var(--error); } .cards .c-error .n { color: var(--error); }
.cards .c-warning { border-left-color: #d08700; } .cards .c-warning .n { color: var(--warning); }
.cards .c-info { border-left-color: var(--info); } .cards .c-info .n { color: var(--info); }
.cards .c-neutral { border-left-color: #9aa3af; }
.verdict { margin: 1rem 0 0; padding: 0.6rem 0.9rem; border-radius: 8px; font-weight: 600; }
.verdict.bad { background: var(--error-bg); color: var(--error); }
.verdict.warn { background: var(--warning-bg); color: var(--warning); }
.verdict.good { background: var(--ok-bg); color: var(--ok); }
table { border-collapse: separate; border-spacing: 0; }
table.list { width: 100%; font-size: 0.93rem; }
table.list th, table.list td { text-align: left; vertical-align: top; padding: 0.5rem 0.7rem; border-bottom: 1px solid var(--line-soft); }
table.list thead th { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); border-bottom: 1px solid var(--line); background: #fafbfc; }
table.list td.sevcol { white-space: nowrap; width: 7.5rem; }
table.list td.rulecol { white-space: nowrap; width: 14rem; }
table.list td.loccol { width: 21rem; }
code.loc { overflow-wrap: break-word; }
.help { display: block; color: var(--muted); margin-top: 0.2rem; }
.why { display: block; color: var(--muted); margin-top: 0.2rem; font-style: italic; }
.help::before { content: "Fix: "; font-weight: 600; color: var(--fg); }
.sev { display: inline-block; font-size: 0.82rem; font-weight: 650; padding: 0.1rem 0.5rem; border-radius: 999px; border: 1px solid; }
.sev-error { color: var(--error); background: var(--error-bg); border-color: #f3b8b2; }
.sev-warning { color: var(--warning); background: var(--warning-bg); border-color: #f0d08f; }
.sev-info { color: var(--info); background: var(--info-bg); border-color: #b7cff0; }
a.rule { text-decoration: none; } a.rule:hover code { text-decoration: underline; }
.token-group { border-top: 1px solid var(--line); padding-top: 0.2rem; }
.token-group:first-of-type { border-top: 0; }
details.token-group > summary, details.rule-group > summary { cursor: pointer; list-style-position: outside; margin-left: 1rem; }
details.token-group > summary h3 { display: inline-flex; margin: 0.6rem 0; }
details.rule-group { border-top: 1px solid var(--line-soft); padding: 0.4rem 0; }
details.rule-group > summary { font-weight: 600; }
details.rule-group > summary .counts { color: var(--muted); font-weight: 400; font-size: 0.9rem; margin-left: 0.4rem; }
.more { color: var(--muted); font-size: 0.9rem; }
.token-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.3rem 0.6rem; }
.token-head .counts { color: var(--muted); font-size: 0.88rem; font-weight: 400; }
.tag { display: inline-block; font-size: 0.74rem; font-weight: 600; padding: 0.02rem 0.42rem; border-radius: 4px; border: 1px solid var(--line); color: var(--muted); background: #f6f7f9; white-space: nowrap; }
.tag.env-production { color: #6d1d8a; border-color: #dcc2e8; background: #f6edfa; }
.tag.disabled { color: #444; background: #e9eaec; }
.tag.legacy { color: var(--error); border-color: #f3b8b2; background: var(--error-bg); }
.tag.high { color: var(--hot-fg); background: var(--hot-bg); border-color: var(--hot-bg); }
.clean { color: var(--muted); font-size: 0.93rem; }
.legend { display: flex; flex-wrap: wrap; gap: 0.4rem 1.1rem; margin: 0 0 0.9rem; padding: 0; list-style: none; font-size: 0.88rem; color: var(--muted); }
.legend .cell { display: inline-block; min-width: 2.1rem; text-align: center; border-radius: 4px; padding: 0 0.3rem; margin-right: 0.3rem; font-weight: 700; font-family: var(--mono); font-size: 0.8rem; }
.matrix-wrap { overflow: auto; max-height: 78vh; width: fit-content; max-width: 100%; border: 1px solid var(--line); border-radius: 8px; margin-bottom: 1.4rem; background: var(--card); }
table.matrix { font-size: 0.8rem; }
h3.matrix-h { margin: 1.2rem 0 0.5rem; }
h3.matrix-h .sub { font-weight: 400; color: var(--muted); margin-left: 0.5rem; font-size: 0.9rem; }
table.matrix th, table.matrix td { border-right: 1px solid var(--line-soft); border-bottom: 1px solid var(--line-soft); }
table.matrix thead th { position: sticky; top: 0; z-index: 2; background: #f3f5f8; border-bottom: 2px solid var(--line); vertical-align: bottom; }
table.matrix thead th.cat { padding: 0.45rem 0.1rem; min-width: 1.85rem; }
table.matrix thead th.cat .v { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-family: var(--mono); font-weight: 600; font-size: 0.78rem; display: inline-block; }
table.matrix thead th.cat.high { background: #fbe4e5; color: #8d1219; }
table.matrix thead th.cat .hi { display: block; margin: 0.3rem auto 0; width: 1.25rem; line-height: 1.25rem; border-radius: 4px; background: var(--hot-bg); color: var(--hot-fg); font-size: 0.72rem; }
table.matrix thead th.corner { left: 0; z-index: 3; text-align: left; padding: 0.5rem 0.8rem; font-size: 0.8rem; color: var(--muted); font-weight: 600; min-width: 10rem; }
table.matrix tbody th { position: sticky; left: 0; z-index: 1; background: var(--card); text-align: left; font-weight: 600; padding: 0.35rem 0.8rem; white-space: nowrap; border-right: 2px solid var(--line); }
table.matrix tbody th .meta { display: block; font-weight: 400; color: var(--muted); font-size: 0.76rem; margin-top: 0.1rem; }
table.matrix tbody th .meta .tag { font-size: 0.68rem; padding: 0 0.3rem; }
table.matrix tbody th a { color: var(--fg); text-decoration: none; border-bottom: 1px dotted var(--muted); }
table.matrix tbody th a:hover { color: var(--accent); border-bottom-color: var(--accent); }
table.matrix tbody tr:hover td, table.matrix tbody tr:hover th { box-shadow: inset 0 0 0 999px rgba(47, 91, 211, 0.06); }
table.matrix td { text-align: center; font-family: var(--mono); font-weight: 700; padding: 0.3rem 0.05rem; }
table.matrix td.x-n, .legend .x-n { color: #b5bcc6; font-weight: 400; }
table.matrix td.x-r, .legend .x-r { background: var(--read-bg); color: var(--read-fg); }
table.matrix td.x-w, .legend .x-w { background: var(--write-bg); color: var(--write-fg); }
table.matrix td.x-rw, .legend .x-rw { background: var(--rw-bg); color: var(--rw-fg); }
table.matrix td.hot, .legend .hot { background: var(--hot-bg); color: var(--hot-fg); }
table.matrix td.sum { font-family: inherit; font-weight: 400; color: var(--muted); white-space: nowrap; padding: 0.3rem 0.5rem; text-align: left; font-size: 0.72rem; line-height: 1.3; font-variant-numeric: tabular-nums; }
table.matrix td.sum span { display: block; }
table.matrix td.sum strong { color: var(--hot-bg); }
thead th.sumh { padding: 0.5rem 0.6rem; text-align: left; font-size: 0.78rem; color: var(--muted); }
.rules-doc { border-top: 1px solid var(--line); padding-top: 0.3rem; margin-top: 0.8rem; }
.rules-doc:first-of-type { border-top: 0; margin-top: 0; }
.rules-doc h3 { display: flex; gap: 0.6rem; align-items: baseline; flex-wrap: wrap; }
.rules-doc .summary { margin: 0 0 0.4rem; }
.rules-doc details { margin: 0.2rem 0 0.4rem; }
.rules-doc summary { cursor: pointer; color: var(--accent); font-size: 0.9rem; }
.rules-doc .doc { padding: 0.2rem 0 0 1rem; border-left: 3px solid var(--line-soft); margin-top: 0.4rem; }
.rules-doc .doc h4 { margin: 0.8rem 0 0.2rem; font-size: 0.92rem; }
.rules-doc .doc p { margin: 0.3rem 0; }
pre { background: #f2f4f7; border: 1px solid var(--line-soft); border-radius: 6px; padding: 0.6rem 0.8rem; overflow: auto; font-family: var(--mono); font-size: 0.82rem; line-height: 1.45; }
pre code { background: none; padding: 0; }
footer { color: var(--muted); font-size: 0.85rem; text-align: center; padding: 0 1rem 2rem; }
@media print {
  body { background: #fff; }
  header.top { background: #fff; color: #000; border-bottom: 2px solid #000; }
  header.top nav { display: none; }
  .matrix-wrap { max-height: none; overflow: visible; }
  section.block { border: 0; padding: 0; }
  td.hot, .sev, .tag.high { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// Writes the page as it is made. `report.inventory` fills the matrix (the app collects it for
/// this format).
pub fn write(report: &Report, catalogues: &Catalogues, out: &mut dyn io::Write) -> io::Result<()> {
    let mut page = Page::new(out);
    let out = &mut page;
    let c = Counts::of(report);
    let mut groups = by_token(report);
    // Tokens worst first (most errors, then warnings, then info); findings about no token last.
    groups.sort_by_key(|(key, list)| (key.is_none(), std::cmp::Reverse(rank(list))));
    // Each token's counts, and the anchor of its findings for links from the matrix (only
    // for the token groups the page shows).
    let mut anchors: Anchors<'_> = HashMap::new();
    let mut shown = 0;
    for (key, list) in &groups {
        if let Some(k) = key
            && !list.is_empty()
        {
            shown += 1;
            let anchor = (shown <= TOKEN_GROUPS).then(|| format!("token-{shown}"));
            anchors.insert(*k, (anchor, counts_of(list)));
        }
    }
    let types: Vec<AccountType> = AccountType::ALL
        .into_iter()
        .filter(|ty| report.inventory.iter().any(|t| t.account_type == *ty))
        .collect();
    let fired = fired_rules(report);

    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Nothing may be fetched: no scripts, fonts, images or styles from anywhere.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n",
    );
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    out.push_str("<meta name=\"generator\" content=\"scopeward\">\n");
    let _ = writeln!(
        out,
        "<title>scopeward security review · {} · as of {}</title>",
        esc(&verdict_short(c)),
        report.as_of
    );
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    out.push_str("<a class=\"skip\" href=\"#main\">Skip to content</a>\n");

    // Header.
    out.push_str("<header class=\"top\">\n");
    out.push_str("<h1><span class=\"brand\">scopeward</span> security review</h1>\n");
    let _ = writeln!(
        out,
        "<p>impact.com API tokens · as of <time datetime=\"{d}\">{d}</time> · scopeward {v}</p>",
        d = report.as_of,
        v = env!("CARGO_PKG_VERSION")
    );
    out.push_str("<nav aria-label=\"Sections\">\n<a href=\"#summary\">Summary</a>\n");
    if !report.errors.is_empty() || !report.failures.is_empty() {
        out.push_str("<a href=\"#input-errors\">Input errors</a>\n");
    }
    for ty in &types {
        let _ = writeln!(
            out,
            "<a href=\"#matrix-{t}\">Exposure: {t}</a>",
            t = ty.as_str()
        );
    }
    if !report.findings.is_empty() {
        out.push_str("<a href=\"#by-rule\">Findings by rule</a>\n");
    }
    out.push_str("<a href=\"#findings\">Findings by token</a>\n");
    if !report.suppressed.is_empty() {
        out.push_str("<a href=\"#suppressed\">Suppressed</a>\n");
    }
    if !fired.is_empty() {
        out.push_str("<a href=\"#rules\">Rules</a>\n");
    }
    out.push_str("</nav>\n</header>\n<main id=\"main\">\n");

    summary(out, report, c);
    input_errors(out, report);
    out.spill();
    matrices(out, report, catalogues, &types, &anchors);
    by_rule(out, report, &fired);
    findings(out, report, &groups, &anchors);
    suppressed(out, report);
    rules(out, &fired);

    out.push_str("</main>\n<footer>Generated by scopeward ");
    out.push_str(env!("CARGO_PKG_VERSION"));
    out.push_str(
        ". Auth Tokens and source snippets are never included; messages quote definitions with secrets redacted.</footer>\n</body>\n</html>\n",
    );
    page.finish()
}

/// Each token's anchor (when its findings are on the page) and counts.
type Anchors<'a> = HashMap<TokenKey<'a>, (Option<String>, Counts)>;

/// Rows of the exposure matrix per account type: beyond it, the tokens that matter most are
/// shown and the rest summarised.
const MATRIX_ROWS: usize = 500;
/// Token groups of findings shown; the rest are counted.
const TOKEN_GROUPS: usize = 500;
/// Findings listed under one rule; the rest are counted.
const RULE_ROWS: usize = 200;
/// Clean tokens named, and suppressed findings listed.
const CLEAN_NAMES: usize = 200;
const SUPPRESSED_ROWS: usize = 500;
/// Up to this many findings, every group is open when the page loads.
const OPEN_ALL: usize = 200;

fn counts_of(list: &[&Finding]) -> Counts {
    let mut counts = Counts::default();
    for f in list {
        match f.severity {
            Severity::Error => counts.error += 1,
            Severity::Warning => counts.warning += 1,
            Severity::Info => counts.info += 1,
        }
    }
    counts
}

/// How bad a group of findings is, for "worst first".
fn rank(list: &[&Finding]) -> (usize, usize, usize) {
    let c = counts_of(list);
    (c.error, c.warning, c.info)
}

/// `open` when the page is small enough to show everything at once.
fn open(report: &Report) -> &'static str {
    if report.findings.len() <= OPEN_ALL {
        " open"
    } else {
        ""
    }
}

fn verdict_short(c: Counts) -> String {
    format!(
        "{}, {}, {} info",
        plural(c.error, "error", "errors"),
        plural(c.warning, "warning", "warnings"),
        c.info
    )
}

fn summary(out: &mut Page<'_>, report: &Report, c: Counts) {
    out.push_str(
        "<section class=\"block\" id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n<ul class=\"cards\">\n",
    );
    let card = |out: &mut Page<'_>, class: &str, n: usize, label: &str| {
        let _ = writeln!(
            out,
            "<li class=\"{class}\"><span class=\"n\">{n}</span><span class=\"l\">{label}</span></li>"
        );
    };
    card(
        out,
        "c-error",
        c.error,
        if c.error == 1 { "error" } else { "errors" },
    );
    card(
        out,
        "c-warning",
        c.warning,
        if c.warning == 1 {
            "warning"
        } else {
            "warnings"
        },
    );
    card(out, "c-info", c.info, "info");
    card(
        out,
        "c-neutral",
        report.files,
        if report.files == 1 {
            "file checked"
        } else {
            "files checked"
        },
    );
    card(
        out,
        "c-neutral",
        report.tokens,
        if report.tokens == 1 {
            "token"
        } else {
            "tokens"
        },
    );
    card(out, "c-neutral", report.suppressed.len(), "suppressed");
    out.push_str("</ul>\n");
    let problems = report.errors.len() + report.failures.len();
    let (class, symbol, msg) = if problems > 0 {
        (
            "bad",
            "✖",
            format!(
                "The run could not complete: {} could not be checked (see <a href=\"#input-errors\">input errors</a>).",
                plural(problems, "input", "inputs")
            ),
        )
    } else if c.error > 0 {
        (
            "bad",
            "✖",
            format!(
                "{} to fix before these tokens pass review.",
                plural(c.error, "error", "errors")
            ),
        )
    } else if c.warning > 0 {
        (
            "warn",
            "▲",
            format!(
                "No errors; {} to review.",
                plural(c.warning, "warning", "warnings")
            ),
        )
    } else {
        ("good", "✔", "No errors or warnings.".to_string())
    };
    let _ = writeln!(
        out,
        "<p class=\"verdict {class}\"><span aria-hidden=\"true\">{symbol} </span>{msg}</p>"
    );
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "<p class=\"lead\" style=\"margin-top:0.8rem\">Baseline: {} accepted; {} no longer found (fixed).</p>",
            plural(b.matched, "finding", "findings"),
            plural(b.fixed, "entry", "entries")
        );
    }
    out.push_str("</section>\n");
}

fn input_errors(out: &mut Page<'_>, report: &Report) {
    if report.errors.is_empty() && report.failures.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"block\" id=\"input-errors\" aria-labelledby=\"input-errors-h\">\n<h2 id=\"input-errors-h\">Input that could not be checked</h2>\n",
    );
    out.push_str("<table class=\"list\">\n<thead><tr><th scope=\"col\">Where</th><th scope=\"col\">Problem</th></tr></thead>\n<tbody>\n");
    for f in &report.failures {
        let _ = writeln!(
            out,
            "<tr><td class=\"loccol\"><code class=\"loc\">{}</code></td><td>{}</td></tr>",
            text(&f.path),
            prose(&f.message)
        );
    }
    for e in &report.errors {
        let e = e.clone().scrubbed();
        let mut problem = prose(&e.message);
        if !e.path.is_empty() {
            let _ = write!(problem, " <span class=\"tag\">at {}</span>", text(&e.path));
        }
        if let Some(h) = &e.help {
            let _ = write!(problem, "<span class=\"help\">{}</span>", prose(h));
        }
        let _ = writeln!(
            out,
            "<tr><td class=\"loccol\">{}</td><td>{problem}</td></tr>",
            at(report, Some(e.span))
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// A category's read and write scope ids (either may not exist).
fn category_scopes(cat: &Catalogue) -> Vec<(Option<ScopeId>, Option<ScopeId>)> {
    cat.doc
        .categories
        .iter()
        .map(|c| {
            (
                cat.scope_id(&format!("{}:read", c.id)),
                cat.scope_id(&format!("{}:write", c.id)),
            )
        })
        .collect()
}

fn matrices(
    out: &mut Page<'_>,
    report: &Report,
    catalogues: &Catalogues,
    types: &[AccountType],
    anchors: &Anchors<'_>,
) {
    out.push_str(
        "<section class=\"block\" id=\"exposure\" aria-labelledby=\"exposure-h\">\n<h2 id=\"exposure-h\">Exposure matrix</h2>\n",
    );
    out.push_str("<p class=\"lead\">What each token can do in each API category of its account type, from its effective scopes (patterns and legacy access expanded).</p>\n");
    out.push_str(concat!(
        "<ul class=\"legend\" aria-label=\"Legend\">",
        "<li><span class=\"cell x-r\">R</span>read</li>",
        "<li><span class=\"cell x-w\">W</span>write</li>",
        "<li><span class=\"cell x-rw\">RW</span>read + write</li>",
        "<li><span class=\"cell x-n\">·</span>no access</li>",
        "<li><span class=\"tag high\">⚠ high</span> high-sensitivity category</li>",
        "<li><span class=\"cell hot\">W!</span>can write a high-sensitivity category</li>",
        "</ul>\n"
    ));
    if types.is_empty() {
        out.push_str("<p class=\"clean\">No tokens were loaded.</p>\n");
    }
    for ty in types {
        let cat = catalogues.get(*ty);
        let ids = category_scopes(cat);
        let all: Vec<&TokenView> = report
            .inventory
            .iter()
            .filter(|t| t.account_type == *ty)
            .collect();
        let (tokens, rest) = matrix_rows(&all, cat, &ids, anchors);
        let mut accounts: Vec<Option<&str>> =
            all.iter().map(|t| t.account_name.as_deref()).collect();
        accounts.sort();
        accounts.dedup();
        matrix_head(out, *ty, cat, all.len(), &accounts);
        for t in &tokens {
            out.push_str("<tr><th scope=\"row\">");
            let name = text(&t.name);
            match anchors.get(&key_of(t)) {
                Some((Some(anchor), _)) => {
                    let _ = write!(out, "<a href=\"#{anchor}\">{name}</a>");
                }
                _ => out.push_str(&name),
            }
            out.push_str("<span class=\"meta\">");
            let counts = anchors.get(&key_of(t)).map(|(_, n)| *n);
            out.push_str(&token_meta(t, accounts.len() > 1, counts).join(" "));
            out.push_str("</span></th>");
            matrix_cells(out, t, cat, &ids);
            out.spill();
        }
        out.push_str("</tbody>\n</table>\n</div>\n");
        if let Some(rest) = rest {
            let _ = writeln!(out, "<p class=\"lead more\">{rest}</p>");
        }
    }
    out.push_str("</section>\n");
}

/// What one token can do: reads, writes, writes on high-sensitivity categories.
fn exposure(
    t: &TokenView,
    cat: &Catalogue,
    ids: &[(Option<ScopeId>, Option<ScopeId>)],
) -> (usize, usize, usize) {
    let (mut reads, mut writes, mut hot) = (0, 0, 0);
    for (c, (r, w)) in cat.doc.categories.iter().zip(ids) {
        let w = w.is_some_and(|id| t.effective.contains(id));
        reads += usize::from(r.is_some_and(|id| t.effective.contains(id)));
        writes += usize::from(w);
        hot += usize::from(w && c.sensitivity == Sensitivity::High);
    }
    (reads, writes, hot)
}

/// How much a token matters to a reviewer, most first: high-sensitivity writes, errors,
/// writes, other findings, reads.
type Matters = (usize, usize, usize, usize, usize);

/// The rows of one matrix: every token, in file order, when there are few; else the tokens
/// that matter (high-sensitivity writes, findings, writes), worst first, up to
/// [`MATRIX_ROWS`], and a sentence about the rest.
fn matrix_rows<'t>(
    all: &[&'t TokenView],
    cat: &Catalogue,
    ids: &[(Option<ScopeId>, Option<ScopeId>)],
    anchors: &Anchors<'_>,
) -> (Vec<&'t TokenView>, Option<String>) {
    if all.len() <= MATRIX_ROWS {
        return (all.to_vec(), None);
    }
    let mut ranked: Vec<(&TokenView, Matters)> = all
        .iter()
        .map(|t| {
            let (reads, writes, hot) = exposure(t, cat, ids);
            let c = anchors
                .get(&key_of(t))
                .map_or(Counts::default(), |(_, c)| *c);
            (*t, (hot, c.error, writes, c.warning + c.info, reads))
        })
        .collect();
    ranked.sort_by_key(|(_, r)| std::cmp::Reverse(*r));
    let rest = &ranked[MATRIX_ROWS.min(ranked.len())..];
    let with = |f: &dyn Fn(&Matters) -> bool| rest.iter().filter(|(_, r)| f(r)).count();
    let sentence = format!(
        "{} more {} not shown (the {} above matter most: high-sensitivity writes first, then errors, then writes): {} with a high-sensitivity write, {} with write access, {} with findings, {} that only read and have none. <code>--format junit</code> lists every token.",
        rest.len(),
        if rest.len() == 1 { "token" } else { "tokens" },
        MATRIX_ROWS,
        with(&|r| r.0 > 0),
        with(&|r| r.2 > 0),
        with(&|r| r.1 + r.3 > 0),
        with(&|r| r.1 + r.2 + r.3 == 0),
    );
    let shown = ranked[..MATRIX_ROWS].iter().map(|(t, _)| *t).collect();
    (shown, Some(sentence))
}

/// The heading of one account type's matrix and its table head (one column per category).
fn matrix_head(
    out: &mut Page<'_>,
    ty: AccountType,
    cat: &Catalogue,
    tokens: usize,
    accounts: &[Option<&str>],
) {
    let account_label = match accounts {
        [Some(a)] => format!(" · {}", text(a)),
        _ => String::new(),
    };
    let high = cat
        .doc
        .categories
        .iter()
        .filter(|c| c.sensitivity == Sensitivity::High)
        .count();
    let _ = writeln!(
        out,
        "<h3 class=\"matrix-h\" id=\"matrix-{t}\">{}{account_label}<span class=\"sub\">{} × {} ({} high sensitivity)</span></h3>",
        title_case(ty.as_str()),
        plural(tokens, "token", "tokens"),
        plural(cat.doc.categories.len(), "category", "categories"),
        high,
        t = ty.as_str()
    );
    let _ = writeln!(
        out,
        "<div class=\"matrix-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"matrix-{t}\">\n<table class=\"matrix\" aria-labelledby=\"matrix-{t}\">",
        t = ty.as_str()
    );
    out.push_str("<thead><tr><th scope=\"col\" class=\"corner\">Token</th>");
    for c in &cat.doc.categories {
        let is_high = c.sensitivity == Sensitivity::High;
        let _ = write!(
            out,
            "<th scope=\"col\" class=\"cat{}\" title=\"{} ({} sensitivity)\"><span class=\"v\">{}</span>{}</th>",
            if is_high { " high" } else { "" },
            esc(&c.name),
            c.sensitivity.as_str(),
            esc(&c.id),
            if is_high {
                "<span class=\"hi\" aria-hidden=\"true\">⚠</span><span class=\"sr\"> (high sensitivity)</span>"
            } else {
                ""
            }
        );
    }
    out.push_str("<th scope=\"col\" class=\"sumh\">Access</th></tr></thead>\n<tbody>\n");
}

/// The tags beside a token's name: account (when the matrix has several), environments,
/// state, legacy access, finding counts.
fn token_meta(t: &TokenView, show_account: bool, counts: Option<Counts>) -> Vec<String> {
    let mut meta: Vec<String> = Vec::new();
    if show_account {
        meta.push(
            t.account_name
                .as_deref()
                .map_or_else(|| "(unnamed account)".to_string(), text),
        );
    }
    if t.environments.is_empty() {
        meta.push("<span class=\"tag\">no environment</span>".to_string());
    }
    for e in &t.environments {
        meta.push(format!(
            "<span class=\"tag{}\">{}</span>",
            if e == "production" {
                " env-production"
            } else {
                ""
            },
            text(e)
        ));
    }
    if t.state == TokenState::Disabled {
        meta.push("<span class=\"tag disabled\">disabled</span>".to_string());
    }
    if let Some(l) = t.legacy {
        meta.push(format!(
            "<span class=\"tag legacy\">legacy {}</span>",
            l.as_str()
        ));
    }
    if let Some(n) = counts {
        let mut parts = Vec::new();
        if n.error > 0 {
            parts.push(format!("✖ {}", n.error));
        }
        if n.warning > 0 {
            parts.push(format!("▲ {}", n.warning));
        }
        if n.info > 0 {
            parts.push(format!("ℹ {}", n.info));
        }
        meta.push(format!(
            "<span title=\"findings\" aria-label=\"{}\">{}</span>",
            esc(&finding_counts_text(n)),
            parts.join(" ")
        ));
    }
    meta
}

/// One cell per category (what the token can do there), then the row's totals.
fn matrix_cells(
    out: &mut Page<'_>,
    t: &TokenView,
    cat: &Catalogue,
    ids: &[(Option<ScopeId>, Option<ScopeId>)],
) {
    let (mut reads, mut writes, mut hot) = (0, 0, 0);
    for (c, (r, w)) in cat.doc.categories.iter().zip(ids) {
        let r = r.is_some_and(|id| t.effective.contains(id));
        let w = w.is_some_and(|id| t.effective.contains(id));
        let is_hot = w && c.sensitivity == Sensitivity::High;
        reads += usize::from(r);
        writes += usize::from(w);
        hot += usize::from(is_hot);
        let (class, shown, said) = match (r, w) {
            (false, false) => ("x-n", "·", "none"),
            (true, false) => ("x-r", "R", "read"),
            (false, true) => ("x-w", "W", "write"),
            (true, true) => ("x-rw", "RW", "read and write"),
        };
        if is_hot {
            let _ = write!(
                out,
                "<td class=\"{class} hot\"><span aria-hidden=\"true\">{shown}!</span><span class=\"sr\">{said}, high-sensitivity write</span></td>"
            );
        } else {
            let _ = write!(
                out,
                "<td class=\"{class}\"><span aria-hidden=\"true\">{shown}</span><span class=\"sr\">{said}</span></td>"
            );
        }
    }
    let _ = writeln!(
        out,
        "<td class=\"sum\"><span>{reads} read</span><span>{writes} write</span>{}</td></tr>",
        if hot > 0 {
            format!(
                "<span title=\"writes on high-sensitivity categories\"><strong>{hot} high</strong><span class=\"sr\"> sensitivity write</span></span>"
            )
        } else {
            String::new()
        }
    );
}

fn finding_counts_text(n: Counts) -> String {
    format!(
        "findings: {}, {}, {} info",
        plural(n.error, "error", "errors"),
        plural(n.warning, "warning", "warnings"),
        n.info
    )
}

/// Findings grouped by rule, worst first, each group collapsed (open on a small page), at most
/// [`RULE_ROWS`] listed per rule.
fn by_rule(out: &mut Page<'_>, report: &Report, fired: &[&'static RuleMeta]) {
    if report.findings.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"block\" id=\"by-rule\" aria-labelledby=\"by-rule-h\">\n<h2 id=\"by-rule-h\">Findings by rule</h2>\n",
    );
    let mut rules: Vec<(&'static RuleMeta, Vec<&Finding>)> =
        fired.iter().map(|m| (*m, Vec::new())).collect();
    for f in &report.findings {
        if let Some((_, list)) = rules.iter_mut().find(|(m, _)| m.id == f.rule.id) {
            list.push(f);
        }
    }
    rules.retain(|(_, list)| !list.is_empty());
    rules.sort_by_key(|(_, list)| std::cmp::Reverse(rank(list)));
    for (meta, mut list) in rules {
        list.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let worst = list[0].severity;
        let mut tokens: Vec<(Option<&str>, Option<&str>)> = list
            .iter()
            .map(|f| (f.account_name.as_deref(), f.token.as_deref()))
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        let _ = writeln!(
            out,
            "<details class=\"rule-group\"{}>\n<summary>{} {} <span class=\"counts\">{} on {}</span></summary>",
            open(report),
            severity_badge(worst),
            rule_link(meta),
            plural(list.len(), "finding", "findings"),
            plural(tokens.len(), "token", "tokens")
        );
        out.push_str("<table class=\"list\">\n<thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Token</th><th scope=\"col\">Finding</th><th scope=\"col\">Location</th></tr></thead>\n<tbody>\n");
        for f in list.iter().take(RULE_ROWS) {
            let who = f.token.as_deref().map_or(String::new(), text);
            let mut msg = prose(&f.message);
            if let Some(h) = &f.help {
                let _ = write!(msg, "<span class=\"help\">{}</span>", prose(h));
            }
            let _ = writeln!(
                out,
                "<tr><td class=\"sevcol\">{}</td><td class=\"rulecol\">{who}</td><td>{msg}</td><td class=\"loccol\">{}</td></tr>",
                severity_badge(f.severity),
                at(report, f.location)
            );
            out.spill();
        }
        out.push_str("</tbody>\n</table>\n");
        more(out, list.len(), RULE_ROWS, "findings of this rule");
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

/// "… and N more", where a list was cut.
fn more(out: &mut Page<'_>, total: usize, shown: usize, what: &str) {
    if total > shown {
        let _ = writeln!(
            out,
            "<p class=\"more\">… and {} more {what} (<code>--format json</code> and <code>--format sarif</code> list every finding).</p>",
            total - shown
        );
    }
}

/// Findings grouped by token, worst token first, each group collapsed (open on a small page);
/// at most [`TOKEN_GROUPS`] tokens.
fn findings(
    out: &mut Page<'_>,
    report: &Report,
    groups: &[(Option<TokenKey<'_>>, Vec<&Finding>)],
    anchors: &Anchors<'_>,
) {
    out.push_str(
        "<section class=\"block\" id=\"findings\" aria-labelledby=\"findings-h\">\n<h2 id=\"findings-h\">Findings by token</h2>\n",
    );
    if report.findings.is_empty() {
        out.push_str(
            "<p class=\"verdict good\"><span aria-hidden=\"true\">✔ </span>No findings.</p>\n",
        );
    }
    // One name may be several tokens (one per file or environment): show them all.
    let mut views: HashMap<TokenKey<'_>, Vec<&TokenView>> = HashMap::new();
    for t in &report.inventory {
        views.entry(key_of(t)).or_default().push(t);
    }
    let mut clean: Vec<String> = Vec::new();
    let (mut clean_count, mut hidden, mut hidden_findings) = (0, 0, 0);
    for (i, (key, list)) in groups.iter().enumerate() {
        if list.is_empty() {
            if let Some(k) = key {
                clean_count += 1;
                if clean.len() < CLEAN_NAMES {
                    clean.push(text(&k.label()));
                }
            }
            continue;
        }
        let anchor = match key {
            Some(k) => match anchors.get(k) {
                Some((Some(a), _)) => a.clone(),
                _ => {
                    hidden += 1;
                    hidden_findings += list.len();
                    continue;
                }
            },
            None => format!("token-{}", i + 1),
        };
        token_group(out, report, key.as_ref(), list, &anchor, &views);
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "<p class=\"more\">… and {} more with {} (<code>--format json</code> and <code>--format sarif</code> list every finding).</p>",
            plural(hidden, "token", "tokens"),
            plural(hidden_findings, "finding", "findings")
        );
    }
    if !clean.is_empty() {
        let rest = if clean_count > clean.len() {
            format!(" and {} more", clean_count - clean.len())
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<h3>No findings</h3>\n<p class=\"clean\"><span aria-hidden=\"true\">✔ </span>{}{rest}</p>",
            clean.join(", ")
        );
    }
    out.push_str("</section>\n");
}

/// One token's findings, collapsed under a heading with its tags and count.
fn token_group(
    out: &mut Page<'_>,
    report: &Report,
    key: Option<&TokenKey<'_>>,
    list: &[&Finding],
    anchor: &str,
    views: &HashMap<TokenKey<'_>, Vec<&TokenView>>,
) {
    let _ = write!(
        out,
        "<details class=\"token-group\"{}>\n<summary><h3 id=\"{anchor}\" class=\"token-head\">",
        open(report)
    );
    match key {
        Some(k) => {
            let _ = write!(
                out,
                "<span><span class=\"tag\">{}</span> {}{}</span>",
                k.account_type,
                k.account
                    .map_or(String::new(), |a| format!("{} / ", text(a))),
                text(k.name)
            );
            let vs = views.get(k).map_or(&[][..], Vec::as_slice);
            let mut envs: Vec<&str> = vs
                .iter()
                .flat_map(|v| v.environments.iter().map(String::as_str))
                .collect();
            envs.sort_unstable();
            envs.dedup();
            for e in envs {
                let _ = write!(out, " <span class=\"tag\">{}</span>", text(e));
            }
            if !vs.is_empty() && vs.iter().all(|v| v.state == TokenState::Disabled) {
                out.push_str(" <span class=\"tag disabled\">disabled</span>");
            }
        }
        None => out.push_str("<span>Not about one token</span>"),
    }
    let _ = writeln!(
        out,
        " <span class=\"counts\">{}</span></h3></summary>",
        plural(list.len(), "finding", "findings")
    );
    out.push_str("<table class=\"list\">\n<thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Rule</th><th scope=\"col\">Finding</th><th scope=\"col\">Location</th></tr></thead>\n<tbody>\n");
    for f in list {
        finding_row(out, report, f, None);
        out.spill();
    }
    out.push_str("</tbody>\n</table>\n</details>\n");
}

fn finding_row(out: &mut Page<'_>, report: &Report, f: &Finding, extra: Option<String>) {
    let mut msg = prose(&f.message);
    if let Some(h) = &f.help {
        let _ = write!(msg, "<span class=\"help\">{}</span>", prose(h));
    }
    if let Some(extra) = extra {
        msg.push_str(&extra);
    }
    let _ = writeln!(
        out,
        "<tr><td class=\"sevcol\">{}</td><td class=\"rulecol\">{}</td><td>{msg}</td><td class=\"loccol\">{}</td></tr>",
        severity_badge(f.severity),
        rule_link(f.rule),
        at(report, f.location)
    );
}

fn suppressed(out: &mut Page<'_>, report: &Report) {
    if report.suppressed.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"block\" id=\"suppressed\" aria-labelledby=\"suppressed-h\">\n<h2 id=\"suppressed-h\">Suppressed findings</h2>\n",
    );
    out.push_str("<p class=\"lead\">Silenced by an ignore or the baseline; they do not count towards the exit code.</p>\n");
    out.push_str("<table class=\"list\">\n<thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Rule</th><th scope=\"col\">Finding</th><th scope=\"col\">Location</th></tr></thead>\n<tbody>\n");
    for s in report.suppressed.iter().take(SUPPRESSED_ROWS) {
        let f = &s.finding;
        let who = f.token.as_deref().map_or(String::new(), |t| {
            format!("<span class=\"tag\">{}</span> ", text(t))
        });
        let extra = format!(
            "<span class=\"why\">Suppressed ({}): {}</span>",
            s.by.kind.as_str(),
            prose(&s.by.reason)
        );
        let mut msg = who;
        msg.push_str(&prose(&f.message));
        let _ = writeln!(
            out,
            "<tr><td class=\"sevcol\">{}</td><td class=\"rulecol\">{}</td><td>{msg}{extra}</td><td class=\"loccol\">{}</td></tr>",
            severity_badge(f.severity),
            rule_link(f.rule),
            at(report, f.location)
        );
        out.spill();
    }
    out.push_str("</tbody>\n</table>\n");
    more(
        out,
        report.suppressed.len(),
        SUPPRESSED_ROWS,
        "suppressed findings",
    );
    out.push_str("</section>\n");
}

/// Rules with findings or suppressed findings, in registry order.
fn fired_rules(report: &Report) -> Vec<&'static RuleMeta> {
    let mut ids: std::collections::HashSet<&str> =
        report.findings.iter().map(|f| f.rule.id).collect();
    ids.extend(report.suppressed.iter().map(|s| s.finding.rule.id));
    let mut metas: Vec<&'static RuleMeta> = REGISTRY
        .iter()
        .map(|r| r.meta())
        .filter(|m| ids.contains(m.id))
        .collect();
    // Any rule not in the registry (none today) still gets a section for its links.
    for f in report
        .findings
        .iter()
        .chain(report.suppressed.iter().map(|s| &s.finding))
    {
        if !metas.iter().any(|m| m.id == f.rule.id) {
            metas.push(f.rule);
        }
    }
    metas
}

fn rules(out: &mut Page<'_>, fired: &[&'static RuleMeta]) {
    if fired.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"block\" id=\"rules\" aria-labelledby=\"rules-h\">\n<h2 id=\"rules-h\">Rules that fired</h2>\n",
    );
    for m in fired {
        let _ = writeln!(
            out,
            "<div class=\"rules-doc\">\n<h3 id=\"{}\"><code>{}</code> <span class=\"tag\">default: {}</span></h3>",
            rule_anchor(m.id),
            esc(m.id),
            m.default_severity.as_str()
        );
        let _ = writeln!(
            out,
            "<p class=\"summary\">Fires when {}.</p>",
            own_prose(m.summary)
        );
        let _ = writeln!(
            out,
            "<details>\n<summary>Documentation</summary>\n<div class=\"doc\">\n{}</div>\n</details>\n</div>",
            doc_html(m.doc)
        );
    }
    out.push_str("</section>\n");
}

/// The small Markdown of rule documentation: `## ` headings, fenced code, paragraphs, `code`.
fn doc_html(doc: &str) -> String {
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let mut in_code = false;
    let flush = |out: &mut String, para: &mut Vec<&str>| {
        if !para.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", own_prose(&para.join(" ")));
            para.clear();
        }
    };
    for raw in doc.lines() {
        let line = raw.strip_prefix(' ').unwrap_or(raw);
        if in_code {
            if line.trim_start().starts_with("```") {
                out.push_str("</code></pre>\n");
                in_code = false;
            } else {
                out.push_str(&esc(line));
                out.push('\n');
            }
            continue;
        }
        if line.trim_start().starts_with("```") {
            flush(&mut out, &mut para);
            out.push_str("<pre><code>");
            in_code = true;
        } else if let Some(h) = line.strip_prefix("## ") {
            flush(&mut out, &mut para);
            let _ = writeln!(out, "<h4>{}</h4>", own_prose(h));
        } else if line.trim().is_empty() {
            flush(&mut out, &mut para);
        } else {
            para.push(line.trim());
        }
    }
    if in_code {
        out.push_str("</code></pre>\n");
    }
    flush(&mut out, &mut para);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(esc("a\u{0}b"), "a\u{FFFD}b");
    }

    #[test]
    fn backticks_become_code_after_escaping() {
        assert_eq!(
            prose("token `<b>` holds `*`"),
            "token <code>&lt;b&gt;</code> holds <code>*</code>"
        );
        assert_eq!(prose("an odd ` tick"), "an odd ` tick");
        assert_eq!(prose("`a` and `b"), "<code>a</code> and `b");
    }

    #[test]
    fn rule_docs_render_headings_code_and_paragraphs() {
        let html =
            doc_html(" ## What it does\n Flags `x`\n across lines.\n\n ```yaml\n a: <b>\n ```\n");
        assert_eq!(
            html,
            "<h4>What it does</h4>\n<p>Flags <code>x</code> across lines.</p>\n<pre><code>a: &lt;b&gt;\n</code></pre>\n"
        );
    }
}
