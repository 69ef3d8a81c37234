#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sfbulk_fuzz::limits_real(data));
