//! Rendering: one module per format, each a pure function over a [`Report`] that writes to
//! an `io::Write` as it goes. Every text that came from an input passes through
//! [`crate::inert`] (which scrubs it) on its way out.

pub mod concise;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
mod pretty;
pub mod sarif;

use std::io::{self, Write};

use crate::catalogue::Catalogues;
use crate::finding::{Finding, Severity};
use crate::report::Report;

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Human,
    /// One line per finding: `PATH:LINE:COL: SEVERITY[RULE] MESSAGE`, then the summary.
    Concise,
    Json,
    /// GitHub Actions workflow commands, and a Markdown summary to `$GITHUB_STEP_SUMMARY`.
    Github,
    /// JUnit XML: one test case per token, its findings as failures.
    Junit,
    /// A Markdown table of findings grouped by token, for a pull-request comment.
    Markdown,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// One self-contained HTML page for a security review: findings and a token × category exposure matrix.
    Html,
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

/// Writes a report in the chosen format to `out` as it goes: no renderer holds the whole
/// document in memory. `out` should be buffered.
pub fn write(
    report: &Report,
    format: OutputFormat,
    opts: &RenderOptions,
    catalogues: &Catalogues,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Human => human::write(report, opts, out),
        OutputFormat::Concise => concise::write(report, opts, out),
        OutputFormat::Json => json::write(report, out),
        OutputFormat::Github => github::write(report, out),
        OutputFormat::Junit => junit::write(report, opts, out),
        OutputFormat::Markdown => markdown::write(report, out),
        OutputFormat::Sarif => sarif::write(report, out),
        OutputFormat::Html => html::write(report, catalogues, out),
    }
}

/// [`write`] into a string (tests, and callers that want the text).
pub fn render(
    report: &Report,
    format: OutputFormat,
    opts: &RenderOptions,
    catalogues: &Catalogues,
) -> String {
    to_string(|out| write(report, format, opts, catalogues, out))
}

/// The text a writing function produces.
/// `f` of every item, computed in parallel a chunk at a time and yielded in order: renderers
/// spread the work over the cores while holding one chunk of results, never the whole output.
pub fn par_map_ordered<'a, T: Sync, R: Send + 'a>(
    items: &'a [T],
    f: impl Fn(&'a T) -> R + Sync + 'a,
) -> impl Iterator<Item = R> + 'a {
    use rayon::prelude::*;
    const CHUNK: usize = 2048;
    items
        .chunks(CHUNK)
        .flat_map(move |chunk| chunk.par_iter().map(&f).collect::<Vec<_>>())
}

pub fn to_string(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
    let mut buf = Vec::new();
    f(&mut buf).expect("writing to memory does not fail");
    String::from_utf8(buf).expect("renderers write UTF-8")
}

/// The findings of each token, in report order, with the tokens that have none: the grouping
/// of the Markdown, JUnit and HTML formats. Findings about no token come last, under `None`.
pub fn by_token(report: &Report) -> Vec<(Option<TokenKey<'_>>, Vec<&Finding>)> {
    let mut groups: Vec<(Option<TokenKey<'_>>, Vec<&Finding>)> = Vec::new();
    let mut index: rustc_hash::FxHashMap<Option<TokenKey<'_>>, usize> = Default::default();
    for f in &report.findings {
        let key = f.token.as_deref().map(|name| TokenKey {
            account_type: f.account_type.map_or("", |t| t.as_str()),
            account: f.account_name.as_deref(),
            name,
        });
        let i = *index.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(f);
    }
    // Tokens without findings (when the report lists them) pass too.
    for t in &report.inventory {
        let key = Some(TokenKey {
            account_type: t.account_type.as_str(),
            account: t.account_name.as_deref(),
            name: &t.name,
        });
        if let std::collections::hash_map::Entry::Vacant(e) = index.entry(key) {
            e.insert(groups.len());
            groups.push((key, Vec::new()));
        }
    }
    groups.sort_by_key(|(k, _)| k.is_none());
    groups
}

/// Which token a group of findings is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenKey<'a> {
    pub account_type: &'static str,
    pub account: Option<&'a str>,
    pub name: &'a str,
}

impl TokenKey<'_> {
    /// `brand Acme / orders-prod`.
    pub fn label(&self) -> String {
        match self.account {
            Some(a) => format!("{} {} / {}", self.account_type, a, self.name),
            None => format!("{} / {}", self.account_type, self.name),
        }
    }
}
