//! `pallas_flash._native`: what the Rust side builds for a kernel configuration, handed to
//! Python — the `tpu_custom_call` backend_config (the same bytes the `pallas-flash` command
//! compiles: the kernels come from the same [`KernelFamily`] at the same default blocks,
//! lowered by the same [`lower`] and wrapped by the same [`TpuCustomCall`]), the operand and
//! result types, and the interpret StableHLO the CPU path inlines.
//!
//! Every Rust error reaches Python as `ValueError` carrying the Rust message unchanged.

use pallas_flash::codegen::{lower, TpuCustomCall};
use pallas_flash::hlo::lint::{lint, LintOptions};
use pallas_flash::hlo::HloModule;
use pallas_flash::interpret::lower_to_stablehlo;
use pallas_flash::ir::{DType, Kernel};
use pallas_flash::kernels::flash_attention::{
    Backward, BlockSizes, FlashAttentionConfig, Forward, HeadLayout,
};
use pallas_flash::kernels::flash_decoding::{Decoding, FlashDecodingConfig, KvLengths, PagedCache};
use pallas_flash::tiling::family::KernelFamily;
use pallas_flash::tiling::Target;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A Rust error as Python's `ValueError`, with the same text.
fn value_error(error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(error.to_string())
}

fn dtype(name: &str) -> PyResult<DType> {
    match name {
        "bfloat16" | "bf16" => Ok(DType::Bf16),
        "float32" | "f32" => Ok(DType::F32),
        other => Err(value_error(format!(
            "unsupported dtype `{other}`: use bfloat16 or float32"
        ))),
    }
}

/// One array a kernel takes or returns: its name in the kernel, shape and dtype (numpy's
/// name: `bfloat16`, `float32`, `int32`, `int8`).
#[pyclass(frozen, get_all, module = "pallas_flash._native")]
#[derive(Clone)]
pub struct Operand {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: String,
}

fn numpy_name(dtype: DType) -> &'static str {
    match dtype {
        DType::Bf16 => "bfloat16",
        DType::F32 => "float32",
        DType::I32 => "int32",
        DType::I8 => "int8",
        other => other.name(),
    }
}

impl Operand {
    fn new(name: &str, shape: &[usize], dtype: DType) -> Operand {
        Operand {
            name: name.to_string(),
            shape: shape.to_vec(),
            dtype: numpy_name(dtype).to_string(),
        }
    }
}

/// One kernel, ready to be called from a JAX program: on TPU as
/// `stablehlo.custom_call @tpu_custom_call` with [`Self::backend_config`], elsewhere by
/// calling `@main` of [`Self::interpret_stablehlo`].
///
/// Operands are the scalar-prefetch arrays (`int32`), then the inputs, in order; every
/// operand and result is row-major. `interpret_stablehlo`'s `@main` takes the same operands
/// and returns the results followed by an `int32[6]` diagnostic record (all zeros when no
/// kernel contract was broken).
#[pyclass(frozen, get_all, module = "pallas_flash._native")]
pub struct KernelCall {
    /// The kernel's name (the HLO instruction and Mosaic function are named after it).
    pub name: String,
    pub operands: Vec<Operand>,
    pub results: Vec<Operand>,
    /// `(operand index, result index)` pairs whose buffers alias.
    pub aliases: Vec<(usize, usize)>,
    /// The backend_config JSON of the `tpu_custom_call`.
    pub backend_config: String,
    /// The printed Mosaic module (for reading; the backend_config carries its bytecode).
    pub mosaic: String,
    /// Plain StableHLO of the same kernel, for the CPU path.
    pub interpret_stablehlo: String,
}

#[pymethods]
impl KernelCall {
    fn __repr__(&self) -> String {
        let list = |ops: &[Operand]| {
            ops.iter()
                .map(|o| format!("{}: {}{:?}", o.name, o.dtype, o.shape))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "KernelCall({}: ({}) -> ({}))",
            self.name,
            list(&self.operands),
            list(&self.results)
        )
    }
}

impl KernelCall {
    fn of(kernel: &Kernel) -> Result<KernelCall, String> {
        let mosaic = lower(kernel).map_err(|e| e.to_string())?;
        let call = TpuCustomCall::new(kernel, &mosaic).map_err(|e| e.to_string())?;
        let prefetch = (kernel.scalar_prefetch.iter()).map(|p| (&p.name, &p.shape, DType::I32));
        let inputs = (kernel.inputs.iter()).map(|o| (&o.name, &o.shape, o.dtype));
        Ok(KernelCall {
            name: call.kernel_name.clone(),
            operands: prefetch
                .chain(inputs)
                .map(|(n, s, d)| Operand::new(n, s, d))
                .collect(),
            results: (kernel.outputs.iter())
                .map(|o| Operand::new(&o.name, &o.shape, o.dtype))
                .collect(),
            aliases: (kernel.aliases.iter())
                .map(|a| (call.num_scalar_prefetch + a.input, a.output))
                .collect(),
            backend_config: call.backend_config(),
            mosaic: mosaic.text.clone(),
            interpret_stablehlo: lower_to_stablehlo(kernel).map_err(|e| e.to_string())?,
        })
    }
}

/// The kernels of `family` on `target` at its default blocks — what `pallas-flash compile`
/// builds for the same problem.
fn kernels_of(family: &dyn KernelFamily, target: &Target) -> PyResult<Vec<KernelCall>> {
    let built = family
        .build(target, &family.default_blocks(target))
        .map_err(value_error)?;
    built
        .iter()
        .map(|b| KernelCall::of(&b.kernel).map_err(value_error))
        .collect()
}

fn target(name: &str) -> PyResult<Target> {
    name.parse().map_err(value_error)
}

/// FlashAttention-2 kernels for `q: [batch, q_heads, seq_q, head_dim]`, `k`, `v:
/// [batch, kv_heads, seq_kv, head_dim]`.
///
/// `kind="forward"`: one kernel `q, k, v[, q_segment_ids, kv_segment_ids] -> o, lse`
/// (`lse: float32[batch, q_heads, seq_q, 128]`, replicated over the lanes).
/// `kind="backward"`: the dQ kernel `q, k, v, o, do, lse[, segment ids] -> dq, delta`, then
/// the dK/dV kernel `q, k, v, do, lse, delta[, segment ids] -> dk, dv`.
#[pyfunction]
#[pyo3(signature = (kind, batch, q_heads, kv_heads, seq_q, seq_kv, head_dim, *, dtype="bfloat16", causal=false, sm_scale=None, window=None, segment_ids=false, block_q=None, block_kv=None, target="v5e"))]
#[allow(clippy::too_many_arguments)]
fn flash_attention(
    kind: &str,
    batch: usize,
    q_heads: usize,
    kv_heads: usize,
    seq_q: usize,
    seq_kv: usize,
    head_dim: usize,
    dtype: &str,
    causal: bool,
    sm_scale: Option<f64>,
    window: Option<usize>,
    segment_ids: bool,
    block_q: Option<usize>,
    block_kv: Option<usize>,
    target: &str,
) -> PyResult<Vec<KernelCall>> {
    let target = self::target(target)?;
    // pallas_flash.jax passes q, k, v, o, do as [B, H, N, D] for every head dim (a head dim
    // that is not a multiple of 128 is relayouted around the call, see `HeadLayout`).
    let mut cfg = FlashAttentionConfig::new(batch, q_heads, kv_heads, seq_q, seq_kv, head_dim)
        .head_layout(HeadLayout::Bhnd)
        .dtype(self::dtype(dtype)?)
        .causal(causal)
        .segment_ids(segment_ids);
    if let Some(scale) = sm_scale {
        cfg = cfg.sm_scale(scale);
    }
    if let Some(window) = window {
        cfg = cfg.sliding_window(window);
    }
    // The command's `--block-q` / `--block-kv` rule: a missing one keeps its default.
    if block_q.is_some() || block_kv.is_some() {
        let d = cfg.default_blocks(&target);
        cfg = cfg.blocks(BlockSizes::measured(
            block_q.unwrap_or(d.block_q),
            block_kv.unwrap_or(d.block_kv),
            &target,
        ));
    }
    match kind {
        "forward" => kernels_of(&Forward(cfg), &target),
        "backward" => kernels_of(&Backward(cfg), &target),
        other => Err(value_error(format!(
            "unknown attention kernel kind `{other}`: use forward or backward"
        ))),
    }
}

/// The decoding kernel as the command builds it — lengths in scalar prefetch, the measured
/// default cut unless `splits` / `block_kv` are given — over a contiguous cache or a paged one.
#[allow(clippy::too_many_arguments)]
fn decoding_kernels(
    (batch, q_heads, kv_heads, head_dim, max_kv_len): (usize, usize, usize, usize, usize),
    q_len: usize,
    splits: Option<usize>,
    block_kv: Option<usize>,
    scale: Option<f64>,
    target: &str,
    paged: Option<PagedCache>,
) -> PyResult<Vec<KernelCall>> {
    let target = self::target(target)?;
    let mut cfg = FlashDecodingConfig::new(batch, q_heads, kv_heads, head_dim, max_kv_len)
        .with_q_len(q_len)
        .with_lengths(KvLengths::Prefetch);
    let measured = cfg.default_blocks();
    cfg = cfg.with_splits(
        splits.unwrap_or(measured.splits),
        block_kv.unwrap_or(measured.block_kv),
    );
    if let Some(scale) = scale {
        cfg.scale = scale;
    }
    cfg.check().map_err(value_error)?;
    kernels_of(&Decoding { cfg, paged }, &target)
}

/// The split-KV decoding kernel for `q: bfloat16[batch, kv_heads, rows, head_dim]` (the
/// query tile: `q_len · group` rows padded to a multiple of 8), a contiguous bfloat16 cache
/// `k`, `v: [batch, kv_heads, max_kv_len, head_dim]` and `lengths: int32[batch]` (scalar
/// prefetch): `lengths, q, k, v -> o_part, m_part, l_part` (`float32`, per split; combine
/// them with a log-sum-exp).
#[pyfunction]
#[pyo3(signature = (batch, q_heads, kv_heads, head_dim, max_kv_len, *, q_len=1, splits=None, block_kv=None, scale=None, target="v5e"))]
#[allow(clippy::too_many_arguments)]
fn flash_decoding(
    batch: usize,
    q_heads: usize,
    kv_heads: usize,
    head_dim: usize,
    max_kv_len: usize,
    q_len: usize,
    splits: Option<usize>,
    block_kv: Option<usize>,
    scale: Option<f64>,
    target: &str,
) -> PyResult<Vec<KernelCall>> {
    let shape = (batch, q_heads, kv_heads, head_dim, max_kv_len);
    decoding_kernels(shape, q_len, splits, block_kv, scale, target, None)
}

/// The split-KV decoding kernel over a paged bfloat16 cache: `k_pages`, `v_pages:
/// [kv_heads, num_pages, page_size, head_dim]` (HBM), row `b`'s logical page `i` is
/// physical page `page_table[b, i]` (`int32[batch, max_kv_len / page_size]`, scalar
/// prefetch after `lengths`): `lengths, page_table, q, k_pages, v_pages -> o_part, m_part,
/// l_part`, as [`flash_decoding`]. `page_size` is a multiple of 16 dividing `block_kv`.
#[pyfunction]
#[pyo3(signature = (batch, q_heads, kv_heads, head_dim, max_kv_len, page_size, num_pages, *, q_len=1, splits=None, block_kv=None, scale=None, target="v5e"))]
#[allow(clippy::too_many_arguments)]
fn paged_decoding(
    batch: usize,
    q_heads: usize,
    kv_heads: usize,
    head_dim: usize,
    max_kv_len: usize,
    page_size: usize,
    num_pages: usize,
    q_len: usize,
    splits: Option<usize>,
    block_kv: Option<usize>,
    scale: Option<f64>,
    target: &str,
) -> PyResult<Vec<KernelCall>> {
    let shape = (batch, q_heads, kv_heads, head_dim, max_kv_len);
    let paged = Some(PagedCache {
        page_size,
        num_pages,
    });
    decoding_kernels(shape, q_len, splits, block_kv, scale, target, paged)
}

/// The copy-trap lint of `pallas-flash hlo-check` over one optimized-HLO text (XLA's
/// `*after_optimizations.txt`, or a compiled JAX program's `as_text()`): the report as JSON
/// (`{"module", "kernels": [{…, "findings": […]}]}`) over every `tpu_custom_call`.
#[pyfunction]
fn hlo_check(optimized_hlo: &str) -> PyResult<String> {
    let module = HloModule::parse(optimized_hlo).map_err(value_error)?;
    let report = lint(&module, &LintOptions::default());
    serde_json::to_string(&report).map_err(value_error)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Operand>()?;
    m.add_class::<KernelCall>()?;
    m.add_function(wrap_pyfunction!(flash_attention, m)?)?;
    m.add_function(wrap_pyfunction!(flash_decoding, m)?)?;
    m.add_function(wrap_pyfunction!(paged_decoding, m)?)?;
    m.add_function(wrap_pyfunction!(hlo_check, m)?)?;
    Ok(())
}
