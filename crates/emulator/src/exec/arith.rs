//! `arith` and `math` on scalars and vectors, element by element: floats computed in f32
//! (TPU transcendentals are f32) and rounded to the result type (bf16: nearest even),
//! integers computed in i64 and wrapped to the result width.

use std::sync::Arc;

use super::value::{round, round_f32, wrap, Data, Value, Vector};
use crate::error::Fault;
use crate::module::{BinOp, CastOp, UnOp};
use crate::types::Elem;

fn float_binary(op: BinOp) -> Option<fn(f32, f32) -> f32> {
    Some(match op {
        BinOp::AddF => |x, y| x + y,
        BinOp::SubF => |x, y| x - y,
        BinOp::MulF => |x, y| x * y,
        BinOp::DivF => |x, y| x / y,
        BinOp::RemF => |x, y| x % y,
        BinOp::MaxF => |x: f32, y: f32| {
            if x.is_nan() || y.is_nan() {
                f32::NAN
            } else {
                x.max(y)
            }
        },
        BinOp::MinF => |x: f32, y: f32| {
            if x.is_nan() || y.is_nan() {
                f32::NAN
            } else {
                x.min(y)
            }
        },
        BinOp::MaxNumF => f32::max,
        BinOp::MinNumF => f32::min,
        BinOp::PowF => f32::powf,
        _ => return None,
    })
}

/// Bits of an integer of `elem`'s width read as unsigned.
fn unsigned(elem: Elem, x: i64) -> u64 {
    match elem {
        Elem::Int(bits) if bits < 64 => (x as u64) & ((1u64 << bits) - 1),
        _ => x as u64,
    }
}

fn int_binary(op: BinOp, elem: Elem, x: i64, y: i64) -> Result<i64, Fault> {
    let (ux, uy) = (unsigned(elem, x), unsigned(elem, y));
    let zero = || Fault::ty(format!("integer division by zero ({x} / {y})"));
    Ok(match op {
        BinOp::AddI => x.wrapping_add(y),
        BinOp::SubI => x.wrapping_sub(y),
        BinOp::MulI => x.wrapping_mul(y),
        BinOp::DivSI => x.checked_div(y).ok_or_else(zero)?,
        BinOp::DivUI => ux.checked_div(uy).ok_or_else(zero)? as i64,
        BinOp::RemSI => x.checked_rem(y).ok_or_else(zero)?,
        BinOp::RemUI => ux.checked_rem(uy).ok_or_else(zero)? as i64,
        BinOp::CeilDivSI => {
            let q = x.checked_div(y).ok_or_else(zero)?;
            if q * y != x && ((x > 0) == (y > 0)) {
                q + 1
            } else {
                q
            }
        }
        BinOp::FloorDivSI => {
            let q = x.checked_div(y).ok_or_else(zero)?;
            if q * y != x && ((x < 0) != (y < 0)) {
                q - 1
            } else {
                q
            }
        }
        BinOp::MaxSI => x.max(y),
        BinOp::MinSI => x.min(y),
        BinOp::MaxUI => ux.max(uy) as i64,
        BinOp::MinUI => ux.min(uy) as i64,
        BinOp::AndI => x & y,
        BinOp::OrI => x | y,
        BinOp::XOrI => x ^ y,
        BinOp::ShLI => x.checked_shl(y as u32).unwrap_or(0),
        BinOp::ShRSI => x
            .checked_shr(y as u32)
            .unwrap_or(if x < 0 { -1 } else { 0 }),
        BinOp::ShRUI => ux.checked_shr(y as u32).unwrap_or(0) as i64,
        _ => return Err(Fault::ty(format!("{op:?} on integers"))),
    })
}

/// `op(a, b)` with the result of element type `elem`.
pub fn binary(op: BinOp, a: &Value, b: &Value, elem: Elem) -> Result<Value, Fault> {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            let f = float_binary(op).ok_or_else(|| Fault::ty(format!("{op:?} on floats")))?;
            Ok(Value::Float(round(
                elem,
                f64::from(f(*x as f32, *y as f32)),
            )))
        }
        (Value::Int(x), Value::Int(y)) => Ok(Value::Int(wrap(elem, int_binary(op, elem, *x, *y)?))),
        (Value::Vector(x), Value::Vector(y)) => {
            if x.shape != y.shape {
                return Err(Fault::ty(format!(
                    "{op:?} on shapes {:?} and {:?}",
                    x.shape, y.shape
                )));
            }
            let data = match (&x.data, &y.data) {
                (Data::F(xs), Data::F(ys)) => {
                    let f =
                        float_binary(op).ok_or_else(|| Fault::ty(format!("{op:?} on floats")))?;
                    let mut out: Vec<f32> = xs.iter().zip(ys).map(|(p, q)| f(*p, *q)).collect();
                    round_all(elem, &mut out);
                    Data::F(out)
                }
                (Data::I(xs), Data::I(ys)) => Data::I(
                    xs.iter()
                        .zip(ys)
                        .map(|(p, q)| {
                            int_binary(op, elem, i64::from(*p), i64::from(*q))
                                .map(|r| wrap(elem, r) as i32)
                        })
                        .collect::<Result<_, _>>()?,
                ),
                _ => {
                    return Err(Fault::ty(format!(
                        "{op:?} on a float and an integer vector"
                    )))
                }
            };
            Ok(vector(x.shape.clone(), elem, data))
        }
        _ => Err(Fault::ty(format!("{op:?} on mismatched operands"))),
    }
}

pub fn round_all(elem: Elem, values: &mut [f32]) {
    if elem != Elem::F32 {
        values.iter_mut().for_each(|v| *v = round_f32(elem, *v));
    }
}

pub fn vector(shape: Vec<usize>, elem: Elem, data: Data) -> Value {
    Value::Vector(Arc::new(Vector { shape, elem, data }))
}

fn erf(x: f32) -> f32 {
    // The Numerical Recipes erfc approximation in f64 (relative error below 1.2e-7).
    let x = f64::from(x);
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let y = 1.0
        - t * (-x * x - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    (if x >= 0.0 { y } else { -y }) as f32
}

fn float_unary(op: UnOp) -> Option<fn(f32) -> f32> {
    Some(match op {
        UnOp::NegF => |x: f32| -x,
        UnOp::Exp => f32::exp,
        UnOp::Exp2 => f32::exp2,
        UnOp::Log => f32::ln,
        UnOp::Log1p => f32::ln_1p,
        UnOp::Sqrt => f32::sqrt,
        UnOp::Rsqrt => |x: f32| 1.0 / x.sqrt(),
        UnOp::Tanh => f32::tanh,
        UnOp::AbsF => f32::abs,
        UnOp::Floor => f32::floor,
        UnOp::Ceil => f32::ceil,
        UnOp::Sin => f32::sin,
        UnOp::Cos => f32::cos,
        UnOp::Erf => erf,
        UnOp::RoundEven => f32::round_ties_even,
        UnOp::Round => f32::round,
        UnOp::Reciprocal => |x: f32| 1.0 / x,
        UnOp::AbsI => return None,
    })
}

pub fn unary(op: UnOp, a: &Value, elem: Elem) -> Result<Value, Fault> {
    if op == UnOp::AbsI {
        return match a {
            Value::Int(x) => Ok(Value::Int(wrap(elem, x.wrapping_abs()))),
            Value::Vector(v) => Ok(vector(
                v.shape.clone(),
                elem,
                Data::I(v.ints()?.iter().map(|x| x.wrapping_abs()).collect()),
            )),
            _ => Err(Fault::ty("absi on a non-integer")),
        };
    }
    let f = float_unary(op).ok_or_else(|| Fault::ty(format!("{op:?}")))?;
    match a {
        Value::Float(x) => Ok(Value::Float(round(elem, f64::from(f(*x as f32))))),
        Value::Vector(v) => {
            let mut out: Vec<f32> = v.floats()?.iter().map(|x| f(*x)).collect();
            round_all(elem, &mut out);
            Ok(vector(v.shape.clone(), elem, Data::F(out)))
        }
        _ => Err(Fault::ty(format!("{op:?} on a non-float"))),
    }
}

fn cmpi(pred: i64, elem: Elem, x: i64, y: i64) -> Result<bool, Fault> {
    let (ux, uy) = (unsigned(elem, x), unsigned(elem, y));
    Ok(match pred {
        0 => x == y,
        1 => x != y,
        2 => x < y,
        3 => x <= y,
        4 => x > y,
        5 => x >= y,
        6 => ux < uy,
        7 => ux <= uy,
        8 => ux > uy,
        9 => ux >= uy,
        _ => return Err(Fault::ty(format!("cmpi predicate {pred}"))),
    })
}

fn cmpf(pred: i64, x: f32, y: f32) -> Result<bool, Fault> {
    let unordered = x.is_nan() || y.is_nan();
    let ordered = |r: bool| !unordered && r;
    let or_unordered = |r: bool| unordered || r;
    Ok(match pred {
        0 => false,
        1 => ordered(x == y),
        2 => ordered(x > y),
        3 => ordered(x >= y),
        4 => ordered(x < y),
        5 => ordered(x <= y),
        6 => ordered(x != y),
        7 => !unordered,
        8 => or_unordered(x == y),
        9 => or_unordered(x > y),
        10 => or_unordered(x >= y),
        11 => or_unordered(x < y),
        12 => or_unordered(x <= y),
        13 => or_unordered(x != y),
        14 => unordered,
        15 => true,
        _ => return Err(Fault::ty(format!("cmpf predicate {pred}"))),
    })
}

/// `arith.cmpi` / `arith.cmpf`: an `i1` scalar or vector. `operand` is the compared type.
pub fn compare(
    float: bool,
    pred: i64,
    a: &Value,
    b: &Value,
    operand: Elem,
) -> Result<Value, Fault> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) if !float => {
            Ok(Value::Int(i64::from(cmpi(pred, operand, *x, *y)?)))
        }
        (Value::Float(x), Value::Float(y)) if float => {
            Ok(Value::Int(i64::from(cmpf(pred, *x as f32, *y as f32)?)))
        }
        (Value::Vector(x), Value::Vector(y)) => {
            let out: Vec<i32> = match (&x.data, &y.data) {
                (Data::F(xs), Data::F(ys)) => xs
                    .iter()
                    .zip(ys)
                    .map(|(p, q)| cmpf(pred, *p, *q).map(i32::from))
                    .collect::<Result<_, _>>()?,
                (Data::I(xs), Data::I(ys)) => xs
                    .iter()
                    .zip(ys)
                    .map(|(p, q)| cmpi(pred, operand, i64::from(*p), i64::from(*q)).map(i32::from))
                    .collect::<Result<_, _>>()?,
                _ => return Err(Fault::ty("comparing a float and an integer vector")),
            };
            Ok(vector(x.shape.clone(), Elem::Int(1), Data::I(out)))
        }
        _ => Err(Fault::ty("comparison of mismatched operands")),
    }
}

/// `arith.select`: a scalar condition picks a whole operand, a vector one picks per element.
pub fn select(cond: &Value, a: &Value, b: &Value) -> Result<Value, Fault> {
    match cond {
        Value::Int(c) => Ok(if *c != 0 { a.clone() } else { b.clone() }),
        Value::Vector(c) => {
            let (x, y) = (a.vector()?, b.vector()?);
            let c = c.ints()?;
            let data = match (&x.data, &y.data) {
                (Data::F(xs), Data::F(ys)) => Data::F(
                    c.iter()
                        .zip(xs.iter().zip(ys))
                        .map(|(c, (p, q))| if *c != 0 { *p } else { *q })
                        .collect(),
                ),
                (Data::I(xs), Data::I(ys)) => Data::I(
                    c.iter()
                        .zip(xs.iter().zip(ys))
                        .map(|(c, (p, q))| if *c != 0 { *p } else { *q })
                        .collect(),
                ),
                _ => return Err(Fault::ty("select between a float and an integer vector")),
            };
            Ok(vector(x.shape.clone(), x.elem, data))
        }
        _ => Err(Fault::ty("select condition is not i1")),
    }
}

fn saturate(to: Elem, x: f64) -> i64 {
    if x.is_nan() {
        return 0;
    }
    match to {
        Elem::Int(bits) if bits < 64 => {
            let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
            (x.trunc() as i64).clamp(lo, hi)
        }
        _ => x.trunc() as i64,
    }
}

fn cast_scalar(op: CastOp, from: Elem, to: Elem, a: &Value) -> Result<Value, Fault> {
    Ok(match op {
        CastOp::ExtF | CastOp::TruncF => Value::Float(round(to, a.float()?)),
        CastOp::FpToSi => Value::Int(wrap(to, saturate(to, a.float()?))),
        CastOp::FpToUi => Value::Int(wrap(to, a.float()?.max(0.0).trunc() as i64)),
        CastOp::SiToFp => Value::Float(round(to, a.int()? as f64)),
        CastOp::UiToFp => Value::Float(round(to, unsigned(from, a.int()?) as f64)),
        CastOp::ExtUI | CastOp::IndexCastUI => {
            Value::Int(wrap(to, unsigned(from, a.int()?) as i64))
        }
        CastOp::ExtSI | CastOp::TruncI | CastOp::IndexCast => Value::Int(wrap(to, a.int()?)),
        CastOp::Bitcast => match (a, from, to) {
            (Value::Float(x), Elem::F32, Elem::Int(32)) => {
                Value::Int(i64::from((*x as f32).to_bits() as i32))
            }
            (Value::Int(x), Elem::Int(32), Elem::F32) => {
                Value::Float(f64::from(f32::from_bits(*x as u32)))
            }
            (Value::Float(x), Elem::Bf16, Elem::Int(16)) => {
                Value::Int(i64::from(half::bf16::from_f64(*x).to_bits() as i16))
            }
            (Value::Int(x), Elem::Int(16), Elem::Bf16) => {
                Value::Float(f64::from(half::bf16::from_bits(*x as u16).to_f32()))
            }
            (v, f, t) if f == t => v.clone(),
            _ => {
                return Err(Fault::ty(format!(
                    "bitcast {} to {}",
                    from.name(),
                    to.name()
                )))
            }
        },
    })
}

/// Casts between element types, scalar or vector.
pub fn cast(op: CastOp, from: Elem, to: Elem, a: &Value) -> Result<Value, Fault> {
    let Value::Vector(v) = a else {
        return cast_scalar(op, from, to, a);
    };
    let data = match (&v.data, to.is_float() && op != CastOp::Bitcast) {
        (Data::F(xs), true) if matches!(op, CastOp::ExtF | CastOp::TruncF) => {
            let mut out = xs.clone();
            round_all(to, &mut out);
            Data::F(out)
        }
        _ => {
            // The general path: element by element through the scalar rule.
            let scalars: Vec<Value> = match &v.data {
                Data::F(xs) => xs.iter().map(|x| Value::Float(f64::from(*x))).collect(),
                Data::I(xs) => xs.iter().map(|x| Value::Int(i64::from(*x))).collect(),
            };
            let out = scalars
                .iter()
                .map(|s| cast_scalar(op, from, to, s))
                .collect::<Result<Vec<_>, _>>()?;
            if to.is_float() {
                Data::F(
                    out.iter()
                        .map(|s| s.float().map(|f| f as f32))
                        .collect::<Result<_, _>>()?,
                )
            } else {
                Data::I(
                    out.iter()
                        .map(|s| s.int().map(|i| i as i32))
                        .collect::<Result<_, _>>()?,
                )
            }
        }
    };
    Ok(vector(v.shape.clone(), to, data))
}
