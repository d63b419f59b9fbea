//! Reading a group whose member entries hold arbitrary DNs and values.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| alignsync_fuzz::targets::directory_entry(data));
