//! The FlashAttention-2 forward kernel (online softmax over KV blocks) against the
//! naive f64 reference.

mod common;

use common::{data, kernels, max_relative_error};
use half::bf16;
use ndarray::Ix3;
use pallas_flash_interpret::reference::{attention, AttentionMask};
use pallas_flash_interpret::{HostArray, Interpreter};
use pallas_flash_ir::DType;

#[test]
fn flash_attention_forward_matches_the_reference() {
    let (heads, n, d) = (2, 64, 32);
    let [q, k, v] = [1, 2, 3].map(|seed| {
        data(&[heads, n, d], seed)
            .into_dimensionality::<Ix3>()
            .unwrap()
    });
    let expected = attention(
        q.mapv(f64::from).view(),
        k.mapv(f64::from).view(),
        v.mapv(f64::from).view(),
        &AttentionMask::new(d),
    );

    let f32_kernel =
        Interpreter::new(&kernels::flash_attention(heads, n, d, (16, 16), DType::F32)).unwrap();
    let out = f32_kernel
        .run(&[q.clone().into(), k.clone().into(), v.clone().into()])
        .unwrap();
    assert!(max_relative_error(&out[0], &expected.out.clone().into_dyn()) < 1e-5);

    // bf16 inputs, probabilities and output: bf16 rounding (2^-8) bounds the error.
    let bf16_kernel = Interpreter::new(&kernels::flash_attention(
        heads,
        n,
        d,
        (32, 16),
        DType::Bf16,
    ))
    .unwrap();
    let args: Vec<HostArray> = [q, k, v].map(|a| a.mapv(bf16::from_f32).into()).into();
    let out = bf16_kernel.run(&args).unwrap();
    assert!(max_relative_error(&out[0], &expected.out.into_dyn()) < 2e-2);
}
