use super::{FileModel, FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags a secret in a definition file: a key such as `auth_token`, `password` or
    /// `secret` that carries a value, or any value shaped like an impact.com Auth Token (32
    /// mixed characters) or a URL with credentials. Output shows at most the first four
    /// characters of the value.
    ///
    /// ## Why is this bad?
    /// Definition files live in version control; impact.com's own advice is never to keep
    /// tokens in source code or configuration. Once committed, the Auth Token must be reset.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     auth_token: not-a-real-token-0000
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     auth_token_env: ACME_ORDERS_TOKEN
    /// ```
    pub struct SecretInDefinition {
        id: "secret-in-definition",
        severity: Error,
        summary: "a value looks like an Auth Token, or a key such as `auth_token`/`password` carries a value; output redacts it",
        options: {},
        security_severity: "9.0",
        precision: "high",
    }
}

impl Rule for SecretInDefinition {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, run: &Run<'_>, file: &FileModel, out: &mut Sink<'_>) {
        for hit in &file.secrets {
            let message = if hit.key == crate::model::KEY_SHAPED {
                let under = if hit.path.is_empty() {
                    "the top level".to_string()
                } else {
                    format!("`{}`", hit.path)
                };
                format!(
                    "a key under {under} is shaped like an impact.com Auth Token ({})",
                    hit.redacted
                )
            } else if hit.path.is_empty() {
                // Found in the raw text: a comment, or a file that does not parse.
                if hit.by_key {
                    format!(
                        "the file assigns a secret to `{}` ({})",
                        hit.key, hit.redacted
                    )
                } else {
                    format!(
                        "the file contains a value shaped like an impact.com Auth Token ({})",
                        hit.redacted
                    )
                }
            } else if hit.by_key {
                format!("`{}` carries a secret ({})", hit.key, hit.redacted)
            } else if hit.redacted.contains("://") {
                format!(
                    "`{}` holds a URL with embedded credentials ({})",
                    hit.path, hit.redacted
                )
            } else {
                format!(
                    "`{}` holds a value shaped like an impact.com Auth Token ({})",
                    hit.path, hit.redacted
                )
            };
            let token = hit
                .token
                .and_then(|i| file.tokens.iter().find(|t| t.index == i));
            let b = match (&file.account, token) {
                (Some(account), Some(token)) => FindingBuilder::for_token(
                    &Self::META,
                    TokenRef {
                        account,
                        token,
                        catalogue: run.catalogues.get(account.kind),
                    },
                    message,
                ),
                (Some(account), None) => FindingBuilder::new(&Self::META, message).account(
                    account.kind,
                    account.name.as_ref().map(|n| n.value.as_str()),
                ),
                (None, _) => FindingBuilder::new(&Self::META, message),
            };
            out.push(
                b.help(
                    "remove it and reset the Auth Token in impact.com (it is in this file's history now); \
                     name the environment variable that holds it with `auth_token_env`",
                )
                .label("secret")
                .subject(if hit.path.is_empty() {
                    format!("text:{}", hit.redacted)
                } else {
                    hit.path.clone()
                })
                .at(hit.value_span),
            );
        }
    }
}
