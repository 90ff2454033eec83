//! Any bytes: parsing, linting, rendering and golden facts must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pallas_flash_hlo::golden::facts;
use pallas_flash_hlo::lint::{lint, LintOptions};
use pallas_flash_hlo::HloModule;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(module) = HloModule::parse(&text) {
        let options = LintOptions { target: None };
        let _ = lint(&module, &options).to_string();
        let _ = facts(&module, &options);
        for (_, inst) in module.instructions() {
            let _ = (inst.backend_config(), inst.called_computations(), inst.shape.bytes());
        }
    }
});
