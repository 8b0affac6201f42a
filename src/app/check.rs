//! `scopeward check`: lint token definitions.

use std::path::PathBuf;

use super::{Start, check_options, finish, or_here, start, usage_error, write_baseline};
use crate::catalogue::Catalogues;
use crate::cli::{GlobalArgs, ReportArgs};
use crate::diag::Diagnostics;
use crate::engine;
use crate::output::OutputFormat;
use crate::policy::Policy;
use crate::report::Report;

pub(super) fn run(g: &GlobalArgs, r: &ReportArgs, paths: &[PathBuf]) -> u8 {
    let Start {
        cwd,
        as_of,
        sources,
        policy,
        catalogues,
    } = match start(g, r) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (files, failures) = engine::discover(&or_here(paths), &policy, &cwd);
    let mut diag = Diagnostics::default();
    diag.extend(failures);
    let options = match check_options(r, as_of) {
        Ok(o) => o,
        Err(e) => return usage_error(e),
    };
    let report = engine::check_files(&files, &cwd, sources, &policy, &catalogues, &options);
    conclude(g, r, report, diag, &policy, &catalogues)
}

/// The end of `check` and `audit`: the baseline written if asked, the run's other problems
/// added, the report rendered; the exit code.
pub(super) fn conclude(
    g: &GlobalArgs,
    r: &ReportArgs,
    mut report: Report,
    diag: Diagnostics,
    policy: &Policy,
    catalogues: &Catalogues,
) -> u8 {
    if let Err(e) = write_baseline(g, r, &mut report) {
        return usage_error(e);
    }
    report.absorb(diag);
    if report.files == 0
        && report.failures.is_empty()
        && matches!(r.format, OutputFormat::Human)
        && !g.quiet
    {
        eprintln!(
            "note: no token definition files found (include globs: {})",
            policy.include.join(", ")
        );
    }
    let code = finish(g, r, &report, catalogues);
    // The process exits next: freeing a large report would only cost time.
    std::mem::forget(report);
    code
}
