//! Plain-XLA baselines as StableHLO text: what a user gets from `jnp.einsum` + softmax or
//! `x @ y` without a kernel. Generated here so the peer table needs no Python.

use pallas_flash::codegen::stablehlo::{Body, Main, Module, TensorType};
use pallas_flash::ir::DType::{self, F32};

/// `o[m, n] = x[m, k] @ y[k, n]` with an f32 result, as one `dot_general`.
pub fn matmul(m: usize, n: usize, k: usize, dtype: DType) -> String {
    let mut main = Main::new();
    let x = main.parameter(TensorType::new([m, k], dtype));
    let y = main.parameter(TensorType::new([k, n], dtype));
    let mut body = Body::new();
    let o = body.dot_general(&x, &y, 0, [1, 0], F32);
    Module::new("xla_matmul").print(&main.print(&body, &[(&o, None)]))
}

/// The shape of an attention problem for the XLA baseline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttentionShape {
    pub batch: usize,
    pub heads: usize,
    pub seq_q: usize,
    pub seq_kv: usize,
    pub head_dim: usize,
    /// Query `i` sees key `j <= i` (positions aligned at 0).
    pub causal: bool,
}

/// Attention the way XLA sees `softmax(q kᵀ · scale [+ causal mask]) v` on
/// `[batch, heads, seq, head_dim]` tensors: the full `seq_q × seq_kv` score matrix is
/// materialized in HBM, which is what runs out of memory at long sequences. With
/// `seq_q = 1` it is plain-XLA decoding.
pub fn attention(shape: AttentionShape, dtype: DType) -> String {
    let AttentionShape {
        batch,
        heads,
        seq_q,
        seq_kv,
        head_dim,
        causal,
    } = shape;
    let mut main = Main::new();
    let q = main.parameter(TensorType::new([batch, heads, seq_q, head_dim], dtype));
    let kv = TensorType::new([batch, heads, seq_kv, head_dim], dtype);
    let (k, v) = (main.parameter(kv.clone()), main.parameter(kv));
    let scores = [batch, heads, seq_q, seq_kv];
    let mut b = Body::new();
    let s = b.dot_general(&q, &k, 2, [3, 3], F32);
    let scale = 1.0 / (head_dim as f64).sqrt();
    let scale = b.constant(s.ty.clone(), &format!("{scale:e}"));
    let scaled = b.elementwise("multiply", &[s, scale], F32);
    let minus_inf = b.constant(TensorType::scalar(F32), "0xFF800000");
    let zero = b.constant(TensorType::scalar(F32), "0.0");
    let logits = if causal {
        let (row, col) = (b.iota(&scores, 2), b.iota(&scores, 3));
        let visible = b.compare("GE", &row, &col);
        let hidden = b.broadcast_in_dim(&minus_inf, &[], &scores);
        b.select(&visible, &scaled, &hidden)
    } else {
        scaled
    };
    let max = b.reduce("maximum", &logits, &minus_inf, &[3]);
    let max = b.broadcast_in_dim(&max, &[0, 1, 2], &scores);
    let centered = b.elementwise("subtract", &[logits, max], F32);
    let p = b.elementwise("exponential", &[centered], F32);
    let sum = b.reduce("add", &p, &zero, &[3]);
    let sum = b.broadcast_in_dim(&sum, &[0, 1, 2], &scores);
    let probs = b.elementwise("divide", &[p, sum], F32);
    let probs = b.convert(&probs, dtype);
    let o = b.dot_general(&probs, &v, 2, [3, 2], F32);
    let o = b.convert(&o, dtype);
    Module::new("xla_attention").print(&main.print(&b, &[(&o, None)]))
}

/// `tensor<AxBx…xdtype>` text (the retrieval baseline writes `chlo.top_k`, which the
/// StableHLO builder does not have).
fn tensor(shape: &[usize], dtype: &str) -> String {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("tensor<{}x{dtype}>", dims.join("x"))
}

/// Cosine top-k retrieval the way XLA sees it: `queries: f32[q, d]` (rounded to bf16 for the
/// dot) against `bank: bf16[m, d]`, both norms computed from the data, scores scaled by
/// their inverses, then `chlo.top_k` (values and indices) — the math of
/// `pallas-flash compile retrieval --bank-norms kernel`.
pub fn retrieval(queries: usize, bank_rows: usize, dim: usize, top_k: usize) -> String {
    let (qt, qt16, bank, bank32) = (
        tensor(&[queries, dim], "f32"),
        tensor(&[queries, dim], "bf16"),
        tensor(&[bank_rows, dim], "bf16"),
        tensor(&[bank_rows, dim], "f32"),
    );
    let (scores, qn, bn) = (
        tensor(&[queries, bank_rows], "f32"),
        tensor(&[queries], "f32"),
        tensor(&[bank_rows], "f32"),
    );
    let (values, indices) = (
        tensor(&[queries, top_k], "f32"),
        tensor(&[queries, top_k], "i32"),
    );
    let body = [
        format!("%q16 = stablehlo.convert %q : ({qt}) -> {qt16}"),
        format!("%dots = stablehlo.dot_general %q16, %bank, contracting_dims = [1] x [1] : ({qt16}, {bank}) -> {scores}"),
        "%zero = stablehlo.constant dense<0.0> : tensor<f32>".to_string(),
        format!("%qq = stablehlo.multiply %q, %q : {qt}"),
        format!("%qss = stablehlo.reduce(%qq init: %zero) applies stablehlo.add across dimensions = [1] : ({qt}, tensor<f32>) -> {qn}"),
        format!("%qinv = stablehlo.rsqrt %qss : {qn}"),
        format!("%b32 = stablehlo.convert %bank : ({bank}) -> {bank32}"),
        format!("%bb = stablehlo.multiply %b32, %b32 : {bank32}"),
        format!("%bss = stablehlo.reduce(%bb init: %zero) applies stablehlo.add across dimensions = [1] : ({bank32}, tensor<f32>) -> {bn}"),
        format!("%binv = stablehlo.rsqrt %bss : {bn}"),
        format!("%qinv_all = stablehlo.broadcast_in_dim %qinv, dims = [0] : ({qn}) -> {scores}"),
        format!("%binv_all = stablehlo.broadcast_in_dim %binv, dims = [1] : ({bn}) -> {scores}"),
        format!("%s1 = stablehlo.multiply %dots, %qinv_all : {scores}"),
        format!("%cos = stablehlo.multiply %s1, %binv_all : {scores}"),
        format!("%values, %indices = chlo.top_k(%cos, k = {top_k}) : {scores} -> ({values}, {indices})"),
        format!("return %values, %indices : {values}, {indices}"),
    ];
    format!(
        "module @xla_retrieval {{\n  func.func public @main(%q: {qt}, %bank: {bank}) -> ({values}, {indices}) {{\n    {}\n  }}\n}}\n",
        body.join("\n    ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_types_line_up() {
        let text = matmul(256, 128, 512, DType::Bf16);
        assert!(
            text.contains("(tensor<256x512xbf16>, tensor<512x128xbf16>) -> tensor<256x128xf32>"),
            "{text}"
        );
    }

    fn square(heads: usize, seq: usize, causal: bool) -> AttentionShape {
        AttentionShape {
            batch: 1,
            heads,
            seq_q: seq,
            seq_kv: seq,
            head_dim: 128,
            causal,
        }
    }

    #[test]
    fn causal_attention_masks_before_the_softmax() {
        let text = attention(square(2, 128, true), DType::Bf16);
        let (mask, max) = (
            text.find("stablehlo.select").unwrap(),
            text.find("applies stablehlo.maximum").unwrap(),
        );
        assert!(mask < max, "{text}");
        let masked = text[..mask]
            .rsplit('%')
            .next()
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert!(
            text.contains("tensor<1x2x128x128xf32>")
                && text.contains(&format!("reduce(%{masked} init: ")),
            "{text}"
        );
        assert!(!attention(square(2, 128, false), DType::Bf16).contains("iota"));
    }

    /// libtpu itself, in this process: the baselines compile, and the wall is real.
    fn compile(
        text: String,
    ) -> Result<pallas_flash::runtime::MemoryStats, pallas_flash::runtime::Error> {
        use pallas_flash::runtime::{compile, CompileOptions, Plugin, Program, Topology};
        let libtpu = Plugin::libtpu()?;
        let v5e = Topology::tpu(&libtpu, "v5e:1x1")?;
        compile(&v5e, &Program::mlir_text(text), &CompileOptions::default())?.memory_stats()
    }

    #[test]
    fn baselines_compile_for_v5e() {
        let m = compile(matmul(256, 512, 1024, DType::Bf16)).unwrap();
        assert_eq!(
            (m.argument_bytes, m.output_bytes),
            ((256 * 1024 + 1024 * 512) * 2, 256 * 512 * 4)
        );
        let m = compile(attention(square(2, 512, true), DType::Bf16)).unwrap();
        assert_eq!(m.argument_bytes, 3 * 2 * 512 * 128 * 2);
        let decode = AttentionShape {
            batch: 2,
            heads: 4,
            seq_q: 1,
            seq_kv: 4096,
            head_dim: 128,
            causal: false,
        };
        assert_eq!(
            compile(attention(decode, DType::Bf16))
                .unwrap()
                .output_bytes,
            2 * 4 * 128 * 2
        );
    }

    #[test]
    fn retrieval_compiles_for_v5e_with_its_top_k() {
        let m = compile(retrieval(8, 4096, 768, 10)).unwrap();
        assert_eq!(m.argument_bytes, 8 * 768 * 4 + 4096 * 768 * 2);
        // Values and indices, each padded to whole (8, 128) tiles.
        assert!(m.output_bytes >= 8 * 10 * 4 * 2, "{m:?}");
    }

    #[test]
    fn plain_attention_hits_the_hbm_wall_at_32k() {
        // 16 heads × 32768² f32 scores alone are 64 GiB.
        let err = compile(attention(square(16, 32768, false), DType::Bf16)).unwrap_err();
        assert!(
            matches!(err, pallas_flash::runtime::Error::HbmOom { .. }),
            "{err}"
        );
    }
}
