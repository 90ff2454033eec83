//! Signature pieces shared by the contiguous and the paged kernel.

use pallas_flash_ir::{
    at, BlockDim::*, DType, IndexArgs, IndexExpr, Kernel, KernelBuilder, KernelInfo, RefId, Value,
};
use pallas_flash_tiling::{Target, VmemBudget};

use super::config::{FlashDecodingConfig, FlashDecodingError, KvCacheDtype, KvLengths};
use super::online_softmax::{i32_of, STAT_LANES};

/// How a kernel knows each row's length.
#[derive(Clone, Copy, Debug)]
pub(super) enum RowLengths {
    /// `lengths: i32[B]` in scalar prefetch.
    Table(RefId),
    /// One length for every row, a constant.
    Uniform(i32),
}

impl RowLengths {
    /// Declares the scalar-prefetch table when the lengths come from one. Call before
    /// any other scalar prefetch so `lengths` is always the first operand.
    pub fn declare(k: &mut KernelBuilder, cfg: &FlashDecodingConfig) -> Self {
        match cfg.lengths {
            KvLengths::Prefetch => RowLengths::Table(k.scalar_prefetch("lengths", [cfg.batch])),
            KvLengths::Uniform(n) => RowLengths::Uniform(i32_of(n)),
        }
    }

    /// Row `row`'s length inside an index map.
    pub fn index_expr(self, g: &IndexArgs, row: IndexExpr) -> IndexExpr {
        match self {
            RowLengths::Table(table) => g.load(table, [row]),
            RowLengths::Uniform(n) => IndexExpr::Const(n),
        }
    }

    /// Row `row`'s length in the body, an `i32` scalar.
    pub fn value(self, k: &mut KernelBuilder, row: Value) -> Value {
        match self {
            RowLengths::Table(table) => k.load(table, [at(row)]),
            RowLengths::Uniform(n) => k.i32(n),
        }
    }
}

/// `ceil(len / block) - 1`, at least 0: the last block (or page) holding a valid position.
pub(super) fn last_block(len: IndexExpr, block: usize) -> IndexExpr {
    let block = i32_of(block);
    ((len + (block - 1)) / block - 1).max(0)
}

/// Validates the kernel and fits its VMEM: raises the scoped limit when the buffers need
/// more than `target`'s default, and fails when they need more than the chip has.
pub(super) fn finish(
    k: KernelBuilder,
    target: &Target,
) -> Result<(Kernel, KernelInfo), FlashDecodingError> {
    let (mut kernel, info) = k.build()?;
    let budget = VmemBudget::of(target, &kernel, &info);
    if budget.check().is_ok() {
        return Ok((kernel, info));
    }
    kernel.vmem_limit_bytes = budget.required_limit();
    VmemBudget::of(target, &kernel, &info).check()?;
    Ok((kernel, info))
}

/// `flash_decoding_split_b8_q1_hq32_hkv8_d128_n32768_s8_bkv1024` and the like: distinct
/// per shape, so static profiles of different configurations do not overwrite each other.
pub(super) fn kernel_name(family: &str, cfg: &FlashDecodingConfig) -> String {
    let int8 = if cfg.kv_dtype == KvCacheDtype::Int8 {
        "_int8"
    } else {
        ""
    };
    format!(
        "{family}_b{}_q{}_hq{}_hkv{}_d{}_n{}_s{}_bkv{}{int8}",
        cfg.batch,
        cfg.q_len,
        cfg.q_heads,
        cfg.kv_heads,
        cfg.head_dim,
        cfg.max_kv_len,
        cfg.splits,
        cfg.block_kv
    )
}

