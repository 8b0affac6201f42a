//! `--format html`: the page's structure over the shipped examples, escaping, a snapshot, and a
//! real headless Chromium that must render it without a console error or a blocked request.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scopeward::catalogue::{Catalogues, Sensitivity};
use scopeward::model::AccountType;

mod common;
use common::{AS_OF, bare, run};

/// The tokens of `examples/`, in file order.
const EXAMPLE_TOKENS: &[&str] = &[
    "shopify-orders-prod",
    "fraud-reversals-prod",
    "dashboard-prod",
    "legacy-erp",
    "deals-feed-prod",
    "payouts-admin",
    "old-reporting",
    "client-reports",
    "compliance-sync",
];

/// Runs `check` in `dir` with `--format html --output <tempdir>/page.html`; returns the page,
/// where it is, and the exit code.
fn render_in(dir: &Path, args: &[&str], out_dir: &Path) -> (String, PathBuf, i32) {
    let page = out_dir.join("page.html");
    let mut cmd = bare();
    cmd.current_dir(dir)
        .args(["check"])
        .args(args)
        .args(["--as-of", AS_OF, "--format", "html", "--output"])
        .arg(&page);
    let out = run(cmd);
    assert!(
        out.stdout.is_empty(),
        "--output sends the page to the file:\n{}",
        out.stdout
    );
    let html = std::fs::read_to_string(&page).expect("the page is written");
    (html, page, out.code)
}

fn render_examples(out_dir: &Path) -> (String, PathBuf) {
    let (html, page, code) = render_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["examples/"],
        out_dir,
    );
    assert_eq!(code, 1);
    (html, page)
}

