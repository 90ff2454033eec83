//! Ops with regions: `stablehlo.while`, `stablehlo.if` and Shardy's
//! `sdy.manual_computation`. Each is generic over the caller's context `C` (anything that
//! holds a [`Body`]), so the regions can be written with the caller's own helpers — a
//! kernel lowering, a program that calls kernels.

use crate::body::{arity, region, results, Body};
use crate::types::{join, names, types, Tensor, TensorType};

/// A `stablehlo.while` over `inits`: `cond` gets the loop values and returns an `i1`
/// scalar; `body` gets them and returns the next ones (same types). Returns the final
/// values.
pub fn while_loop<C: AsMut<Body>>(
    cx: &mut C,
    inits: &[Tensor],
    cond: impl FnOnce(&mut C, &[Tensor]) -> Tensor,
    body: impl FnOnce(&mut C, &[Tensor]) -> Vec<Tensor>,
) -> Vec<Tensor> {
    let w = cx.as_mut();
    let params: Vec<Tensor> = inits
        .iter()
        .map(|v| w.fresh_tensor("a", v.ty.clone()))
        .collect();
    let header = join(&(0..inits.len()).collect::<Vec<_>>(), |&i| {
        format!("{} = {}", params[i].name, inits[i].name)
    });
    let name = w.fresh("w");
    w.line(&format!(
        "{name}{} = stablehlo.while({header}) : {}",
        arity(inits.len()),
        types(inits)
    ));
    w.indent += 1;
    w.line("cond {");
    region(cx, "stablehlo.return", |cx| vec![cond(cx, &params)]);
    cx.as_mut().line("} do {");
    region(cx, "stablehlo.return", |cx| body(cx, &params));
    let w = cx.as_mut();
    w.line("}");
    w.indent -= 1;
    results(&name, inits.iter().map(|v| v.ty.clone()).collect())
}

/// `stablehlo.if` on an `i1` scalar; both branches return values of the same types.
pub fn if_else<C: AsMut<Body>>(
    cx: &mut C,
    cond: &Tensor,
    on_true: impl FnOnce(&mut C) -> Vec<Tensor>,
    on_false: impl FnOnce(&mut C) -> Vec<Tensor>,
) -> Vec<Tensor> {
    let w = cx.as_mut();
    let name = w.fresh("w");
    // The branches are written first (their names come from the shared counter) and
    // spliced under the op line once their result types are known.
    let start = w.out.len();
    region(cx, "stablehlo.return", on_true);
    let then_text = cx.as_mut().out.split_off(start);
    let returned = region(cx, "stablehlo.return", on_false);
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
    w.line(&format!("}}) : ({}) -> ({})", cond.ty, types(&returned)));
    results(&name, returned.iter().map(|v| v.ty.clone()).collect())
}

/// One operand of [`manual_computation`]: the global value and how it is cut into
/// per-device shards.
pub struct ShardedInput<'a> {
    pub value: &'a Tensor,
    /// The `#sdy.sharding` body, e.g. `<@mesh, [{"x"}, {}]>`.
    pub sharding: String,
    /// The shard each device sees.
    pub local: TensorType,
}

/// One result of a [`manual_computation`] body: the per-device value and the global
/// array the devices' values form.
pub struct ShardedOutput {
    pub value: Tensor,
    /// The `#sdy.sharding` body of the global result.
    pub sharding: String,
    pub global: TensorType,
}

/// `sdy.manual_computation` (JAX's `shard_map`): `body` runs once per device on block
/// arguments holding the local shards of `inputs`, over the mesh axes `manual_axes`;
/// returns the global results. `body` may fail, and then nothing is returned.
pub fn manual_computation<C: AsMut<Body>, E>(
    cx: &mut C,
    inputs: &[ShardedInput],
    manual_axes: &str,
    body: impl FnOnce(&mut C, Vec<Tensor>) -> Result<Vec<ShardedOutput>, E>,
) -> Result<Vec<Tensor>, E> {
    let w = cx.as_mut();
    let arguments: Vec<Tensor> = inputs
        .iter()
        .map(|input| w.fresh_tensor("", input.local.clone()))
        .collect();
    // As in `if_else`: the body first, spliced under the op line, which needs the
    // results' global types.
    let start = w.out.len();
    cx.as_mut().indent += 1;
    let outputs = body(cx, arguments.clone());
    let w = cx.as_mut();
    w.indent -= 1;
    let outputs = match outputs {
        Ok(outputs) => outputs,
        Err(e) => {
            // Nothing of a failed body stays in the text.
            w.out.truncate(start);
            return Err(e);
        }
    };
    let locals: Vec<&Tensor> = outputs.iter().map(|o| &o.value).collect();
    w.indent += 1;
    w.line(&format!(
        "sdy.return {} : {}",
        names(&locals),
        types(&locals)
    ));
    w.indent -= 1;
    let body_text = w.out.split_off(start);
    let name = w.fresh("");
    w.line(&format!(
        "{name}{} = sdy.manual_computation({}) in_shardings=[{}] out_shardings=[{}] manual_axes={{{manual_axes}}} ({}) {{",
        arity(outputs.len()),
        join(inputs, |i| i.value.name.clone()),
        join(inputs, |i| i.sharding.clone()),
        join(&outputs, |o| o.sharding.clone()),
        join(&arguments, |a| format!("{}: {}", a.name, a.ty)),
    ));
    w.out.push_str(&body_text);
    w.line(&format!(
        "}} : ({}) -> ({})",
        join(inputs, |i| i.value.ty.to_string()),
        join(&outputs, |o| o.global.to_string()),
    ));
    Ok(results(
        &name,
        outputs.into_iter().map(|o| o.global).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pallas_flash_ir::DType::{F32, I32};

    #[test]
    fn a_loop_carries_its_values_and_an_if_nests_inside_it() {
        let mut b = Body::counting_from(1);
        let x = b.constant(TensorType::new([8], F32), "0.0");
        let start = b.i32(0);
        let out = while_loop(
            &mut b,
            &[start, x],
            |b, p| {
                let n = b.i32(4);
                b.compare("LT", &p[0], &n)
            },
            |b, p| {
                let zero = b.i32(0);
                let first = b.compare("EQ", &p[0], &zero);
                let x = if_else(
                    b,
                    &first,
                    |_| vec![p[1].clone()],
                    |b| vec![b.elementwise("exponential", &[p[1].clone()], F32)],
                );
                let one = b.i32(1);
                vec![
                    b.elementwise("add", &[p[0].clone(), one], I32),
                    x[0].clone(),
                ]
            },
        );
        assert_eq!(
            out.iter().map(Tensor::name).collect::<Vec<_>>(),
            ["%w5#0", "%w5#1"]
        );
        let expected = "    %c1 = stablehlo.constant dense<0.0> : tensor<8xf32>
    %c2 = stablehlo.constant dense<0> : tensor<i32>
    %w5:2 = stablehlo.while(%a3 = %c2, %a4 = %c1) : tensor<i32>, tensor<8xf32>
      cond {
        %c6 = stablehlo.constant dense<4> : tensor<i32>
        %p7 = stablehlo.compare LT, %a3, %c6, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        stablehlo.return %p7 : tensor<i1>
      } do {
        %c8 = stablehlo.constant dense<0> : tensor<i32>
        %p9 = stablehlo.compare EQ, %a3, %c8, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
        %w10 = \"stablehlo.if\"(%p9) ({
          stablehlo.return %a4 : tensor<8xf32>
        }, {
          %v11 = stablehlo.exponential %a4 : tensor<8xf32>
          stablehlo.return %v11 : tensor<8xf32>
        }) : (tensor<i1>) -> (tensor<8xf32>)
        %c12 = stablehlo.constant dense<1> : tensor<i32>
        %v13 = stablehlo.add %a3, %c12 : tensor<i32>
        stablehlo.return %v13, %w10 : tensor<i32>, tensor<8xf32>
      }
";
        assert_eq!(b.out, expected);
    }

    fn input(value: &Tensor) -> ShardedInput<'_> {
        ShardedInput {
            value,
            sharding: "<@mesh, [{\"x\"}]>".into(),
            local: TensorType::new([4], F32),
        }
    }

    #[test]
    fn a_manual_computation_writes_its_body_under_the_op_with_global_results() {
        let mut b = Body::new();
        let x = Tensor::new("%arg0".into(), TensorType::new([16], F32));
        let out = manual_computation(&mut b, &[input(&x)], "\"x\"", |b, args| {
            let e = b.elementwise("exponential", &args, F32);
            Ok::<_, ()>(vec![ShardedOutput {
                value: e,
                sharding: "<@mesh, [{\"x\"}]>".into(),
                global: TensorType::new([16], F32),
            }])
        })
        .unwrap();
        assert_eq!(out[0].name(), "%2");
        assert_eq!(out[0].ty, x.ty);
        assert_eq!(
            b.out,
            "    %2 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{\"x\"}]>] out_shardings=[<@mesh, [{\"x\"}]>] manual_axes={\"x\"} (%0: tensor<4xf32>) {\n      %v1 = stablehlo.exponential %0 : tensor<4xf32>\n      sdy.return %v1 : tensor<4xf32>\n    } : (tensor<16xf32>) -> (tensor<16xf32>)\n"
        );
    }

    #[test]
    fn a_failed_manual_computation_leaves_no_text() {
        let mut b = Body::new();
        let x = Tensor::new("%arg0".into(), TensorType::new([16], F32));
        let err = manual_computation(&mut b, &[input(&x)], "\"x\"", |b, args| {
            b.elementwise("exponential", &args, F32);
            Err("no")
        });
        assert_eq!(err.unwrap_err(), "no");
        assert_eq!((b.out.as_str(), b.indent), ("", 2));
    }
}
