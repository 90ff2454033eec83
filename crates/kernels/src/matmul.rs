//! Blocked matmul: `o[m, n] = x[m, k] @ y[k, n]`, the simplest catalog kernel and the
//! yardstick for the others (a plain matmul reaches ≈94% of v5e's peak in libtpu's static
//! model, docs/design.md §8).
//!
//! Grid `(m / bm, n / bn, k / bk)` with semantics `(parallel, parallel, arbitrary)`: each
//! `(i, j)` output block stays resident while the K axis runs; an f32 VMEM accumulator is
//! zeroed on the first K step and written to the output on the last.
//!
//! ```
//! use pallas_flash_kernels::matmul::{MatmulBlocks, MatmulConfig};
//!
//! let cfg = MatmulConfig::new(1024, 2048, 512).blocks(MatmulBlocks::new(256, 512, 512));
//! let (kernel, info) = cfg.build()?;
//! assert_eq!(info.grid_steps, 4 * 4);
//! assert_eq!(cfg.flops(), 2.0 * 1024.0 * 2048.0 * 512.0);
//! assert!(kernel.to_string().contains("dot"));
//! # Ok::<(), pallas_flash_kernels::matmul::MatmulError>(())
//! ```
//!
//! Quantized operands (`int8`, fp8 `e4m3`, [`Precision`]) carry per-channel f32 scales:
//! `x_scale [m, 1]` (one per row of x) and `y_scale [1, n]` (one per column of y); the
//! dot accumulates in i32 (int8) or f32 (fp8) and the last K step writes
//! `o = acc · x_scale · y_scale` in f32. Which precision runs fast on which TPU is
//! [`Precision::auto`]'s business (`pallas_flash_tiling::precision`).
//!
//! Alignment to the (8, 128) tile rules and the VMEM budget depend on the target: check
//! them with `pallas_flash_tiling` (`rules::check_kernel`, `VmemBudget::of`).

use pallas_flash_ir::{
    DType, DimensionSemantics::*, DotDims, GridSpec, Kernel, KernelBuilder, KernelInfo, Scalar,
    ValidationError,
};
use pallas_flash_tiling::family::{named, Blocks, BuildError, BuiltKernel, KernelFamily};
use pallas_flash_tiling::precision::Precision;
use pallas_flash_tiling::roofline::{mxu_padded, Work};
use pallas_flash_tiling::search::ladder;
use pallas_flash_tiling::Target;
use thiserror::Error;

/// Block sizes along M, N and K.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulBlocks {
    pub bm: usize,
    pub bn: usize,
    pub bk: usize,
}

impl MatmulBlocks {
    pub fn new(bm: usize, bn: usize, bk: usize) -> Self {
        MatmulBlocks { bm, bn, bk }
    }
}

/// Problem size, operand dtype, blocks and optional scoped VMEM limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatmulConfig {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// Operand dtype: bf16 (the MXU's native rate), f32, or quantized int8 / fp8 e4m3
    /// with per-channel scales. The output is f32.
    pub dtype: DType,
    pub blocks: MatmulBlocks,
    pub vmem_limit_bytes: Option<u64>,
}

/// Why a matmul configuration can not become a kernel.
#[derive(Debug, Error)]
pub enum MatmulError {
    #[error("{what} is 0; every matmul dimension must be at least 1")]
    EmptyDim { what: &'static str },

    #[error(
        "dtype {dtype} is not supported: use bf16 (the fast path), f32, or int8 / f8e4m3fn \
         (quantized, with per-channel scales)"
    )]
    DType { dtype: DType },

    #[error(
        "{name} = {block} does not divide {dim} = {extent}: the grid takes whole blocks; \
         use a divisor of {extent} such as {suggestion}"
    )]
    Block {
        name: &'static str,
        block: usize,
        dim: &'static str,
        extent: usize,
        suggestion: usize,
    },

    #[error(
        "{what} = {value} does not fit the i32 indices TPU kernels use (max {})",
        i32::MAX
    )]
    TooLarge { what: &'static str, value: usize },

    #[error(
        "the generated kernel failed validation (a bug in this builder, please report it): {0}"
    )]
    Invalid(#[from] ValidationError),
}

/// The block tried first for a dim: the largest of 512, 256, 128 that divides it, else
/// the whole dim (always legal under the tile rules).
fn default_block(extent: usize) -> usize {
    [512, 256, 128]
        .into_iter()
        .find(|b| extent.is_multiple_of(*b))
        .unwrap_or(extent)
}

/// The largest divisor of `extent` not above `block`, preferring multiples of 128.
fn nearest_divisor(block: usize, extent: usize) -> usize {
    let aligned = (1..=block.min(extent) / 128)
        .rev()
        .map(|t| t * 128)
        .find(|b| extent.is_multiple_of(*b));
    aligned.unwrap_or_else(|| {
        (1..=block.min(extent))
            .rev()
            .find(|b| extent.is_multiple_of(*b))
            .unwrap_or(extent)
    })
}

