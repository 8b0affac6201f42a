//! The pipeline of `check` and `audit`: find definition files, load them in parallel into a
//! [`Model`] (resolved against the catalogues), run the rules over it, filter, and collect one
//! [`Report`]. Nothing here prints.

pub mod discover;

pub use discover::{Discovery, discover};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::catalogue::{Catalogues, ScopeSet};
use crate::diag::InputError;
use crate::filter::{self, BaselineFile, FilterInput};
use crate::finding::Finding;
use crate::model::{AccountDoc, Day, Staged, TokenDoc, TokenStage, load_staged, scan_only};
use crate::policy::Policy;
use crate::report::{Report, TokenView};
use crate::rules::{Account, FileModel, REGISTRY, Rule, Run, Sink, Token, TokenRef};
use crate::source::{FileId, SourceFile, SourceMap, display_path, on_disk};
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
    /// Never free the checked model: the process exits after reporting (the CLI sets it).
    pub leak_model: bool,
    /// The size cap of each definition file (`--max-filesize`).
    pub max_filesize: u64,
    /// The name standard input (`-`) is shown under, and whose extension gives its format.
    pub stdin_name: Option<String>,
    /// Files named on the command line (sorted): one that is not a definition is an error;
    /// one found by walking is skipped.
    pub named: Vec<PathBuf>,
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
            leak_model: false,
            max_filesize: crate::source::DEFAULT_MAX_FILESIZE,
            stdin_name: None,
            named: Vec::new(),
        }
    }
}

/// Reads a file as UTF-8; invalid bytes become an error pointing at the first of them.
pub fn read_source(
    path: &Path,
    display: String,
    id: FileId,
    cap: u64,
) -> (SourceFile, Option<InputError>) {
    let (file, problem) = crate::source::read_file(path, display, cap);
    (file, problem.map(|p| p.into_error(id)))
}

/// Definition files loaded and resolved against their catalogues, not yet judged by the
/// policy's rules (except, on the fast path of [`check_files`], the token-level ones).
pub struct Model {
    pub sources: SourceMap,
    pub files: Vec<FileModel>,
    formats: HashMap<FileId, Format>,
    /// Input that could not be understood.
    pub errors: Vec<InputError>,
    /// Definition files read.
    pub files_read: usize,
    /// Files found by walking that are not definitions (no top-level `account` or `tokens`).
    pub skipped: Vec<String>,
    /// Findings of the token- and grant-level rules, when they ran while loading.
    token_findings: Option<Vec<Box<Finding>>>,
}

impl Model {
    /// Every token loaded, with its account and catalogue.
    pub fn tokens<'a>(
        &'a self,
        catalogues: &'a Catalogues,
    ) -> impl Iterator<Item = (FileId, TokenRef<'a>)> {
        self.files.iter().flat_map(move |f| {
            f.account.iter().flat_map(move |account| {
                let catalogue = catalogues.get(account.kind);
                f.tokens.iter().map(move |token| {
                    (
                        f.file,
                        TokenRef {
                            account,
                            token,
                            catalogue,
                        },
                    )
                })
            })
        })
    }
}

/// Loads and resolves definition files (in parallel); nothing is judged yet.
pub fn load(
    files: &[PathBuf],
    cwd: &Path,
    sources: SourceMap,
    catalogues: &Catalogues,
    options: &CheckOptions,
) -> Model {
    let read = file_reader(files, cwd, options);
    load_inputs(files.len(), sources, &Resolve { catalogues }, read, false)
}

/// [`load`] for documents held in memory: `(display name, text)`, the format taken from the
/// name's extension.
pub fn load_texts(docs: &[(&str, &str)], sources: SourceMap, catalogues: &Catalogues) -> Model {
    load_inputs(
        docs.len(),
        sources,
        &Resolve { catalogues },
        text_reader(docs),
        false,
    )
}

/// Judges a loaded model: every rule the policy enables and the inputs allow, then the filter
/// (ignores, baseline). The report holds what output needs.
pub fn run(
    model: Model,
    policy: &Policy,
    catalogues: &Catalogues,
    options: &CheckOptions,
) -> Report {
    let rules = RuleSet::new(policy, catalogues, options);
    finish(model, &rules, options)
}

/// Loads, resolves and checks the given definition files: [`load`] then [`run`], with the
/// token-level rules run on the worker that converted each token, while parsing goes on.
pub fn check_files(
    files: &[PathBuf],
    cwd: &Path,
    sources: SourceMap,
    policy: &Policy,
    catalogues: &Catalogues,
    options: &CheckOptions,
) -> Report {
    let rules = RuleSet::new(policy, catalogues, options);
    let read = file_reader(files, cwd, options);
    let model = load_inputs(files.len(), sources, &rules, read, true);
    finish(model, &rules, options)
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
    let rules = RuleSet::new(policy, catalogues, options);
    let model = load_inputs(docs.len(), sources, &rules, text_reader(docs), true);
    finish(model, &rules, options)
}

/// Reads input `i` as file `id`: its source, format, a problem reading it, and whether it was
/// named on the command line.
type Reader<'a> =
    Box<dyn Fn(usize, FileId) -> (SourceFile, Format, Option<InputError>, bool) + Sync + 'a>;

fn file_reader<'a>(files: &'a [PathBuf], cwd: &'a Path, options: &'a CheckOptions) -> Reader<'a> {
    Box::new(move |i, id| {
        let rel = &files[i];
        let (display, format) = if crate::source::is_stdin(rel) {
            let name = options
                .stdin_name
                .as_deref()
                .unwrap_or(crate::source::STDIN_NAME);
            (name.to_string(), Format::from_path(Path::new(name)))
        } else {
            (display_path(rel, Path::new("")), Format::from_path(rel))
        };
        // A stream named without an extension (`<(…)`, `/dev/stdin`) is read as YAML, which
        // JSON documents also are.
        let format = format.unwrap_or(Format::Yaml);
        let path = if crate::source::is_stdin(rel) {
            rel.clone()
        } else {
            on_disk(cwd, rel)
        };
        let (source, err) = read_source(&path, display, id, options.max_filesize);
        let named = options.named.binary_search(rel).is_ok();
        (source, format, err, named)
    })
}

fn text_reader<'a>(docs: &'a [(&'a str, &'a str)]) -> Reader<'a> {
    Box::new(move |i, _| {
        let (name, text) = docs[i];
        let format = Format::from_path(Path::new(name)).unwrap_or(Format::Yaml);
        (SourceFile::new(name, None, text), format, None, true)
    })
}

/// What happens to each batch of converted tokens: resolved, and (on the fast path) checked.
type Converted = (Vec<Token>, Vec<Box<Finding>>);

/// Reads `count` inputs in parallel and loads them through `stage`. `checked`: the stage ran
/// the token-level rules.
fn load_inputs<S: TokenStage<Output = Converted>>(
    count: usize,
    mut sources: SourceMap,
    stage: &S,
    read: Reader<'_>,
    checked: bool,
) -> Model {
    let base = sources.next_id().0;
    let loaded: Vec<(SourceFile, Staged<Converted>, Option<InputError>, bool)> = (0..count)
        .into_par_iter()
        .map(|i| {
            let id = FileId(base + i as u32);
            let (source, format, err, named) = read(i, id);
            let staged = match err {
                None => load_staged(id, format, source.text(), stage),
                // Unreadable as UTF-8: not checked, but still searched for secrets, so that
                // none is shown in the diagnostic's snippet.
                Some(_) => scan_only(id, format, source.text()),
            };
            (source, staged, err, named)
        })
        .collect();
    let mut model = Model {
        files_read: loaded.len(),
        files: Vec::with_capacity(loaded.len()),
        formats: HashMap::new(),
        errors: Vec::new(),
        token_findings: checked.then(Vec::new),
        sources: SourceMap::new(),
        skipped: Vec::new(),
    };
    for (mut source, mut staged, err, named) in loaded {
        let id = sources.next_id();
        if staged.not_definition {
            if named && staged.not_a_table {
                // Its one error already says what the file is.
            } else if named {
                // One error for the file, not one per key.
                staged.errors = vec![
                    InputError::new(
                        crate::source::Span::new(id, 0, 0),
                        "not a token definition file: it has neither `account` nor `tokens` at the top level",
                    )
                    .with_help("a definition file has `account` and `tokens`: see `scopeward schema tokens`"),
                ];
            } else if staged.secrets.is_empty() {
                // Some other file the include globs match: skipped, counted.
                model.skipped.push(source.display.clone());
                sources.add(source);
                continue;
            } else {
                // Not a definition, but it holds a secret: that is still reported.
                staged.errors.clear();
            }
        }
        model.formats.insert(id, staged.format);
        for hit in &staged.secrets {
            source.redact(hit.value_span.start as usize, hit.value_span.end as usize);
        }
        model.errors.extend(staged.errors);
        // Sized once: doubling a vector of 100,000 tokens holds it twice while it copies.
        let mut tokens = Vec::with_capacity(staged.outputs.iter().map(|(_, (t, _))| t.len()).sum());
        if let Some(found) = &mut model.token_findings {
            found.reserve(staged.outputs.iter().map(|(_, (_, f))| f.len()).sum());
        }
        for (_, (t, f)) in staged.outputs {
            tokens.extend(t);
            if let Some(found) = &mut model.token_findings {
                found.extend(f);
            }
        }
        model.files.push(FileModel {
            file: id,
            account: staged.account.as_ref().map(Account::from_doc),
            tokens,
            secrets: staged.secrets,
        });
        model.errors.extend(err);
        sources.add(source);
    }
    model.sources = sources;
    model
}

/// Resolves each batch of tokens against its catalogue.
struct Resolve<'a> {
    catalogues: &'a Catalogues,
}

impl TokenStage for Resolve<'_> {
    type Output = Converted;

    fn process(&self, account: &AccountDoc, docs: Vec<(usize, Box<TokenDoc>)>) -> Converted {
        let catalogue = self.catalogues.get(account.kind.value);
        let tokens = docs
            .into_iter()
            .map(|(index, doc)| Token::resolve(index, doc, catalogue))
            .collect();
        (tokens, Vec::new())
    }
}

/// The rules of one run (those the policy enables and the inputs allow) with what they read.
/// As a [`TokenStage`], it resolves each token and runs the token- and grant-level rules on the
/// worker that converted it.
struct RuleSet<'a> {
    run: Run<'a>,
    rules: Vec<&'static dyn Rule>,
}

impl<'a> RuleSet<'a> {
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
        RuleSet {
            run,
            rules: REGISTRY
                .iter()
                .copied()
                .filter(|r| policy.enabled(r.meta()) && inputs.satisfy(r.meta().needs))
                .collect(),
        }
    }

    /// Runs the token- and grant-level hooks on some tokens of one account.
    fn check_tokens(&self, account: &Account, tokens: &[Token], sink: &mut Sink<'_>) {
        let catalogue = self.run.catalogues.get(account.kind);
        for token in tokens {
            let t = TokenRef {
                account,
                token,
                catalogue,
            };
            for r in &self.rules {
                r.check_token(&self.run, t, sink);
                for g in &token.grants {
                    r.check_grant(&self.run, t, g, sink);
                }
            }
        }
    }
}

impl TokenStage for RuleSet<'_> {
    type Output = Converted;

    fn process(&self, account: &AccountDoc, docs: Vec<(usize, Box<TokenDoc>)>) -> Converted {
        let (tokens, _) = Resolve {
            catalogues: self.run.catalogues,
        }
        .process(account, docs);
        let mut sink = Sink::new(self.run.policy);
        self.check_tokens(&Account::from_doc(account), &tokens, &mut sink);
        (tokens, sink.into_findings())
    }
}

fn finish(model: Model, rules: &RuleSet<'_>, options: &CheckOptions) -> Report {
    let Model {
        sources,
        files,
        formats,
        mut errors,
        files_read,
        token_findings,
        skipped,
    } = model;
    let run = Run {
        files,
        ..rules.run.clone_empty()
    };
    let mut findings = match token_findings {
        Some(found) => found,
        // Loaded without the rules: run the token-level ones now, file by file in parallel.
        None => run
            .files
            .par_iter()
            .flat_map_iter(|f| {
                let mut sink = Sink::new(run.policy);
                if let Some(account) = &f.account {
                    rules.check_tokens(account, &f.tokens, &mut sink);
                }
                sink.into_findings()
            })
            .collect(),
    };
    findings.extend(run_file_rules(&run, &rules.rules));
    if let Some(live) = run.live {
        findings.extend(check_observed(&run, live, &rules.rules));
    }
    let tokens = run.token_count();
    let filtered = filter::apply(
        findings,
        &FilterInput {
            sources: &sources,
            files: &run.files,
            formats: &formats,
            policy: rules.run.policy,
            as_of: options.as_of,
            apply_ignores: options.apply_ignores,
            baseline: options.baseline.as_deref(),
            inputs: run.inputs(),
        },
    );
    errors.extend(filtered.errors);
    let files = run.files;
    // The rules and filters are done with the tokens: the inventory takes their text rather
    // than copying it (100,000 tokens' names, scopes and SIDs held twice otherwise), and the
    // rest of each token is freed as soon as its text is taken, so that the two are never
    // held whole together, nor the tokens while the inventory is rendered.
    let inventory = if options.inventory {
        into_inventory(files)
    } else {
        if options.leak_model {
            // The model is large and the process is about to report and exit: freeing it
            // would only cost time (`Report` keeps only what output needs).
            std::mem::forget(files);
        }
        Vec::new()
    };

    let mut report = Report {
        sources,
        findings: filtered.active,
        suppressed: filtered.suppressed,
        baseline: filtered.baseline,
        inventory,
        errors,
        failures: Vec::new(),
        files: files_read - skipped.len(),
        skipped,
        tokens,
        as_of: options.as_of,
        scan: None,
    };
    sort_report(&mut report);
    report
}

fn into_inventory(files: Vec<FileModel>) -> Vec<TokenView> {
    use std::mem::take;
    let mut out = Vec::with_capacity(files.iter().map(|f| f.tokens.len()).sum());
    for f in files {
        let Some(account) = &f.account else { continue };
        for mut t in f.tokens {
            let t = &mut t;
            let state = t.state();
            let doc = &mut *t.doc;
            out.push(TokenView {
                file: f.file,
                account_type: account.kind,
                account_name: account.name.as_ref().map(|n| n.value.clone()),
                name: take(&mut doc.name.value),
                name_span: doc.name.span,
                environments: t
                    .environments
                    .iter_mut()
                    .map(|e| take(&mut e.value))
                    .collect(),
                state,
                legacy: doc.legacy.as_ref().map(|l| l.value),
                effective: t.effective,
                sid: doc.sid.as_ref().map(|s| s.value.trim().to_string()),
                auth_token_env: doc.auth_token_env.as_mut().map(|s| take(&mut s.value)),
                grants: std::mem::take(&mut t.grants)
                    .into_iter()
                    .map(|g| (g.text, g.resolved))
                    .collect(),
                scopes_span: t.scopes_span,
                legacy_span: doc.legacy.as_ref().map(|l| l.span),
                span: doc.span,
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
) -> Vec<Box<Finding>> {
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

/// Runs the file-level and whole-run hooks of the rules (token-level ones ran in the stage).
fn run_file_rules(run: &Run<'_>, rules: &[&'static dyn Rule]) -> Vec<Box<Finding>> {
    let mut findings: Vec<Box<Finding>> = run
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
