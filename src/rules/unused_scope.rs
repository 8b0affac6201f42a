use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};
use crate::catalogue::{Catalogue, Resolved, ScopeSet};
use crate::model::AccountType;
use crate::usage::TokenUsage;

declare_rule! {
    /// ## What it does
    /// With usage logs (`--usage LOG`): flags a scope the token holds that no logged request
    /// of the token (found by its `sid`) needed — a scope, a pattern such as `*` or
    /// `reports:*` that grants more than was used, or a legacy token's blanket access.
    /// Tokens that do not appear in the logs are left to `unused-token`.
    ///
    /// It judges only logs that cover at least `min_window_days` (30) days, first and last
    /// day included (`audit` says why it is silent over a shorter window), and never calls
    /// unused a scope whose operations the logs show requests to that no token can be given
    /// (`/PageLoad` with no Basic-auth user in the log): those are unverifiable from these logs.
    ///
    /// ## Why is this bad?
    /// A scope nobody uses is access an attacker gets for free with a leaked Auth Token.
    /// The logs show what the integration really does; the token should hold that and no
    /// more. `scopeward suggest --usage LOG` prints the least scopes, and `--diff` applies them.
    ///
    /// ## Example
    /// ```log
    /// 10.0.0.7 - - [01/Oct/2026:09:12:44 +0000] "GET /Advertisers/IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1/Actions?PageSize=100 HTTP/1.1" 200 5120
    /// 10.0.0.7 - - [02/Nov/2026:09:12:44 +0000] "GET /Advertisers/IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1/Actions?PageSize=100 HTTP/1.1" 200 5120
    /// ```
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: actions-export
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     scopes: [actions:read, actions:write]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: actions-export
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     scopes: [actions:read]
    /// ```
    pub struct UnusedScope {
        id: "unused-scope",
        severity: Warning,
        summary: "with usage logs: a granted scope no logged request needed",
        options: {
            min_window_days: i64 = 30, range (1, 3650), "days the usage logs must cover before a scope counts as unused";
        },
        needs: Usage,
        precision: "medium",
    }
}

/// What the token's logged requests used: the scopes they needed, and for an agency whose
/// requests went through the passthrough, its `advertisers` scopes (impact.com does not say
/// which agency scope the passthrough needs, so scopeward never calls those unused).
pub(crate) fn used(u: &TokenUsage, cat: &Catalogue) -> ScopeSet {
    let mut used = u.needed;
    if cat.account_type() == AccountType::Agency && u.passthrough.requests > 0 {
        used = used.union(cat.matching("advertisers:*"));
    }
    used
}

/// "12 requests, 2026-11-01 to 2026-11-22 UTC": a token's logged requests and their window.
pub(crate) fn window(u: &TokenUsage) -> String {
    let n = u.requests;
    let mut s = format!("{n} request{}", if n == 1 { "" } else { "s" });
    if let (Some(a), Some(b)) = (u.first_day(), u.last_day()) {
        if a == b {
            s.push_str(&format!(" on {a} UTC"));
        } else {
            s.push_str(&format!(", {a} to {b} UTC"));
        }
    }
    s
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        return "nothing".into();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Rule for UnusedScope {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let (Some(usage), Some(u)) = (run.usage, run.usage_of(t)) else {
            return;
        };
        // Over a short window, "not used" says little (`audit` prints why it is silent).
        if usage.covers(run.options::<Self>().min_window_days).is_err() {
            return;
        }
        let cat = t.catalogue;
        // Scopes the logs cannot attribute requests of count as possibly used.
        let used = used(u, cat).union(usage.unverifiable(t.account.kind));
        let seen = window(u);
        for g in &t.token.grants {
            let text = g.text.value.trim();
            match g.resolved {
                Resolved::Scope(id) if !used.contains(id) => out.push(
                    FindingBuilder::for_token(
                        &Self::META,
                        t,
                        format!(
                            "token `{}` holds `{text}`, which no logged request needed ({seen})",
                            t.name()
                        ),
                    )
                    .scope(text)
                    .help("remove it from `scopes` (`scopeward suggest --diff` does)")
                    .label("never used")
                    .at(g.text.span),
                ),
                Resolved::Pattern(set) if !set.minus(used).is_empty() => {
                    let keep = set.intersect(used);
                    let unused = set.minus(used);
                    let (message, help) = if keep.is_empty() {
                        (
                            format!(
                                "token `{}` holds `{text}` ({} scope{}), none of which a logged request needed ({seen})",
                                t.name(),
                                set.len(),
                                if set.len() == 1 { "" } else { "s" }
                            ),
                            "remove it from `scopes`".to_string(),
                        )
                    } else {
                        (
                            format!(
                                "token `{}` holds `{text}` ({} scopes), of which logged requests needed only {} ({seen})",
                                t.name(),
                                set.len(),
                                keep.len()
                            ),
                            format!(
                                "replace `{text}` with {} ({} unused)",
                                list(&cat.names_of(keep)),
                                unused.len()
                            ),
                        )
                    };
                    out.push(
                        FindingBuilder::for_token(&Self::META, t, message)
                            .scope(text)
                            .help(help)
                            .label("broader than its use")
                            .at(g.text.span),
                    );
                }
                _ => {}
            }
        }
        if let Some(legacy) = &t.doc().legacy {
            let (held, pattern) = (cat.legacy_set(legacy.value), legacy.value.pattern());
            if !held.minus(used).is_empty() {
                let needed = cat.names_of(used.intersect(held));
                out.push(
                    FindingBuilder::for_token(
                        &Self::META,
                        t,
                        format!(
                            "legacy {} token `{}` holds {} {} scopes; logged requests needed only {} ({seen})",
                            legacy.value.as_str(),
                            t.name(),
                            held.len(),
                            t.account.kind,
                            list(&needed)
                        ),
                    )
                    .scope(pattern)
                    .help(format!(
                        "upgrade it to a scoped access token with scopes [{}]",
                        needed.join(", ")
                    ))
                    .label("legacy access")
                    .at(legacy.span),
                );
            }
        }
    }
}
