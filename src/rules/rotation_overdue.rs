use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};
use crate::model::TokenState;

declare_rule! {
    /// ## What it does
    /// Flags an enabled token whose Auth Token was not reset (`last_reset`, or `created` if it
    /// was never reset) within `days` (365).
    ///
    /// ## Why is this bad?
    /// Every copy of an Auth Token ever made — in old laptops, CI logs, former colleagues'
    /// notes — works until it is reset. Regular resets bound how long a leak stays useful.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     created: 2024-03-01
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     created: 2024-03-01
    ///     last_reset: 2026-06-01
    /// ```
    pub struct RotationOverdue {
        id: "rotation-overdue",
        severity: Warning,
        summary: "Auth Token not reset (or created) within `days` (365)",
        options: {
            days: i64 = 365, range (1, 36500), "the longest an Auth Token may go without a reset";
        },
        security_severity: "5.0",
    }
}

impl Rule for RotationOverdue {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        if t.token.state() != TokenState::Enabled {
            return;
        }
        let days = run.options::<Self>().days;
        // The newer of the two: a reset recorded before the creation date is a stale entry.
        let (field, day) = match (&t.doc().last_reset, &t.doc().created) {
            (Some(r), Some(c)) if c.value > r.value => ("created", c),
            (Some(r), _) => ("last reset", r),
            (None, Some(c)) => ("created", c),
            (None, None) => return,
        };
        let age = day.value.days_until(run.as_of);
        if age > days {
            out.push(
                FindingBuilder::for_token(
                    &Self::META,
                    t,
                    format!(
                        "token `{}`'s Auth Token was {field} {age} days ago ({}); reset it at least every {days} days",
                        t.name(),
                        day.value
                    ),
                )
                .help("reset the Auth Token in impact.com, update where it is stored, and record `last_reset`")
                .label(format!("{field} here"))
                .at(day.span),
            );
        }
    }
}
