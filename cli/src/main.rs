//! The `sfbulk` command line.

fn main() {
    std::process::exit(sfbulk_cli::main());
}
