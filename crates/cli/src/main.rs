//! The `pallas-flash` command over the project's kernel catalog.

use pallas_flash::cli::{main_with, Catalog};

fn main() -> std::process::ExitCode {
    main_with(Catalog::builtin())
}
