//! One worker's probing of one token: its steps in order, each sent with retries, pacing and
//! the run's budget, every decision recorded the moment it is made.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::{StatusCode, Url};

use super::UnprobedReason;
use super::exchange::{Exchange, exchange, seconds};
use super::probe::{ANNOUNCED_WAIT, Decision, Job, ProbeProblem, Shared, sid_is_plain};
use super::rate::{RateInfo, backoff};
use super::stop::StopReason;
use crate::redact::{AuthToken, looks_secret};

/// How one probe ended.
enum Answer {
    /// 200 with a JSON object, and what its first item says.
    Granted(FirstItem),
    Refused,
    /// 401.
    Unauthorized,
    /// Could not decide: why.
    Failed(String),
    /// Nothing more is sent for this token (or at all): why, and what to report once.
    Halt(UnprobedReason, Option<String>),
}

/// The first item of a granted list, for the probes that hang off it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum FirstItem {
    /// The list is empty (or its items have no `Id`).
    None,
    /// An id safe to put in a path.
    Usable(String),
    /// An id a path must not carry (odd characters, or shaped like a secret).
    Unusable,
}

/// One attempt's result: the answer, or a retry after `wait` because of `why`.
enum Attempt {
    Done(Answer),
    Retry { wait: Duration, why: String },
}

/// A 429 makes the host wait at least this long, whatever `Retry-After` says.
const MIN_WAIT_AFTER_429: Duration = Duration::from_secs(1);

impl Shared {
    /// Probes one token, step by step, recording each decision in `job`.
    pub(super) fn probe_token(&self, job: &Job) {
        let target = &job.target;
        if !sid_is_plain(&target.sid) {
            let mut rec = job.record();
            rec.problems.push(ProbeProblem {
                token: target.name.clone(),
                endpoint: job.base_path(),
                message:
                    "the sid is not an impact.com Account SID (letters and digits only): not probed"
                        .into(),
            });
            for d in rec.decisions.iter_mut() {
                *d = Some(Decision::Unprobed(UnprobedReason::BadSid));
            }
            return;
        }
        let steps: Vec<_> = job.steps().collect();
        let mut decided: Vec<Option<Decision>> = vec![None; steps.len()];
        let mut items: Vec<FirstItem> = vec![FirstItem::None; steps.len()];
        let mut rate = RateInfo::default();
        let mut authenticated = false;
        let mut halt: Option<UnprobedReason> = None;
        for &(i, path, shown, parent) in &steps {
            let stopped = self.stop.reason().map(UnprobedReason::from);
            let decision = if let Some(reason) = stopped.or(halt) {
                Decision::Unprobed(reason)
            } else {
                match dependent_path(path, parent, &decided, &items) {
                    Err(reason) => Decision::Unprobed(reason),
                    Ok(path) => {
                        let answer = self.send(job, &path, &mut rate);
                        let (decision, item) =
                            self.judge(job, i, shown, answer, &mut authenticated, &mut halt);
                        items[i] = item;
                        decision
                    }
                }
            };
            decided[i] = Some(decision);
            job.record().decisions[i] = Some(decision);
            self.bar.inc(1);
        }
    }

    /// What an answer means for the token: the step's decision and its list's first item.
    /// Problems are recorded in `job`; `halt` is set when the token's probing must end.
    fn judge(
        &self,
        job: &Job,
        i: usize,
        shown: &str,
        answer: Answer,
        authenticated: &mut bool,
        halt: &mut Option<UnprobedReason>,
    ) -> (Decision, FirstItem) {
        let problem = |message: String| ProbeProblem {
            token: job.target.name.clone(),
            endpoint: shown.to_string(),
            message,
        };
        match answer {
            Answer::Granted(item) => {
                *authenticated = true;
                (Decision::Granted, item)
            }
            Answer::Refused => {
                *authenticated = true;
                (Decision::Refused, FirstItem::None)
            }
            Answer::Unauthorized if !*authenticated => {
                job.record().invalid = true;
                *halt = Some(UnprobedReason::InvalidCredentials);
                let d = Decision::Unprobed(UnprobedReason::InvalidCredentials);
                (d, FirstItem::None)
            }
            Answer::Unauthorized => {
                job.record().problems.push(problem(
                    "401 Unauthorized, though the token had authenticated on an earlier probe (a WAF or proxy in between?): this category is undecided".into(),
                ));
                (Decision::Unprobed(UnprobedReason::Failed), FirstItem::None)
            }
            Answer::Failed(message) => {
                job.record().problems.push(problem(message));
                // A failed connectivity check ends the token's probes: the rest would fail the
                // same way and spend the budget.
                if i == 0 {
                    *halt = Some(UnprobedReason::Unreachable);
                }
                (Decision::Unprobed(UnprobedReason::Failed), FirstItem::None)
            }
            Answer::Halt(reason, message) => {
                if let Some(m) = message {
                    job.record().problems.push(problem(m));
                }
                *halt = Some(reason);
                (Decision::Unprobed(reason), FirstItem::None)
            }
        }
    }

    /// Sends one probe, with retries, pacing and the run's budget.
    fn send(&self, job: &Job, path: &str, rate: &mut RateInfo) -> Answer {
        let mut url = self.options.api_base.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}{path}"));
        url.query_pairs_mut().append_pair("PageSize", "1");
        let mut attempt = 0u32;
        loop {
            if let Err(halt) = self.ready(job, rate) {
                return halt;
            }
            match self.attempt(job, &url, rate, attempt) {
                Attempt::Done(answer) => return answer,
                Attempt::Retry { wait, why } => {
                    if attempt >= self.options.max_retries || self.stop.reason().is_some() {
                        return Answer::Failed(retried(why, attempt));
                    }
                    if self
                        .wait(job, wait, &format!("retrying after: {why}"))
                        .is_err()
                    {
                        return Answer::Failed(retried(why, attempt));
                    }
                    attempt += 1;
                }
            }
        }
    }

    /// Waits until the host and the token's budget allow the next request, then takes it from
    /// the run's budget. `Err`: nothing more is to be sent (and why).
    fn ready(&self, job: &Job, rate: &RateInfo) -> Result<(), Answer> {
        let max_wait = self.options.max_wait;
        let gate = self.gate.wait();
        if gate > max_wait {
            // Set by a 429 that asked for more than --max-wait: the probing stops.
            self.stop.trigger(StopReason::RateLimited);
            return Err(Answer::Halt(UnprobedReason::RateLimited, None));
        }
        let pace = rate.pace();
        if pace > max_wait {
            return Err(Answer::Halt(
                UnprobedReason::RateLimited,
                Some(format!(
                    "the token's rate-limit budget is spent and resets in {}, more than --max-wait {}",
                    seconds(pace),
                    seconds(max_wait)
                )),
            ));
        }
        let wait = gate.max(pace);
        if let Some(deadline) = self.stop.deadline() {
            if Instant::now() + wait >= deadline {
                if gate >= pace {
                    self.stop.trigger(StopReason::Deadline);
                }
                return Err(Answer::Halt(UnprobedReason::Deadline, None));
            }
        }
        let why = if gate >= pace {
            "rate limited by the API (429)".to_string()
        } else {
            "pacing: the token's rate-limit budget is nearly spent".to_string()
        };
        if let Err(r) = self.wait(job, wait, &why) {
            return Err(Answer::Halt(r.into(), None));
        }
        if let Some(r) = self.stop.reason() {
            return Err(Answer::Halt(r.into(), None));
        }
        let max = self.options.max_requests.unwrap_or(u64::MAX);
        let counted = self
            .sent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            });
        if counted.is_err() {
            self.exhausted.store(true, Ordering::Relaxed);
            return Err(Answer::Halt(UnprobedReason::Budget, None));
        }
        job.record().requests += 1;
        Ok(())
    }

    /// Sleeps `d` (interruptibly), announcing it when long.
    fn wait(&self, job: &Job, d: Duration, why: &str) -> Result<(), StopReason> {
        if d.is_zero() {
            return Ok(());
        }
        if d > ANNOUNCED_WAIT && self.stop.reason().is_none() {
            let line = format!(
                "note: waiting {} before the next request of token `{}` to {}: {why}",
                seconds(Duration::from_secs(d.as_secs_f64().ceil() as u64)),
                super::exchange::inert(&job.target.name, 80),
                self.route.host
            );
            self.bar.suspend(|| (self.options.announce.0)(&line));
        }
        self.stop.sleep(d)
    }

    /// One exchange, and what it means.
    fn attempt(&self, job: &Job, url: &Url, rate: &mut RateInfo, attempt: u32) -> Attempt {
        let timeout = self.options.timeout;
        let budget = match self.stop.deadline() {
            Some(d) => timeout.min(d.saturating_duration_since(Instant::now())),
            None => timeout,
        };
        if budget < Duration::from_millis(50) {
            self.stop.trigger(StopReason::Deadline);
            return Attempt::Done(Answer::Halt(UnprobedReason::Deadline, None));
        }
        let cut_by_deadline = budget < timeout;
        // Jitter from the OS-seeded keys std gives every hasher (one fresh pair per call),
        // mixed with the clock and what this worker has sent.
        let seed = {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(self.sent.load(Ordering::Relaxed));
            h.write_u32(attempt);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            h.finish()
        };
        let backoff = backoff(self.options.backoff, attempt, seed);
        let secret = &job.target.auth_token;
        let (status, body) = match exchange(
            &self.client,
            url,
            &job.target.sid,
            secret,
            budget,
            &self.route,
        ) {
            Exchange::Failed(t) => return self.failed(t, cut_by_deadline, backoff),
            Exchange::Answered {
                status,
                rate: r,
                body,
            } => {
                *rate = r;
                (status, body)
            }
        };
        match status {
            StatusCode::OK => match body.expect("a 200 has its body read") {
                Ok(bytes) => {
                    self.stop.exchange_ok();
                    Attempt::Done(granted(&bytes, secret))
                }
                Err(t) => self.failed(t, cut_by_deadline, backoff),
            },
            StatusCode::FORBIDDEN => self.answered(Answer::Refused),
            StatusCode::UNAUTHORIZED => self.answered(Answer::Unauthorized),
            StatusCode::TOO_MANY_REQUESTS => self.rate_limited(rate, attempt, backoff),
            StatusCode::PROXY_AUTHENTICATION_REQUIRED => {
                self.stop.exchange_failed();
                let who = match &self.route.proxy {
                    Some(p) => format!("the proxy {p}"),
                    None => "a proxy between here and the API".into(),
                };
                Attempt::Done(Answer::Failed(format!(
                    "{who} asks for credentials (407 Proxy Authentication Required)"
                )))
            }
            s if s.is_server_error() => {
                self.stop.exchange_failed();
                Attempt::Retry {
                    wait: backoff,
                    why: format!("the API answered {}", status_text(s)),
                }
            }
            s if s.is_redirection() => self.answered(Answer::Failed(format!(
                "the API answered {} (a redirect, not followed: is --api-base right?)",
                status_text(s)
            ))),
            s => self.answered(Answer::Failed(format!(
                "unexpected answer {}{}",
                status_text(s),
                if s == StatusCode::NOT_FOUND {
                    " (is the account type or --api-base right?)"
                } else {
                    ""
                }
            ))),
        }
    }

    /// The API answered: the run of failures is broken.
    fn answered(&self, answer: Answer) -> Attempt {
        self.stop.exchange_ok();
        Attempt::Done(answer)
    }

    /// An exchange that got no (whole) answer.
    fn failed(
        &self,
        t: super::exchange::Trouble,
        cut_by_deadline: bool,
        backoff: Duration,
    ) -> Attempt {
        if t.timed_out && cut_by_deadline {
            // The exchange was only given what was left of --deadline.
            self.stop.trigger(StopReason::Deadline);
            return Attempt::Done(Answer::Halt(UnprobedReason::Deadline, None));
        }
        self.stop.exchange_failed();
        if t.heals {
            Attempt::Retry {
                wait: backoff,
                why: t.message,
            }
        } else {
            Attempt::Done(Answer::Failed(t.message))
        }
    }

    /// A 429: the host waits as told (at least a second), then this probe tries again.
    fn rate_limited(&self, rate: &RateInfo, attempt: u32, backoff: Duration) -> Attempt {
        let wait = rate.wait_after_429(backoff).max(MIN_WAIT_AFTER_429);
        self.gate.hold_until(Instant::now() + wait);
        let max_wait = self.options.max_wait;
        if wait > max_wait {
            self.stop.exchange_failed();
            self.stop.trigger(StopReason::RateLimited);
            return Attempt::Done(Answer::Failed(format!(
                "rate limited (429): the API asks to wait {}, more than --max-wait {}: probing stopped",
                seconds(wait),
                seconds(max_wait)
            )));
        }
        if attempt >= self.options.max_retries {
            self.stop.exchange_failed();
            return Attempt::Done(Answer::Failed(retried(
                "rate limited (429)".into(),
                attempt,
            )));
        }
        // The wait is the host's: `ready` waits it out before the next attempt.
        Attempt::Retry {
            wait: Duration::ZERO,
            why: "rate limited (429)".into(),
        }
    }
}

/// The path of a step: its own, or for a dependent one the parent's first item's id put in.
fn dependent_path(
    path: &str,
    parent: Option<usize>,
    decided: &[Option<Decision>],
    items: &[FirstItem],
) -> Result<String, UnprobedReason> {
    let Some(parent) = parent else {
        return Ok(path.to_string());
    };
    match (decided[parent], &items[parent]) {
        (Some(Decision::Granted), FirstItem::Usable(id)) => {
            let open = path.rfind('{').expect("a dependent path has an id");
            let close = open + path[open..].find('}').expect("a closed parameter");
            let mut path = path.to_string();
            path.replace_range(open..=close, id);
            Ok(path)
        }
        (Some(Decision::Granted), FirstItem::None) => Err(UnprobedReason::ParentEmpty),
        (Some(Decision::Granted), FirstItem::Unusable) => Err(UnprobedReason::ParentIdUnusable),
        (Some(Decision::Refused), _) => Err(UnprobedReason::ParentRefused),
        (Some(Decision::Unprobed(r)), _) if r.cuts_short() => Err(r),
        _ => Err(UnprobedReason::ParentUnprobed),
    }
}

/// A 200 must carry a JSON object (a captive portal or proxy page must not count as granted).
fn granted(body: &[u8], secret: &AuthToken) -> Answer {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Answer::Granted(first_item(&map, secret)),
        Ok(_) => Answer::Failed("malformed answer: 200 but not a JSON object".into()),
        Err(e) => Answer::Failed(format!(
            "malformed answer: 200 but not JSON ({})",
            match e.classify() {
                serde_json::error::Category::Io => "unreadable",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data => "unexpected data",
                serde_json::error::Category::Eof => "cut short",
            }
        )),
    }
}

/// The `Id` of the first item of an impact.com list answer (`{"@page": …, "Campaigns": [{"Id":
/// …}]}`). The server chose it: it goes into a path only if it is plain and not secret-shaped
/// (a server echoing the Auth Token as an id must not get it into a URL or a log).
fn first_item(map: &serde_json::Map<String, serde_json::Value>, secret: &AuthToken) -> FirstItem {
    let Some(item) = map
        .iter()
        .filter(|(k, _)| !k.starts_with('@'))
        .find_map(|(_, v)| v.as_array()?.first())
    else {
        return FirstItem::None;
    };
    let id = match item.get("Id") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        None => return FirstItem::None,
        Some(_) => return FirstItem::Unusable,
    };
    let plain = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let s = secret.expose();
    let secretish =
        looks_secret(&id) || (s.len() >= 8 && (id.contains(s) || s.contains(&id) && id.len() >= 8));
    if plain && !secretish {
        FirstItem::Usable(id)
    } else {
        FirstItem::Unusable
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str, secret: &str) -> FirstItem {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        first_item(v.as_object().unwrap(), &AuthToken::new(secret.into()))
    }

    #[test]
    fn a_server_chosen_id_enters_a_path_only_when_plain() {
        let secret = "Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq";
        assert_eq!(
            item(r#"{"@page":"1","Campaigns":[{"Id":"1234"}]}"#, secret),
            FirstItem::Usable("1234".into())
        );
        assert_eq!(
            item(r#"{"Campaigns":[{"Id":12}]}"#, secret),
            FirstItem::Usable("12".into())
        );
        assert_eq!(item(r#"{"Campaigns":[]}"#, secret), FirstItem::None);
        for bad in [
            r#"{"Campaigns":[{"Id":"Zq8vNw3XkL5pR2tY7uJ9aB4cD6eF1gHq"}]}"#,
            r#"{"Campaigns":[{"Id":"Mn4bVc7XzL2kJ9hG5fD3sA8qW1eR6tYu"}]}"#,
            r#"{"Campaigns":[{"Id":"Zq8vNw3XkL5p"}]}"#,
            r#"{"Campaigns":[{"Id":"../x"}]}"#,
            r#"{"Campaigns":[{"Id":"a?b=1"}]}"#,
            r#"{"Campaigns":[{"Id":{"x":1}}]}"#,
        ] {
            assert_eq!(item(bad, secret), FirstItem::Unusable, "{bad}");
        }
    }

    #[test]
    fn dependents_say_why_they_were_not_probed() {
        let p = "/Advertisers/IRx/Campaigns/{CampaignId}/Contacts";
        let g = Some(Decision::Granted);
        let r = Some(Decision::Refused);
        let usable = [FirstItem::Usable("7".into())];
        assert_eq!(
            dependent_path(p, Some(0), &[g], &usable).unwrap(),
            "/Advertisers/IRx/Campaigns/7/Contacts"
        );
        assert_eq!(
            dependent_path(p, Some(0), &[g], &[FirstItem::None]),
            Err(UnprobedReason::ParentEmpty)
        );
        assert_eq!(
            dependent_path(p, Some(0), &[g], &[FirstItem::Unusable]),
            Err(UnprobedReason::ParentIdUnusable)
        );
        assert_eq!(
            dependent_path(p, Some(0), &[r], &[FirstItem::None]),
            Err(UnprobedReason::ParentRefused)
        );
        let failed = Some(Decision::Unprobed(UnprobedReason::Failed));
        assert_eq!(
            dependent_path(p, Some(0), &[failed], &[FirstItem::None]),
            Err(UnprobedReason::ParentUnprobed)
        );
        let late = Some(Decision::Unprobed(UnprobedReason::Deadline));
        assert_eq!(
            dependent_path(p, Some(0), &[late], &[FirstItem::None]),
            Err(UnprobedReason::Deadline)
        );
    }
}
