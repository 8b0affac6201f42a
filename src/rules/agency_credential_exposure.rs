use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};
use crate::model::AccountType;

declare_rule! {
    /// ## What it does
    /// Flags an agency token that can read the agency's managed advertisers
    /// (`advertisers:read`, directly or through a pattern or legacy access).
    ///
    /// ## Why is this bad?
    /// An agency's Advertiser records include `RestAccountURL`, a URL that embeds each
    /// managed brand's SID and Auth Token. Whoever holds this token holds every client's
    /// credentials.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: agency}
    /// tokens:
    ///   - name: client-reports
    ///     scopes: ["*:read"]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: agency}
    /// tokens:
    ///   - name: client-reports
    ///     scopes: [reports:read]
    /// ```
    pub struct AgencyCredentialExposure {
        id: "agency-credential-exposure",
        severity: Warning,
        summary: "an agency token that can read managed advertisers (their records embed brand credentials)",
        options: {},
        on_observed: true,
        implied_by: ["full-access", "legacy-token"],
        security_severity: "7.0",
    }
}

impl Rule for AgencyCredentialExposure {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, _run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        if t.account.kind != AccountType::Agency {
            return;
        }
        let Some(id) = t.catalogue.scope_id("advertisers:read") else {
            return;
        };
        if !t.token.effective.contains(id) {
            return;
        }
        let mut set = crate::catalogue::ScopeSet::EMPTY;
        set.insert(id);
        out.push(
            FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "agency token `{}` can read managed advertisers, whose records embed each brand's Auth Token",
                    t.name()
                ),
            )
            .help("drop `advertisers:read` unless the token must manage clients; keep such a token out of shared tooling")
            .scope("advertisers:read")
            .label("grants advertisers:read")
            .at(t.span_for(set)),
        );
    }
}
