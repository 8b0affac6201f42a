use super::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags an inline `# scopeward: ignore[…]` comment or a `[[ignore]]` entry in
    /// `scopeward.toml` that silenced nothing: the finding it was written for is gone, or it
    /// never matched. An `[[ignore]]` past its `expires` date silences nothing either: its
    /// finding returns, with a note pointing at the expired entry.
    ///
    /// ## Why is this bad?
    /// Stale ignores pile up and hide the next real finding that happens to match them. Every
    /// suppression should be there for a finding that still exists.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   # scopeward: ignore[legacy-token] migrating in Q1
    ///   - name: reports
    ///     scopes: [reports:read]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: reports
    ///     scopes: [reports:read]
    /// ```
    pub struct UnusedIgnore {
        id: "unused-ignore",
        severity: Warning,
        summary: "an inline or configured ignore that silenced nothing (an expired one: its finding returns)",
        options: {},
        security_severity: "1.0",
    }
}

/// Findings of this rule are made by the filter stage, which is where ignores are applied.
impl Rule for UnusedIgnore {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
}
