/work/wt/luci/target-base/release/deps/argh-87e45d29605be2d6.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh-0.1.19/src/lib.rs

/work/wt/luci/target-base/release/deps/libargh-87e45d29605be2d6.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh-0.1.19/src/lib.rs

/work/wt/luci/target-base/release/deps/libargh-87e45d29605be2d6.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh-0.1.19/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh-0.1.19/src/lib.rs:
