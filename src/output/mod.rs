//! Rendering: one module per format, each a pure function over a [`Report`].

pub mod human;
pub mod json;

use crate::engine::Report;
use crate::rules::Severity;

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

/// Options every renderer may use.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    pub color: bool,
    /// Terminal width for wrapping human output.
    pub width: usize,
    /// Hide the summary line and findings below `fail_on`.
    pub quiet: bool,
    pub fail_on: Severity,
}

/// Counts by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl Counts {
    pub fn of(report: &Report) -> Counts {
        let mut c = Counts::default();
        for f in &report.findings {
            match f.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }
}

/// Renders a report in the chosen format.
pub fn render(report: &Report, format: OutputFormat, opts: &RenderOptions) -> String {
    match format {
        OutputFormat::Human => human::render(report, opts),
        OutputFormat::Json => json::render(report),
    }
}
