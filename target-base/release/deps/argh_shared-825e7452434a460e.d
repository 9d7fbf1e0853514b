/work/wt/luci/target-base/release/deps/argh_shared-825e7452434a460e.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_shared-0.1.19/src/lib.rs

/work/wt/luci/target-base/release/deps/libargh_shared-825e7452434a460e.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_shared-0.1.19/src/lib.rs

/work/wt/luci/target-base/release/deps/libargh_shared-825e7452434a460e.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_shared-0.1.19/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_shared-0.1.19/src/lib.rs:
