/work/wt/luci/target-base/release/deps/syslog-9493e17185e802f8.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/errors.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/facility.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/format.rs

/work/wt/luci/target-base/release/deps/libsyslog-9493e17185e802f8.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/errors.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/facility.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/format.rs

/work/wt/luci/target-base/release/deps/libsyslog-9493e17185e802f8.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/errors.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/facility.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/format.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/errors.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/facility.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/syslog-7.0.0/src/format.rs:
