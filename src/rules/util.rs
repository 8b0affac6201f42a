//! Helpers shared by several rules.

use std::collections::HashMap;

use super::{Run, TokenRef};
use crate::model::AccountType;

/// Tokens that claim the same identity: the same SID anywhere in the run, or the same name
/// within one account (same type and name).
pub struct Group<'a> {
    pub by_sid: bool,
    /// The shared SID or name.
    pub key: &'a str,
    /// In declaration order (file order, then position).
    pub members: Vec<TokenRef<'a>>,
}

pub fn identity_groups<'a>(run: &'a Run<'_>) -> Vec<Group<'a>> {
    let mut by_name: HashMap<(AccountType, Option<&str>, &str), Vec<TokenRef<'a>>> = HashMap::new();
    let mut by_sid: HashMap<&str, Vec<TokenRef<'a>>> = HashMap::new();
    for t in run.tokens() {
        let account = t.account.name.as_ref().map(|n| n.value.as_str());
        by_name
            .entry((t.account.kind, account, t.name()))
            .or_default()
            .push(t);
        if let Some(sid) = &t.doc().sid {
            let sid = sid.value.trim();
            if !sid.is_empty() {
                by_sid.entry(sid).or_default().push(t);
            }
        }
    }
    let mut groups: Vec<Group<'a>> = by_name
        .into_iter()
        .filter(|(_, m)| m.len() > 1)
        .map(|((_, _, name), members)| Group {
            by_sid: false,
            key: name,
            members,
        })
        .chain(
            by_sid
                .into_iter()
                .filter(|(_, m)| m.len() > 1)
                .map(|(sid, members)| Group {
                    by_sid: true,
                    key: sid,
                    members,
                }),
        )
        .collect();
    groups.sort_by_key(|g| (g.members[0].name_span(), g.by_sid));
    groups
}

/// The environment set of a token, for comparing declarations.
pub fn env_key<'a>(t: &TokenRef<'a>) -> Vec<&'a str> {
    let mut v: Vec<&str> = t
        .token
        .environments
        .iter()
        .map(|e| e.value.as_str())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The domain of an e-mail address, lower-cased.
pub fn email_domain(address: &str) -> Option<String> {
    let address = address.trim();
    let address = match (address.rfind('<'), address.rfind('>')) {
        (Some(a), Some(b)) if a < b => &address[a + 1..b],
        _ => address,
    };
    let (local, domain) = address.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || !domain.contains('.') {
        return None;
    }
    Some(domain.trim_end_matches('.').to_ascii_lowercase())
}

/// Whether `domain` is `allowed` or one of its subdomains.
pub fn domain_allowed(domain: &str, allowed: &str) -> bool {
    let allowed = allowed
        .trim()
        .trim_start_matches('@')
        .trim_start_matches("*.")
        .to_ascii_lowercase();
    domain == allowed || domain.ends_with(&format!(".{allowed}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(
            email_domain("Ops <ops@Acme.example>").as_deref(),
            Some("acme.example")
        );
        assert_eq!(email_domain("not-an-address"), None);
        assert!(domain_allowed("eu.acme.example", "acme.example"));
        assert!(!domain_allowed("evilacme.example", "acme.example"));
    }
}
