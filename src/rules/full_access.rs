use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags a token that holds every scope of its account type's catalogue: `*`, a legacy
    /// read-write token, or a list that happens to name every scope.
    ///
    /// ## Why is this bad?
    /// A full-access token can read and change everything in the account — payouts, contracts,
    /// partners, the company profile. If it leaks, nothing limits the damage, and nobody can
    /// tell from the token what the integration actually needs.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: reporting-prod
    ///     scopes: ["*"]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: reporting-prod
    ///     scopes: [reports:read, actions:read]
    /// ```
    pub struct FullAccess {
        id: "full-access",
        severity: Error,
        summary: "a token holds every scope of its account type's catalogue (`*`, legacy read-write, or every scope listed)",
        options: {},
        on_observed: true,
        implied_by: ["legacy-token"],
        security_severity: "8.5",
    }
}

impl Rule for FullAccess {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, _run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let all = t.catalogue.all();
        if !t.token.effective.is_superset(all) {
            return;
        }
        let how = if let Some(g) = t
            .token
            .grants
            .iter()
            .find(|g| g.resolved.set().is_superset(all))
        {
            (
                g.text.span,
                format!("`{}` grants every scope", g.text.value),
            )
        } else if let Some(l) = t
            .doc()
            .legacy
            .as_ref()
            .filter(|l| l.value == crate::model::Legacy::ReadWrite)
        {
            (
                l.span,
                "a legacy read-write token has full access".to_string(),
            )
        } else if let Some(l) = &t.doc().legacy {
            (
                l.span,
                format!(
                    "legacy {} access and the scopes add up to every scope",
                    l.value.as_str()
                ),
            )
        } else {
            let span = t.token.scopes_span.unwrap_or(t.name_span());
            (span, "these scopes add up to every scope".to_string())
        };
        out.push(
            FindingBuilder::for_token(
                &Self::META,
                t,
                format!("token `{}` holds every {} scope", t.name(), t.account.kind),
            )
            .help("create a scoped access token with only the scopes it needs")
            .label(how.1)
            .at(how.0),
        );
    }
}
