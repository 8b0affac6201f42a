use super::{FindingBuilder, Rule, RuleMeta, Run, Sink};

declare_rule! {
    /// ## What it does
    /// With a live listing or usage logs: flags a token SID in the listing, or in the logs,
    /// that no definition declares. The finding points into the listing, or at the log line
    /// where the SID first appears.
    ///
    /// ## Why is this bad?
    /// impact.com has no API that lists tokens, so definitions are the only inventory. A token
    /// nobody declared is one nobody reviews, rotates or disables.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: reports-prod
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     scopes: [reports:read]
    /// ```
    /// ```json
    /// {"version": 1, "tool": {"name": "scopeward", "version": "0.1.0"},
    ///  "taken_at": "2026-11-22T03:00:00Z", "api_base": "https://api.impact.com",
    ///  "tokens": [{"sid": "IRAbCdEfGh1234567890abcdefghijkl1", "account_type": "brand",
    ///    "state": "active", "granted": ["reports:read"], "refused": [],
    ///    "unverifiable": [], "probed_at": "2026-11-22T03:00:01Z", "requests": 27}]}
    /// ```
    ///
    /// Use instead: declare it (or disable and delete it in impact.com).
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: reports-prod
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     scopes: [reports:read]
    ///   - name: partner-sync
    ///     sid: IRAbCdEfGh1234567890abcdefghijkl1
    ///     scopes: [reports:read]
    /// ```
    pub struct UnmanagedToken {
        id: "unmanaged-token",
        severity: Warning,
        summary: "live or usage: a token SID that no definition declares",
        options: {},
        needs: LiveOrUsage,
        security_severity: "6.0",
        precision: "high",
    }
}

impl Rule for UnmanagedToken {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_run(&self, run: &Run<'_>, out: &mut Sink<'_>) {
        let declared: rustc_hash::FxHashSet<&str> = run
            .tokens()
            .filter_map(|t| t.doc().sid.as_ref().map(|s| s.value.trim()))
            .collect();
        if let Some(usage) = run.usage {
            for u in usage.tokens() {
                let listed = run.live.and_then(|l| l.token(&u.sid)).is_some();
                if declared.contains(u.sid.as_str()) || listed {
                    continue;
                }
                let Some(span) = usage.span_of(&u.sid) else {
                    continue;
                };
                out.push(
                    FindingBuilder::new(
                        &Self::META,
                        format!(
                            "{} token `{}` made {} request{} in the usage logs (first at {}), but no definition declares it",
                            u.account_type.as_str(),
                            u.sid,
                            u.requests,
                            if u.requests == 1 { "" } else { "s" },
                            usage.describe(u.first_seen)
                        ),
                    )
                    .account(u.account_type, None)
                    .token_name(u.sid.as_str())
                    .help("declare it in a token definition file (with its `sid`), or disable and delete it in impact.com")
                    .label("first request of an undeclared token")
                    .at(span),
                );
            }
        }
        let Some(live) = run.live else { return };
        for listed in &live.listing.tokens {
            if declared.contains(listed.sid.value.as_str()) {
                continue;
            }
            let shown = listed
                .name
                .as_ref()
                .map_or(listed.sid.value.as_str(), |n| n.value.as_str());
            let mut b = FindingBuilder::new(
                &Self::META,
                format!(
                    "{} token `{}` ({}) is in the live listing, but no definition declares it",
                    listed.account_type.value.as_str(),
                    shown,
                    listed.state.value.as_str()
                ),
            )
            .account(listed.account_type.value, None)
            .help("declare it in a token definition file, or disable and delete it in impact.com")
            .label("not declared");
            b = b.token_name(shown);
            out.push(b.at(listed.sid.span));
        }
    }
}
