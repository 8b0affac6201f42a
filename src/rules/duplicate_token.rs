use super::util::{Relation, identity_groups, relations};
use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags two token declarations within one account that share a name, and a SID declared
    /// twice for the same environment (in one account or across accounts: a SID identifies one
    /// token). The same token declared for different environments is `shared-environment`.
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
        options: {},
        security_severity: "3.0",
    }
}

impl Rule for DuplicateToken {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_run(&self, run: &Run<'_>, out: &mut Sink<'_>) {
        for group in identity_groups(run) {
            for (n, (i, j, rel)) in relations(&group).into_iter().enumerate() {
                if rel != Relation::Duplicate {
                    continue;
                }
                let (t, first) = (group.members[i], group.members[j]);
                let sid = |t: &TokenRef<'_>| t.doc().sid.as_ref().map_or(t.name_span(), |s| s.span);
                let (message, span, first_span) = if group.by_sid {
                    let accounts = |t: &TokenRef<'_>| match &t.account.name {
                        Some(n) => format!("{} account `{}`", t.account.kind, n.value),
                        None => format!("{} account", t.account.kind),
                    };
                    let where_ = if accounts(&t) == accounts(&first) {
                        "in this account".to_string()
                    } else {
                        format!("in the {} and the {}", accounts(&first), accounts(&t))
                    };
                    (
                        format!(
                            "SID `{}` is declared again {where_}, for token `{}` (first for `{}`)",
                            group.key,
                            t.name(),
                            first.name()
                        ),
                        sid(&t),
                        sid(&first),
                    )
                } else {
                    (
                        format!(
                            "token name `{}` is declared more than once in this account",
                            group.key
                        ),
                        t.name_span(),
                        first.name_span(),
                    )
                };
                out.push(
                    FindingBuilder::for_token(&Self::META, t, message)
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
