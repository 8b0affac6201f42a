//! `scopeward audit`: the definitions checked against evidence — a live listing (probed with
//! `--live`, or read from a saved file with `--listing`) and usage logs (`--usage`).

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use super::check::{Walked, conclude};
use super::{Start, check_options, or_here, read_usage, start, usage_error};
use crate::catalogue::Catalogues;
use crate::cli::{AuditArgs, GlobalArgs};
use crate::diag::Diagnostics;
use crate::engine::{self, Model};
use crate::live::probe::{self, Announce, ProbeOptions, ProbeOutcome, ProbeTarget};
use crate::live::stop::{self, Stop, StopReason};
use crate::live::{Listing, LiveInput, LiveState, UnprobedReason, inert};
use crate::redact::AuthToken;
use crate::source::{SourceFile, SourceMap, display_path};

/// Where findings about the listing point when it is not saved: the name `--save-listing`
/// would give it.
const UNSAVED_LISTING: &str = "live-listing.json";

pub(super) fn run(g: &GlobalArgs, args: &AuditArgs) -> u8 {
    let r = &args.report;
    let paths = or_here(&args.paths);
    let cap = args.input.max_filesize;
    let Start {
        cwd,
        as_of,
        mut sources,
        policy,
        catalogues,
    } = match start(g, r, &paths, cap) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut found = engine::discover(&paths, &policy, &cwd);
    // A listing named like a definition file is not one.
    let same = |a: &Path, b: &Path| {
        let real = |p: &Path| std::fs::canonicalize(cwd.join(p)).ok();
        // Two paths that cannot be resolved are not thereby the same file.
        a == b || real(a).is_some_and(|x| real(b) == Some(x))
    };
    for listing in args.listing.iter().chain(&args.save_listing) {
        found.files.retain(|f| !same(f, listing));
    }
    let mut diag = Diagnostics::default();
    let mut options = match check_options(r, &args.input, &policy, &found, as_of) {
        Ok(o) => o,
        Err(e) => return usage_error(e),
    };
    if !args.usage.is_empty() {
        let mut usage = read_usage(!g.quiet, &args.usage, &cwd, &catalogues, &policy, &mut diag);
        usage.place(&mut sources);
        options.usage = Some(std::sync::Arc::new(usage));
    }
    // An interrupted probing still reports, then exits as the signal asks (130, 143).
    let mut interrupted = None;
    let report = if args.live {
        // Who to probe comes from the loaded definitions; they are checked once, after.
        let mut model = engine::load(&found.files, &cwd, sources, &catalogues, &options);
        match probe_live(g, args, &cwd, &mut model, &catalogues, &mut diag) {
            Ok((live, signal)) => {
                options.live = Some(std::sync::Arc::new(live));
                interrupted = signal;
            }
            Err(message) => return usage_error(message),
        }
        engine::run(model, &policy, &catalogues, &options)
    } else {
        if let Some(path) = &args.listing {
            options.live = read_listing(path, &cwd, &mut sources, &catalogues, cap, &mut diag)
                .map(std::sync::Arc::new);
        }
        engine::check_files(&found.files, &cwd, sources, &policy, &catalogues, &options)
    };
    let walk = Walked {
        paths: &paths,
        cwd: &cwd,
        found: &found,
        allow_empty: args.input.allow_empty,
    };
    let code = conclude(g, r, report, diag, &walk, &policy, &catalogues);
    match interrupted {
        Some(signal) => (128 + signal).clamp(0, 255) as u8,
        None => code,
    }
}

/// `--listing FILE`: a saved listing, strictly read. Its problems go to `diag`.
fn read_listing(
    path: &Path,
    cwd: &Path,
    sources: &mut SourceMap,
    catalogues: &Catalogues,
    cap: u64,
    diag: &mut Diagnostics,
) -> Option<LiveInput> {
    let display = display_path(path, cwd);
    let (mut source, err) = engine::read_source(path, display.clone(), sources.next_id(), cap);
    if let Some(err) = err {
        if !path.exists() {
            diag.failure(display, "cannot read the listing: no such file");
        } else {
            sources.add(source);
            diag.error(err);
        }
        return None;
    }
    // A listing never holds a secret, but a hand-edited one might: mask before showing.
    source.redact_scanned();
    let id = sources.add(source);
    match Listing::parse(id, sources.get(id).text(), catalogues) {
        Ok(listing) => Some(LiveInput::new(listing, id)),
        Err(e) => {
            diag.error(e.scrubbed());
            None
        }
    }
}

/// `--live`: probes every declared token that can be, reports what happened, saves the listing
/// if asked, and returns it read back (so findings have spans in it), with the signal that
/// interrupted the probing, if one did. `Err` is a usage error.
fn probe_live(
    g: &GlobalArgs,
    args: &AuditArgs,
    cwd: &Path,
    model: &mut Model,
    catalogues: &Catalogues,
    diag: &mut Diagnostics,
) -> Result<(LiveInput, Option<i32>), String> {
    let api_base = probe::parse_api_base(&args.api_base)?;
    let targets = targets(g, model, catalogues, diag);
    if targets.is_empty() {
        // A live audit that can probe nothing checked nothing live: never a green run.
        diag.failure(
            args.api_base.clone(),
            "no declared token can be probed (each needs `sid` and `auth_token_env`, with the variable set): nothing was checked live",
        );
    }
    let opts = probe_options(g, args, api_base.clone())?;
    // A deadline beyond what a clock can hold is no deadline.
    let deadline = std::time::Instant::now().checked_add(args.deadline);
    let stop = std::sync::Arc::new(Stop::new(deadline));
    // From here a Ctrl-C or a CI job's SIGTERM stops the probing instead of the process.
    let _signals =
        stop::on_signals(stop.clone()).map_err(|e| format!("cannot watch for interrupts: {e}"))?;
    let outcome = probe::probe(&targets, catalogues, &opts, stop)?;
    report_outcome(g, args, model, catalogues, &targets, &outcome, diag);
    let signal = match outcome.stopped {
        Some(StopReason::Interrupted(signal)) => Some(signal),
        _ => None,
    };

    let base = api_base.as_str().trim_end_matches('/');
    // Whether the probing learnt anything at all: a state, a grant or a refusal.
    let learnt = outcome.tokens.iter().any(|t| {
        t.state.value != LiveState::Unknown || !t.granted.value.is_empty() || !t.refused.is_empty()
    });
    let listing = Listing::new(base, jiff::Timestamp::now(), outcome.tokens);
    let text = listing.render();
    let saved = match &args.save_listing {
        // A listing that learnt nothing never replaces one that did (a mistyped path, a
        // network that did not answer).
        Some(path) if !learnt && path.exists() => {
            diag.failure(
                display_path(path, cwd),
                "the probing learnt nothing: the existing listing is kept, not overwritten",
            );
            None
        }
        Some(path) => {
            if let Err(e) = write_atomically(path, &text) {
                return Err(format!(
                    "cannot write the listing to {}: {e}",
                    path.display()
                ));
            }
            Some(path.clone())
        }
        None => None,
    };
    let display = saved
        .as_deref()
        .map_or_else(|| UNSAVED_LISTING.to_string(), |p| display_path(p, cwd));
    let id = model
        .sources
        .add(SourceFile::new(display, saved, text.clone()));
    let listing = Listing::parse(id, &text, catalogues).map_err(|e| {
        format!(
            "internal error: the listing does not read back: {}",
            e.message
        )
    })?;
    Ok((LiveInput::new(listing, id), signal))
}

/// The declared tokens that have `sid` and `auth_token_env`, with their Auth Tokens from the
/// environment. Tokens whose variable is missing or empty are failures (exit 2), not probed.
fn targets(
    g: &GlobalArgs,
    model: &Model,
    catalogues: &Catalogues,
    diag: &mut Diagnostics,
) -> Vec<ProbeTarget> {
    let mut targets = Vec::new();
    let mut not_probed = Vec::new();
    for (file, t) in model.tokens(catalogues) {
        let doc = t.doc();
        let (Some(sid), Some(env)) = (&doc.sid, &doc.auth_token_env) else {
            not_probed.push(t.name().to_string());
            continue;
        };
        let env = env.value.as_str();
        let path = model.sources.get(file).display.clone();
        let why = match std::env::var(env) {
            Ok(value) if !value.trim().is_empty() => {
                targets.push(ProbeTarget {
                    name: t.name().to_string(),
                    sid: sid.value.trim().to_string(),
                    account_type: t.account.kind,
                    auth_token: AuthToken::new(value.trim().to_string()),
                    declared: t.token.effective,
                });
                continue;
            }
            Ok(_) => format!("the environment variable `{env}` (its auth_token_env) is empty"),
            Err(std::env::VarError::NotPresent) => {
                format!("the environment variable `{env}` (its auth_token_env) is not set")
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                format!("the environment variable `{env}` is not valid UTF-8")
            }
        };
        diag.failure(path, format!("token `{}`: {why}: not probed", t.name()));
    }
    if !not_probed.is_empty() && !g.quiet {
        let n = not_probed.len();
        let shown: Vec<String> = not_probed.iter().take(5).map(|n| inert(n, 80)).collect();
        note!(
            "note: {n} token{} without `sid` and `auth_token_env` not probed: {}{}",
            if n == 1 { "" } else { "s" },
            shown.join(", "),
            if n > 5 { ", …" } else { "" }
        );
    }
    targets
}

/// The probe's settings from the flags.
fn probe_options(
    g: &GlobalArgs,
    args: &AuditArgs,
    api_base: url::Url,
) -> Result<ProbeOptions, String> {
    let mut opts = ProbeOptions::new(api_base);
    opts.timeout = Duration::from_secs(args.timeout.max(1));
    opts.max_requests = args.max_requests;
    opts.concurrency = args.concurrency as usize;
    opts.max_wait = Duration::from_secs(args.max_wait);
    opts.backoff = Duration::from_millis(args.backoff_ms);
    opts.progress = std::io::stderr().is_terminal() && !g.quiet;
    // Long waits are said on standard error, terminal or CI log alike (not with --quiet).
    if !g.quiet {
        opts.announce = Announce(std::sync::Arc::new(|line: &str| note!("{line}")));
    }
    if let Some(path) = &args.ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| format!("--ca-cert {}: cannot read: {e}", path.display()))?;
        opts.extra_roots = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| format!("--ca-cert {}: no PEM certificate in it", path.display()))?;
    }
    Ok(opts)
}

/// What went wrong while probing becomes failures (exit 2); a summary goes to standard error.
fn report_outcome(
    g: &GlobalArgs,
    args: &AuditArgs,
    model: &Model,
    catalogues: &Catalogues,
    targets: &[ProbeTarget],
    outcome: &ProbeOutcome,
    diag: &mut Diagnostics,
) {
    for p in &outcome.problems {
        let path = model
            .tokens(catalogues)
            .find(|(_, t)| t.name() == p.token)
            .map_or_else(String::new, |(file, _)| {
                model.sources.get(file).display.clone()
            });
        diag.failure(path, p.to_string());
    }
    if let Some(message) = stopped_message(args, outcome) {
        diag.failure(args.api_base.clone(), message);
    }
    if g.quiet {
        return;
    }
    let mut states: Vec<String> = Vec::new();
    for state in [
        LiveState::Active,
        LiveState::Disabled,
        LiveState::Invalid,
        LiveState::Unknown,
    ] {
        let n = outcome
            .tokens
            .iter()
            .filter(|t| t.state.value == state)
            .count();
        if n > 0 {
            states.push(format!("{n} {}", state.as_str()));
        }
    }
    note!(
        "probed {} token{} with {} request{}{}",
        targets.len(),
        if targets.len() == 1 { "" } else { "s" },
        outcome.requests,
        if outcome.requests == 1 { "" } else { "s" },
        if states.is_empty() {
            String::new()
        } else {
            format!(": {}", states.join(", "))
        }
    );
}

/// Why the probing ended early, if it did, and what that left unprobed.
fn stopped_message(args: &AuditArgs, outcome: &ProbeOutcome) -> Option<String> {
    let count = |reason: UnprobedReason| -> usize {
        outcome
            .tokens
            .iter()
            .flat_map(|t| &t.unprobed)
            .filter(|u| u.reason == reason)
            .count()
    };
    let (why, reason) = match outcome.stopped {
        Some(StopReason::Interrupted(signal)) => (
            format!(
                "interrupted ({}): probing stopped",
                if signal == 15 { "SIGTERM" } else { "SIGINT" }
            ),
            UnprobedReason::Interrupted,
        ),
        Some(StopReason::Deadline) => (
            format!(
                "--deadline {} reached: probing stopped",
                jiff::SignedDuration::try_from(args.deadline)
                    .map_or_else(|_| format!("{:?}", args.deadline), |d| format!("{d:#}"))
            ),
            UnprobedReason::Deadline,
        ),
        Some(StopReason::Breaker) => (
            format!(
                "{} failed exchanges in a row with the API: probing stopped",
                stop::BREAKER_LIMIT
            ),
            UnprobedReason::Breaker,
        ),
        Some(StopReason::RateLimited) => (
            format!(
                "the API asks to wait longer than --max-wait {} s: probing stopped",
                args.max_wait
            ),
            UnprobedReason::RateLimited,
        ),
        None if outcome.budget_exhausted => (
            format!("--max-requests {} reached", args.max_requests.unwrap_or(0)),
            UnprobedReason::Budget,
        ),
        None => return None,
    };
    // The budget may run out before another stop, and the other way round: count both.
    let n = count(reason)
        + if reason == UnprobedReason::Budget {
            0
        } else {
            count(UnprobedReason::Budget)
        };
    Some(format!(
        "{why}: {n} categor{} not probed (listed as `unprobed`)",
        if n == 1 { "y" } else { "ies" }
    ))
}

/// Writes through a temporary file in the same directory, so a reader never sees half a file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "listing".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
