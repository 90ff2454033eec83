//! Plain-XLA baselines as StableHLO text: what a user gets from `jnp.einsum` + softmax or
//! `x @ y` without a kernel. Generated here so the peer table needs no Python.

use pallas_flash::ir::DType;

fn tensor(shape: &[usize], dtype: &str) -> String {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("tensor<{}x{dtype}>", dims.join("x"))
}

fn elem(dtype: DType) -> &'static str {
    match dtype {
        DType::F32 => "f32",
        _ => "bf16",
    }
}

/// `o[m, n] = x[m, k] @ y[k, n]` with an f32 result, as one `dot_general`.
pub fn matmul(m: usize, n: usize, k: usize, dtype: DType) -> String {
    let e = elem(dtype);
    let (x, y, o) = (tensor(&[m, k], e), tensor(&[k, n], e), tensor(&[m, n], "f32"));
    format!(
        "module @xla_matmul {{\n  func.func public @main(%x: {x}, %y: {y}) -> {o} {{\n    \
         %0 = stablehlo.dot_general %x, %y, contracting_dims = [1] x [0] : ({x}, {y}) -> {o}\n    \
         return %0 : {o}\n  }}\n}}\n"
    )
}

/// Attention the way XLA sees `softmax(q kᵀ · scale [+ causal mask]) v` on
/// `[batch, heads, seq, head_dim]` tensors: the full `seq × seq` score matrix is
/// materialized in HBM, which is what runs out of memory at long sequences.
pub fn attention(batch: usize, heads: usize, seq: usize, head_dim: usize, causal: bool, dtype: DType) -> String {
    let e = elem(dtype);
    let qkv = tensor(&[batch, heads, seq, head_dim], e);
    let scores = tensor(&[batch, heads, seq, seq], "f32");
    let rows = tensor(&[batch, heads, seq], "f32");
    let out32 = tensor(&[batch, heads, seq, head_dim], "f32");
    let scale = 1.0 / (head_dim as f64).sqrt();
    let mut body = vec![
        format!("%s = stablehlo.dot_general %q, %k, batching_dims = [0, 1] x [0, 1], contracting_dims = [3] x [3] : ({qkv}, {qkv}) -> {scores}"),
        format!("%scale = stablehlo.constant dense<{scale:e}> : {scores}"),
        format!("%scaled = stablehlo.multiply %s, %scale : {scores}"),
        "%ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>".to_string(),
        "%zero = stablehlo.constant dense<0.0> : tensor<f32>".to_string(),
    ];
    let logits = if causal {
        let mask_ty = tensor(&[batch, heads, seq, seq], "i32");
        let pred = tensor(&[batch, heads, seq, seq], "i1");
        body.extend([
            format!("%row = stablehlo.iota dim = 2 : {mask_ty}"),
            format!("%col = stablehlo.iota dim = 3 : {mask_ty}"),
            format!("%visible = stablehlo.compare GE, %row, %col : ({mask_ty}, {mask_ty}) -> {pred}"),
            format!("%ninf_all = stablehlo.broadcast_in_dim %ninf, dims = [] : (tensor<f32>) -> {scores}"),
            format!("%masked = stablehlo.select %visible, %scaled, %ninf_all : {pred}, {scores}"),
        ]);
        "%masked"
    } else {
        "%scaled"
    };
    body.extend([
        format!("%max = stablehlo.reduce({logits} init: %ninf) applies stablehlo.maximum across dimensions = [3] : ({scores}, tensor<f32>) -> {rows}"),
        format!("%max_all = stablehlo.broadcast_in_dim %max, dims = [0, 1, 2] : ({rows}) -> {scores}"),
        format!("%centered = stablehlo.subtract {logits}, %max_all : {scores}"),
        format!("%p = stablehlo.exponential %centered : {scores}"),
        format!("%sum = stablehlo.reduce(%p init: %zero) applies stablehlo.add across dimensions = [3] : ({scores}, tensor<f32>) -> {rows}"),
        format!("%sum_all = stablehlo.broadcast_in_dim %sum, dims = [0, 1, 2] : ({rows}) -> {scores}"),
        format!("%probs = stablehlo.divide %p, %sum_all : {scores}"),
        format!("%probs_lo = stablehlo.convert %probs : ({scores}) -> {}", tensor(&[batch, heads, seq, seq], e)),
        format!(
            "%o32 = stablehlo.dot_general %probs_lo, %v, batching_dims = [0, 1] x [0, 1], contracting_dims = [3] x [2] : ({}, {qkv}) -> {out32}",
            tensor(&[batch, heads, seq, seq], e)
        ),
        format!("%o = stablehlo.convert %o32 : ({out32}) -> {qkv}"),
        format!("return %o : {qkv}"),
    ]);
    format!(
        "module @xla_attention {{\n  func.func public @main(%q: {qkv}, %k: {qkv}, %v: {qkv}) -> {qkv} {{\n    {}\n  }}\n}}\n",
        body.join("\n    ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_types_line_up() {
        let text = matmul(256, 128, 512, DType::Bf16);
        assert!(text.contains("(tensor<256x512xbf16>, tensor<512x128xbf16>) -> tensor<256x128xf32>"), "{text}");
    }

    #[test]
    fn causal_attention_masks_before_the_softmax() {
        let text = attention(1, 2, 128, 64, true, DType::Bf16);
        let (mask, max) = (text.find("%masked =").unwrap(), text.find("%max =").unwrap());
        assert!(mask < max, "{text}");
        assert!(text.contains("tensor<1x2x128x128xf32>") && text.contains("reduce(%masked init: %ninf)"));
        assert!(!attention(1, 2, 128, 64, false, DType::Bf16).contains("iota"));
    }
}
