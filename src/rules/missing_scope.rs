use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// With usage logs (`--usage LOG`): flags a scope that a logged request of the token
    /// (found by its `sid`) needed and the token does not hold — even when impact.com refused
    /// the request (403), since the integration evidently tries to make it.
    ///
    /// ## Why is this bad?
    /// Either the definition is wrong (the real token holds more than declared, so reviews
    /// of the file miss access the integration has), or the integration is failing in
    /// production with 403s. Both need a person to decide: grant the scope deliberately, or
    /// stop the calls.
    ///
    /// ## Example
    /// ```log
    /// 10.0.0.7 - - [03/Nov/2026:14:02:10 +0000] "POST /Advertisers/IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1/Conversions HTTP/1.1" 403 98
    /// ```
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: shopify-orders
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     scopes: [actions:read]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: shopify-orders
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     scopes: [conversions:write]
    /// ```
    pub struct MissingScope {
        id: "missing-scope",
        severity: Error,
        summary: "with usage logs: a logged request needs a scope the token lacks",
        options: {},
        needs: Usage,
        security_severity: "3.0",
        precision: "high",
    }
}

impl Rule for MissingScope {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let (Some(u), Some(usage)) = (run.usage_of(t), run.usage) else {
            return;
        };
        let missing = u.needed.minus(t.token.effective);
        if missing.is_empty() {
            return;
        }
        let at = t
            .token
            .scopes_span
            .or_else(|| t.doc().legacy.as_ref().map(|l| l.span))
            .unwrap_or(t.name_span());
        for id in missing.iter() {
            let name = t.catalogue.scope_name(id);
            let Some(s) = u.scope(id) else { continue };
            let mut message = format!(
                "token `{}` lacks `{name}`, which {} logged request{} needed",
                t.name(),
                s.requests,
                if s.requests == 1 { "" } else { "s" }
            );
            if s.refused > 0 {
                message.push_str(&format!(" ({} refused)", s.refused));
            }
            if let Some(day) = s.first_time.and_then(crate::usage::day_of) {
                message.push_str(&format!(", first on {day} UTC"));
            }
            message.push_str(&format!(" at {}", usage.describe(s.first)));
            out.push(
                FindingBuilder::for_token(&Self::META, t, message)
                    .scope(name)
                    .help(if s.refused_only() {
                        format!(
                            "add `{name}` to `scopes` if the integration needs it, or stop the calls (no request needing it succeeded, so `scopeward suggest` adds it only with `--include-refused`)"
                        )
                    } else {
                        format!(
                            "add `{name}` to `scopes` if the integration needs it, or stop the calls"
                        )
                    })
                    .label(format!("no `{name}` here"))
                    .at(at),
            );
        }
    }
}
