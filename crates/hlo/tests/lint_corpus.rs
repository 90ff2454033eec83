//! The copy-trap lint on real libtpu dumps: it flags exactly the layouts that cost copies.

mod common;

use pallas_flash_hlo::lint::{lint, Cause, FindingKind, LintOptions, Report, Side};
use pallas_flash_hlo::HloModule;

fn report(case: &str) -> Report {
    lint(&common::module(case), &LintOptions::default())
}

/// `(side, operand, kind)` of every finding of the single kernel in `case`.
fn findings(case: &str) -> Vec<(Side, Option<usize>, FindingKind)> {
    let r = report(case);
    assert_eq!(r.kernels.len(), 1, "{case}");
    r.kernels[0]
        .findings
        .iter()
        .map(|f| (f.side, f.operand, f.kind))
        .collect()
}

#[test]
fn flash_attention_is_flagged_exactly_at_misaligned_head_dims() {
    use {FindingKind::Copy, Side::*};
    let relayout_all = vec![
        (Feed, Some(0), Copy),
        (Feed, Some(1), Copy),
        (Feed, Some(2), Copy),
        (Drain, None, Copy),
    ];
    for d in [64, 96] {
        assert_eq!(
            findings(&format!("tpu_flash_attention_d{d}")),
            relayout_all,
            "d={d}"
        );
    }
    for d in [128, 256] {
        assert!(
            report(&format!("tpu_flash_attention_d{d}")).is_clean(),
            "d={d}"
        );
    }
}

#[test]
fn prefetch_pairs_in_the_d96_dump_are_not_reported() {
    // d96 has copy x4, copy-start x2, copy-done x2 (docs/design.md §6); the async pairs only move
    // k and v to VMEM with the same layout, so only the four plain copies are traps.
    let r = report("tpu_flash_attention_d96");
    let kernel = &r.kernels[0];
    assert!(kernel
        .findings
        .iter()
        .all(|f| f.instruction.starts_with("copy") && !f.instruction.contains('-')));
    assert_eq!(
        kernel.findings[0].from,
        "bf16[1,2,512,96]{2,3,1,0:T(8,128)(2,1)}"
    );
    assert_eq!(
        kernel.findings[0].to,
        "bf16[1,2,512,96]{3,2,1,0:T(8,128)(2,1)S(1)}"
    );
    assert_eq!(kernel.bytes_moved(), 4 * 2 * 512 * 96 * 2);
}

#[test]
fn clean_kernels_pass() {
    assert!(report("tpu_kernel_clean").is_clean());
}

#[test]
fn a_dtype_change_written_before_a_kernel_is_a_convert() {
    let r = report("tpu_kernel_convert_feed");
    let f = &r.kernels[0].findings[0];
    assert_eq!(
        (f.side, f.operand, f.kind, f.cause),
        (Side::Feed, Some(0), FindingKind::Convert, Cause::Convert)
    );
    assert!(f.cure.contains("convert inside the kernel"), "{}", f.cure);
}

#[test]
fn user_relayouts_next_to_a_kernel_are_found() {
    use {FindingKind::*, Side::*};
    assert_eq!(
        findings("tpu_kernel_transpose_feed"),
        [(Feed, Some(0), Copy)]
    );
    assert_eq!(
        findings("tpu_kernel_elementwise_transpose_feed"),
        [(Feed, Some(0), Copy)]
    );
    assert_eq!(
        findings("tpu_kernel_transpose_drain"),
        [(Drain, None, Copy)]
    );
    assert_eq!(findings("tpu_kernel_slice_feed"), [(Feed, Some(0), Slice)]);
    assert_eq!(
        findings("tpu_kernel_pad_feed"),
        [(Feed, Some(0), Copy), (Feed, Some(0), Pad)]
    );
}

#[test]
fn a_copy_between_two_kernels_drains_one_and_feeds_the_other() {
    let r = report("tpu_two_kernels_transpose_between");
    let kinds: Vec<_> = r
        .kernels
        .iter()
        .map(|k| {
            k.findings
                .iter()
                .map(|f| (f.side, f.kind))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            vec![(Side::Drain, FindingKind::Copy)],
            vec![(Side::Feed, FindingKind::Copy)]
        ]
    );
}

#[test]
fn modules_without_kernels_report_nothing() {
    for case in [
        "tpu_matmul_tanh",
        "cpu_attention",
        "cpu_matmul_tanh",
        "cpu_transpose_slice",
        "cpu_fori_loop",
    ] {
        let r = lint(&common::module(case), &LintOptions { target: None });
        assert!(r.kernels.is_empty(), "{case}");
    }
}

#[test]
fn an_async_prefetch_straight_into_a_kernel_is_not_a_trap() {
    // d128 rewritten so that q reaches the kernel through a VMEM prefetch with the same
    // layout, as XLA's memory-space assignment does for small operands.
    let text = std::fs::read_to_string(
        common::data_dir().join("tpu_flash_attention_d128.after_optimizations.txt"),
    )
    .unwrap();
    let layout = "bf16[1,2,512,128]{3,2,1,0:T(8,128)(2,1)}";
    let vmem = "bf16[1,2,512,128]{3,2,1,0:T(8,128)(2,1)S(1)}";
    let prefetch = format!(
        "  %cs = ({vmem}, {layout}, u32[]{{:S(2)}}) copy-start(%q.1)\n  %cd = {vmem} copy-done(%cs)\n  ROOT %flash_attention.1"
    );
    let text = text
        .replacen("  ROOT %flash_attention.1", &prefetch, 1)
        .replacen("custom-call(%q.1", "custom-call(%cd", 1);
    let r = lint(&HloModule::parse(&text).unwrap(), &LintOptions::default());
    assert!(r.is_clean(), "{r}");
    let relayout = text.replacen(
        &format!("%cd = {vmem}"),
        "%cd = bf16[1,2,512,128]{2,3,1,0:T(8,128)(2,1)S(1)}",
        1,
    );
    let r = lint(
        &HloModule::parse(&relayout).unwrap(),
        &LintOptions::default(),
    );
    assert_eq!(r.kernels[0].findings[0].kind, FindingKind::AsyncCopy);
}

#[test]
fn reports_serialize_to_json_and_back() {
    let r = report("tpu_flash_attention_d96");
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains(r#""kind":"copy""#) && json.contains(r#""side":"drain""#));
    assert!(json.contains(r#""cause":"relayout""#) && json.contains(r#""cure":"produce"#));
    assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), r);
}
