/work/wt/luci/target-base/release/deps/ufmt_macros-e39d8e4a255a50bb.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ufmt-macros-0.3.0/src/lib.rs

/work/wt/luci/target-base/release/deps/libufmt_macros-e39d8e4a255a50bb.so: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ufmt-macros-0.3.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ufmt-macros-0.3.0/src/lib.rs:
