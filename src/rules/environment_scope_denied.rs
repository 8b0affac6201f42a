use super::{FindingBuilder, Grant, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags a scope that the token's environment denies with its `deny` patterns in
    /// `scopeward.toml`, pointing at the scope and at the pattern that denies it.
    ///
    /// ## Why is this bad?
    /// The environment's owners decided its tokens may not hold this access (e.g. no writes
    /// from development). A token that does defeats the policy.
    ///
    /// ## Example
    /// ```toml
    /// [environments.development]
    /// deny = ["*:write"]
    /// [environments.production]
    /// ```
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders-dev
    ///     environment: development
    ///     scopes: [conversions:write]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders-dev
    ///     environment: development
    ///     scopes: [conversions:read]
    /// ```
    pub struct EnvironmentScopeDenied {
        id: "environment-scope-denied",
        severity: Error,
        summary: "a scope matched by the environment's `deny` patterns",
        options: [],
    }
}

impl Rule for EnvironmentScopeDenied {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_grant(&self, run: &Run<'_>, t: TokenRef<'_>, grant: &Grant, out: &mut Sink<'_>) {
        let set = grant.resolved.set();
        if set.is_empty() {
            return;
        }
        for env_name in &t.token.environments {
            let Some(env) = run.policy.environment(&env_name.value) else {
                continue;
            };
            for pattern in &env.deny {
                let denied = set.intersect(t.catalogue.matching(pattern.value.trim()));
                if denied.is_empty() {
                    continue;
                }
                let names = t.catalogue.names_of(denied);
                let what = if names.len() == 1 && names[0] == grant.text.value.trim() {
                    format!("`{}`", names[0])
                } else if names.len() <= 4 {
                    format!("`{}` (which grants {})", grant.text.value, names.join(", "))
                } else {
                    format!(
                        "`{}` (which grants {} denied scopes)",
                        grant.text.value,
                        names.len()
                    )
                };
                out.push(
                    FindingBuilder::for_token(
                        &Self::META,
                        t,
                        format!(
                            "token `{}` holds {what}, denied in {} by `{}`",
                            t.name(),
                            env.name,
                            pattern.value
                        ),
                    )
                    .help(format!(
                        "remove the scope, or move the token out of {}",
                        env.name
                    ))
                    .scope(grant.text.value.clone())
                    .label("denied scope")
                    .related(pattern.span, "denied by policy here")
                    .subject(format!("{}:{}", env.name, pattern.value))
                    .at(grant.text.span),
                );
            }
        }
    }
}
