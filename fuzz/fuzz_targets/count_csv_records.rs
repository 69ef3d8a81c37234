#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sfbulk_fuzz::count_csv_records(data));
