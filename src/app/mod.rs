//! The commands behind the CLI, one file each; this module holds what they share (setting up
//! the policy and catalogues, writing output, exit codes). Returns the process exit code: 0
//! clean, 1 findings at or above `--fail-on`, 2 the run could not complete.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::catalogue::Catalogues;
use crate::cli::{Cli, ColorChoice, Command, FailOn, GlobalArgs, InputArgs, ReportArgs};
use crate::diag::Diagnostics;
use crate::engine::{CheckOptions, Discovery};
use crate::filter::BaselineFile;
use crate::finding::Severity;
use crate::model::Day;
use crate::output::{self, OutputFormat, RenderOptions};
use crate::policy::Policy;
use crate::report::Report;
use crate::rules;
use crate::source::SourceMap;

/// A line on standard error: every part of it inert (no terminal control bytes, no workflow
/// command a CI runner would obey, no secret) whatever it quotes.
macro_rules! note {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::inert::stderr_line(&format!($($arg)*)))
    };
}

mod audit;
mod check;
mod info;
mod init;
mod scan;
mod suggest;
mod usage_sql;

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn run(mut cli: Cli) -> u8 {
    // For the test that proves a panic prints none of its message (which could quote input).
    if let Some(text) = std::env::var_os("SCOPEWARD_DEBUG_PANIC") {
        panic!("{}", text.to_string_lossy());
    }
    cli.normalise();
    let g = &cli.global;
    match &cli.command {
        Command::Check {
            paths,
            report,
            input,
        } => check::run(g, report, input, paths),
        Command::Audit(args) => audit::run(g, args),
        Command::Suggest {
            format,
            usage,
            paths,
            diff,
            include_refused,
            input,
        } => suggest::run(
            g,
            &suggest::Args {
                format: *format,
                usage,
                paths,
                diff: *diff,
                include_refused: *include_refused,
                input,
            },
        ),
        Command::UsageSql {
            dialect,
            table,
            time_col,
            method_col,
            path_col,
            status_col,
            user_col,
        } => usage_sql::run(
            g,
            *dialect,
            crate::usage::sql::Table {
                name: table.clone(),
                time: time_col.clone(),
                method: method_col.clone(),
                path: path_col.clone(),
                status: status_col.clone(),
                user: user_col.clone(),
            },
        ),
        Command::Scan {
            paths,
            max_filesize,
            report,
            stdin_filename,
            allow_empty,
        } => scan::run(
            g,
            report,
            paths,
            *max_filesize,
            stdin_filename.as_deref(),
            *allow_empty,
        ),
        Command::Rules { info } => info::rules(g, info.format),
        Command::Explain { id, info } => info::explain(g, info.format, id),
        Command::Catalogue { account_type, info } => info::catalogue(g, info.format, *account_type),
        Command::Schema { kind, info } => info::schema(g, info.format, *kind),
        Command::Init { account_type, dir } => init::run(*account_type, dir.as_deref()),
        Command::Completions { shell } => info::completions(g, *shell),
        Command::Man { dir } => info::man(g, dir.as_deref()),
    }
}

fn fail_on(r: &ReportArgs) -> Severity {
    match r.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    }
}

/// Whether an environment variable is set to something other than empty or `0`.
fn env_on(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// `--color`; for `auto`: never with `NO_COLOR`, always on standard output with
/// `CLICOLOR_FORCE` or `FORCE_COLOR`, never with `CLICOLOR=0`, else when standard output is a
/// terminal (the order `anstream` follows).
fn use_color(g: &GlobalArgs) -> bool {
    match g.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if g.output.is_some() || env_on("NO_COLOR") {
                false
            } else if env_on("CLICOLOR_FORCE") || env_on("FORCE_COLOR") {
                true
            } else if std::env::var_os("CLICOLOR").is_some_and(|v| v == "0") {
                false
            } else {
                std::io::stdout().is_terminal()
            }
        }
    }
}

/// The width human output wraps at: `COLUMNS`, else the terminal's when standard output is
/// one, else 100; between 60 and 200.
fn width(g: &GlobalArgs) -> usize {
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    let terminal = || {
        (g.output.is_none())
            .then(|| terminal_size::terminal_size_of(std::io::stdout()))
            .flatten()
            .map(|(w, _)| usize::from(w.0))
    };
    columns.or_else(terminal).unwrap_or(100).clamp(60, 200)
}

fn render_options(g: &GlobalArgs, r: &ReportArgs) -> RenderOptions {
    RenderOptions {
        color: use_color(g),
        width: width(g),
        quiet: g.quiet,
        fail_on: fail_on(r),
    }
}

