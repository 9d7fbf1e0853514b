//! CrowdSec's Local API (LAPI), spoken without an HTTP or JSON crate.
//!
//! logjail is a bouncer (it polls `GET /v1/decisions/stream` and bans what LAPI decided) and a
//! reporter (it logs in as a watcher and posts an alert for each local ban). Everything here
//! is pure: [`json`] reads JSON in chunks, [`http`] parses responses and writes requests,
//! [`stream`] turns a decisions stream into typed decisions and [`alert`] writes the bodies
//! the reporter posts. The socket, the timers and the backoff live in the shell
//! (`cmd::lapi_client`). See `docs/crowdsec.md`.

pub mod alert;
pub mod http;
pub mod json;
pub mod request;
pub mod stream;
