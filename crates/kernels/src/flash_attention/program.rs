//! The backward pass as one StableHLO program: the dQ kernel (which also emits `delta`)
//! feeding the dK/dV kernel, the way a training step calls them.
//!
//! One program rather than two lets XLA see `delta` pass from kernel to kernel in its
//! row-major layout, so the copy-trap lint judges the real dataflow, and one compile
//! gives the static estimate of the whole backward.

use pallas_flash_codegen::{chain_program, lower, CodegenError, TpuCustomCall};

use super::backward::BackwardKernels;

/// `main(q, k, v, o, do, lse[, q_segment_ids, kv_segment_ids]) -> (dq, dk, dv)` for
/// [`super::backward`]'s kernels, chained by operand name: dQ takes `q, k, v, o, do, lse`
/// and returns `dq, delta`; dK/dV takes `q, k, v, do, lse` from the parameters and `delta`
/// from dQ, and returns `dk, dv`; segment ids, when present, come last in both.
pub fn backward_program(kernels: &BackwardKernels) -> Result<String, CodegenError> {
    let call = |kernel| TpuCustomCall::new(kernel, &lower(kernel)?);
    let (dq, dkv) = (call(&kernels.dq)?, call(&kernels.dkv)?);
    chain_program(&[(&kernels.dq, &dq), (&kernels.dkv, &dkv)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flash_attention::{backward, FlashAttentionConfig};
    use pallas_flash_tiling::Target;

    fn program(cfg: &FlashAttentionConfig) -> String {
        backward_program(&backward(cfg, &Target::v5e()).unwrap()).unwrap()
    }

    #[test]
    fn delta_flows_from_the_dq_kernel_into_the_dkv_kernel() {
        let text = program(&FlashAttentionConfig::new(1, 4, 2, 256, 256, 128).causal(true));
        assert_eq!(text.matches("@tpu_custom_call").count(), 2, "{text}");
        assert!(
            text.contains("%0:2 = stablehlo.custom_call"),
            "dq returns dq and delta: {text}"
        );
        // dK/dV reads q, k, v, do, lse from the parameters and delta from the dQ call.
        assert!(
            text.contains("(%arg0, %arg1, %arg2, %arg4, %arg5, %0#1)"),
            "{text}"
        );
        assert!(text.contains("return %0#0, %1#0, %1#1"), "{text}");
    }

    #[test]
    fn segment_ids_reach_both_kernels() {
        let text = program(&FlashAttentionConfig::new(1, 2, 2, 256, 256, 128).segment_ids(true));
        assert!(
            text.contains("(%arg0, %arg1, %arg2, %arg4, %arg5, %0#1, %arg6, %arg7)"),
            "{text}"
        );
    }
}
