use super::{FindingBuilder, Rule, RuleMeta, Run, Severity, Sink, TokenRef};
use crate::catalogue::ScopeSet;
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
        let where_undeclared = t.token.scopes_span.unwrap_or(t.name_span());
        for id in listed.granted_set(cat).minus(declared).iter() {
            let scope = cat.scope_name(id);
            let mut b = FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "token `{}` can read `{scope}`, which its definition does not declare",
                    t.name()
                ),
            )
            .help("if the integration needs it, declare it (and review why); otherwise remove it from the token in impact.com")
            .label(format!("`{scope}` is not declared here"))
            .scope(scope);
            if let Some(at) = listed.granted.value.iter().find(|g| g.value == scope) {
                b = b.related(
                    at.span,
                    format!("granted (live listing of {})", live.taken_at()),
                );
            }
            out.push(b.at(where_undeclared));
        }
        for id in listed.refused_set(cat).intersect(declared).iter() {
            let scope = cat.scope_name(id);
            let mut one = ScopeSet::EMPTY;
            one.insert(id);
            let mut b = FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "token `{}` declares `{scope}`, but the API refused it (403)",
                    t.name()
                ),
            )
            .severity(Severity::Warning)
            .help("add the scope to the token in impact.com, or remove it from the definition if it is no longer needed")
            .label("refused by the API")
            .scope(scope);
            if let Some(at) = listed.refused.iter().find(|g| g.value == scope) {
                b = b.related(
                    at.span,
                    format!("refused (live listing of {})", live.taken_at()),
                );
            }
            out.push(b.at(t.span_for(one)));
        }
    }
}
