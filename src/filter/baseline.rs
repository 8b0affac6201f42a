//! Baselines: today's findings recorded by content fingerprint (rule, account, token, scope —
//! never line numbers or absolute paths), so a repository adopts scopeward in one command and
//! fails CI only on findings that are new.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::report::{BaselineStats, Report, Suppressed, Suppression, SuppressionKind};

pub const VERSION: u32 = 1;

/// The baseline file (JSON).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    pub version: u32,
    pub tool: String,
    /// The `--as-of` day it was written.
    pub created: String,
    pub entries: Vec<BaselineEntry>,
}

/// One accepted finding. Only `fingerprint` is compared; the rest is for people reading it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub message: String,
}

impl BaselineFile {
    pub fn from_findings<'a>(findings: impl Iterator<Item = &'a Finding>, created: String) -> Self {
        let mut entries: Vec<BaselineEntry> = findings
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint.to_string(),
                rule: f.rule.id.to_string(),
                account_type: f.account_type.map(|t| t.as_str().to_string()),
                account: f.account_name.clone(),
                token: f.token.clone(),
                scope: f.scope.clone(),
                message: f.message.clone(),
            })
            .collect();
        // Sorted by content, so the file does not churn when tokens move.
        entries.sort_by(|a, b| {
            (&a.rule, &a.token, &a.fingerprint).cmp(&(&b.rule, &b.token, &b.fingerprint))
        });
        BaselineFile {
            version: VERSION,
            tool: format!("scopeward {}", env!("CARGO_PKG_VERSION")),
            created,
            entries,
        }
    }

    /// Reads a baseline (strict JSON, at most `cap` bytes).
    pub fn read(path: &Path, cap: u64) -> Result<BaselineFile, String> {
        let shown = crate::redact::scrub(&path.display().to_string()).into_owned();
        let (source, problem) = crate::source::read_file(path, shown.clone(), cap);
        if let Some(p) = problem {
            return Err(format!("cannot read baseline {shown}: {}", p.reason()));
        }
        let text = source.text();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| {
            format!(
                "{shown} is not a scopeward baseline: {} at line {}, column {}",
                match e.classify() {
                    serde_json::error::Category::Syntax | serde_json::error::Category::Eof =>
                        "invalid JSON",
                    _ => "not the baseline's structure",
                },
                e.line(),
                e.column()
            )
        })?;
        if file.version != VERSION {
            return Err(format!(
                "{} is a version {} baseline; this scopeward reads version {VERSION}",
                path.display(),
                file.version
            ));
        }
        Ok(file)
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self).expect("baselines serialise");
        text.push('\n');
        std::fs::write(path, text)
            .map_err(|e| format!("cannot write baseline {}: {e}", path.display()))
    }

    /// Fingerprints with how many findings each accepts.
    pub fn counts(&self) -> HashMap<&str, usize> {
        let mut m = HashMap::new();
        for e in &self.entries {
            *m.entry(e.fingerprint.as_str()).or_insert(0) += 1;
        }
        m
    }
}

/// Moves the findings a baseline accepts into `suppressed`; returns the rest and what the
/// baseline did. Each entry accepts one finding with its fingerprint.
pub fn apply(
    findings: Vec<Box<Finding>>,
    base: &BaselineFile,
    suppressed: &mut Vec<Suppressed>,
) -> (Vec<Box<Finding>>, BaselineStats) {
    let mut counts = base.counts();
    let mut kept = Vec::with_capacity(findings.len());
    let mut matched = 0;
    for f in findings {
        match counts.get_mut(f.fingerprint.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                matched += 1;
                suppressed.push(Suppressed {
                    finding: f,
                    by: Suppression {
                        kind: SuppressionKind::Baseline,
                        reason: "accepted in the baseline".to_string(),
                        span: None,
                    },
                });
            }
            _ => kept.push(f),
        }
    }
    let fixed = counts.values().sum();
    (kept, BaselineStats { matched, fixed })
}

/// `--write-baseline`: records the report's findings in a baseline at `path`, then applies it
/// to the report (they all become suppressed). Returns how many it recorded.
pub fn record(report: &mut Report, path: &Path) -> Result<usize, String> {
    let baseline = BaselineFile::from_findings(
        report.findings.iter().map(|f| &**f),
        report.as_of.to_string(),
    );
    baseline.write(path)?;
    let findings = std::mem::take(&mut report.findings);
    let (rest, stats) = apply(findings, &baseline, &mut report.suppressed);
    report.findings = rest;
    let matched = stats.matched;
    report.baseline = Some(stats);
    Ok(matched)
}
