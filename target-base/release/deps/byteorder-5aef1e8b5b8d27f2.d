/work/wt/luci/target-base/release/deps/byteorder-5aef1e8b5b8d27f2.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/byteorder-1.5.0/src/lib.rs

/work/wt/luci/target-base/release/deps/libbyteorder-5aef1e8b5b8d27f2.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/byteorder-1.5.0/src/lib.rs

/work/wt/luci/target-base/release/deps/libbyteorder-5aef1e8b5b8d27f2.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/byteorder-1.5.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/byteorder-1.5.0/src/lib.rs:
