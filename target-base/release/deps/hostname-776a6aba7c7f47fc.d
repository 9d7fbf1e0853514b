/work/wt/luci/target-base/release/deps/hostname-776a6aba7c7f47fc.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/hostname-0.4.2/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/hostname-0.4.2/src/nix.rs

/work/wt/luci/target-base/release/deps/libhostname-776a6aba7c7f47fc.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/hostname-0.4.2/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/hostname-0.4.2/src/nix.rs

/work/wt/luci/target-base/release/deps/libhostname-776a6aba7c7f47fc.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/hostname-0.4.2/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/hostname-0.4.2/src/nix.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/hostname-0.4.2/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/hostname-0.4.2/src/nix.rs:
