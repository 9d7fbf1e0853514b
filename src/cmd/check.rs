//! `logjail check`. STUB.

use crate::cli::CheckArgs;

pub fn run(_args: &CheckArgs) -> i32 {
    eprintln!("logjail check: not implemented yet");
    2
}
