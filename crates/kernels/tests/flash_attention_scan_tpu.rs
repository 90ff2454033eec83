//! FA2 in a scanned model: a `while` loop over layer-stacked q, k, v slices one layer per
//! step for the kernel. A custom call cannot read a slice in place, so XLA writes each
//! layer's q, k, v out first — the copy-trap lint calls that a `slice` and names
//! `allow_input_fusion` as the cure; with it set, XLA fuses the slices into the kernel and
//! the copies are gone. Compiled deviceless for v5e through libtpu.

use pallas_flash_codegen::{compile_program, lower, CompileSettings, TpuCustomCall};
use pallas_flash_hlo::lint::{lint, Cause, LintOptions, Report, Side};
use pallas_flash_hlo::HloModule;
use pallas_flash_kernels::flash_attention::{forward, BlockSizes, FlashAttentionConfig};
use pallas_flash_tiling::Target;

const LAYERS: usize = 4;

/// `main(stacked operands…)`: for each layer, slice its operands, run the kernel and sum
/// its first result across layers (so every layer's output is used).
fn scanned(call: &TpuCustomCall) -> String {
    let stacked = |i: usize| {
        let mut shape = vec![LAYERS];
        shape.extend(&call.operands[i].shape);
        pallas_flash_codegen::TensorType::new(shape, call.operands[i].dtype)
    };
    let n = call.operands.len();
    let out = &call.results[0];
    let params: Vec<String> = (0..n).map(|i| format!("%arg{i}: {}", stacked(i))).collect();
    let carried: Vec<String> = (0..n).map(|i| format!("%s{i} = %arg{i}")).collect();
    let carried_types: Vec<String> = (0..n).map(|i| stacked(i).to_string()).collect();
    let mut body = vec!["%z = stablehlo.constant dense<0> : tensor<i32>".to_string()];
    for i in 0..n {
        let ty = &call.operands[i];
        let zeros = vec!["%z"; ty.shape.len()].join(", ");
        let sizes: Vec<String> = std::iter::once(1)
            .chain(ty.shape.iter().copied())
            .map(|d| d.to_string())
            .collect();
        let one =
            pallas_flash_codegen::TensorType::new([vec![1], ty.shape.clone()].concat(), ty.dtype);
        let index_types = vec!["tensor<i32>"; ty.shape.len() + 1].join(", ");
        body.push(format!(
            "%d{i} = stablehlo.dynamic_slice %s{i}, %i, {zeros}, sizes = [{}] : ({}, {index_types}) -> {one}",
            sizes.join(", "),
            stacked(i)
        ));
        body.push(format!("%x{i} = stablehlo.reshape %d{i} : ({one}) -> {ty}"));
    }
    let operands: Vec<String> = (0..n).map(|i| format!("%x{i}")).collect();
    body.push(call.emit(&[format!("%k:{}", call.results.len())], &operands));
    body.push(format!("%sum = stablehlo.add %acc, %k#0 : {out}"));
    body.push("%one = stablehlo.constant dense<1> : tensor<i32>".into());
    body.push("%next = stablehlo.add %i, %one : tensor<i32>".into());
    let carried_names: Vec<String> = (0..n).map(|i| format!("%s{i}")).collect();
    body.push(format!(
        "stablehlo.return %next, %sum, {} : tensor<i32>, {out}, {}",
        carried_names.join(", "),
        carried_types.join(", ")
    ));
    format!(
        "module @scanned {{\n  func.func public @main({params}) -> {out} {{\n    %c0 = stablehlo.constant dense<0> : tensor<i32>\n    %zero = stablehlo.constant dense<0.0> : {out}\n    %w:{count} = stablehlo.while(%i = %c0, %acc = %zero, {carried}) : tensor<i32>, {out}, {carried_types}\n    cond {{\n      %n = stablehlo.constant dense<{LAYERS}> : tensor<i32>\n      %lt = stablehlo.compare LT, %i, %n, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>\n      stablehlo.return %lt : tensor<i1>\n    }} do {{\n      {body}\n    }}\n    return %w#1 : {out}\n  }}\n}}\n",
        params = params.join(", "),
        count = n + 2,
        carried = carried.join(", "),
        carried_types = carried_types.join(", "),
        body = body.join("\n      "),
    )
}

fn lint_compiled(call: &TpuCustomCall) -> Report {
    let (report, _) = compile_program(&scanned(call), &CompileSettings::new(Target::v5e()))
        .expect("the scanned program compiles for v5e");
    let text = report.optimized_hlo_text.expect("optimized HLO");
    lint(
        &HloModule::parse(&text).expect("parses"),
        &LintOptions::default(),
    )
}

#[test]
fn a_scanned_layer_slice_is_a_slice_finding_until_the_kernel_allows_input_fusion() {
    let cfg = FlashAttentionConfig::new(1, 4, 4, 512, 512, 128)
        .causal(true)
        .blocks(BlockSizes::new(256, 256));
    let kernel = forward(&cfg, &Target::v5e()).expect("forward kernel");
    let call = TpuCustomCall::new(&kernel, &lower(&kernel).expect("lowers")).expect("custom call");

    let sliced = lint_compiled(&call);
    println!("without allow_input_fusion:\n{sliced}");
    assert_eq!(sliced.kernels.len(), 1, "{sliced}");
    let feeds: Vec<_> = sliced
        .findings()
        .filter(|(_, f)| f.side == Side::Feed)
        .map(|(_, f)| f)
        .collect();
    assert_eq!(
        feeds.iter().map(|f| f.operand).collect::<Vec<_>>(),
        [Some(0), Some(1), Some(2)],
        "{sliced}"
    );
    for f in &feeds {
        assert_eq!(f.cause, Cause::Slice, "{f:?}");
        assert!(f.cure.contains("allow_input_fusion"), "{}", f.cure);
    }

    let fused = lint_compiled(
        &call
            .with_allow_input_fusion(vec![true; 3])
            .expect("one per operand"),
    );
    println!("with allow_input_fusion:\n{fused}");
    assert_eq!(
        fused.kernels.len(),
        1,
        "the kernel is still found inside its fusion: {fused}"
    );
    assert!(fused.is_clean(), "{fused}");
}
