use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};
use crate::model::{Day, LastUsed, TokenState};
use crate::tree::de::Sp;

declare_rule! {
    /// ## What it does
    /// Flags an enabled token whose `last_used` is more than `days` (90) before today, or
    /// that was never used and was created more than `days` ago. With usage logs
    /// (`--usage LOG`), the token's last logged request counts when it is newer than `last_used`.
    ///
    /// ## Why is this bad?
    /// impact.com does not tell you when a token was last used. A token nobody uses is pure
    /// risk: it still works for whoever holds a copy. Disable it; re-enable it if someone asks.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: old-feed
    ///     last_used: 2026-01-15
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: old-feed
    ///     state: disabled
    ///     last_used: 2026-01-15
    /// ```
    pub struct UnusedToken {
        id: "unused-token",
        severity: Warning,
        summary: "an enabled token unused for `days` (90), or never used and created more than `days` ago: disable it",
        options: {
            days: i64 = 90, range (1, 36500), "days without use before a token counts as unused";
        },
        security_severity: "4.5",
        precision: "high",
    }
}

impl Rule for UnusedToken {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        if t.token.state() != TokenState::Enabled {
            return;
        }
        let days = run.options::<Self>().days;
        // With usage logs, the last logged request counts when it is newer than `last_used`.
        let logged = run.usage_of(t).and_then(|u| u.last_day());
        let declared = t.doc().last_used.as_ref();
        let declared_day = match declared.map(|l| l.value) {
            Some(LastUsed::On(day)) => Some(day),
            _ => None,
        };
        if let Some(seen) = logged.filter(|l| declared_day.is_none_or(|d| *l > d)) {
            idle_by_logs(run, t, seen, declared, days, out);
            return;
        }
        let Some(last) = declared else {
            return;
        };
        match last.value {
            LastUsed::On(day) if day > run.as_of => {
                // A day that has not come yet says nothing about use: say so, never pass it.
                out.push(
                    FindingBuilder::for_token(
                        &Self::META,
                        t,
                        format!(
                            "token `{}` has `last_used` {day}, after today ({})",
                            t.name(),
                            run.as_of
                        ),
                    )
                    .help("record the day the token was last used (a date or time in the past, or `never`)")
                    .label("in the future")
                    .subject("future")
                    .at(last.span),
                );
            }
            LastUsed::On(day) => {
                let idle = day.days_until(run.as_of);
                if idle > days {
                    out.push(
                        FindingBuilder::for_token(
                            &Self::META,
                            t,
                            format!(
                                "token `{}` has not been used for {idle} days (since {day})",
                                t.name()
                            ),
                        )
                        .help(format!(
                            "disable it (tokens unused for more than {days} days count as unused)"
                        ))
                        .label("last used here")
                        .at(last.span),
                    );
                }
            }
            LastUsed::Never => {
                let Some(created) = &t.doc().created else {
                    return;
                };
                let age = created.value.days_until(run.as_of);
                if age > days {
                    out.push(
                        FindingBuilder::for_token(
                            &Self::META,
                            t,
                            format!(
                                "token `{}` was created {age} days ago ({}) and never used",
                                t.name(),
                                created.value
                            ),
                        )
                        .help("disable it, or delete it if nothing will use it")
                        .label("never used")
                        .related(created.span, "created here")
                        .at(last.span),
                    );
                }
            }
        }
    }
}

/// Judged by the last logged request (newer than any declared `last_used`).
fn idle_by_logs(
    run: &Run<'_>,
    t: TokenRef<'_>,
    seen: Day,
    declared: Option<&Sp<LastUsed>>,
    days: i64,
    out: &mut Sink<'_>,
) {
    let idle = seen.days_until(run.as_of);
    if idle > days {
        let b = FindingBuilder::for_token(
            &UnusedToken::META,
            t,
            format!(
                "token `{}` has not been used for {idle} days (last logged request on {seen})",
                t.name()
            ),
        )
        .help(format!(
            "disable it (tokens unused for more than {days} days count as unused)"
        ));
        out.push(match declared {
            Some(last) => b
                .label("last used earlier than the logs show")
                .at(last.span),
            None => b.label("last logged use long ago").at(t.name_span()),
        });
    }
}
