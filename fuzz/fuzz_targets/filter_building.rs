//! Building LDAP equality filters and OData literals from arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| alignsync_fuzz::targets::filter_building(data));
