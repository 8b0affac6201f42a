//! The resolved model the rules read: each file's account and tokens, with every scope entry
//! resolved against its account type's catalogue.

use crate::catalogue::{Catalogue, Catalogues, Resolved, ScopeSet};
use crate::model::{AccountDoc, AccountType, Day, Environments, SecretHit, TokenDoc, TokenState};
use crate::policy::Policy;
use crate::source::{FileId, Span};
use crate::tree::de::Sp;

/// One run: everything the rules may look at.
pub struct Run<'a> {
    pub catalogues: &'a Catalogues,
    pub policy: &'a Policy,
    /// The "today" of day-based rules.
    pub as_of: Day,
    pub files: Vec<FileModel>,
    /// Tokens sharing a name or SID, computed on first use.
    pub identity: std::sync::OnceLock<Vec<super::util::GroupIndex>>,
    /// Answers rules have already worked out in this run, by rule and question.
    pub memo: Memo,
    /// The live listing, in `audit --live` and `audit --listing`.
    pub live: Option<&'a crate::live::LiveInput>,
    /// What the usage logs (`--usage`) say, when some were given.
    pub usage: Option<&'a crate::usage::Usage>,
}

/// A run-scoped cache for answers that are costly and asked again (did-you-mean hints).
#[derive(Debug, Default)]
pub struct Memo(std::sync::Mutex<rustc_hash::FxHashMap<(&'static str, String), String>>);

impl Memo {
    pub fn get_or(
        &self,
        rule: &'static str,
        question: &str,
        answer: impl FnOnce() -> String,
    ) -> String {
        let key = (rule, question.to_string());
        if let Some(a) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return a.clone();
        }
        let a = answer();
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, a.clone());
        a
    }
}

/// One definition file.
#[derive(Debug)]
pub struct FileModel {
    pub file: FileId,
    /// Absent when the file's `account` could not be read (its tokens are then not checked).
    pub account: Option<Account>,
    pub tokens: Vec<Token>,
    pub secrets: Vec<SecretHit>,
}

#[derive(Debug)]
pub struct Account {
    pub kind: AccountType,
    pub kind_span: Span,
    pub name: Option<Sp<String>>,
}

/// One token with its scopes resolved.
#[derive(Debug)]
pub struct Token {
    /// Position in the file's `tokens` list.
    pub index: usize,
    pub doc: Box<TokenDoc>,
    pub grants: Vec<Grant>,
    /// The span of the `scopes` value (the entries themselves moved into `grants`).
    pub scopes_span: Option<Span>,
    /// Everything the token can do: its scopes, or its legacy access.
    pub effective: ScopeSet,
    /// The environments it declares, each with its span.
    pub environments: Vec<Sp<String>>,
}

/// One entry of a token's `scopes`.
#[derive(Debug)]
pub struct Grant {
    pub text: Sp<String>,
    pub resolved: Resolved,
}

impl Account {
    pub fn from_doc(doc: &AccountDoc) -> Account {
        Account {
            kind: doc.kind.value,
            kind_span: doc.kind.span,
            name: doc.name.clone(),
        }
    }
}

