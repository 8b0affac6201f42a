//! Probing: what each token may read, asked of the API with the token's own credentials.
//!
//! Safety by construction: the only request this module can build is a `GET` of a catalogue
//! operation that is a probe-safe read list (see [`Catalogue::probes`]) with `PageSize=1` — no
//! write, no side-effect GET (ReportExport, ClickExport, call data), no `_method` override, no
//! redirects followed. At most one request per category per token, plus retries, and never more
//! than `--max-requests` in all.

use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use reqwest::{StatusCode, Url};

use super::rate::{RateInfo, backoff};
use super::{ListedToken, LiveState, rfc3339, unspanned};
use crate::catalogue::{Access, Catalogue, Catalogues, ScopeSet};
use crate::model::AccountType;
use crate::redact::{AuthToken, scrub};

/// One token to probe.
#[derive(Debug)]
pub struct ProbeTarget {
    /// The definition's name, for messages and the listing.
    pub name: String,
    pub sid: String,
    pub account_type: AccountType,
    pub auth_token: AuthToken,
    /// The scopes its definition declares (for the listing's `unverifiable`).
    pub declared: ScopeSet,
}

/// How to probe.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    pub api_base: Url,
    /// Per request.
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

/// Whether a SID is safe to put in a URL path (impact.com SIDs are alphanumeric).
fn sid_is_plain(sid: &str) -> bool {
    !sid.is_empty() && sid.len() <= 64 && sid.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Probes every target, `options.concurrency` tokens at a time.
pub fn probe(
    targets: &[ProbeTarget],
    catalogues: &Catalogues,
    options: &ProbeOptions,
) -> Result<ProbeOutcome, String> {
    // reqwest is built without a default crypto provider (ring builds faster than aws-lc).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("scopeward/", env!("CARGO_PKG_VERSION")))
        .https_only(options.api_base.scheme() == "https");
    if is_loopback(&options.api_base) {
        builder = builder.no_proxy();
    }
    if !options.extra_roots.is_empty() {
        builder = builder.tls_certs_merge(options.extra_roots.iter().cloned());
    }
    let client = builder
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;

    let plans: Vec<Plan> = targets.iter().map(|t| Plan::new(t, catalogues)).collect();
    let total: u64 = plans.iter().map(|p| p.probes.len() as u64).sum();
    let bar = if options.progress {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} probing {pos}/{len} categories [{bar:30}] {msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };

    let shared = Shared {
        client,
        options,
        sent: AtomicU64::new(0),
        exhausted: std::sync::atomic::AtomicBool::new(false),
        bar,
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<TokenOutcome>>> =
        Mutex::new((0..targets.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..options.concurrency.clamp(1, 16).min(targets.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(target) = targets.get(i) else { break };
                    let out = shared.probe_token(target, &plans[i], catalogues);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(out);
                }
            });
        }
    });
    shared.bar.finish_and_clear();
    let mut tokens = Vec::with_capacity(targets.len());
    let mut problems = Vec::new();
    for r in results.into_inner().unwrap_or_else(|p| p.into_inner()) {
        let (t, p) = r.expect("every target was probed");
        tokens.push(t);
        problems.extend(p);
    }
    Ok(ProbeOutcome {
        tokens,
        problems,
        requests: shared.sent.load(Ordering::Relaxed),
        budget_exhausted: shared.exhausted.load(Ordering::Relaxed),
    })
}

/// What probing one token found, and what stopped it deciding.
type TokenOutcome = (ListedToken, Vec<ProbeProblem>);

/// The probes of one token: the account's connectivity check first, then one per category
/// with a plain list, then one per category reachable through an id from one of those lists.
struct Plan<'c> {
    probes: Vec<Step<'c>>,
    /// Declared scopes no probe in the plan can decide.
    unverifiable: ScopeSet,
}

struct Step<'c> {
    scope: crate::catalogue::ScopeId,
    op: &'c crate::catalogue::OperationDoc,
    /// For a dependent probe: the index of the step whose list gives the id.
    parent: Option<usize>,
}

impl<'c> Plan<'c> {
    fn new(target: &ProbeTarget, catalogues: &'c Catalogues) -> Plan<'c> {
        let cat = catalogues.get(target.account_type);
        let mut plain = cat.probes();
        // `CompanyInformation` (the `account` category) is the connectivity check: first.
        plain.sort_by_key(|(id, _)| cat.scope_category(*id).id != "account");
        let mut probes: Vec<Step<'c>> = plain
            .iter()
            .map(|&(scope, op)| Step {
                scope,
                op,
                parent: None,
            })
            .collect();
        for (scope, op, parent) in cat.dependent_probes() {
            let parent = plain.iter().position(|(_, p)| std::ptr::eq(*p, parent));
            probes.push(Step { scope, op, parent });
        }
        let probed = probes.iter().fold(ScopeSet::EMPTY, |mut s, step| {
            s.insert(step.scope);
            s
        });
        Plan {
            probes,
            unverifiable: target.declared.minus(probed),
        }
    }
}

struct Shared<'o> {
    client: Client,
    options: &'o ProbeOptions,
    sent: AtomicU64,
    exhausted: std::sync::atomic::AtomicBool,
    bar: indicatif::ProgressBar,
}

/// How one probe ended.
enum Answer {
    /// 200 with a JSON object; the id of the list's first item, when it has one.
    Granted(Option<String>),
    Refused,
    Invalid,
    /// Could not decide: why.
    Failed(String),
    /// `--max-requests` reached.
    Budget,
}

impl Shared<'_> {
    fn probe_token(
        &self,
        target: &ProbeTarget,
        plan: &Plan<'_>,
        catalogues: &Catalogues,
    ) -> TokenOutcome {
        let cat = catalogues.get(target.account_type);
        let mut granted = Vec::new();
        let mut refused = Vec::new();
        let mut unprobed = Vec::new();
        let mut problems = Vec::new();
        let mut requests = 0u32;
        let mut rate = RateInfo::default();
        let mut invalid = false;
        let mut stop: Option<&'static str> = None;

        if !sid_is_plain(&target.sid) {
            problems.push(ProbeProblem {
                token: target.name.clone(),
                endpoint: cat.doc.base_path.clone(),
                message:
                    "the sid is not an impact.com Account SID (letters and digits only): not probed"
                        .into(),
            });
            stop = Some("bad sid");
        }
        // The first item id of each granted list, for dependent probes.
        let mut ids: Vec<Option<String>> = vec![None; plan.probes.len()];
        // Declared reads that no probe could decide this time (a parent list refused or empty).
        let mut undecided = ScopeSet::EMPTY;
        for (i, step) in plan.probes.iter().enumerate() {
            let name = cat.scope_name(step.scope).to_string();
            if stop.is_some() {
                unprobed.push(name);
                self.bar.inc(1);
                continue;
            }
            let mut path = step.op.path.replace("{AccountSID}", &target.sid);
            if let Some(parent) = step.parent {
                let Some(id) = &ids[parent] else {
                    undecided.insert(step.scope);
                    self.bar.inc(1);
                    continue;
                };
                let open = path.rfind('{').expect("a dependent path has an id");
                let close = open + path[open..].find('}').expect("a closed parameter");
                path.replace_range(open..=close, id);
            }
            let endpoint = format!("GET {path}");
            let answer = self.send(target, &path, &mut rate, &mut requests);
            self.bar.inc(1);
            match answer {
                Answer::Granted(first_id) => {
                    granted.push(name);
                    ids[i] = first_id;
                }
                Answer::Refused => refused.push(name),
                Answer::Invalid => {
                    invalid = true;
                    unprobed.push(name);
                    stop = Some("invalid");
                }
                Answer::Budget => {
                    unprobed.push(name);
                    stop = Some("budget");
                }
                Answer::Failed(message) => {
                    unprobed.push(name);
                    problems.push(ProbeProblem {
                        token: target.name.clone(),
                        endpoint,
                        message: clean(&message, &target.auth_token),
                    });
                    // A failed connectivity check ends the token's probes: the rest would
                    // fail the same way and spend the budget.
                    if i == 0 {
                        stop = Some("unreachable");
                    }
                }
            }
        }
        let state = if invalid {
            LiveState::Invalid
        } else if !granted.is_empty() {
            LiveState::Active
        } else if !refused.is_empty() && unprobed.is_empty() {
            LiveState::Disabled
        } else {
            LiveState::Unknown
        };
        let listed = ListedToken {
            sid: unspanned(target.sid.clone()),
            account_type: unspanned(target.account_type),
            name: Some(unspanned(target.name.clone())),
            state: unspanned(state),
            granted: unspanned(granted.into_iter().map(unspanned).collect()),
            refused: refused.into_iter().map(unspanned).collect(),
            unverifiable: cat
                .names_of(
                    plan.unverifiable
                        .union(undecided.intersect(target.declared)),
                )
                .into_iter()
                .map(String::from)
                .collect(),
            unprobed,
            probed_at: rfc3339(jiff::Timestamp::now()),
            requests,
            problems: problems.iter().map(|p| p.to_string()).collect(),
        };
        (listed, problems)
    }

    /// Sends one probe, with retries, pacing and the run's budget.
    fn send(
        &self,
        target: &ProbeTarget,
        path: &str,
        rate: &mut RateInfo,
        requests: &mut u32,
    ) -> Answer {
        let mut url = self.options.api_base.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}{path}"));
        url.query_pairs_mut().append_pair("PageSize", "1");
        let mut attempt = 0u32;
        loop {
            let pause = rate.pace();
            if pause > self.options.max_wait {
                return Answer::Failed(format!(
                    "the rate-limit budget is spent and resets in {} s, more than --max-wait {} s",
                    pause.as_secs(),
                    self.options.max_wait.as_secs()
                ));
            }
            sleep(pause);
            let max = self.options.max_requests.unwrap_or(u64::MAX);
            let counted = self
                .sent
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < max).then_some(n + 1)
                });
            if counted.is_err() {
                self.exhausted.store(true, Ordering::Relaxed);
                return Answer::Budget;
            }
            *requests += 1;
            let seed = (Instant::now().elapsed().as_nanos() as u64)
                ^ (self.sent.load(Ordering::Relaxed) << 32)
                ^ u64::from(attempt);
            let started = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let result = self
                .client
                .get(url.clone())
                .basic_auth(&target.sid, Some(target.auth_token.expose()))
                .header(reqwest::header::ACCEPT, "application/json")
                .send();
            let retry_wait = match result {
                Err(e) => {
                    let why = if e.is_timeout() {
                        format!(
                            "no answer within {} s (--timeout)",
                            self.options.timeout.as_secs()
                        )
                    } else if let Some(tls) = tls_problem(&e) {
                        // Not retried: a certificate will not become trusted by waiting.
                        return Answer::Failed(format!(
                            "cannot connect to {} securely: {tls} (a private CA can be trusted with --ca-cert)",
                            host_of(&url)
                        ));
                    } else if e.is_connect() {
                        format!("cannot connect to {}", host_of(&url))
                    } else {
                        format!("request failed: {}", e.without_url())
                    };
                    if attempt >= self.options.max_retries {
                        return Answer::Failed(retried(why, attempt));
                    }
                    backoff(self.options.backoff, attempt, seed)
                }
                Ok(response) => {
                    let status = response.status();
                    *rate = RateInfo::from_headers(
                        response
                            .headers()
                            .iter()
                            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
                        started,
                    );
                    match status {
                        StatusCode::OK => return check_body(response),
                        StatusCode::FORBIDDEN => return Answer::Refused,
                        StatusCode::UNAUTHORIZED => return Answer::Invalid,
                        StatusCode::TOO_MANY_REQUESTS => {
                            let wait =
                                rate.wait_after_429(backoff(self.options.backoff, attempt, seed));
                            if attempt >= self.options.max_retries {
                                return Answer::Failed(retried(
                                    "rate limited (429)".into(),
                                    attempt,
                                ));
                            }
                            if wait > self.options.max_wait {
                                return Answer::Failed(format!(
                                    "rate limited (429): the API asks to wait {} s, more than --max-wait {} s",
                                    wait.as_secs(),
                                    self.options.max_wait.as_secs()
                                ));
                            }
                            wait
                        }
                        s if s.is_server_error() => {
                            if attempt >= self.options.max_retries {
                                return Answer::Failed(retried(
                                    format!("the API answered {}", status_text(s)),
                                    attempt,
                                ));
                            }
                            backoff(self.options.backoff, attempt, seed)
                        }
                        s if s.is_redirection() => {
                            return Answer::Failed(format!(
                                "the API answered {} (a redirect, not followed: is --api-base right?)",
                                status_text(s)
                            ));
                        }
                        s => {
                            return Answer::Failed(format!(
                                "unexpected answer {}{}",
                                status_text(s),
                                if s == StatusCode::NOT_FOUND {
                                    " (is the account type or --api-base right?)"
                                } else {
                                    ""
                                }
                            ));
                        }
                    }
                }
            };
            sleep(retry_wait);
            attempt += 1;
        }
    }
}

