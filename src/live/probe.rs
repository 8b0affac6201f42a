//! Probing: what each token may read, asked of the API with the token's own credentials.
//!
//! Safety by construction: the only request this module can build is a `GET` of a catalogue
//! operation that is a probe-safe read list (see [`Catalogue::probes`]) with `PageSize=1` — no
//! write, no side-effect GET (ReportExport, ClickExport, call data), no `_method` override, no
//! redirects followed. At most one request per category per token, plus retries, and never more
//! than `--max-requests` in all.
//!
//! Time is bounded too: each exchange by `--timeout` (connect to last byte), the whole probing
//! by `--deadline`, and a breaker stops it after 5 failed exchanges in a row ([`super::stop`]).
//! Workers record every decision as they make it, so whatever stops the probing — an interrupt
//! included — leaves a listing of what was learnt, and the rest `unprobed` with its reason.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::Client;

use super::exchange::Route;
use super::stop::{HostGate, Stop, StopReason};
use super::{ListedToken, LiveState, Unprobed, UnprobedReason, rfc3339, unspanned};
use crate::catalogue::{Access, Catalogue, Catalogues, ScopeId, ScopeSet};
use crate::model::AccountType;
use crate::redact::{AuthToken, scrub};

/// One token to probe.
#[derive(Clone, Debug)]
pub struct ProbeTarget {
    /// The definition's name, for messages and the listing.
    pub name: String,
    pub sid: String,
    pub account_type: AccountType,
    pub auth_token: AuthToken,
    /// The scopes its definition declares (for the listing's `unverifiable`).
    pub declared: ScopeSet,
}

/// Says something on the way (a long wait); the caller decides where it goes.
#[derive(Clone)]
pub struct Announce(pub Arc<dyn Fn(&str) + Send + Sync>);

impl Announce {
    /// Announcements go nowhere.
    pub fn silent() -> Announce {
        Announce(Arc::new(|_| {}))
    }
}

impl std::fmt::Debug for Announce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Announce")
    }
}

/// Waits longer than this are announced.
pub const ANNOUNCED_WAIT: Duration = Duration::from_secs(5);

/// How to probe.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    pub api_base: Url,
    /// Each whole exchange, connect to last byte.
    pub timeout: Duration,
    /// Requests in all, retries included.
    pub max_requests: Option<u64>,
    /// Tokens probed at once.
    pub concurrency: usize,
    /// Retries of one request after a 429, a 5xx, a timeout or a connection failure.
    pub max_retries: u32,
    /// First backoff when the server does not say how long to wait.
    pub backoff: Duration,
    /// The longest single wait the run accepts (rate-limit resets can be an hour away).
    pub max_wait: Duration,
    /// Draw a progress bar on standard error.
    pub progress: bool,
    /// CA certificates trusted besides the system's (`--ca-cert`).
    pub extra_roots: Vec<reqwest::Certificate>,
    /// Where waits over [`ANNOUNCED_WAIT`] are announced.
    pub announce: Announce,
}

impl ProbeOptions {
    pub fn new(api_base: Url) -> Self {
        ProbeOptions {
            api_base,
            timeout: Duration::from_secs(30),
            max_requests: None,
            concurrency: 4,
            max_retries: 3,
            backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(300),
            progress: false,
            extra_roots: Vec::new(),
            announce: Announce::silent(),
        }
    }
}

/// Something that stopped a probe from deciding: it names the token and the endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeProblem {
    pub token: String,
    pub endpoint: String,
    pub message: String,
}

impl std::fmt::Display for ProbeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "token `{}`: {} — {}",
            self.token, self.endpoint, self.message
        )
    }
}

/// What probing found.
#[derive(Debug)]
pub struct ProbeOutcome {
    /// One per target, in target order.
    pub tokens: Vec<ListedToken>,
    pub problems: Vec<ProbeProblem>,
    /// Requests sent in all.
    pub requests: u64,
    /// `--max-requests` stopped the run before every probe was sent.
    pub budget_exhausted: bool,
    /// What stopped the probing early, if anything did.
    pub stopped: Option<StopReason>,
}

/// Checks `--api-base`: an absolute http(s) URL with no credentials, query or fragment; plain
/// http only for a loopback host.
pub fn parse_api_base(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("--api-base `{}`: {e}", scrub(text)))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "--api-base must not carry credentials: they come from each token's auth_token_env"
                .into(),
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "--api-base `{url}` must not have a query or fragment"
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "--api-base `{url}`: plain http is refused (credentials would cross the network unencrypted); use https, or a loopback host for testing"
            ));
        }
        other => return Err(format!("--api-base `{url}`: unsupported scheme `{other}`")),
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Probes every target, `options.concurrency` tokens at a time, until done or `stop` says
/// stop (an interrupt, the deadline, the breaker). Workers still inside an exchange then are
/// not waited for: what they had recorded counts, the rest is `unprobed`.
pub fn probe(
    targets: &[ProbeTarget],
    catalogues: &Catalogues,
    options: &ProbeOptions,
    stop: Arc<Stop>,
) -> Result<ProbeOutcome, String> {
    let (client, route) = client(options)?;
    let jobs: Arc<Vec<Job>> = Arc::new(
        targets
            .iter()
            .map(|t| Job::new(t.clone(), catalogues))
            .collect(),
    );
    let total: u64 = jobs.iter().map(|j| j.plan.steps.len() as u64).sum();
    let shared = Arc::new(Shared {
        client,
        options: options.clone(),
        route,
        stop: stop.clone(),
        gate: HostGate::default(),
        sent: AtomicU64::new(0),
        exhausted: AtomicBool::new(false),
        bar: progress_bar(options.progress, total),
    });
    let next = Arc::new(AtomicUsize::new(0));
    let workers = options.concurrency.clamp(1, 16).min(targets.len().max(1));
    for _ in 0..workers {
        let (shared, jobs, next) = (shared.clone(), jobs.clone(), next.clone());
        stop.worker_started();
        let spawned = std::thread::Builder::new()
            .name("probe".into())
            .spawn(move || {
                let _done = WorkerDone(&shared.stop);
                loop {
                    if shared.stop.reason().is_some() {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    shared.probe_token(job);
                }
            });
        if let Err(e) = spawned {
            stop.worker_done();
            if workers == 1 {
                return Err(format!("cannot start a probing thread: {e}"));
            }
        }
    }
    let stopped = stop.wait_for_workers(STOP_GRACE);
    stop.finish();
    shared.bar.finish_and_clear();
    let mut tokens = Vec::with_capacity(jobs.len());
    let mut problems = Vec::new();
    for job in jobs.iter() {
        let (t, p) = job.listed(catalogues.get(job.target.account_type), stopped);
        tokens.push(t);
        problems.extend(p);
    }
    Ok(ProbeOutcome {
        tokens,
        problems,
        requests: shared.sent.load(Ordering::Relaxed),
        budget_exhausted: shared.exhausted.load(Ordering::Relaxed),
        stopped,
    })
}

/// After probing stops, how long workers may take to record what they were doing.
const STOP_GRACE: Duration = Duration::from_millis(300);

/// Tells the coordinator a worker is gone, however it ended.
struct WorkerDone<'a>(&'a Stop);

impl Drop for WorkerDone<'_> {
    fn drop(&mut self) {
        self.0.worker_done();
    }
}

fn progress_bar(show: bool, total: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} probing {pos}/{len} categories [{bar:30}] {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}

