//! Loads one token definition file: parse to a spanned tree, lift out secret-bearing keys (they
//! become findings, never errors, and their values are masked in every rendering), then
//! deserialise the account and each token separately, so one bad token does not hide the rest.
//!
//! Tokens are converted in parallel: YAML tokens while the rest of the file is still being
//! parsed (the parser hands each finished token over), TOML and JSON tokens after parsing.

use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;

use crate::diag::InputError;
use crate::redact;
use crate::source::{FileId, Span};
use crate::tree::de::from_node;
use crate::tree::{Entry, Format, Kind, Node, ParseError, parse, yaml};

use super::types::{AccountDoc, TokenDoc, TokenFileDoc};

/// `SecretHit::key` of a key that is itself shaped like an Auth Token.
pub const KEY_SHAPED: &str = "(key)";

/// A secret found in a definition file: its value is never kept, only where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretHit {
    /// The key that carried it (`auth_token`), or the key of the field whose value looks secret.
    pub key: String,
    pub value_span: Span,
    pub path: String,
    /// Index of the token it sits in, if any.
    pub token: Option<usize>,
    /// The value, redacted (first four characters and `…`).
    pub redacted: String,
    /// True when the key names a secret; false when the value's shape gave it away.
    pub by_key: bool,
}

/// Everything learnt from one file.
#[derive(Debug)]
pub struct LoadedFile {
    pub format: Format,
    pub account: Option<AccountDoc>,
    /// Tokens that loaded, with their index in the file, in file order.
    pub tokens: Vec<(usize, Box<TokenDoc>)>,
    pub secrets: Vec<SecretHit>,
    pub errors: Vec<InputError>,
}

/// What happens to tokens once they are converted and their account is known. The engine
/// resolves and checks them right there, on the worker that converted them, while the parser
/// goes on with the rest of the file.
pub trait TokenStage: Sync {
    type Output: Send;
    fn process(&self, account: &AccountDoc, tokens: Vec<(usize, Box<TokenDoc>)>) -> Self::Output;
}

/// The stage that keeps the tokens as they are.
pub struct Keep;

impl TokenStage for Keep {
    type Output = Vec<(usize, Box<TokenDoc>)>;
    fn process(&self, _: &AccountDoc, tokens: Vec<(usize, Box<TokenDoc>)>) -> Self::Output {
        tokens
    }
}

/// Everything learnt from one file, with what the stage made of its tokens.
#[derive(Debug)]
pub struct Staged<O> {
    pub format: Format,
    pub account: Option<AccountDoc>,
    /// The stage's outputs with the index of their first token, in file order. Empty when the
    /// account could not be read (tokens of an unknown account type cannot be checked).
    pub outputs: Vec<(usize, O)>,
    pub secrets: Vec<SecretHit>,
    pub errors: Vec<InputError>,
    /// Whether the text parsed as YAML, TOML or JSON at all.
    pub parsed: bool,
    /// It parsed, but has neither a top-level `account` nor `tokens`: some other file that
    /// happens to match the include globs (design tokens, a tokenizer map, a schema).
    pub not_definition: bool,
    /// Its top level is not a table at all (already said by the one error it has).
    pub not_a_table: bool,
}

/// What converting one token gave.
struct Converted {
    index: usize,
    token: Result<Box<TokenDoc>, Vec<InputError>>,
    secrets: Vec<SecretHit>,
}

fn convert_token(index: usize, mut node: Node<'_>) -> Converted {
    let mut secrets = Vec::new();
    let tokens = Path::Key(&Path::Root, "tokens");
    collect_secrets(
        &mut node,
        Path::Index(&tokens, index),
        Some(index),
        &mut secrets,
    );
    let at = format!("tokens[{index}]");
    let mut errors = take_unknown_keys(&mut node, TokenDoc::KEYS, &at);
    let token = match from_node::<TokenDoc>(&node) {
        Ok(mut t) if errors.is_empty() => {
            t.span = Some(node.span);
            Ok(Box::new(t))
        }
        Ok(_) => Err(errors),
        Err(e) => {
            let e = InputError::from_de(e.under(&at), node.span);
            // A required key reported missing because it was misspelled is said once.
            if !(e.message.starts_with("missing required key") && suggested(&errors, &e.message)) {
                errors.push(e);
            }
            Err(errors)
        }
    };
    Converted {
        index,
        token,
        secrets,
    }
}

