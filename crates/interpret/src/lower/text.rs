//! The StableHLO text writer: fresh SSA names, tensor types, and one helper per op.
//!
//! Every op is written in the pretty syntax of StableHLO v1.13 (what `xla-cpu-pjrt`
//! 0.0.1 parses), with explicit operand and result types so nothing is inferred.
//! Helpers take and return [`Val`]s (a name and its IR type), so callers never spell
//! types themselves.

use std::fmt::Write as _;

use pallas_flash_ir::{DType, ValueType};

/// An SSA value in the emitted text and its type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Val {
    pub name: String,
    pub ty: ValueType,
}

/// `tensor<8x128xf32>`, `tensor<i32>` for scalars.
pub(crate) fn tensor(ty: &ValueType) -> String {
    let mut s = String::from("tensor<");
    for d in &ty.shape {
        let _ = write!(s, "{d}x");
    }
    s.push_str(ty.dtype.mlir_name());
    s.push('>');
    s
}

fn join<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(", ")
}

fn names(vals: &[Val]) -> String {
    join(vals, |v| v.name.clone())
}

fn types(vals: &[Val]) -> String {
    join(vals, |v| tensor(&v.ty))
}

fn list(dims: &[usize]) -> String {
    join(dims, usize::to_string)
}

/// The names of an op's results: `%w` for one, `%w#0`, `%w#1`, … for several.
fn results(name: &str, tys: Vec<ValueType>) -> Vec<Val> {
    let single = tys.len() == 1;
    tys.into_iter()
        .enumerate()
        .map(|(i, ty)| Val {
            name: if single {
                name.to_owned()
            } else {
                format!("{name}#{i}")
            },
            ty,
        })
        .collect()
}

/// Accumulates the text of one function body.
#[derive(Default)]
pub(crate) struct Writer {
    out: String,
    indent: usize,
    next: usize,
}

impl Writer {
    pub fn new(indent: usize) -> Self {
        Writer {
            indent,
            ..Writer::default()
        }
    }

    pub fn finish(self) -> String {
        self.out
    }

    pub fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{:1$}{text}", "", self.indent * 2);
    }

    fn fresh(&mut self, hint: &str) -> String {
        self.next += 1;
        format!("%{hint}{}", self.next)
    }

    /// Writes `%name = rhs` and returns the new value.
    fn op(&mut self, hint: &str, ty: ValueType, rhs: &str) -> Val {
        let name = self.fresh(hint);
        self.line(&format!("{name} = {rhs}"));
        Val { name, ty }
    }

    /// A splat constant; `literal` is already in MLIR syntax for `ty`'s dtype.
    pub fn constant(&mut self, ty: ValueType, literal: &str) -> Val {
        let rhs = format!("stablehlo.constant dense<{literal}> : {}", tensor(&ty));
        self.op("c", ty, &rhs)
    }

    pub fn i32(&mut self, value: i64) -> Val {
        self.constant(ValueType::scalar(DType::I32), &value.to_string())
    }

    /// `stablehlo.<op>` on operands of one type, giving that type (or `result`).
    pub fn elementwise(&mut self, op: &str, args: &[Val], result: DType) -> Val {
        let ty = args[0].ty.with_dtype(result);
        let rhs = if args[0].ty.dtype == result && args.iter().all(|a| a.ty == args[0].ty) {
            format!("stablehlo.{op} {} : {}", names(args), tensor(&ty))
        } else {
            format!(
                "stablehlo.{op} {} : ({}) -> {}",
                names(args),
                types(args),
                tensor(&ty)
            )
        };
        self.op("v", ty, &rhs)
    }

    /// `stablehlo.compare`; `kind` is `FLOAT`, `SIGNED` or `UNSIGNED`.
    pub fn compare(&mut self, direction: &str, a: &Val, b: &Val) -> Val {
        let kind = match a.ty.dtype {
            d if d.is_float() => "FLOAT",
            DType::I1 => "UNSIGNED",
            _ => "SIGNED",
        };
        let ty = a.ty.with_dtype(DType::I1);
        let rhs = format!(
            "stablehlo.compare {direction}, {}, {}, {kind} : ({}, {}) -> {}",
            a.name,
            b.name,
            tensor(&a.ty),
            tensor(&b.ty),
            tensor(&ty)
        );
        self.op("p", ty, &rhs)
    }

    /// Elementwise choice; `cond` is `i1` of the values' shape or a scalar.
    pub fn select(&mut self, cond: &Val, on_true: &Val, on_false: &Val) -> Val {
        let rhs = format!(
            "stablehlo.select {}, {}, {} : ({}, {}, {}) -> {}",
            cond.name,
            on_true.name,
            on_false.name,
            tensor(&cond.ty),
            tensor(&on_true.ty),
            tensor(&on_false.ty),
            tensor(&on_true.ty)
        );
        self.op("v", on_true.ty.clone(), &rhs)
    }

    pub fn convert(&mut self, x: &Val, dtype: DType) -> Val {
        if x.ty.dtype == dtype {
            return x.clone();
        }
        self.retype("convert", x, x.ty.with_dtype(dtype))
    }

    pub fn reshape(&mut self, x: &Val, shape: &[usize]) -> Val {
        if x.ty.shape == shape {
            return x.clone();
        }
        self.retype("reshape", x, ValueType::new(x.ty.dtype, shape))
    }

    /// A one-operand op with no attributes whose result type is `ty`.
    fn retype(&mut self, op: &str, x: &Val, ty: ValueType) -> Val {
        let rhs = format!(
            "stablehlo.{op} {} : ({}) -> {}",
            x.name,
            tensor(&x.ty),
            tensor(&ty)
        );
        self.op("v", ty, &rhs)
    }

    /// Source dim `i` becomes result dim `dims[i]`.
    pub fn broadcast_in_dim(&mut self, x: &Val, dims: &[usize], shape: &[usize]) -> Val {
        self.with_dims(
            "broadcast_in_dim",
            x,
            dims,
            ValueType::new(x.ty.dtype, shape),
        )
    }

    /// Result dim `i` is source dim `perm[i]`.
    pub fn transpose(&mut self, x: &Val, perm: &[usize]) -> Val {
        let shape: Vec<usize> = perm.iter().map(|&p| x.ty.shape[p]).collect();
        self.with_dims("transpose", x, perm, ValueType::new(x.ty.dtype, shape))
    }

    /// A one-operand op with a `dims` attribute.
    fn with_dims(&mut self, op: &str, x: &Val, dims: &[usize], ty: ValueType) -> Val {
        let rhs = format!(
            "stablehlo.{op} {}, dims = [{}] : ({}) -> {}",
            x.name,
            list(dims),
            tensor(&x.ty),
            tensor(&ty)
        );
        self.op("v", ty, &rhs)
    }

    pub fn iota(&mut self, shape: &[usize], dimension: usize) -> Val {
        let ty = ValueType::new(DType::I32, shape);
        let rhs = format!("stablehlo.iota dim = {dimension} : {}", tensor(&ty));
        self.op("v", ty, &rhs)
    }

    /// Reduces `axes` with `stablehlo.<op>` starting from the scalar `init`.
    pub fn reduce(&mut self, op: &str, x: &Val, init: &Val, axes: &[usize]) -> Val {
        let shape: Vec<usize> = (0..x.ty.shape.len())
            .filter(|d| !axes.contains(d))
            .map(|d| x.ty.shape[d])
            .collect();
        let ty = ValueType::new(x.ty.dtype, shape);
        let rhs = format!(
            "stablehlo.reduce({} init: {}) applies stablehlo.{op} across dimensions = [{}] : ({}, {}) -> {}",
            x.name,
            init.name,
            list(axes),
            tensor(&x.ty),
            tensor(&init.ty),
            tensor(&ty)
        );
        self.op("v", ty, &rhs)
    }

    /// `dot_general` with at most one batch dim (dim 0 of both) and one contracting dim.
    pub fn dot_general(&mut self, a: &Val, b: &Val, batch: usize, contracting: [usize; 2]) -> Val {
        let free = |v: &Val, c: usize| {
            (batch..v.ty.shape.len())
                .filter(|&d| d != c)
                .map(|d| v.ty.shape[d])
                .collect::<Vec<_>>()
        };
        let mut shape = a.ty.shape[..batch].to_vec();
        shape.extend(free(a, contracting[0]));
        shape.extend(free(b, contracting[1]));
        let ty = ValueType::new(a.ty.dtype, shape);
        let batching = if batch == 1 {
            "batching_dims = [0] x [0], "
        } else {
            ""
        };
        let rhs = format!(
            "stablehlo.dot_general {}, {}, {batching}contracting_dims = [{}] x [{}] : ({}, {}) -> {}",
            a.name,
            b.name,
            contracting[0],
            contracting[1],
            tensor(&a.ty),
            tensor(&b.ty),
            tensor(&ty)
        );
        self.op("v", ty, &rhs)
    }

    /// Static `[start:limit:stride]` slice of every dim.
    pub fn slice(&mut self, x: &Val, start: &[usize], limit: &[usize], strides: &[usize]) -> Val {
        let shape: Vec<usize> = (0..start.len())
            .map(|d| (limit[d] - start[d]).div_ceil(strides[d]))
            .collect();
        let ty = ValueType::new(x.ty.dtype, shape);
        let ranges = join(&(0..start.len()).collect::<Vec<_>>(), |&d| {
            format!("{}:{}:{}", start[d], limit[d], strides[d])
        });
        let rhs = format!(
            "stablehlo.slice {} [{ranges}] : ({}) -> {}",
            x.name,
            tensor(&x.ty),
            tensor(&ty)
        );
        self.op("v", ty, &rhs)
    }

    /// Slice of `sizes` at `i32` scalar `starts` (clamped into the array by StableHLO).
    pub fn dynamic_slice(&mut self, x: &Val, starts: &[Val], sizes: &[usize]) -> Val {
        let ty = ValueType::new(x.ty.dtype, sizes);
        let rhs = format!(
            "stablehlo.dynamic_slice {}, {}, sizes = [{}] : ({}, {}) -> {}",
            x.name,
            names(starts),
            list(sizes),
            tensor(&x.ty),
            types(starts),
            tensor(&ty)
        );
        self.op("v", ty, &rhs)
    }

    pub fn dynamic_update_slice(&mut self, x: &Val, update: &Val, starts: &[Val]) -> Val {
        let rhs = format!(
            "stablehlo.dynamic_update_slice {}, {}, {} : ({}, {}, {}) -> {}",
            x.name,
            update.name,
            names(starts),
            tensor(&x.ty),
            tensor(&update.ty),
            types(starts),
            tensor(&x.ty)
        );
        self.op("v", x.ty.clone(), &rhs)
    }

    /// Values joined along `axis`; every other dim agrees.
    pub fn concatenate(&mut self, parts: &[Val], axis: usize) -> Val {
        let mut shape = parts[0].ty.shape.clone();
        shape[axis] = parts.iter().map(|p| p.ty.shape[axis]).sum::<usize>();
        let ty = ValueType::new(parts[0].ty.dtype, shape);
        let rhs = format!(
            "stablehlo.concatenate {}, dim = {axis} : ({}) -> {}",
            names(parts),
            types(parts),
            tensor(&ty)
        );
        self.op("v", ty, &rhs)
    }

    /// Pads with the scalar `value`: `low` elements before each dim, `high` after,
    /// `interior` between neighbours.
    pub fn pad(&mut self, x: &Val, value: &Val, [low, high, interior]: [&[usize]; 3]) -> Val {
        let shape: Vec<usize> = (0..high.len())
            .map(|d| low[d] + x.ty.shape[d] + high[d] + (x.ty.shape[d] - 1) * interior[d])
            .collect();
        let ty = ValueType::new(x.ty.dtype, shape);
        let rhs = format!(
            "stablehlo.pad {}, {}, low = [{}], high = [{}], interior = [{}] : ({}, {}) -> {}",
            x.name,
            value.name,
            list(low),
            list(high),
            list(interior),
            tensor(&x.ty),
            tensor(&value.ty),
            tensor(&ty)
        );
        self.op("v", ty, &rhs)
    }

    /// A fresh name for a region argument or a multi-result op.
    fn fresh_val(&mut self, hint: &str, ty: ValueType) -> Val {
        Val {
            name: self.fresh(hint),
            ty,
        }
    }
}

/// A `stablehlo.while` over `inits`: `cond` gets the loop values and returns an `i1`
/// scalar; `body` gets them and returns the next ones (same types). Generic over the
/// caller's context so the regions can lower kernel code with it.
pub(crate) fn while_loop<C: AsMut<Writer>>(
    cx: &mut C,
    inits: &[Val],
    cond: impl FnOnce(&mut C, &[Val]) -> Val,
    body: impl FnOnce(&mut C, &[Val]) -> Vec<Val>,
) -> Vec<Val> {
    let w = cx.as_mut();
    let params: Vec<Val> = inits
        .iter()
        .map(|v| w.fresh_val("a", v.ty.clone()))
        .collect();
    let header = join(&(0..inits.len()).collect::<Vec<_>>(), |&i| {
        format!("{} = {}", params[i].name, inits[i].name)
    });
    let name = w.fresh("w");
    let arity = arity(inits.len());
    w.line(&format!(
        "{name}{arity} = stablehlo.while({header}) : {}",
        types(inits)
    ));
    w.indent += 1;
    w.line("cond {");
    region(cx, |cx| vec![cond(cx, &params)]);
    cx.as_mut().line("} do {");
    region(cx, |cx| body(cx, &params));
    let w = cx.as_mut();
    w.line("}");
    w.indent -= 1;
    results(&name, inits.iter().map(|v| v.ty.clone()).collect())
}

/// `stablehlo.if` on an `i1` scalar; both branches return values of the same types.
pub(crate) fn if_else<C: AsMut<Writer>>(
    cx: &mut C,
    cond: &Val,
    on_true: impl FnOnce(&mut C) -> Vec<Val>,
    on_false: impl FnOnce(&mut C) -> Vec<Val>,
) -> Vec<Val> {
    let w = cx.as_mut();
    let name = w.fresh("w");
    // The branches are written first (their names come from the shared counter) and
    // spliced under the op line once their result types are known.
    let start = w.out.len();
    region(cx, on_true);
    let then_text = cx.as_mut().out.split_off(start);
    let returned = region(cx, on_false);
    let w = cx.as_mut();
    let else_text = w.out.split_off(start);
    w.line(&format!(
        "{name}{} = \"stablehlo.if\"({}) ({{",
        arity(returned.len()),
        cond.name
    ));
    w.out.push_str(&then_text);
    w.line("}, {");
    w.out.push_str(&else_text);
    w.line(&format!(
        "}}) : ({}) -> ({})",
        tensor(&cond.ty),
        types(&returned)
    ));
    results(&name, returned.iter().map(|v| v.ty.clone()).collect())
}

fn arity(n: usize) -> String {
    match n {
        1 => String::new(),
        n => format!(":{n}"),
    }
}

/// Writes an indented region body ending in `stablehlo.return`.
fn region<C: AsMut<Writer>>(cx: &mut C, f: impl FnOnce(&mut C) -> Vec<Val>) -> Vec<Val> {
    cx.as_mut().indent += 1;
    let returned = f(cx);
    let w = cx.as_mut();
    w.line(&format!(
        "stablehlo.return {} : {}",
        names(&returned),
        types(&returned)
    ));
    w.indent -= 1;
    returned
}
