//! The CrowdSec LAPI client inside the event loop: the bouncer's polls and the reporter's
//! login and alerts, one exchange at a time ([`Conn`]), with timeouts and backoff.
//!
//! **Bouncer.** Every `poll_interval` it asks `GET /v1/decisions/stream` with `X-Api-Key`:
//! `startup=true` at start and after any failure (a LAPI that restarted, or was unreachable,
//! is re-synced from the whole truth), `startup=false` otherwise. The body streams through
//! the decisions interpreter into a [`Staged`]; only a complete `200` answer whose body
//! parsed whole goes to the engine ([`Engine::lapi`]): garbage, a cut or slow body, or a body
//! over the limit changes nothing. Installed bans keep their kernel timeouts meanwhile.
//!
//! **Failures.** Connection refused, timeouts, bad answers and HTTP errors retry after
//! `poll_interval` doubled per consecutive failure, up to [`MAX_BACKOFF_MS`]. The state (up
//! or down) is logged when it changes, not at each retry. The API key is never logged.
//!
//! **Reporter.** When `machine_id` and `password` are set, each ban a jail decides is queued
//! ([`Reporter`]) and posted to `/v1/alerts` once logged in (`/v1/watchers/login`, the token
//! renewed a minute before it expires).

use super::lapi_conn::{Conn, Done};
use super::lapi_report::{Change, Reporter};
use crate::clock::Now;
use crate::config::crowdsec::CrowdSec;
use crate::engine::lapi::Staged;
use crate::engine::{Action, Engine};
use crate::lapi::alert::{alerts_body, login_body, Login};
use crate::lapi::http::Request;
use crate::lapi::stream::Decisions;
use nix::poll::PollFlags;
use std::os::fd::BorrowedFd;

/// Longest wait between retries.
pub const MAX_BACKOFF_MS: u64 = 300_000;
/// Time for one exchange, from connect to the end of the body.
pub const EXCHANGE_MS: u64 = 10_000;
/// Bytes per decision a body may hold on average (LAPI's are about 250).
pub const BODY_PER_DECISION: u64 = 1024;
/// Largest login or alerts answer kept.
pub const SMALL_BODY: u64 = 16 * 1024;
/// Firewall changes applied per batch ([`Engine::lapi_drain`]).
pub const DRAIN_BATCH: usize = 1024;

enum Job {
    Poll {
        startup: bool,
        decisions: Box<Decisions>,
        staged: Staged,
        /// When the request was made (monotonic ms), for the log's figures.
        asked_ms: u64,
    },
    Login {
        body: Vec<u8>,
    },
    Alerts {
        n: usize,
    },
}

/// The client. See the module documentation.
pub struct LapiClient {
    cfg: CrowdSec,
    conn: Option<(Conn, Job)>,
    next_poll_ms: u64,
    synced: bool,
    failures: u32,
    /// Whether LAPI answered last time (`None`: not asked yet).
    up: Option<bool>,
    reporter: Option<Reporter>,
}

impl LapiClient {
    pub fn new(cfg: CrowdSec) -> LapiClient {
        log::info!(
            "crowdsec: LAPI at http://{}, polled every {}s{}",
            cfg.lapi,
            cfg.poll_interval,
            if cfg.reports() {
                "; local bans reported"
            } else {
                ""
            }
        );
        LapiClient {
            reporter: cfg.reports().then(Reporter::new),
            cfg,
            conn: None,
            next_poll_ms: 0,
            synced: false,
            failures: 0,
            up: None,
        }
    }

    /// The socket to poll, and for what.
    pub fn interest(&self) -> Option<(BorrowedFd<'_>, PollFlags)> {
        self.conn.as_ref().map(|(c, _)| c.interest())
    }

    /// When the loop must wake at the latest.
    pub fn next_due_ms(&self) -> u64 {
        match &self.conn {
            Some((c, _)) => c.deadline_ms(),
            None => self
                .reporter
                .as_ref()
                .and_then(Reporter::next_due_ms)
                .map_or(self.next_poll_ms, |r| r.min(self.next_poll_ms)),
        }
    }

    /// Queues the bans a jail just decided (in `actions`) for reporting.
    pub fn note(&mut self, actions: &[Action], engine: &Engine, now: Now) {
        if let Some(r) = self.reporter.as_mut() {
            r.note(actions, engine, now);
        }
    }

    fn backoff_ms(&self) -> u64 {
        let base = u64::from(self.cfg.poll_interval) * 1000;
        base.saturating_mul(1 << self.failures.min(16))
            .min(MAX_BACKOFF_MS.max(base))
    }

    fn request(&self, method: &str, path: &str, auth: Option<(&str, &str)>, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let host = self.cfg.lapi.host_header();
        let mut headers = vec![("Connection", "close")];
        headers.extend(auth);
        let req = Request {
            method,
            path,
            host: &host,
            headers: &headers,
            body,
        };
        if let Err(e) = req.write(&mut out) {
            log::error!("crowdsec: {e}");
        }
        out
    }

    fn start(&mut self, engine: &Engine, now: Now) {
        // A due poll goes first: a flood of local bans to report never delays LAPI's.
        let (req, job, max) = if now.mono_ms >= self.next_poll_ms {
            let startup = !self.synced;
            let path = format!(
                "/v1/decisions/stream?startup={startup}{}",
                match (self.cfg.filter.ip, self.cfg.filter.range) {
                    (true, false) => "&scopes=ip",
                    (false, true) => "&scopes=range",
                    _ => "&scopes=ip,range",
                }
            );
            let req = self.request("GET", &path, Some(("X-Api-Key", &self.cfg.api_key)), b"");
            let job = Job::Poll {
                startup,
                decisions: Box::new(Decisions::new(self.cfg.filter.clone())),
                staged: engine.lapi_staging(now, startup),
                asked_ms: now.mono_ms,
            };
            let max = (self.cfg.max_decisions as u64 + 1024) * BODY_PER_DECISION;
            (req, job, max)
        } else if let Some(job) = self.reporter_job(now) {
            job
        } else {
            return;
        };
        match Conn::open(self.cfg.lapi.0, req, max, now.mono_ms + EXCHANGE_MS) {
            Ok(c) => self.conn = Some((c, job)),
            Err(e) => self.job_failed(&job, &e, now),
        }
    }

    /// A login or alerts exchange when one is due, else `None`.
    fn reporter_job(&mut self, now: Now) -> Option<(Vec<u8>, Job, u64)> {
        let r = self.reporter.as_mut()?;
        if !r.due(now) {
            return None;
        }
        if !r.logged_in(now) {
            let body = login_body(self.cfg.machine_id.as_deref()?, self.cfg.password.as_deref()?);
            let req = self.request("POST", "/v1/watchers/login", None, body.as_bytes());
            return Some((req, Job::Login { body: Vec::new() }, SMALL_BODY));
        }
        let (reports, token) = r.batch();
        let n = reports.len();
        let body = alerts_body(reports, self.cfg.machine_id.as_deref().unwrap_or(""));
        let bearer = format!("Bearer {token}");
        let req = self.request(
            "POST",
            "/v1/alerts",
            Some(("Authorization", &bearer)),
            body.as_bytes(),
        );
        Some((req, Job::Alerts { n }, SMALL_BODY))
    }

    fn job_failed(&mut self, job: &Job, why: &str, now: Now) {
        match job {
            Job::Poll { .. } => self.failed(why, now),
            _ => self.report_failed(why, now),
        }
    }

    /// The reporter's exchange failed: it waits (the bouncer's polls go on). Logged once
    /// per state change.
    fn report_failed(&mut self, why: &str, now: Now) {
        let Some(r) = self.reporter.as_mut() else {
            return;
        };
        match r.failed(now.mono_ms) {
            Change::Failing => log::warn!(
                "crowdsec: reporting to LAPI at http://{}: {why}; alerts stay queued (up to {}), retrying with backoff",
                self.cfg.lapi,
                super::lapi_report::QUEUE
            ),
            _ => log::debug!("crowdsec: reporting still failing: {why}"),
        }
    }

    fn report_worked(change: Change) {
        if change == Change::Working {
            log::info!("crowdsec: reporting to LAPI works again");
        }
    }

    /// The bouncer's poll failed.
    fn failed(&mut self, why: &str, now: Now) {
        self.failures = self.failures.saturating_add(1);
        self.synced = false;
        let wait = self.backoff_ms();
        self.next_poll_ms = now.mono_ms + wait;
        if self.up != Some(false) {
            log::warn!(
                "crowdsec: LAPI at http://{}: {why}; installed bans stay until their timeouts; retrying with backoff (up to {}s)",
                self.cfg.lapi,
                MAX_BACKOFF_MS / 1000
            );
        } else {
            log::debug!(
                "crowdsec: LAPI still failing: {why}; next try in {}s",
                wait / 1000
            );
        }
        self.up = Some(false);
    }

    fn answered(&mut self) {
        if self.up == Some(false) {
            log::info!("crowdsec: LAPI at http://{} answers again", self.cfg.lapi);
        }
        self.up = Some(true);
        self.failures = 0;
    }

    /// Moves the exchange on, or starts the next one when due; decisions that came in are
    /// applied to `engine` and their firewall changes pushed to `out` in batches, `flush`
    /// called after each.
    pub fn service(
        &mut self,
        engine: &mut Engine,
        now: Now,
        out: &mut Vec<Action>,
        flush: &mut dyn FnMut(&mut Vec<Action>, &mut Engine),
    ) {
        if self.conn.is_none() {
            self.start(engine, now);
        }
        let Some((conn, job)) = self.conn.as_mut() else {
            return;
        };
        let done = match job {
            Job::Poll {
                decisions, staged, ..
            } => conn.advance(now.mono_ms, &mut |status, b| {
                // An error page is not a decisions stream: its status says what went wrong.
                if status != 200 {
                    return Ok(());
                }
                decisions
                    .feed(b, &mut |d| staged.push(&d))
                    .map_err(|e| e.to_string())
            }),
            Job::Login { body } => conn.advance(now.mono_ms, &mut |_, b| {
                if body.len() + b.len() > SMALL_BODY as usize {
                    return Err("the login answer is too large".into());
                }
                body.extend_from_slice(b);
                Ok(())
            }),
            Job::Alerts { .. } => conn.advance(now.mono_ms, &mut |_, _| Ok(())),
        };
        let head = match done {
            Done::Pending => return,
            Done::Failed(e) => {
                if let Some((_, job)) = self.conn.take() {
                    self.job_failed(&job, &e, now);
                }
                return;
            }
            Done::Complete(h) => h,
        };
        let Some((_, job)) = self.conn.take() else {
            return;
        };
        match (head.status, job) {
            (
                200,
                Job::Poll {
                    startup,
                    mut decisions,
                    staged,
                    asked_ms,
                },
            ) => {
                if let Err(e) = decisions.finish() {
                    return self.failed(&format!("decisions stream: {e}"), now);
                }
                self.answered();
                self.synced = true;
                self.next_poll_ms = now.mono_ms + u64::from(self.cfg.poll_interval) * 1000;
                let skipped = decisions.skipped.total();
                let got = staged.len();
                let a = engine.lapi(staged, startup, now);
                while engine.lapi_drain(DRAIN_BATCH, now, out) > 0 {
                    flush(out, engine);
                }
                if a.added + a.removed + a.full > 0 || startup {
                    let applied_ms = Now::read().mono_ms.saturating_sub(now.mono_ms);
                    log::info!(
                        "crowdsec: {} decisions{} (read in {} ms): {} bans added, {} lifted, {} held; {} skipped, {} over max_decisions; firewall updated in {} ms",
                        got,
                        if startup { " (startup)" } else { "" },
                        now.mono_ms.saturating_sub(asked_ms),
                        a.added,
                        a.removed,
                        engine.lapi.as_ref().map_or(0, |t| t.len()),
                        skipped as usize + a.skipped,
                        a.full,
                        applied_ms
                    );
                }
            }
            (200, Job::Login { body }) => match (Login::read(&body), self.reporter.as_mut()) {
                (Some(l), Some(r)) => Self::report_worked(r.logged_in_until(l, now)),
                _ => self.report_failed("the watcher login answer has no token", now),
            },
            (200 | 201, Job::Alerts { n }) => {
                if let Some(r) = self.reporter.as_mut() {
                    Self::report_worked(r.sent(n));
                }
            }
            (401, Job::Alerts { .. }) => {
                if let Some(r) = self.reporter.as_mut() {
                    r.logged_out();
                }
            }
            (403 | 401, Job::Poll { .. }) => self.failed(
                "LAPI refused the api_key (HTTP 403): check `cscli bouncers list`",
                now,
            ),
            (401 | 403, Job::Login { .. }) => self.report_failed(
                "LAPI refused the watcher login: check machine_id and password (`cscli machines list`)",
                now,
            ),
            (status, job) => self.job_failed(&job, &format!("HTTP status {status}"), now),
        }
    }
}