/// A 200 must carry a JSON object (a captive portal or proxy page must not count as granted).
fn check_body(response: reqwest::blocking::Response) -> Answer {
    const LIMIT: u64 = 4 << 20;
    let mut body = Vec::new();
    if let Err(e) = response.take(LIMIT + 1).read_to_end(&mut body) {
        return Answer::Failed(format!("cannot read the answer: {e}"));
    }
    if body.len() as u64 > LIMIT {
        return Answer::Failed("malformed answer: more than 4 MiB for one item".into());
    }
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(map)) => Answer::Granted(first_item_id(&map)),
        Ok(_) => Answer::Failed("malformed answer: 200 but not a JSON object".into()),
        Err(e) => Answer::Failed(format!(
            "malformed answer: 200 but not JSON ({})",
            e.classify_text()
        )),
    }
}

/// The `Id` of the first item of an impact.com list answer (`{"@page": …, "Campaigns": [{"Id":
/// …}]}`), if it is safe to put in a path.
fn first_item_id(map: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    let item = map
        .iter()
        .filter(|(k, _)| !k.starts_with('@'))
        .find_map(|(_, v)| v.as_array()?.first())?;
    let id = match item.get("Id")? {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let safe = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    safe.then_some(id)
}

trait ClassifyText {
    fn classify_text(&self) -> &'static str;
}

impl ClassifyText for serde_json::Error {
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}

/// The TLS part of a connection error (an untrusted or invalid certificate), if that is what
/// it is: the innermost cause that speaks of a certificate.
fn tls_problem(e: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    let mut found = None;
    while let Some(c) = cause {
        let text = c.to_string();
        if text.contains("certificate") {
            found = Some(text);
        }
        cause = c.source();
    }
    found
}

fn retried(why: String, attempt: u32) -> String {
    if attempt == 0 {
        why
    } else {
        format!(
            "{why} (after {attempt} retr{})",
            if attempt == 1 { "y" } else { "ies" }
        )
    }
}

fn status_text(s: StatusCode) -> String {
    match s.canonical_reason() {
        Some(r) => format!("{} {r}", s.as_u16()),
        None => s.as_u16().to_string(),
    }
}

fn host_of(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("?")),
        None => url.host_str().unwrap_or("?").to_string(),
    }
}

fn sleep(d: Duration) {
    if !d.is_zero() {
        std::thread::sleep(d);
    }
}

/// A message made safe: the token's own secret, then anything secret-shaped, redacted.
fn clean(message: &str, token: &AuthToken) -> String {
    let secret = token.expose();
    let replaced = if secret.len() >= 4 {
        message.replace(secret, &crate::redact::redact(secret))
    } else {
        message.to_string()
    };
    scrub(&replaced).into_owned()
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
