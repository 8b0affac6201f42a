//! The policy file `scopeward.toml` (SPEC §3): environments, include globs, rule settings and
//! ignores. Strict: every unknown key, rule id or option is an error with a span into the file,
//! and everything is validated once, before any rule runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::diag::{Diagnostics, InputError};
use crate::finding::{RuleIndex, RuleMeta, Severity};
use crate::model::Day;
use crate::source::{FileId, SourceMap, Span, display_path, on_disk};
use crate::tree::de::{Sp, from_node};
use crate::tree::{Format, Kind, Node, parse};

pub const FILE_NAME: &str = "scopeward.toml";

/// The rule that judges ignores (it needs the rules whose ignores it weighs to run).
const UNUSED_IGNORE: &str = "unused-ignore";

pub const DEFAULT_ENVIRONMENTS: &[&str] = &["development", "staging", "production"];

/// Where teams keep token definitions: files named for tokens, and any file under a folder
/// named for tokens or for impact.com. Files these find that are not definitions (no top-level
/// `account` or `tokens`: design tokens, tokenizer files, schemas) are skipped and counted.
pub const DEFAULT_INCLUDE: &[&str] = &[
    "**/*tokens*.{yaml,yml,toml,json}",
    "**/*tokens*/**/*.{yaml,yml,toml,json}",
    "**/impact/**/*.{yaml,yml,toml,json}",
];

/// How deep `extend` chains may go.
const MAX_EXTEND_DEPTH: usize = 8;

/// The policy file, for its JSON Schema. Loading reads the same keys (a test keeps them equal).
#[derive(Debug, JsonSchema)]
#[schemars(title = "scopeward policy (scopeward.toml)", deny_unknown_fields)]
#[allow(dead_code)]
pub struct PolicyDoc {
    /// The environments tokens may serve: a list of names, or one table per environment.
    environments: Option<EnvironmentsDoc>,
    /// Globs of token definition files found under directory arguments (relative to this
    /// file's directory).
    include: Option<Vec<String>>,
    /// Globs of files under directory arguments that are never read, even if `include` matches.
    exclude: Option<Vec<String>>,
    /// Another policy this one inherits, relative to this file: keys here override, lists
    /// replace, `[[ignore]]` entries add.
    extend: Option<String>,
    /// The baseline applied when `--baseline` is not given, relative to this file.
    baseline: Option<String>,
    /// Per-rule severity and options, keyed by rule id.
    rules: Option<HashMap<String, RuleConfigDoc>>,
    /// Accepted findings, each with a reason.
    ignore: Option<Vec<IgnoreDoc>>,
}

impl PolicyDoc {
    pub const KEYS: &'static [&'static str] = &[
        "environments",
        "include",
        "exclude",
        "extend",
        "baseline",
        "rules",
        "ignore",
    ];
}

#[derive(Debug, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum EnvironmentsDoc {
    Names(Vec<String>),
    Tables(HashMap<String, EnvironmentDoc>),
}

/// Settings of one environment.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentDoc {
    /// Scope patterns tokens of this environment may not hold (e.g. `*:write`).
    #[serde(default)]
    pub deny: Vec<Sp<String>>,
    /// Contacts must have an address in one of these domains (or their subdomains).
    #[serde(default)]
    pub allowed_contact_domains: Option<Vec<Sp<String>>>,
}

impl EnvironmentDoc {
    const KEYS: &'static [&'static str] = &["deny", "allowed_contact_domains"];
}

/// `[rules.<id>]`.
#[derive(Debug, JsonSchema)]
#[allow(dead_code)]
struct RuleConfigDoc {
    /// error | warning | info | off
    severity: Option<SeverityOrOff>,
    /// Rule options (`days`, `max_fraction`, …): see `scopeward explain ID`.
    #[serde(flatten)]
    options: HashMap<String, f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeverityOrOff {
    Error,
    Warning,
    Info,
    Off,
}

impl SeverityOrOff {
    pub fn severity(self) -> Option<Severity> {
        match self {
            SeverityOrOff::Error => Some(Severity::Error),
            SeverityOrOff::Warning => Some(Severity::Warning),
            SeverityOrOff::Info => Some(Severity::Info),
            SeverityOrOff::Off => None,
        }
    }
}

/// `[[ignore]]`: an accepted finding.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoreDoc {
    /// The rule id it silences.
    pub rule: Sp<String>,
    /// Only this token (by name).
    #[serde(default)]
    pub token: Option<Sp<String>>,
    /// Only files matching this glob.
    #[serde(default)]
    pub path: Option<Sp<String>>,
    /// Only this scope.
    #[serde(default)]
    pub scope: Option<Sp<String>>,
    /// Why the finding is accepted (required).
    pub reason: Sp<String>,
    /// After this date the finding returns.
    #[serde(default)]
    pub expires: Option<Sp<Day>>,
}

/// An `[[ignore]]` with its globs compiled (an invalid one is a policy error, never "any path").
#[derive(Clone, Debug)]
pub struct Ignore {
    pub doc: IgnoreDoc,
    pub path: Option<globset::GlobMatcher>,
    pub scope: Option<globset::GlobMatcher>,
}

/// One environment as the rules see it.
#[derive(Debug, Default)]
pub struct Environment {
    pub name: String,
    /// Where the policy names it (absent for the defaults).
    pub span: Option<Span>,
    pub deny: Vec<Sp<String>>,
    pub allowed_contact_domains: Option<Vec<Sp<String>>>,
}

/// A rule's settings after validation.
#[derive(Debug, Default)]
pub struct RuleSettings {
    pub severity: Option<Sp<SeverityOrOff>>,
    pub options: Vec<(&'static str, f64)>,
}

/// The validated policy.
#[derive(Debug)]
pub struct Policy {
    /// The policy file, if one was read.
    pub file: Option<FileId>,
    pub path: Option<PathBuf>,
    pub environments: Vec<Environment>,
    pub include: Vec<String>,
    pub include_set: globset::GlobSet,
    pub exclude: Vec<String>,
    pub exclude_set: globset::GlobSet,
    /// `baseline = "…"`, resolved against the directory of the file that set it.
    pub baseline: Option<PathBuf>,
    rules: HashMap<&'static str, RuleSettings>,
    pub ignores: Vec<Ignore>,
    /// The top-level keys this file set (what it overrides when it extends another).
    set: Vec<&'static str>,
    /// `extend = "…"` as written, with its span.
    extend: Option<Sp<String>>,
}

impl Default for Policy {
    fn default() -> Self {
        let include: Vec<String> = DEFAULT_INCLUDE.iter().map(|s| s.to_string()).collect();
        Policy {
            file: None,
            path: None,
            environments: DEFAULT_ENVIRONMENTS
                .iter()
                .map(|n| Environment {
                    name: n.to_string(),
                    ..Environment::default()
                })
                .collect(),
            include_set: build_globset(&include).expect("default include globs are valid"),
            include,
            exclude: Vec::new(),
            exclude_set: globset::GlobSet::empty(),
            baseline: None,
            rules: HashMap::new(),
            ignores: Vec::new(),
            set: Vec::new(),
            extend: None,
        }
    }
}

fn build_globset(globs: &[String]) -> Result<globset::GlobSet, (usize, String)> {
    let mut b = globset::GlobSetBuilder::new();
    for (i, g) in globs.iter().enumerate() {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| (i, e.kind().to_string()))?;
        b.add(glob);
    }
    b.build().map_err(|e| (0, e.to_string()))
}

impl Policy {
    /// The severity a rule's findings get, or `None` when it is off. `proposed` is what the
    /// rule chose for this finding (some rules raise it, e.g. read-write legacy tokens).
    pub fn severity(&self, meta: &RuleMeta, proposed: Option<Severity>) -> Option<Severity> {
        match self.rules.get(meta.id).and_then(|s| s.severity.as_ref()) {
            Some(s) => s.value.severity(),
            None => Some(proposed.unwrap_or(meta.default_severity)),
        }
    }

    /// Whether the rule is on at all.
    pub fn enabled(&self, meta: &RuleMeta) -> bool {
        self.rules
            .get(meta.id)
            .and_then(|s| s.severity.as_ref())
            .is_none_or(|s| s.value != SeverityOrOff::Off)
    }

    /// A rule option's value (its default unless the policy sets it).
    pub fn option(&self, meta: &RuleMeta, name: &str) -> f64 {
        if let Some(v) = self
            .rules
            .get(meta.id)
            .and_then(|s| s.options.iter().find(|(n, _)| *n == name))
        {
            return v.1;
        }
        meta.option(name)
            .unwrap_or_else(|| panic!("rule {} has no option {name}", meta.id))
            .default
    }

    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// Sets a rule's severity programmatically (tests, `--only`).
    pub fn set_severity(&mut self, id: &'static str, severity: SeverityOrOff) {
        self.rules.entry(id).or_default().severity =
            Some(Sp::new(severity, Span::new(FileId(u32::MAX), 0, 0)));
    }

    /// Checks what needs the catalogues: every `deny` pattern must match some scope of some
    /// account type (a typo would otherwise deny nothing, silently).
    pub fn validate_against(&self, catalogues: &crate::catalogue::Catalogues) -> Vec<InputError> {
        let mut errors = Vec::new();
        for env in &self.environments {
            for pattern in &env.deny {
                let p = pattern.value.trim();
                if catalogues.iter().any(|c| !c.matching(p).is_empty()) {
                    continue;
                }
                let names: Vec<&str> = ["*", "*:read", "*:write"]
                    .into_iter()
                    .chain(catalogues.iter().flat_map(|c| c.scope_names()))
                    .collect();
                let e = InputError::new(
                    pattern.span,
                    format!("deny pattern `{p}` matches no scope of any account type"),
                );
                errors.push(match crate::did_you_mean::did_you_mean(p, names.iter().copied()) {
                    Some(s) => e.with_help(format!("did you mean `{s}`?")),
                    None => e.with_help("patterns are `*`, `<category>:*`, `*:read`, `*:write` or a scope; `scopeward catalogue` lists them"),
                });
            }
        }
        errors
    }

    /// Turns every rule of `index` off but those named (tests, focused runs).
    pub fn select(&mut self, index: &dyn RuleIndex, ids: &[&str]) {
        for meta in index.rules() {
            if !ids.contains(&meta.id) {
                self.set_severity(meta.id, SeverityOrOff::Off);
            }
        }
    }

    /// Focuses a run on one rule: every other rule off, except when the rule judges others
    /// (`unused-ignore` needs the rules whose ignores it weighs). Callers look only at that
    /// rule's findings.
    pub fn focus(&mut self, index: &dyn RuleIndex, id: &str) {
        if id != UNUSED_IGNORE {
            self.select(index, &[id]);
        }
    }

    /// Reads and validates the policy at `path`, following its `extend` chain (each file's
    /// paths relative to its own directory). Every problem of every file is reported.
    pub fn load(
        path: &Path,
        cwd: &Path,
        sources: &mut SourceMap,
        rules: &dyn RuleIndex,
        cap: u64,
    ) -> Result<Policy, Diagnostics> {
        let mut chain = Vec::new();
        load_chain(path, None, cwd, sources, rules, cap, &mut chain)
    }

    /// This policy over `base`: keys set here override, lists replace, rule settings replace
    /// per rule, `[[ignore]]` entries add.
    fn over(self, base: Policy) -> Policy {
        let set = |k: &str| self.set.contains(&k);
        let (include, include_set) = if set("include") {
            (self.include, self.include_set)
        } else {
            (base.include, base.include_set)
        };
        let (exclude, exclude_set) = if set("exclude") {
            (self.exclude, self.exclude_set)
        } else {
            (base.exclude, base.exclude_set)
        };
        let mut rules = base.rules;
        rules.extend(self.rules);
        let mut ignores = base.ignores;
        ignores.extend(self.ignores);
        Policy {
            file: self.file,
            path: self.path,
            environments: if set("environments") {
                self.environments
            } else {
                base.environments
            },
            include,
            include_set,
            exclude,
            exclude_set,
            baseline: if set("baseline") {
                self.baseline
            } else {
                base.baseline
            },
            rules,
            ignores,
            set: self.set,
            extend: self.extend,
        }
    }

    /// Finds `scopeward.toml` in `start` or its ancestors.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }

    /// Parses and validates a policy: every key, rule id (against `rules`) and option. All
    /// problems are reported, not only the first.
    pub fn parse(
        file: FileId,
        text: &str,
        rules: &dyn RuleIndex,
    ) -> Result<Policy, Vec<InputError>> {
        // An empty policy (or one of comments only) is the default policy.
        if text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim().starts_with('#'))
        {
            return Ok(Policy {
                file: Some(file),
                ..Policy::default()
            });
        }
        let root = parse(Format::Toml, file, text).map_err(|e| vec![InputError::from(e)])?;
        let mut policy = Policy {
            file: Some(file),
            ..Policy::default()
        };
        let mut errors = Vec::new();
        let Kind::Map(entries) = &root.kind else {
            unreachable!("a TOML document is a table")
        };
        for entry in entries {
            let key = PolicyDoc::KEYS
                .iter()
                .copied()
                .find(|k| *k == entry.key.as_ref());
            if let Some(key) = key {
                policy.set.push(key);
            }
            match key {
                Some("environments") => match load_environments(&entry.value) {
                    Ok(envs) => policy.environments = envs,
                    Err(e) => errors.extend(e),
                },
                Some("include") => {
                    if let Some((globs, set)) = load_globs(entry, &mut errors) {
                        policy.include = globs;
                        policy.include_set = set;
                    }
                }
                Some("exclude") => {
                    if let Some((globs, set)) = load_globs(entry, &mut errors) {
                        policy.exclude = globs;
                        policy.exclude_set = set;
                    }
                }
                Some("extend") => match from_node::<Sp<String>>(&entry.value) {
                    Ok(path) => policy.extend = Some(path),
                    Err(e) => errors.push(de_error(e.under("extend"), entry.value.span)),
                },
                Some("baseline") => match from_node::<Sp<String>>(&entry.value) {
                    Ok(path) => policy.baseline = Some(PathBuf::from(path.value)),
                    Err(e) => errors.push(de_error(e.under("baseline"), entry.value.span)),
                },
                Some("rules") => load_rules(&entry.value, rules, &mut policy.rules, &mut errors),
                Some("ignore") => {
                    load_ignores(&entry.value, rules, &mut policy.ignores, &mut errors)
                }
                _ => errors.push(unknown_key(entry)),
            }
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }
}

