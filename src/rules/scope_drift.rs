use super::{FindingBuilder, Rule, RuleMeta, Run, Severity, Sink, TokenRef};
use crate::live::LiveState;

declare_rule! {
    /// ## What it does
    /// With a live listing (`audit --live` or `audit --listing`): compares what the API let a
    /// token read with what its definition declares. A read the API granted but the definition
    /// does not declare is an error; a declared read the API refused is a warning. Writes are
    /// never probed, so they are not judged.
    ///
    /// ## Why is this bad?
    /// The definition is what reviewers approve. A token that can do more than it says was
    /// widened in the impact.com UI without review (or the definition was narrowed without the
    /// token); one that can do less will break the integration that relies on it.
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
    ///  "tokens": [{"sid": "IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1", "account_type": "brand",
    ///    "state": "active", "granted": ["reports:read", "actions:read"], "refused": [],
    ///    "unverifiable": [], "probed_at": "2026-11-22T03:00:01Z", "requests": 27}]}
    /// ```
    ///
    /// Use instead: declare what the token can do, or narrow the token in impact.com.
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: reports-prod
    ///     sid: IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    ///     scopes: [reports:read, actions:read]
    /// ```
    pub struct ScopeDrift {
        id: "scope-drift",
        severity: Error,
        summary: "live: effective access differs from the declared scopes (granted but undeclared reads: error; declared reads refused: warning)",
        options: {},
        needs: Live,
        security_severity: "7.0",
    }
}

impl Rule for ScopeDrift {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let Some((live, listed)) = t.listed(run) else {
            return;
        };
        if listed.state.value != LiveState::Active || listed.account_type.value != t.account.kind {
            return;
        }
        let cat = t.catalogue;
        let declared = t.token.effective;
        let taken = live.taken_at();
        // One finding per direction, naming every scope, each labelled in the listing.
        let undeclared = listed.granted_set(cat).minus(declared);
        if !undeclared.is_empty() {
            let names = cat.names_of(undeclared);
            let mut b = FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "token `{}` can read {}, which its definition does not declare: {}",
                    t.name(),
                    count(names.len()),
                    names.join(", ")
                ),
            )
            .help("if the integration needs them, declare them (and review why); otherwise remove them from the token in impact.com")
            .label(format!("{} not declared here", count(names.len())))
            .subject(format!("undeclared:{}", names.join(",")));
            for g in listed
                .granted
                .value
                .iter()
                .filter(|g| names.contains(&g.value.as_str()))
            {
                b = b.related(
                    g.span,
                    format!("`{}` granted (live listing of {taken})", g.value),
                );
            }
            out.push(b.at(t.token.scopes_span.unwrap_or(t.name_span())));
        }
        let refused = listed.refused_set(cat).intersect(declared);
        if !refused.is_empty() {
            let names = cat.names_of(refused);
            let mut b = FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "token `{}` declares {} the API refused (403): {}",
                    t.name(),
                    count(names.len()),
                    names.join(", ")
                ),
            )
            .severity(Severity::Warning)
            .help("add the scopes to the token in impact.com, or remove them from the definition if they are no longer needed")
            .label("refused by the API")
            .subject(format!("refused:{}", names.join(",")));
            for g in listed
                .refused
                .iter()
                .filter(|g| names.contains(&g.value.as_str()))
            {
                b = b.related(
                    g.span,
                    format!("`{}` refused (live listing of {taken})", g.value),
                );
            }
            out.push(b.at(t.span_for(refused)));
        }
    }
}

/// `1 scope`, `3 scopes`.
fn count(n: usize) -> String {
    format!("{n} scope{}", if n == 1 { "" } else { "s" })
}
