//! `--format sarif`: SARIF 2.1.0 for code scanning (GitHub and other SARIF consumers).
//!
//! One run: the driver lists every registered rule with its documentation; each finding is a
//! result (suppressed ones too, carrying `suppressions`); input errors are tool execution
//! notifications. Locations are relative to `%SRCROOT%`, columns count UTF-16 code units
//! (SARIF's default `columnKind`). No source snippet is ever included, and every text that
//! could quote user input is scrubbed of secrets.

use serde_json::{Map, Value, json};

use crate::finding::{Finding, RuleMeta, Severity};
use crate::redact::scrub;
use crate::report::Report;
use crate::report::SuppressionKind;
use crate::rules::REGISTRY;
use crate::source::{SourceMap, Span};

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
pub const VERSION: &str = "2.1.0";
pub const INFORMATION_URI: &str = "https://github.com/scopeward/scopeward";
/// The `partialFingerprints` key of a finding's fingerprint.
pub const FINGERPRINT_KEY: &str = "scopeward/v1";
/// The base every artifact URI is relative to: where scopeward ran.
pub const SRCROOT: &str = "%SRCROOT%";

/// SARIF's `level` for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `legacy-token` → `LegacyToken`.
pub fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect()
}

/// A relative path as a URI reference: each segment percent-encoded where RFC 3986 requires it.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Where a file is: relative to `%SRCROOT%`, or a `file:` URI for a path outside the working
/// directory (a policy found in an ancestor or given with `--config`).
fn artifact(path: &str) -> Value {
    let bytes = path.as_bytes();
    let drive = bytes.len() > 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if path.starts_with('/') {
        json!({"uri": format!("file://{}", uri(path))})
    } else if drive {
        let rest = path[2..].replace('\\', "/");
        json!({"uri": format!("file:///{}:{}", &path[..1], uri(&rest))})
    } else {
        json!({"uri": uri(path), "uriBaseId": SRCROOT})
    }
}

/// A `physicalLocation` for a span, or `None` when it has no file.
fn physical(sources: &SourceMap, span: Span) -> Option<Value> {
    if span.file.0 as usize >= sources.len() {
        return None;
    }
    let f = sources.get(span.file);
    let start = f.line_col_utf16(span.start as usize);
    let end = f.line_col_utf16(span.end.max(span.start) as usize);
    Some(json!({
        "artifactLocation": artifact(&f.display),
        "region": {
            "startLine": start.line,
            "startColumn": start.column,
            "endLine": end.line,
            "endColumn": end.column,
        },
    }))
}

fn location(sources: &SourceMap, span: Span, message: Option<&str>) -> Option<Value> {
    let mut loc = json!({"physicalLocation": physical(sources, span)?});
    if let Some(m) = message {
        loc["message"] = json!({"text": scrub(m)});
    }
    Some(loc)
}

fn rule(meta: &RuleMeta) -> Value {
    // `explain`'s text. Some examples show a token-shaped value (`secret-in-definition`):
    // scrubbed like everything else, so that no Auth Token shape ever reaches a SARIF file.
    let doc = scrub(&crate::rules::docs::explain_text(meta)).into_owned();
    let full = meta
        .doc
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .skip_while(|l| l.starts_with('#') || l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let full = if full.is_empty() {
        meta.summary.to_string()
    } else {
        scrub(&full).into_owned()
    };
    json!({
        "id": meta.id,
        "name": pascal_case(meta.id),
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": full},
        "help": {"text": doc, "markdown": doc},
        "helpUri": meta.help_uri(),
        "defaultConfiguration": {"level": level(meta.default_severity)},
        "properties": {"tags": ["security"]},
    })
}

fn result(report: &Report, index: &Map<String, Value>, f: &Finding) -> Value {
    // Findings are scrubbed when built; scrub again so that no path here can leak.
    let mut text = scrub(&f.message).into_owned();
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(&scrub(help));
    }
    let mut r = json!({
        "ruleId": f.rule.id,
        "level": level(f.severity),
        "message": {"text": text},
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
    });
    if let Some(i) = index.get(f.rule.id) {
        r["ruleIndex"] = i.clone();
    }
    if let Some(loc) = f.location.and_then(|s| location(&report.sources, s, None)) {
        r["locations"] = json!([loc]);
    }
    let related: Vec<Value> = f
        .related
        .iter()
        .filter_map(|(span, label)| location(&report.sources, *span, Some(label)))
        .enumerate()
        .map(|(i, mut loc)| {
            loc["id"] = json!(i);
            loc
        })
        .collect();
    if !related.is_empty() {
        r["relatedLocations"] = Value::Array(related);
    }
    let mut props = Map::new();
    for (key, value) in [
        ("token", f.token.as_deref()),
        ("accountType", f.account_type.map(|t| t.as_str())),
        ("account", f.account_name.as_deref()),
        ("environment", f.environment.as_deref()),
        ("scope", f.scope.as_deref()),
    ] {
        if let Some(v) = value {
            props.insert(key.into(), json!(scrub(v)));
        }
    }
    if !props.is_empty() {
        r["properties"] = Value::Object(props);
    }
    r
}

/// The SARIF log of a report.
pub fn build(report: &Report) -> Value {
    let rules: Vec<Value> = REGISTRY.iter().map(|r| rule(r.meta())).collect();
    let index: Map<String, Value> = REGISTRY
        .iter()
        .enumerate()
        .map(|(i, r)| (r.meta().id.to_string(), json!(i)))
        .collect();

    let mut results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(report, &index, f))
        .collect();
    for s in &report.suppressed {
        let mut r = result(report, &index, &s.finding);
        let kind = match s.by.kind {
            SuppressionKind::Inline => "inSource",
            SuppressionKind::Config | SuppressionKind::Baseline => "external",
        };
        let mut sup = json!({
            "kind": kind,
            "status": "accepted",
            "justification": scrub(&s.by.reason),
            "properties": {"scopeward": s.by.kind.as_str()},
        });
        if let Some(loc) = s.by.span.and_then(|sp| location(&report.sources, sp, None)) {
            sup["location"] = loc;
        }
        r["suppressions"] = json!([sup]);
        results.push(r);
    }

    // Failures name a path as given on the command line (maybe absolute, maybe missing): it
    // goes in the message, not in a location relative to `%SRCROOT%`.
    let mut notifications: Vec<Value> = report
        .failures
        .iter()
        .map(|f| {
            json!({
                "level": "error",
                "message": {"text": format!("{}: {}", scrub(&f.path), scrub(&f.message))},
            })
        })
        .collect();
    notifications.extend(report.errors.iter().map(|e| {
        let mut text = scrub(&e.message).into_owned();
        if !e.path.is_empty() {
            text = format!("{}: {text}", scrub(&e.path));
        }
        if let Some(help) = &e.help {
            text.push_str("\nhelp: ");
            text.push_str(&scrub(help));
        }
        let mut n = json!({"level": "error", "message": {"text": text}});
        if let Some(loc) = location(&report.sources, e.span, None) {
            n["locations"] = json!([loc]);
        }
        n
    }));
    let success = notifications.is_empty();

    json!({
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "scopeward",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": success,
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": {SRCROOT: {
                "description": {"text": "The directory scopeward ran in."},
            }},
            "columnKind": "utf16CodeUnits",
            "results": results,
            "properties": {"asOf": report.as_of.to_string()},
        }],
    })
}

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&build(report)).expect("the log serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("legacy-token"), "LegacyToken");
        assert_eq!(
            pascal_case("environment-name-mismatch"),
            "EnvironmentNameMismatch"
        );
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            artifact("tokens/acme tokens.yaml")["uri"],
            "tokens/acme%20tokens.yaml"
        );
        assert_eq!(artifact("tokens/é#1.yaml")["uri"], "tokens/%C3%A9%231.yaml");
        assert_eq!(artifact("a.yaml")["uriBaseId"], SRCROOT);
        assert_eq!(
            artifact("/etc/scopeward.toml")["uri"],
            "file:///etc/scopeward.toml"
        );
        assert!(artifact("/etc/scopeward.toml").get("uriBaseId").is_none());
        assert_eq!(
            artifact("C:\\repo\\scopeward.toml")["uri"],
            "file:///C:/repo/scopeward.toml"
        );
    }
}
