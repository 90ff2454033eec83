//! The backward pass as one StableHLO program: the dQ kernel (which also emits `delta`)
//! feeding the dK/dV kernel, the way a training step calls them.
//!
//! One program rather than two lets XLA see `delta` pass from kernel to kernel in its
//! row-major layout, so the copy-trap lint judges the real dataflow, and one compile
//! gives the static estimate of the whole backward.

use pallas_flash_codegen::{CodegenError, Program, Tensor, TpuCustomCall};

/// `main(q, k, v, o, do, lse[, q_segment_ids, kv_segment_ids]) -> (dq, dk, dv)` for the
/// custom calls of [`super::backward`]'s `dq` and `dkv` kernels (same configuration).
///
/// Operand order follows the kernels: dQ takes `q, k, v, o, do, lse` and returns
/// `dq, delta`; dK/dV takes `q, k, v, do, lse, delta` and returns `dk, dv`; segment ids,
/// when present, come last in both.
pub fn backward_program(dq: &TpuCustomCall, dkv: &TpuCustomCall) -> Result<String, CodegenError> {
    const DQ_INPUTS: usize = 6;
    let segments = dq
        .operands
        .len()
        .checked_sub(DQ_INPUTS)
        .filter(|s| *s == 0 || *s == 2);
    let Some(segments) = segments else {
        return Err(CodegenError::Program(format!(
            "`{}` takes {} operands; the dQ kernel takes q, k, v, o, do, lse and optionally two segment-id arrays",
            dq.kernel_name,
            dq.operands.len()
        )));
    };
    let mut program = Program::new();
    let inputs: Vec<Tensor> = dq
        .operands
        .iter()
        .map(|ty| program.parameter(ty.clone()))
        .collect();
    let dq_results = program.call(dq, &inputs.iter().collect::<Vec<_>>())?;
    let [dq_out, delta] = dq_results.as_slice() else {
        return Err(CodegenError::Program(format!(
            "`{}` returns {} results, not dq and delta",
            dq.kernel_name,
            dq_results.len()
        )));
    };
    let [q, k, v, _o, d_out, lse] = [0, 1, 2, 3, 4, 5].map(|i| &inputs[i]);
    let mut dkv_operands = vec![q, k, v, d_out, lse, delta];
    dkv_operands.extend(&inputs[DQ_INPUTS..DQ_INPUTS + segments]);
    let grads = program.call(dkv, &dkv_operands)?;
    let mut results = vec![dq_out];
    results.extend(&grads);
    Ok(program.finish(&results))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flash_attention::{backward, FlashAttentionConfig};
    use pallas_flash_codegen::lower;

    fn calls(cfg: &FlashAttentionConfig) -> (TpuCustomCall, TpuCustomCall) {
        let kernels = backward(cfg).unwrap();
        let call = |kernel| TpuCustomCall::new(kernel, &lower(kernel).unwrap()).unwrap();
        (call(&kernels.dq), call(&kernels.dkv))
    }

    #[test]
    fn delta_flows_from_the_dq_kernel_into_the_dkv_kernel() {
        let (dq, dkv) = calls(&FlashAttentionConfig::new(1, 4, 2, 256, 256, 128).causal(true));
        let text = backward_program(&dq, &dkv).unwrap();
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
        let (dq, dkv) = calls(&FlashAttentionConfig::new(1, 2, 2, 256, 256, 128).segment_ids(true));
        let text = backward_program(&dq, &dkv).unwrap();
        assert!(
            text.contains("(%arg0, %arg1, %arg2, %arg4, %arg5, %0#1, %arg6, %arg7)"),
            "{text}"
        );
    }

    #[test]
    fn kernels_in_the_wrong_roles_are_refused() {
        let (dq, dkv) = calls(&FlashAttentionConfig::new(1, 2, 2, 256, 256, 128));
        let err = backward_program(&dkv, &dq).unwrap_err().to_string();
        assert!(err.contains("delta") || err.contains("takes"), "{err}");
    }
}