/// Buffer of the writer output goes through.
const OUTPUT_BUFFER: usize = 256 * 1024;

/// Writes to `--output` or standard output through a buffer, as `write` produces it. A closed
/// pipe is not an error.
fn emit_with(
    g: &GlobalArgs,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    match &g.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let mut out = std::io::BufWriter::with_capacity(OUTPUT_BUFFER, file);
            write(&mut out)
                .and_then(|_| out.flush())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => {
            let stdout = std::io::stdout().lock();
            let mut out = std::io::BufWriter::with_capacity(OUTPUT_BUFFER, stdout);
            match write(&mut out).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(format!("cannot write output: {e}")),
            }
        }
    }
}

/// A line on standard output for people (what a command wrote); a closed pipe is not an error
/// (`println!` would panic on it).
fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(line).and_then(|_| out.write_all(b"\n"));
}

/// [`emit_with`] of a text made beforehand.
fn emit(g: &GlobalArgs, text: &str) -> Result<(), String> {
    emit_with(g, |out| out.write_all(text.as_bytes()))
}

/// [`emit`], then the exit code of a command that only prints.
fn print(g: &GlobalArgs, text: &str) -> u8 {
    match emit(g, text) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => usage_error(e),
    }
}

fn usage_error(message: impl std::fmt::Display) -> u8 {
    note!("error: {message}");
    EXIT_ERROR
}

/// Today, or `--as-of` / `SCOPEWARD_AS_OF`.
fn as_of(g: &GlobalArgs) -> Result<Day, String> {
    match &g.as_of {
        Some(s) => Day::parse(s).map_err(|e| format!("invalid --as-of: {e}")),
        None => Ok(Day(jiff::Zoned::now().date())),
    }
}

/// Where the policy is: `--config` (or `SCOPEWARD_CONFIG`); none with `--no-config`; else
/// `scopeward.toml` in the paths' common ancestor or its ancestors, else in the working
/// directory or its ancestors.
fn policy_path(g: &GlobalArgs, cwd: &Path, paths: &[PathBuf]) -> Option<PathBuf> {
    if g.no_config {
        return None;
    }
    if let Some(p) = g.config.as_ref().filter(|p| !p.as_os_str().is_empty()) {
        return Some(p.clone());
    }
    let named: Vec<PathBuf> = paths
        .iter()
        .filter(|p| !crate::source::is_stdin(p))
        .map(|p| {
            let full = crate::source::on_disk(cwd, p);
            std::fs::canonicalize(&full).unwrap_or(full)
        })
        .collect();
    common_ancestor(&named)
        .and_then(|dir| Policy::discover(&dir))
        .or_else(|| Policy::discover(cwd))
}

/// The deepest directory holding every path (a file's own directory for one file).
fn common_ancestor(paths: &[PathBuf]) -> Option<PathBuf> {
    let dir_of = |p: &Path| {
        if p.is_dir() {
            p.to_path_buf()
        } else {
            p.parent()
                .map_or_else(|| p.to_path_buf(), Path::to_path_buf)
        }
    };
    let mut common = dir_of(paths.first()?);
    for p in &paths[1..] {
        let d = dir_of(p);
        while !d.starts_with(&common) {
            common = common.parent()?.to_path_buf();
        }
    }
    Some(common)
}

/// Loads the policy (validated against the rules and catalogues) and the catalogues. Their
/// problems are returned to be rendered as a report (exit 2).
fn setup(
    g: &GlobalArgs,
    cwd: &Path,
    paths: &[PathBuf],
    cap: u64,
) -> Result<(SourceMap, Policy, Catalogues), (SourceMap, Diagnostics)> {
    let mut sources = SourceMap::new();
    let mut diag = Diagnostics::default();
    let policy = match policy_path(g, cwd, paths) {
        Some(path) => match Policy::load(&path, cwd, &mut sources, &rules::Registry, cap) {
            Ok(p) => p,
            Err(d) => {
                diag.absorb(d);
                Policy::default()
            }
        },
        None => Policy::default(),
    };
    let catalogues = match &g.catalogue {
        Some(dir) => match Catalogues::load_dir(dir, &mut sources, cwd) {
            Ok(c) => c,
            Err(e) => {
                diag.extend(e);
                Catalogues::builtin()
            }
        },
        None => Catalogues::builtin(),
    };
    diag.extend(policy.validate_against(&catalogues));
    if diag.is_empty() {
        Ok((sources, policy, catalogues))
    } else {
        Err((sources, diag))
    }
}

/// Renders the report in `--format` (and the step summary under GitHub Actions), then the exit
/// code it calls for.
fn finish(g: &GlobalArgs, r: &ReportArgs, report: &Report, catalogues: &Catalogues) -> u8 {
    if r.format == OutputFormat::Github {
        // The job summary GitHub shows on the run's page.
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|f| {
                    let mut out = std::io::BufWriter::with_capacity(OUTPUT_BUFFER, f);
                    output::markdown::write(report, &mut out)?;
                    out.flush()
                });
            if let Err(e) = written {
                note!(
                    "warning: cannot write the step summary to {}: {e}",
                    crate::inert::terminal_line(&std::path::Path::new(&path).display().to_string())
                );
            }
        }
    }
    let opts = render_options(g, r);
    if let Err(e) = emit_with(g, |out| {
        output::write(report, r.format, &opts, catalogues, out)
    }) {
        return usage_error(e);
    }
    // `--report FORMAT=PATH`: the same report in more formats, never coloured.
    let plain = RenderOptions {
        color: false,
        ..opts.clone()
    };
    for (format, path) in &r.report {
        let written = std::fs::File::create(path).and_then(|f| {
            let mut out = std::io::BufWriter::with_capacity(OUTPUT_BUFFER, f);
            output::write(report, *format, &plain, catalogues, &mut out)?;
            out.flush()
        });
        if let Err(e) = written {
            return usage_error(format!("cannot write {}: {e}", path.display()));
        }
    }
    if report.incomplete() {
        EXIT_ERROR
    } else if report.findings.iter().any(|f| f.severity >= fail_on(r)) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Reads the usage logs; unreadable ones become failures (exit 2), the rest is used. With
/// `notes`, says on standard error what was read: per log its format, lines, impact.com
/// requests, attributed and unattributable ones, skipped and malformed lines, and what it
/// could not show; then the window, and why `unused-scope` is silent when it is too short.
fn read_usage(
    notes: bool,
    args: &crate::cli::UsageArgs,
    cwd: &Path,
    catalogues: &Catalogues,
    policy: &Policy,
    diag: &mut Diagnostics,
) -> crate::usage::Usage {
    let options = usage_options(args);
    let (usage, errors) = crate::usage::read_with(&args.files(), cwd, catalogues, &options);
    for e in errors {
        diag.failure(e.path, e.message);
    }
    // Logs that hold no impact.com request at all judge no scope: a wrong file, host or format
    // must not pass as "every scope was needed" (one quiet log among others is only a note).
    if !usage.files.is_empty()
        && usage
            .files
            .iter()
            .all(|f| f.impact_requests == 0 && f.tunnels == 0)
    {
        for f in &usage.files {
            diag.failure(
                f.display.clone(),
                "no impact.com request in it, nor in any other usage log given: nothing to judge the tokens' scopes by (is it the right file, host (--usage-host) and format?)",
            );
        }
    }
    if notes {
        for line in usage_report(&usage, catalogues, policy) {
            note!("{line}");
        }
    }
    usage
}

/// How `--usage-host` and `--since` read the logs.
fn usage_options(args: &crate::cli::UsageArgs) -> crate::usage::UsageOptions {
    crate::usage::UsageOptions {
        hosts: args.usage_host.clone(),
        since: args.since.map(|s| s.0),
        max_bytes: args.max_usage_size,
        ..crate::usage::UsageOptions::default()
    }
}

/// `unused-scope`'s `min_window_days`, when the rule is on.
fn min_window_days(policy: &Policy) -> Option<i64> {
    let rule = rules::find("unused-scope")?;
    let meta = rule.meta();
    policy
        .enabled(meta)
        .then(|| policy.option(meta, "min_window_days") as i64)
}

/// The lines [`read_usage`] prints: `usage:` per log, `note:` per thing it could not show.
fn usage_report(
    usage: &crate::usage::Usage,
    catalogues: &Catalogues,
    policy: &Policy,
) -> Vec<String> {
    let mut out = Vec::new();
    for f in &usage.files {
        out.push(format!("usage: {}", f.what_was_read()));
    }
    for f in &usage.files {
        out.extend(
            f.notes(catalogues)
                .into_iter()
                .map(|n| format!("note: {n}")),
        );
    }
    if let Some(min) = min_window_days(policy) {
        if let Err(why) = usage.covers(min) {
            out.push(format!("note: unused-scope is silent: {why}"));
        }
    }
    out
}

/// `--write-baseline FILE`: records what is reported now, then treats it as the baseline of
/// this run.
fn write_baseline(g: &GlobalArgs, r: &ReportArgs, report: &mut Report) -> Result<(), String> {
    let Some(path) = &r.write_baseline else {
        return Ok(());
    };
    let matched = crate::filter::baseline::record(report, path)?;
    if !g.quiet {
        note!(
            "wrote {} ({} finding{}): later runs with `--baseline {}` report only new ones",
            path.display(),
            matched,
            if matched == 1 { "" } else { "s" },
            path.display()
        );
    }
    Ok(())
}

/// The baseline of the run: `--baseline FILE`, else the policy's `baseline` key (unless
/// `--write-baseline` is writing a new one).
fn read_baseline(
    r: &ReportArgs,
    policy: &Policy,
    cap: u64,
) -> Result<Option<std::sync::Arc<BaselineFile>>, String> {
    let from_policy = || {
        policy
            .baseline
            .clone()
            .filter(|_| r.write_baseline.is_none())
    };
    r.baseline
        .clone()
        .or_else(from_policy)
        .map(|p| BaselineFile::read(&p, cap).map(std::sync::Arc::new))
        .transpose()
}

/// What every linting command starts from.
struct Start {
    cwd: PathBuf,
    as_of: Day,
    sources: SourceMap,
    policy: Policy,
    catalogues: Catalogues,
}

/// The working directory, the "today", the policy and the catalogues — or the exit code of a
/// run that could not start (its errors already reported in `--format`).
fn start(g: &GlobalArgs, r: &ReportArgs, paths: &[PathBuf], cap: u64) -> Result<Start, u8> {
    let cwd = std::env::current_dir()
        .map_err(|e| usage_error(format!("cannot read the working directory: {e}")))?;
    let as_of = as_of(g).map_err(usage_error)?;
    let (sources, mut policy, catalogues) =
        setup(g, &cwd, paths, cap).map_err(|(sources, diag)| {
            let mut report = Report::empty(as_of);
            report.sources = sources;
            report.absorb(diag);
            finish(g, r, &report, &Catalogues::builtin())
        })?;
    select_rules(r, &mut policy).map_err(usage_error)?;
    Ok(Start {
        cwd,
        as_of,
        sources,
        policy,
        catalogues,
    })
}

/// `--select` and `--disable`: every id must be a rule (a typo would select nothing, or
/// disable nothing, silently).
fn select_rules(r: &ReportArgs, policy: &mut Policy) -> Result<(), String> {
    let index = rules::Registry;
    let resolve = |flag: &str, ids: &[String]| -> Result<Vec<&'static str>, String> {
        ids.iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|id| {
                crate::finding::RuleIndex::find(&index, id)
                    .map(|m| m.id)
                    .ok_or_else(|| {
                        let hint = crate::did_you_mean::did_you_mean(
                            id,
                            crate::finding::RuleIndex::ids(&index),
                        )
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_else(|| "; `scopeward rules` lists them".into());
                        format!("{flag}: unknown rule `{}`{hint}", crate::redact::scrub(id))
                    })
            })
            .collect()
    };
    let selected = resolve("--select", &r.select)?;
    let disabled = resolve("--disable", &r.disable)?;
    if !selected.is_empty() {
        policy.select(&index, &selected);
    }
    for id in disabled {
        policy.set_severity(id, crate::policy::SeverityOrOff::Off);
    }
    Ok(())
}

/// The check's options from the report and input flags.
fn check_options(
    r: &ReportArgs,
    input: &InputArgs,
    policy: &Policy,
    found: &Discovery,
    as_of: Day,
) -> Result<CheckOptions, String> {
    let mut options = CheckOptions::new(as_of);
    options.apply_ignores = !r.no_ignores;
    // Formats that list every token, not only those with findings — asked for with
    // `--format` or with `--report`.
    options.inventory = std::iter::once(r.format)
        .chain(r.report.iter().map(|(format, _)| *format))
        .any(|f| matches!(f, OutputFormat::Junit | OutputFormat::Html));
    options.baseline = read_baseline(r, policy, input.max_filesize)?;
    options.max_filesize = input.max_filesize;
    options.stdin_name = input.stdin_filename.clone();
    options.named = found.named.clone();
    options.named.sort();
    // The process exits after reporting: freeing a large model would only cost time.
    options.leak_model = true;
    Ok(options)
}

/// The paths to walk: those given, else the working directory.
fn or_here(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    }
}
