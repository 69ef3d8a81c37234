#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sfbulk_fuzz::parse_v2(data));
