//! `logjail test`. STUB.

use crate::cli::TestArgs;

pub fn run(_args: &TestArgs) -> i32 {
    eprintln!("logjail test: not implemented yet");
    2
}
