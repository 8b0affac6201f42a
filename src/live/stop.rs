//! When probing stops before every probe was sent: an interrupt (SIGINT/SIGTERM), `--deadline`,
//! the breaker (5 failed exchanges in a row), or a rate limit longer than `--max-wait`. One
//! [`Stop`] is shared by every worker; its waits wake the moment probing stops, so no worker
//! sleeps through a signal or past the deadline.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Failed exchanges in a row with the API that stop the probing.
pub const BREAKER_LIMIT: u32 = 5;

/// Why probing stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// SIGINT (2) or SIGTERM (15): the signal number.
    Interrupted(i32),
    /// `--deadline` passed.
    Deadline,
    /// [`BREAKER_LIMIT`] failed exchanges in a row.
    Breaker,
    /// The API asked to wait longer than `--max-wait` before any next request.
    RateLimited,
}

#[derive(Debug, Default)]
struct State {
    reason: Option<StopReason>,
    /// Workers still probing.
    running: usize,
    /// Whether the probing is still on (a signal after it is not ours to handle).
    probing: bool,
}

/// The shared stop switch, and the deadline of the whole probing.
#[derive(Debug)]
pub struct Stop {
    state: Mutex<State>,
    changed: Condvar,
    deadline: Option<Instant>,
    /// Failed exchanges in a row (any token: they all talk to one API).
    failures_in_a_row: AtomicU32,
}

impl Stop {
    /// A switch for a probing that must end by `deadline` (none: only the other causes stop it).
    pub fn new(deadline: Option<Instant>) -> Stop {
        Stop {
            state: Mutex::new(State {
                probing: true,
                ..State::default()
            }),
            changed: Condvar::new(),
            deadline,
            failures_in_a_row: AtomicU32::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Stops the probing (the first reason is the one kept). Returns whether this call stopped it.
    pub fn trigger(&self, reason: StopReason) -> bool {
        let mut s = self.lock();
        if s.reason.is_some() || !s.probing {
            return false;
        }
        s.reason = Some(reason);
        self.changed.notify_all();
        true
    }

    /// Why probing stopped, if it did; the deadline counts as soon as it has passed.
    pub fn reason(&self) -> Option<StopReason> {
        let reason = self.lock().reason;
        if reason.is_none() && self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.trigger(StopReason::Deadline);
            return self.lock().reason;
        }
        reason
    }

    /// Sleeps for `d`, or less if probing stops meanwhile. `Err` is why it stopped.
    pub fn sleep(&self, d: Duration) -> Result<(), StopReason> {
        let until = Instant::now() + d;
        let mut s = self.lock();
        loop {
            if let Some(r) = s.reason {
                return Err(r);
            }
            let now = Instant::now();
            if self.deadline.is_some_and(|dl| now >= dl) {
                drop(s);
                self.trigger(StopReason::Deadline);
                return Err(self.reason().unwrap_or(StopReason::Deadline));
            }
            if now >= until {
                return Ok(());
            }
            let wake = self.deadline.map_or(until, |dl| dl.min(until));
            s = self.wait_timeout(s, wake - now);
        }
    }

    /// An exchange went well: the run of failures is broken.
    pub fn exchange_ok(&self) {
        self.failures_in_a_row.store(0, Ordering::Relaxed);
    }

    /// An exchange failed (transport error, 5xx, a 429 given up on). Returns whether this one
    /// tripped the breaker.
    pub fn exchange_failed(&self) -> bool {
        let n = self.failures_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
        n >= BREAKER_LIMIT && self.trigger(StopReason::Breaker)
    }

    /// A worker starts.
    pub(super) fn worker_started(&self) {
        self.lock().running += 1;
    }

    /// A worker is done.
    pub(super) fn worker_done(&self) {
        let mut s = self.lock();
        s.running = s.running.saturating_sub(1);
        self.changed.notify_all();
    }

    /// Waits until every worker is done or probing stops; then workers get `grace` to record
    /// what they were doing (one still inside an exchange is not waited for longer: its answer
    /// would come too late to count).
    pub(super) fn wait_for_workers(&self, grace: Duration) -> Option<StopReason> {
        let mut s = self.lock();
        let mut until: Option<Instant> = None;
        loop {
            if s.running == 0 {
                return s.reason;
            }
            let now = Instant::now();
            if s.reason.is_none() && self.deadline.is_some_and(|dl| now >= dl) {
                s.reason = Some(StopReason::Deadline);
                self.changed.notify_all();
            }
            if s.reason.is_some() {
                let end = *until.get_or_insert(now + grace);
                if now >= end {
                    return s.reason;
                }
                s = self.wait_timeout(s, end - now);
                continue;
            }
            s = match self.deadline {
                Some(dl) => self.wait_timeout(s, dl - now),
                None => self.changed.wait(s).unwrap_or_else(|p| p.into_inner()),
            };
        }
    }

    fn wait_timeout<'a>(&self, s: MutexGuard<'a, State>, d: Duration) -> MutexGuard<'a, State> {
        self.changed
            .wait_timeout(s, d)
            .unwrap_or_else(|p| p.into_inner())
            .0
    }

    /// The probing is over: later signals are not an interrupt of it.
    pub fn finish(&self) {
        self.lock().probing = false;
    }

    /// A signal arrived: the first one while probing stops it; returns false when the signal is
    /// not for the probing to handle (a second one, or one after probing).
    pub fn interrupt(&self, signal: i32) -> bool {
        self.trigger(StopReason::Interrupted(signal))
    }
}

/// While it lives, SIGINT and SIGTERM stop `stop` instead of the process; a second signal, or
/// one after probing finished, ends the process as the signal would.
#[cfg(unix)]
pub struct SignalGuard {
    _thread: std::thread::JoinHandle<()>,
}

/// Routes SIGINT and SIGTERM to `stop` for the rest of the process.
#[cfg(unix)]
pub fn on_signals(stop: std::sync::Arc<Stop>) -> std::io::Result<SignalGuard> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    let thread = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if !stop.interrupt(signal) {
                    // Not ours to soften: behave as if nobody had caught it.
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                }
            }
        })?;
    Ok(SignalGuard { _thread: thread })
}

/// Signals are not routed on this platform: an interrupt ends the process as usual.
#[cfg(not(unix))]
pub struct SignalGuard;

#[cfg(not(unix))]
pub fn on_signals(_stop: std::sync::Arc<Stop>) -> std::io::Result<SignalGuard> {
    Ok(SignalGuard)
}

/// When the host may be asked again: a 429's `Retry-After` holds for every request to it,
/// not only the one that got it.
#[derive(Debug, Default)]
pub struct HostGate {
    not_before: Mutex<Option<Instant>>,
}

impl HostGate {
    /// No request before `at` (a later time already set stays).
    pub fn hold_until(&self, at: Instant) {
        let mut g = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_none_or(|t| t < at) {
            *g = Some(at);
        }
    }

    /// How long to wait from now before the next request.
    pub fn wait(&self) -> Duration {
        let g = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        g.map_or(Duration::ZERO, |t| {
            t.saturating_duration_since(Instant::now())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleep_wakes_when_probing_stops() {
        let stop = std::sync::Arc::new(Stop::new(None));
        let other = stop.clone();
        let started = Instant::now();
        let t = std::thread::spawn(move || other.sleep(Duration::from_secs(60)));
        std::thread::sleep(Duration::from_millis(50));
        assert!(stop.interrupt(15));
        assert_eq!(t.join().unwrap(), Err(StopReason::Interrupted(15)));
        assert!(started.elapsed() < Duration::from_secs(30));
        assert!(!stop.interrupt(2), "the first reason is kept");
    }

    #[test]
    fn a_sleep_ends_at_the_deadline() {
        let stop = Stop::new(Some(Instant::now() + Duration::from_millis(50)));
        assert_eq!(
            stop.sleep(Duration::from_secs(60)),
            Err(StopReason::Deadline)
        );
        assert_eq!(stop.reason(), Some(StopReason::Deadline));
    }

    #[test]
    fn the_breaker_trips_on_the_fifth_failure_in_a_row() {
        let stop = Stop::new(None);
        for _ in 0..4 {
            assert!(!stop.exchange_failed());
        }
        stop.exchange_ok();
        for _ in 0..4 {
            assert!(!stop.exchange_failed());
        }
        assert_eq!(stop.reason(), None);
        assert!(stop.exchange_failed());
        assert_eq!(stop.reason(), Some(StopReason::Breaker));
    }

    #[test]
    fn after_probing_a_signal_is_not_ours() {
        let stop = Stop::new(None);
        stop.finish();
        assert!(!stop.interrupt(2));
    }

    #[test]
    fn the_host_gate_keeps_the_latest_time() {
        let gate = HostGate::default();
        assert_eq!(gate.wait(), Duration::ZERO);
        gate.hold_until(Instant::now() + Duration::from_secs(10));
        gate.hold_until(Instant::now() + Duration::from_secs(1));
        assert!(gate.wait() > Duration::from_secs(5));
    }
}
