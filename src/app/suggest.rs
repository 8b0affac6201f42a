//! `scopeward suggest`: the least scopes per token from usage logs, as a report or a diff.

use std::path::PathBuf;

use super::{
    EXIT_CLEAN, EXIT_ERROR, Start, emit, min_window_days, or_here, read_usage, start, usage_error,
};
use crate::cli::{GlobalArgs, InputArgs, ReportArgs, SuggestFormat, UsageArgs};
use crate::diag::Diagnostics;
use crate::engine::{self, CheckOptions};
use crate::fix::{edit, plan};
use crate::redact::scrub;
use crate::report::Report;

/// What `suggest` was asked.
pub(super) struct Args<'a> {
    pub format: SuggestFormat,
    pub usage: &'a UsageArgs,
    pub paths: &'a [PathBuf],
    pub diff: bool,
    pub include_refused: bool,
    pub input: &'a InputArgs,
}

/// How problems found before suggesting are reported.
fn report_args(format: SuggestFormat) -> ReportArgs {
    let mut r = ReportArgs::human();
    if format == SuggestFormat::Json {
        r.format = crate::output::OutputFormat::Json;
    }
    r
}

pub(super) fn run(g: &GlobalArgs, args: &Args<'_>) -> u8 {
    let paths = &or_here(args.paths);
    let input = args.input;
    let Start {
        cwd,
        as_of,
        sources,
        policy,
        catalogues,
    } = match start(g, &report_args(args.format), paths, input.max_filesize) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let found = engine::discover(paths, &policy, &cwd);
    let mut diag = Diagnostics::default();
    diag.extend(found.failures.iter().cloned());
    let usage = read_usage(!g.quiet, args.usage, &cwd, &catalogues, &policy, &mut diag);
    let usage = std::sync::Arc::new(usage);
    let mut options = CheckOptions::new(as_of);
    options.inventory = true;
    options.usage = Some(usage.clone());
    options.max_filesize = input.max_filesize;
    options.stdin_name = input.stdin_filename.clone();
    options.named = found.named.clone();
    options.named.sort();
    let mut report =
        engine::check_files(&found.files, &cwd, sources, &policy, &catalogues, &options);
    report.absorb(diag);
    if report.files == 0 && !input.allow_empty && report.failures.is_empty() {
        report.failures.push(crate::diag::Failure::new(
            "",
            format!(
                "no token definition files found (include: {}): nothing to suggest for — pass --allow-empty if that is expected",
                policy.include.join(", ")
            ),
        ));
    }
    let suggest_options = plan::SuggestOptions {
        include_refused: args.include_refused,
        min_window_days: min_window_days(&policy),
    };
    let (mut doc, plans) = plan::suggest(
        &report.inventory,
        &report.sources,
        &usage,
        &catalogues,
        &suggest_options,
    );
    if args.diff {
        let (edited, skipped) = edit::apply(&plans, &report.sources);
        for s in &skipped {
            note!(
                "note: {}: token `{}` not edited: {}",
                s.path,
                s.token,
                s.reason
            );
        }
        let mut edited = edited;
        if let Some(base) = edit::rebase_paths(&mut edited, &cwd) {
            note!(
                "note: the diff's paths are relative to {}: apply it there (cd {0} && git apply)",
                base.display()
            );
        }
        doc.diff = Some(edit::unified_diff(&edited));
    }
    let text = match args.format {
        SuggestFormat::Json => plan::render_json(&doc),
        SuggestFormat::Human => match &doc.diff {
            Some(d) => d.clone(),
            None => plan::render_human(&doc),
        },
    };
    if let Err(e) = emit(g, &text) {
        return usage_error(e);
    }
    report_errors(&report);
    if report.incomplete() {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    }
}

/// Inputs that could not be read or loaded, on standard error.
fn report_errors(report: &Report) {
    for f in &report.failures {
        note!("error: {}: {}", scrub(&f.path), scrub(&f.message));
    }
    for e in &report.errors {
        let file = report.sources.get(e.span.file);
        let at = file.line_col(e.span.start as usize);
        note!(
            "error: {}:{}:{}: {}",
            scrub(&file.display),
            at.line,
            at.column,
            scrub(&e.message)
        );
    }
}
