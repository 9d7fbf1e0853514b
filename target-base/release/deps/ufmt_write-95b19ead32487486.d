/work/wt/luci/target-base/release/deps/ufmt_write-95b19ead32487486.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ufmt-write-0.1.0/src/lib.rs

/work/wt/luci/target-base/release/deps/libufmt_write-95b19ead32487486.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ufmt-write-0.1.0/src/lib.rs

/work/wt/luci/target-base/release/deps/libufmt_write-95b19ead32487486.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ufmt-write-0.1.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ufmt-write-0.1.0/src/lib.rs:
