use super::{FindingBuilder, Grant, Rule, RuleMeta, Run, Sink, TokenRef};
use crate::catalogue::ScopeSet;

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
        options: {},
        security_severity: "7.0",
    }
}

impl Rule for EnvironmentScopeDenied {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_grant(&self, run: &Run<'_>, t: TokenRef<'_>, grant: &Grant, out: &mut Sink<'_>) {
        let held = Held {
            legacy: false,
            set: grant.resolved.set(),
            text: &grant.text.value,
            span: grant.text.span,
        };
        denied(run, t, held, out);
    }

    /// A legacy token's access is not in its scope list: check it as a whole.
    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let Some(legacy) = &t.doc().legacy else {
            return;
        };
        let set = t.catalogue.legacy_set(legacy.value);
        let text = format!("legacy {} access", legacy.value.as_str());
        let held = Held {
            legacy: true,
            set,
            text: &text,
            span: legacy.span,
        };
        denied(run, t, held, out);
    }
}

/// What a token holds through one entry (a scope, a pattern, or legacy access).
struct Held<'a> {
    /// Legacy access, described in words rather than quoted as a scope.
    legacy: bool,
    set: ScopeSet,
    text: &'a str,
    span: crate::source::Span,
}

fn denied(run: &Run<'_>, t: TokenRef<'_>, held: Held<'_>, out: &mut Sink<'_>) {
    if held.set.is_empty() {
        return;
    }
    for env_name in &t.token.environments {
        let Some(env) = run.policy.environment(&env_name.value) else {
            continue;
        };
        for pattern in &env.deny {
            let denied = held
                .set
                .intersect(t.catalogue.matching(pattern.value.trim()));
            if denied.is_empty() {
                continue;
            }
            let names = t.catalogue.names_of(denied);
            let shown = if held.legacy {
                held.text.to_string()
            } else {
                format!("`{}`", held.text)
            };
            let what = if names.len() == 1 && names[0] == held.text.trim() {
                shown
            } else if names.len() <= 4 {
                format!("{shown} (which grants {})", names.join(", "))
            } else {
                format!("{shown} (which grants {} denied scopes)", names.len())
            };
            out.push(
                FindingBuilder::for_token(
                    &EnvironmentScopeDenied::META,
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
                .scope(held.text.to_string())
                .label("denied scope")
                .related(pattern.span, "denied by policy here")
                .subject(format!("{}:{}", env.name, pattern.value))
                .at(held.span),
            );
        }
    }
}
