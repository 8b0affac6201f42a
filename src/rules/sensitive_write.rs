use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags write access to a `high`-sensitivity category (for a brand: account, actions,
    /// contracts, invoices, partners, …) on a token without a `justification`.
    ///
    /// ## Why is this bad?
    /// These scopes move money or change who the account works with. Some integrations need
    /// them — reversing fraudulent actions, say — and the definition should say why, so a
    /// reviewer can tell a need from an accident.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: fraud-reversals
    ///     scopes: [actions:write]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: fraud-reversals
    ///     scopes: [actions:write]
    ///     justification: Reverses actions our fraud screen rejects
    /// ```
    pub struct SensitiveWrite {
        id: "sensitive-write",
        severity: Warning,
        summary: "write on a `high`-sensitivity category without a `justification`",
        options: {},
        implied_by: ["full-access", "legacy-token"],
        security_severity: "6.5",
    }
}

impl Rule for SensitiveWrite {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, _run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        if t.doc()
            .justification
            .as_ref()
            .is_some_and(|j| !j.value.trim().is_empty())
        {
            return;
        }
        let held = t
            .token
            .effective
            .intersect(t.catalogue.high_sensitivity_writes());
        if held.is_empty() {
            return;
        }
        let names = t.catalogue.names_of(held);
        out.push(
            FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "token `{}` can write to sensitive categories without a justification: {}",
                    t.name(),
                    names.join(", ")
                ),
            )
            .help("add `justification:` saying why it needs this access, or drop the write scopes")
            .label("sensitive write")
            .at(t.span_for(held)),
        );
    }
}
