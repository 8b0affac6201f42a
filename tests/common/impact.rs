//! A real HTTP server on loopback that behaves like impact.com's REST API for what probes
//! touch: HTTP Basic auth per token (SID : Auth Token), per-token granted resources, 401 for
//! bad credentials, 403 for a disabled token or a resource outside its scopes, 404 for
//! unknown paths, 405 for anything but GET, JSON list bodies with `@page…` keys, rate-limit
//! headers, and scripted trouble (429 with `Retry-After`, 5xx, slow answers, malformed bodies).
//! Every request it receives is recorded, so tests assert on what scopeward really sent.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;

/// Trouble scripted for one resource of one token.
#[derive(Clone, Debug)]
pub enum Trouble {
    /// Answer 429 with `Retry-After: secs` this many times, then normally.
    RateLimited { times: u32, retry_after: u64 },
    /// Answer 503 this many times, then normally.
    Unavailable { times: u32 },
    /// Wait this long before answering.
    Slow(Duration),
    /// Answer 200 with an HTML page.
    Malformed,
}

/// The certificate an HTTPS server presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsCert {
    /// For `localhost`, issued by the CA.
    Good,
    /// The CA certificate itself.
    CaAsServer,
    /// Issued by the CA for another name.
    WrongName,
    /// Issued by the CA, expired in 2021.
    Expired,
}

/// One token the server knows.
#[derive(Clone, Debug)]
pub struct FakeToken {
    pub sid: String,
    pub auth_token: String,
    /// Resources (path segment after the SID, e.g. `Reports`) it may read.
    pub granted: HashSet<String>,
    pub disabled: bool,
    pub trouble: HashMap<String, Trouble>,
    /// Rate-limit headers: (limit, remaining, reset seconds); default (1000, 990, 3600).
    pub budget: (u64, u64, u64),
    /// Send the partner header family (`X-RateLimit-*-hour`, `RateLimit-Reset`) instead of
    /// the brand one.
    pub hourly_headers: bool,
}

impl FakeToken {
    pub fn new(sid: &str, auth_token: &str, granted: &[&str]) -> Self {
        FakeToken {
            sid: sid.into(),
            auth_token: auth_token.into(),
            granted: granted.iter().map(|s| s.to_string()).collect(),
            disabled: false,
            trouble: HashMap::new(),
            budget: (1000, 990, 3600),
            hourly_headers: false,
        }
    }

    /// Rate-limit headers this token's answers carry.
    pub fn budget(mut self, limit: u64, remaining: u64, reset_secs: u64) -> Self {
        self.budget = (limit, remaining, reset_secs);
        self
    }

    pub fn hourly_headers(mut self) -> Self {
        self.hourly_headers = true;
        self
    }

    pub fn disabled(mut self) -> Self {
        self.disabled = true;
        self
    }

    pub fn trouble(mut self, resource: &str, t: Trouble) -> Self {
        self.trouble.insert(resource.into(), t);
        self
    }
}

/// What the server received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    /// Path without the query.
    pub path: String,
    pub query: String,
    /// The Basic-auth user (the SID), if any. The password is checked, never kept.
    pub user: Option<String>,
    pub accept: Option<String>,
    pub status: u16,
}

pub struct ImpactServer {
    pub base: String,
    received: Arc<Mutex<Vec<Received>>>,
    server: Option<Arc<tiny_http::Server>>,
}

impl Drop for ImpactServer {
    fn drop(&mut self) {
        if let Some(s) = &self.server {
            s.unblock();
        }
    }
}

/// Resources each account type's probes may ask for (the last path segment of a list).
const KNOWN_PREFIXES: &[&str] = &[
    "Advertisers",
    "Advertiser",
    "Mediapartners",
    "MediaPartners",
    "Agencies",
];

impl ImpactServer {
    pub fn start(tokens: Vec<FakeToken>) -> ImpactServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let tokens: Arc<HashMap<String, FakeToken>> =
            Arc::new(tokens.into_iter().map(|t| (t.sid.clone(), t)).collect());
        let counts: Arc<Mutex<HashMap<(String, String), u32>>> = Arc::default();
        {
            let server = server.clone();
            let received = received.clone();
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let received = received.clone();
                    let tokens = tokens.clone();
                    let counts = counts.clone();
                    std::thread::spawn(move || handle(request, &tokens, &counts, &received));
                }
            });
        }
        ImpactServer {
            base: format!("http://127.0.0.1:{port}"),
            received,
            server: Some(server),
        }
    }

    /// The same API over HTTPS (rustls), with a certificate for `localhost` signed by a fresh
    /// CA: returns the server and the CA certificate (PEM) a client must trust.
    pub fn start_tls(tokens: Vec<FakeToken>) -> (ImpactServer, String) {
        Self::start_tls_with(tokens, TlsCert::Good)
    }

    /// Over HTTPS with the certificate `cert` (trouble or not): the server and the CA
    /// certificate (PEM) of its issuer.
    pub fn start_tls_with(tokens: Vec<FakeToken>, cert: TlsCert) -> (ImpactServer, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(match cert {
            // The CA's own certificate, named for localhost, served as the server's.
            TlsCert::CaAsServer => vec!["localhost".to_string()],
            _ => Vec::<String>::new(),
        })
        .unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "scopeward test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca_pem = ca_cert.pem();
        let ca = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let name = match cert {
            TlsCert::WrongName => "elsewhere.invalid",
            _ => "localhost",
        };
        let mut leaf_params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        if cert == TlsCert::Expired {
            leaf_params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            leaf_params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
        let (chain, key) = match cert {
            TlsCert::CaAsServer => (
                ca_cert.der().clone(),
                rustls::pki_types::PrivateKeyDer::try_from(ca.key().serialize_der()).unwrap(),
            ),
            _ => (
                leaf.der().clone(),
                rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
            ),
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = Arc::new(
            rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(vec![chain], key)
                .unwrap(),
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let tokens: Arc<HashMap<String, FakeToken>> =
            Arc::new(tokens.into_iter().map(|t| (t.sid.clone(), t)).collect());
        let counts: Arc<Mutex<HashMap<(String, String), u32>>> = Arc::default();
        {
            let received = received.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { break };
                    let (config, tokens, counts, received) = (
                        config.clone(),
                        tokens.clone(),
                        counts.clone(),
                        received.clone(),
                    );
                    std::thread::spawn(move || {
                        let conn = rustls::ServerConnection::new(config).unwrap();
                        let mut tls = rustls::StreamOwned::new(conn, stream);
                        let _ = serve_one(&mut tls, &tokens, &counts, &received);
                    });
                }
            });
        }
        let server = ImpactServer {
            base: format!("https://localhost:{port}"),
            received,
            server: None,
        };
        (server, ca_pem)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn handle(
    request: tiny_http::Request,
    tokens: &HashMap<String, FakeToken>,
    counts: &Mutex<HashMap<(String, String), u32>>,
    received: &Mutex<Vec<Received>>,
) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let header = |name: &'static str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_string())
    };
    let credentials = header("Authorization").and_then(|v| basic(&v));
    let mut record = Received {
        method: request.method().as_str().to_string(),
        path: path.to_string(),
        query: query.to_string(),
        user: credentials.as_ref().map(|c| c.0.clone()),
        accept: header("Accept"),
        status: 0,
    };
    let (status, body, extra) = answer(&record, credentials.as_ref(), tokens, counts);
    record.status = status;
    received.lock().unwrap().push(record);
    let mut response = tiny_http::Response::from_string(body).with_status_code(status);
    let ct = if status == 200 && extra.iter().any(|(k, _)| k == "X-Malformed") {
        "text/html"
    } else {
        "application/json"
    };
    response.add_header(tiny_http::Header::from_bytes("Content-Type", ct).unwrap());
    for (k, v) in extra {
        response.add_header(tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap());
    }
    let _ = request.respond(response);
}

/// One HTTP/1.1 exchange on an already-secured stream, then close.
fn serve_one(
    stream: &mut (impl std::io::Read + std::io::Write),
    tokens: &HashMap<String, FakeToken>,
    counts: &Mutex<HashMap<(String, String), u32>>,
    received: &Mutex<Vec<Received>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let (method, url) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| headers.iter().find(|h| h.0 == name).map(|h| h.1.clone());
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let credentials = header("authorization").and_then(|v| basic(&v));
    let mut record = Received {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        user: credentials.as_ref().map(|c| c.0.clone()),
        accept: header("accept"),
        status: 0,
    };
    let (status, body, extra) = answer(&record, credentials.as_ref(), tokens, counts);
    record.status = status;
    received.lock().unwrap().push(record);
    stream.write_all(http_response(status, "X", &extra, &body).as_bytes())?;
    stream.flush()
}

