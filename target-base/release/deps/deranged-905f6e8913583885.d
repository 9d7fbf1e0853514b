/work/wt/luci/target-base/release/deps/deranged-905f6e8913583885.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/deranged-0.5.9/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/deranged-0.5.9/src/unsafe_wrapper.rs

/work/wt/luci/target-base/release/deps/libderanged-905f6e8913583885.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/deranged-0.5.9/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/deranged-0.5.9/src/unsafe_wrapper.rs

/work/wt/luci/target-base/release/deps/libderanged-905f6e8913583885.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/deranged-0.5.9/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/deranged-0.5.9/src/unsafe_wrapper.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/deranged-0.5.9/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/deranged-0.5.9/src/unsafe_wrapper.rs:
