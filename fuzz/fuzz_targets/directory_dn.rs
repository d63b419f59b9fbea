//! Canonical forms of arbitrary directory DNs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| alignsync_fuzz::targets::directory_dn(data));
