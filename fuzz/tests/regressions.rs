//! Replays every saved input under `fuzz/regressions/<target>/` through its target, so a
//! crash found once stays fixed: `cargo test` in `fuzz/` (stable is enough).

use std::fs;
use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return 0;
    };
    let mut count = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_file() {
            println!("{target}: {}", path.display());
            run(&fs::read(&path).unwrap());
            count += 1;
        }
    }
    count
}

type Target = (&'static str, fn(&[u8]));

#[test]
fn saved_inputs_do_not_crash() {
    let targets: [Target; 14] = [
        ("parse_job_info", sfbulk_fuzz::parse_job_info),
        ("parse_batch_info", sfbulk_fuzz::parse_batch_info),
        ("parse_batch_list", sfbulk_fuzz::parse_batch_list),
        ("parse_error", sfbulk_fuzz::parse_error),
        ("parse_batch_results", sfbulk_fuzz::parse_batch_results),
        ("count_csv_records", sfbulk_fuzz::count_csv_records),
        ("check_attachment_zip", sfbulk_fuzz::check_attachment_zip),
        ("split", sfbulk_fuzz::split),
        ("join", sfbulk_fuzz::join),
        ("gunzip", sfbulk_fuzz::gunzip),
        ("join_v2", sfbulk_fuzz::join_v2),
        ("parse_v2", sfbulk_fuzz::parse_v2),
        ("limits", sfbulk_fuzz::limits),
        ("limits_real", sfbulk_fuzz::limits_real),
    ];
    let replayed: usize = targets.iter().map(|&(t, run)| replay(t, run)).sum();
    println!("{replayed} saved inputs replayed");
}
