//! One module per CLI verb. Each `run` returns the process exit code.

pub mod check;
pub mod ctl;
pub mod event_loop;
pub mod run;
pub mod show;
pub mod startup;
pub mod test;
