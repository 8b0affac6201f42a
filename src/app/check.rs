//! `scopeward check`: lint token definitions.

use std::path::{Path, PathBuf};

use super::{Start, check_options, finish, or_here, start, usage_error, write_baseline};
use crate::catalogue::Catalogues;
use crate::cli::{GlobalArgs, InputArgs, ReportArgs};
use crate::diag::Diagnostics;
use crate::engine::{self, Discovery};
use crate::policy::Policy;
use crate::report::Report;

pub(super) fn run(g: &GlobalArgs, r: &ReportArgs, input: &InputArgs, paths: &[PathBuf]) -> u8 {
    let paths = or_here(paths);
    let Start {
        cwd,
        as_of,
        sources,
        policy,
        catalogues,
    } = match start(g, r, &paths, input.max_filesize) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let found = engine::discover(&paths, &policy, &cwd);
    let options = match check_options(r, input, &policy, &found, as_of) {
        Ok(o) => o,
        Err(e) => return usage_error(e),
    };
    let report = engine::check_files(&found.files, &cwd, sources, &policy, &catalogues, &options);
    let walk = Walked {
        paths: &paths,
        cwd: &cwd,
        found: &found,
        allow_empty: input.allow_empty,
    };
    conclude(
        g,
        r,
        report,
        Diagnostics::default(),
        &walk,
        &policy,
        &catalogues,
    )
}

/// What the run looked at, for saying what it skipped and failing when it found nothing.
pub(super) struct Walked<'a> {
    pub paths: &'a [PathBuf],
    pub cwd: &'a Path,
    pub found: &'a Discovery,
    pub allow_empty: bool,
}

/// The end of `check`, `audit` and `suggest`'s report: the walk's problems, a run that found
/// no definition (exit 2 unless `--allow-empty`), the baseline written if asked, the run's
/// other problems added, the report rendered; the exit code.
pub(super) fn conclude(
    g: &GlobalArgs,
    r: &ReportArgs,
    mut report: Report,
    diag: Diagnostics,
    walk: &Walked<'_>,
    policy: &Policy,
    catalogues: &Catalogues,
) -> u8 {
    if let Err(e) = write_baseline(g, r, &mut report) {
        return usage_error(e);
    }
    report.failures.extend(walk.found.failures.iter().cloned());
    report.absorb(diag);
    note_skipped(g, &report);
    if let Some(failure) = nothing_checked(&report, walk, policy) {
        report.failures.push(failure);
    }
    let code = finish(g, r, &report, catalogues);
    // The process exits next: freeing a large report would only cost time.
    std::mem::forget(report);
    code
}

/// One line for the files the walk skipped as not definitions.
fn note_skipped(g: &GlobalArgs, report: &Report) {
    if g.quiet || report.skipped.is_empty() {
        return;
    }
    let n = report.skipped.len();
    let shown: Vec<String> = report
        .skipped
        .iter()
        .take(3)
        .map(|s| crate::redact::scrub(s).into_owned())
        .collect();
    eprintln!(
        "note: skipped {n} file{} matching the include globs that {} not token definitions (no top-level `account` or `tokens`): {}{}",
        if n == 1 { "" } else { "s" },
        if n == 1 { "is" } else { "are" },
        shown.join(", "),
        if n > 3 { ", …" } else { "" }
    );
}

/// A gate that checked nothing must not pass: zero definition files under the paths given is
/// a failure naming the globs and what was skipped (unless `--allow-empty`).
fn nothing_checked(
    report: &Report,
    walk: &Walked<'_>,
    policy: &Policy,
) -> Option<crate::diag::Failure> {
    if report.files > 0 || walk.allow_empty || !report.failures.is_empty() {
        return None;
    }
    let mut why = engine::discover::why_empty(walk.paths, policy, walk.cwd, walk.found);
    if !report.skipped.is_empty() {
        why.insert(
            0,
            format!(
                "{} matched but {} not token definitions",
                report.skipped.len(),
                if report.skipped.len() == 1 {
                    "is"
                } else {
                    "are"
                }
            ),
        );
    }
    let shown: Vec<String> = walk
        .paths
        .iter()
        .map(|p| crate::source::display_path(p, Path::new("")))
        .collect();
    let mut message = format!(
        "no token definition files found (include: {}{})",
        policy.include.join(", "),
        if policy.exclude.is_empty() {
            String::new()
        } else {
            format!("; exclude: {}", policy.exclude.join(", "))
        }
    );
    if !why.is_empty() {
        message.push_str(": ");
        message.push_str(&why.join("; "));
    }
    message.push_str(" — name the files, set `include` in scopeward.toml, or pass --allow-empty");
    Some(crate::diag::Failure::new(shown.join(" "), message))
}
