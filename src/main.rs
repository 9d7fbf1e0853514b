fn main() {
    println!("logjail {}", env!("CARGO_PKG_VERSION"));
}
