//! The attacker: a second network namespace joined to the test's by a veth pair.
//!
//! ```text
//!  test namespace ("router")             attacker namespace
//!  wan0 203.0.113.1/24                   eth0 203.0.113.9/24
//!       2001:db8:bad::1/64   <= veth =>       2001:db8:bad::9/64
//! ```
//!
//! Probes run inside the attacker namespace as a re-executed test binary (`nsenter -n`) whose
//! `probe` test does one TCP connect or one ICMP echo, so no `ping` or `nc` is needed.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const ROUTER_V4: &str = "203.0.113.1";
pub const ROUTER_V6: &str = "2001:db8:bad::1";
pub const ATTACKER_V4: &str = "203.0.113.9";
pub const ATTACKER_V6: &str = "2001:db8:bad::9";
pub const WAN: &str = "wan0";

pub struct Peer {
    holder: Child,
}

fn ip(args: &str) {
    let ok = Command::new("ip")
        .args(args.split(' '))
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "ip {args}");
}

impl Peer {
    /// Creates the attacker namespace and the veth pair, both ends up and addressed.
    pub fn new() -> Peer {
        ip("link set lo up");
        let holder = Command::new("unshare")
            .args(["-n", "sleep", "600"])
            .stdin(Stdio::null())
            .spawn()
            .expect("start the attacker namespace");
        let pid = holder.id();
        let own = std::fs::read_link("/proc/self/ns/net").expect("own netns");
        let joined = super::wait_for(Duration::from_secs(5), || {
            std::fs::read_link(format!("/proc/{pid}/ns/net")).is_ok_and(|l| l != own)
        });
        assert!(joined.is_some(), "attacker namespace did not appear");
        let peer = Peer { holder };
        ip(&format!("link add {WAN} type veth peer name eth0 netns {pid}"));
        ip(&format!("addr add {ROUTER_V4}/24 dev {WAN}"));
        ip(&format!("-6 addr add {ROUTER_V6}/64 dev {WAN} nodad"));
        ip(&format!("link set {WAN} up"));
        for a in [
            "link set lo up".to_string(),
            format!("addr add {ATTACKER_V4}/24 dev eth0"),
            format!("-6 addr add {ATTACKER_V6}/64 dev eth0 nodad"),
            "link set eth0 up".to_string(),
        ] {
            assert!(
                peer.run("ip", &a.split(' ').collect::<Vec<_>>()).status.success(),
                "attacker: ip {a}"
            );
        }
        peer
    }

    pub fn pid(&self) -> u32 {
        self.holder.id()
    }

    /// Runs a command inside the attacker namespace.
    pub fn run(&self, cmd: &str, args: &[&str]) -> std::process::Output {
        self.command(cmd, args).output().expect("nsenter")
    }

    /// A command that will run inside the attacker namespace.
    pub fn command(&self, cmd: &str, args: &[&str]) -> Command {
        let mut c = Command::new("nsenter");
        c.arg("-t")
            .arg(self.pid().to_string())
            .arg("-n")
            .arg(cmd)
            .args(args);
        c
    }

    /// One probe (`tcp ADDR:PORT`, `ping ADDR`, `ping6 ADDR`) from the attacker; true if it
    /// got an answer within a second.
    pub fn reaches(&self, probe: &str) -> bool {
        let exe = std::env::current_exe().expect("test binary");
        let exe = exe.to_string_lossy().into_owned();
        self.command(
            &exe,
            &[
                "probe",
                "--exact",
                "--include-ignored",
                "--nocapture",
                "--test-threads=1",
            ],
        )
        .env("LOGJAIL_PROBE", probe)
        .env_remove("LOGJAIL_NETNS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// The body of the (ignored) `probe` test every traffic test binary defines: does the probe
/// named by `LOGJAIL_PROBE`, panics if it gets no answer.
pub fn probe_main() {
    let spec = std::env::var("LOGJAIL_PROBE").expect("LOGJAIL_PROBE names the probe");
    let (kind, target) = spec.split_once(' ').expect("probe spec");
    let timeout = Duration::from_secs(1);
    match kind {
        "tcp" => {
            let addr: std::net::SocketAddr = target.parse().expect("tcp target");
            std::net::TcpStream::connect_timeout(&addr, timeout).expect("tcp connect");
        }
        "ping" | "ping6" => assert!(
            icmp_echo(target.parse().expect("ping target"), timeout),
            "no echo reply"
        ),
        other => panic!("unknown probe {other}"),
    }
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// One ICMP(v6) echo over a raw socket; the id is our pid, so every probe is a new flow.
fn icmp_echo(dst: std::net::IpAddr, timeout: Duration) -> bool {
    use nix::sys::socket::{
        self, sockopt, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType, SockaddrStorage,
    };
    let v6 = dst.is_ipv6();
    let (af, proto, req, rep) = if v6 {
        (AddressFamily::Inet6, SockProtocol::IcmpV6, 128u8, 129u8)
    } else {
        (AddressFamily::Inet, SockProtocol::Icmp, 8, 0)
    };
    let fd = socket::socket(af, SockType::Raw, SockFlag::SOCK_CLOEXEC, proto).expect("raw socket");
    socket::setsockopt(
        &fd,
        sockopt::ReceiveTimeout,
        &nix::sys::time::TimeVal::new(0, 200_000),
    )
    .expect("timeout");
    let id = (std::process::id() & 0xffff) as u16;
    let mut pkt = [0u8; 16];
    pkt[0] = req;
    pkt[4..6].copy_from_slice(&id.to_be_bytes());
    pkt[6..8].copy_from_slice(&1u16.to_be_bytes());
    pkt[8..].copy_from_slice(b"logjail!");
    if !v6 {
        let c = checksum(&pkt);
        pkt[2..4].copy_from_slice(&c.to_be_bytes());
    }
    let to = SockaddrStorage::from(std::net::SocketAddr::new(dst, 0));
    use std::os::fd::AsRawFd;
    socket::sendto(fd.as_raw_fd(), &pkt, &to, MsgFlags::empty()).expect("send echo");
    let start = std::time::Instant::now();
    let mut buf = [0u8; 1500];
    while start.elapsed() < timeout {
        let Ok(n) = socket::recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()) else {
            continue;
        };
        let icmp = if v6 {
            &buf[..n]
        } else {
            &buf[usize::from(buf[0] & 0x0f) * 4..n]
        };
        if icmp.len() >= 8 && icmp[0] == rep && icmp[4..6] == id.to_be_bytes() {
            return true;
        }
    }
    false
}
