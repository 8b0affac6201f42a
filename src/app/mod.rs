//! The commands behind the CLI. Returns the process exit code: 0 clean, 1 findings at or
//! above `--fail-on`, 2 the run could not complete.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::catalogue::{Access, Catalogues};
use crate::cli::{AccountTypeArg, AuditArgs, Cli, ColorChoice, Command, FailOn, GlobalArgs};
use crate::diag::Failure;
use crate::diag::InputError;
use crate::engine::{self};
use crate::filter::BaselineFile;
use crate::finding::Severity;
use crate::model::{AccountType, Day};
use crate::output::{self, OutputFormat, RenderOptions};
use crate::policy::Policy;
use crate::report::Report;
use crate::rules::{self, REGISTRY};
use crate::source::{SourceMap, display_path};

mod live;
mod scan;

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn run(cli: Cli) -> u8 {
    let g = &cli.global;
    match &cli.command {
        Command::Check { paths } => check(g, paths, None),
        Command::Audit(args) => check(g, &args.paths, Some(args)),
        Command::Suggest { usage, paths, diff } => suggest(g, usage, paths, *diff),
        Command::Scan {
            paths,
            max_filesize,
        } => scan::run(g, paths, *max_filesize),
        Command::Rules => list_rules(g),
        Command::Explain { id } => explain(g, id),
        Command::Catalogue { account_type } => catalogue(g, *account_type),
        Command::Schema { kind } => schema(g, *kind),
        Command::Init { account_type, dir } => init(*account_type, dir.as_deref()),
        Command::Completions { shell } => completions(g, *shell),
        Command::Man => man(g),
    }
}

fn fail_on(g: &GlobalArgs) -> Severity {
    match g.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    }
}

fn use_color(g: &GlobalArgs) -> bool {
    match g.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            g.output.is_none()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

fn render_options(g: &GlobalArgs) -> RenderOptions {
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100usize)
        .clamp(60, 200);
    RenderOptions {
        color: use_color(g),
        width,
        quiet: g.quiet,
        fail_on: fail_on(g),
    }
}

/// Writes to `--output` or standard output. A closed pipe is not an error.
fn emit(g: &GlobalArgs, text: &str) -> Result<(), String> {
    match &g.output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(format!("cannot write output: {e}")),
            }
        }
    }
}

fn usage_error(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_ERROR
}

/// Today, or `--as-of` / `SCOPEWARD_AS_OF`.
fn as_of(g: &GlobalArgs) -> Result<Day, String> {
    match &g.as_of {
        Some(s) => Day::parse(s).map_err(|e| format!("invalid --as-of: {e}")),
        None => Ok(Day(jiff::Zoned::now().date())),
    }
}

/// Loads the policy and catalogues. Their errors are rendered as a report (exit 2).
fn setup(
    g: &GlobalArgs,
    cwd: &Path,
    as_of: Day,
) -> Result<(SourceMap, Policy, Catalogues), Box<Report>> {
    let mut sources = SourceMap::new();
    let mut errors: Vec<InputError> = Vec::new();
    let mut failures = Vec::new();
    let policy_path = match &g.config {
        Some(p) => Some(p.clone()),
        None => Policy::discover(cwd),
    };
    let mut policy = Policy::default();
    if let Some(path) = policy_path {
        let display = display_path(&path, cwd);
        match engine::read_source(&path, display.clone(), sources.next_id()) {
            (mut source, None) => {
                source.redact_scanned();
                let id = sources.add(source);
                match Policy::parse(id, sources.get(id).text(), &rules::Registry) {
                    Ok(mut p) => {
                        p.path = Some(path.clone());
                        policy = p;
                    }
                    Err(e) => errors.extend(e),
                }
            }
            (source, Some(err)) => {
                if !path.exists() {
                    failures.push(Failure {
                        path: display,
                        message: "cannot read the policy: no such file".into(),
                    });
                } else {
                    sources.add(source);
                    errors.push(err);
                }
            }
        }
    }
    let catalogues = match &g.catalogue {
        Some(dir) => match Catalogues::load_dir(dir, &mut sources, cwd) {
            Ok(c) => c,
            Err(e) => {
                errors.extend(e);
                Catalogues::builtin()
            }
        },
        None => Catalogues::builtin(),
    };
    errors.extend(policy.validate_against(&catalogues));
    if errors.is_empty() && failures.is_empty() {
        Ok((sources, policy, catalogues))
    } else {
        Err(Box::new(Report {
            sources,
            findings: Vec::new(),
            suppressed: Vec::new(),
            baseline: None,
            inventory: Vec::new(),
            errors,
            failures,
            files: 0,
            tokens: 0,
            as_of,
            scan: None,
        }))
    }
}

fn finish(g: &GlobalArgs, report: &Report, catalogues: &Catalogues) -> u8 {
    let text = output::render(report, g.format, &render_options(g), catalogues);
    if g.format == OutputFormat::Github {
        // The job summary GitHub shows on the run's page.
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            let summary = output::markdown::render(report);
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut f| f.write_all(summary.as_bytes()));
            if let Err(e) = written {
                eprintln!(
                    "warning: cannot write the step summary to {}: {e}",
                    std::path::Path::new(&path).display()
                );
            }
        }
    }
    if let Err(e) = emit(g, &text) {
        return usage_error(e);
    }
    if report.incomplete() {
        EXIT_ERROR
    } else if report.findings.iter().any(|f| f.severity >= fail_on(g)) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Reads the usage logs; unreadable ones become failures (exit 2), the rest is used. Notes
/// on the logs (lines that did not parse, requests without a SID) go to standard error once.
fn read_usage(
    notes: bool,
    logs: &[PathBuf],
    cwd: &Path,
    catalogues: &Catalogues,
) -> (crate::usage::Usage, Vec<Failure>) {
    let (usage, errors) = crate::usage::read_from(logs, cwd, catalogues);
    let failures = errors
        .into_iter()
        .map(|e| Failure {
            path: e.path,
            message: e.message,
        })
        .collect();
    if notes {
        for f in &usage.files {
            if f.malformed > 0 {
                eprintln!(
                    "note: {}: {} line{} not in {} format skipped (first: line {})",
                    f.display,
                    f.malformed,
                    if f.malformed == 1 { "" } else { "s" },
                    f.format.as_str(),
                    f.first_malformed.unwrap_or(0)
                );
            }
            if f.tunnels > 0 {
                eprintln!(
                    "note: {}: {} CONNECT tunnel{} to impact.com: the proxy saw no paths (log at the client, or inspect TLS)",
                    f.display,
                    f.tunnels,
                    if f.tunnels == 1 { "" } else { "s" }
                );
            }
            if f.unattributed > 0 {
                eprintln!(
                    "note: {}: {} impact.com request{} with no SID in the path and no Basic-auth user",
                    f.display,
                    f.unattributed,
                    if f.unattributed == 1 { "" } else { "s" }
                );
            }
        }
    }
    (usage, failures)
}

/// `--write-baseline FILE`: records what is reported now, then treats it as the baseline of
/// this run.
fn write_baseline(g: &GlobalArgs, report: &mut Report) -> Result<(), String> {
    let Some(path) = &g.write_baseline else {
        return Ok(());
    };
    let baseline = BaselineFile::from_findings(report.findings.iter(), report.as_of.to_string());
    baseline.write(path)?;
    let findings = std::mem::take(&mut report.findings);
    let (rest, stats) = crate::filter::apply_baseline(findings, &baseline, &mut report.suppressed);
    report.findings = rest;
    let matched = stats.matched;
    report.baseline = Some(stats);
    if !g.quiet {
        eprintln!(
            "wrote {} ({} finding{}): later runs with `--baseline {}` report only new ones",
            path.display(),
            matched,
            if matched == 1 { "" } else { "s" },
            path.display()
        );
    }
    Ok(())
}

/// `--baseline FILE`, read.
fn read_baseline(g: &GlobalArgs) -> Result<Option<std::sync::Arc<BaselineFile>>, String> {
    g.baseline
        .as_ref()
        .map(|p| BaselineFile::read(p).map(std::sync::Arc::new))
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
/// run that could not start (its errors already reported).
fn start(g: &GlobalArgs) -> Result<Start, u8> {
    let cwd = std::env::current_dir()
        .map_err(|e| usage_error(format!("cannot read the working directory: {e}")))?;
    let as_of = as_of(g).map_err(usage_error)?;
    let (sources, policy, catalogues) =
        setup(g, &cwd, as_of).map_err(|report| finish(g, &report, &Catalogues::builtin()))?;
    Ok(Start {
        cwd,
        as_of,
        sources,
        policy,
        catalogues,
    })
}

/// The paths to walk: those given, else the working directory.
fn or_here(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    }
}

/// `check`, and `audit` (the same with a live listing: probed, or read from a file).
fn check(g: &GlobalArgs, paths: &[PathBuf], audit: Option<&AuditArgs>) -> u8 {
    let Start {
        cwd,
        as_of,
        sources,
        policy,
        catalogues,
    } = match start(g) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let paths = &or_here(paths);
    let (mut files, failures) = engine::discover(paths, &policy, &cwd);
    if let Some(args) = audit {
        // A listing named like a definition file is not one.
        let same = |a: &Path, b: &Path| {
            a == b
                || std::fs::canonicalize(cwd.join(a)).ok()
                    == std::fs::canonicalize(cwd.join(b)).ok()
        };
        for listing in args.listing.iter().chain(&args.save_listing) {
            files.retain(|f| !same(f, listing));
        }
    }
    engine::LEAK_MODEL.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut options = engine::CheckOptions::new(as_of);
    options.apply_ignores = !g.no_ignores;
    // Formats that list every token, not only those with findings.
    options.inventory = matches!(g.format, OutputFormat::Junit | OutputFormat::Html);
    match read_baseline(g) {
        Ok(b) => options.baseline = b,
        Err(e) => return usage_error(e),
    }
    let mut sources = sources;
    let mut early = Report::empty(as_of);
    if let Some(args) = audit {
        match live::prepare(
            g,
            args,
            &files,
            &cwd,
            &mut sources,
            &policy,
            &catalogues,
            &options,
        ) {
            Ok((input, found)) => {
                options.live = input.map(std::sync::Arc::new);
                early.errors.extend(found.errors);
                early.failures.extend(found.failures);
            }
            Err(message) => return usage_error(message),
        }
    }
    let mut failures = failures;
    if let Some(args) = audit.filter(|a| !a.usage.is_empty()) {
        let (mut usage, usage_failures) = read_usage(!g.quiet, &args.usage, &cwd, &catalogues);
        failures.extend(usage_failures);
        usage.place(&mut sources);
        options.usage = Some(std::sync::Arc::new(usage));
    }
    let mut report = engine::check_files(&files, &cwd, sources, &policy, &catalogues, &options);
    report.errors.extend(early.errors);
    report.failures.extend(early.failures);
    if let Err(e) = write_baseline(g, &mut report) {
        return usage_error(e);
    }
    report.failures.extend(failures);
    if files.is_empty()
        && report.failures.is_empty()
        && matches!(g.format, OutputFormat::Human)
        && !g.quiet
    {
        eprintln!(
            "note: no token definition files found (include globs: {})",
            policy.include.join(", ")
        );
    }
    let code = finish(g, &report, &catalogues);
    // The process exits next: freeing a large report would only cost time.
    std::mem::forget(report);
    code
}

/// `suggest`: the least scopes per token from usage logs, as a report or a diff.
fn suggest(g: &GlobalArgs, logs: &[PathBuf], paths: &[PathBuf], diff: bool) -> u8 {
    use crate::usage::{edit, suggest};
    if !matches!(g.format, OutputFormat::Human | OutputFormat::Json) {
        return usage_error("`suggest` prints --format human or json");
    }
    let Start {
        cwd,
        as_of,
        sources,
        policy,
        catalogues,
    } = match start(g) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let paths = &or_here(paths);
    let (files, mut failures) = engine::discover(paths, &policy, &cwd);
    let (usage, usage_failures) = read_usage(!g.quiet && diff, logs, &cwd, &catalogues);
    failures.extend(usage_failures);
    let usage = std::sync::Arc::new(usage);
    let mut options = engine::CheckOptions::new(as_of);
    options.inventory = true;
    options.usage = Some(usage.clone());
    let report = engine::check_files(&files, &cwd, sources, &policy, &catalogues, &options);
    let (mut doc, plans) =
        suggest::suggest(&report.inventory, &report.sources, &usage, &catalogues);
    if diff {
        let (edited, skipped) = edit::apply(&plans, &report.sources);
        for s in &skipped {
            eprintln!(
                "note: {}: token `{}` not edited: {}",
                s.path, s.token, s.reason
            );
        }
        doc.diff = Some(edit::unified_diff(&edited));
    }
    let text = match g.format {
        OutputFormat::Json => suggest::render_json(&doc),
        _ => match &doc.diff {
            Some(d) => d.clone(),
            None => suggest::render_human(&doc),
        },
    };
    if let Err(e) = emit(g, &text) {
        return usage_error(e);
    }
    for f in report.failures.iter().chain(&failures) {
        eprintln!(
            "error: {}: {}",
            crate::redact::scrub(&f.path),
            crate::redact::scrub(&f.message)
        );
    }
    for e in &report.errors {
        let file = report.sources.get(e.span.file);
        let at = file.line_col(e.span.start as usize);
        eprintln!(
            "error: {}:{}:{}: {}",
            crate::redact::scrub(&file.display),
            at.line,
            at.column,
            crate::redact::scrub(&e.message)
        );
    }
    if report.incomplete() || !failures.is_empty() {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    }
}

fn list_rules(g: &GlobalArgs) -> u8 {
    let text = match g.format {
        OutputFormat::Json => {
            let rules: Vec<serde_json::Value> = REGISTRY
                .iter()
                .map(|r| {
                    let m = r.meta();
                    serde_json::json!({
                        "id": m.id,
                        "default_severity": m.default_severity.as_str(),
                        "summary": m.summary,
                        "options": m.options.iter().map(|o| serde_json::json!({"name": o.name, "default": o.default})).collect::<Vec<_>>(),
                        "implemented": true,
                    })
                })
                .chain(rules::PLANNED.iter().map(|(id, sev, summary)| {
                    serde_json::json!({"id": id, "default_severity": sev.as_str(), "summary": summary, "options": [], "implemented": false})
                }))
                .collect();
            let mut s = serde_json::to_string_pretty(&rules).expect("serialises");
            s.push('\n');
            s
        }
        _ => {
            let width = REGISTRY
                .iter()
                .map(|r| r.meta().id.len())
                .max()
                .unwrap_or(10);
            let mut s = String::new();
            for r in REGISTRY {
                let m = r.meta();
                s.push_str(&format!(
                    "{:width$}  {:7}  {}\n",
                    m.id,
                    m.default_severity.as_str(),
                    m.summary
                ));
            }
            if !rules::PLANNED.is_empty() {
                s.push_str("\nNot yet run by this version:\n");
                for (id, sev, summary) in rules::PLANNED {
                    s.push_str(&format!("{:width$}  {:7}  {}\n", id, sev.as_str(), summary));
                }
            }
            s.push_str("\n`scopeward explain ID` prints a rule's documentation.\n");
            s
        }
    };
    match emit(g, &text) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => usage_error(e),
    }
}

fn explain(g: &GlobalArgs, id: &str) -> u8 {
    let Some(rule) = rules::find(id) else {
        if let Some((id, sev, summary)) = rules::PLANNED.iter().find(|p| p.0 == id) {
            let text = format!(
                "# {id}\n\n{summary}\n\nDefault severity: {sev}\n\nThis version of scopeward does not run it yet.\n"
            );
            return match emit(g, &text) {
                Ok(()) => EXIT_CLEAN,
                Err(e) => usage_error(e),
            };
        }
        let hint = crate::did_you_mean::did_you_mean(id, rules::all_ids())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_else(|| "; `scopeward rules` lists them".into());
        return usage_error(format!("unknown rule `{id}`{hint}"));
    };
    let text = match g.format {
        OutputFormat::Json => {
            let m = rule.meta();
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "id": m.id,
                "default_severity": m.default_severity.as_str(),
                "summary": m.summary,
                "doc": rules::docs::explain_text(m),
            }))
            .expect("serialises");
            s.push('\n');
            s
        }
        _ => rules::docs::explain_text(rule.meta()),
    };
    match emit(g, &text) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => usage_error(e),
    }
}

fn catalogue(g: &GlobalArgs, ty: Option<AccountTypeArg>) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let as_of = Day(jiff::Zoned::now().date());
    let catalogues = match setup(g, &cwd, as_of) {
        Ok((_, _, c)) => c,
        Err(report) => return finish(g, &report, &Catalogues::builtin()),
    };
    let types: Vec<AccountType> = match ty {
        Some(AccountTypeArg::Brand) => vec![AccountType::Brand],
        Some(AccountTypeArg::Partner) => vec![AccountType::Partner],
        Some(AccountTypeArg::Agency) => vec![AccountType::Agency],
        None => AccountType::ALL.to_vec(),
    };
    let text = match g.format {
        OutputFormat::Json => {
            let docs: Vec<&crate::catalogue::CatalogueDoc> =
                types.iter().map(|t| &catalogues.get(*t).doc).collect();
            let mut s = if docs.len() == 1 {
                serde_json::to_string_pretty(docs[0])
            } else {
                serde_json::to_string_pretty(&docs)
            }
            .expect("serialises");
            s.push('\n');
            s
        }
        _ => {
            let mut s = String::new();
            for t in types {
                let c = catalogues.get(t);
                let versions: Vec<&str> =
                    c.doc.versions.iter().map(|v| v.version.as_str()).collect();
                s.push_str(&format!(
                    "{t} catalogue ({}): base path {}, API versions {} (latest {}), {} categories, {} scopes\n",
                    catalogues.origin[t as usize],
                    c.doc.base_path,
                    versions.join(", "),
                    c.doc.latest_version,
                    c.doc.categories.len(),
                    c.scope_count()
                ));
                let width = c
                    .doc
                    .categories
                    .iter()
                    .map(|c| c.id.len())
                    .max()
                    .unwrap_or(10);
                for cat in &c.doc.categories {
                    let reads = cat
                        .operations
                        .iter()
                        .filter(|o| o.access == Access::Read)
                        .count();
                    let writes = cat.operations.len() - reads;
                    s.push_str(&format!(
                        "  {:width$}  {:6}  read: {:2}  write: {:2}  {}\n",
                        cat.id,
                        cat.sensitivity.as_str(),
                        reads,
                        writes,
                        cat.name
                    ));
                }
                s.push('\n');
            }
            s
        }
    };
    match emit(g, &text) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => usage_error(e),
    }
}

fn schema(g: &GlobalArgs, kind: Option<crate::cli::SchemaKind>) -> u8 {
    let text = match kind {
        Some(k) => crate::schema::generate(k),
        None => {
            let mut s = String::from("Schemas (scopeward schema KIND):\n");
            for (_, name, what) in crate::schema::KINDS {
                s.push_str(&format!("  {name:10} {what}\n"));
            }
            s
        }
    };
    match emit(g, &text) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => usage_error(e),
    }
}

fn completions(g: &GlobalArgs, shell: crate::cli::Shell) -> u8 {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    let generator = match shell {
        crate::cli::Shell::Bash => clap_complete::Shell::Bash,
        crate::cli::Shell::Zsh => clap_complete::Shell::Zsh,
        crate::cli::Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(generator, &mut cmd, "scopeward", &mut out);
    match emit(g, &String::from_utf8_lossy(&out)) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => usage_error(e),
    }
}

fn man(g: &GlobalArgs) -> u8 {
    use clap::CommandFactory;
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut out) {
        return usage_error(format!("cannot render the man page: {e}"));
    }
    match emit(g, &String::from_utf8_lossy(&out)) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => usage_error(e),
    }
}

/// The starter policy `init` writes: every setting, commented.
const INIT_POLICY: &str = r#"# scopeward policy — see `scopeward rules` and `scopeward explain ID`.

# Definition files found under directory arguments.
include = ["**/*tokens*.yaml", "**/*tokens*.yml", "**/*tokens*.toml", "**/*tokens*.json"]

# The environments tokens may serve, each with its own limits.
[environments.development]
deny = ["*:write"]                       # no writes from development
# allowed_contact_domains = ["example.com"]

[environments.staging]
deny = ["*:write"]

[environments.production]
# allowed_contact_domains = ["example.com"]

# Rule severities (error | warning | info | off) and options.
[rules.unused-token]
days = 90

[rules.rotation-overdue]
days = 365

# Accepted findings, each with a reason; `expires` makes them come back.
# [[ignore]]
# rule = "legacy-token"
# token = "old-reporting"
# reason = "Migrating to a scoped token in Q1"
# expires = 2027-01-31
"#;

fn init_tokens(account_type: AccountType, latest: &str, example_scopes: &str) -> String {
    format!(
        r#"# impact.com API access tokens of this {account_type} account, declared as code.
# Never put an Auth Token here: name the environment variable that holds it (auth_token_env).
# `scopeward schema tokens` prints the full structure; `scopeward catalogue {account_type}` the scopes.
account:
  type: {account_type}
  name: My {account_type}

tokens:
  - name: example-integration-prod
    description: What this integration does, and who runs it
    environment: production
    # sid: IR...                      # the token's Account SID (an identifier, not the secret)
    # auth_token_env: MY_IMPACT_TOKEN  # for `scopeward audit --live`
    api_version: "{latest}"
    primary_contact: owner@example.com
    created: {today}
    last_used: never
    scopes: [{example_scopes}]
"#,
        today = jiff::Zoned::now().date(),
    )
}

fn init(account_type: AccountTypeArg, dir: Option<&Path>) -> u8 {
    let dir = dir.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let ty = match account_type {
        AccountTypeArg::Brand => AccountType::Brand,
        AccountTypeArg::Partner => AccountType::Partner,
        AccountTypeArg::Agency => AccountType::Agency,
    };
    let catalogues = Catalogues::builtin();
    let latest = catalogues.get(ty).doc.latest_version.clone();
    let scopes = match ty {
        AccountType::Brand => "conversions:write, campaigns:read",
        AccountType::Partner => "deals:read, promo-codes:read",
        AccountType::Agency => "reports:read",
    };
    let files = [
        (dir.join(crate::policy::FILE_NAME), INIT_POLICY.to_string()),
        (
            dir.join(format!("{ty}-tokens.yaml")),
            init_tokens(ty, &latest, scopes),
        ),
    ];
    // Refuse before writing anything, so a partial init never happens.
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return usage_error(format!(
            "{} already exist{}; init never overwrites",
            existing.join(" and "),
            if existing.len() == 1 { "s" } else { "" }
        ));
    }
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return usage_error(format!("cannot create {}: {e}", dir.display()));
    }
    for (path, text) in &files {
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            return usage_error(format!("cannot write {}: {e}", path.display()));
        }
        println!("wrote {}", path.display());
    }
    println!("next: edit the tokens, then run `scopeward check`");
    EXIT_CLEAN
}
