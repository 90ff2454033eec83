//! `vector` and `tpu` ops that move elements: broadcast, shape cast, extract, slices,
//! reductions, transpose, iota, concatenate, repeat. All are strided gathers over flat data.

use super::arith::vector;
use super::value::{row_major_strides, Data, Value, Vector};
use crate::error::Fault;
use crate::module::ReduceKind;
use crate::types::Elem;

/// Reads `src` at `offset + Σ index[d] · strides[d]` for every index of `shape`, row-major.
pub fn gather<T: Copy>(src: &[T], offset: usize, shape: &[usize], strides: &[usize]) -> Vec<T> {
    let total: usize = shape.iter().product();
    let mut out = Vec::with_capacity(total);
    if total == 0 {
        return out;
    }
    let rank = shape.len();
    if rank == 0 {
        out.push(src[offset]);
        return out;
    }
    let (inner, inner_stride) = (shape[rank - 1], strides[rank - 1]);
    let mut index = vec![0usize; rank - 1];
    let mut base = offset;
    loop {
        if inner_stride == 1 {
            out.extend_from_slice(&src[base..base + inner]);
        } else {
            out.extend((0..inner).map(|i| src[base + i * inner_stride]));
        }
        let mut d = rank - 1;
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            index[d] += 1;
            base += strides[d];
            if index[d] < shape[d] {
                break;
            }
            base -= strides[d] * shape[d];
            index[d] = 0;
        }
    }
}

fn gather_data(data: &Data, offset: usize, shape: &[usize], strides: &[usize]) -> Data {
    match data {
        Data::F(v) => Data::F(gather(v, offset, shape, strides)),
        Data::I(v) => Data::I(gather(v, offset, shape, strides)),
    }
}

/// `vector.broadcast`: a scalar everywhere, or a vector stretched along unit and new
/// leading dims.
pub fn broadcast(src: &Value, shape: &[usize], elem: Elem) -> Result<Value, Fault> {
    let n: usize = shape.iter().product();
    let data = match src {
        Value::Float(f) => Data::F(vec![*f as f32; n]),
        Value::Int(i) => Data::I(vec![*i as i32; n]),
        Value::Vector(v) => {
            let extra = shape
                .len()
                .checked_sub(v.shape.len())
                .ok_or_else(|| Fault::ty("broadcast to a lower rank"))?;
            let src_strides = row_major_strides(&v.shape);
            let mut strides = vec![0; shape.len()];
            for (d, (&s, &stride)) in v.shape.iter().zip(&src_strides).enumerate() {
                let t = shape[extra + d];
                if s == t {
                    strides[extra + d] = stride;
                } else if s != 1 {
                    return Err(Fault::ty(format!(
                        "cannot broadcast {:?} to {shape:?}",
                        v.shape
                    )));
                }
            }
            gather_data(&v.data, 0, shape, &strides)
        }
        Value::MemRef(_) => return Err(Fault::ty("broadcast of a memref")),
    };
    Ok(vector(shape.to_vec(), elem, data))
}

pub fn shape_cast(src: &Vector, shape: &[usize]) -> Result<Value, Fault> {
    if shape.iter().product::<usize>() != src.data.len() {
        return Err(Fault::ty(format!(
            "shape_cast of {:?} to {shape:?}",
            src.shape
        )));
    }
    Ok(vector(shape.to_vec(), src.elem, src.data.clone()))
}

/// `vector.extract` at a static position: a scalar, or the sub-vector at a prefix.
pub fn extract(src: &Vector, position: &[i64]) -> Result<Value, Fault> {
    let strides = row_major_strides(&src.shape);
    let mut offset = 0;
    for (d, &p) in position.iter().enumerate() {
        let p = p as usize;
        if d >= src.shape.len() || p >= src.shape[d] {
            return Err(Fault::new(
                crate::error::FaultKind::OutOfBounds,
                format!("extract at {position:?} from {:?}", src.shape),
            ));
        }
        offset += p * strides[d];
    }
    let rest = &src.shape[position.len()..];
    if rest.is_empty() {
        return Ok(match &src.data {
            Data::F(v) => Value::Float(f64::from(v[offset])),
            Data::I(v) => Value::Int(i64::from(v[offset])),
        });
    }
    Ok(vector(
        rest.to_vec(),
        src.elem,
        gather_data(&src.data, offset, rest, &strides[position.len()..]),
    ))
}

