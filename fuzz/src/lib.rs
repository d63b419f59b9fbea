//! The fuzz targets' bodies and the scripted servers they need, taken from the test suite's
//! shared code so that a fuzz run and `cargo test` check the same properties.

#[path = "../../tests/common/fake_jira.rs"]
pub mod fake_jira;
#[path = "../../tests/common/fake_ldap.rs"]
pub mod fake_ldap;
#[path = "../../tests/common/fuzz_targets.rs"]
pub mod targets;
#[path = "../../tests/common/loopback.rs"]
pub mod loopback;
