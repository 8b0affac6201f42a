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
        options: {},
        security_severity: "3.0",
    }
}

impl Rule for UnknownScope {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_grant(&self, run: &Run<'_>, t: TokenRef<'_>, grant: &Grant, out: &mut Sink<'_>) {
        let text = grant.text.value.as_str();
        let shown = crate::redact::redact_if_secret(text);
        let (message, help) = match grant.resolved {
            Resolved::Scope(_) => return,
            Resolved::Pattern(set) if !set.is_empty() => return,
            Resolved::Pattern(_) => (
                format!("scope pattern `{shown}` matches no {} scope", t.account.kind),
                "patterns are `*`, `<category>:*`, `*:read` and `*:write`; `scopeward catalogue` lists the categories".to_string(),
            ),
            Resolved::Unknown if text.trim().is_empty() => (
                format!("empty {} scope", t.account.kind),
                "remove the empty entry".to_string(),
            ),
            Resolved::Unknown => (
                format!("unknown {} scope `{shown}`", t.account.kind),
                                run.memo.get_or(Self::META.id, &format!("{}:{text}", t.account.kind), || {
                    suggestion(run, t.catalogue, t.account.kind, text)
                }),
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

/// `category:access` from `category.access`, `category/access`, `access:category` and the
/// like (the access being `read`, `write` or `*`).
fn reoriented(text: &str) -> Option<String> {
    let is_access = |a: &str| matches!(a.trim(), "read" | "write" | "*");
    if let Some((a, c)) = text.split_once(':') {
        if is_access(a) && !is_access(c) {
            return Some(format!("{}:{}", c.trim(), a.trim()));
        }
        return None;
    }
    for sep in ['.', '/', ' ', '_'] {
        if let Some((c, a)) = text.rsplit_once(sep) {
            if is_access(a) && !c.trim().is_empty() {
                return Some(format!("{}:{}", c.trim(), a.trim()));
            }
        }
        if let Some((a, c)) = text.split_once(sep) {
            if is_access(a) && !c.trim().is_empty() {
                return Some(format!("{}:{}", c.trim(), a.trim()));
            }
        }
    }
    None
}

/// "a brand", "an agency".
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn suggestion(run: &Run<'_>, cat: &Catalogue, kind: AccountType, text: &str) -> String {
    // Stray spaces and case: ` ads:read`, `ads: read`, `Ads:Read`.
    let normalised: String = text
        .split(':')
        .map(|p| p.trim().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    if normalised != text && cat.resolve(&normalised) != Resolved::Unknown {
        let why = if normalised == text.to_ascii_lowercase() {
            "scopes are lower case"
        } else {
            "a scope has no spaces"
        };
        return format!("did you mean `{normalised}`? {why}");
    }
    // Another separator (`campaigns.read`, `campaigns/read`, `campaigns_read`, `campaigns read`),
    // or the parts the other way round (`read:campaigns`).
    let reoriented = reoriented(&normalised);
    if let Some(s) = reoriented.as_deref() {
        if cat.resolve(s) != Resolved::Unknown {
            return format!(
                "did you mean `{s}`? a scope is `<category>:read` or `<category>:write`"
            );
        }
    }
    let normalised = reoriented.unwrap_or(normalised);
    let text = normalised.as_str();
    let (category, access) = match text.split_once(':') {
        Some((c, a)) => (c, a),
        None => {
            return format!(
                "a scope is `<category>:read` or `<category>:write`, e.g. `{}:read`",
                if cat.category(text).is_some() {
                    text
                } else {
                    "ads"
                }
            );
        }
    };
    if !matches!(access, "read" | "write" | "*") {
        return format!("the access part is `read` or `write`, not `{access}`");
    }
    // A category named by its OpenAPI tag or UI name rather than its id.
    let norm = |s: &str| s.to_ascii_lowercase().replace([' ', '_', '-'], "");
    let wanted = norm(category);
    if let Some(c) = cat
        .doc
        .categories
        .iter()
        .find(|c| norm(&c.name) == wanted || c.tags.iter().any(|t| norm(t) == wanted))
    {
        let candidate = format!("{}:{access}", c.id);
        if cat.resolve(&candidate) != Resolved::Unknown && c.id != category {
            return format!(
                "did you mean `{candidate}`? ({} is the `{}` category)",
                c.name, c.id
            );
        }
    }
    // A real scope, of another account type.
    let others: Vec<&str> = AccountType::ALL
        .iter()
        .filter(|o| **o != kind && run.catalogues.get(**o).scope_id(text).is_some())
        .map(|o| o.as_str())
        .collect();
    if !others.is_empty() {
        return format!(
            "`{text}` is {} {} scope; this is {} {kind} account",
            article(others[0]),
            others.join(" and "),
            article(kind.as_str())
        );
    }
    // A real category without that access.
    if let Some(c) = cat.category(category) {
        let has: Vec<&str> = ["read", "write"]
            .into_iter()
            .filter(|a| cat.scope_id(&format!("{}:{a}", c.id)).is_some())
            .collect();
        return format!(
            "the `{category}` category has no {access} operations; it has {}",
            has.iter()
                .map(|a| format!("`{category}:{a}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        );
    }
    if let Some(s) = crate::did_you_mean::did_you_mean(text, cat.scope_names()) {
        return format!("did you mean `{s}`?");
    }
    "`scopeward catalogue` lists every category".to_string()
}
