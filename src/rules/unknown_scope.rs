use super::{FindingBuilder, Grant, Rule, RuleMeta, Run, Sink, TokenRef};
use crate::catalogue::{Catalogue, Resolved};
use crate::model::AccountType;

declare_rule! {
    /// ## What it does
    /// Flags a scope that is not in the catalogue of the token's account type, and a pattern
    /// that matches no scope. It suggests the closest scope, maps OpenAPI tag names to category
    /// ids (`programs` → `campaigns`), and says when another account type has the scope.
    ///
    /// ## Why is this bad?
    /// An unknown scope is a typo or a scope of another account type: what the definition
    /// says the token can do is not what it can do, and every other rule reasons from it.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     scopes: [conversion:write, programs:read]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     scopes: [conversions:write, campaigns:read]
    /// ```
    pub struct UnknownScope {
        id: "unknown-scope",
        severity: Error,
        summary: "a scope not in the catalogue for the account type (did-you-mean; says if another account type has it)",
        options: [],
    }
}

impl Rule for UnknownScope {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_grant(&self, run: &Run<'_>, t: TokenRef<'_>, grant: &Grant, out: &mut Sink<'_>) {
        let text = grant.text.value.trim();
        let shown = crate::redact::redact_if_secret(text);
        let (message, help) = match grant.resolved {
            Resolved::Scope(_) => return,
            Resolved::Pattern(set) if !set.is_empty() => return,
            Resolved::Pattern(_) => (
                format!("scope pattern `{shown}` matches no {} scope", t.account.kind),
                "patterns are `*`, `<category>:*`, `*:read` and `*:write`; `scopeward catalogue` lists the categories".to_string(),
            ),
            Resolved::Unknown => (
                format!("unknown {} scope `{shown}`", t.account.kind),
                suggestion(run, t.catalogue, t.account.kind, text),
            ),
        };
        out.push(
            FindingBuilder::for_token(&Self::META, t, message)
                .help(help)
                .scope(shown)
                .label("not in the catalogue")
                .at(grant.text.span),
        );
    }
}

fn suggestion(run: &Run<'_>, cat: &Catalogue, kind: AccountType, text: &str) -> String {
    let (category, access) = match text.split_once(':') {
        Some((c, a)) => (c.trim(), a.trim()),
        None => {
            return format!(
                "a scope is `<category>:read` or `<category>:write`, e.g. `{}`",
                cat.scope_names().next().unwrap_or("ads:read")
            );
        }
    };
    if !matches!(access, "read" | "write" | "*") {
        return format!("the access part is `read` or `write`, not `{access}`");
    }
    // A category named by its OpenAPI tag or UI name rather than its id.
    let norm = |s: &str| s.to_ascii_lowercase().replace([' ', '_', '-'], "");
    if let Some(c) = cat.doc.categories.iter().find(|c| {
        norm(&c.name) == norm(category) || c.tags.iter().any(|t| norm(t) == norm(category))
    }) {
        let candidate = format!("{}:{access}", c.id);
        if cat.scope_id(&candidate).is_some() {
            return format!(
                "did you mean `{candidate}`? ({} is the `{}` category)",
                c.name, c.id
            );
        }
    }
    if let Some(s) = crate::suggest::did_you_mean(text, cat.scope_names()) {
        return format!("did you mean `{s}`?");
    }
    let others: Vec<&str> = AccountType::ALL
        .iter()
        .filter(|o| **o != kind && run.catalogues.get(**o).scope_id(text).is_some())
        .map(|o| o.as_str())
        .collect();
    if !others.is_empty() {
        return format!(
            "`{text}` is a {} scope; this is a {kind} account",
            others.join(" and ")
        );
    }
    match cat.category(category) {
        Some(_) => format!("the `{category}` category has no {access} operations"),
        None => "`scopeward catalogue` lists every category".to_string(),
    }
}
