//! Command-line arguments (argh). Each verb's work lives next to this file in `cmd/`.

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
    Status(StatusArgs),
    List(ListArgs),
    Ban(BanArgs),
    Unban(UnbanArgs),
    Reload(ReloadArgs),
    Version(VersionArgs),
    Rpcd(RpcdArgs),
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
    /// the filter's mode: normal (default), ddos or aggressive, as a jail's `option mode`
    #[argh(option)]
    pub mode: Option<String>,
    /// a program name added to the filter's own, as a jail's `list program` (repeatable)
    #[argh(option)]
    pub program: Vec<String>,
    /// built-in filter name or filter file path, then a log file or `-` for stdin
    #[argh(positional, greedy)]
    pub args: Vec<String>,
}

/// A control verb's arguments: the options every control verb takes (`-c`, `--socket`,
/// `--json`) are written here once, then the verb's own fields; `common()` hands the shared
/// three to the client.
macro_rules! control_verb {
    ($(#[$($m:tt)*])* $name:ident, $verb:tt, { $($fields:tt)* }) => {
        #[derive(FromArgs, Debug)]
        $(#[$($m)*])*
        #[argh(subcommand, name = $verb)]
        pub struct $name {
            /// configuration file (UCI), for the control socket path
            #[argh(option, short = 'c', default = "DEFAULT_CONFIG.into()")]
            pub config: String,
            /// control socket path (overrides the configuration)
            #[argh(option)]
            pub socket: Option<String>,
            /// print one JSON object instead of text
            #[argh(switch)]
            pub json: bool,
            $($fields)*
        }

        impl $name {
            pub fn common(&self) -> Common {
                Common {
                    config: self.config.clone(),
                    socket: self.socket.clone(),
                    json: self.json,
                }
            }
        }
    };
}

/// Where a control verb finds the daemon, and how it prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    /// Configuration file, for `control_socket`.
    pub config: String,
    /// Socket path given on the command line.
    pub socket: Option<String>,
    pub json: bool,
}

control_verb! {
    /// Show the jails' counters and the log source (from the running daemon).
    StatusArgs, "status", {
        /// only this jail
        #[argh(positional)]
        pub jail: Option<String>,
    }
}

control_verb! {
    /// List banned addresses with their jail, remaining time and ban count.
    ListArgs, "list", {
        /// only this jail
        #[argh(positional)]
        pub jail: Option<String>,
    }
}

control_verb! {
    /// Ban an address (or IPv6 prefix) in a jail.
    BanArgs, "ban", {
        /// the jail
        #[argh(positional)]
        pub jail: String,
        /// the address or prefix
        #[argh(positional)]
        pub addr: String,
        /// seconds (-1 = permanent; default: the jail's bantime, escalated for repeat offenders)
        #[argh(option)]
        pub time: Option<i64>,
        /// ban even an address on the jail's ignore list (never loopback or the router itself)
        #[argh(switch)]
        pub force: bool,
    }
}

control_verb! {
    /// Lift the ban of an address in every jail and forget its failures, or lift every ban.
    UnbanArgs, "unban", {
        /// the address or prefix
        #[argh(positional)]
        pub addr: Option<String>,
        /// lift every ban
        #[argh(switch)]
        pub all: bool,
    }
}

control_verb! {
    /// Make the daemon reload its configuration (bans and history are kept).
    ReloadArgs, "reload", {
    }
}

control_verb! {
    /// Print the version of this program and of the running daemon.
    VersionArgs, "version", {
    }
}

#[derive(FromArgs, Debug)]
/// rpcd exec plugin for LuCI: `list` prints the methods, `call METHOD` answers one (JSON).
#[argh(subcommand, name = "rpcd")]
pub struct RpcdArgs {
    /// configuration file (UCI), for the control socket and the filter directory
    #[argh(option, short = 'c', default = "DEFAULT_CONFIG.into()")]
    pub config: String,
    /// control socket path (overrides the configuration)
    #[argh(option)]
    pub socket: Option<String>,
    /// list, or call and a method name
    #[argh(positional, greedy)]
    pub args: Vec<String>,
}
