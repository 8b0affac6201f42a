//! `suggest --diff` on every layout a `scopes` list takes in YAML, TOML and JSON — flow lists
//! on one line and one entry per line (with and without a trailing comma, with comments),
//! block lists, no `scopes` key at all — and every way a list changes (any entries removed:
//! the first, the middle, the last, the only one, all of them; a scope added or not). Each
//! diff, applied with `patch -p1` and with `git apply`, must leave files that load, and a
//! second `suggest` must find nothing left to change.

use std::fmt::Write as _;
use std::path::Path;

use super::{run, sw, write};

/// The scopes a token may list, the operation that needs each, and the scope added.
const SCOPES: [(&str, &str); 3] = [
    ("actions:read", "GET /Actions"),
    ("ads:read", "GET /Ads"),
    ("campaigns:read", "GET /Campaigns"),
];
const ADDED: (&str, &str) = ("conversions:write", "POST /Conversions");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fmt {
    Yaml,
    Toml,
    Json,
}

/// How a token writes its scopes.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// `[a, b]` (YAML: unquoted).
    Inline,
    /// `[ "a", "b", ]` (YAML and TOML: padding and a trailing comma).
    InlinePadded,
    /// One entry per line, a trailing comma after the last (YAML, TOML) and comments.
    LinesTrailing,
    /// One entry per line, no trailing comma.
    Lines,
    /// `- a` lines with comments (YAML).
    Block,
    /// No `scopes` key: only additions.
    NoKey,
    /// No `scopes` key in an object spread over lines (JSON).
    NoKeyMultiline,
}

fn layouts(f: Fmt) -> Vec<Layout> {
    use Layout::*;
    match f {
        Fmt::Yaml => vec![Inline, InlinePadded, LinesTrailing, Lines, Block, NoKey],
        Fmt::Toml => vec![Inline, InlinePadded, LinesTrailing, Lines, NoKey],
        Fmt::Json => vec![Inline, Lines, NoKey, NoKeyMultiline],
    }
}

/// One token of the matrix: its entries, which of them its requests keep, and whether its
/// requests need one more scope.
struct Case {
    sid: String,
    entries: Vec<&'static str>,
    keep: Vec<bool>,
    add: bool,
}

fn cases(layout: Layout, next_sid: &mut u32) -> Vec<Case> {
    let mut out = Vec::new();
    let sizes: &[usize] = match layout {
        Layout::NoKey | Layout::NoKeyMultiline => &[0],
        _ => &[1, 2, 3],
    };
    for &n in sizes {
        for mask in 0..(1u32 << n) {
            for add in [false, true] {
                if mask == 0 && !add {
                    continue; // no request at all: not in the logs, nothing to edit
                }
                *next_sid += 1;
                out.push(Case {
                    sid: format!("IR{:032}", *next_sid),
                    entries: SCOPES[..n].iter().map(|s| s.0).collect(),
                    keep: (0..n).map(|i| mask & (1 << i) != 0).collect(),
                    add,
                });
            }
        }
    }
    out
}

fn q(f: Fmt, s: &str) -> String {
    match f {
        Fmt::Yaml => s.to_string(),
        _ => format!("\"{s}\""),
    }
}

fn yaml_token(s: &mut String, name: &str, c: &Case, layout: Layout) {
    let _ = writeln!(s, "  - name: {name}\n    sid: {}", c.sid);
    let e = &c.entries;
    match layout {
        Layout::Inline => {
            let _ = writeln!(s, "    scopes: [{}]", e.join(", "));
        }
        Layout::InlinePadded => {
            let items: Vec<String> = e.iter().map(|x| format!("\"{x}\"")).collect();
            let _ = writeln!(s, "    scopes: [ {}, ]", items.join(", "));
        }
        Layout::LinesTrailing | Layout::Lines => {
            s.push_str("    scopes: [\n");
            for (i, x) in e.iter().enumerate() {
                let comma = i + 1 < e.len() || matches!(layout, Layout::LinesTrailing);
                let _ = writeln!(s, "      {x}{}   # why {x}", if comma { "," } else { "" });
            }
            s.push_str("    ]\n");
        }
        Layout::Block => {
            s.push_str("    scopes:\n      # the integration's scopes\n");
            for x in e {
                let _ = writeln!(s, "      - {x}  # for {x}");
            }
        }
        Layout::NoKey | Layout::NoKeyMultiline => {}
    }
    s.push_str("    description: stays\n");
}

fn toml_token(s: &mut String, name: &str, c: &Case, layout: Layout) {
    let _ = writeln!(s, "\n[[tokens]]\nname = \"{name}\"\nsid = \"{}\"", c.sid);
    let items: Vec<String> = c.entries.iter().map(|x| q(Fmt::Toml, x)).collect();
    match layout {
        Layout::Inline => {
            let _ = writeln!(s, "scopes = [{}]", items.join(", "));
        }
        Layout::InlinePadded => {
            let _ = writeln!(s, "scopes = [ {}, ]", items.join(", "));
        }
        Layout::LinesTrailing | Layout::Lines => {
            s.push_str("scopes = [\n  # the integration's scopes\n");
            for (i, x) in items.iter().enumerate() {
                let comma = i + 1 < items.len() || matches!(layout, Layout::LinesTrailing);
                let _ = writeln!(s, "  {x}{}  # why", if comma { "," } else { "" });
            }
            s.push_str("]\n");
        }
        _ => {}
    }
    s.push_str("description = \"stays\"\n");
}

fn json_token(name: &str, c: &Case, layout: Layout) -> String {
    let items: Vec<String> = c.entries.iter().map(|x| q(Fmt::Json, x)).collect();
    match layout {
        Layout::Inline => format!(
            "    {{\"name\": \"{name}\", \"sid\": \"{}\", \"scopes\": [{}], \"description\": \"stays\"}}",
            c.sid,
            items.join(", ")
        ),
        Layout::Lines => format!(
            "    {{\n      \"name\": \"{name}\",\n      \"sid\": \"{}\",\n      \"scopes\": [\n        {}\n      ]\n    }}",
            c.sid,
            items.join(",\n        ")
        ),
        Layout::NoKeyMultiline => format!(
            "    {{\n      \"name\": \"{name}\",\n      \"sid\": \"{}\"\n    }}",
            c.sid
        ),
        _ => format!("    {{\"name\": \"{name}\", \"sid\": \"{}\"}}", c.sid),
    }
}

/// One definition file per format and layout, and the log its tokens' requests make.
fn files() -> (Vec<(String, String)>, String) {
    let mut next_sid = 0;
    let mut out = Vec::new();
    // An early request, so the logs cover more than `min_window_days`.
    let mut log = format!(
        "10.0.0.1 - - [01/Oct/2026:00:00:00 +0000] \"GET /Advertisers/IR{:032}/Ads HTTP/1.1\" 200 1\n",
        0
    );
    for f in [Fmt::Yaml, Fmt::Toml, Fmt::Json] {
        for layout in layouts(f) {
            let cases = cases(layout, &mut next_sid);
            let mut s = String::new();
            let mut json = Vec::new();
            match f {
                Fmt::Yaml => s.push_str("# layouts\naccount:\n  type: brand\ntokens:\n"),
                Fmt::Toml => s.push_str("# layouts\n[account]\ntype = \"brand\"\n"),
                Fmt::Json => {
                    s.push_str("{\n  \"account\": {\"type\": \"brand\"},\n  \"tokens\": [\n")
                }
            }
            for (i, c) in cases.iter().enumerate() {
                let name = format!("t{i}");
                match f {
                    Fmt::Yaml => yaml_token(&mut s, &name, c, layout),
                    Fmt::Toml => toml_token(&mut s, &name, c, layout),
                    Fmt::Json => json.push(json_token(&name, c, layout)),
                }
                let ops = SCOPES
                    .iter()
                    .zip(&c.keep)
                    .filter(|(_, k)| **k)
                    .map(|(s, _)| s.1)
                    .chain(c.add.then_some(ADDED.1));
                for op in ops {
                    let (m, p) = op.split_once(' ').unwrap();
                    let _ = writeln!(
                        log,
                        "10.0.0.1 - - [05/Nov/2026:00:00:00 +0000] \"{m} /Advertisers/{}{p} HTTP/1.1\" 200 1",
                        c.sid
                    );
                }
            }
            if f == Fmt::Json {
                s.push_str(&json.join(",\n"));
                s.push_str("\n  ]\n}\n");
            }
            let ext = match f {
                Fmt::Yaml => "yaml",
                Fmt::Toml => "toml",
                Fmt::Json => "json",
            };
            out.push((format!("tokens/{layout:?}-tokens.{ext}").to_lowercase(), s));
        }
    }
    (out, log)
}

fn load_errors(dir: &Path) -> Vec<String> {
    let out = run(sw(dir, &["check", "tokens", "--format", "json"]));
    let doc = out.json();
    doc["errors"]
        .as_array()
        .map(|e| e.iter().map(|x| x.to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn every_layout_loads_after_the_diff_is_applied_and_is_minimal() {
    let (files, log) = files();
    let diff = {
        let dir = tempfile::tempdir().unwrap();
        for (p, t) in &files {
            write(dir.path(), p, t);
        }
        write(dir.path(), "access.log", &log);
        assert!(
            load_errors(dir.path()).is_empty(),
            "the layouts load before"
        );
        let out = run(sw(
            dir.path(),
            &["suggest", "tokens", "--usage", "access.log", "--diff"],
        ));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!out.stderr.contains("not edited"), "{}", out.stderr);
        out.stdout
    };
    for (p, _) in &files {
        assert!(
            diff.contains(&format!("--- a/{p}")),
            "{p} not edited:\n{diff}"
        );
    }
    for tool in [&["patch", "-p1", "--quiet"][..], &["git", "apply", "-"]] {
        let dir = tempfile::tempdir().unwrap();
        for (p, t) in &files {
            write(dir.path(), p, t);
        }
        write(dir.path(), "access.log", &log);
        let mut child = std::process::Command::new(tool[0])
            .args(&tool[1..])
            .current_dir(dir.path())
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), diff.as_bytes()).unwrap();
        assert!(
            child.wait().unwrap().success(),
            "{tool:?} rejected:\n{diff}"
        );
        let errors = load_errors(dir.path());
        assert!(errors.is_empty(), "{tool:?}: {errors:?}\n{diff}");
        let again = run(sw(
            dir.path(),
            &["suggest", "tokens", "--usage", "access.log", "--diff"],
        ));
        assert_eq!(again.stdout, "", "{tool:?}: a second diff");
        // Comments and other keys stay where they were.
        for (p, before) in &files {
            let after = std::fs::read_to_string(dir.path().join(p)).unwrap();
            assert_eq!(
                after.matches("stays").count(),
                before.matches("stays").count(),
                "{p}"
            );
            assert!(
                after.starts_with(&before[..before.find('\n').unwrap()]),
                "{p}"
            );
        }
        let json = std::fs::read_to_string(dir.path().join("tokens/lines-tokens.json")).unwrap();
        assert!(
            !json.contains(",\n      ]"),
            "a trailing comma left in JSON:\n{json}"
        );
    }
}
