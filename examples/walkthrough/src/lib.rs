//! Two kernels of a user's own, as [`KernelFamily`]s: everything Pallas-Flash says about
//! its catalog kernels — tiling plan, VMEM budget, copy-trap prediction and lint,
//! libtpu's static estimate, roofline — it says about these too.
//!
//! - [`FusedRmsNorm`]: `h = x + residual; y = h · rsqrt(mean(h²) + eps) · w`, one pass
//!   over `[tokens, d]`, both `y` and the new residual stream `h` written.
//! - [`CosineRetrieval`]: cosine similarity of a few queries against a bank of embeddings
//!   (65,536 × 768 by default), one bank block per grid step.
//!
//! Each implements the two required methods (`describe`, `build`) plus the block names
//! the search may try; the work floors (flops, bytes) are counted from the kernels' IR.

use pallas_flash::ir::{DType, DimensionSemantics::Parallel, GridSpec, IndexExpr, KernelBuilder};
use pallas_flash::tiling::family::{named, Blocks, BuildError, BuiltKernel, KernelFamily};
use pallas_flash::tiling::search::ladder;
use pallas_flash::tiling::Target;

/// The value of block `name` in `blocks`, or an error naming it.
fn block(blocks: &Blocks, name: &str) -> Result<usize, BuildError> {
    named(blocks, name).ok_or_else(|| format!("no `{name}` block given").into())
}

/// Checks that `b` rows tile `extent` rows.
fn divides(name: &str, b: usize, extent: usize) -> Result<(), BuildError> {
    match b > 0 && extent.is_multiple_of(b) {
        true => Ok(()),
        false => Err(format!("{name} = {b} does not divide {extent}").into()),
    }
}

/// Residual add and RMSNorm over `[tokens, d]` bf16, `block_rows` tokens a step.
#[derive(Clone, Debug, PartialEq)]
pub struct FusedRmsNorm {
    pub tokens: usize,
    pub d: usize,
    pub eps: f64,
}

impl KernelFamily for FusedRmsNorm {
    fn describe(&self) -> String {
        format!("fused-rmsnorm {}x{} bf16", self.tokens, self.d)
    }

    fn default_blocks(&self, _: &Target) -> Blocks {
        vec![("block_rows", 256.min(self.tokens))]
    }

    fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
        vec![("block_rows", ladder(self.tokens))]
    }

    fn build(&self, _: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
        let (rows, d) = (block(blocks, "block_rows")?, self.d);
        divides("block_rows", rows, self.tokens)?;
        let grid = GridSpec::new([self.tokens / rows]).semantics([Parallel]);
        let mut k = KernelBuilder::new("fused_rmsnorm", grid);
        let row_block =
            |k: &KernelBuilder| k.vmem_block([rows, d], |g| [g.grid(0), IndexExpr::Const(0)]);
        let x = k.input("x", [self.tokens, d], DType::Bf16, row_block(&k));
        let residual = k.input("residual", [self.tokens, d], DType::Bf16, row_block(&k));
        // The weight as a [1, d] row: a rank-1 bf16 window aborts libtpu's static profiler.
        let w = k.input(
            "w",
            [1, d],
            DType::Bf16,
            k.vmem_block([1, d], |_| [IndexExpr::Const(0), IndexExpr::Const(0)]),
        );
        let y = k.output("y", [self.tokens, d], DType::Bf16, row_block(&k));
        let h_out = k.output("h", [self.tokens, d], DType::Bf16, row_block(&k));
        let (xv, rv) = (k.read(x), k.read(residual));
        let (x32, r32) = (k.cast(xv, DType::F32), k.cast(rv, DType::F32));
        let h = k.add(x32, r32);
        let squares = k.mul(h, h);
        let sum = k.sum(squares, 1);
        let inv_d = k.full([rows, 1], DType::F32, 1.0 / d as f64);
        let mean = k.mul(sum, inv_d);
        let eps = k.full([rows, 1], DType::F32, self.eps);
        let shifted = k.add(mean, eps);
        let scale = k.rsqrt(shifted);
        let scale = k.broadcast(scale, [rows, d]);
        let wv = k.read(w);
        let w32 = k.cast(wv, DType::F32);
        let w_rows = k.broadcast(w32, [rows, d]);
        let normed = k.mul(h, scale);
        let weighted = k.mul(normed, w_rows);
        let (yv, hv) = (k.cast(weighted, DType::Bf16), k.cast(h, DType::Bf16));
        k.write(y, yv);
        k.write(h_out, hv);
        Ok(vec![k.build()?.into()])
    }
}

/// `sims[q, j] = (queries[q] · bank[j]) / (|queries[q]| · |bank[j]|)` for `queries`
/// `[q, dim]` and `bank` `[bank_rows, dim]`, bf16, `block_bank` bank rows a step.
#[derive(Clone, Debug, PartialEq)]
pub struct CosineRetrieval {
    /// Queries per call; 16 (a multiple of 16: 8 bf16 rows abort libtpu's static profiler).
    pub queries: usize,
    pub bank_rows: usize,
    pub dim: usize,
}

impl Default for CosineRetrieval {
    fn default() -> Self {
        CosineRetrieval {
            queries: 16,
            bank_rows: 65_536,
            dim: 768,
        }
    }
}

impl KernelFamily for CosineRetrieval {
    fn describe(&self) -> String {
        format!(
            "cosine-retrieval q{} bank{}x{} bf16",
            self.queries, self.bank_rows, self.dim
        )
    }

    fn default_blocks(&self, _: &Target) -> Blocks {
        vec![("block_bank", 2048.min(self.bank_rows))]
    }

    fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
        vec![("block_bank", ladder(self.bank_rows))]
    }

    fn build(&self, _: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
        let (n, q, d) = (block(blocks, "block_bank")?, self.queries, self.dim);
        divides("block_bank", n, self.bank_rows)?;
        let grid = GridSpec::new([self.bank_rows / n]).semantics([Parallel]);
        let mut k = KernelBuilder::new("cosine_retrieval", grid);
        let zero = IndexExpr::Const(0);
        let queries = k.input(
            "queries",
            [q, d],
            DType::Bf16,
            k.vmem_block([q, d], |_| [zero.clone(), zero.clone()]),
        );
        let bank = k.input(
            "bank",
            [self.bank_rows, d],
            DType::Bf16,
            k.vmem_block([n, d], |g| [g.grid(0), IndexExpr::Const(0)]),
        );
        let sims = k.output(
            "sims",
            [q, self.bank_rows],
            DType::F32,
            k.vmem_block([q, n], |g| [IndexExpr::Const(0), g.grid(0)]),
        );
        let (qv, bv) = (k.read(queries), k.read(bank));
        let dots = k.dot_nt(qv, bv);
        // |q|² per query row, [q, 1].
        let q32 = k.cast(qv, DType::F32);
        let q_sq = k.mul(q32, q32);
        let q_norm_sq = k.sum(q_sq, 1);
        // |b|² per bank row, laid out along the lanes: ones[q, d] · (b ∘ b)ᵀ on the MXU
        // gives every row of the [q, n] tile the bank norms, with no transpose.
        let b32 = k.cast(bv, DType::F32);
        let b_sq = k.mul(b32, b32);
        let ones = k.full([q, d], DType::F32, 1.0);
        let b_norm_sq = k.dot_nt(ones, b_sq);
        let q_norm_sq = k.broadcast(q_norm_sq, [q, n]);
        let norms_sq = k.mul(q_norm_sq, b_norm_sq);
        let tiny = k.full([q, n], DType::F32, 1e-30);
        let guarded = k.add(norms_sq, tiny);
        let inv = k.rsqrt(guarded);
        let cosine = k.mul(dots, inv);
        k.write(sims, cosine);
        Ok(vec![k.build()?.into()])
    }
}
