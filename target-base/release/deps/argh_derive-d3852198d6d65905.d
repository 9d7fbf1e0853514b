/work/wt/luci/target-base/release/deps/argh_derive-d3852198d6d65905.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/args_info.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/errors.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/help.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/parse_attrs.rs

/work/wt/luci/target-base/release/deps/libargh_derive-d3852198d6d65905.so: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/args_info.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/errors.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/help.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/parse_attrs.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/args_info.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/errors.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/help.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/argh_derive-0.1.19/src/parse_attrs.rs:
