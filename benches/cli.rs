//! Placeholder until the command benchmarks land.
fn main() {}
