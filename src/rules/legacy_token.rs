use super::{FindingBuilder, Rule, RuleMeta, Run, Severity, Sink, TokenRef};
use crate::model::Legacy;

declare_rule! {
    /// ## What it does
    /// Flags a legacy token (the read/write + read-only pair impact.com issued before scoped
    /// tokens). A read-write legacy token is an error; a read-only one a warning.
    ///
    /// ## Why is this bad?
    /// Legacy tokens grant broad access across all customer-facing APIs and cannot be narrowed.
    /// impact.com recommends upgrading them to scoped access tokens.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: partner}
    /// tokens:
    ///   - name: old-reporting
    ///     legacy: read-only
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: partner}
    /// tokens:
    ///   - name: reporting
    ///     scopes: [reports:read]
    /// ```
    pub struct LegacyToken {
        id: "legacy-token",
        severity: Warning,
        summary: "a legacy token: upgrade it to a scoped access token (error for read-write)",
        options: {},
        severity_note: "error for read-write",
        security_severity: "7.0",
    }
}

impl Rule for LegacyToken {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, _run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let Some(legacy) = &t.doc().legacy else {
            return;
        };
        let severity = match legacy.value {
            Legacy::ReadWrite => Severity::Error,
            Legacy::ReadOnly => Severity::Warning,
        };
        out.push(
            FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "token `{}` is a legacy {} token: it holds {}",
                    t.name(),
                    legacy.value.as_str(),
                    match legacy.value {
                        Legacy::ReadWrite => format!("every {} scope", t.account.kind),
                        Legacy::ReadOnly => format!("every {} read scope", t.account.kind),
                    }
                ),
            )
            .severity(severity)
            .help("upgrade it to a scoped access token with only the scopes it needs, then delete the legacy pair")
            .label("legacy token")
            .at(legacy.span),
        );
    }
}
