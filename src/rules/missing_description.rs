use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags a token without a `description` (or with an empty one).
    ///
    /// ## Why is this bad?
    /// A year from now, nobody will remember what `sync-2` is for, and a token nobody can
    /// explain is a token nobody dares to disable.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: sync-2
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: sync-2
    ///     description: Sends Shopify orders as conversions
    /// ```
    pub struct MissingDescription {
        id: "missing-description",
        severity: Warning,
        summary: "no description",
        options: {},
        security_severity: "1.0",
    }
}

impl Rule for MissingDescription {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, _run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let span = match &t.doc().description {
            Some(d) if !d.value.trim().is_empty() => return,
            Some(d) => d.span,
            None => t.name_span(),
        };
        out.push(
            FindingBuilder::for_token(
                &Self::META,
                t,
                format!("token `{}` has no description", t.name()),
            )
            .help("add `description:` saying what the token is for and who runs it")
            .label("no description")
            .at(span),
        );
    }
}