/// The HTTP client, and what messages may say about where it connects.
fn client(options: &ProbeOptions) -> Result<(Client, Route), String> {
    // reqwest is built without a default crypto provider (ring builds faster than aws-lc).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let base = &options.api_base;
    let mut builder = Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("scopeward/", env!("CARGO_PKG_VERSION")))
        .https_only(base.scheme() == "https");
    let mut proxy = env_proxy(base.scheme());
    // A proxy elsewhere cannot reach this machine's loopback: a loopback API is asked directly,
    // unless the proxy is on loopback too (a local TLS-inspecting proxy, say).
    if is_loopback(base) && !proxy.as_ref().is_some_and(is_loopback) {
        builder = builder.no_proxy();
        proxy = None;
    }
    if !options.extra_roots.is_empty() {
        builder = builder.tls_certs_merge(options.extra_roots.iter().cloned());
    }
    let client = builder
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
    let route = Route {
        host: host_of(base),
        plain_http: base.scheme() == "http",
        proxy: proxy.map(|p| format!("{}://{}", p.scheme(), host_of(&p))),
        extra_ca: !options.extra_roots.is_empty(),
    };
    Ok((client, route))
}

/// The proxy the environment names for `scheme` (what reqwest's system proxy reads).
fn env_proxy(scheme: &str) -> Option<Url> {
    let names: &[&str] = if scheme == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    let value = names
        .iter()
        .filter_map(|n| std::env::var(n).ok())
        .find(|v| !v.trim().is_empty())?;
    let value = value.trim();
    Url::parse(value)
        .ok()
        .filter(|u| u.has_host())
        .or_else(|| Url::parse(&format!("http://{value}")).ok())
}

/// The probes of one token: the account's connectivity check first, then one per category
/// with a plain list, then one per category reachable through an id from one of those lists.
struct Plan {
    steps: Vec<Step>,
    /// Declared scopes no probe in the plan can decide.
    unverifiable: ScopeSet,
}

struct Step {
    scope: ScopeId,
    /// The path to send, the SID in place; a dependent probe keeps its `{…}` for the id.
    path: String,
    /// The endpoint as messages show it: `GET /Advertisers/IR…/Campaigns/{id}/Contacts`.
    shown: String,
    /// For a dependent probe: the index of the step whose list gives the id.
    parent: Option<usize>,
}

impl Plan {
    fn new(target: &ProbeTarget, cat: &Catalogue) -> Plan {
        let mut plain = cat.probes();
        // `CompanyInformation` (the `account` category) is the connectivity check: first.
        plain.sort_by_key(|(id, _)| cat.scope_category(*id).id != "account");
        let step = |scope, op: &crate::catalogue::OperationDoc, parent| {
            let path = op.path.replace("{AccountSID}", &target.sid);
            Step {
                scope,
                shown: format!("GET {}", template(&path)),
                path,
                parent,
            }
        };
        let mut steps: Vec<Step> = plain.iter().map(|&(s, op)| step(s, op, None)).collect();
        for (scope, op, parent) in cat.dependent_probes() {
            let parent = plain.iter().position(|(_, p)| std::ptr::eq(*p, parent));
            steps.push(step(scope, op, parent));
        }
        let probed = steps.iter().fold(ScopeSet::EMPTY, |mut s, step| {
            s.insert(step.scope);
            s
        });
        Plan {
            steps,
            unverifiable: target.declared.minus(probed),
        }
    }
}

/// A path with every remaining parameter shown as `{id}`.
fn template(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        out.push_str("{id}");
        rest = match rest[open..].find('}') {
            Some(close) => &rest[open + close + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// What a worker decided about one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decision {
    Granted,
    Refused,
    Unprobed(UnprobedReason),
}

/// What probing one token has found so far: written by its worker as it goes, read when the
/// probing ends (however it ends).
#[derive(Clone, Debug, Default)]
pub(super) struct Record {
    pub decisions: Vec<Option<Decision>>,
    pub problems: Vec<ProbeProblem>,
    pub requests: u32,
    /// The API rejected the credentials (401 before any authenticated answer).
    pub invalid: bool,
}

/// One token's probing: what to probe and what was found.
pub(super) struct Job {
    pub target: ProbeTarget,
    plan: Plan,
    pub record: Mutex<Record>,
}

impl Job {
    fn new(target: ProbeTarget, catalogues: &Catalogues) -> Job {
        let cat = catalogues.get(target.account_type);
        let plan = Plan::new(&target, cat);
        let record = Record {
            decisions: vec![None; plan.steps.len()],
            ..Record::default()
        };
        Job {
            target,
            plan,
            record: Mutex::new(record),
        }
    }

    pub(super) fn steps(&self) -> impl Iterator<Item = (usize, &str, &str, Option<usize>)> {
        self.plan
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.path.as_str(), s.shown.as_str(), s.parent))
    }

    pub(super) fn base_path(&self) -> String {
        let first = self.plan.steps.first().map_or("", |s| s.path.as_str());
        first.find(&self.target.sid).map_or_else(String::new, |i| {
            first[..i + self.target.sid.len()].to_string()
        })
    }

    pub(super) fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The token as the listing shows it. `stopped`: why the probing ended early, for the
    /// steps nobody decided.
    fn listed(
        &self,
        cat: &Catalogue,
        stopped: Option<StopReason>,
    ) -> (ListedToken, Vec<ProbeProblem>) {
        let rec = self.record().clone();
        let fill = stopped.map_or(UnprobedReason::Unknown, UnprobedReason::from);
        let mut granted = Vec::new();
        let mut refused = Vec::new();
        let mut unprobed = Vec::new();
        for (step, decision) in self.plan.steps.iter().zip(&rec.decisions) {
            let name = cat.scope_name(step.scope).to_string();
            match decision.unwrap_or(Decision::Unprobed(fill)) {
                Decision::Granted => granted.push(name),
                Decision::Refused => refused.push(name),
                Decision::Unprobed(reason) => unprobed.push(Unprobed {
                    scope: name,
                    reason,
                }),
            }
        }
        let cut = rec.decisions.iter().any(|d| match d {
            None => true,
            Some(Decision::Unprobed(r)) => r.cuts_short(),
            Some(_) => false,
        });
        let state = if rec.invalid {
            LiveState::Invalid
        } else if cut {
            LiveState::Unknown
        } else if !granted.is_empty() {
            LiveState::Active
        } else if !refused.is_empty()
            && unprobed
                .iter()
                .all(|u| u.reason == UnprobedReason::ParentRefused)
        {
            LiveState::Disabled
        } else {
            LiveState::Unknown
        };
        let listed = ListedToken {
            sid: unspanned(self.target.sid.clone()),
            account_type: unspanned(self.target.account_type),
            name: Some(unspanned(self.target.name.clone())),
            state: unspanned(state),
            granted: unspanned(granted.into_iter().map(unspanned).collect()),
            refused: refused.into_iter().map(unspanned).collect(),
            unverifiable: cat
                .names_of(self.plan.unverifiable)
                .into_iter()
                .map(String::from)
                .collect(),
            unprobed,
            probed_at: rfc3339(jiff::Timestamp::now()),
            requests: rec.requests,
            problems: rec.problems.iter().map(|p| p.to_string()).collect(),
        };
        (listed, rec.problems)
    }
}

/// What every worker shares.
pub(super) struct Shared {
    pub client: Client,
    pub options: ProbeOptions,
    pub route: Route,
    pub stop: Arc<Stop>,
    pub gate: HostGate,
    pub sent: AtomicU64,
    pub exhausted: AtomicBool,
    pub bar: indicatif::ProgressBar,
}

pub(super) fn host_of(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("?")),
        None => url.host_str().unwrap_or("?").to_string(),
    }
}

