use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};
use crate::live::LiveState;

declare_rule! {
    /// ## What it does
    /// With a live listing: flags a token whose SID and Auth Token the API rejects (401).
    ///
    /// ## Why is this bad?
    /// The token was reset or deleted in impact.com, or the secret in its `auth_token_env`
    /// is stale: whatever uses it is failing, and the definition no longer describes a
    /// working token.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders-prod
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     auth_token_env: ACME_ORDERS_TOKEN
    ///     scopes: [conversions:write]
    /// ```
    /// ```json
    /// {"version": 1, "tool": {"name": "scopeward", "version": "0.1.0"},
    ///  "taken_at": "2026-11-22T03:00:00Z", "api_base": "https://api.impact.com",
    ///  "tokens": [{"sid": "IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1", "account_type": "brand",
    ///    "state": "invalid", "granted": [], "refused": [],
    ///    "unverifiable": ["conversions:write"], "probed_at": "2026-11-22T03:00:01Z", "requests": 1}]}
    /// ```
    ///
    /// Use instead: reset the token in impact.com, store the new Auth Token where
    /// `auth_token_env` points, and probe again (or remove the definition of a deleted token).
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders-prod
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     auth_token_env: ACME_ORDERS_TOKEN
    ///     last_reset: 2026-11-22
    ///     scopes: [conversions:write]
    /// ```
    /// ```json
    /// {"version": 1, "tool": {"name": "scopeward", "version": "0.1.0"},
    ///  "taken_at": "2026-11-22T04:00:00Z", "api_base": "https://api.impact.com",
    ///  "tokens": [{"sid": "IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1", "account_type": "brand",
    ///    "state": "active", "granted": [], "refused": ["reports:read"],
    ///    "unverifiable": ["conversions:write"], "probed_at": "2026-11-22T04:00:01Z", "requests": 27}]}
    /// ```
    pub struct InvalidCredentials {
        id: "invalid-credentials",
        severity: Error,
        summary: "live: the API rejects the SID/Auth Token (401)",
        options: {},
        needs: Live,
        security_severity: "6.0",
    }
}

impl Rule for InvalidCredentials {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let Some((live, listed)) = t.listed(run) else {
            return;
        };
        if listed.state.value != LiveState::Invalid {
            return;
        }
        let help = match &t.doc().auth_token_env {
            Some(env) => format!(
                "if the token was reset, put its new Auth Token in `{}`; if it was deleted, remove this definition",
                env.value
            ),
            None => "if the token was reset, update its secret; if it was deleted, remove this definition".into(),
        };
        out.push(
            FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "the API rejects the SID and Auth Token of token `{}` (401)",
                    t.name()
                ),
            )
            .help(help)
            .label("rejected")
            .related(
                listed.state.span,
                format!("live listing of {}", live.taken_at()),
            )
            .at(t.doc().sid.as_ref().map_or(t.name_span(), |s| s.span)),
        );
    }
}
