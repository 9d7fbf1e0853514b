//! One module per CLI verb. Each `run` returns the process exit code.

pub mod check;
pub mod run;
pub mod test;