impl MatmulConfig {
    /// A bf16 matmul with [`default_block`]-sized blocks.
    pub fn new(m: usize, n: usize, k: usize) -> Self {
        MatmulConfig {
            m,
            n,
            k,
            dtype: DType::Bf16,
            blocks: MatmulBlocks::new(default_block(m), default_block(n), default_block(k)),
            vmem_limit_bytes: None,
        }
    }

    pub fn dtype(mut self, dtype: DType) -> Self {
        self.dtype = dtype;
        self
    }

    /// The operand dtype of `precision` (bf16, or int8 / fp8 with scales).
    pub fn precision(self, precision: Precision) -> Self {
        self.dtype(precision.dtype())
    }

    /// Whether x and y are quantized and carry per-channel scales.
    pub fn is_quantized(&self) -> bool {
        matches!(self.dtype, DType::I8 | DType::F8E4M3Fn)
    }

    /// The accumulator dtype: i32 for int8 operands, f32 otherwise.
    fn accumulator(&self) -> DType {
        match self.dtype {
            DType::I8 => DType::I32,
            _ => DType::F32,
        }
    }

    pub fn blocks(mut self, blocks: MatmulBlocks) -> Self {
        self.blocks = blocks;
        self
    }

    pub fn vmem_limit_bytes(mut self, bytes: u64) -> Self {
        self.vmem_limit_bytes = Some(bytes);
        self
    }

    /// Useful flops: `2·m·n·k`.
    pub fn flops(&self) -> f64 {
        2.0 * self.m as f64 * self.n as f64 * self.k as f64
    }

    /// The fewest HBM bytes any implementation moves: each operand (and scale) read
    /// once, the f32 result written once.
    pub fn min_hbm_bytes(&self) -> f64 {
        let elem = f64::from(self.dtype.byte_size());
        let (m, n, k) = (self.m as f64, self.n as f64, self.k as f64);
        (m * k + k * n) * elem + m * n * 4.0 + self.scale_bytes()
    }

    /// Bytes of the per-channel scales (none unquantized).
    fn scale_bytes(&self) -> f64 {
        match self.is_quantized() {
            true => 4.0 * (self.m + self.n) as f64,
            false => 0.0,
        }
    }

    fn check(&self) -> Result<(), MatmulError> {
        for (what, value) in [("m", self.m), ("n", self.n), ("k", self.k)] {
            if value == 0 {
                return Err(MatmulError::EmptyDim { what });
            }
            if i32::try_from(value).is_err() {
                return Err(MatmulError::TooLarge { what, value });
            }
        }
        if !matches!(
            self.dtype,
            DType::Bf16 | DType::F32 | DType::I8 | DType::F8E4M3Fn
        ) {
            return Err(MatmulError::DType { dtype: self.dtype });
        }
        let b = self.blocks;
        for (name, block, dim, extent) in [
            ("bm", b.bm, "m", self.m),
            ("bn", b.bn, "n", self.n),
            ("bk", b.bk, "k", self.k),
        ] {
            if block == 0 || !extent.is_multiple_of(block) {
                let suggestion = nearest_divisor(block.max(1), extent);
                return Err(MatmulError::Block {
                    name,
                    block,
                    dim,
                    extent,
                    suggestion,
                });
            }
        }
        Ok(())
    }

    /// Builds and validates the kernel.
    pub fn build(&self) -> Result<(Kernel, KernelInfo), MatmulError> {
        self.check()?;
        let (m, n, kk) = (self.m, self.n, self.k);
        let MatmulBlocks { bm, bn, bk } = self.blocks;
        let grid =
            GridSpec::new([m / bm, n / bn, kk / bk]).semantics([Parallel, Parallel, Arbitrary]);
        let mut k = KernelBuilder::new("matmul", grid);
        let x = k.input(
            "x",
            [m, kk],
            self.dtype,
            k.vmem_block([bm, bk], |g| [g.grid(0), g.grid(2)]),
        );
        let y = k.input(
            "y",
            [kk, n],
            self.dtype,
            k.vmem_block([bk, bn], |g| [g.grid(2), g.grid(1)]),
        );
        let o = k.output(
            "o",
            [m, n],
            DType::F32,
            k.vmem_block([bm, bn], |g| [g.grid(0), g.grid(1)]),
        );
        let scales = self.is_quantized().then(|| {
            let xs = k.input(
                "x_scale",
                [m, 1],
                DType::F32,
                k.vmem_block([bm, 1], |g| [g.grid(0), 0.into()]),
            );
            let ys = k.input(
                "y_scale",
                [1, n],
                DType::F32,
                k.vmem_block([1, bn], |g| [0.into(), g.grid(1)]),
            );
            (xs, ys)
        });
        let acc_dtype = self.accumulator();
        let acc = k.scratch_vmem("acc", [bm, bn], acc_dtype);
        if let Some(bytes) = self.vmem_limit_bytes {
            k.vmem_limit_bytes(bytes);
        }
        let k_step = k.program_id(2);
        let zero = k.i32(0);
        let first = k.eq(k_step, zero);
        k.when(first, |k| {
            let zero = match acc_dtype {
                DType::I32 => Scalar::Int(0),
                _ => Scalar::Float(0.0),
            };
            let zeros = k.full([bm, bn], acc_dtype, zero);
            k.write(acc, zeros);
        });
        let (lhs, rhs, partial) = (k.read(x), k.read(y), k.read(acc));
        let product = k.dot_general(lhs, rhs, DotDims::NN, acc_dtype);
        let sum = k.add(partial, product);
        k.write(acc, sum);
        // `kk / bk` fits i32: kk does (checked above).
        let last_index = k.i32((kk / bk - 1) as i32);
        let last = k.eq(k_step, last_index);
        k.when(last, |k| match scales {
            None => k.write(o, sum),
            Some((xs, ys)) => {
                let wide = k.cast(sum, DType::F32);
                let (xv, yv) = (k.read(xs), k.read(ys));
                let (xb, yb) = (k.broadcast(xv, [bm, bn]), k.broadcast(yv, [bm, bn]));
                let rows = k.mul(wide, xb);
                let scaled = k.mul(rows, yb);
                k.write(o, scaled);
            }
        });
        Ok(k.build()?)
    }
}

impl KernelFamily for MatmulConfig {
    fn describe(&self) -> String {
        format!(
            "matmul {}x{}x{} {}",
            self.m,
            self.n,
            self.k,
            self.dtype.name()
        )
    }

    fn default_blocks(&self, _: &Target) -> Blocks {
        vec![
            ("bm", self.blocks.bm),
            ("bk", self.blocks.bk),
            ("bn", self.blocks.bn),
        ]
    }

    fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
        vec![
            ("bm", ladder(self.m)),
            ("bk", ladder(self.k)),
            ("bn", ladder(self.n)),
        ]
    }

    fn build(&self, _: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
        Ok(vec![self.blocks(self.named_blocks(blocks)).build()?.into()])
    }

    fn flops(&self, _: &[BuiltKernel]) -> f64 {
        MatmulConfig::flops(self)
    }

    fn min_hbm_bytes(&self, _: &[BuiltKernel]) -> f64 {
        MatmulConfig::min_hbm_bytes(self)
    }

    /// x is re-read for every column block, y for every row block.
    fn work(&self, target: &Target, blocks: &Blocks, _: &[BuiltKernel]) -> Work {
        let MatmulBlocks { bm, bn, bk } = self.named_blocks(blocks);
        let (m, n, k) = (self.m, self.n, self.k);
        let (gm, gk, gn) = (m / bm.max(1), k / bk.max(1), n / bn.max(1));
        let steps = (gm * gk * gn) as f64;
        let edge = target.mxu_edge();
        Work {
            mxu_flops: 2.0
                * mxu_padded(bm, edge)
                * mxu_padded(bk, edge)
                * mxu_padded(bn, edge)
                * steps,
            hbm_bytes: f64::from(self.dtype.byte_size()) * (m * k * gn + k * n * gm) as f64
                + 4.0 * (m * n) as f64
                + self.scale_bytes(),
            vpu_elements: (bm * bn) as f64 * steps,
            transcendentals: 0.0,
            steps,
        }
    }
}

impl MatmulConfig {
    /// The blocks named `bm`, `bn`, `bk` in `blocks`; missing names keep the configured ones.
    fn named_blocks(&self, blocks: &Blocks) -> MatmulBlocks {
        let get = |name: &str, current: usize| named(blocks, name).unwrap_or(current);
        let b = self.blocks;
        MatmulBlocks::new(get("bm", b.bm), get("bn", b.bn), get("bk", b.bk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_blocks_divide_the_problem() {
        let cfg = MatmulConfig::new(1536, 384, 200);
        assert_eq!(cfg.blocks, MatmulBlocks::new(512, 128, 200));
        let (_, info) = cfg.build().unwrap();
        assert_eq!(info.grid_steps, 3 * 3);
    }

    #[test]
    fn a_block_that_does_not_divide_names_a_divisor() {
        let err = MatmulConfig::new(512, 512, 768)
            .blocks(MatmulBlocks::new(512, 512, 512))
            .build()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("bk = 512 does not divide k = 768") && text.contains("such as 384"),
            "{text}"
        );
        let err = MatmulConfig::new(512, 512, 512)
            .blocks(MatmulBlocks::new(0, 128, 128))
            .build()
            .unwrap_err();
        assert!(
            matches!(err, MatmulError::Block { name: "bm", .. }),
            "{err}"
        );
    }

    #[test]
    fn empty_dims_and_int_dtypes_are_rejected() {
        assert!(matches!(
            MatmulConfig::new(0, 128, 128).build(),
            Err(MatmulError::EmptyDim { what: "m" })
        ));
        assert!(matches!(
            MatmulConfig::new(128, 128, 128).dtype(DType::I32).build(),
            Err(MatmulError::DType { .. })
        ));
    }

    #[test]
    fn floors_count_each_operand_once() {
        let cfg = MatmulConfig::new(256, 128, 512);
        assert_eq!(
            cfg.min_hbm_bytes(),
            (256.0 * 512.0 + 512.0 * 128.0) * 2.0 + 256.0 * 128.0 * 4.0
        );
    }
}