/// The rule ids that fire on the examples, from the JSON report.
fn example_rules() -> Vec<String> {
    let mut cmd = bare();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "check",
        "examples/",
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    let json = run(cmd).json();
    let mut rules: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    rules.sort();
    rules.dedup();
    assert!(rules.len() > 5, "{rules:?}");
    rules
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The part of the page from `start` up to the next `end` (both must be present).
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` missing"));
    let rest = &html[from..];
    let to = rest.find(end).unwrap_or_else(|| panic!("`{end}` missing"));
    &rest[..to]
}

#[test]
fn page_is_self_contained_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = render_examples(dir.path());

    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.ends_with("</html>\n"));
    // Nothing is ever fetched: no remote (or local) resource of any kind, and a policy that
    // forbids them anyway.
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';"
    ));
    for banned in [
        "http://",
        "https://",
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        " src=",
        "@import",
        "url(",
        "@font-face",
    ] {
        assert!(!html.contains(banned), "the page contains `{banned}`");
    }
    for (i, _) in html.match_indices("href=\"") {
        assert!(
            html[i + 6..].starts_with('#'),
            "a link leaves the page: {}",
            &html[i..(i + 60).min(html.len())]
        );
    }
    // Every in-page link has a target.
    for (i, _) in html.match_indices("href=\"#") {
        let target = &html[i + 7..];
        let target = &target[..target.find('"').unwrap()];
        assert!(
            html.contains(&format!("id=\"{target}\"")),
            "no element with id `{target}`"
        );
    }

    // Summary.
    assert!(html.contains("as of <time datetime=\"2026-11-22\">2026-11-22</time>"));
    for (n, label) in [
        ("3", "errors"),
        ("16", "warnings"),
        ("0", "info"),
        ("3", "files checked"),
        ("10", "tokens"),
        ("0", "suppressed"),
    ] {
        assert!(
            html.contains(&format!(
                "<span class=\"n\">{n}</span><span class=\"l\">{label}</span>"
            )),
            "summary card {n} {label}"
        );
    }

    // Every token, in the matrix and (for those with findings) in the findings.
    let findings = between(&html, "id=\"findings\"", "</section>");
    for name in EXAMPLE_TOKENS {
        assert!(
            html.contains(&format!("<th scope=\"row\">{name}<"))
                || html.contains(&format!("\">{name}</a><span class=\"meta\">")),
            "token {name} has no matrix row"
        );
    }
    assert!(findings.contains("Acme / legacy-erp"));
    assert!(findings.contains("No findings"));
    assert!(findings.contains("shopify-orders-prod"));
    // Locations are path:line:col.
    assert!(findings.contains("<code class=\"loc\">examples/acme-brand-tokens.yaml:46:13</code>"));

    // Every rule that fired: linked from its findings, and documented on the page.
    for rule in example_rules() {
        assert!(
            findings.contains(&format!(
                "<a class=\"rule\" href=\"#rule-{rule}\"><code>{rule}</code></a>"
            )),
            "{rule} is not linked"
        );
        assert!(
            html.contains(&format!("<h3 id=\"rule-{rule}\"><code>{rule}</code>")),
            "{rule} has no section"
        );
    }

    // The matrix of each account type: every category a column, high ones marked.
    let catalogues = Catalogues::builtin();
    for ty in AccountType::ALL {
        let id = ty.as_str();
        let table = between(
            &html,
            &format!("aria-labelledby=\"matrix-{id}\">\n<table"),
            "</table>",
        );
        assert!(table.contains("<th scope=\"col\" class=\"corner\">Token</th>"));
        let cat = catalogues.get(ty);
        let mut highs = 0;
        for c in &cat.doc.categories {
            let header = format!("<span class=\"v\">{}</span>", esc(&c.id));
            let at = table
                .find(&header)
                .unwrap_or_else(|| panic!("{id}: no column for `{}`", c.id));
            let th = &table[table[..at].rfind("<th ").unwrap()..];
            let th = &th[..th.find("</th>").unwrap()];
            let high = c.sensitivity == Sensitivity::High;
            assert_eq!(
                th.contains("class=\"cat high\""),
                high,
                "{id}/{}: {th}",
                c.id
            );
            // Not by colour alone: a symbol and words for screen readers.
            assert_eq!(th.contains("<span class=\"hi\" aria-hidden=\"true\">⚠</span><span class=\"sr\"> (high sensitivity)</span>"), high, "{th}");
            highs += usize::from(high);
        }
        assert!(highs >= 2, "{id}: the specification names high categories");
        assert_eq!(
            table.matches("<th scope=\"col\" class=\"cat").count(),
            cat.doc.categories.len()
        );
    }

    // Who can write what: legacy-erp (legacy read-write) can read and write every brand
    // category, fraud-reversals-prod writes actions (high) with a justification.
    let row = |name: &str| -> &str {
        let start = html
            .find(&format!("\">{name}</a><span class=\"meta\">"))
            .or_else(|| html.find(&format!("<th scope=\"row\">{name}<")))
            .unwrap();
        let rest = &html[start..];
        &rest[..rest.find("</tr>").unwrap()]
    };
    let erp = row("legacy-erp");
    assert!(erp.contains("legacy read-write"));
    assert_eq!(erp.matches("<td class=\"x-rw hot\">").count(), 5, "{erp}");
    assert!(erp.contains("<span class=\"sr\">read and write, high-sensitivity write</span>"));
    let fraud = row("fraud-reversals-prod");
    assert_eq!(fraud.matches(" hot\"").count(), 1, "{fraud}");
    assert!(fraud.contains("<span aria-hidden=\"true\">RW!</span>"));
    let shopify = row("shopify-orders-prod");
    assert!(!shopify.contains(" hot\""));
    assert_eq!(shopify.matches("<td class=\"x-r\">").count(), 1);
    assert_eq!(shopify.matches("<td class=\"x-w\">").count(), 1);
    assert!(shopify.contains("<span class=\"sr\">none</span>"));
}

#[test]
fn user_text_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("evil-tokens.yaml"),
        concat!(
            "account:\n  type: brand\n  name: \"Acme & <b>Sons</b>\"\n",
            "tokens:\n",
            "  - name: \"<script>alert(1)</script>\"\n",
            "    environment: \"\\\"><img src=x onerror=alert(2)>\"\n",
            "    scopes: [\"<i>nope</i>:read\", actions:write]\n",
        ),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (html, _, code) = render_in(dir.path(), &["."], out.path());
    assert_eq!(code, 1, "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("Acme &amp; &lt;b&gt;Sons&lt;/b&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("&lt;i&gt;nope&lt;/i&gt;:read"));
    for raw in ["<script", "<img", "<b>", "<i>", "onerror=alert(2)>"] {
        assert!(!html.contains(raw), "`{raw}` is not escaped:\n{html}");
    }
}

#[test]
fn snapshot_of_the_examples() {
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = render_examples(dir.path());
    insta::assert_snapshot!("html", html);
}

// ---------------------------------------------------------------------------------------------
// A real browser.

const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium, or `None` (with a message) where it is missing and this is not CI.
fn chromium() -> Option<&'static Path> {
    let path = Path::new(CHROMIUM);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{CHROMIUM} is missing and CI is set: install it (`apt-get install -y chromium`, as .ci/run does)"
    );
    eprintln!(
        "SKIPPED: {CHROMIUM} is not installed (`apt-get install -y chromium`); CI fails instead of skipping"
    );
    None
}

struct Browser {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs headless Chromium on a file with `extra` arguments; kills it after 60 seconds.
fn browse(page: &Path, extra: &[String]) -> Browser {
    let work = tempfile::tempdir().unwrap();
    let stdout_path = work.path().join("stdout.txt");
    let stderr_path = work.path().join("stderr.txt");
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!(
        "--user-data-dir={}",
        work.path().join("profile").display()
    ))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    // Files, not pipes: a chatty browser cannot block on a full pipe.
    .stdout(std::fs::File::create(&stdout_path).unwrap())
    .stderr(std::fs::File::create(&stderr_path).unwrap());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            // Its whole process group: the browser and the helpers it started.
            #[cfg(unix)]
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    let browser = Browser {
        code: status.and_then(|s| s.code()),
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
    };
    assert!(
        status.is_some(),
        "chromium did not finish within 60 s:\n{}",
        browser.stderr
    );
    browser
}

/// What the page said on its console: with `--enable-logging=stderr` Chromium logs every console
/// message (errors, uncaught exceptions, Content-Security-Policy violations) as a line with
/// `:CONSOLE` in it — `[pid:tid:time:INFO:CONSOLE:1] "Uncaught ReferenceError: …", source: …`.
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect()
}

#[test]
fn chromium_renders_the_page_cleanly() {
    if chromium().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, page) = render_examples(dir.path());
    let png = dir.path().join("page.png");
    let shot = browse(
        &page,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1400,1000".to_string(),
        ],
    );
    assert_eq!(shot.code, Some(0), "chromium failed:\n{}", shot.stderr);
    let console = console_lines(&shot.stderr);
    assert!(
        console.is_empty(),
        "the page logged to the console:\n{}",
        console.join("\n")
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 10 * 1024,
        "the screenshot is nearly empty ({} bytes)",
        bytes.len()
    );
    if let Ok(keep) = std::env::var("SCOPEWARD_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }

    // The DOM as the browser built it: the whole page parsed, matrices and findings included.
    let dom = browse(&page, &["--dump-dom".to_string()]);
    assert_eq!(dom.code, Some(0), "chromium failed:\n{}", dom.stderr);
    assert!(console_lines(&dom.stderr).is_empty(), "{}", dom.stderr);
    let html = &dom.stdout;
    assert!(html.contains("<title>scopeward security review"), "{html}");
    assert_eq!(html.matches("<table class=\"matrix\"").count(), 3);
    assert!(html.contains("id=\"findings\""));
    assert!(html.contains("id=\"rule-legacy-token\""));
    assert!(html.trim_end().ends_with("</html>"));
}

/// The check above would see a broken page: a script error, and a request the page's policy
/// blocks, both show up as console lines.
#[test]
fn chromium_console_check_sees_errors() {
    if chromium().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        concat!(
            "<!DOCTYPE html><html><head><title>broken</title>",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'\">",
            "</head><body><img src=\"https://example.invalid/x.png\">",
            "<script>missingFunction();</script></body></html>"
        ),
    )
    .unwrap();
    let out = browse(&page, &["--dump-dom".to_string()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let console = console_lines(&out.stderr).join("\n");
    assert!(
        console.contains("Uncaught ReferenceError: missingFunction is not defined"),
        "{}",
        out.stderr
    );
    assert!(
        console.contains("violates the following Content Security Policy directive"),
        "{}",
        out.stderr
    );
}
