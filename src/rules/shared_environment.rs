use super::util::{Relation, env_key, identity_groups, relations};
use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags one token serving more than one environment: an `environment` list with several
    /// names, or the same token (same SID anywhere, or same name within one account) declared
    /// for different environments.
    ///
    /// ## Why is this bad?
    /// A token shared by development and production means a developer laptop holds production
    /// credentials, and a test run can change production data. Give each environment its own.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     environment: [development, production]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders-dev
    ///     environment: development
    ///   - name: orders-prod
    ///     environment: production
    /// ```
    pub struct SharedEnvironment {
        id: "shared-environment",
        severity: Error,
        summary: "one token (same name or SID) serves more than one environment",
        options: {},
        security_severity: "6.5",
    }
}

impl Rule for SharedEnvironment {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, _run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let envs = env_key(&t);
        if envs.len() > 1 {
            let span = t
                .doc()
                .environment
                .as_ref()
                .map_or(t.name_span(), |e| e.span);
            out.push(
                FindingBuilder::for_token(
                    &Self::META,
                    t,
                    format!(
                        "token `{}` serves {} environments: {}",
                        t.name(),
                        envs.len(),
                        envs.join(", ")
                    ),
                )
                .help("create one token per environment")
                .label("several environments")
                .subject("list")
                .at(span),
            );
        }
    }

    fn check_run(&self, run: &Run<'_>, out: &mut Sink<'_>) {
        for group in identity_groups(run) {
            for (i, j, rel) in relations(&group) {
                if rel != Relation::Shared {
                    continue;
                }
                let (t, first) = (group.members[i], group.members[j]);
                let (envs, first_envs) = (env_key(&t), env_key(&first));
                let sid = |t: &TokenRef<'_>| t.doc().sid.as_ref().map_or(t.name_span(), |s| s.span);
                let (what, span, first_span) = if group.by_sid {
                    (format!("SID `{}`", group.key), sid(&t), sid(&first))
                } else {
                    (
                        format!("token name `{}`", group.key),
                        t.name_span(),
                        first.name_span(),
                    )
                };
                let mut b = FindingBuilder::for_token(
                    &Self::META,
                    t,
                    format!(
                        "{what} serves {} here and {} where it was first declared",
                        envs.join(", "),
                        first_envs.join(", ")
                    ),
                )
                .help("create one token per environment")
                .label(format!(
                    "the same {} as the first declaration",
                    if group.by_sid { "SID" } else { "token" }
                ))
                .related(first_span, "first declared here");
                let env_span = |t: &TokenRef<'_>| t.doc().environment.as_ref().map(|e| e.span);
                if let Some(at) = env_span(&t) {
                    b = b.related(at, format!("serves {} here", envs.join(", ")));
                }
                if let Some(at) = env_span(&first) {
                    b = b.related(at, format!("serves {} there", first_envs.join(", ")));
                }
                out.push(
                    b.subject(format!(
                        "{}:{}",
                        if group.by_sid { "sid" } else { "name" },
                        envs.join(",")
                    ))
                    .at(span),
                );
            }
        }
    }
}
