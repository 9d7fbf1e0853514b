/work/wt/luci/target-base/release/deps/num_threads-6e563c66e9886efa.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num_threads-0.1.8/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num_threads-0.1.8/src/linux.rs

/work/wt/luci/target-base/release/deps/libnum_threads-6e563c66e9886efa.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num_threads-0.1.8/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num_threads-0.1.8/src/linux.rs

/work/wt/luci/target-base/release/deps/libnum_threads-6e563c66e9886efa.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num_threads-0.1.8/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num_threads-0.1.8/src/linux.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num_threads-0.1.8/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/num_threads-0.1.8/src/linux.rs:
