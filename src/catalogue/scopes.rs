//! Scopes as bits: a catalogue has at most 128 scopes, so a token's access is one `u128`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Catalogue;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// Index of a scope in its catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub u8);

/// A set of scopes of one catalogue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(u128);

impl ScopeSet {
    pub const CAPACITY: usize = 128;
    pub const EMPTY: ScopeSet = ScopeSet(0);

    /// The first `n` scopes.
    pub fn first(n: usize) -> ScopeSet {
        if n >= 128 {
            ScopeSet(u128::MAX)
        } else {
            ScopeSet((1u128 << n) - 1)
        }
    }

    pub fn insert(&mut self, id: ScopeId) {
        self.0 |= 1u128 << id.0;
    }

    pub fn contains(self, id: ScopeId) -> bool {
        self.0 & (1u128 << id.0) != 0
    }

    pub fn union(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 | other.0)
    }

    pub fn intersect(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 & other.0)
    }

    pub fn minus(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 & !other.0)
    }

    pub fn is_superset(self, other: ScopeSet) -> bool {
        other.0 & !self.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn iter(self) -> impl Iterator<Item = ScopeId> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let i = bits.trailing_zeros();
            bits &= bits - 1;
            Some(ScopeId(i as u8))
        })
    }
}

/// What a scope entry in a definition means against a catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// One scope of the catalogue.
    Scope(ScopeId),
    /// A pattern (`*`, `ads:*`, `*:read`, any glob) and the scopes it matches.
    Pattern(ScopeSet),
    /// Not a scope of this catalogue, and not a pattern.
    Unknown,
}

impl Resolved {
    pub fn set(self) -> ScopeSet {
        match self {
            Resolved::Scope(id) => {
                let mut s = ScopeSet::EMPTY;
                s.insert(id);
                s
            }
            Resolved::Pattern(s) => s,
            Resolved::Unknown => ScopeSet::EMPTY,
        }
    }
}

/// Whether a scope entry is a glob pattern.
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

impl Catalogue {
    /// Resolves a scope or pattern.
    pub fn resolve(&self, text: &str) -> Resolved {
        if let Some(id) = self.scope_id(text) {
            return Resolved::Scope(id);
        }
        if !is_pattern(text) {
            return Resolved::Unknown;
        }
        let set = match text {
            "*" | "*:*" => self.all(),
            "*:read" => self.with_access(Access::Read),
            "*:write" => self.with_access(Access::Write),
            _ => match globset::Glob::new(text) {
                Ok(glob) => {
                    let m = glob.compile_matcher();
                    let mut s = ScopeSet::EMPTY;
                    for (i, name) in self.scope_names().enumerate() {
                        if m.is_match(name) {
                            s.insert(ScopeId(i as u8));
                        }
                    }
                    s
                }
                Err(_) => return Resolved::Unknown,
            },
        };
        Resolved::Pattern(set)
    }

    /// The scopes a pattern (or scope) denotes; empty if it matches nothing.
    pub fn matching(&self, pattern: &str) -> ScopeSet {
        self.resolve(pattern).set()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogues;
    use crate::model::AccountType;

    #[test]
    fn patterns() {
        let cats = Catalogues::builtin();
        let b = cats.get(AccountType::Brand);
        assert_eq!(b.resolve("*").set(), b.all());
        let reads = b.resolve("*:read").set();
        assert!(reads.len() > 20 && reads.len() < b.all().len());
        let ads = b.resolve("ads:*").set();
        assert_eq!(b.names_of(ads), vec!["ads:read", "ads:write"]);
        assert_eq!(b.resolve("promo-*:read").set().len(), 2);
        assert_eq!(b.resolve("programs:read"), Resolved::Unknown);
        assert!(matches!(b.resolve("ads:read"), Resolved::Scope(_)));
        assert_eq!(reads.union(b.with_access(Access::Write)), b.all());
    }
}
