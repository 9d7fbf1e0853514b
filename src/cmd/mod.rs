//! The shell's verbs: the command line ([`cli`]) and one module per verb, each `run`
//! returning the process exit code; `logjail run`'s event loop ([`event_loop`]) and setup.

pub mod apply;
pub mod check;
pub mod cli;
pub mod ctl;
pub mod event_loop;
pub mod lapi_client;
pub mod lapi_conn;
pub mod lapi_report;
pub mod rpcd;
pub mod rpcd_methods;
pub mod run;
pub mod show;
pub mod startup;
pub mod test;
