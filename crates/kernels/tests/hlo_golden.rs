//! Golden optimized-HLO facts of every shipped kernel family, pinned to libtpu 0.0.52:
//! one small configuration each, compiled deviceless for v5e. A golden diff means XLA now
//! builds a different program around the kernel (new copies, other layouts, other bytes);
//! review it, then re-bless with `UPDATE_GOLDEN=1 cargo test -p pallas-flash-kernels --test hlo_golden`.
//!
//! Builds the `pallas-flash-worker` binary first if it is missing.

use pallas_flash_codegen::{compile_for_tpu, CompileSettings};
use pallas_flash_hlo::golden::{facts, Golden, GOLDEN_DIR};
use pallas_flash_hlo::lint::{lint, LintOptions};
use pallas_flash_hlo::HloModule;
use pallas_flash_tiling::Target;

mod shipped;

use shipped::shipped;

/// One v5e chip, with the compile worker built if it is missing.
fn v5e() -> CompileSettings {
    pallas_flash_test_support::worker::ensure_worker();
    CompileSettings::new(Target::v5e())
}

#[test]
fn optimized_hlo_around_each_shipped_kernel_matches_its_golden_facts() {
    let golden = Golden::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(GOLDEN_DIR),
    );
    let mut failures = Vec::new();
    for (case, kernel) in shipped() {
        let compiled = compile_for_tpu(&kernel, &v5e())
            .unwrap_or_else(|e| panic!("{case} did not compile: {e}"));
        let text = compiled
            .report
            .optimized_hlo_text
            .expect("optimized HLO is captured");
        let module = HloModule::parse(&text)
            .unwrap_or_else(|e| panic!("{case}: optimized HLO did not parse: {e}"));
        let report = lint(&module, &LintOptions::default());
        assert_eq!(
            report.kernels.len(),
            1,
            "{case}: expected one kernel:\n{report}"
        );
        assert!(
            report.kernels[0].findings.is_empty(),
            "{case}: copy trap around a shipped kernel:\n{report}"
        );
        if let Err(e) = golden.check(case, &facts(&module, &LintOptions::default())) {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
