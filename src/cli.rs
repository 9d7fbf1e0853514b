//! Command-line arguments (argh). Each verb's work lives in `cmd/`.

use argh::FromArgs;

/// Default configuration file on OpenWrt.
pub const DEFAULT_CONFIG: &str = "/etc/config/logjail";

#[derive(FromArgs, Debug)]
/// logjail: intrusion prevention for OpenWrt — log filters, jails, nftables bans.
pub struct Cli {
    #[argh(subcommand)]
    pub verb: Verb,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub enum Verb {
    Run(RunArgs),
    Check(CheckArgs),
    Test(TestArgs),
}

#[derive(FromArgs, Debug)]
/// Run the daemon.
#[argh(subcommand, name = "run")]
pub struct RunArgs {
    /// configuration file (UCI)
    #[argh(option, short = 'c', default = "DEFAULT_CONFIG.into()")]
    pub config: String,
    /// log source: a command, `-` for stdin, or a file path (overrides the config)
    #[argh(option)]
    pub source: Option<String>,
    /// print decisions on stdout instead of touching the firewall
    #[argh(switch)]
    pub dry_run: bool,
    /// log to stderr instead of syslog
    #[argh(switch)]
    pub foreground: bool,
    /// debug logging
    #[argh(switch, short = 'v')]
    pub verbose: bool,
}

#[derive(FromArgs, Debug)]
/// Validate the configuration and print the effective jails.
#[argh(subcommand, name = "check")]
pub struct CheckArgs {
    /// configuration file (UCI)
    #[argh(option, short = 'c', default = "DEFAULT_CONFIG.into()")]
    pub config: String,
}

#[derive(FromArgs, Debug)]
/// Try a filter on a log file (like fail2ban-regex).
#[argh(subcommand, name = "test")]
pub struct TestArgs {
    /// configuration file (UCI), for the filter directory
    #[argh(option, short = 'c', default = "DEFAULT_CONFIG.into()")]
    pub config: String,
    /// print one JSON object instead of text
    #[argh(switch)]
    pub json: bool,
    /// print lines the filter did not match
    #[argh(switch)]
    pub print_missed: bool,
    /// print matched lines, with the failregex that matched
    #[argh(switch)]
    pub print_matched: bool,
    /// list the built-in filters and exit
    #[argh(switch)]
    pub list: bool,
    /// built-in filter name or filter file path, then a log file or `-` for stdin
    #[argh(positional, greedy)]
    pub args: Vec<String>,
}
