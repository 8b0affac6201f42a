//! Scope catalogues (SPEC §1): per account type, the API categories, their operations, the
//! access each needs and the category's sensitivity. Built in from
//! `policies/catalogues/*.yaml`; `--catalogue DIR` replaces them.

mod scopes;

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diag::InputError;
use crate::model::{AccountType, Day};
use crate::source::{FileId, SourceMap};
use crate::tree::de::from_node;
use crate::tree::{Format, parse};

pub use scopes::{Access, Resolved, ScopeId, ScopeSet};

/// The catalogue file, field for field.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "scopeward scope catalogue")]
pub struct CatalogueDoc {
    pub account_type: AccountType,
    /// Base path of the account's API, e.g. `/Advertisers/{AccountSID}`.
    pub base_path: String,
    pub default_host: String,
    pub latest_version: String,
    /// API versions, oldest first.
    pub versions: Vec<VersionDoc>,
    pub categories: Vec<CategoryDoc>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionDoc {
    pub version: String,
    pub released: Day,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    Low,
    Medium,
    High,
}

impl Sensitivity {
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Low => "low",
            Sensitivity::Medium => "medium",
            Sensitivity::High => "high",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryDoc {
    /// kebab-case category id, e.g. `promo-codes`.
    pub id: String,
    pub name: String,
    pub sensitivity: Sensitivity,
    pub description: String,
    /// The OpenAPI tags merged into this category.
    pub tags: Vec<String>,
    pub operations: Vec<OperationDoc>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationDoc {
    pub method: String,
    pub path: String,
    pub operation_id: String,
    pub summary: String,
    pub access: Access,
    /// A read GET without side effects, safe to send when probing a token.
    pub probe_safe: bool,
    #[serde(default)]
    pub host: Option<String>,
}

/// A loaded catalogue with its scope index.
#[derive(Debug)]
pub struct Catalogue {
    pub doc: CatalogueDoc,
    /// Every scope, in category order: `(category index, access)`.
    scopes: Vec<(usize, Access)>,
    names: Vec<String>,
    by_name: HashMap<String, ScopeId>,
    all: ScopeSet,
    reads: ScopeSet,
    writes: ScopeSet,
    high_writes: ScopeSet,
}

impl Catalogue {
    fn from_doc(doc: CatalogueDoc) -> Result<Catalogue, String> {
        let mut scopes = Vec::new();
        let mut names = Vec::new();
        let mut by_name = HashMap::default();
        let mut ids = std::collections::HashSet::new();
        for (ci, cat) in doc.categories.iter().enumerate() {
            if !ids.insert(cat.id.as_str()) {
                return Err(format!("category `{}` is listed twice", cat.id));
            }
            for access in [Access::Read, Access::Write] {
                if cat.operations.iter().any(|op| op.access == access) {
                    let name = format!("{}:{}", cat.id, access.as_str());
                    let id = ScopeId(scopes.len() as u8);
                    if scopes.len() >= ScopeSet::CAPACITY {
                        return Err(format!(
                            "more than {} scopes in one catalogue",
                            ScopeSet::CAPACITY
                        ));
                    }
                    scopes.push((ci, access));
                    by_name.insert(name.clone(), id);
                    names.push(name);
                }
            }
        }
        if !doc.versions.iter().any(|v| v.version == doc.latest_version) {
            return Err(format!(
                "latest_version `{}` is not among the versions",
                doc.latest_version
            ));
        }
        let all = ScopeSet::first(scopes.len());
        let mut reads = ScopeSet::EMPTY;
        let mut writes = ScopeSet::EMPTY;
        let mut high_writes = ScopeSet::EMPTY;
        for (i, (ci, access)) in scopes.iter().enumerate() {
            let id = ScopeId(i as u8);
            match access {
                Access::Read => reads.insert(id),
                Access::Write => {
                    writes.insert(id);
                    if doc.categories[*ci].sensitivity == Sensitivity::High {
                        high_writes.insert(id);
                    }
                }
            }
        }
        Ok(Catalogue {
            doc,
            scopes,
            names,
            by_name,
            all,
            reads,
            writes,
            high_writes,
        })
    }

    pub fn account_type(&self) -> AccountType {
        self.doc.account_type
    }

    /// Every scope of the catalogue.
    pub fn all(&self) -> ScopeSet {
        self.all
    }

    /// What a legacy token of this account type can do: its [`Legacy::pattern`] over the
    /// catalogue.
    pub fn legacy_set(&self, legacy: crate::model::Legacy) -> ScopeSet {
        self.matching(legacy.pattern())
    }

    pub fn scope_count(&self) -> usize {
        self.scopes.len()
    }

    pub fn scope_name(&self, id: ScopeId) -> &str {
        &self.names[id.0 as usize]
    }

    pub fn scope_id(&self, name: &str) -> Option<ScopeId> {
        self.by_name.get(name).copied()
    }

    pub fn scope_access(&self, id: ScopeId) -> Access {
        self.scopes[id.0 as usize].1
    }

    pub fn scope_category(&self, id: ScopeId) -> &CategoryDoc {
        &self.doc.categories[self.scopes[id.0 as usize].0]
    }

    pub fn category(&self, id: &str) -> Option<&CategoryDoc> {
        self.doc.categories.iter().find(|c| c.id == id)
    }

    /// All scope names, in catalogue order.
    pub fn scope_names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// The scopes of a set, by name.
    pub fn names_of(&self, set: ScopeSet) -> Vec<&str> {
        set.iter().map(|id| self.scope_name(id)).collect()
    }

    /// Scopes whose access is `access`.
    pub fn with_access(&self, access: Access) -> ScopeSet {
        match access {
            Access::Read => self.reads,
            Access::Write => self.writes,
        }
    }

    /// Write scopes of `high`-sensitivity categories.
    pub fn high_sensitivity_writes(&self) -> ScopeSet {
        self.high_writes
    }

    /// The read scope of the category at `index` (which has a read operation).
    fn read_scope_of(&self, index: usize) -> ScopeId {
        self.scopes
            .iter()
            .position(|&(c, a)| c == index && a == Access::Read)
            .map(|i| ScopeId(i as u8))
            .expect("a category with a read operation has a read scope")
    }

    /// A probe-safe read GET on the default host under the account's base path with `params`
    /// path parameters (the account SID among them).
    fn probe_candidate(&self, op: &OperationDoc, params: usize) -> bool {
        op.access == Access::Read
            && op.probe_safe
            && op.method.eq_ignore_ascii_case("GET")
            && op.path.matches('{').count() == params
            && op.path.contains("{AccountSID}")
            && op
                .host
                .as_deref()
                .is_none_or(|h| h == self.doc.default_host)
    }

    /// Reads of categories without a plain list that a probe can still reach through one id
    /// taken from another category's list: `(read scope, operation, parent list)`, e.g.
    /// `GET /Advertisers/{AccountSID}/Campaigns/{CampaignId}/Contacts` through the first
    /// campaign of `GET /Advertisers/{AccountSID}/Campaigns`. The operation must end in a list
    /// (not an id) and be probe-safe.
    pub fn dependent_probes(&self) -> Vec<(ScopeId, &OperationDoc, &OperationDoc)> {
        let plain = self.probes();
        let have: std::collections::HashSet<usize> = plain
            .iter()
            .map(|(id, _)| self.scopes[id.0 as usize].0)
            .collect();
        let mut out = Vec::new();
        for (ci, cat) in self.doc.categories.iter().enumerate() {
            if have.contains(&ci) {
                continue;
            }
            let best = cat
                .operations
                .iter()
                .filter(|op| self.probe_candidate(op, 2) && !op.path.ends_with('}'))
                .filter_map(|op| {
                    let open = op.path.rfind('{')?;
                    let parent_path = op.path[..open].trim_end_matches('/');
                    let parent = plain.iter().find(|(_, p)| p.path == parent_path)?.1;
                    Some((op, parent))
                })
                .min_by_key(|(op, _)| op.path.len());
            if let Some((op, parent)) = best {
                let id = self.read_scope_of(ci);
                out.push((id, op, parent));
            }
        }
        out
    }

    /// The cheapest safe read of each category that has one, as `(read scope, operation)`:
    /// a probe-safe GET on the default host whose only parameter is the account SID (a list,
    /// answerable with `PageSize=1`), the shortest path first. Categories whose reads all
    /// need another id (a campaign's contacts) have none: their read scope is unverifiable.
    pub fn probes(&self) -> Vec<(ScopeId, &OperationDoc)> {
        let mut out = Vec::new();
        for (ci, cat) in self.doc.categories.iter().enumerate() {
            let best = cat
                .operations
                .iter()
                .filter(|op| self.probe_candidate(op, 1))
                .min_by_key(|op| op.path.len());
            if let Some(op) = best {
                let id = self.read_scope_of(ci);
                out.push((id, op));
            }
        }
        out
    }

    pub fn is_known_version(&self, v: &str) -> bool {
        self.doc.versions.iter().any(|x| x.version == v)
    }
}

/// The catalogues of all three account types.
#[derive(Debug)]
pub struct Catalogues {
    by_type: [Catalogue; 3],
    /// Where each came from, for messages (`built-in` or a path).
    pub origin: [String; 3],
}

const BUILTIN: [(&str, &str); 3] = [
    (
        "brand",
        include_str!("../../policies/catalogues/brand.yaml"),
    ),
    (
        "partner",
        include_str!("../../policies/catalogues/partner.yaml"),
    ),
    (
        "agency",
        include_str!("../../policies/catalogues/agency.yaml"),
    ),
];

impl Catalogues {
    /// The catalogues shipped in the binary.
    pub fn builtin() -> Catalogues {
        let load = |i: usize| {
            let (name, text) = BUILTIN[i];
            parse_catalogue(FileId(u32::MAX), text)
                .unwrap_or_else(|e| panic!("built-in {name} catalogue is invalid: {}", e.message))
        };
        Catalogues {
            by_type: [load(0), load(1), load(2)],
            origin: ["built-in".into(), "built-in".into(), "built-in".into()],
        }
    }

    /// The built-in catalogues with those found in `dir` (`brand.yaml`, `partner.yaml`,
    /// `agency.yaml`) in their place. Errors point into the user's files.
    pub fn load_dir(
        dir: &Path,
        sources: &mut SourceMap,
        base: &Path,
    ) -> Result<Catalogues, Vec<InputError>> {
        let mut cats = Catalogues::builtin();
        let mut errors = Vec::new();
        let mut found = 0;
        for (i, ty) in AccountType::ALL.iter().enumerate() {
            let path = dir.join(format!("{}.yaml", ty.as_str()));
            if !path.exists() {
                continue;
            }
            found += 1;
            let display = crate::source::display_path(&path, base);
            let (mut source, problem) = crate::source::read_file(
                &path,
                display.clone(),
                crate::source::DEFAULT_MAX_FILESIZE,
            );
            if let Some(problem) = problem {
                let id = sources.add(source);
                errors.push(problem.into_error(id));
                continue;
            }
            source.redact_scanned();
            let id = sources.add(source);
            match parse_catalogue(id, sources.get(id).text()) {
                Ok(c) if c.account_type() == *ty => {
                    cats.by_type[i] = c;
                    cats.origin[i] = display;
                }
                Ok(c) => errors.push(InputError::new(
                    crate::source::Span::new(id, 0, 0),
                    format!(
                        "`{}` holds the {} catalogue; name it `{}.yaml`",
                        display,
                        c.account_type(),
                        c.account_type()
                    ),
                )),
                Err(e) => errors.push(*e),
            }
        }
        if found == 0 && errors.is_empty() {
            return Err(vec![InputError::new(
                crate::source::Span::new(FileId(u32::MAX), 0, 0),
                format!(
                    "no catalogue in `{}`: expected brand.yaml, partner.yaml or agency.yaml",
                    dir.display()
                ),
            )]);
        }
        if errors.is_empty() {
            Ok(cats)
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, ty: AccountType) -> &Catalogue {
        &self.by_type[ty as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Catalogue> {
        self.by_type.iter()
    }
}

/// Parses one catalogue document.
pub fn parse_catalogue(file: FileId, text: &str) -> Result<Catalogue, Box<InputError>> {
    let node = parse(Format::Yaml, file, text).map_err(|e| Box::new(InputError::from(e)))?;
    let doc: CatalogueDoc =
        from_node(&node).map_err(|e| Box::new(InputError::from_de(e, node.span)))?;
    Catalogue::from_doc(doc).map_err(|m| Box::new(InputError::new(node.span, m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogues_load() {
        let c = Catalogues::builtin();
        let brand = c.get(AccountType::Brand);
        assert_eq!(brand.doc.categories.len(), 32);
        assert_eq!(c.get(AccountType::Partner).doc.categories.len(), 25);
        assert_eq!(c.get(AccountType::Agency).doc.categories.len(), 5);
        assert!(brand.scope_id("conversions:write").is_some());
        assert_eq!(brand.doc.latest_version, "14");
    }

    #[test]
    fn dependent_probes_go_through_a_probed_list() {
        let c = Catalogues::builtin();
        let brand = c.get(AccountType::Brand);
        let dep: Vec<(String, String, String)> = brand
            .dependent_probes()
            .into_iter()
            .map(|(id, op, parent)| {
                (
                    brand.scope_name(id).to_string(),
                    op.path.clone(),
                    parent.path.clone(),
                )
            })
            .collect();
        let campaigns = "/Advertisers/{AccountSID}/Campaigns".to_string();
        assert!(dep.contains(&(
            "contacts:read".into(),
            "/Advertisers/{AccountSID}/Campaigns/{CampaignId}/Contacts".into(),
            campaigns.clone()
        )));
        assert!(
            dep.iter()
                .any(|d| d.0 == "contracts:read" && d.2 == campaigns)
        );
        // A read that ends in an id (one click) cannot be listed: never probed.
        assert!(!dep.iter().any(|d| d.0 == "clicks:read"));
        let partner = c.get(AccountType::Partner);
        assert!(
            partner
                .dependent_probes()
                .iter()
                .any(|(id, _, _)| partner.scope_name(*id) == "deals:read")
        );
    }
}