pub fn extract_strided_slice(
    src: &Vector,
    offsets: &[usize],
    sizes: &[usize],
    steps: &[usize],
) -> Result<Value, Fault> {
    let strides = row_major_strides(&src.shape);
    let mut offset = 0;
    let mut gather_strides = strides.clone();
    for d in 0..src.shape.len() {
        let (o, step) = (
            offsets.get(d).copied().unwrap_or(0),
            steps.get(d).copied().unwrap_or(1),
        );
        let size = sizes.get(d).copied().unwrap_or(src.shape[d]);
        if size > 0 && o + (size - 1) * step >= src.shape[d] {
            return Err(Fault::new(
                crate::error::FaultKind::OutOfBounds,
                format!(
                    "strided slice at {offsets:?} size {sizes:?} of {:?}",
                    src.shape
                ),
            ));
        }
        offset += o * strides[d];
        gather_strides[d] = strides[d] * step;
    }
    Ok(vector(
        sizes.to_vec(),
        src.elem,
        gather_data(&src.data, offset, sizes, &gather_strides),
    ))
}

pub fn transpose(src: &Vector, perm: &[usize]) -> Result<Value, Fault> {
    if perm.len() != src.shape.len() || perm.iter().any(|p| *p >= perm.len()) {
        return Err(Fault::ty(format!(
            "permutation {perm:?} of rank {}",
            src.shape.len()
        )));
    }
    let strides = row_major_strides(&src.shape);
    let shape: Vec<usize> = perm.iter().map(|p| src.shape[*p]).collect();
    let perm_strides: Vec<usize> = perm.iter().map(|p| strides[*p]).collect();
    Ok(vector(
        shape.clone(),
        src.elem,
        gather_data(&src.data, 0, &shape, &perm_strides),
    ))
}

/// `vector.multi_reduction`: `acc` combined with the reduction of `src` over `dims`.
pub fn multi_reduction(
    kind: ReduceKind,
    src: &Vector,
    acc: &Value,
    dims: &[usize],
    elem: Elem,
) -> Result<Value, Fault> {
    let rank = src.shape.len();
    let kept: Vec<usize> = (0..rank).filter(|d| !dims.contains(d)).collect();
    let order: Vec<usize> = kept.iter().chain(dims.iter()).copied().collect();
    let moved = transpose(src, &order)?;
    let moved = moved.vector()?;
    let inner: usize = dims.iter().map(|d| src.shape[*d]).product();
    let out_shape: Vec<usize> = kept.iter().map(|d| src.shape[*d]).collect();
    let outer: usize = out_shape.iter().product();
    let scalar_result = out_shape.is_empty();
    match &moved.data {
        Data::F(v) => {
            let init: Vec<f32> = match acc {
                Value::Float(f) => vec![*f as f32],
                Value::Vector(a) => a.floats()?.to_vec(),
                _ => return Err(Fault::ty("reduction accumulator")),
            };
            let f: fn(f32, f32) -> f32 = match kind {
                ReduceKind::Add => |a, b| a + b,
                ReduceKind::Mul => |a, b| a * b,
                ReduceKind::MaxF => |a: f32, b: f32| {
                    if a.is_nan() || b.is_nan() {
                        f32::NAN
                    } else {
                        a.max(b)
                    }
                },
                ReduceKind::MinF => |a: f32, b: f32| {
                    if a.is_nan() || b.is_nan() {
                        f32::NAN
                    } else {
                        a.min(b)
                    }
                },
                _ => return Err(Fault::ty(format!("{kind:?} reduction of floats"))),
            };
            let mut out: Vec<f32> = (0..outer)
                .map(|i| {
                    v[i * inner..(i + 1) * inner]
                        .iter()
                        .fold(init[i.min(init.len() - 1)], |a, b| f(a, *b))
                })
                .collect();
            super::arith::round_all(elem, &mut out);
            Ok(if scalar_result {
                Value::Float(f64::from(out[0]))
            } else {
                vector(out_shape, elem, Data::F(out))
            })
        }
        Data::I(v) => {
            let init: Vec<i32> = match acc {
                Value::Int(i) => vec![*i as i32],
                Value::Vector(a) => a.ints()?.to_vec(),
                _ => return Err(Fault::ty("reduction accumulator")),
            };
            let f: fn(i32, i32) -> i32 = match kind {
                ReduceKind::Add => i32::wrapping_add,
                ReduceKind::Mul => i32::wrapping_mul,
                ReduceKind::MaxSI => i32::max,
                ReduceKind::MinSI => i32::min,
                ReduceKind::MaxUI => |a, b| (a as u32).max(b as u32) as i32,
                ReduceKind::MinUI => |a, b| (a as u32).min(b as u32) as i32,
                ReduceKind::And => |a, b| a & b,
                ReduceKind::Or => |a, b| a | b,
                ReduceKind::XOr => |a, b| a ^ b,
                _ => return Err(Fault::ty(format!("{kind:?} reduction of integers"))),
            };
            let out: Vec<i32> = (0..outer)
                .map(|i| {
                    super::value::wrap(
                        elem,
                        i64::from(
                            v[i * inner..(i + 1) * inner]
                                .iter()
                                .fold(init[i.min(init.len() - 1)], |a, b| f(a, *b)),
                        ),
                    ) as i32
                })
                .collect();
            Ok(if scalar_result {
                Value::Int(i64::from(out[0]))
            } else {
                vector(out_shape, elem, Data::I(out))
            })
        }
    }
}