/// Loads one file of an `extend` chain, then what it extends. `from`: the `extend` entry that
/// named this file, where a problem reading it is reported.
fn load_chain(
    path: &Path,
    from: Option<Span>,
    cwd: &Path,
    sources: &mut SourceMap,
    rules: &dyn RuleIndex,
    cap: u64,
    chain: &mut Vec<PathBuf>,
) -> Result<Policy, Diagnostics> {
    let mut diag = Diagnostics::default();
    let display = display_path(path, cwd);
    let (mut source, problem) = crate::source::read_file(&on_disk(cwd, path), display.clone(), cap);
    if let Some(problem) = problem {
        match from {
            Some(at) => diag.error(InputError::new(
                at,
                format!(
                    "cannot read the policy this extends ({display}): {}",
                    match &problem {
                        crate::source::ReadProblem::Io(e) => crate::diag::io_reason(e),
                        _ => "not a readable text file".to_string(),
                    }
                ),
            )),
            None if problem.is_missing() => {
                diag.failure(display, "cannot read the policy: no such file")
            }
            None => {
                let id = sources.add(source);
                diag.error(problem.into_error(id));
            }
        }
        return Err(diag);
    }
    source.redact_scanned();
    let id = sources.add(source);
    let mut policy = match Policy::parse(id, sources.get(id).text(), rules) {
        Ok(p) => p,
        Err(e) => {
            diag.extend(e);
            return Err(diag);
        }
    };
    let dir = on_disk(cwd, path)
        .parent()
        .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);
    policy.path = Some(path.to_path_buf());
    policy.baseline = policy.baseline.take().map(|b| dir.join(b));
    let here = std::fs::canonicalize(on_disk(cwd, path)).unwrap_or_else(|_| on_disk(cwd, path));
    chain.push(here);
    let Some(extend) = policy.extend.clone() else {
        return Ok(policy);
    };
    let base_path = dir.join(&extend.value);
    let canonical = std::fs::canonicalize(&base_path).unwrap_or_else(|_| base_path.clone());
    if chain.contains(&canonical) {
        diag.error(
            InputError::new(
                extend.span,
                format!("`extend` makes a cycle: {} extends itself", display),
            )
            .with_help("a policy can extend a base policy, not one that extends it back"),
        );
        return Err(diag);
    }
    if chain.len() >= MAX_EXTEND_DEPTH {
        diag.error(InputError::new(
            extend.span,
            format!("`extend` chains are at most {MAX_EXTEND_DEPTH} files deep"),
        ));
        return Err(diag);
    }
    let base = load_chain(
        &base_path,
        Some(extend.span),
        cwd,
        sources,
        rules,
        cap,
        chain,
    )?;
    Ok(policy.over(base))
}

fn de_error(e: crate::tree::de::DeError, fallback: Span) -> InputError {
    InputError::from_de(e, fallback)
}

fn unknown_key(entry: &crate::tree::Entry<'_>) -> InputError {
    let other = entry.key.as_ref();
    let e = InputError::new(entry.key_span, format!("unknown key `{other}`"));
    match crate::did_you_mean::did_you_mean(other, PolicyDoc::KEYS.iter().copied()) {
        Some(s) => e.with_help(format!("did you mean `{s}`?")),
        None => e.with_help(format!(
            "scopeward.toml has {}",
            PolicyDoc::KEYS
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A list of globs (`include`, `exclude`), every one compiled: one that does not is an error
/// at its span, never "match everything".
fn load_globs(
    entry: &crate::tree::Entry<'_>,
    errors: &mut Vec<InputError>,
) -> Option<(Vec<String>, globset::GlobSet)> {
    let globs = match from_node::<Vec<Sp<String>>>(&entry.value) {
        Ok(globs) => globs,
        Err(e) => {
            errors.push(de_error(e.under(&entry.key), entry.value.span));
            return None;
        }
    };
    let strings: Vec<String> = globs.iter().map(|g| g.value.clone()).collect();
    match build_globset(&strings) {
        Ok(set) => Some((strings, set)),
        Err((i, msg)) => {
            errors.push(InputError::new(
                globs[i].span,
                format!("invalid glob `{}`: {msg}", globs[i].value),
            ));
            None
        }
    }
}

/// `[[ignore]]` entries: each names a known rule, has a reason, and its globs compile.
fn load_ignores(
    node: &Node,
    rules: &dyn RuleIndex,
    out: &mut Vec<Ignore>,
    errors: &mut Vec<InputError>,
) {
    let ignores = match from_node::<Vec<IgnoreDoc>>(node) {
        Ok(ignores) => ignores,
        Err(e) => {
            errors.push(de_error(e.under("ignore"), node.span));
            return;
        }
    };
    for ig in ignores {
        if !rules.ids().contains(&ig.rule.value.as_str()) {
            errors.push(unknown_rule(rules, &ig.rule.value, ig.rule.span));
        }
        if ig.reason.value.trim().is_empty() {
            errors.push(
                InputError::new(ig.reason.span, "an ignore needs a reason")
                    .with_help("say why the finding is accepted"),
            );
        }
        let path = ignore_glob(&ig.path, "path", errors);
        let scope = ignore_glob(&ig.scope, "scope", errors);
        out.push(Ignore {
            doc: ig,
            path,
            scope,
        });
    }
}

fn ignore_glob(
    g: &Option<Sp<String>>,
    what: &str,
    errors: &mut Vec<InputError>,
) -> Option<globset::GlobMatcher> {
    let g = g.as_ref()?;
    match globset::Glob::new(&g.value) {
        Ok(glob) => Some(glob.compile_matcher()),
        Err(e) => {
            errors.push(
                InputError::new(g.span, format!("invalid glob `{}`: {}", g.value, e.kind()))
                    .with_help(format!(
                        "`{what}` is a glob (`*`, `**`, `?`, `[abc]`, `{{a,b}}`); an ignore whose glob cannot be read would match nothing it means to"
                    )),
            );
            None
        }
    }
}

fn unknown_rule(rules: &dyn RuleIndex, id: &str, span: Span) -> InputError {
    let e = InputError::new(span, format!("unknown rule `{id}`"));
    match crate::did_you_mean::did_you_mean(id, rules.ids()) {
        Some(s) => e.with_help(format!("did you mean `{s}`?")),
        None => e.with_help("`scopeward rules` lists every rule"),
    }
}

fn load_environments(node: &Node) -> Result<Vec<Environment>, Vec<InputError>> {
    match &node.kind {
        Kind::Seq(_) => {
            let names = from_node::<Vec<Sp<String>>>(node)
                .map_err(|e| vec![de_error(e.under("environments"), node.span)])?;
            let mut out: Vec<Environment> = Vec::new();
            for n in names {
                if let Some(first) = out.iter().find(|e| e.name == n.value) {
                    let mut e = InputError::new(
                        n.span,
                        format!("environment `{}` is listed twice", n.value),
                    );
                    e.related = first
                        .span
                        .map(|s| Box::new((s, "first listed here".to_string())));
                    return Err(vec![e]);
                }
                out.push(Environment {
                    name: n.value,
                    span: Some(n.span),
                    ..Environment::default()
                });
            }
            Ok(out)
        }
        Kind::Map(entries) => {
            let mut out = Vec::new();
            let mut errors = Vec::new();
            for entry in entries {
                let doc = if entry.value.kind == Kind::Map(Vec::new()) {
                    Ok(EnvironmentDoc::default())
                } else {
                    from_node::<EnvironmentDoc>(&entry.value)
                };
                match doc {
                    Ok(doc) => out.push(Environment {
                        name: entry.key.to_string(),
                        span: Some(entry.key_span),
                        deny: doc.deny,
                        allowed_contact_domains: doc.allowed_contact_domains,
                    }),
                    Err(e) => {
                        let mut err = de_error(
                            e.under(&format!("environments.{}", entry.key)),
                            entry.value.span,
                        );
                        if err.message.starts_with("unknown key") {
                            err.help = err.help.or_else(|| {
                                Some(format!(
                                    "an environment has {}",
                                    EnvironmentDoc::KEYS.join(", ")
                                ))
                            });
                        }
                        errors.push(err);
                    }
                }
            }
            if errors.is_empty() {
                Ok(out)
            } else {
                Err(errors)
            }
        }
        other => Err(vec![
            InputError::new(
                node.span,
                format!(
                    "expected a list of environment names or a table per environment, found {}",
                    other.describe()
                ),
            )
            .with_help("e.g. `environments = [\"development\", \"production\"]`"),
        ]),
    }
}

fn load_rules(
    node: &Node,
    rules: &dyn RuleIndex,
    out: &mut HashMap<&'static str, RuleSettings>,
    errors: &mut Vec<InputError>,
) {
    let Kind::Map(entries) = &node.kind else {
        errors.push(InputError::new(
            node.span,
            format!("expected a table of rules, found {}", node.kind.describe()),
        ));
        return;
    };
    for entry in entries {
        let meta: Option<&'static RuleMeta> = rules.find(&entry.key);
        let planned = rules.planned().iter().find(|p| p.0 == entry.key);
        let id: &'static str = match (meta, planned) {
            (Some(m), _) => m.id,
            (None, Some(p)) => p.0,
            (None, None) => {
                errors.push(unknown_rule(rules, &entry.key, entry.key_span));
                continue;
            }
        };
        let Kind::Map(settings) = &entry.value.kind else {
            errors.push(
                InputError::new(
                    entry.value.span,
                    format!(
                        "expected a table for rule `{}`, found {}",
                        entry.key,
                        entry.value.kind.describe()
                    ),
                )
                .with_help(format!(
                    "write `[rules.{}]` with `severity = \"warning\"`",
                    entry.key
                )),
            );
            continue;
        };
        out.insert(id, load_rule_settings(id, meta, settings, errors));
    }
}

/// One rule's `severity` and typed options, each checked against the rule's declaration.
fn load_rule_settings(
    id: &'static str,
    meta: Option<&'static RuleMeta>,
    settings: &[crate::tree::Entry<'_>],
    errors: &mut Vec<InputError>,
) -> RuleSettings {
    let mut rs = RuleSettings::default();
    for s in settings {
        if s.key == "severity" {
            match from_node::<Sp<SeverityOrOff>>(&s.value) {
                Ok(v) => rs.severity = Some(v),
                Err(e) => errors.push(de_error(e, s.value.span)),
            }
            continue;
        }
        let Some(opt) = meta.and_then(|m| m.option(&s.key)) else {
            errors.push(unknown_option(id, meta, s));
            continue;
        };
        match option_value(opt, &s.value) {
            Ok(value) => rs.options.push((opt.name, value)),
            Err(e) => errors.push(e),
        }
    }
    rs
}

fn unknown_option(
    id: &str,
    meta: Option<&'static RuleMeta>,
    s: &crate::tree::Entry<'_>,
) -> InputError {
    let names: Vec<&str> = std::iter::once("severity")
        .chain(
            meta.into_iter()
                .flat_map(|m| m.options.iter().map(|o| o.name)),
        )
        .collect();
    let e = InputError::new(
        s.key_span,
        format!("rule `{}` has no option `{}`", id, s.key),
    );
    match crate::did_you_mean::did_you_mean(&s.key, names.iter().copied()) {
        Some(n) => e.with_help(format!("did you mean `{n}`?")),
        None => e.with_help(format!(
            "its options are {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// An option's value: a number of the right kind, within its range.
fn option_value(opt: &crate::finding::RuleOption, value: &Node<'_>) -> Result<f64, InputError> {
    let v = match value.kind {
        Kind::Int(i) => i as f64,
        Kind::Float(f) if !opt.integer => f,
        _ => {
            return Err(InputError::new(
                value.span,
                format!(
                    "`{}` must be {}, found {}",
                    opt.name,
                    if opt.integer {
                        "a whole number"
                    } else {
                        "a number"
                    },
                    value.kind.describe()
                ),
            ));
        }
    };
    if !(opt.range.0..=opt.range.1).contains(&v) {
        return Err(InputError::new(
            value.span,
            format!(
                "`{}` must be between {} and {}",
                opt.name, opt.range.0, opt.range.1
            ),
        )
        .with_help(opt.help));
    }
    Ok(v)
}