/// Removes the keys of a table that `known` does not list, one error each (with a
/// did-you-mean), so that every unknown key of a token is reported in one run and the rest of
/// it is still read.
fn take_unknown_keys(node: &mut Node<'_>, known: &[&str], at: &str) -> Vec<InputError> {
    let Kind::Map(entries) = &mut node.kind else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    entries.retain(|e| {
        if known.contains(&e.key.as_ref()) {
            return true;
        }
        let key = crate::redact::redact_if_secret(&e.key);
        let mut err = InputError::new(e.key_span, format!("unknown key `{key}`"));
        err.path = format!("{at}.{key}");
        errors.push(
            match crate::did_you_mean::did_you_mean(&e.key, known.iter().copied()) {
                Some(s) => err.with_help(format!("did you mean `{s}`?")),
                None => err.with_help(format!(
                    "expected one of {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
        );
        false
    });
    errors
}

/// Whether a did-you-mean of one of `errors` names the key a "missing required key" message
/// is about.
fn suggested(errors: &[InputError], missing: &str) -> bool {
    let key = missing.split('`').nth(1).unwrap_or("");
    errors
        .iter()
        .any(|e| e.help.as_deref() == Some(&format!("did you mean `{key}`?")))
}

/// Tokens handed over per parallel task.
const BATCH: usize = 256;

/// Loads a token definition document from text, keeping the tokens.
pub fn load_text(file: FileId, format: Format, text: &str) -> LoadedFile {
    let staged = load_staged(file, format, text, &Keep);
    LoadedFile {
        format: staged.format,
        account: staged.account,
        tokens: staged.outputs.into_iter().flat_map(|(_, t)| t).collect(),
        secrets: staged.secrets,
        errors: staged.errors,
    }
}

/// Loads a token definition document from text, handing its tokens to `stage` in batches.
/// Alongside the structural load, the raw text is scanned for secrets, so one in a comment, or
/// in a file that does not parse, is still found — and masked wherever the file is shown.
pub fn load_staged<S: TokenStage>(
    file: FileId,
    format: Format,
    text: &str,
    stage: &S,
) -> Staged<S::Output> {
    let (mut out, mut scanned) = rayon::join(
        || load_structure(file, format, text, stage, CUT),
        || redact::scan_comments(text),
    );
    if !out.parsed {
        // Nothing was read structurally: every value may hide a secret.
        scanned = redact::scan_text(text);
    }
    for found in scanned {
        let span = Span::new(file, found.range.start, found.range.end);
        let known = out
            .secrets
            .iter()
            .any(|h| h.value_span.start < span.end && span.start < h.value_span.end);
        if !known {
            out.secrets.push(SecretHit {
                by_key: found.key.is_some(),
                key: found.key.unwrap_or_default(),
                value_span: span,
                path: String::new(),
                token: None,
                redacted: redact::redact(&text[found.range]),
            });
        }
    }
    out
}

/// A file that cannot be read structurally: only its raw text is searched for secrets.
pub fn scan_only<O>(file: FileId, format: Format, text: &str) -> Staged<O> {
    let secrets = redact::scan_text(text)
        .into_iter()
        .map(|found| SecretHit {
            by_key: found.key.is_some(),
            key: found.key.unwrap_or_default(),
            value_span: Span::new(file, found.range.start, found.range.end),
            path: String::new(),
            token: None,
            redacted: redact::redact(&text[found.range]),
        })
        .collect();
    Staged {
        format,
        account: None,
        outputs: Vec::new(),
        secrets,
        errors: Vec::new(),
        parsed: false,
        not_definition: false,
        not_a_table: false,
    }
}

/// State shared by the parsing thread and the workers converting tokens.
struct Pipeline<'s, S: TokenStage> {
    stage: &'s S,
    /// Set as soon as the account is read (in YAML, usually before the first token).
    account: OnceLock<AccountDoc>,
    outputs: Mutex<Vec<(usize, S::Output)>>,
    /// Tokens converted before the account was known.
    deferred: Mutex<Vec<(usize, Box<TokenDoc>)>>,
    errors: Mutex<Vec<InputError>>,
    secrets: Mutex<Vec<SecretHit>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<'s, S: TokenStage> Pipeline<'s, S> {
    fn new(stage: &'s S) -> Self {
        Pipeline {
            stage,
            account: OnceLock::new(),
            outputs: Mutex::new(Vec::new()),
            deferred: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
            secrets: Mutex::new(Vec::new()),
        }
    }

    /// A root entry the parser finished: an account without secrets in it reads the same now
    /// as after parsing.
    fn see_root(&self, key: &str, node: &Node<'_>) {
        if key == "account" {
            if let Ok(account) = from_node::<AccountDoc>(node) {
                let _ = self.account.set(account);
            }
        }
    }

    fn convert(&self, batch: Vec<(usize, Node<'_>)>) {
        let mut docs = Vec::with_capacity(batch.len());
        for (i, node) in batch {
            let c = convert_token(i, node);
            if !c.secrets.is_empty() {
                locked(&self.secrets).extend(c.secrets);
            }
            match c.token {
                Ok(t) => docs.push((c.index, t)),
                Err(e) => locked(&self.errors).extend(e),
            }
        }
        self.process(docs);
    }

    fn process(&self, docs: Vec<(usize, Box<TokenDoc>)>) {
        if docs.is_empty() {
            return;
        }
        match self.account.get() {
            Some(account) => {
                let first = docs[0].0;
                let output = self.stage.process(account, docs);
                locked(&self.outputs).push((first, output));
            }
            None => locked(&self.deferred).extend(docs),
        }
    }
}

/// When one YAML file is cut into pieces parsed in parallel (see [`yaml::plan_pieces`]): from
/// what size, and about how large each piece is.
#[derive(Clone, Copy)]
struct Cut {
    from: usize,
    piece: usize,
}

/// Files under 4 MiB parse fast enough whole; pieces of 1 MiB keep both cores busy on a 35 MB
/// file, and bound what waits to be converted to about one piece per core.
const CUT: Cut = Cut {
    from: 4 << 20,
    piece: 1 << 20,
};

fn load_structure<S: TokenStage>(
    file: FileId,
    format: Format,
    text: &str,
    stage: &S,
    cut: Cut,
) -> Staged<S::Output> {
    let mut out = Staged {
        format,
        account: None,
        outputs: Vec::new(),
        secrets: Vec::new(),
        errors: Vec::new(),
        parsed: false,
        not_definition: false,
        not_a_table: false,
    };
    let mut pipeline = Pipeline::new(stage);
    let pieced =
        (format == Format::Yaml && text.len() >= cut.from && rayon::current_num_threads() > 1)
            .then(|| parse_pieces(file, text, &pipeline, cut.piece))
            .flatten();
    let parsed = match pieced {
        Some(root) => Ok(root),
        None => {
            // Whole, with a fresh pipeline: nothing from a failed attempt is kept.
            pipeline = Pipeline::new(stage);
            parse_root(file, format, text, &pipeline)
        }
    };
    let mut root = match parsed {
        Ok(root) => root,
        Err(e) => {
            out.errors.push(e.into());
            return out;
        }
    };
    out.parsed = true;
    collect_secrets_outside_tokens(&mut root, &mut out.secrets);
    let tokens = read_root(file, format, text, root, &mut out);
    if let Some(account) = &out.account {
        if pipeline.account.get().is_none() {
            let _ = pipeline.account.set(account.clone());
        }
    }
    if let Some(tokens) = tokens {
        convert_tokens(tokens, &pipeline, &mut out.errors);
    }
    pipeline.finish(&mut out);
    out
}

/// Parses a large YAML document in pieces, on every core, each piece's tokens handed to the
/// pipeline as they are parsed. `None` when the document cannot be cut, or a piece did not
/// parse alone: the caller then parses it whole.
fn parse_pieces<'t, S: TokenStage>(
    file: FileId,
    text: &'t str,
    pipeline: &Pipeline<'_, S>,
    piece_bytes: usize,
) -> Option<Node<'t>> {
    let pieces = yaml::plan_pieces(text, "tokens", piece_bytes)?;
    let spans: Vec<Mutex<Option<Span>>> = (1..pieces.len()).map(|_| Mutex::new(None)).collect();
    let failed = std::sync::atomic::AtomicBool::new(false);
    let head = rayon::in_place_scope(|scope| {
        // The head first: it holds the account, which the converted tokens need.
        let head = yaml::parse_head(
            file,
            text,
            &pieces,
            "tokens",
            &mut |i, node| {
                let first = vec![(i, node)];
                scope.spawn(move |_| pipeline.convert(first));
            },
            &mut |k, n| pipeline.see_root(k, n),
        )
        .ok()?;
        for (i, span) in spans.iter().enumerate() {
            let (pieces, failed) = (&pieces, &failed);
            scope.spawn(move |scope| {
                if failed.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let mut batch = Vec::new();
                let parsed = yaml::parse_piece(file, text, pieces, i + 1, &mut |i, node| {
                    batch.push((i, node));
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        scope.spawn(move |_| pipeline.convert(full));
                    }
                });
                match parsed {
                    Ok(s) => {
                        if !batch.is_empty() {
                            scope.spawn(move |_| pipeline.convert(batch));
                        }
                        *locked(span) = Some(s);
                    }
                    Err(_) => failed.store(true, std::sync::atomic::Ordering::Relaxed),
                }
            });
        }
        Some(head)
    })?;
    let spans: Option<Vec<Span>> = spans
        .into_iter()
        .map(|s| s.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect();
    let last = *spans?.last()?;
    yaml::join(file, &pieces, "tokens", head, last).ok()
}

/// Parses the document. YAML hands each finished token to the pipeline while the rest of the
/// file is parsed (and the account as soon as it is read); TOML and JSON parse whole.
fn parse_root<'t, S: TokenStage>(
    file: FileId,
    format: Format,
    text: &'t str,
    pipeline: &Pipeline<'_, S>,
) -> Result<Node<'t>, ParseError> {
    if format != Format::Yaml {
        return parse(format, file, text);
    }
    rayon::in_place_scope(|scope| {
        let mut batch = Vec::new();
        let root = yaml::parse_split(
            file,
            text,
            "tokens",
            &mut |i, node| {
                batch.push((i, node));
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    scope.spawn(move |_| pipeline.convert(full));
                }
            },
            &mut |key, node| pipeline.see_root(key, node),
        );
        if !batch.is_empty() {
            scope.spawn(move |_| pipeline.convert(batch));
        }
        root
    })
}

/// Secrets outside `tokens` (the account, unknown root keys); tokens have their own pass.
fn collect_secrets_outside_tokens(root: &mut Node<'_>, secrets: &mut Vec<SecretHit>) {
    if let Kind::Map(entries) = &mut root.kind {
        let tokens = entries.iter().position(|e| e.key == "tokens");
        let held = tokens.map(|i| entries.remove(i));
        collect_secrets(root, Path::Root, None, secrets);
        if let (Some(i), Some(t), Kind::Map(entries)) = (tokens, held, &mut root.kind) {
            entries.insert(i.min(entries.len()), t);
        }
    }
}

/// Reads the root table: the account into `out`, unknown keys as errors. Returns the `tokens`
/// value, if any.
fn read_root<'t, O>(
    file: FileId,
    format: Format,
    text: &str,
    root: Node<'t>,
    out: &mut Staged<O>,
) -> Option<Node<'t>> {
    let root_span = root.span;
    out.not_definition = match &root.kind {
        Kind::Map(entries) => !entries
            .iter()
            .any(|e| e.key == "account" || e.key == "tokens"),
        _ => true,
    };
    out.not_a_table = !matches!(root.kind, Kind::Map(_));
    let Kind::Map(entries) = root.kind else {
        out.errors.push(
            InputError::new(
                root_span,
                format!(
                    "expected a table with `account` and `tokens`, found {}",
                    root.kind.describe()
                ),
            )
            .with_help("see `scopeward schema tokens` for the file's structure"),
        );
        return None;
    };
    let mut saw_account = false;
    let mut tokens_node = None;
    for entry in entries {
        match entry.key.as_ref() {
            "account" => {
                saw_account = true;
                let mut value = entry.value;
                let unknown = take_unknown_keys(&mut value, AccountDoc::KEYS, "account");
                match from_node::<AccountDoc>(&value) {
                    Ok(a) if unknown.is_empty() => out.account = Some(a),
                    Ok(_) => {}
                    Err(e) => out
                        .errors
                        .push(InputError::from_de(e.under("account"), value.span)),
                }
                out.errors.extend(unknown);
            }
            "tokens" => tokens_node = Some(entry.value),
            // For editors: the file's JSON Schema.
            "$schema" if matches!(entry.value.kind, Kind::Str(_)) => {}
            "$schema" => out.errors.push(
                InputError::new(
                    entry.value.span,
                    "`$schema` must be a string (the schema's URL)",
                )
                .with_help("e.g. the `$id` of `scopeward schema tokens`"),
            ),
            other => out.errors.push(unknown_root_key(other, &entry)),
        }
    }
    if !saw_account {
        let file_start = Span::new(file, 0, text.lines().next().map_or(0, str::len));
        out.errors.push(
            InputError::new(file_start, "missing required key `account`").with_help(format!(
                "say which kind of account the tokens belong to, e.g. {}",
                match format {
                    Format::Yaml => "`account: {type: brand}`",
                    Format::Toml => "`[account]` with `type = \"brand\"`",
                    Format::Json => "`\"account\": {\"type\": \"brand\"}`",
                }
            )),
        );
    }
    tokens_node
}

/// Converts the tokens the parser did not hand over while parsing (TOML and JSON, and YAML
/// lists it did not split), in parallel batches.
fn convert_tokens<S: TokenStage>(
    tokens: Node<'_>,
    pipeline: &Pipeline<'_, S>,
    errors: &mut Vec<InputError>,
) {
    match tokens.kind {
        Kind::Seq(items) => {
            let items: Vec<(usize, Node<'_>)> = items.into_iter().enumerate().collect();
            items
                .into_par_iter()
                .chunks(BATCH)
                .for_each(|batch| pipeline.convert(batch));
        }
        Kind::Null => {}
        other => errors.push(
            InputError::new(
                tokens.span,
                format!("expected a list of tokens, found {}", other.describe()),
            )
            .with_help(
                "write each token as a list item (`- name: …` in YAML, `[[tokens]]` in TOML)",
            ),
        ),
    }
}

impl<S: TokenStage> Pipeline<'_, S> {
    /// Processes tokens converted before the account was known, and moves what the workers
    /// gathered into `out`, in file order. Tokens of an account that could not be read are not
    /// checked.
    fn finish(self, out: &mut Staged<S::Output>) {
        let deferred = std::mem::take(&mut *locked(&self.deferred));
        if self.account.get().is_some() && out.account.is_some() && !deferred.is_empty() {
            deferred
                .into_par_iter()
                .chunks(BATCH)
                .for_each(|batch| self.process(batch));
        }
        let mut outputs = self.outputs.into_inner().unwrap_or_else(|p| p.into_inner());
        if out.account.is_none() {
            outputs.clear();
        }
        outputs.sort_unstable_by_key(|(first, _)| *first);
        out.outputs = outputs;
        out.errors
            .extend(self.errors.into_inner().unwrap_or_else(|p| p.into_inner()));
        let mut secrets = self.secrets.into_inner().unwrap_or_else(|p| p.into_inner());
        secrets.sort_by_key(|h| h.value_span.start);
        out.secrets.extend(secrets);
    }
}

