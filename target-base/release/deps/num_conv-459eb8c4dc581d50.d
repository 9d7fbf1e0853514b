/work/wt/luci/target-base/release/deps/num_conv-459eb8c4dc581d50.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num-conv-0.2.2/src/lib.rs

/work/wt/luci/target-base/release/deps/libnum_conv-459eb8c4dc581d50.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num-conv-0.2.2/src/lib.rs

/work/wt/luci/target-base/release/deps/libnum_conv-459eb8c4dc581d50.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num-conv-0.2.2/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num-conv-0.2.2/src/lib.rs:
