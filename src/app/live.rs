//! `audit --live` and `audit --listing`: get the live listing a run audits against.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::catalogue::Catalogues;
use crate::cli::{AuditArgs, GlobalArgs};
use crate::diag::Failure;
use crate::diag::InputError;
use crate::engine::{self, CheckOptions};
use crate::live::probe::{self, ProbeOptions, ProbeTarget};
use crate::live::{Listing, LiveInput, LiveState};
use crate::policy::Policy;
use crate::redact::AuthToken;
use crate::source::{SourceFile, SourceMap, display_path};

/// Problems found while getting the listing: reported with the run's findings (exit 2).
#[derive(Default)]
pub(super) struct Found {
    pub errors: Vec<InputError>,
    pub failures: Vec<Failure>,
}

/// Where findings about the listing point when it is not saved: the name `--save-listing`
/// would give it.
const UNSAVED_LISTING: &str = "live-listing.json";

/// Reads or takes the live listing. `Err` is a usage error (bad `--api-base`, say).
#[allow(clippy::too_many_arguments)]
pub(super) fn prepare(
    g: &GlobalArgs,
    args: &AuditArgs,
    files: &[PathBuf],
    cwd: &Path,
    sources: &mut SourceMap,
    policy: &Policy,
    catalogues: &Catalogues,
    options: &CheckOptions,
) -> Result<(Option<LiveInput>, Found), String> {
    let mut found = Found::default();
    if !args.live && args.listing.is_none() {
        return Ok((None, found));
    }
    if let Some(path) = &args.listing {
        let display = display_path(path, cwd);
        let (mut source, err) = engine::read_source(path, display.clone(), sources.next_id());
        if let Some(err) = err {
            if !path.exists() {
                found.failures.push(Failure {
                    path: display,
                    message: "cannot read the listing: no such file".into(),
                });
            } else {
                sources.add(source);
                found.errors.push(err);
            }
            return Ok((None, found));
        }
        // A listing never holds a secret, but a hand-edited one might: mask before showing.
        source.redact_scanned();
        let id = sources.add(source);
        return match Listing::parse(id, sources.get(id).text(), catalogues) {
            Ok(listing) => Ok((Some(LiveInput::new(listing, id)), found)),
            Err(e) => {
                found.errors.push(e.scrubbed());
                Ok((None, found))
            }
        };
    }

    // --live: who to probe, from the definitions.
    let api_base = probe::parse_api_base(&args.api_base)?;
    let mut first = options.clone();
    first.inventory = true;
    first.baseline = None;
    let declared = engine::check_files(files, cwd, sources.clone(), policy, catalogues, &first);
    let mut targets = Vec::new();
    let mut not_probed = Vec::new();
    for t in &declared.inventory {
        let (Some(sid), Some(env)) = (&t.sid, &t.auth_token_env) else {
            not_probed.push(t.name.clone());
            continue;
        };
        let path = declared.sources.get(t.file).display.clone();
        match std::env::var(env) {
            Ok(value) if !value.trim().is_empty() => targets.push(ProbeTarget {
                name: t.name.clone(),
                sid: sid.clone(),
                account_type: t.account_type,
                auth_token: AuthToken::new(value.trim().to_string()),
                declared: t.effective,
            }),
            Ok(_) => found.failures.push(Failure {
                path,
                message: format!(
                    "token `{}`: the environment variable `{env}` (its auth_token_env) is empty: not probed",
                    t.name
                ),
            }),
            Err(std::env::VarError::NotPresent) => found.failures.push(Failure {
                path,
                message: format!(
                    "token `{}`: the environment variable `{env}` (its auth_token_env) is not set: not probed",
                    t.name
                ),
            }),
            Err(std::env::VarError::NotUnicode(_)) => found.failures.push(Failure {
                path,
                message: format!(
                    "token `{}`: the environment variable `{env}` is not valid UTF-8: not probed",
                    t.name
                ),
            }),
        }
    }
    if !not_probed.is_empty() && !g.quiet {
        let n = not_probed.len();
        let shown: Vec<&str> = not_probed.iter().take(5).map(String::as_str).collect();
        eprintln!(
            "note: {n} token{} without `sid` and `auth_token_env` not probed: {}{}",
            if n == 1 { "" } else { "s" },
            shown.join(", "),
            if n > 5 { ", …" } else { "" }
        );
    }

    let mut opts = ProbeOptions::new(api_base.clone());
    opts.timeout = Duration::from_secs(args.timeout.max(1));
    opts.max_requests = args.max_requests;
    opts.concurrency = args.concurrency as usize;
    opts.max_wait = Duration::from_secs(args.max_wait);
    opts.backoff = Duration::from_millis(args.backoff_ms);
    opts.progress = std::io::stderr().is_terminal() && !g.quiet;
    if let Some(path) = &args.ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| format!("--ca-cert {}: cannot read: {e}", path.display()))?;
        opts.extra_roots = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| format!("--ca-cert {}: no PEM certificate in it", path.display()))?;
    }
    let outcome = probe::probe(&targets, catalogues, &opts)?;
    for p in &outcome.problems {
        let path = declared
            .inventory
            .iter()
            .find(|t| t.name == p.token)
            .map_or_else(String::new, |t| {
                declared.sources.get(t.file).display.clone()
            });
        found.failures.push(Failure {
            path,
            message: p.to_string(),
        });
    }
    if outcome.budget_exhausted {
        let unprobed: usize = outcome.tokens.iter().map(|t| t.unprobed.len()).sum();
        found.failures.push(Failure {
            path: args.api_base.clone(),
            message: format!(
                "--max-requests {} reached: {unprobed} categor{} not probed (listed as `unprobed`)",
                args.max_requests.unwrap_or(0),
                if unprobed == 1 { "y" } else { "ies" }
            ),
        });
    }
    if !g.quiet {
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
        eprintln!(
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

    let base = api_base.as_str().trim_end_matches('/');
    let listing = Listing::new(base, jiff::Timestamp::now(), outcome.tokens);
    let text = listing.render();
    let display = match &args.save_listing {
        Some(path) => {
            if let Err(e) = write_atomically(path, &text) {
                return Err(format!(
                    "cannot write the listing to {}: {e}",
                    path.display()
                ));
            }
            display_path(path, cwd)
        }
        None => UNSAVED_LISTING.to_string(),
    };
    let id = sources.add(SourceFile::new(
        display,
        args.save_listing.clone(),
        text.clone(),
    ));
    // Read back what was written, so findings have spans in it.
    let listing = Listing::parse(id, &text, catalogues).map_err(|e| {
        format!(
            "internal error: the listing does not read back: {}",
            e.message
        )
    })?;
    Ok((Some(LiveInput::new(listing, id)), found))
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
