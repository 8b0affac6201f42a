use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};
use crate::catalogue::Access;

declare_rule! {
    /// ## What it does
    /// Flags a token that holds more than `max_fraction` (0.5) of its catalogue's scopes, or
    /// write access to more than `max_write_categories` (5) categories. Tokens with full access
    /// are left to `full-access`.
    ///
    /// ## Why is this bad?
    /// An integration rarely needs most of an account. Broad tokens are usually copied from
    /// "select all" in the UI, and every extra scope is access an attacker gets for free.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: sync-prod
    ///     scopes: [ads:write, deals:write, catalogs:write, contacts:write, notes:write, partner-groups:write]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: sync-prod
    ///     scopes: [catalogs:write, catalogs:read]
    /// ```
    pub struct BroadAccess {
        id: "broad-access",
        severity: Warning,
        summary: "a token holds more than `max_fraction` (0.5) of the catalogue's scopes, or write on more than `max_write_categories` (5) categories",
        options: {
            max_fraction: f64 = 0.5, range (0.0, 1.0), "the share of the catalogue's scopes a token may hold";
            max_write_categories: usize = 5, range (0, 128), "how many categories a token may write to";
        },
        on_observed: true,
        security_severity: "6.0",
    }
}

impl Rule for BroadAccess {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let all = t.catalogue.all();
        let eff = t.token.effective;
        if eff.is_superset(all) {
            return; // full-access says it
        }
        let Options {
            max_fraction,
            max_write_categories: max_writes,
        } = run.options::<Self>();
        let writes = eff.intersect(t.catalogue.with_access(Access::Write));
        let span = t.token.scopes_span.unwrap_or_else(|| t.span_for(eff));
        if (eff.len() as f64) > max_fraction * all.len() as f64 {
            out.push(
                FindingBuilder::for_token(
                    &Self::META,
                    t,
                    format!(
                        "token `{}` holds {} of the {} {} scopes (more than {:.0}%)",
                        t.name(),
                        eff.len(),
                        all.len(),
                        t.account.kind,
                        max_fraction * 100.0
                    ),
                )
                .help("grant only the categories the integration calls")
                .label("these scopes")
                .subject("fraction")
                .at(span),
            );
        } else if writes.len() > max_writes {
            let cats: Vec<&str> = writes
                .iter()
                .map(|s| t.catalogue.scope_category(s).id.as_str())
                .collect();
            out.push(
                FindingBuilder::for_token(
                    &Self::META,
                    t,
                    format!(
                        "token `{}` can write to {} categories (more than {}): {}",
                        t.name(),
                        writes.len(),
                        max_writes,
                        cats.join(", ")
                    ),
                )
                .help("split the token by job, or drop the write scopes it does not use")
                .label("write scopes")
                .subject("writes")
                .at(span),
            );
        }
    }
}