impl Token {
    pub fn resolve(index: usize, mut doc: Box<TokenDoc>, cat: &Catalogue) -> Token {
        let scopes = doc.scopes.take();
        let scopes_span = scopes.as_ref().map(|s| s.span);
        let grants: Vec<Grant> = scopes
            .map(|s| {
                s.value
                    .into_iter()
                    .map(|text| Grant {
                        // As written: ` campaigns:read` is not a scope (and is said so).
                        resolved: cat.resolve(&text.value),
                        text,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut effective = grants
            .iter()
            .fold(ScopeSet::EMPTY, |acc, g| acc.union(g.resolved.set()));
        if let Some(legacy) = &doc.legacy {
            effective = effective.union(cat.legacy_set(legacy.value));
        }
        let environments = match &doc.environment {
            None => Vec::new(),
            Some(e) => match &e.value {
                Environments::One(name) => vec![Sp::new(name.clone(), e.span)],
                Environments::Many(names) => names.clone(),
            },
        };
        Token {
            index,
            doc,
            grants,
            scopes_span,
            effective,
            environments,
        }
    }

    pub fn name(&self) -> &str {
        &self.doc.name.value
    }

    pub fn state(&self) -> TokenState {
        self.doc.state.as_ref().map(|s| s.value).unwrap_or_default()
    }

    /// The environment when exactly one is declared, else the first (for reporting).
    pub fn environment(&self) -> Option<&str> {
        self.environments.first().map(|e| e.value.as_str())
    }
}

/// A token with its account and catalogue, as rules receive it.
#[derive(Clone, Copy)]
pub struct TokenRef<'a> {
    pub account: &'a Account,
    pub token: &'a Token,
    pub catalogue: &'a Catalogue,
}

impl<'a> TokenRef<'a> {
    pub fn name(&self) -> &'a str {
        self.token.name()
    }

    /// The span of the token's name value: where token-level findings point.
    pub fn name_span(&self) -> Span {
        self.token.doc.name.span
    }

    pub fn doc(&self) -> &'a TokenDoc {
        &self.token.doc
    }

    /// The live listing and this token's entry in it (by SID), when the run has a listing.
    pub fn listed(
        &self,
        run: &Run<'a>,
    ) -> Option<(&'a crate::live::LiveInput, &'a crate::live::ListedToken)> {
        let live = run.live?;
        let sid = self.token.doc.sid.as_ref()?;
        Some((live, live.token(&sid.value)?))
    }

    /// The span of the entry granting the most, for findings about what a token holds:
    /// the first grant that contributes to `set`, else the legacy key, else the name.
    pub fn span_for(&self, set: ScopeSet) -> Span {
        self.token
            .grants
            .iter()
            .find(|g| !g.resolved.set().intersect(set).is_empty())
            .map(|g| g.text.span)
            .or_else(|| self.token.doc.legacy.as_ref().map(|l| l.span))
            .unwrap_or(self.name_span())
    }
}

impl<'a> Run<'a> {
    /// The same settings with no files (for the per-token stage).
    pub fn clone_empty(&self) -> Run<'a> {
        Run {
            catalogues: self.catalogues,
            policy: self.policy,
            as_of: self.as_of,
            files: Vec::new(),
            identity: Default::default(),
            memo: Memo::default(),
            live: self.live,
            usage: self.usage,
        }
    }

    /// Every token of the run with its context.
    pub fn tokens(&self) -> impl Iterator<Item = TokenRef<'_>> {
        self.files.iter().flat_map(move |f| {
            f.account.iter().flat_map(move |acc| {
                let cat = self.catalogues.get(acc.kind);
                f.tokens.iter().map(move |t| TokenRef {
                    account: acc,
                    token: t,
                    catalogue: cat,
                })
            })
        })
    }

    /// The token at `(file, token)` indices, with its context.
    pub fn token_ref(&self, file: usize, token: usize) -> TokenRef<'_> {
        let f = &self.files[file];
        let account = f
            .account
            .as_ref()
            .expect("only files with an account have tokens");
        TokenRef {
            account,
            token: &f.tokens[token],
            catalogue: self.catalogues.get(account.kind),
        }
    }

    /// What this run has beyond the definitions.
    pub fn inputs(&self) -> super::Inputs {
        super::Inputs {
            live: self.live.is_some(),
            usage: self.usage.is_some(),
            scan: false,
        }
    }

    /// What the usage logs say about a token: its SID's usage, when logs were given, the
    /// token declares a SID and the logs used it under the token's account type.
    pub fn usage_of(&self, t: TokenRef<'_>) -> Option<&'a crate::usage::TokenUsage> {
        let sid = t.doc().sid.as_ref()?;
        self.usage?
            .token(sid.value.trim())
            .filter(|u| u.account_type == t.account.kind)
    }

    /// A rule's typed options, as the policy set them.
    pub fn options<R: super::Configured>(&self) -> R::Options {
        R::options(self.policy)
    }

    pub fn token_count(&self) -> usize {
        self.files.iter().map(|f| f.tokens.len()).sum()
    }
}