/// Whether a SID is safe to put in a URL path (impact.com SIDs are alphanumeric).
pub(super) fn sid_is_plain(sid: &str) -> bool {
    !sid.is_empty() && sid.len() <= 64 && sid.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Which scopes of `cat` a probe can decide (the reads with a probe operation).
pub fn probeable(cat: &Catalogue) -> ScopeSet {
    cat.probes().iter().fold(ScopeSet::EMPTY, |mut s, (id, _)| {
        debug_assert_eq!(cat.scope_access(*id), Access::Read);
        s.insert(*id);
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_show_templates_not_ids() {
        assert_eq!(
            template("/Advertisers/IRx/Campaigns/{CampaignId}/Contacts"),
            "/Advertisers/IRx/Campaigns/{id}/Contacts"
        );
        assert_eq!(
            template("/Advertisers/IRx/Reports"),
            "/Advertisers/IRx/Reports"
        );
    }

    fn job() -> (Job, Catalogues) {
        let catalogues = Catalogues::builtin();
        let target = ProbeTarget {
            name: "t".into(),
            sid: "IRx".into(),
            account_type: AccountType::Brand,
            auth_token: AuthToken::new("secret".into()),
            declared: ScopeSet::EMPTY,
        };
        (Job::new(target, &catalogues), catalogues)
    }

    fn decide(job: &Job, f: impl Fn(usize, Option<usize>) -> Option<Decision>) {
        let parents: Vec<_> = job.steps().map(|(_, _, _, p)| p).collect();
        let mut rec = job.record();
        for (i, p) in parents.into_iter().enumerate() {
            rec.decisions[i] = f(i, p);
        }
    }

    #[test]
    fn a_token_cut_short_is_unknown_with_what_it_learnt() {
        let (job, c) = job();
        decide(&job, |i, _| (i == 0).then_some(Decision::Granted));
        let (t, _) = job.listed(c.get(AccountType::Brand), Some(StopReason::Interrupted(2)));
        assert_eq!(t.state.value, LiveState::Unknown);
        assert_eq!(t.granted.value.len(), 1);
        assert!(
            t.unprobed
                .iter()
                .all(|u| u.reason == UnprobedReason::Interrupted)
        );
    }

    #[test]
    fn refused_everywhere_is_disabled_even_with_dependents_unprobed() {
        let (job, c) = job();
        decide(&job, |_, parent| {
            Some(match parent {
                None => Decision::Refused,
                Some(_) => Decision::Unprobed(UnprobedReason::ParentRefused),
            })
        });
        let (t, _) = job.listed(c.get(AccountType::Brand), None);
        assert_eq!(t.state.value, LiveState::Disabled);
        assert!(!t.unprobed.is_empty(), "dependent reads are listed");
    }

    #[test]
    fn api_base_rules() {
        assert!(parse_api_base("https://api.impact.com").is_ok());
        assert!(parse_api_base("http://127.0.0.1:8080").is_ok());
        assert!(parse_api_base("http://localhost:8080/").is_ok());
        assert!(parse_api_base("http://[::1]:9/").is_ok());
        let e = parse_api_base("http://api.impact.com").unwrap_err();
        assert!(e.contains("plain http is refused"), "{e}");
        let e = parse_api_base("https://IRabc:secretsecretsecret@api.impact.com").unwrap_err();
        assert!(!e.contains("secretsecret"), "{e}");
        assert!(parse_api_base("ftp://api.impact.com").is_err());
        assert!(parse_api_base("api.impact.com").is_err());
        assert!(parse_api_base("https://api.impact.com/?x=1").is_err());
    }

    #[test]
    fn sids_that_could_change_the_path_are_refused() {
        assert!(sid_is_plain("IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1"));
        for bad in ["", "IR/../x", "IR?x=1", "IR%2F", "IR abc"] {
            assert!(!sid_is_plain(bad), "{bad}");
        }
    }

    #[test]
    fn every_probe_is_a_safe_read_list() {
        for cat in Catalogues::builtin().iter() {
            let probes = cat.probes();
            assert!(!probes.is_empty());
            for (id, op) in probes {
                assert_eq!(cat.scope_access(id), Access::Read);
                assert_eq!(op.method, "GET");
                assert!(op.probe_safe);
                for bad in ["Export", "calldata", "CallData", "_method"] {
                    assert!(!op.path.contains(bad), "{}", op.path);
                }
            }
            assert_eq!(
                cat.scope_category(cat.probes()[0].0).id,
                "account",
                "CompanyInformation comes first in catalogue order"
            );
        }
    }
}
