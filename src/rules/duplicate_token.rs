use super::util::{env_key, identity_groups};
use super::{FindingBuilder, Rule, RuleMeta, Run, Sink};

declare_rule! {
    /// ## What it does
    /// Flags two token declarations within one account that share a name, or that share a SID
    /// for the same environment. (The same token declared for different environments is
    /// `shared-environment`.)
    ///
    /// ## Why is this bad?
    /// impact.com token names are unique within an account, and a SID identifies exactly one
    /// token: a duplicate is a copy-paste slip, and the two declarations will drift apart.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: partner}
    /// tokens:
    ///   - name: feed
    ///     environment: production
    ///   - name: feed
    ///     environment: production
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: partner}
    /// tokens:
    ///   - name: feed
    ///     environment: production
    /// ```
    pub struct DuplicateToken {
        id: "duplicate-token",
        severity: Error,
        summary: "two tokens share a name or a SID within one account",
        options: [],
    }
}

impl Rule for DuplicateToken {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_run(&self, run: &Run<'_>, out: &mut Sink<'_>) {
        for group in identity_groups(run) {
            let first = group.members[0];
            let first_envs = env_key(&first);
            for (n, t) in group.members[1..].iter().enumerate() {
                if group.by_sid {
                    // A SID shared across accounts or environments is another rule's business.
                    let same_account = t.account.kind == first.account.kind
                        && t.account.name.as_ref().map(|n| &n.value)
                            == first.account.name.as_ref().map(|n| &n.value);
                    if !same_account || env_key(t) != first_envs || t.name() == first.name() {
                        continue;
                    }
                } else if env_key(t) != first_envs
                    && !env_key(t).is_empty()
                    && !first_envs.is_empty()
                {
                    continue;
                }
                let (what, span, first_span) = if group.by_sid {
                    let sid = |t: &super::TokenRef<'_>| {
                        t.doc().sid.as_ref().map_or(t.name_span(), |s| s.span)
                    };
                    (format!("SID `{}`", group.key), sid(t), sid(&first))
                } else {
                    (
                        format!("name `{}`", group.key),
                        t.name_span(),
                        first.name_span(),
                    )
                };
                out.push(
                    FindingBuilder::for_token(
                        &Self::META,
                        *t,
                        format!("token {what} is declared more than once in this account"),
                    )
                    .help("remove the duplicate, or give each token its own name and SID")
                    .label("declared again here")
                    .related(first_span, "first declared here")
                    .subject(format!(
                        "{}#{}",
                        if group.by_sid { "sid" } else { "name" },
                        n + 1
                    ))
                    .at(span),
                );
            }
        }
    }
}
