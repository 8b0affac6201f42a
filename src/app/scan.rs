//! `scopeward scan`: committed impact.com credentials, reported like any other findings (the
//! same ignores, baselines and formats), with every secret masked.

use std::path::PathBuf;

use super::{Start, finish, or_here, read_baseline, start, usage_error, write_baseline};
use crate::cli::{GlobalArgs, ReportArgs};
use crate::scan::{ReportOptions, ScanOptions, scan_paths};

pub(super) fn run(g: &GlobalArgs, r: &ReportArgs, paths: &[PathBuf], max_filesize: u64) -> u8 {
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
    let baseline = match read_baseline(r) {
        Ok(b) => b,
        Err(e) => return usage_error(e),
    };
    let options = ScanOptions {
        max_filesize,
        ..ScanOptions::default()
    };
    let result = scan_paths(&or_here(paths), &cwd, &options);

    let mut report = crate::scan::into_report(
        result,
        sources,
        &policy,
        &ReportOptions {
            as_of,
            apply_ignores: !r.no_ignores,
            baseline: baseline.as_deref(),
        },
    );
    if let Err(e) = write_baseline(g, r, &mut report) {
        return usage_error(e);
    }
    finish(g, r, &report, &catalogues)
}
