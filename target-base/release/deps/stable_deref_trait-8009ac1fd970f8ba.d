/work/wt/luci/target-base/release/deps/stable_deref_trait-8009ac1fd970f8ba.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/stable_deref_trait-1.2.1/src/lib.rs

/work/wt/luci/target-base/release/deps/libstable_deref_trait-8009ac1fd970f8ba.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/stable_deref_trait-1.2.1/src/lib.rs

/work/wt/luci/target-base/release/deps/libstable_deref_trait-8009ac1fd970f8ba.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/stable_deref_trait-1.2.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/stable_deref_trait-1.2.1/src/lib.rs:
