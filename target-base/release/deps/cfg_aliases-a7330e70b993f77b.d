/work/wt/luci/target-base/release/deps/cfg_aliases-a7330e70b993f77b.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg_aliases-0.2.2/src/lib.rs

/work/wt/luci/target-base/release/deps/libcfg_aliases-a7330e70b993f77b.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg_aliases-0.2.2/src/lib.rs

/work/wt/luci/target-base/release/deps/libcfg_aliases-a7330e70b993f77b.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg_aliases-0.2.2/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg_aliases-0.2.2/src/lib.rs:
