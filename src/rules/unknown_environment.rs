use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags an `environment` that is not one of the policy's `environments` (by default
    /// `development`, `staging`, `production`).
    ///
    /// ## Why is this bad?
    /// A misspelt or invented environment escapes every per-environment rule: its scopes are
    /// never checked against the environment's `deny` list.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     environment: prod
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     environment: production
    /// ```
    pub struct UnknownEnvironment {
        id: "unknown-environment",
        severity: Error,
        summary: "the environment is not in the policy's list",
        options: {},
        security_severity: "3.0",
    }
}

impl Rule for UnknownEnvironment {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        for env in &t.token.environments {
            if run.policy.environment(&env.value).is_some() {
                continue;
            }
            let names: Vec<&str> = run
                .policy
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            let suggestion = crate::did_you_mean::did_you_mean(&env.value, names.iter().copied())
                .or_else(|| {
                    super::environment_name_mismatch::canonical(&env.value)
                        .filter(|c| names.contains(c))
                });
            let help = match suggestion {
                Some(s) => format!(
                    "did you mean `{s}`? the policy's environments are {}",
                    names.join(", ")
                ),
                None => format!(
                    "use one of {}, or add it to `environments` in scopeward.toml",
                    names.join(", ")
                ),
            };
            let mut b = FindingBuilder::for_token(
                &Self::META,
                t,
                if env.value.trim().is_empty() {
                    format!("token `{}` declares an empty environment", t.name())
                } else {
                    format!(
                        "token `{}` declares unknown environment `{}`",
                        t.name(),
                        env.value
                    )
                },
            )
            .help(help)
            .label("not a policy environment")
            .subject(env.value.clone());
            if let (Some(policy_file), Some(first)) =
                (run.policy.file, run.policy.environments.first())
            {
                if let Some(span) = first.span.filter(|s| s.file == policy_file) {
                    b = b.related(span, "environments are declared here");
                }
            }
            out.push(b.at(env.span));
        }
    }
}
