//! `scopeward scan`: committed impact.com credentials, reported like any other findings (the
//! same ignores, baselines and formats), with every secret masked.

use std::path::PathBuf;

use super::{as_of, finish, read_baseline, setup, usage_error, write_baseline};
use crate::catalogue::Catalogues;
use crate::cli::GlobalArgs;
use crate::scan::{ReportOptions, ScanOptions, scan_paths};

pub(super) fn run(g: &GlobalArgs, paths: &[PathBuf], max_filesize: u64) -> u8 {
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => return usage_error(format!("cannot read the working directory: {e}")),
    };
    let as_of = match as_of(g) {
        Ok(d) => d,
        Err(e) => return usage_error(e),
    };
    let (sources, policy, catalogues) = match setup(g, &cwd, as_of) {
        Ok(s) => s,
        Err(report) => return finish(g, &report, &Catalogues::builtin()),
    };
    let baseline = match read_baseline(g) {
        Ok(b) => b,
        Err(e) => return usage_error(e),
    };
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
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
