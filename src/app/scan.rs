//! `scopeward scan`: committed impact.com credentials, reported like any other findings (the
//! same ignores, baselines and formats), with every secret masked.

use std::path::PathBuf;

use super::{Start, finish, or_here, read_baseline, start, usage_error, write_baseline};
use crate::cli::{GlobalArgs, ReportArgs};
use crate::scan::{ReportOptions, ScanOptions, scan_paths};

pub(super) fn run(
    g: &GlobalArgs,
    r: &ReportArgs,
    paths: &[PathBuf],
    max_filesize: u64,
    stdin_filename: Option<&str>,
    allow_empty: bool,
) -> u8 {
    let paths = or_here(paths);
    let cap = crate::source::DEFAULT_MAX_FILESIZE;
    let Start {
        cwd,
        as_of,
        sources,
        policy,
        catalogues,
    } = match start(g, r, &paths, cap) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let baseline = match read_baseline(r, &policy, cap) {
        Ok(b) => b,
        Err(e) => return usage_error(e),
    };
    let options = ScanOptions {
        max_filesize,
        stdin_name: stdin_filename.map(str::to_string),
        ..ScanOptions::default()
    };
    let mut result = scan_paths(&paths, &cwd, &options);
    let seen = result.scanned + result.skipped_binary + result.skipped_large;
    if seen == 0 && result.failures.is_empty() && !allow_empty {
        result.failures.push(crate::diag::Failure::new(
            paths
                .iter()
                .map(|p| crate::source::display_path(p, std::path::Path::new("")))
                .collect::<Vec<_>>()
                .join(" "),
            "no file to scan under the paths given (hidden .git and .gitignored files are not walked) — pass --allow-empty if that is expected",
        ));
    }

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
