use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags a token without a `primary_contact`.
    ///
    /// ## Why is this bad?
    /// When the token leaks, misbehaves or needs rotating, someone must be asked. impact.com
    /// records a primary contact on every scoped token; the definition should say who it is.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: partner}
    /// tokens:
    ///   - name: feed
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: partner}
    /// tokens:
    ///   - name: feed
    ///     primary_contact: ops@acme.example
    /// ```
    pub struct MissingContact {
        id: "missing-contact",
        severity: Warning,
        summary: "no primary contact",
        options: {},
        security_severity: "2.0",
    }
}

impl Rule for MissingContact {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, _run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let span = match &t.doc().primary_contact {
            Some(c) if !c.value.trim().is_empty() => return,
            Some(c) => c.span,
            None => t.name_span(),
        };
        out.push(
            FindingBuilder::for_token(
                &Self::META,
                t,
                format!("token `{}` has no primary contact", t.name()),
            )
            .help("add `primary_contact:` with the address of the person or team who owns it")
            .label("no primary contact")
            .at(span),
        );
    }
}
