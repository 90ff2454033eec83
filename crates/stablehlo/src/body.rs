//! A function body under construction: fresh SSA names and one typed helper per op.
//!
//! Every op is written in the pretty syntax of StableHLO v1.13 (what `xla-cpu-pjrt` 0.0.1
//! parses, and libtpu with it), with explicit operand and result types so nothing is
//! inferred. Helpers take and return [`Tensor`]s, so callers never spell types or names.

use std::fmt::Write as _;

use pallas_flash_ir::DType;

use crate::types::{join, names, types, Tensor, TensorType};

/// The text of one function body, regions included.
#[derive(Clone, Debug)]
pub struct Body {
    pub(crate) out: String,
    /// Nesting level of the next line; two spaces each.
    pub(crate) indent: usize,
    next: usize,
}

impl Default for Body {
    fn default() -> Self {
        Body::new()
    }
}

impl Body {
    /// The body of `@main`, indented under it; value names count from 0.
    pub fn new() -> Self {
        Body::counting_from(0)
    }

    /// Names count from `first` (the interpret lowering's goldens count from 1).
    pub fn counting_from(first: usize) -> Self {
        Body {
            out: String::new(),
            indent: 2,
            next: first,
        }
    }

    pub(crate) fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{:1$}{text}", "", self.indent * 2);
    }

    /// `%<hint><n>`, `n` unique in the body (regions share the counter).
    pub(crate) fn fresh(&mut self, hint: &str) -> String {
        self.next += 1;
        format!("%{hint}{}", self.next - 1)
    }

    pub(crate) fn fresh_tensor(&mut self, hint: &str, ty: TensorType) -> Tensor {
        Tensor::new(self.fresh(hint), ty)
    }

    /// Writes `%name = rhs` and returns the new value.
    fn op(&mut self, hint: &str, ty: TensorType, rhs: &str) -> Tensor {
        let name = self.fresh(hint);
        self.line(&format!("{name} = {rhs}"));
        Tensor::new(name, ty)
    }

    /// A splat constant; `literal` is already in MLIR syntax for `ty`'s dtype
    /// (`0.000000e+00`, `0xFF800000`, `-1`).
    pub fn constant(&mut self, ty: TensorType, literal: &str) -> Tensor {
        let rhs = format!("stablehlo.constant dense<{literal}> : {ty}");
        self.op("c", ty, &rhs)
    }

    /// An `i32` scalar constant.
    pub fn i32(&mut self, value: i64) -> Tensor {
        self.constant(TensorType::scalar(DType::I32), &value.to_string())
    }

    /// `stablehlo.<op>` (`add`, `exponential`, …) on operands of one shape, giving that
    /// shape in `result`'s dtype.
    pub fn elementwise(&mut self, op: &str, args: &[Tensor], result: DType) -> Tensor {
        let ty = args[0].ty.with_dtype(result);
        let rhs = if args[0].ty.dtype == result && args.iter().all(|a| a.ty == args[0].ty) {
            format!("stablehlo.{op} {} : {ty}", names(args))
        } else {
            format!("stablehlo.{op} {} : ({}) -> {ty}", names(args), types(args))
        };
        self.op("v", ty, &rhs)
    }

    /// `stablehlo.compare` (`direction` is `EQ`, `LT`, …), comparing as the dtype says:
    /// `FLOAT`, `UNSIGNED` for `i1`, else `SIGNED`.
    pub fn compare(&mut self, direction: &str, a: &Tensor, b: &Tensor) -> Tensor {
        let kind = match a.ty.dtype {
            d if d.is_float() => "FLOAT",
            DType::I1 => "UNSIGNED",
            _ => "SIGNED",
        };
        let ty = a.ty.with_dtype(DType::I1);
        let rhs = format!(
            "stablehlo.compare {direction}, {}, {}, {kind} : ({}, {}) -> {ty}",
            a.name, b.name, a.ty, b.ty
        );
        self.op("p", ty, &rhs)
    }

    /// Elementwise choice; `cond` is `i1` of the values' shape or a scalar.
    pub fn select(&mut self, cond: &Tensor, on_true: &Tensor, on_false: &Tensor) -> Tensor {
        let rhs = format!(
            "stablehlo.select {}, {}, {} : ({}, {}, {}) -> {}",
            cond.name, on_true.name, on_false.name, cond.ty, on_true.ty, on_false.ty, on_true.ty
        );
        self.op("v", on_true.ty.clone(), &rhs)
    }

    pub fn convert(&mut self, x: &Tensor, dtype: DType) -> Tensor {
        if x.ty.dtype == dtype {
            return x.clone();
        }
        self.retype("convert", x, x.ty.with_dtype(dtype))
    }

    pub fn reshape(&mut self, x: &Tensor, shape: &[usize]) -> Tensor {
        if x.ty.shape == shape {
            return x.clone();
        }
        self.retype("reshape", x, TensorType::new(shape, x.ty.dtype))
    }

    /// A one-operand op with no attributes whose result type is `ty`.
    fn retype(&mut self, op: &str, x: &Tensor, ty: TensorType) -> Tensor {
        let rhs = format!("stablehlo.{op} {} : ({}) -> {ty}", x.name, x.ty);
        self.op("v", ty, &rhs)
    }

    /// Source dim `i` becomes result dim `dims[i]`.
    pub fn broadcast_in_dim(&mut self, x: &Tensor, dims: &[usize], shape: &[usize]) -> Tensor {
        let ty = TensorType::new(shape, x.ty.dtype);
        self.with_dims("broadcast_in_dim", x, dims, ty)
    }

    /// Result dim `i` is source dim `perm[i]`.
    pub fn transpose(&mut self, x: &Tensor, perm: &[usize]) -> Tensor {
        let shape: Vec<usize> = perm.iter().map(|&p| x.ty.shape[p]).collect();
        self.with_dims("transpose", x, perm, TensorType::new(shape, x.ty.dtype))
    }

    /// A one-operand op with a `dims` attribute.
    fn with_dims(&mut self, op: &str, x: &Tensor, dims: &[usize], ty: TensorType) -> Tensor {
        let rhs = format!(
            "stablehlo.{op} {}, dims = [{}] : ({}) -> {ty}",
            x.name,
            list(dims),
            x.ty
        );
        self.op("v", ty, &rhs)
    }

    /// `i32` indices along `dimension`.
    pub fn iota(&mut self, shape: &[usize], dimension: usize) -> Tensor {
        let ty = TensorType::new(shape, DType::I32);
        let rhs = format!("stablehlo.iota dim = {dimension} : {ty}");
        self.op("v", ty, &rhs)
    }

    /// Reduces `axes` with `stablehlo.<op>` starting from the scalar `init`.
    pub fn reduce(&mut self, op: &str, x: &Tensor, init: &Tensor, axes: &[usize]) -> Tensor {
        let shape: Vec<usize> = (0..x.ty.rank())
            .filter(|d| !axes.contains(d))
            .map(|d| x.ty.shape[d])
            .collect();
        let ty = TensorType::new(shape, x.ty.dtype);
        let rhs = format!(
            "stablehlo.reduce({} init: {}) applies stablehlo.{op} across dimensions = [{}] : ({}, {}) -> {ty}",
            x.name,
            init.name,
            list(axes),
            x.ty,
            init.ty,
        );
        self.op("v", ty, &rhs)
    }

    /// `dot_general` with the first `batch` dims of both operands as batch dims and one
    /// contracting dim each; the result (batch, `a`'s free dims, `b`'s free dims) is
    /// `result`.
    pub fn dot_general(
        &mut self,
        a: &Tensor,
        b: &Tensor,
        batch: usize,
        contracting: [usize; 2],
        result: DType,
    ) -> Tensor {
        let free = |v: &Tensor, c: usize| {
            (batch..v.ty.rank())
                .filter(|&d| d != c)
                .map(|d| v.ty.shape[d])
                .collect::<Vec<_>>()
        };
        let mut shape = a.ty.shape[..batch].to_vec();
        shape.extend(free(a, contracting[0]));
        shape.extend(free(b, contracting[1]));
        let ty = TensorType::new(shape, result);
        let batching = if batch > 0 {
            let dims = list(&(0..batch).collect::<Vec<_>>());
            format!("batching_dims = [{dims}] x [{dims}], ")
        } else {
            String::new()
        };
        let rhs = format!(
            "stablehlo.dot_general {}, {}, {batching}contracting_dims = [{}] x [{}] : ({}, {}) -> {ty}",
            a.name, b.name, contracting[0], contracting[1], a.ty, b.ty,
        );
        self.op("v", ty, &rhs)
    }

    /// Static `[start:limit:stride]` slice of every dim.
    pub fn slice(
        &mut self,
        x: &Tensor,
        start: &[usize],
        limit: &[usize],
        strides: &[usize],
    ) -> Tensor {
        let shape: Vec<usize> = (0..start.len())
            .map(|d| (limit[d] - start[d]).div_ceil(strides[d]))
            .collect();
        let ty = TensorType::new(shape, x.ty.dtype);
        let ranges = join(&(0..start.len()).collect::<Vec<_>>(), |&d| {
            format!("{}:{}:{}", start[d], limit[d], strides[d])
        });
        let rhs = format!("stablehlo.slice {} [{ranges}] : ({}) -> {ty}", x.name, x.ty);
        self.op("v", ty, &rhs)
    }

    /// Slice of `sizes` at `i32` scalar `starts` (clamped into the array by StableHLO).
    pub fn dynamic_slice(&mut self, x: &Tensor, starts: &[Tensor], sizes: &[usize]) -> Tensor {
        let ty = TensorType::new(sizes, x.ty.dtype);
        let rhs = format!(
            "stablehlo.dynamic_slice {}, {}, sizes = [{}] : ({}, {}) -> {ty}",
            x.name,
            names(starts),
            list(sizes),
            x.ty,
            types(starts),
        );
        self.op("v", ty, &rhs)
    }

    /// `x` with `update` written at `i32` scalar `starts`.
    pub fn dynamic_update_slice(
        &mut self,
        x: &Tensor,
        update: &Tensor,
        starts: &[Tensor],
    ) -> Tensor {
        let rhs = format!(
            "stablehlo.dynamic_update_slice {}, {}, {} : ({}, {}, {}) -> {}",
            x.name,
            update.name,
            names(starts),
            x.ty,
            update.ty,
            types(starts),
            x.ty
        );
        self.op("v", x.ty.clone(), &rhs)
    }

    /// Values joined along `axis`; every other dim agrees.
    pub fn concatenate(&mut self, parts: &[Tensor], axis: usize) -> Tensor {
        let mut shape = parts[0].ty.shape.clone();
        shape[axis] = parts.iter().map(|p| p.ty.shape[axis]).sum::<usize>();
        let ty = TensorType::new(shape, parts[0].ty.dtype);
        let rhs = format!(
            "stablehlo.concatenate {}, dim = {axis} : ({}) -> {ty}",
            names(parts),
            types(parts),
        );
        self.op("v", ty, &rhs)
    }

    /// Pads with the scalar `value`: `low` elements before each dim, `high` after,
    /// `interior` between neighbours.
    pub fn pad(
        &mut self,
        x: &Tensor,
        value: &Tensor,
        [low, high, interior]: [&[usize]; 3],
    ) -> Tensor {
        let shape: Vec<usize> = (0..high.len())
            .map(|d| low[d] + x.ty.shape[d] + high[d] + (x.ty.shape[d] - 1) * interior[d])
            .collect();
        let ty = TensorType::new(shape, x.ty.dtype);
        let rhs = format!(
            "stablehlo.pad {}, {}, low = [{}], high = [{}], interior = [{}] : ({}, {}) -> {ty}",
            x.name,
            value.name,
            list(low),
            list(high),
            list(interior),
            x.ty,
            value.ty,
        );
        self.op("v", ty, &rhs)
    }

    /// `stablehlo.all_reduce` of `value` over the devices of `group`, combining two values
    /// with `stablehlo.<combiner>` (`add`, `maximum`); `channel` is unique in the module.
    pub fn all_reduce(
        &mut self,
        value: &Tensor,
        combiner: &str,
        channel: usize,
        group: &[usize],
    ) -> Tensor {
        let out = self.fresh("");
        let scalar = TensorType::scalar(value.ty.dtype);
        let (a, b) = (
            self.fresh_tensor("", scalar.clone()),
            self.fresh_tensor("", scalar.clone()),
        );
        self.line(&format!(
            "{out} = \"stablehlo.all_reduce\"({}) ({{",
            value.name
        ));
        self.indent += 1;
        self.line(&format!(
            "^bb0({}: {scalar}, {}: {scalar}):",
            a.name, b.name
        ));
        region(self, "stablehlo.return", |body| {
            vec![body.elementwise(combiner, &[a, b], scalar.dtype)]
        });
        self.indent -= 1;
        self.line(&format!(
            "}}) {{channel_handle = #stablehlo.channel_handle<handle = {channel}, type = 1>, replica_groups = dense<[[{}]]> : tensor<1x{}xi64>, use_global_device_ids}} : ({}) -> {}",
            list(group),
            group.len(),
            value.ty,
            value.ty
        ));
        Tensor::new(out, value.ty.clone())
    }
}

fn list(dims: &[usize]) -> String {
    join(dims, usize::to_string)
}

/// The names of an op's results: `%w` for one, `%w#0`, `%w#1`, … for several.
pub(crate) fn results(name: &str, tys: Vec<TensorType>) -> Vec<Tensor> {
    let single = tys.len() == 1;
    tys.into_iter()
        .enumerate()
        .map(|(i, ty)| {
            let name = if single {
                name.to_owned()
            } else {
                format!("{name}#{i}")
            };
            Tensor::new(name, ty)
        })
        .collect()
}

/// `""` for one result, `":n"` for several (`%w:3 = …`).
pub(crate) fn arity(n: usize) -> String {
    match n {
        1 => String::new(),
        n => format!(":{n}"),
    }
}

/// Writes an indented region body ending in `terminator` (`stablehlo.return`,
/// `sdy.return`) of what `f` returns.
pub(crate) fn region<C: AsMut<Body>>(
    cx: &mut C,
    terminator: &str,
    f: impl FnOnce(&mut C) -> Vec<Tensor>,
) -> Vec<Tensor> {
    cx.as_mut().indent += 1;
    let returned = f(cx);
    let w = cx.as_mut();
    w.line(&format!(
        "{terminator} {} : {}",
        names(&returned),
        types(&returned)
    ));
    w.indent -= 1;
    returned
}

impl AsMut<Body> for Body {
    fn as_mut(&mut self) -> &mut Body {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CustomCall, OutputOperandAlias};
    use pallas_flash_ir::DType::{Bf16, F32};

    fn arg(name: &str, shape: &[usize], dtype: DType) -> Tensor {
        Tensor::new(format!("%{name}"), TensorType::new(shape, dtype))
    }

    #[test]
    fn ops_spell_their_operand_and_result_types() {
        let mut b = Body::new();
        let x = arg("x", &[2, 8, 128], Bf16);
        let y = arg("y", &[2, 128, 64], Bf16);
        let xy = b.dot_general(&x, &y, 1, [2, 1], F32);
        assert_eq!(xy.ty, TensorType::new([2, 8, 64], F32));
        let s = b.slice(&xy, &[0, 0, 0], &[2, 8, 64], &[1, 1, 2]);
        assert_eq!(s.ty.shape, [2, 8, 32]);
        let r = b.reshape(&s, &[16, 32]);
        let same = b.reshape(&r, &[16, 32]);
        assert_eq!(same, r, "a reshape to the same shape writes nothing");
        assert_eq!(
            b.out,
            "    %v0 = stablehlo.dot_general %x, %y, batching_dims = [0] x [0], contracting_dims = [2] x [1] : (tensor<2x8x128xbf16>, tensor<2x128x64xbf16>) -> tensor<2x8x64xf32>\n\
             \x20   %v1 = stablehlo.slice %v0 [0:2:1, 0:8:1, 0:64:2] : (tensor<2x8x64xf32>) -> tensor<2x8x32xf32>\n\
             \x20   %v2 = stablehlo.reshape %v1 : (tensor<2x8x32xf32>) -> tensor<16x32xf32>\n"
        );
    }

    #[test]
    fn a_custom_call_writes_layouts_aliases_and_location_in_attribute_order() {
        let mut b = Body::new();
        let (p, x) = (arg("p", &[4], DType::I32), arg("x", &[8, 128], F32));
        let call = CustomCall {
            target: "tpu_custom_call".into(),
            backend_config: r#"{"a":"b\c"}"#.into(),
            attributes: vec![("kernel_name".into(), "k".into())],
            results: vec![TensorType::new([8, 128], F32), TensorType::scalar(F32)],
            aliases: vec![OutputOperandAlias {
                output: 0,
                operand: 1,
            }],
            location: Some("k".into()),
        };
        let results = b.custom_call(&call, &[&p, &x]);
        assert_eq!(
            results.iter().map(Tensor::name).collect::<Vec<_>>(),
            ["%0#0", "%0#1"]
        );
        assert_eq!(
            b.out.trim(),
            r#"%0:2 = stablehlo.custom_call @tpu_custom_call(%p, %x) {backend_config = "{\"a\":\"b\\c\"}", kernel_name = "k", operand_layouts = [dense<[0]> : tensor<1xindex>, dense<[1, 0]> : tensor<2xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 1, operand_tuple_indices = []>], result_layouts = [dense<[1, 0]> : tensor<2xindex>, dense<[]> : tensor<0xindex>]} : (tensor<4xi32>, tensor<8x128xf32>) -> (tensor<8x128xf32>, tensor<f32>) loc("k")"#
        );
    }

    #[test]
    fn an_all_reduce_combines_in_a_region_over_one_group() {
        let mut b = Body::new();
        let x = arg("x", &[8], F32);
        let sum = b.all_reduce(&x, "add", 3, &[0, 1]);
        assert_eq!(sum.ty, x.ty);
        assert_eq!(
            b.out,
            "    %0 = \"stablehlo.all_reduce\"(%x) ({\n      ^bb0(%1: tensor<f32>, %2: tensor<f32>):\n        %v3 = stablehlo.add %1, %2 : tensor<f32>\n        stablehlo.return %v3 : tensor<f32>\n    }) {channel_handle = #stablehlo.channel_handle<handle = 3, type = 1>, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, use_global_device_ids} : (tensor<8xf32>) -> tensor<8xf32>\n"
        );
    }
}
