//! Hostile servers on loopback, speaking raw HTTP/1.1 over TCP so they can misbehave in ways a
//! well-made server library will not: bodies sent a byte at a time, silence after the
//! connectivity check, a close in the middle of the headers, a reset in the middle of the body,
//! a 1 MiB header, 10,000 headers, secrets echoed back, a proxy asking for credentials.
//! Every request is recorded (never its password) with the time it arrived.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::impact::{basic, http_response};

/// What the server received.
#[derive(Clone, Debug)]
pub struct Got {
    pub method: String,
    /// The request target without the query (for a proxy: the CONNECT authority).
    pub path: String,
    pub query: String,
    /// The Basic-auth user (the SID), if any.
    pub user: Option<String>,
    pub at: Instant,
}

impl Got {
    /// The last path segment (`Reports`, `CompanyInformation`).
    pub fn resource(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }
}

/// A request as the handler sees it: the password is there to be checked (or echoed by a
/// hostile server), never recorded.
pub struct Request<'a> {
    pub got: &'a Got,
    pub password: Option<&'a str>,
    /// How many requests for this path came before this one.
    pub nth: u32,
}

/// How to answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A whole answer: status, extra headers, body.
    Json(u16, Vec<(String, String)>, String),
    /// The status line with this reason phrase instead of the usual one.
    Phrase(u16, String, String),
    /// Headers at once, then the body one byte every `every`.
    SlowBody(String, Duration),
    /// Read the request and never answer (the socket stays open while the server lives).
    Silent,
    /// Half the status line and headers, then close.
    CloseMidHeaders,
    /// The headers and part of the body, then a TCP reset.
    ResetMidBody,
    /// A 200 with one header of 1 MiB.
    HugeHeader,
    /// A 200 with 10,000 headers.
    ManyHeaders,
}

impl Reply {
    /// A 200 with an impact.com list of one item whose `Id` is `id`.
    pub fn list(resource: &str, id: &str) -> Reply {
        Reply::Json(
            200,
            vec![],
            format!(
                r#"{{"@page":"1","@numpages":"1","@pagesize":"1","@total":"1","{resource}":[{{"Id":"{id}"}}]}}"#
            ),
        )
    }

    pub fn status(code: u16) -> Reply {
        Reply::Json(code, vec![], r#"{"Status":"ERROR"}"#.into())
    }
}

type Handler = dyn Fn(&Request<'_>) -> Reply + Send + Sync;

pub struct Hostile {
    pub port: u16,
    received: Arc<Mutex<Vec<Got>>>,
    closed: Arc<AtomicBool>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Relaxed);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl Hostile {
    /// A server answering every request as `handler` says.
    pub fn start(handler: impl Fn(&Request<'_>) -> Reply + Send + Sync + 'static) -> Hostile {
        Self::listen(Arc::new(handler), false)
    }

    /// A proxy that answers everything, CONNECT included, with 407 and a hostile realm.
    pub fn proxy_407() -> Hostile {
        Self::listen(
            Arc::new(|_: &Request<'_>| {
                Reply::Json(
                    407,
                    vec![(
                        "Proxy-Authenticate".into(),
                        "Basic realm=\"corp \u{202e}proxy\"".into(),
                    )],
                    String::new(),
                )
            }),
            true,
        )
    }

    fn listen(handler: Arc<Handler>, proxy: bool) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(AtomicBool::new(false));
        {
            let (received, closed) = (received.clone(), closed.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if closed.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(stream) = stream else { break };
                    let (handler, received, closed) =
                        (handler.clone(), received.clone(), closed.clone());
                    std::thread::spawn(move || {
                        let _ = serve(stream, &*handler, &received, &closed, proxy);
                    });
                }
            });
        }
        Hostile {
            port,
            received,
            closed,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Got> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (at most `limit`) until the server has received a request that `pred` accepts.
    pub fn wait_for(&self, limit: Duration, pred: impl Fn(&Got) -> bool) -> bool {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if self.received().iter().any(&pred) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    received: &Mutex<Vec<Got>>,
    closed: &AtomicBool,
    proxy: bool,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.push(byte[0]);
        // A TLS ClientHello (or any binary) where HTTP was expected: answer like a plain-http
        // server does.
        if head.len() == 1 && !byte[0].is_ascii_alphabetic() {
            stream.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return Ok(());
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let auth_header = if proxy {
        "proxy-authorization"
    } else {
        "authorization"
    };
    let credentials = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(auth_header))
        .and_then(|(_, v)| basic(v.trim()));
    // A proxy sees absolute URLs (`GET http://host/path`): keep the path.
    let target = target
        .strip_prefix("http://")
        .map_or(target, |rest| rest.find('/').map_or("/", |i| &rest[i..]));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let got = Got {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        user: credentials.as_ref().map(|c| c.0.clone()),
        at: Instant::now(),
    };
    let nth = {
        let mut r = received.lock().unwrap();
        let nth = r.iter().filter(|g| g.path == got.path).count() as u32;
        r.push(got.clone());
        nth
    };
    let request = Request {
        got: &got,
        password: credentials.as_ref().map(|c| c.1.as_str()),
        nth,
    };
    reply(&mut stream, handler(&request), closed)
}

fn reply(stream: &mut TcpStream, reply: Reply, closed: &AtomicBool) -> std::io::Result<()> {
    let whole = http_response;
    match reply {
        Reply::Json(status, extra, body) => {
            stream.write_all(whole(status, "X", &extra, &body).as_bytes())?
        }
        Reply::Phrase(status, phrase, body) => {
            stream.write_all(whole(status, &phrase, &[], &body).as_bytes())?
        }
        Reply::SlowBody(body, every) => {
            let head = whole(200, "OK", &[], &body);
            let (head, body) = head.split_at(head.len() - body.len());
            stream.write_all(head.as_bytes())?;
            for b in body.bytes() {
                if closed.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(every);
                stream.write_all(&[b])?;
            }
        }
        Reply::Silent => {
            while !closed.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Reply::CloseMidHeaders => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: appli")?;
        }
        Reply::ResetMidBody => {
            let body = r#"{"@page":"1","Reports":[{"Id":"1"}]}"#;
            let text = whole(200, "OK", &[], body);
            stream.write_all(&text.as_bytes()[..text.len() - body.len() / 2])?;
            stream.flush()?;
            std::thread::sleep(Duration::from_millis(50));
            reset(stream);
        }
        Reply::HugeHeader => {
            let mut out = String::from("HTTP/1.1 200 OK\r\nX-Huge: ");
            out.push_str(&"a".repeat(1 << 20));
            out.push_str("\r\nContent-Length: 2\r\n\r\n{}");
            stream.write_all(out.as_bytes())?;
        }
        Reply::ManyHeaders => {
            let mut out = String::from("HTTP/1.1 200 OK\r\n");
            for i in 0..10_000 {
                out.push_str(&format!("X-H{i}: {i}\r\n"));
            }
            out.push_str("Content-Length: 2\r\n\r\n{}");
            stream.write_all(out.as_bytes())?;
        }
    }
    stream.flush()
}

/// Closes with a TCP reset (linger 0) instead of a clean close.
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a properly sized `linger`.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}
