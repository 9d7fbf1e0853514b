use logjail::cli::{Cli, Verb};
use logjail::cmd;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 2 && (args[1] == "--version" || args[1] == "-V") {
        println!("logjail {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let cli: Cli = argh::from_env();
    let code = match &cli.verb {
        Verb::Run(a) => cmd::run::run(a),
        Verb::Check(a) => cmd::check::run(a),
        Verb::Test(a) => cmd::test::run(a),
    };
    std::process::exit(code);
}
