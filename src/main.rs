use logjail::cmd;
use logjail::cmd::cli::{Cli, Verb};

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
        Verb::Status(a) => cmd::ctl::status(a),
        Verb::List(a) => cmd::ctl::list(a),
        Verb::Ban(a) => cmd::ctl::ban(a),
        Verb::Unban(a) => cmd::ctl::unban(a),
        Verb::Reload(a) => cmd::ctl::reload(a),
        Verb::Version(a) => cmd::ctl::version(a),
        Verb::Rpcd(a) => cmd::rpcd::run(a),
    };
    std::process::exit(code);
}