/// A whole HTTP/1.1 answer with a JSON body, its length, `extra` headers, and no keep-alive.
pub fn http_response(status: u16, phrase: &str, extra: &[(String, String)], body: &str) -> String {
    let mut out = format!(
        "HTTP/1.1 {status} {phrase}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out
}

/// The `(user, password)` of a Basic `Authorization` header.
pub fn basic(value: &str) -> Option<(String, String)> {
    let b64 = value.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

fn error(message: &str) -> String {
    format!(r#"{{"Status":"ERROR","Message":"{message}"}}"#)
}

fn answer(
    r: &Received,
    credentials: Option<&(String, String)>,
    tokens: &HashMap<String, FakeToken>,
    counts: &Mutex<HashMap<(String, String), u32>>,
) -> (u16, String, Vec<(String, String)>) {
    let segments: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
    // `/{prefix}/{SID}/{Resource}` or `/{prefix}/{SID}/{Parent}/{Id}/{Resource}`, where the
    // id must be one the parent list hands out ("1").
    let (prefix, sid, resource) = match segments[..] {
        [prefix, sid, resource] => (prefix, sid, resource),
        [prefix, sid, _parent, "1", resource] => (prefix, sid, resource),
        _ => return (404, error("Not Found"), vec![]),
    };
    if !KNOWN_PREFIXES.contains(&prefix) {
        return (404, error("Not Found"), vec![]);
    }
    let resource = resource
        .strip_suffix(".json")
        .unwrap_or(resource)
        .to_string();
    let Some((user, pass)) = credentials else {
        return (401, error("Authentication required"), vec![]);
    };
    let Some(token) = tokens
        .get(user)
        .filter(|t| &t.auth_token == pass && t.sid == sid)
    else {
        return (401, error("Invalid credentials"), vec![]);
    };
    let rate = rate_headers(token);
    let (status, body, mut extra) = answer_token(r, token, &resource, counts);
    extra.extend(rate);
    (status, body, extra)
}

fn rate_headers(token: &FakeToken) -> Vec<(String, String)> {
    let (limit, remaining, reset) = token.budget;
    // Header names in odd cases: clients must match them case-insensitively.
    if token.hourly_headers {
        vec![
            ("x-ratelimit-limit-hour".into(), limit.to_string()),
            ("X-RATELIMIT-REMAINING-HOUR".into(), remaining.to_string()),
            ("RateLimit-Reset".into(), reset.to_string()),
        ]
    } else {
        vec![
            ("X-RateLimit-Limit".into(), limit.to_string()),
            ("X-RateLimit-Remaining".into(), remaining.to_string()),
            ("X-RateLimit-Reset".into(), reset.to_string()),
        ]
    }
}

fn answer_token(
    r: &Received,
    token: &FakeToken,
    resource: &str,
    counts: &Mutex<HashMap<(String, String), u32>>,
) -> (u16, String, Vec<(String, String)>) {
    let sid = token.sid.as_str();
    let resource = resource.to_string();
    if r.method != "GET" {
        return (405, error("Method Not Allowed"), vec![]);
    }
    let n = {
        let mut c = counts.lock().unwrap();
        let n = c.entry((sid.to_string(), resource.clone())).or_insert(0);
        *n += 1;
        *n
    };
    match token.trouble.get(&resource) {
        Some(Trouble::RateLimited { times, retry_after }) if n <= *times => {
            return (
                429,
                error("Too Many Requests"),
                vec![("Retry-After".into(), retry_after.to_string())],
            );
        }
        Some(Trouble::Unavailable { times }) if n <= *times => {
            return (503, error("Service Unavailable"), vec![]);
        }
        Some(Trouble::Slow(d)) => std::thread::sleep(*d),
        _ => {}
    }
    if token.disabled || !token.granted.contains(&resource) {
        return (403, error("Forbidden"), vec![]);
    }
    if let Some(Trouble::Malformed) = token.trouble.get(&resource) {
        return (
            200,
            "<html><body>Please log in</body></html>".into(),
            vec![("X-Malformed".into(), "1".into())],
        );
    }
    let body = format!(
        r#"{{"@page":"1","@numpages":"1","@pagesize":"1","@total":"1","@nextpageuri":"","{resource}":[{{"Id":"1"}}]}}"#
    );
    (200, body, vec![])
}
