use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags a token whose name names another environment (`dev`, `stg`, `prod`, …) than the
    /// one it declares, e.g. `orders-prod` declared for `development`.
    ///
    /// ## Why is this bad?
    /// People pick tokens by name. A production-named token that is really a development one
    /// (or the reverse) gets pasted into the wrong place, and the policy of the wrong
    /// environment applies to it.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders-prod
    ///     environment: development
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders-dev
    ///     environment: development
    /// ```
    pub struct EnvironmentNameMismatch {
        id: "environment-name-mismatch",
        severity: Warning,
        summary: "the token's name names another environment (`dev`, `stg`, `prod`, …) than the one it declares",
        options: {},
        security_severity: "3.0",
        precision: "medium",
    }
}

/// Words people use for environments, and the environment they mean.
const ALIASES: &[(&str, &str)] = &[
    ("dev", "development"),
    ("devel", "development"),
    ("develop", "development"),
    ("development", "development"),
    ("local", "development"),
    ("stg", "staging"),
    ("stag", "staging"),
    ("stage", "staging"),
    ("staging", "staging"),
    ("preprod", "staging"),
    ("uat", "staging"),
    ("qa", "test"),
    ("test", "test"),
    ("testing", "test"),
    ("prd", "production"),
    ("prod", "production"),
    ("production", "production"),
    ("live", "production"),
    ("sandbox", "sandbox"),
    ("sbx", "sandbox"),
];

/// The environment a word stands for.
pub fn canonical(word: &str) -> Option<&'static str> {
    // Aliases are 2 to 11 letters: most words are rejected by length alone.
    if !(2..=11).contains(&word.len()) {
        return None;
    }
    ALIASES
        .iter()
        .find(|(a, _)| a.len() == word.len() && a.eq_ignore_ascii_case(word))
        .map(|(_, c)| *c)
}

/// Environment words in a token name, split on `-`, `_`, `.`, spaces and case changes.
fn name_environments(name: &str) -> Vec<(&str, &'static str)> {
    let mut found = Vec::new();
    let mut start = 0;
    let bytes = name.as_bytes();
    for i in 1..=bytes.len() {
        let boundary = i == bytes.len()
            || matches!(bytes[i], b'-' | b'_' | b'.' | b' ' | b'/' | b':')
            || (bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase());
        if boundary {
            let w = name[start..i].trim_matches(|c: char| !c.is_ascii_alphanumeric());
            if let Some(c) = canonical(w) {
                found.push((w, c));
            }
            start = i;
        }
    }
    found
}

impl Rule for EnvironmentNameMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, _run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        if t.token.environments.is_empty() {
            return;
        }
        // What the declared environments stand for: the name itself, what it is an alias of,
        // and what the words of a compound name stand for (`production-eu` is production).
        let mut declared: Vec<&str> = Vec::new();
        for e in &t.token.environments {
            match canonical(&e.value) {
                Some(c) => declared.push(c),
                None => {
                    declared.push(e.value.as_str());
                    declared.extend(name_environments(&e.value).into_iter().map(|(_, c)| c));
                }
            }
        }
        for (word, env) in name_environments(t.name()) {
            if declared.contains(&env) {
                continue;
            }
            let first = &t.token.environments[0];
            out.push(
                FindingBuilder::for_token(
                    &Self::META,
                    t,
                    format!(
                        "token `{}` is named for {env} (`{word}`) but declared for {}",
                        t.name(),
                        t.token
                            .environments
                            .iter()
                            .map(|e| e.value.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .help("rename the token, or correct its environment")
                .label(format!("names {env}"))
                .related(first.span, "declared environment")
                .subject(word.to_ascii_lowercase())
                .at(t.name_span()),
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(
            name_environments("orders-prod"),
            vec![("prod", "production")]
        );
        assert_eq!(name_environments("ordersDev"), vec![("Dev", "development")]);
        assert!(name_environments("product-feed").is_empty());
        assert!(name_environments("devops").is_empty());
    }
}
