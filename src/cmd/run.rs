//! `logjail run`. STUB.

use crate::cli::RunArgs;

pub fn run(_args: &RunArgs) -> i32 {
    eprintln!("logjail run: not implemented yet");
    2
}
