//! Decoding arbitrary Jira Align answers to a listing, a read, a create and a patch.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| alignsync_fuzz::targets::jira_align_answer(data));
