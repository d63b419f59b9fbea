//! Shared harness of the end-to-end tests: the local control plane with the chart installed,
//! the operator as a child process, and the test data each test builds on.
//!
//! Every test binary compiles this module and uses only part of it.
#![allow(dead_code)]

pub mod cluster;
pub mod fixture;
pub mod operator;
pub mod scenario;
