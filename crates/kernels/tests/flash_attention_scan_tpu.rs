//! FA2 in a scanned model: a `while` loop over layer-stacked q, k, v slices one layer per
//! step for the kernel. A custom call cannot read a slice in place, so XLA writes each
//! layer's q, k, v out first — the copy-trap lint calls that a `slice` and names
//! `allow_input_fusion` as the cure; with it set, XLA fuses the slices into the kernel and
//! the copies are gone. Compiled deviceless for v5e through libtpu.

use pallas_flash_codegen::stablehlo::{while_loop, Body, Main, Module};
use pallas_flash_codegen::{
    compile_program, lower, CompileSettings, Tensor, TensorType, TpuCustomCall,
};
use pallas_flash_hlo::lint::{lint, Cause, LintOptions, Report, Side};
use pallas_flash_hlo::HloModule;
use pallas_flash_ir::DType;
use pallas_flash_kernels::flash_attention::{forward, BlockSizes, FlashAttentionConfig};
use pallas_flash_tiling::Target;

const LAYERS: usize = 4;

/// `main(stacked operands…)`: for each layer, slice its operands, run the kernel and sum
/// its first result across layers (so every layer's output is used).
fn scanned(call: &TpuCustomCall) -> String {
    let stacked = |ty: &TensorType| TensorType::new([&[LAYERS], &ty.shape[..]].concat(), ty.dtype);
    let mut main = Main::new();
    let arrays: Vec<Tensor> = (call.operands.iter())
        .map(|ty| main.parameter(stacked(ty)))
        .collect();
    let out = call.results[0].clone();
    let mut body = Body::new();
    let mut inits = vec![body.i32(0), body.constant(out.clone(), "0.0")];
    inits.extend(arrays);
    let results = while_loop(
        &mut body,
        &inits,
        |b, p| {
            let layers = b.i32(LAYERS as i64);
            b.compare("LT", &p[0], &layers)
        },
        |b, p| {
            let (layer, acc, arrays) = (&p[0], &p[1], &p[2..]);
            let zero = b.i32(0);
            let operands: Vec<Tensor> = (arrays.iter().zip(&call.operands))
                .map(|(array, ty)| {
                    let starts = [vec![layer.clone()], vec![zero.clone(); ty.rank()]].concat();
                    let slice = b.dynamic_slice(array, &starts, &[&[1], &ty.shape[..]].concat());
                    b.reshape(&slice, &ty.shape)
                })
                .collect();
            let k = b.custom_call(&call.custom_call(), &operands.iter().collect::<Vec<_>>());
            let sum = b.elementwise("add", &[acc.clone(), k[0].clone()], out.dtype);
            let one = b.i32(1);
            let next = b.elementwise("add", &[layer.clone(), one], DType::I32);
            [vec![next, sum], arrays.to_vec()].concat()
        },
    );
    Module::new("scanned").print(&main.print(&body, &[(&results[1], None)]))
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
