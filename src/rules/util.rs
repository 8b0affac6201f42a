//! Helpers shared by several rules.

use rustc_hash::FxHashMap;

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

/// The groups, computed once per run and shared by the rules that need them.
pub fn identity_groups<'a>(run: &'a Run<'_>) -> Vec<Group<'a>> {
    let groups = run.identity.get_or_init(|| compute_groups(run));
    groups
        .iter()
        .map(|g| {
            let members: Vec<TokenRef<'a>> = g
                .members
                .iter()
                .map(|&(f, t)| run.token_ref(f, t))
                .collect();
            let first = members[0].token;
            let key = if g.by_sid {
                first.doc.sid.as_ref().map_or("", |s| s.value.trim())
            } else {
                first.name()
            };
            Group {
                by_sid: g.by_sid,
                key,
                members,
            }
        })
        .collect()
}

/// A group as indices into the run: `(file, token)` pairs.
#[derive(Debug)]
pub struct GroupIndex {
    by_sid: bool,
    members: Vec<(usize, usize)>,
}

fn compute_groups(run: &Run<'_>) -> Vec<GroupIndex> {
    type NameKey<'k> = (AccountType, Option<&'k str>, &'k str);
    let tokens = || {
        run.files.iter().enumerate().flat_map(|(fi, f)| {
            let account = f.account.as_ref();
            f.tokens
                .iter()
                .enumerate()
                .filter_map(move |(ti, t)| account.map(|a| (a, (fi, ti), t)))
        })
    };
    let (by_name, by_sid) = rayon::join(
        || {
            duplicates(tokens().map(|(a, at, t)| {
                let key: NameKey<'_> =
                    (a.kind, a.name.as_ref().map(|n| n.value.as_str()), t.name());
                (key, at)
            }))
        },
        || {
            duplicates(tokens().filter_map(|(_, at, t)| {
                let sid = t.doc.sid.as_ref()?.value.trim();
                (!sid.is_empty()).then_some((sid, at))
            }))
        },
    );
    let mut groups: Vec<GroupIndex> = by_name
        .into_iter()
        .map(|members| GroupIndex {
            by_sid: false,
            members,
        })
        .chain(by_sid.into_iter().map(|members| GroupIndex {
            by_sid: true,
            members,
        }))
        .collect();
    groups.sort_by_key(|g| (g.members[0], g.by_sid));
    groups
}

/// The members of every key that occurs more than once, in order of appearance. Only
/// duplicated keys get a list: the common case (every key unique) allocates one table.
fn duplicates<K: std::hash::Hash + Eq + Copy>(
    items: impl Iterator<Item = (K, (usize, usize))>,
) -> Vec<Vec<(usize, usize)>> {
    let mut first: FxHashMap<K, (usize, usize)> =
        FxHashMap::with_capacity_and_hasher(items.size_hint().0, Default::default());
    let mut groups: FxHashMap<K, Vec<(usize, usize)>> = FxHashMap::default();
    for (key, at) in items {
        match first.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(at);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                groups.entry(key).or_insert_with(|| vec![*o.get()]).push(at);
            }
        }
    }
    groups.into_values().collect()
}

/// How a later declaration in a group relates to an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The same token declared again for the same environment (or without one).
    Duplicate,
    /// The same token declared for another environment.
    Shared,
}

/// Pairs `(later, earlier, relation)` of member indices within a group. Each later member is
/// paired once: with the first earlier declaration for the same environment if there is one
/// (a duplicate), else with the first for another environment (a shared token). In a SID group,
/// pairs that are also the same name in the same account are left to the name group.
pub fn relations(group: &Group<'_>) -> Vec<(usize, usize, Relation)> {
    let envs: Vec<Vec<&str>> = group.members.iter().map(env_key).collect();
    let compatible = |a: &Vec<&str>, b: &Vec<&str>| a == b || a.is_empty() || b.is_empty();
    let same_name_and_account = |a: &TokenRef<'_>, b: &TokenRef<'_>| {
        a.name() == b.name()
            && a.account.kind == b.account.kind
            && a.account.name.as_ref().map(|n| &n.value)
                == b.account.name.as_ref().map(|n| &n.value)
    };
    let mut out = Vec::new();
    for i in 1..group.members.len() {
        let pair = (0..i)
            .find(|&j| compatible(&envs[i], &envs[j]))
            .map(|j| (j, Relation::Duplicate))
            .or_else(|| (0..i).next().map(|j| (j, Relation::Shared)));
        if let Some((j, rel)) = pair {
            if group.by_sid && same_name_and_account(&group.members[i], &group.members[j]) {
                continue;
            }
            out.push((i, j, rel));
        }
    }
    out
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