/// The query input `bf16[B, H_kv, R, D]` (`R` = [`FlashDecodingConfig::tile_rows`]), one
/// `[R, D]` tile per (batch, kv head).
pub(super) fn declare_query(
    k: &mut KernelBuilder,
    cfg: &FlashDecodingConfig,
    index: impl Fn(&IndexArgs) -> [IndexExpr; 2],
) -> RefId {
    let (rows, d) = (cfg.tile_rows(), cfg.head_dim);
    let spec = k.vmem_block([Squeezed, Squeezed, Blocked(rows), Blocked(d)], |g| {
        let [b, h] = index(g);
        [b, h, 0.into(), 0.into()]
    });
    k.input("q", [cfg.batch, cfg.kv_heads, rows, d], DType::Bf16, spec)
}

/// The per-(head, channel) dequantization scales of an int8 cache, `f32[H_kv, 1, D]`,
/// each step seeing its head's `[1, D]` row.
pub(super) fn declare_scales(
    k: &mut KernelBuilder,
    cfg: &FlashDecodingConfig,
    head: impl Fn(&IndexArgs) -> IndexExpr,
) -> Option<(RefId, RefId)> {
    if cfg.kv_dtype != KvCacheDtype::Int8 {
        return None;
    }
    let d = cfg.head_dim;
    let spec = k.vmem_block([Squeezed, Blocked(1), Blocked(d)], |g| {
        [head(g), 0.into(), 0.into()]
    });
    let ks = k.input("k_scale", [cfg.kv_heads, 1, d], DType::F32, spec.clone());
    let vs = k.input("v_scale", [cfg.kv_heads, 1, d], DType::F32, spec);
    Some((ks, vs))
}

/// The three partial outputs, one `[rows, ·]` block per (batch, kv head, split) that
/// `index` picks from the grid.
pub(super) fn declare_partials(
    k: &mut KernelBuilder,
    cfg: &FlashDecodingConfig,
    index: impl Fn(&IndexArgs) -> [IndexExpr; 3],
) -> (RefId, RefId, RefId) {
    let (b, hkv, s, rows, d) = (
        cfg.batch,
        cfg.kv_heads,
        cfg.splits,
        cfg.tile_rows(),
        cfg.head_dim,
    );
    let spec = |k: &KernelBuilder, lanes: usize| {
        k.vmem_block(
            [Squeezed, Squeezed, Squeezed, Blocked(rows), Blocked(lanes)],
            |g| {
                let [x, y, z] = index(g);
                [x, y, z, 0.into(), 0.into()]
            },
        )
    };
    let (o_spec, stat_spec) = (spec(k, d), spec(k, STAT_LANES));
    let o = k.output("o_part", [b, hkv, s, rows, d], DType::F32, o_spec);
    let m = k.output(
        "m_part",
        [b, hkv, s, rows, STAT_LANES],
        DType::F32,
        stat_spec.clone(),
    );
    let l = k.output(
        "l_part",
        [b, hkv, s, rows, STAT_LANES],
        DType::F32,
        stat_spec,
    );
    (o, m, l)
}

/// The query tile `[rows, D]` as bf16; for an int8 cache the K scales fold into it
/// (`q · (scale ⊙ k) = (q ⊙ scale) · k`), so K blocks need only a cast.
pub(super) fn load_query(
    k: &mut KernelBuilder,
    q: RefId,
    k_scale: Option<RefId>,
    cfg: &FlashDecodingConfig,
) -> Value {
    let qv = k.read(q);
    let Some(k_scale) = k_scale else { return qv };
    let q32 = k.cast(qv, DType::F32);
    let scale = k.read(k_scale);
    let scale = k.broadcast(scale, [cfg.tile_rows(), cfg.head_dim]);
    let scaled = k.mul(q32, scale);
    k.cast(scaled, DType::Bf16)
}

/// A KV block as bf16: int8 values are exact in bf16; a bf16 block is returned as is.
pub(super) fn as_bf16(k: &mut KernelBuilder, cfg: &FlashDecodingConfig, block: Value) -> Value {
    match cfg.kv_dtype {
        KvCacheDtype::Bf16 => block,
        KvCacheDtype::Int8 => k.cast(block, DType::Bf16),
    }
}
