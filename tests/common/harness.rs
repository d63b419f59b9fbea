//! Shared setup of the reliability, security and hostile-input suites: a small company in a
//! real directory and a simulated Jira Align site, the checks every fault test ends with,
//! and the stand-in servers (a cutting proxy, a scripted LDAP server, a scripted HTTP
//! server) that misbehave on demand.
#![allow(dead_code)]

pub mod checks;
pub mod cli;
pub mod company;
pub mod fake_jira;
pub mod fake_ldap;
pub mod fuzz_targets;
pub mod leaks;
pub mod loopback;
pub mod proxy;
pub mod world;