fn unknown_root_key(key: &str, entry: &Entry<'_>) -> InputError {
    let mut e = InputError::new(entry.key_span, format!("unknown key `{key}`"));
    e.path = key.to_string();
    match crate::did_you_mean::did_you_mean(key, TokenFileDoc::KEYS.iter().copied()) {
        Some(s) => e.with_help(format!("did you mean `{s}`?")),
        None => e.with_help("a token definition file has `account` and `tokens`"),
    }
}

/// A document path as a chain of stack frames, rendered only when something is found.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut s = String::new();
        self.render_into(&mut s);
        s
    }

    fn render_into(&self, s: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, k) => {
                parent.render_into(s);
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Path::Index(parent, i) => {
                parent.render_into(s);
                let _ = write!(s, "[{i}]");
            }
        }
    }

    /// The nearest key.
    fn key(&self) -> &str {
        match self {
            Path::Root => "",
            Path::Key(_, k) => k,
            Path::Index(parent, _) => parent.key(),
        }
    }
}

/// A secret-bearing key with a non-empty value. An empty one is only an unknown key, and so is
/// one holding a list (`token:` with a list of tokens is a typo of `tokens`).
fn is_secret_entry(e: &Entry<'_>) -> bool {
    redact::is_secret_key(&e.key)
        && match &e.value.kind {
            Kind::Null | Kind::Seq(_) => false,
            Kind::Str(s) => !s.trim().is_empty(),
            _ => true,
        }
}

/// Records (and then removes) secret-bearing keys in every mapping, and records string values
/// shaped like secrets.
fn collect_secrets(
    node: &mut Node<'_>,
    path: Path<'_>,
    token: Option<usize>,
    out: &mut Vec<SecretHit>,
) {
    match &mut node.kind {
        Kind::Map(entries) => {
            let mut any_secret = false;
            for e in entries.iter_mut() {
                let secret = is_secret_entry(e);
                let Entry {
                    key,
                    key_span,
                    value,
                } = e;
                let here = Path::Key(&path, key);
                if redact::looks_like_auth_token(key) {
                    // A key shaped like a token: someone pasted the secret where a name goes.
                    out.push(SecretHit {
                        key: KEY_SHAPED.to_string(),
                        value_span: *key_span,
                        path: path.render(),
                        token,
                        redacted: redact::redact(key),
                        by_key: false,
                    });
                }
                if secret {
                    any_secret = true;
                    out.push(SecretHit {
                        key: key.to_string(),
                        value_span: value.span,
                        path: here.render(),
                        token,
                        redacted: match &value.kind {
                            Kind::Str(s) => redact::redact(s),
                            _ => "…".to_string(),
                        },
                        by_key: true,
                    });
                } else {
                    collect_secrets(value, here, token, out);
                }
            }
            if any_secret {
                entries.retain(|e| !is_secret_entry(e));
            }
        }
        Kind::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                collect_secrets(item, Path::Index(&path, i), token, out);
            }
        }
        Kind::Str(s) if redact::looks_secret(s) => {
            out.push(SecretHit {
                key: path.key().to_string(),
                value_span: node.span,
                path: path.render(),
                token,
                redacted: redact::redact_if_secret(s),
                by_key: false,
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    const GOOD: &str = "account:\n  type: brand\n  name: Acme\ntokens:\n  - name: a\n    scopes: [ads:read]\n  - name: b\n    enviroment: prod\n  - name: c\n    auth_token: Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0\n";

    /// A YAML file of `n` tokens; token `bad` (if any) holds `bad_text` instead of its name.
    fn many(n: usize, bad: Option<(usize, &str)>) -> String {
        let mut text = String::from("account:\n  type: brand\ntokens:\n");
        for i in 0..n {
            match bad {
                Some((at, t)) if at == i => text.push_str(t),
                _ => text.push_str(&format!("  - name: t{i}\n    scopes: [ads:read]\n")),
            }
            if i % 7 == 3 {
                text.push_str(&format!("    enviroment: prod # t{i}\n"));
            }
            if i % 11 == 5 {
                text.push_str("    auth_token: Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0\n");
            }
        }
        text
    }

    /// Loads `text` whole, and cut into pieces of about `piece` bytes, on two threads.
    fn whole_and_cut(text: &str, piece: usize) -> (String, String) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            // Batches and the order of errors follow the threads: compare what was loaded.
            let load = |cut| {
                let mut s = load_structure(FileId(0), Format::Yaml, text, &Keep, cut);
                s.errors.sort_by_key(|e| (e.span.start, e.message.clone()));
                let tokens: Vec<_> = s.outputs.drain(..).flat_map(|(_, t)| t).collect();
                format!("{tokens:?}\n{s:?}")
            };
            let never = Cut {
                from: usize::MAX,
                piece,
            };
            (load(never), load(Cut { from: 0, piece }))
        })
    }

    #[test]
    fn a_file_loaded_in_pieces_loads_as_it_does_whole() {
        let text = many(200, None);
        // The cut is taken: every piece parsed alone.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let pieces = pool.install(|| {
            let pipeline = Pipeline::new(&Keep);
            parse_pieces(FileId(0), &text, &pipeline, 500).is_some()
        });
        assert!(pieces, "the file was not cut");
        for piece in [1, 500, 5_000] {
            let (whole, cut) = whole_and_cut(&text, piece);
            assert_eq!(whole, cut, "in pieces of {piece}");
        }
        let loaded = load_text(FileId(0), Format::Yaml, &text);
        assert_eq!(loaded.tokens.len(), 200 - 29, "{:?}", loaded.errors.len());
    }

    #[test]
    fn a_file_that_cannot_be_cut_or_fails_in_a_piece_loads_as_it_does_whole() {
        let docs = [
            // A syntax error, a duplicate key and a wrong type in later tokens.
            many(120, Some((90, "  - name: [unclosed\n"))),
            many(120, Some((60, "  - name: a\n    name: b\n"))),
            many(120, Some((100, "  - name: a\n    scopes: 7\n"))),
            // An alias to an earlier token's anchor.
            many(
                120,
                Some((
                    70,
                    "  - name: x\n    scopes: &s [ads:read]\n  - name: y\n    scopes: *s\n",
                )),
            ),
            // A root key after the list.
            format!("{}$schema: x\n", many(120, None)),
        ];
        for doc in &docs {
            for piece in [1, 700] {
                let (whole, cut) = whole_and_cut(doc, piece);
                assert_eq!(whole, cut, "in pieces of {piece}");
            }
        }
    }

    #[test]
    fn one_bad_token_does_not_hide_the_others() {
        let f = load_text(FileId(0), Format::Yaml, GOOD);
        assert_eq!(f.tokens.len(), 2, "{:?}", f.errors);
        assert_eq!(f.errors.len(), 1);
        let e = &f.errors[0];
        assert_eq!(e.message, "unknown key `enviroment`");
        assert_eq!(e.help.as_deref(), Some("did you mean `environment`?"));
        assert_eq!(e.path, "tokens[1].enviroment");
        assert_eq!(
            &GOOD[e.span.start as usize..e.span.end as usize],
            "enviroment"
        );
        assert_eq!(f.secrets.len(), 1);
        assert_eq!(f.secrets[0].token, Some(2));
        assert_eq!(f.secrets[0].redacted, "Xk3v…");
        assert_eq!(f.secrets[0].path, "tokens[2].auth_token");
        assert!(f.secrets[0].by_key);
    }

    #[test]
    fn many_tokens_keep_their_order() {
        let mut text = String::from("account: {type: brand}\ntokens:\n");
        for i in 0..1000 {
            text.push_str(&format!("  - name: t{i}\n"));
        }
        let f = load_text(FileId(0), Format::Yaml, &text);
        assert_eq!(f.tokens.len(), 1000);
        assert!(
            f.tokens
                .iter()
                .enumerate()
                .all(|(i, (idx, t))| *idx == i && t.name.value == format!("t{i}"))
        );
    }

    #[test]
    fn formats_agree() {
        let toml = "[account]\ntype = \"partner\"\n\n[[tokens]]\nname = \"x\"\napi_version = 16\ncreated = 2025-01-02\nlast_used = \"never\"\n";
        let f = load_text(FileId(0), Format::Toml, toml);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.tokens[0].1.api_version.as_ref().unwrap().value.0, "16");
        let json = r#"{"account": {"type": "agency"}, "tokens": [{"name": "x", "created": "2025-02-30"}]}"#;
        let f = load_text(FileId(0), Format::Json, json);
        assert_eq!(f.errors.len(), 1);
        assert!(
            f.errors[0].message.contains("2025-02-30"),
            "{}",
            f.errors[0].message
        );
        assert_eq!(f.errors[0].path, "tokens[0].created");
    }

    #[test]
    fn secrets_outside_tokens_and_by_shape() {
        let text = "account:\n  type: brand\n  password: hunter2hunter2\ntokens:\n  - name: x\n    description: https://IRabc:Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0@api.impact.com/x\n";
        let f = load_text(FileId(0), Format::Yaml, text);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.secrets.len(), 2);
        assert_eq!(f.secrets[0].path, "account.password");
        assert_eq!(f.secrets[1].path, "tokens[0].description");
        assert!(!f.secrets[1].by_key);
        assert!(!f.secrets[1].redacted.contains("P9qL"));
    }

    #[test]
    fn unknown_account_type_suggests() {
        let f = load_text(
            FileId(0),
            Format::Yaml,
            "account:\n  type: brnad\ntokens: []\n",
        );
        assert_eq!(f.errors[0].message, "unknown value `brnad`");
        assert!(
            f.errors[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `brand`?")
        );
    }
}
