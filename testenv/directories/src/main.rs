//! Command-line front end for scripts and the demo.
fn main() {}
