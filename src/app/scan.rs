//! `scopeward scan`: committed impact.com credentials, reported like any other findings (the
//! same ignores, baselines and formats), with every secret masked.

use std::path::PathBuf;

use super::{finish, read_baseline, usage_error, write_baseline};
use crate::cli::GlobalArgs;
use crate::scan::{ReportOptions, ScanOptions, scan_paths};

pub(super) fn run(g: &GlobalArgs, paths: &[PathBuf], max_filesize: u64) -> u8 {
    let super::Start {
        cwd,
        as_of,
        sources,
        policy,
        catalogues,
    } = match super::start(g) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let baseline = match read_baseline(g) {
        Ok(b) => b,
        Err(e) => return usage_error(e),
    };
    let paths = &super::or_here(paths);
    let options = ScanOptions {
        max_filesize,
        ..ScanOptions::default()
    };
    let result = scan_paths(paths, &cwd, &options);

    let mut report = crate::scan::into_report(
        result,
        sources,
        &policy,
        &ReportOptions {
            as_of,
            apply_ignores: !g.no_ignores,
            baseline: baseline.as_deref(),
        },
    );
    if let Err(e) = write_baseline(g, &mut report) {
        return usage_error(e);
    }
    finish(g, &report, &catalogues)
}
