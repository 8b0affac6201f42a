use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};
use crate::live::LiveState;
use crate::model::TokenState;

declare_rule! {
    /// ## What it does
    /// With a live listing: flags a token declared `disabled` that still authenticates and
    /// answers probes, and a token declared enabled that the API refuses on every probe (403:
    /// disabled in impact.com).
    ///
    /// ## Why is this bad?
    /// A token believed disabled but still working is a live credential nobody watches. A token
    /// believed enabled but disabled means an integration is failing, or the definition is
    /// out of date.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: old-feed
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     state: disabled
    ///     scopes: [reports:read]
    /// ```
    /// ```json
    /// {"version": 1, "tool": {"name": "scopeward", "version": "0.1.0"},
    ///  "taken_at": "2026-11-22T03:00:00Z", "api_base": "https://api.impact.com",
    ///  "tokens": [{"sid": "IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1", "account_type": "brand",
    ///    "state": "active", "granted": ["reports:read"], "refused": [],
    ///    "unverifiable": [], "probed_at": "2026-11-22T03:00:01Z", "requests": 27}]}
    /// ```
    ///
    /// Use instead: disable the token in impact.com (or declare it enabled if it is in use).
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: old-feed
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     scopes: [reports:read]
    /// ```
    pub struct StateDrift {
        id: "state-drift",
        severity: Error,
        summary: "live: declared disabled but authenticates, or declared enabled but refused",
        options: {},
        needs: Live,
        security_severity: "6.5",
    }
}

impl Rule for StateDrift {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let Some((live, listed)) = t.listed(run) else {
            return;
        };
        let at = t.doc().state.as_ref().map_or(t.name_span(), |s| s.span);
        let related = (
            listed.state.span,
            format!("live listing of {}", live.taken_at()),
        );
        let finding = match (t.token.state(), listed.state.value) {
            (TokenState::Disabled, LiveState::Active) => FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "token `{}` is declared disabled, but it authenticates and the API answers its probes",
                    t.name()
                ),
            )
            .help("disable (or delete) it in impact.com; if it is in use, declare it enabled")
            .label("declared disabled")
            .subject("disabled-but-active"),
            (TokenState::Enabled, LiveState::Disabled) => FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "token `{}` is declared enabled, but the API refused every probe (403): it is disabled in impact.com",
                    t.name()
                ),
            )
            .help("re-enable it in impact.com if an integration needs it; otherwise declare `state: disabled`")
            .label(if t.doc().state.is_some() { "declared enabled" } else { "enabled by default" })
            .subject("enabled-but-disabled"),
            _ => return,
        };
        out.push(finding.related(related.0, related.1).at(at));
    }
}
