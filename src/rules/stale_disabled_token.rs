use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};
use crate::model::{LastUsed, TokenState};

declare_rule! {
    /// ## What it does
    /// Flags a disabled token still declared `days` (30) after it was last used (or, if never
    /// used, created).
    ///
    /// ## Why is this bad?
    /// A disabled token can be re-enabled by anyone with access to the account's settings.
    /// Once nobody has missed it for a month, delete it for good.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: agency}
    /// tokens:
    ///   - name: retired-sync
    ///     state: disabled
    ///     last_used: 2026-02-01
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: agency}
    /// tokens:
    ///   - name: current-sync
    ///     last_used: 2026-11-20
    /// ```
    pub struct StaleDisabledToken {
        id: "stale-disabled-token",
        severity: Info,
        summary: "a disabled token still present `days` (30) after it was last used or created: delete it",
        options: {
            days: i64 = 30, range (0, 36500), "days a disabled token may linger";
        },
        security_severity: "2.0",
    }
}

impl Rule for StaleDisabledToken {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        if t.token.state() != TokenState::Disabled {
            return;
        }
        let days = run.options::<Self>().days;
        let since = match t.doc().last_used.as_ref().map(|l| l.value) {
            Some(LastUsed::On(d)) => Some((d, "last used")),
            _ => t.doc().created.as_ref().map(|c| (c.value, "created")),
        };
        let Some((day, what)) = since else { return };
        let age = day.days_until(run.as_of);
        if age > days {
            let span = t.doc().state.as_ref().map_or(t.name_span(), |s| s.span);
            out.push(
                FindingBuilder::for_token(
                    &Self::META,
                    t,
                    format!(
                        "disabled token `{}` was {what} {age} days ago ({day})",
                        t.name()
                    ),
                )
                .help("delete it in impact.com and remove it from the definitions")
                .label("disabled")
                .at(span),
            );
        }
    }
}
