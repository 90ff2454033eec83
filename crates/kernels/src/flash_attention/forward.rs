//! The forward kernel: online softmax over streamed K/V blocks with f32 statistics.

use pallas_flash_ir::{DType, Kernel, KernelBuilder};

use super::config::{FlashAttentionConfig, LANES};
use super::error::FlashAttentionError;
use super::layout::{convert, finish, lanes_wide};
use super::q_major::QMajor;

/// The running max starts here instead of `-inf`: masked scores are `-inf`, so
/// `exp(score - max)` is exactly 0 for them and `exp(old_max - new_max)` is never
/// `exp(-inf + inf)`, even for a row that has seen no key yet.
pub(crate) const MAX_FLOOR: f64 = -1e30;

/// Builds the forward kernel.
///
/// Inputs: `q` `[B, H_q, N_q, D]`, `k`, `v` `[B, H_kv, N_kv, D]` (the config's dtype), then
/// `q_segment_ids` `[B, 1, N_q]` and `kv_segment_ids` `[B, 1, N_kv]` (`i32`) when
/// `segment_ids` is set. Outputs: `o` `[B, H_q, N_q, D]` (dtype) and `lse`
/// `[B, H_q, N_q, 128]` f32, the natural-log logsumexp of each row's scaled, masked scores
/// replicated over the 128 lanes (`-inf` for a row that sees no key; its output is 0).
pub fn forward(cfg: &FlashAttentionConfig) -> Result<Kernel, FlashAttentionError> {
    cfg.check()?;
    let plan = QMajor::new(cfg, cfg.checked_blocks()?);
    let (bq, d, dtype) = (plan.blocks.block_q, cfg.head_dim, cfg.dtype);
    let mut k = KernelBuilder::new("flash_attention_fwd", plan.grid());
    let qkv = plan.declare_qkv(&mut k);
    let resident = plan.resident(&mut k, qkv);
    let o_spec = plan.q_block(&k, d);
    let lse_spec = plan.q_block(&k, LANES);
    let o = k.output("o", plan.shapes.q, dtype, o_spec);
    let lse = k.output("lse", plan.shapes.rows, DType::F32, lse_spec);
    let m_s = k.scratch_vmem("m", [bq, 1], DType::F32);
    let l_s = k.scratch_vmem("l", [bq, 1], DType::F32);
    let acc_s = k.scratch_vmem("acc", [bq, d], DType::F32);

    let first = plan.first_step(&mut k);
    k.when(first, |k| {
        let m0 = k.full([bq, 1], DType::F32, MAX_FLOOR);
        let l0 = k.full([bq, 1], DType::F32, 0.0);
        let acc0 = k.full([bq, d], DType::F32, 0.0);
        for (scratch, value) in [(m_s, m0), (l_s, l0), (acc_s, acc0)] {
            k.write(scratch, value);
        }
    });

    plan.tiles(&mut k, &resident, |k, t| {
        let bc = plan.blocks.block_kv_compute;
        let q = k.read(resident.q_scaled);
        let s = k.dot_nt(q, t.k);
        let s = match t.mask {
            Some(mask) => {
                let minus_inf = k.full([bq, bc], DType::F32, f64::NEG_INFINITY);
                k.select(mask, s, minus_inf)
            }
            None => s,
        };
        let (m_prev, l_prev, acc_prev) = (k.read(m_s), k.read(l_s), k.read(acc_s));
        let m_cur = k.reduce_max(s, 1);
        let m_new = k.max(m_prev, m_cur);
        let m_wide = k.broadcast(m_new, [bq, bc]);
        let centered = k.sub(s, m_wide);
        let p = k.exp(centered);
        let m_diff = k.sub(m_prev, m_new);
        let alpha = k.exp(m_diff);
        let l_kept = k.mul(alpha, l_prev);
        let p_sum = k.sum(p, 1);
        let l_new = k.add(l_kept, p_sum);
        let alpha_wide = k.broadcast(alpha, [bq, d]);
        let acc_kept = k.mul(acc_prev, alpha_wide);
        let p_low = convert(k, p, DType::F32, dtype);
        let pv = k.dot(p_low, t.v);
        let acc_new = k.add(acc_kept, pv);
        for (scratch, value) in [(m_s, m_new), (l_s, l_new), (acc_s, acc_new)] {
            k.write(scratch, value);
        }
    });

    let last = plan.last_step(&mut k);
    k.when(last, |k| {
        let (m, l, acc) = (k.read(m_s), k.read(l_s), k.read(acc_s));
        // A row that saw no key has l = 0: divide by 1 instead, giving a zero output.
        let zero = k.full([bq, 1], DType::F32, 0.0);
        let one = k.full([bq, 1], DType::F32, 1.0);
        let empty = k.eq(l, zero);
        let l_safe = k.select(empty, one, l);
        let inv = k.div(one, l_safe);
        let inv_wide = k.broadcast(inv, [bq, d]);
        let out = k.mul(acc, inv_wide);
        let out = convert(k, out, DType::F32, dtype);
        k.write(o, out);
        let log_l = k.log(l);
        let row_lse = k.add(m, log_l);
        let wide = lanes_wide(k, row_lse, bq);
        k.write(lse, wide);
    });
    finish(k, cfg)
}
