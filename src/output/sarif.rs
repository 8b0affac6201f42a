//! `--format sarif`: SARIF 2.1.0 for code scanning (GitHub and other SARIF consumers).
//!
//! One run: the driver lists every registered rule with its documentation; each finding is a
//! result (suppressed ones too, carrying `suppressions`); input errors are tool execution
//! notifications. Locations are relative to `%SRCROOT%`, columns count UTF-16 code units
//! (SARIF's default `columnKind`). No source snippet is ever included, and every text that
//! could quote user input is scrubbed of secrets.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

use crate::finding::{Finding, RuleMeta, Severity};
use crate::redact::scrub;
use crate::report::{Report, Suppressed, SuppressionKind};
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
/// directory (a policy found in an ancestor or given with `--config`). Scrubbed first.
fn artifact(path: &str) -> Artifact {
    let path = scrub(path);
    let bytes = path.as_bytes();
    let drive = bytes.len() > 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if path.starts_with('/') {
        Artifact {
            uri: format!("file://{}", uri(&path)),
            uri_base_id: None,
        }
    } else if drive {
        let rest = path[2..].replace('\\', "/");
        Artifact {
            uri: format!("file:///{}:{}", &path[..1], uri(&rest)),
            uri_base_id: None,
        }
    } else {
        Artifact {
            uri: uri(&path),
            uri_base_id: Some(SRCROOT),
        }
    }
}

// The log's types. Fields are in the order of their names: the document was once a
// `serde_json::Value`, whose maps sort their keys, and its bytes stay as they were.

#[derive(Serialize)]
pub struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [SarifRun<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRun<'a> {
    column_kind: &'static str,
    invocations: [Invocation<'a>; 1],
    original_uri_base_ids: BaseIds,
    properties: RunProperties,
    results: Results<'a>,
    tool: Tool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Notifications<'a>,
}

#[derive(Serialize)]
struct BaseIds {
    #[serde(rename = "%SRCROOT%")]
    srcroot: Described,
}

#[derive(Serialize)]
struct Described {
    description: Text<'static>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    as_of: String,
    /// What the baseline did, when one was applied: findings it accepted, entries fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineCounts>,
}

#[derive(Serialize)]
struct BaselineCounts {
    fixed: usize,
    matched: usize,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    information_uri: &'static str,
    name: &'static str,
    rules: Vec<SarifRule>,
    semantic_version: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    default_configuration: Level,
    full_description: Text<'static>,
    help: Help,
    help_uri: String,
    id: &'static str,
    name: String,
    properties: Tags,
    short_description: Text<'static>,
}

#[derive(Serialize)]
struct Level {
    level: &'static str,
}

#[derive(Serialize)]
struct Help {
    markdown: String,
    text: String,
}

#[derive(Serialize)]
struct Tags {
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: [&'static str; 1],
}

#[derive(Serialize)]
struct Text<'a> {
    text: Cow<'a, str>,
}

fn text<'a>(t: impl Into<Cow<'a, str>>) -> Text<'a> {
    Text { text: t.into() }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    locations: Option<[SarifLocation<'a>; 1]>,
    message: Text<'a>,
    partial_fingerprints: Fingerprints<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<ResultProperties<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation<'a>>,
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[Suppression<'a>; 1]>,
}

#[derive(Serialize)]
struct Fingerprints<'a> {
    #[serde(rename = "scopeward/v1")]
    v1: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text<'a>>,
    physical_location: Physical,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Artifact {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    end_column: u32,
    end_line: u32,
    start_column: u32,
    start_line: u32,
}

#[derive(Serialize)]
struct Suppression<'a> {
    justification: Cow<'a, str>,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<SarifLocation<'a>>,
    properties: SuppressionProperties,
    status: &'static str,
}

#[derive(Serialize)]
struct SuppressionProperties {
    scopeward: &'static str,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    locations: Option<[SarifLocation<'a>; 1]>,
    message: Text<'a>,
}

/// A `physicalLocation` for a span, or `None` when it has no file.
fn physical(sources: &SourceMap, span: Span) -> Option<Physical> {
    if span.file.0 as usize >= sources.len() {
        return None;
    }
    let f = sources.get(span.file);
    let start = f.line_col_utf16(span.start as usize);
    let end = f.line_col_utf16(span.end.max(span.start) as usize);
    Some(Physical {
        artifact_location: artifact(&f.display),
        region: Region {
            end_column: end.column,
            end_line: end.line,
            start_column: start.column,
            start_line: start.line,
        },
    })
}

fn location<'a>(
    sources: &SourceMap,
    span: Span,
    message: Option<&'a str>,
) -> Option<SarifLocation<'a>> {
    Some(SarifLocation {
        id: None,
        message: message.map(|m| text(scrub(m))),
        physical_location: physical(sources, span)?,
    })
}

fn rule(meta: &'static RuleMeta) -> SarifRule {
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
    SarifRule {
        default_configuration: Level {
            level: level(meta.default_severity),
        },
        full_description: text(full),
        help: Help {
            markdown: doc.clone(),
            text: doc,
        },
        help_uri: meta.help_uri(),
        id: meta.id,
        name: pascal_case(meta.id),
        properties: Tags {
            precision: meta.precision,
            security_severity: meta.security_severity(),
            tags: ["security"],
        },
        short_description: text(meta.summary),
    }
}

/// The index of each registered rule in the driver's `rules`.
type RuleIndex = rustc_hash::FxHashMap<&'static str, usize>;

fn result<'a>(report: &'a Report, index: &RuleIndex, f: &'a Finding) -> SarifResult<'a> {
    // Findings are scrubbed when built; scrub again so that no path here can leak.
    let mut message = scrub(&f.message).into_owned();
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(&scrub(help));
    }
    let related: Vec<SarifLocation<'a>> = f
        .related
        .iter()
        .filter_map(|(span, label)| location(&report.sources, *span, Some(label)))
        .enumerate()
        .map(|(i, mut loc)| {
            loc.id = Some(i);
            loc
        })
        .collect();
    let props = ResultProperties {
        account: f.account_name.as_deref().map(scrub),
        account_type: f.account_type.map(|t| t.as_str()),
        environment: f.environment.as_deref().map(scrub),
        scope: f.scope.as_deref().map(scrub),
        token: f.token.as_deref().map(scrub),
    };
    let any = props.account.is_some()
        || props.account_type.is_some()
        || props.environment.is_some()
        || props.scope.is_some()
        || props.token.is_some();
    SarifResult {
        level: level(f.severity),
        locations: f
            .location
            .and_then(|s| location(&report.sources, s, None))
            .map(|l| [l]),
        message: text(message),
        partial_fingerprints: Fingerprints { v1: &f.fingerprint },
        properties: any.then_some(props),
        related_locations: related,
        rule_id: f.rule.id,
        rule_index: index.get(f.rule.id).copied(),
        suppressions: None,
    }
}

fn suppressed<'a>(report: &'a Report, index: &RuleIndex, s: &'a Suppressed) -> SarifResult<'a> {
    let mut r = result(report, index, &s.finding);
    let kind = match s.by.kind {
        SuppressionKind::Inline => "inSource",
        SuppressionKind::Config | SuppressionKind::Baseline => "external",
    };
    r.suppressions = Some([Suppression {
        justification: scrub(&s.by.reason),
        kind,
        location: s.by.span.and_then(|sp| location(&report.sources, sp, None)),
        properties: SuppressionProperties {
            scopeward: s.by.kind.as_str(),
        },
        status: "accepted",
    }]);
    r
}

/// `results`: the findings, then the suppressed ones, each built as it is written; or,
/// `spliced`, the mark [`write`] puts them in place of.
struct Results<'a> {
    report: &'a Report,
    index: RuleIndex,
    spliced: bool,
}

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.spliced {
            return super::pretty::Mark.serialize(s);
        }
        let (report, index) = (self.report, &self.index);
        s.collect_seq(
            report
                .findings
                .iter()
                .map(|f| result(report, index, f))
                .chain(
                    report
                        .suppressed
                        .iter()
                        .map(|s| suppressed(report, index, s)),
                ),
        )
    }
}

/// `toolExecutionNotifications`: failures, then input errors.
struct Notifications<'a>(&'a Report);

impl Serialize for Notifications<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = self.0;
        // Failures name a path as given on the command line (maybe absolute, maybe missing):
        // it goes in the message, not in a location relative to `%SRCROOT%`.
        let failures = report.failures.iter().map(|f| Notification {
            level: "error",
            locations: None,
            message: text(format!("{}: {}", scrub(&f.path), scrub(&f.message))),
        });
        let errors = report.errors.iter().map(|e| {
            let mut message = scrub(&e.message).into_owned();
            if !e.path.is_empty() {
                message = format!("{}: {message}", scrub(&e.path));
            }
            if let Some(help) = &e.help {
                message.push_str("\nhelp: ");
                message.push_str(&scrub(help));
            }
            Notification {
                level: "error",
                locations: location(&report.sources, e.span, None).map(|l| [l]),
                message: text(message),
            }
        });
        s.collect_seq(failures.chain(errors))
    }
}

/// The log as one value (what [`write`] writes).
pub fn build(report: &Report) -> Log<'_> {
    let rules: Vec<SarifRule> = REGISTRY.iter().map(|r| rule(r.meta())).collect();
    let index: RuleIndex = REGISTRY
        .iter()
        .enumerate()
        .map(|(i, r)| (r.meta().id, i))
        .collect();
    Log {
        schema: SCHEMA,
        runs: [SarifRun {
            column_kind: "utf16CodeUnits",
            invocations: [Invocation {
                execution_successful: report.failures.is_empty() && report.errors.is_empty(),
                tool_execution_notifications: Notifications(report),
            }],
            original_uri_base_ids: BaseIds {
                srcroot: Described {
                    description: text("The directory scopeward ran in."),
                },
            },
            properties: RunProperties {
                as_of: report.as_of.to_string(),
                baseline: report.baseline.as_ref().map(|b| BaselineCounts {
                    fixed: b.fixed,
                    matched: b.matched,
                }),
            },
            results: Results {
                report,
                index,
                spliced: false,
            },
            tool: Tool {
                driver: Driver {
                    information_uri: INFORMATION_URI,
                    name: "scopeward",
                    rules,
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    version: env!("CARGO_PKG_VERSION"),
                },
            },
        }],
        version: VERSION,
    }
}

/// Writes the SARIF log (pretty-printed, then a line feed) as it is serialised.
/// Its results are serialised in parallel a chunk at a time and written in order
/// ([`super::pretty`]): byte for byte what serde_json prints for [`build`]'s log.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut log = build(report);
    log.runs[0].results.spliced = true;
    let (report, index) = (log.runs[0].results.report, &log.runs[0].results.index);
    super::pretty::write_spliced(out, &log, "results", |depth| {
        super::par_map_ordered(&report.findings, move |f| {
            super::pretty::at_depth(&result(report, index, f), depth)
        })
        .chain(
            report
                .suppressed
                .iter()
                .map(move |s| super::pretty::at_depth(&suppressed(report, index, s), depth)),
        )
    })
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
            artifact("tokens/acme tokens.yaml").uri,
            "tokens/acme%20tokens.yaml"
        );
        assert_eq!(artifact("tokens/é#1.yaml").uri, "tokens/%C3%A9%231.yaml");
        assert_eq!(artifact("a.yaml").uri_base_id, Some(SRCROOT));
        assert_eq!(
            artifact("/etc/scopeward.toml").uri,
            "file:///etc/scopeward.toml"
        );
        assert!(artifact("/etc/scopeward.toml").uri_base_id.is_none());
        assert_eq!(
            artifact("C:\\repo\\scopeward.toml").uri,
            "file:///C:/repo/scopeward.toml"
        );
    }
}
