//! Drives the nftables backend by hand, without the daemon.
//!
//! ```text
//! nftctl [--family F] [--table T] [--standalone] init
//! nftctl [...] ban HOST SECONDS|-1 [HOST SECONDS ...]   # prints each refused ban and why
//! nftctl [...] list                  # what the sets hold, with the seconds left
//! nftctl [...] unban HOST            # removes what covers HOST, known or not; prints it
//! nftctl [...] unban-all             # empties both sets, prints how many hosts they held
//! nftctl [...] flush
//! nftctl [...] bulk N SECONDS        # N bans 10.a.b.c in one block_many, prints the time
//! nftctl [...] watch HOST SECONDS    # ban, then re-ban whenever poll_events says so
//! ```
//!
//! Run it in a scratch namespace: `unshare -Urn sh -c 'nft -f ruleset; nftctl ban 1.2.3.4 60'`.

use logjail::addr::Host;
use logjail::firewall::nft::{Nft, Settings};
use logjail::firewall::{Ban, Events, Firewall};
use std::time::Instant;

fn host(s: &str) -> Host {
    s.parse()
        .ok()
        .map(|ip| Host::new(ip, 64))
        .or_else(|| Host::parse(s))
        .unwrap_or_else(|| die(&format!("not an address: {s}")))
}

fn die(msg: &str) -> ! {
    eprintln!("nftctl: {msg}");
    std::process::exit(2)
}

fn secs(s: &str) -> Option<u32> {
    match s {
        "-1" => None,
        s => Some(s.parse().unwrap_or_else(|_| die(&format!("not seconds: {s}")))),
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut main = Settings::default();
    while let Some(a) = args.first().cloned() {
        match a.as_str() {
            "--family" if args.len() > 1 => {
                main.family = args[1].clone();
                args.drain(..2);
            }
            "--table" if args.len() > 1 => {
                main.table = args[1].clone();
                args.drain(..2);
            }
            "--standalone" => {
                main.standalone = true;
                args.remove(0);
            }
            _ => break,
        }
    }
    let mut fw = Nft::new(&main).unwrap_or_else(|e| die(&e.to_string()));
    fw.init().unwrap_or_else(|e| die(&e.to_string()));
    let verb = args.first().map(String::as_str).unwrap_or("init");
    let rest = &args[args.len().min(1)..];
    let result = match verb {
        "init" => Ok(()),
        "ban" => {
            let hosts: Vec<Host> = rest.chunks(2).map(|p| host(&p[0])).collect();
            let bans: Vec<Ban> = rest
                .chunks(2)
                .zip(&hosts)
                .map(|(p, h)| Ban::new("nftctl", *h, secs(p.get(1).map_or("-1", String::as_str))))
                .collect();
            fw.block_report(&bans).map(|refused| {
                for r in refused {
                    println!("{r}");
                }
            })
        }
        "list" => fw.kernel_bans().map(|bans| {
            for b in bans {
                match b.remaining {
                    Some(s) => println!("{} {s}", b.host),
                    None => println!("{} permanent", b.host),
                }
            }
        }),
        "unban" => fw.unban(host(&rest[0])).map(|removed| {
            if removed.is_empty() {
                println!("not in the sets");
            }
            for h in removed {
                println!("removed {h}");
            }
        }),
        "unban-all" => fw.unban_all().map(|n| println!("removed {n}")),
        "flush" => fw.flush(),
        "bulk" => {
            let n: u32 = rest.first().and_then(|s| s.parse().ok()).unwrap_or(10_000);
            let t = secs(rest.get(1).map_or("3600", String::as_str));
            let bans: Vec<Ban> = (0..n)
                .map(|i| Ban::new("nftctl", Host::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)), t))
                .collect();
            let start = Instant::now();
            let r = fw.block_many(&bans);
            println!("{n} bans in {:.1} ms", start.elapsed().as_secs_f64() * 1000.0);
            r
        }
        "watch" => watch(&mut fw, host(&rest[0]), secs(&rest[1])),
        other => die(&format!("unknown verb {other}")),
    };
    if let Err(e) = result {
        die(&e.to_string());
    }
}

fn watch(fw: &mut Nft, h: Host, timeout: Option<u32>) -> Result<(), logjail::firewall::Error> {
    let ban = Ban::new("nftctl", h, timeout);
    fw.block(&ban)?;
    println!("banned {h}");
    loop {
        {
            let Some(fd) = fw.event_fd() else {
                die("no event socket")
            };
            let mut fds = [nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN)];
            let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE);
        }
        if fw.poll_events()?.reinstall {
            fw.block(&ban)?;
            println!("re-installed {h}");
        }
    }
}
