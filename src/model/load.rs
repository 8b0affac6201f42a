//! Loads one token definition file: parse to a spanned tree, lift out secret-bearing keys (they
//! become findings, never errors, and their values are masked in every rendering), then
//! deserialise the account and each token separately, so one bad token does not hide the rest.

use crate::redact;
use crate::source::Span;
use crate::tree::de::{DeError, from_node};
use crate::tree::{Entry, Format, Kind, Node, ParseError, parse};

use super::types::{AccountDoc, TokenDoc, TokenFileDoc};

/// Input that cannot be understood: a diagnostic with a span, never a panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// Where in the document (`tokens[3].scopes[1]`); empty for the whole file.
    pub path: String,
    pub related: Option<Box<(Span, String)>>,
}

impl InputError {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        InputError {
            span,
            message: message.into(),
            help: None,
            path: String::new(),
            related: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    fn from_de(e: DeError, fallback: Span) -> Self {
        InputError {
            span: e.span.unwrap_or(fallback),
            message: e.message,
            help: e.help,
            path: e.path,
            related: None,
        }
    }
}

impl From<ParseError> for InputError {
    fn from(e: ParseError) -> Self {
        InputError {
            span: e.span,
            message: e.message,
            help: e.help,
            path: String::new(),
            related: e.related.map(Box::new),
        }
    }
}

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
    /// Tokens that loaded, with their index in the file.
    pub tokens: Vec<(usize, TokenDoc)>,
    pub secrets: Vec<SecretHit>,
    pub errors: Vec<InputError>,
}

/// Loads a token definition document from text.
pub fn load_text(file: crate::source::FileId, format: Format, text: &str) -> LoadedFile {
    let mut out = LoadedFile {
        format,
        account: None,
        tokens: Vec::new(),
        secrets: Vec::new(),
        errors: Vec::new(),
    };
    let mut root = match parse(format, file, text) {
        Ok(root) => root,
        Err(e) => {
            out.errors.push(e.into());
            return out;
        }
    };
    let root_span = root.span;
    let file_start = Span::new(file, 0, text.lines().next().map_or(0, str::len));
    collect_secrets(&mut root, "", None, &mut out.secrets);

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
        return out;
    };
    let mut saw_account = false;
    for entry in &entries {
        match entry.key.as_str() {
            "account" => {
                saw_account = true;
                match from_node::<AccountDoc>(&entry.value) {
                    Ok(a) => out.account = Some(a),
                    Err(e) => out
                        .errors
                        .push(InputError::from_de(e.under("account"), entry.value.span)),
                }
            }
            "tokens" => load_tokens(&entry.value, &mut out),
            other => out.errors.push(unknown_root_key(other, entry)),
        }
    }
    if !saw_account {
        out.errors.push(
            InputError::new(file_start, "missing required key `account`").with_help(
                "say which kind of account the tokens belong to, e.g. `account: {type: brand}`",
            ),
        );
    }
    out
}

fn load_tokens(node: &Node, out: &mut LoadedFile) {
    let Kind::Seq(items) = &node.kind else {
        if node.kind != Kind::Null {
            out.errors.push(
                InputError::new(
                    node.span,
                    format!("expected a list of tokens, found {}", node.kind.describe()),
                )
                .with_help(
                    "write each token as a list item (`- name: …` in YAML, `[[tokens]]` in TOML)",
                ),
            );
        }
        return;
    };
    out.tokens.reserve(items.len());
    for (i, item) in items.iter().enumerate() {
        match from_node::<TokenDoc>(item) {
            Ok(t) => out.tokens.push((i, t)),
            Err(e) => out.errors.push(InputError::from_de(
                e.under(&format!("tokens[{i}]")),
                item.span,
            )),
        }
    }
}

fn unknown_root_key(key: &str, entry: &Entry) -> InputError {
    let mut e = InputError::new(entry.key_span, format!("unknown key `{key}`"));
    e.path = key.to_string();
    match crate::suggest::did_you_mean(key, TokenFileDoc::KEYS.iter().copied()) {
        Some(s) => e.with_help(format!("did you mean `{s}`?")),
        None => e.with_help("a token definition file has `account` and `tokens`"),
    }
}

/// Removes secret-bearing keys from every mapping (recording them) and records string values
/// shaped like secrets. `token` is the token index once inside `tokens[i]`.
fn collect_secrets(node: &mut Node, path: &str, token: Option<usize>, out: &mut Vec<SecretHit>) {
    match &mut node.kind {
        Kind::Map(entries) => {
            entries.retain(|e| {
                if !redact::is_secret_key(&e.key) {
                    return true;
                }
                let non_empty = match &e.value.kind {
                    Kind::Null => false,
                    Kind::Str(s) => !s.trim().is_empty(),
                    _ => true,
                };
                if !non_empty {
                    return true; // an empty secret key is only an unknown key
                }
                let shown = match &e.value.kind {
                    Kind::Str(s) => redact::redact(s),
                    _ => "…".to_string(),
                };
                out.push(SecretHit {
                    key: e.key.clone(),
                    value_span: e.value.span,
                    path: join_key(path, &e.key),
                    token,
                    redacted: shown,
                    by_key: true,
                });
                false
            });
            for e in entries.iter_mut() {
                let child = join_key(path, &e.key);
                collect_secrets(&mut e.value, &child, token, out);
            }
        }
        Kind::Seq(items) => {
            let in_tokens = path == "tokens";
            for (i, item) in items.iter_mut().enumerate() {
                let child = format!("{path}[{i}]");
                let token = if in_tokens { Some(i) } else { token };
                collect_secrets(item, &child, token, out);
            }
        }
        Kind::Str(s) if redact::looks_secret(s) => {
            let key = path
                .rsplit('.')
                .next()
                .unwrap_or(path)
                .split('[')
                .next()
                .unwrap_or("")
                .to_string();
            out.push(SecretHit {
                key,
                value_span: node.span,
                path: path.to_string(),
                token,
                redacted: redact::redact_if_secret(s),
                by_key: false,
            });
        }
        _ => {}
    }
}

fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    const GOOD: &str = "account:\n  type: brand\n  name: Acme\ntokens:\n  - name: a\n    scopes: [ads:read]\n  - name: b\n    enviroment: prod\n  - name: c\n    auth_token: Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0\n";

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
        assert!(f.secrets[0].by_key);
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
