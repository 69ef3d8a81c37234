//! The `sfbulk` command line (`sfbulk_cli::main`).

fn main() {
    one_malloc_arena();
    std::process::exit(sfbulk_cli::main());
}

/// One malloc arena for the whole process (glibc), unless `MALLOC_ARENA_MAX` says otherwise.
///
/// glibc gives each thread that allocates an arena of its own, and an arena keeps what it
/// once held: the runtime's worker threads (hyper's buffers, the gzip decoder's output,
/// wasi:http's body frames) left two arenas of 3.8 and 4.6 MB touched after a 10,000,000-row
/// 2.0 query, against about half that at 1,000,000 rows, so peak RSS grew with the size of
/// the job. With one arena, freed memory goes back to the shared heap and is reused
/// (BENCHMARKS.md, "The 2.0 query's memory"). The threads rarely allocate at the same time.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first in `main`, before any other thread exists; it only sets a
        // parameter of the allocator.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}
