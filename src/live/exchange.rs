//! One HTTP exchange with the API, bounded as a whole (connect to last byte), and what went
//! wrong with it in words: oversized headers, a close or a reset, plain http to a TLS port, a
//! proxy asking for credentials, a certificate not trusted. Messages name the host and the
//! proxy as the user configured them, never text the server chose.

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use reqwest::{StatusCode, Url};

use super::rate::RateInfo;
use crate::redact::{AuthToken, scrub};

/// The most a 200 may carry: a list of one item is a few KiB.
pub const BODY_LIMIT: usize = 4 << 20;

/// Where an exchange goes, and what the messages about it may name.
#[derive(Clone, Debug)]
pub struct Route {
    /// `host:port` of `--api-base`.
    pub host: String,
    /// Whether `--api-base` is plain http (loopback only).
    pub plain_http: bool,
    /// The proxy requests go through, as `scheme://host:port` (no credentials), if any.
    pub proxy: Option<String>,
    /// Whether `--ca-cert` was given (then suggesting it would be no help).
    pub extra_ca: bool,
}

/// How an exchange ended.
#[derive(Debug)]
pub enum Exchange {
    /// The API answered: its status, what its headers said about the rate limit, and for a
    /// 200 the body (or why it could not be read whole).
    Answered {
        status: StatusCode,
        rate: RateInfo,
        body: Option<Result<Vec<u8>, Trouble>>,
    },
    /// No answer.
    Failed(Trouble),
}

/// What went wrong, in words, and whether trying again may help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trouble {
    pub message: String,
    /// A reset or a timeout may pass; a certificate or a 1 MB header will not.
    pub heals: bool,
    /// The exchange ran out of time.
    pub timed_out: bool,
}

impl Trouble {
    fn new(message: impl Into<String>, heals: bool) -> Trouble {
        Trouble {
            message: message.into(),
            heals,
            timed_out: false,
        }
    }
}

/// Sends `GET url` with Basic auth and reads the answer, all within `budget`.
pub fn exchange(
    client: &Client,
    url: &Url,
    sid: &str,
    secret: &AuthToken,
    budget: Duration,
    route: &Route,
) -> Exchange {
    let started = Instant::now();
    let until = started + budget;
    let now_secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let result = client
        .get(url.clone())
        .basic_auth(sid, Some(secret.expose()))
        .header(reqwest::header::ACCEPT, "application/json")
        // reqwest's per-request timeout runs from connecting to the end of the body.
        .timeout(budget)
        .send();
    let response = match result {
        Ok(r) => r,
        Err(e) => return Exchange::Failed(describe(&e, false, budget, started, route)),
    };
    let status = response.status();
    let rate = RateInfo::from_headers(
        response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
        now_secs,
    );
    let body = (status == StatusCode::OK).then(|| read_body(response, until, budget, route));
    Exchange::Answered { status, rate, body }
}

/// The body, read against the exchange's own clock as well as reqwest's.
fn read_body(
    mut response: reqwest::blocking::Response,
    until: Instant,
    budget: Duration,
    route: &Route,
) -> Result<Vec<u8>, Trouble> {
    let started = until - budget;
    let mut body = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if Instant::now() >= until {
            return Err(timed_out(budget));
        }
        match response.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => {
                if body.len() + n > BODY_LIMIT {
                    return Err(Trouble::new(
                        "malformed answer: more than 4 MiB for one item",
                        false,
                    ));
                }
                body.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(describe(&e, true, budget, started, route)),
        }
    }
}

fn timed_out(budget: Duration) -> Trouble {
    Trouble {
        message: format!("no complete answer within {} (--timeout)", seconds(budget)),
        heals: true,
        timed_out: true,
    }
}

/// `1 s`, `2.5 s`.
pub fn seconds(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// What the causes of an error say, gathered from the whole chain.
#[derive(Default)]
struct Causes {
    timeout: bool,
    connect: bool,
    tls: Option<TlsTrouble>,
    too_large: bool,
    not_http: bool,
    incomplete: bool,
    io: Option<std::io::ErrorKind>,
    /// A proxy tunnel failure.
    proxy: Option<ProxyTrouble>,
    innermost: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProxyTrouble {
    /// 407 to the CONNECT.
    Credentials,
    Headers,
    /// Another answer than 200 to the CONNECT.
    Refused,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TlsTrouble {
    /// The server did not speak TLS at all.
    NotTls,
    UnknownIssuer,
    Expired,
    NotYetValid,
    WrongName,
    CaAsServer,
    BadSignature,
    Revoked,
    /// The server ended the handshake with an alert.
    Refused,
    Other,
}

fn gather(e: &(dyn std::error::Error + 'static)) -> Causes {
    let mut c = Causes::default();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cause {
        look_at(err, &mut c);
        c.innermost = err.to_string();
        // `io::Error::source` skips the error it wraps: look inside it too.
        let inner = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        cause = match inner {
            Some(i) => Some(i),
            None => err.source(),
        };
    }
    c
}

fn look_at(err: &(dyn std::error::Error + 'static), c: &mut Causes) {
    if let Some(r) = err.downcast_ref::<reqwest::Error>() {
        c.timeout |= r.is_timeout();
        c.connect |= r.is_connect();
    }
    if let Some(h) = err.downcast_ref::<hyper::Error>() {
        // `is_parse_too_large` needs hyper's server side; its words are the same test.
        let too_large = h.is_parse() && h.to_string().starts_with("message head is too large");
        c.too_large |= too_large;
        c.not_http |= h.is_parse() && !too_large;
        c.incomplete |= h.is_incomplete_message();
        c.timeout |= h.is_timeout();
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        c.io = c.io.or(Some(io.kind()));
        c.timeout |= io.kind() == std::io::ErrorKind::TimedOut;
    }
    if let Some(t) = err.downcast_ref::<rustls::Error>() {
        c.tls = Some(tls_trouble(t));
    }
    // hyper-util's tunnel errors are not public types: their words are (`tunnel error: …`).
    if let Some(what) = err.to_string().strip_prefix("tunnel error: ") {
        c.proxy = c.proxy.or(match what {
            "proxy authorization required" => Some(ProxyTrouble::Credentials),
            "proxy response headers too long" => Some(ProxyTrouble::Headers),
            "unsuccessful" => Some(ProxyTrouble::Refused),
            _ => None,
        });
    }
}

fn tls_trouble(e: &rustls::Error) -> TlsTrouble {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            TlsTrouble::NotTls
        }
        rustls::Error::AlertReceived(_) => TlsTrouble::Refused,
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer => TlsTrouble::UnknownIssuer,
            C::Expired | C::ExpiredContext { .. } => TlsTrouble::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsTrouble::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsTrouble::WrongName,
            C::BadSignature => TlsTrouble::BadSignature,
            C::Revoked => TlsTrouble::Revoked,
            // webpki's own reasons come as `Other`, shown by their variant names.
            C::Other(other) if other.0.to_string() == "CaUsedAsEndEntity" => TlsTrouble::CaAsServer,
            _ => TlsTrouble::Other,
        },
        _ => TlsTrouble::Other,
    }
}

/// An error in words. `in_body`: the headers had arrived.
fn describe(
    e: &(dyn std::error::Error + 'static),
    in_body: bool,
    budget: Duration,
    started: Instant,
    route: &Route,
) -> Trouble {
    let c = gather(e);
    let host = &route.host;
    // A little slack: timers fire a hair early or late.
    if c.timeout || started.elapsed() + Duration::from_millis(20) >= budget {
        return timed_out(budget);
    }
    if let Some(what) = c.proxy {
        let proxy = route.proxy.as_deref().unwrap_or("the proxy");
        return match what {
            ProxyTrouble::Credentials => Trouble::new(
                format!(
                    "the proxy {proxy} asks for credentials (407 Proxy Authentication Required): those in the proxy URL were missing or refused"
                ),
                false,
            ),
            ProxyTrouble::Headers => Trouble::new(
                format!("the proxy {proxy} answered with headers too large to read"),
                false,
            ),
            ProxyTrouble::Refused => Trouble::new(
                format!("the proxy {proxy} refused to open a tunnel to {host}"),
                true,
            ),
        };
    }
    if let Some(tls) = c.tls {
        return Trouble::new(tls_words(tls, host, route.extra_ca), false);
    }
    if c.too_large {
        return Trouble::new(
            "the answer's headers are too large or too many to read (not retried)",
            false,
        );
    }
    if c.not_http {
        let hint = if route.plain_http {
            format!(": is {host} a TLS port? (then use https://)")
        } else {
            String::new()
        };
        return Trouble::new(format!("the answer is not HTTP{hint}"), false);
    }
    if let Some(kind) = c.io {
        use std::io::ErrorKind as K;
        let words = match kind {
            K::ConnectionReset if in_body => {
                Some("the connection was reset in the middle of the answer")
            }
            K::ConnectionReset => Some("the connection was reset before an answer came"),
            K::ConnectionRefused => Some("connection refused"),
            K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof if in_body => {
                Some("the connection closed in the middle of the answer")
            }
            K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                Some("the connection closed before an answer came")
            }
            _ => None,
        };
        if let Some(words) = words {
            let words = if kind == K::ConnectionRefused {
                format!("cannot connect to {host}: {words}")
            } else {
                words.to_string()
            };
            return Trouble::new(words, true);
        }
    }
    if c.incomplete {
        return Trouble::new(
            if in_body {
                "the connection closed in the middle of the answer"
            } else {
                "the connection closed before the answer's headers were complete"
            },
            true,
        );
    }
    if c.connect {
        return Trouble::new(format!("cannot connect to {host}"), true);
    }
    // Something else: the innermost cause, made inert (it is library text, but be safe).
    Trouble::new(
        format!("the exchange failed: {}", inert(&c.innermost, 120)),
        true,
    )
}

fn tls_words(t: TlsTrouble, host: &str, extra_ca: bool) -> String {
    let why = match t {
        TlsTrouble::NotTls => {
            return format!(
                "{host} does not speak TLS (a plain-http port? https:// needs a TLS server)"
            );
        }
        TlsTrouble::Refused => "the server refused the TLS handshake",
        TlsTrouble::UnknownIssuer if extra_ca => {
            "its certificate is signed neither by a system CA nor by the CA given with --ca-cert"
        }
        TlsTrouble::UnknownIssuer => {
            "its certificate is not signed by a trusted CA (a private CA, e.g. a TLS-inspecting proxy's, can be trusted with --ca-cert)"
        }
        TlsTrouble::Expired => "its certificate has expired",
        TlsTrouble::NotYetValid => "its certificate is not valid yet (is the clock right?)",
        TlsTrouble::WrongName => "its certificate is for another host name",
        TlsTrouble::CaAsServer => {
            "it presents a CA certificate as its own (a server needs a certificate issued by the CA)"
        }
        TlsTrouble::BadSignature => "its certificate's signature does not verify",
        TlsTrouble::Revoked => "its certificate has been revoked",
        TlsTrouble::Other => "its certificate or handshake was rejected",
    };
    format!("cannot connect to {host} securely: {why}")
}

/// Text made safe for a message: secrets scrubbed, control characters dropped, cut short at a
/// character boundary.
pub fn inert(text: &str, max_chars: usize) -> String {
    let clean: String = scrub(text)
        .chars()
        .filter(|c| !c.is_control() && !is_bidi(*c))
        .take(max_chars)
        .collect();
    clean
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_well() {
        assert_eq!(seconds(Duration::from_secs(30)), "30 s");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5 s");
    }

    #[test]
    fn inert_text_has_no_controls_or_secrets() {
        let t = inert("a\u{1b}[31mb\u{202E} Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq", 200);
        assert!(!t.contains('\u{1b}') && !t.contains('\u{202E}'), "{t}");
        assert!(!t.contains("Zq8vNw3XkL5p"), "{t}");
    }
}
