//! `check`: find definition files, load them in parallel, resolve, run the rules, and collect
//! one report. Nothing here prints.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::catalogue::{Catalogues, ScopeSet};
use crate::diag::InputError;
use crate::diag::{Failure, io_reason};
use crate::filter::{self, BaselineFile, FilterInput};
use crate::finding::Finding;
use crate::model::{AccountDoc, Day, Staged, TokenDoc, TokenStage, load_staged, scan_only};
use crate::policy::Policy;
use crate::report::{Report, TokenView};
use crate::rules::{Account, FileModel, REGISTRY, Rule, Run, Sink, Token, TokenRef};
use crate::source::{FileId, SourceFile, SourceMap, Span, display_path};
use crate::tree::Format;

/// How to check, beyond what the policy says.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub as_of: Day,
    /// `false` with `--no-ignores`: every finding shows.
    pub apply_ignores: bool,
    /// Findings it lists are suppressed.
    pub baseline: Option<std::sync::Arc<BaselineFile>>,
    /// Collect `Report::inventory`.
    pub inventory: bool,
    /// A live listing to audit the definitions against (its source is in the run's map).
    pub live: Option<std::sync::Arc<crate::live::LiveInput>>,
    /// Usage logs (`--usage`): rules that need them run only when they are here.
    pub usage: Option<std::sync::Arc<crate::usage::Usage>>,
}

impl CheckOptions {
    pub fn new(as_of: Day) -> Self {
        CheckOptions {
            as_of,
            apply_ignores: true,
            baseline: None,
            inventory: false,
            live: None,
            usage: None,
        }
    }
}

/// Finds token definition files: explicit files as given, directories walked with the policy's
/// include globs, respecting `.gitignore`. Sorted and de-duplicated.
pub fn discover(paths: &[PathBuf], policy: &Policy, cwd: &Path) -> (Vec<PathBuf>, Vec<Failure>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for arg in paths {
        let full = if arg.is_absolute() {
            arg.clone()
        } else {
            cwd.join(arg)
        };
        let meta = match std::fs::metadata(&full) {
            Ok(m) => m,
            Err(e) => {
                failures.push(Failure {
                    path: arg.display().to_string(),
                    message: format!("cannot read: {}", io_reason(&e)),
                });
                continue;
            }
        };
        if meta.is_file() {
            if Format::from_path(arg).is_none() {
                failures.push(Failure {
                    path: arg.display().to_string(),
                    message: "not a token definition file: expected .yaml, .yml, .toml or .json"
                        .into(),
                });
            } else {
                files.push(arg.clone());
            }
            continue;
        }
        let walker = ignore::WalkBuilder::new(&full)
            .hidden(true)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_path(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    if !entry.file_type().is_some_and(|t| t.is_file()) {
                        continue;
                    }
                    let rel = entry.path().strip_prefix(&full).unwrap_or(entry.path());
                    if policy.include_set.is_match(rel) && Format::from_path(entry.path()).is_some()
                    {
                        let shown = if arg.as_os_str() == "." {
                            rel.to_path_buf()
                        } else {
                            arg.join(rel)
                        };
                        files.push(shown);
                    }
                }
                Err(e) => failures.push(Failure {
                    path: arg.display().to_string(),
                    message: format!("cannot walk: {e}"),
                }),
            }
        }
    }
    files.sort();
    files.dedup();
    (files, failures)
}

/// Reads a file as UTF-8; invalid bytes become an error pointing at the first of them.
pub fn read_source(path: &Path, display: String, id: FileId) -> (SourceFile, Option<InputError>) {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => (
                SourceFile::new(display, Some(path.to_path_buf()), text),
                None,
            ),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                // The valid prefix is unchanged; the first bad byte becomes U+FFFD.
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let file = SourceFile::new(display, Some(path.to_path_buf()), text);
                let end = at + '\u{FFFD}'.len_utf8();
                let err = InputError::new(Span::new(id, at, end), "the file is not valid UTF-8")
                    .with_help("save it as UTF-8");
                (file, Some(err))
            }
        },
        Err(e) => {
            let file = SourceFile::new(display, Some(path.to_path_buf()), "");
            let err = InputError::new(
                Span::new(id, 0, 0),
                format!("cannot read the file: {}", io_reason(&e)),
            );
            (file, Some(err))
        }
    }
}

/// Loads, resolves and checks the given definition files.
pub fn check_files(
    files: &[PathBuf],
    cwd: &Path,
    sources: SourceMap,
    policy: &Policy,
    catalogues: &Catalogues,
    options: &CheckOptions,
) -> Report {
    let stage = RuleStage::new(policy, catalogues, options);
    check_inputs(files.len(), sources, &stage, options, |i, id| {
        let rel = &files[i];
        let full = if rel.is_absolute() {
            rel.clone()
        } else {
            cwd.join(rel)
        };
        let format = Format::from_path(rel).unwrap_or(Format::Yaml);
        let (source, err) = read_source(&full, display_path(rel, Path::new("")), id);
        (source, format, err)
    })
}

/// Checks definition documents held in memory: `(display name, text)`, the format taken
/// from the name's extension. For tests and embedding.
pub fn check_texts(
    docs: &[(&str, &str)],
    sources: SourceMap,
    policy: &Policy,
    catalogues: &Catalogues,
    as_of: Day,
) -> Report {
    check_texts_with(docs, sources, policy, catalogues, &CheckOptions::new(as_of))
}

/// [`check_texts`] with every option.
pub fn check_texts_with(
    docs: &[(&str, &str)],
    sources: SourceMap,
    policy: &Policy,
    catalogues: &Catalogues,
    options: &CheckOptions,
) -> Report {
    let stage = RuleStage::new(policy, catalogues, options);
    check_inputs(docs.len(), sources, &stage, options, |i, _| {
        let (name, text) = docs[i];
        let format = Format::from_path(Path::new(name)).unwrap_or(Format::Yaml);
        (SourceFile::new(name, None, text), format, None)
    })
}

/// Reads `count` inputs in parallel with `read` (which gets each input's index and file id)
/// and checks them.
fn check_inputs(
    count: usize,
    sources: SourceMap,
    stage: &RuleStage<'_>,
    options: &CheckOptions,
    read: impl Fn(usize, FileId) -> (SourceFile, Format, Option<InputError>) + Sync,
) -> Report {
    let base = sources.next_id().0;
    let loaded: Vec<Loaded> = (0..count)
        .into_par_iter()
        .map(|i| {
            let id = FileId(base + i as u32);
            let (source, format, err) = read(i, id);
            let staged = match err {
                None => load_staged(id, format, source.text(), stage),
                // Unreadable as UTF-8: not checked, but still searched for secrets, so that
                // none is shown in the diagnostic's snippet.
                Some(_) => scan_only(id, format, source.text()),
            };
            (source, Some(staged), err)
        })
        .collect();
    finish_check(loaded, sources, stage, options)
}

/// The per-token part of checking: resolve each token against its catalogue and run the
/// token- and grant-level rules, on the worker that converted it, while parsing goes on.
struct RuleStage<'a> {
    run: Run<'a>,
    rules: Vec<&'static dyn Rule>,
}

impl<'a> RuleStage<'a> {
    fn new(policy: &'a Policy, catalogues: &'a Catalogues, options: &'a CheckOptions) -> Self {
        let run = Run {
            catalogues,
            policy,
            as_of: options.as_of,
            files: Vec::new(),
            identity: Default::default(),
            memo: Default::default(),
            live: options.live.as_deref(),
            usage: options.usage.as_deref(),
        };
        let inputs = run.inputs();
        RuleStage {
            run,
            rules: REGISTRY
                .iter()
                .copied()
                .filter(|r| policy.enabled(r.meta()) && inputs.satisfy(r.meta().needs))
                .collect(),
        }
    }
}

impl TokenStage for RuleStage<'_> {
    type Output = (Vec<Token>, Vec<Finding>);

    fn process(&self, account: &AccountDoc, docs: Vec<(usize, Box<TokenDoc>)>) -> Self::Output {
        let account = Account::from_doc(account);
        let catalogue = self.run.catalogues.get(account.kind);
        let tokens: Vec<Token> = docs
            .into_iter()
            .map(|(index, doc)| Token::resolve(index, doc, catalogue))
            .collect();
        let mut sink = Sink::new(self.run.policy);
        for token in &tokens {
            let t = TokenRef {
                account: &account,
                token,
                catalogue,
            };
            for r in &self.rules {
                r.check_token(&self.run, t, &mut sink);
                for g in &token.grants {
                    r.check_grant(&self.run, t, g, &mut sink);
                }
            }
        }
        (tokens, sink.into_findings())
    }
}

type Loaded = (
    SourceFile,
    Option<Staged<(Vec<Token>, Vec<Finding>)>>,
    Option<InputError>,
);

fn finish_check(
    loaded: Vec<Loaded>,
    mut sources: SourceMap,
    stage: &RuleStage<'_>,
    options: &CheckOptions,
) -> Report {
    let files_checked = loaded.len();
    let mut errors = Vec::new();
    let mut findings = Vec::new();
    let mut models = Vec::with_capacity(loaded.len());
    let mut formats = std::collections::HashMap::new();
    for (mut source, staged, err) in loaded {
        let id = sources.next_id();
        if let Some(staged) = staged {
            formats.insert(id, staged.format);
            for hit in &staged.secrets {
                source.redact(hit.value_span.start as usize, hit.value_span.end as usize);
            }
            errors.extend(staged.errors);
            let mut tokens = Vec::new();
            for (_, (t, f)) in staged.outputs {
                tokens.extend(t);
                findings.extend(f);
            }
            models.push(FileModel {
                file: id,
                account: staged.account.as_ref().map(Account::from_doc),
                tokens,
                secrets: staged.secrets,
            });
        }
        errors.extend(err);
        sources.add(source);
    }

    let run = Run {
        files: models,
        ..stage.run.clone_empty()
    };
    findings.extend(run_file_rules(&run, &stage.rules));
    if let Some(live) = run.live {
        findings.extend(check_observed(&run, live, &stage.rules));
    }
    let tokens = run.token_count();
    let inventory = if options.inventory {
        inventory(&run)
    } else {
        Vec::new()
    };
    let filtered = filter::apply(
        findings,
        &FilterInput {
            sources: &sources,
            files: &run.files,
            formats: &formats,
            policy: stage.run.policy,
            as_of: options.as_of,
            apply_ignores: options.apply_ignores,
            baseline: options.baseline.as_deref(),
            inputs: run.inputs(),
        },
    );
    errors.extend(filtered.errors);
    // The model is large and the process is about to report and exit: the CLI leaks it rather
    // than spend time freeing it (`Report` keeps only what output needs).
    if LEAK_MODEL.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(run);
    }

    let mut report = Report {
        sources,
        findings: filtered.active,
        suppressed: filtered.suppressed,
        baseline: filtered.baseline,
        inventory,
        errors,
        failures: Vec::new(),
        files: files_checked,
        tokens,
        as_of: stage.run.as_of,
        scan: None,
    };
    sort_report(&mut report);
    report
}

fn inventory(run: &Run<'_>) -> Vec<TokenView> {
    let mut out = Vec::with_capacity(run.token_count());
    for f in &run.files {
        let Some(account) = &f.account else { continue };
        for t in &f.tokens {
            out.push(TokenView {
                file: f.file,
                account_type: account.kind,
                account_name: account.name.as_ref().map(|n| n.value.clone()),
                name: t.name().to_string(),
                name_span: t.doc.name.span,
                environments: t.environments.iter().map(|e| e.value.clone()).collect(),
                state: t.state(),
                legacy: t.doc.legacy.as_ref().map(|l| l.value),
                effective: t.effective,
                sid: t.doc.sid.as_ref().map(|s| s.value.trim().to_string()),
                auth_token_env: t.doc.auth_token_env.as_ref().map(|s| s.value.clone()),
                grants: t
                    .grants
                    .iter()
                    .map(|g| (g.text.clone(), g.resolved))
                    .collect(),
                scopes_span: t.scopes_span,
                legacy_span: t.doc.legacy.as_ref().map(|l| l.span),
                span: t.doc.span,
            });
        }
    }
    out
}

/// Runs the rules marked `on_observed` on what listed tokens really hold, for tokens no
/// definition declares and tokens that can read more than declared. Findings point into the
/// listing.
fn check_observed(
    run: &Run<'_>,
    live: &crate::live::LiveInput,
    rules: &[&'static dyn Rule],
) -> Vec<Finding> {
    let declared: std::collections::HashMap<&str, ScopeSet> = run
        .tokens()
        .filter_map(|t| Some((t.doc().sid.as_ref()?.value.as_str(), t.token.effective)))
        .collect();
    let rules: Vec<_> = rules.iter().filter(|r| r.meta().on_observed).collect();
    let mut sink = Sink::new(run.policy);
    for listed in &live.listing.tokens {
        let cat = run.catalogues.get(listed.account_type.value);
        let granted = listed.granted_set(cat);
        if declared
            .get(listed.sid.value.as_str())
            .is_some_and(|d| d.is_superset(granted))
        {
            continue;
        }
        let account = Account {
            kind: listed.account_type.value,
            kind_span: listed.account_type.span,
            name: None,
        };
        let token = Token::resolve(0, Box::new(crate::live::observed_doc(listed, cat)), cat);
        let t = TokenRef {
            account: &account,
            token: &token,
            catalogue: cat,
        };
        for r in &rules {
            r.check_token(run, t, &mut sink);
        }
    }
    sink.into_findings()
}

/// Set by the CLI: skip freeing the checked model at the end of a run.
pub static LEAK_MODEL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs the file-level and whole-run hooks of the rules (token-level ones ran in the stage).
fn run_file_rules(run: &Run<'_>, rules: &[&'static dyn Rule]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = run
        .files
        .par_iter()
        .flat_map_iter(|file| {
            let mut sink = Sink::new(run.policy);
            for r in rules {
                r.check_file(run, file, &mut sink);
            }
            sink.into_findings()
        })
        .collect();
    let mut sink = Sink::new(run.policy);
    for r in rules {
        r.check_run(run, &mut sink);
    }
    findings.extend(sink.into_findings());
    findings
}

fn sort_report(report: &mut Report) {
    report.findings.sort_by(|a, b| {
        (a.location.map(|s| (s.file, s.start)), a.rule.id, &a.message).cmp(&(
            b.location.map(|s| (s.file, s.start)),
            b.rule.id,
            &b.message,
        ))
    });
    report.errors.sort_by_key(|e| (e.span.file, e.span.start));
}
