use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags a token that declares no `environment`.
    ///
    /// ## Why is this bad?
    /// Without an environment, the environment's policy (denied scopes, allowed contact
    /// domains) cannot apply, and nobody can tell whether the token is safe to rotate.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     environment: production
    /// ```
    pub struct MissingEnvironment {
        id: "missing-environment",
        severity: Warning,
        summary: "a token declares no environment",
        options: {},
        security_severity: "2.0",
    }
}

impl Rule for MissingEnvironment {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        if !t.token.environments.is_empty() {
            return;
        }
        let names: Vec<&str> = run
            .policy
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        out.push(
            FindingBuilder::for_token(
                &Self::META,
                t,
                format!("token `{}` declares no environment", t.name()),
            )
            .help(format!(
                "add `environment:` with one of {}",
                names.join(", ")
            ))
            .label("no environment")
            .at(t.name_span()),
        );
    }
}
