//! The `sfbulk` command line.

fn main() {
    std::process::exit(host_test::cli::main());
}
