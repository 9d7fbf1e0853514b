/work/wt/luci/target-base/release/deps/logjail-73a5ee6e513d41db.d: src/main.rs

/work/wt/luci/target-base/release/deps/logjail-73a5ee6e513d41db: src/main.rs

src/main.rs:

# env-dep:CARGO_PKG_VERSION=0.1.0
