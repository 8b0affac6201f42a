//! From a logged request (method, URL or path, Basic-auth user) to the token's SID and the
//! catalogue operation it called, with that operation's scope.
//!
//! impact.com base paths are matched case-insensitively in every spelling (`Advertiser(s)`,
//! `Mediapartners`/`MediaPartners`, `Agencies`), with `.json`/`.xml` suffixes, query strings and
//! fragments stripped, and the agency passthrough `/Agencies/{SID}/Advertisers/{Id}/…` matched
//! against the brand catalogue. SIDs are kept as written (they are case-sensitive identifiers).

use crate::catalogue::{Access, Catalogues, ScopeId};
use crate::model::AccountType;

/// HTTP methods the catalogues use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

impl Method {
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s.len() {
            3 if s.eq_ignore_ascii_case("GET") => Method::Get,
            3 if s.eq_ignore_ascii_case("PUT") => Method::Put,
            4 if s.eq_ignore_ascii_case("POST") => Method::Post,
            5 if s.eq_ignore_ascii_case("PATCH") => Method::Patch,
            6 if s.eq_ignore_ascii_case("DELETE") => Method::Delete,
            _ => return None,
        })
    }
}

#[derive(Debug)]
enum Seg {
    Lit(Box<str>),
    Param,
}

#[derive(Debug)]
struct OpPattern {
    method: Method,
    segs: Box<[Seg]>,
    literals: usize,
    scope: ScopeId,
    access: Access,
}

/// Operations of one account type, relative to its base path.
#[derive(Debug, Default)]
struct TypeRoutes {
    ops: Vec<OpPattern>,
    /// Indices into `ops` by method and number of segments (what `find` looks through).
    index: rustc_hash::FxHashMap<(Method, usize), Vec<usize>>,
}

/// What a path under a base resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpMatch {
    /// A catalogue operation, with its scope.
    Op { scope: ScopeId, access: Access },
    /// No operation of the catalogue has this path and method.
    Unknown,
}

impl TypeRoutes {
    fn push(&mut self, op: OpPattern) {
        self.index
            .entry((op.method, op.segs.len()))
            .or_default()
            .push(self.ops.len());
        self.ops.push(op);
    }

    fn find(&self, method: Method, segs: &[&str]) -> OpMatch {
        let mut best: Option<&OpPattern> = None;
        let candidates = self.index.get(&(method, segs.len()));
        for op in candidates.into_iter().flatten().map(|&i| &self.ops[i]) {
            let fits = op.segs.iter().zip(segs).all(|(p, s)| match p {
                Seg::Lit(l) => l.eq_ignore_ascii_case(s),
                Seg::Param => !s.is_empty(),
            });
            if fits && best.is_none_or(|b| op.literals > b.literals) {
                best = Some(op);
            }
        }
        match best {
            Some(op) => OpMatch::Op {
                scope: op.scope,
                access: op.access,
            },
            None => OpMatch::Unknown,
        }
    }
}

/// The routing table of all three catalogues.
#[derive(Debug)]
pub struct Router {
    by_type: [TypeRoutes; 3],
    /// Operations outside every base path (`/PageLoad`, `/DeferredDeepLink`,
    /// `/calldata/logCallData`): the SID comes from Basic auth. All brand.
    off_base: TypeRoutes,
}

/// Where a request's SID and operation came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Routed<'a> {
    pub sid: &'a str,
    /// The account type the SID belongs to (an agency for passthrough requests).
    pub account_type: AccountType,
    /// The operation, matched against the token's own catalogue — or, for the agency
    /// passthrough, against the brand catalogue.
    pub op: OpMatch,
    pub passthrough: bool,
}

/// Why an impact.com request could not be given to a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoSid {
    /// No SID in the path, and the log records no user (Apache's `%u` is `-`; Squid and Caddy
    /// do not log the Basic-auth user of a request they forward).
    NoUser,
    /// No SID in the path, and the logged user is not SID-shaped (a proxy's own login, such
    /// as Squid's `svcimpactsync01`).
    UserNotSid,
    /// An impact.com host, but a path no catalogue operation has.
    UnknownOperation,
}

/// Why a request was not attributed to a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotRouted {
    /// Not an impact.com request (another path, on another host).
    Foreign,
    /// A host that `--usage-host` does not name.
    OtherHost,
    /// An impact.com request whose SID is nowhere; `op` is the operation it called, when
    /// known (the account type whose catalogue has it, and its scope).
    Unattributable {
        why: NoSid,
        op: Option<(AccountType, ScopeId)>,
    },
}

/// Which logged hosts count (`--usage-host`): empty, any.
#[derive(Clone, Debug, Default)]
pub struct HostFilter(Vec<String>);

impl HostFilter {
    pub fn new(hosts: &[String]) -> HostFilter {
        HostFilter(
            hosts
                .iter()
                .map(|h| {
                    strip_port(h.trim())
                        .trim_end_matches('.')
                        .to_ascii_lowercase()
                })
                .filter(|h| !h.is_empty())
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a logged host counts.
    pub fn allows(&self, host: &str) -> bool {
        let host = strip_port(host).trim_end_matches('.');
        self.0.is_empty() || self.0.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

fn split_template(path: &str) -> Vec<Seg> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Seg::Param
            } else {
                Seg::Lit(s.into())
            }
        })
        .collect()
}

impl Router {
    pub fn new(catalogues: &Catalogues) -> Router {
        let mut by_type: [TypeRoutes; 3] = Default::default();
        let mut off_base = TypeRoutes::default();
        for cat in catalogues.iter() {
            let ty = cat.account_type();
            let base = split_template(&cat.doc.base_path);
            for c in &cat.doc.categories {
                for op in &c.operations {
                    let Some(method) = Method::parse(&op.method) else {
                        continue;
                    };
                    let Some(scope) = cat.scope_id(&format!("{}:{}", c.id, op.access.as_str()))
                    else {
                        continue;
                    };
                    let segs = split_template(&op.path);
                    let under_base = segs.len() >= base.len()
                        && segs.iter().zip(&base).all(|(a, b)| match (a, b) {
                            (Seg::Lit(x), Seg::Lit(y)) => x.eq_ignore_ascii_case(y),
                            (Seg::Param, Seg::Param) => true,
                            _ => false,
                        });
                    let (table, rel): (&mut TypeRoutes, Vec<Seg>) = if under_base {
                        (
                            &mut by_type[ty as usize],
                            segs.into_iter().skip(base.len()).collect(),
                        )
                    } else if ty == AccountType::Brand {
                        (&mut off_base, segs)
                    } else {
                        continue;
                    };
                    let literals = rel.iter().filter(|s| matches!(s, Seg::Lit(_))).count();
                    table.push(OpPattern {
                        method,
                        segs: rel.into_boxed_slice(),
                        literals,
                        scope,
                        access: op.access,
                    });
                }
            }
        }
        Router { by_type, off_base }
    }

    /// The paths of the operations outside every base path (`/PageLoad`, …), as templates.
    pub fn off_base_paths(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .off_base
            .ops
            .iter()
            .map(|op| {
                op.segs
                    .iter()
                    .map(|s| match s {
                        Seg::Lit(l) => format!("/{l}"),
                        Seg::Param => "/{}".to_string(),
                    })
                    .collect()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Routes one request. `target` is what the log recorded: a path (`/Advertisers/…?x=1`)
    /// or an absolute URL; `host` the host the log recorded beside it (a JSON `host` field),
    /// if any; `user` the Basic-auth user, if the log has one.
    ///
    /// A path with an impact.com base path and a SID is impact.com traffic whatever host was
    /// logged (a reverse proxy logs its own name), and so is a path of an operation outside
    /// the base paths (`/PageLoad`); `hosts` (`--usage-host`) narrows which logged hosts count.
    pub fn route<'a>(
        &self,
        method: Method,
        target: &'a str,
        host: Option<&str>,
        user: Option<&'a str>,
        hosts: &HostFilter,
    ) -> Result<Routed<'a>, NotRouted> {
        let url = Url::split(target);
        let host = url.host.or(host).filter(|h| !h.is_empty());
        if let Some(h) = host {
            if !hosts.allows(h) {
                return Err(NotRouted::OtherHost);
            }
        }
        // An impact.com host, or one `--usage-host` names: its unknown paths are impact.com's.
        let impact_host = host.is_some_and(|h| is_impact_host(h) || !hosts.is_empty());
        let method = url.method_override.unwrap_or(method);
        let mut buf = [""; MAX_SEGS];
        let Some(n) = segments(url.path, &mut buf) else {
            return Err(unknown_or_foreign(impact_host));
        };
        let segs = &buf[..n];
        if let Some(routed) = self.under_base(method, segs, impact_host)? {
            return Ok(routed);
        }
        // Off-base operations (tracking and call-data hosts): the SID is the Basic-auth user.
        match self.off_base.find(method, segs) {
            op @ OpMatch::Op { scope, .. } => {
                let user = user.or(url.user).filter(|u| !u.is_empty() && *u != "-");
                match user {
                    Some(u) if is_sid_user(u) => Ok(Routed {
                        sid: u,
                        account_type: AccountType::Brand,
                        op,
                        passthrough: false,
                    }),
                    Some(_) => Err(NotRouted::Unattributable {
                        why: NoSid::UserNotSid,
                        op: Some((AccountType::Brand, scope)),
                    }),
                    None => Err(NotRouted::Unattributable {
                        why: NoSid::NoUser,
                        op: Some((AccountType::Brand, scope)),
                    }),
                }
            }
            OpMatch::Unknown => Err(unknown_or_foreign(impact_host)),
        }
    }

    /// A path under a base path: with a SID, the token's request; without one, on an
    /// impact.com host, an unattributable request to the operation the rest of the path names.
    fn under_base<'a>(
        &self,
        method: Method,
        segs: &[&'a str],
        impact_host: bool,
    ) -> Result<Option<Routed<'a>>, NotRouted> {
        let (Some(first), Some(second)) = (segs.first(), segs.get(1)) else {
            return Ok(None);
        };
        let Some(ty) = base_type(first) else {
            return Ok(None);
        };
        let rest = &segs[2..];
        let mut op = self.by_type[ty as usize].find(method, rest);
        let mut passthrough = false;
        if ty == AccountType::Agency
            && op == OpMatch::Unknown
            && rest.len() >= 3
            && base_type(rest[0]) == Some(AccountType::Brand)
        {
            passthrough = true;
            op = self.by_type[AccountType::Brand as usize].find(method, &rest[2..]);
        }
        if plausible_sid(second) {
            return Ok(Some(Routed {
                sid: second,
                account_type: ty,
                op,
                passthrough,
            }));
        }
        if !impact_host {
            return Ok(None);
        }
        let owner = if passthrough { AccountType::Brand } else { ty };
        Err(NotRouted::Unattributable {
            why: NoSid::NoUser,
            op: match op {
                OpMatch::Op { scope, .. } => Some((owner, scope)),
                OpMatch::Unknown => None,
            },
        })
    }
}

fn unknown_or_foreign(impact_host: bool) -> NotRouted {
    if impact_host {
        NotRouted::Unattributable {
            why: NoSid::UnknownOperation,
            op: None,
        }
    } else {
        NotRouted::Foreign
    }
}

const MAX_SEGS: usize = 24;

/// Splits a path into its non-empty segments, dropping a `.json`/`.xml` suffix of the last.
/// `None` when it has more segments than any impact.com path.
fn segments<'a>(path: &'a str, out: &mut [&'a str; MAX_SEGS]) -> Option<usize> {
    let mut n = 0;
    for s in path.split('/') {
        if s.is_empty() {
            continue;
        }
        if n == MAX_SEGS {
            return None;
        }
        out[n] = s;
        n += 1;
    }
    if n > 0 {
        let last = out[n - 1];
        for ext in [".json", ".xml"] {
            // Compared as bytes: an ASCII suffix ends on a character boundary.
            let cut = last.len().saturating_sub(ext.len());
            if cut > 0 && last.as_bytes()[cut..].eq_ignore_ascii_case(ext.as_bytes()) {
                out[n - 1] = &last[..cut];
            }
        }
    }
    Some(n)
}

/// The account type a base-path segment names, in any spelling impact.com accepts.
fn base_type(seg: &str) -> Option<AccountType> {
    let lower = |s: &str| seg.eq_ignore_ascii_case(s);
    if lower("Advertisers") || lower("Advertiser") {
        Some(AccountType::Brand)
    } else if lower("Mediapartners") || lower("Mediapartner") {
        Some(AccountType::Partner)
    } else if lower("Agencies") || lower("Agency") {
        Some(AccountType::Agency)
    } else {
        None
    }
}

/// An Account SID as it appears in paths: `IR` and alphanumerics (34 characters in every
/// public sample; any length from 10 to 64 is accepted under a base path, since the shape is
/// not documented).
pub fn plausible_sid(s: &str) -> bool {
    (10..=64).contains(&s.len())
        && s.starts_with("IR")
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether a logged user (Basic auth, with no base path to vouch for it) is an Account SID:
/// `IR` and 30 to 40 alphanumerics. A proxy's own login (`svcimpactsync01`) is not.
pub fn is_sid_user(s: &str) -> bool {
    (32..=42).contains(&s.len()) && plausible_sid(s)
}

/// Hosts of impact.com's APIs: `api.impact.com`, `trkapi.impact.com`, the legacy
/// `api.impactradius.com`, and any other subdomain of those two.
pub fn is_impact_host(host: &str) -> bool {
    let host = strip_port(host).trim_end_matches('.').as_bytes();
    let ends = |suffix: &str| {
        let cut = host.len().wrapping_sub(suffix.len());
        host.len() >= suffix.len()
            && host[cut..].eq_ignore_ascii_case(suffix.as_bytes())
            && (cut == 0 || host[cut - 1] == b'.')
    };
    ends("impact.com") || ends("impactradius.com")
}

/// The parts of a request target scopeward uses. Never holds a password.
#[derive(Debug, PartialEq, Eq)]
pub struct Url<'a> {
    pub host: Option<&'a str>,
    /// The user of `https://user:password@host/…` (the password is not kept).
    pub user: Option<&'a str>,
    pub path: &'a str,
    /// A `_method=PUT|DELETE|…` query parameter.
    pub method_override: Option<Method>,
}

impl<'a> Url<'a> {
    pub fn split(target: &'a str) -> Url<'a> {
        let mut rest = target;
        let mut host = None;
        let mut user = None;
        // `scheme://`: letters, then `://` (a path starts with `/` and has none).
        let b = target.as_bytes();
        let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        if letters > 0 && b[letters..].starts_with(b"://") {
            let after = &target[letters + 3..];
            let end = after
                .bytes()
                .position(|c| matches!(c, b'/' | b'?' | b'#'))
                .unwrap_or(after.len());
            let mut authority = &after[..end];
            if let Some(at) = memchr::memrchr(b'@', authority.as_bytes()) {
                let userinfo = &authority[..at];
                user = Some(userinfo.split(':').next().unwrap_or(""));
                authority = &authority[at + 1..];
            }
            host = Some(strip_port(authority));
            rest = &after[end..];
        }
        let (path, query) = match memchr::memchr2(b'?', b'#', rest.as_bytes()) {
            Some(q) if rest.as_bytes()[q] == b'?' => {
                let query = &rest[q + 1..];
                let query = query.split('#').next().unwrap_or("");
                (&rest[..q], query)
            }
            Some(q) => (&rest[..q], ""),
            None => (rest, ""),
        };
        // Only a query with an underscore can hold `_method`.
        let method_override = if memchr::memchr(b'_', query.as_bytes()).is_none() {
            None
        } else {
            query.split('&').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                k.eq_ignore_ascii_case("_method")
                    .then(|| Method::parse(v))
                    .flatten()
            })
        };
        Url {
            host,
            user: user.filter(|u| !u.is_empty()),
            path,
            method_override,
        }
    }
}

fn strip_port(authority: &str) -> &str {
    match authority.rfind(':') {
        Some(c) if authority[c + 1..].bytes().all(|b| b.is_ascii_digit()) => &authority[..c],
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1";

    fn route(method: &str, target: &str, user: Option<&str>) -> Option<(String, String, bool)> {
        let cats = Catalogues::builtin();
        let r = Router::new(&cats);
        let routed = r
            .route(
                Method::parse(method).unwrap(),
                target,
                None,
                user,
                &HostFilter::default(),
            )
            .ok()?;
        let cat = cats.get(if routed.passthrough {
            AccountType::Brand
        } else {
            routed.account_type
        });
        let scope = match routed.op {
            OpMatch::Op { scope, .. } => cat.scope_name(scope).to_string(),
            OpMatch::Unknown => "?".into(),
        };
        Some((routed.sid.to_string(), scope, routed.passthrough))
    }

    fn scope(method: &str, target: &str) -> String {
        route(method, target, None).map(|r| r.1).unwrap_or_default()
    }

    #[test]
    fn every_base_spelling_and_suffix() {
        for base in ["Advertisers", "Advertiser", "advertisers", "ADVERTISERS"] {
            assert_eq!(
                scope("GET", &format!("/{base}/{SID}/Actions")),
                "actions:read",
                "{base}"
            );
        }
        assert_eq!(
            scope(
                "GET",
                &format!("/Advertisers/{SID}/Actions.json?PageSize=1")
            ),
            "actions:read"
        );
        assert_eq!(
            scope("GET", &format!("/Advertisers/{SID}/Actions/A-1.json")),
            "actions:read"
        );
        assert_eq!(
            scope("GET", &format!("//Advertisers/{SID}//Campaigns/")),
            "campaigns:read"
        );
        for base in ["Mediapartners", "MediaPartners", "mediapartners"] {
            assert_eq!(scope("GET", &format!("/{base}/{SID}/Deals")), "?", "{base}");
            assert_eq!(
                scope("GET", &format!("/{base}/{SID}/Campaigns/1/Deals")),
                "deals:read"
            );
        }
        assert_eq!(
            scope("GET", &format!("/Agencies/{SID}/Reports")),
            "reports:read"
        );
        assert_eq!(
            scope(
                "GET",
                &format!("https://api.impact.com:443/Advertisers/{SID}/Ads?x=1#f")
            ),
            "ads:read"
        );
        assert_eq!(
            scope(
                "GET",
                &format!("https://API.ImpactRadius.com/Advertisers/{SID}/Ads")
            ),
            "ads:read"
        );
        // Behind a reverse proxy the logged host is the proxy's: the path decides.
        assert_eq!(
            scope(
                "GET",
                &format!("https://proxy.internal:8443/Advertisers/{SID}/Ads")
            ),
            "ads:read"
        );
        assert_eq!(route("GET", "/healthz", None), None);
        assert_eq!(
            route("GET", "https://notimpact.com/Advertisers/x/Ads", None),
            None
        );
    }

    #[test]
    fn literals_beat_parameters_and_methods_select_access() {
        assert_eq!(
            scope("GET", &format!("/Mediapartners/{SID}/Catalogs/ItemSearch")),
            "catalogs:read"
        );
        assert_eq!(
            scope("POST", &format!("/Advertisers/{SID}/Conversions")),
            "conversions:write"
        );
        assert_eq!(
            scope("DELETE", &format!("/Advertisers/{SID}/Actions")),
            "actions:write"
        );
        // A GET with side effects counts as write (SPEC §1).
        assert_eq!(
            scope(
                "GET",
                &format!("/Advertisers/{SID}/ReportExport/adv_actions")
            ),
            "reports:write"
        );
    }

    #[test]
    fn method_override_counts_as_its_method() {
        assert_eq!(
            scope(
                "GET",
                &format!("/Advertisers/{SID}/Actions?ActionId=1&_method=DELETE")
            ),
            "actions:write"
        );
        assert_eq!(
            scope("POST", &format!("/Advertisers/{SID}/Ads/9?_METHOD=put")),
            "ads:write"
        );
    }

    #[test]
    fn agency_passthrough_reaches_brand_endpoints() {
        let r = route(
            "GET",
            &format!("/Agencies/{SID}/Advertisers/1234/Actions"),
            None,
        )
        .unwrap();
        assert_eq!(r, (SID.to_string(), "actions:read".to_string(), true));
        // The agency's own endpoint is not passthrough.
        let r = route("GET", &format!("/Agencies/{SID}/Advertisers/1234"), None).unwrap();
        assert_eq!(r, (SID.to_string(), "advertisers:read".to_string(), false));
    }

    #[test]
    fn off_base_operations_take_the_sid_from_basic_auth() {
        assert_eq!(
            route("POST", "https://trkapi.impact.com/PageLoad", Some(SID)),
            Some((SID.into(), "page-loads:write".into(), false))
        );
        let with_creds = format!("https://{SID}:secretsecretsecret@trkapi.impact.com/PageLoad");
        assert_eq!(
            route("POST", &with_creds, None),
            Some((SID.into(), "page-loads:write".into(), false))
        );
        assert_eq!(
            route("POST", "https://trkapi.impact.com/PageLoad", None),
            None
        );
    }

    fn why(
        method: &str,
        target: &str,
        host: Option<&str>,
        user: Option<&str>,
        hosts: &[&str],
    ) -> NotRouted {
        let cats = Catalogues::builtin();
        let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
        Router::new(&cats)
            .route(
                Method::parse(method).unwrap(),
                target,
                host,
                user,
                &HostFilter::new(&hosts),
            )
            .unwrap_err()
    }

    #[test]
    fn unattributable_requests_say_why_and_which_operation() {
        let cats = Catalogues::builtin();
        let page_loads = cats
            .get(AccountType::Brand)
            .scope_id("page-loads:write")
            .unwrap();
        let op = Some((AccountType::Brand, page_loads));
        assert_eq!(
            why("POST", "/PageLoad", None, None, &[]),
            NotRouted::Unattributable {
                why: NoSid::NoUser,
                op
            }
        );
        // A proxy's own login is not a SID.
        assert_eq!(
            why(
                "POST",
                "https://trkapi.impact.com/PageLoad",
                None,
                Some("svcimpactsync01"),
                &[]
            ),
            NotRouted::Unattributable {
                why: NoSid::UserNotSid,
                op
            }
        );
        assert_eq!(
            why("GET", "https://api.impact.com/robots.txt", None, None, &[]),
            NotRouted::Unattributable {
                why: NoSid::UnknownOperation,
                op: None
            }
        );
        // A base path without a SID, on an impact.com host: the operation is known.
        let actions = cats
            .get(AccountType::Brand)
            .scope_id("actions:read")
            .unwrap();
        assert_eq!(
            why(
                "GET",
                "https://api.impact.com/Advertisers/%7Bsid%7D/Actions",
                None,
                None,
                &[]
            ),
            NotRouted::Unattributable {
                why: NoSid::NoUser,
                op: Some((AccountType::Brand, actions))
            }
        );
        assert_eq!(
            why("GET", "https://cdn.example/app.js", None, None, &[]),
            NotRouted::Foreign
        );
    }

    #[test]
    fn usage_host_narrows_logged_hosts() {
        let path = format!("/Advertisers/{SID}/Ads");
        let cats = Catalogues::builtin();
        let r = Router::new(&cats);
        let hosts = HostFilter::new(&["Proxy.Internal:443".to_string()]);
        assert!(
            r.route(Method::Get, &path, Some("proxy.internal"), None, &hosts)
                .is_ok()
        );
        assert!(
            r.route(Method::Get, &path, None, None, &hosts).is_ok(),
            "no host logged"
        );
        assert_eq!(
            why(
                "GET",
                &path,
                Some("other.internal"),
                None,
                &["proxy.internal"]
            ),
            NotRouted::OtherHost
        );
        // A host it names is impact.com's: its unknown paths are unattributable, not foreign.
        assert_eq!(
            why(
                "GET",
                "/status",
                Some("proxy.internal"),
                None,
                &["proxy.internal"]
            ),
            NotRouted::Unattributable {
                why: NoSid::UnknownOperation,
                op: None
            }
        );
    }

    #[test]
    fn sids_are_sid_shaped() {
        assert!(plausible_sid(SID));
        assert!(!plausible_sid("svcimpactsync01"));
        assert!(!plausible_sid("1234567890ab"));
        assert!(is_sid_user(SID));
        assert!(!is_sid_user("IRonman2000"));
        assert!(!is_sid_user("svcimpactsync01"));
    }

    #[test]
    fn multi_byte_text_never_splits() {
        for s in [
            "/Advertisers/IRaaaaaaaaaaé.json",
            "/x/ééééé",
            "/x/aé.json",
            "/a/é",
        ] {
            let _ = route("GET", s, None);
        }
        assert!(!is_impact_host("éimpact.com"));
        assert!(is_impact_host("API.impact.com:443"));
        assert!(!is_impact_host("é"));
    }

    #[test]
    fn url_never_keeps_the_password() {
        let u =
            Url::split("https://IRabcdefghij:Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0@api.impact.com/x");
        assert_eq!(u.user, Some("IRabcdefghij"));
        assert_eq!(u.host, Some("api.impact.com"));
        assert_eq!(u.path, "/x");
        assert!(!format!("{u:?}").contains("Xk3v"));
    }
}