/// `tpu.iota`: each element's index along `dims` (one dim).
pub fn iota(shape: &[usize], elem: Elem, dims: &[usize]) -> Result<Value, Fault> {
    let [dim] = dims else {
        return Err(Fault::ty(format!(
            "iota over dims {dims:?} (one dim supported)"
        )));
    };
    let dim = *dim;
    if dim >= shape.len() {
        return Err(Fault::ty(format!("iota dim {dim} of rank {}", shape.len())));
    }
    let strides = row_major_strides(shape);
    let n: usize = shape.iter().product();
    let data: Vec<i32> = (0..n)
        .map(|i| ((i / strides[dim]) % shape[dim]) as i32)
        .collect();
    Ok(vector(shape.to_vec(), elem, Data::I(data)))
}

pub fn concatenate(
    parts: &[&Vector],
    dim: usize,
    shape: &[usize],
    elem: Elem,
) -> Result<Value, Fault> {
    let outer: usize = shape[..dim].iter().product();
    let mut out_f = Vec::new();
    let mut out_i = Vec::new();
    for o in 0..outer {
        for p in parts {
            let chunk: usize = p.shape[dim..].iter().product();
            match &p.data {
                Data::F(v) => out_f.extend_from_slice(&v[o * chunk..(o + 1) * chunk]),
                Data::I(v) => out_i.extend_from_slice(&v[o * chunk..(o + 1) * chunk]),
            }
        }
    }
    let data = if out_i.is_empty() {
        Data::F(out_f)
    } else {
        Data::I(out_i)
    };
    if data.len() != shape.iter().product::<usize>() {
        return Err(Fault::ty(format!(
            "concatenate along {dim} does not give {shape:?}"
        )));
    }
    Ok(vector(shape.to_vec(), elem, data))
}

/// `tpu.repeat`: the source tiled `times` times along `dim`.
pub fn repeat(src: &Vector, dim: usize, times: usize) -> Result<Value, Fault> {
    let parts = vec![src; times];
    let mut shape = src.shape.clone();
    *shape
        .get_mut(dim)
        .ok_or_else(|| Fault::ty("repeat dim out of range"))? *= times;
    concatenate(&parts, dim, &shape, src.elem)
}
