//! Every finding on the corpus has the cause written in `data/labels.txt`, and nothing
//! else is found: a wrong cause, a missed move and a false alarm all fail here.

mod common;

use pallas_flash_hlo::lint::{lint, Cause, LintOptions, Side};
use std::collections::BTreeSet;

/// `case kernel side cause instruction` lines, as the labels file writes them.
fn found() -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for (case, text) in common::corpus() {
        let module = pallas_flash_hlo::HloModule::parse(&text).unwrap();
        for kernel in lint(&module, &LintOptions::default()).kernels {
            for f in &kernel.findings {
                let side = match (f.side, f.operand) {
                    (Side::Feed, Some(i)) => format!("feed:{i}"),
                    _ => f.side.to_string(),
                };
                lines.insert(format!(
                    "{case} {} {side} {} %{}",
                    kernel.kernel, f.cause, f.instruction
                ));
            }
        }
    }
    lines
}

fn labels() -> BTreeSet<String> {
    std::fs::read_to_string(common::data_dir().join("labels.txt"))
        .expect("labels.txt exists")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn every_finding_on_the_corpus_has_its_labelled_cause() {
    let (found, labels) = (found(), labels());
    let missed: Vec<_> = labels.difference(&found).collect();
    let unexpected: Vec<_> = found.difference(&labels).collect();
    assert!(
        missed.is_empty() && unexpected.is_empty(),
        "labelled but not found:\n{}\nfound but not labelled:\n{}",
        missed
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

#[test]
fn the_labels_cover_every_cause_and_the_new_real_programs() {
    let labels = labels();
    for cause in Cause::ALL {
        assert!(
            labels
                .iter()
                .any(|l| l.split(' ').nth(3) == Some(cause.name())),
            "no {cause} in labels.txt"
        );
    }
    for case in [
        "tpu_train_d64_swapaxes",
        "tpu_int8_decode_scan",
        "tpu_paged_decode_gather_outside",
    ] {
        assert!(labels.iter().any(|l| l.starts_with(case)), "{case}");
    }
}

#[test]
fn a_scanned_backward_kernel_reads_sliced_residuals_not_relayouts() {
    let r = lint(
        &common::module("tpu_train_d128_swapaxes"),
        &LintOptions::default(),
    );
    let dq = r
        .kernels
        .iter()
        .find(|k| k.kernel.starts_with("flash_mha_bwd_dq"))
        .unwrap();
    let feeds: Vec<_> = dq
        .findings
        .iter()
        .filter(|f| f.side == Side::Feed)
        .collect();
    assert_eq!(feeds.len(), 3);
    for f in feeds {
        assert_eq!(f.cause, Cause::Slice, "{f:?}");
        assert!(f.instruction.starts_with("dynamic-slice_bitcast_fusion"));
        assert!(f.cure.contains("allow_input_fusion"), "{}", f.cure);
        assert_eq!(f.from, "bf16[4,1,2,512,128]{4,3,2,1,0:T(8,128)(2,1)S(1)}");
    }
}

#[test]
fn allowing_input_fusion_removes_the_slices() {
    for case in ["tpu_int8_decode_scan", "tpu_paged_decode_scan"] {
        let sliced = lint(&common::module(case), &LintOptions::default());
        assert!(
            sliced.findings().any(|(_, f)| f.cause == Cause::Slice),
            "{case}"
        );
        let fused = lint(
            &common::module(&format!("{case}_input_fusion")),
            &LintOptions::default(),
        );
        assert_eq!(
            fused.kernels.len(),
            1,
            "{case}: the kernel inside its fusion is still checked"
        );
        assert!(fused.is_clean(), "{case}_input_fusion: {fused}");
    }
}
