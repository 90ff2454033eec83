//! FlashDecoding over a 1-D mesh of chips (a v5e 2x2 slice is 4): the KV cache sharded
//! along the sequence, each chip running the local split-KV kernel and the combine
//! kernel on its shard, and one log-sum-exp combine across chips with all-reduces.
//!
//! ```text
//! per chip c:  (o_c, lse_c) = combine(split(q, k_c, v_c))        (kernels)
//! across:      M = all_reduce_max(lse_c)                         (0 when -inf)
//!              w_c = exp(lse_c - M)
//!              o = all_reduce_sum(w_c · o_c) / all_reduce_sum(w_c)
//! ```
//!
//! Chip `c` holds positions `c·N/C .. (c+1)·N/C` of every row (`N = C · max_kv_len`,
//! `max_kv_len` being the per-chip shard in the config). Its lengths are counted from its
//! first position: `local_lengths[c, b] = max(lengths[b] - c·N/C, 0)`; a value past the
//! shard means the whole shard is visible (and keeps the causal offsets of speculative
//! tokens right on the shard holding a row's end). [`shard_lengths`] computes them.

use pallas_flash_codegen::{
    lower, CodegenError, Mesh, Program, Reduction, Sharding, TensorType, TpuCustomCall,
};
use pallas_flash_ir::{DType, Kernel};
use pallas_flash_tiling::Target;

use super::combine::{combine_kernel, CombineOutputs};
use super::config::{FlashDecodingConfig, FlashDecodingError, KvLengths};
use super::glue::{binary, finite_or_zero, normalize, widen};
use super::split::split_kernel;

/// Why a mesh program can not be built.
#[derive(Debug, thiserror::Error)]
pub enum MeshError {
    #[error(transparent)]
    Config(#[from] FlashDecodingError),
    #[error("the mesh program uses scalar-prefetch lengths; KvLengths::Uniform is for one-chip benchmarks")]
    UniformLengths,
    #[error(transparent)]
    Codegen(#[from] CodegenError),
}

/// Lengths per chip for a sequence sharded over `chips` shards of `shard_len` positions:
/// `[chips][batch]`, see the module docs.
pub fn shard_lengths(lengths: &[i32], chips: usize, shard_len: usize) -> Vec<Vec<i32>> {
    (0..chips)
        .map(|c| {
            let first = i64::try_from(c * shard_len).unwrap_or(i64::MAX);
            lengths
                .iter()
                .map(|&l| i32::try_from((i64::from(l) - first).max(0)).unwrap_or(i32::MAX))
                .collect()
        })
        .collect()
}

/// The SPMD program over the chips of `target`'s topology (`v5e:2x2`: 4; compile with
/// `CompileOptions::spmd(chips)`):
///
/// `main(local_lengths: i32[C, B] split on dim 0, q: bf16[B, H_kv, R, D]
/// replicated, k, v: [B, H_kv, C · max_kv_len, D] split on dim 2) -> o: bf16[B, H_kv,
/// R, D]` replicated (int8 caches add replicated `k_scale`, `v_scale`). `cfg`
/// describes one chip's shard.
pub fn mesh_program(cfg: &FlashDecodingConfig, target: &Target) -> Result<String, MeshError> {
    if cfg.lengths != KvLengths::Prefetch {
        return Err(MeshError::UniformLengths);
    }
    let chips = target.chips();
    let (split, _) = split_kernel(cfg, target)?;
    let (combine, _) = combine_kernel(cfg, DType::F32, CombineOutputs::OutputAndLse, target)?;
    let custom_call = |kernel: &Kernel| TpuCustomCall::new(kernel, &lower(kernel)?);
    let (split, combine) = (custom_call(&split)?, custom_call(&combine)?);
    let (b, hkv, rows, d) = (cfg.batch, cfg.kv_heads, cfg.tile_rows(), cfg.head_dim);
    let mut program = Program::spmd(Mesh::new("x", chips));
    let lengths =
        program.parameter_sharded(TensorType::new([chips, b], DType::I32), Sharding::Split(0));
    let q = program.parameter_sharded(
        TensorType::new([b, hkv, rows, d], DType::Bf16),
        Sharding::Replicated,
    );
    let cache = TensorType::new([b, hkv, chips * cfg.max_kv_len, d], cfg.kv_dtype.dtype());
    let k = program.parameter_sharded(cache.clone(), Sharding::Split(2));
    let v = program.parameter_sharded(cache, Sharding::Split(2));
    let mut inputs = vec![
        (&lengths, Sharding::Split(0)),
        (&q, Sharding::Replicated),
        (&k, Sharding::Split(2)),
        (&v, Sharding::Split(2)),
    ];
    let scales: Vec<_> = split.operands[4..]
        .iter()
        .map(|ty| program.parameter_sharded(ty.clone(), Sharding::Replicated))
        .collect();
    inputs.extend(scales.iter().map(|t| (t, Sharding::Replicated)));
    let out = program.shard_map(&inputs, &[Sharding::Replicated], |local, args| {
        let mut args = args;
        args[0] = local.body().reshape(&args[0], &[b]);
        let partials = local.call(&split, &args.iter().collect::<Vec<_>>())?;
        let combined = local.call(&combine, &partials.iter().collect::<Vec<_>>())?;
        let (o, lse) = (&combined[0], &combined[1]);
        let lse = local
            .body()
            .slice(lse, &[0; 4], &[b, hkv, rows, 1], &[1; 4]);
        let max = local.all_reduce(&lse, Reduction::Max)?;
        let g = local.body();
        let shift = finite_or_zero(g, &max);
        let centered = binary(g, "subtract", &lse, &shift);
        let weight = g.elementwise("exponential", &[centered], DType::F32);
        let weight_wide = widen(g, &weight, &o.ty);
        let weighted = binary(g, "multiply", o, &weight_wide);
        let acc = local.all_reduce(&weighted, Reduction::Sum)?;
        let total = local.all_reduce(&weight, Reduction::Sum)?;
        Ok(vec![normalize(local.body(), &acc, &total, DType::Bf16)])
    })?;
    Ok(program.finish_sharded(&[(&out[0], Sharding::Replicated)]))
}
