//! The isolated compile worker (see `pallas_flash_runtime::IsolatedCompiler`).

fn main() {
    std::process::exit(pallas_flash_runtime::worker::serve());
}
