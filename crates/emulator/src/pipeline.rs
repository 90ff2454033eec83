//! The Pallas TPU pipeline around the kernel body: the grid in order (or parallel axes
//! shuffled), block indices from the transform functions each step, input blocks copied in
//! when their block index changes, output blocks written back when it changes and at the
//! end (a revisited block stays resident, so accumulators work). Out-of-bounds parts of
//! edge blocks read as NaN and are not written back.

use crate::abi::KernelAbi;
use crate::array::HostArray;
use crate::error::{Error, Fault, Result};
use crate::exec::{memref, Data, Machine, Memory, Value, View, POISON};
use crate::module::Module;
use crate::types::{Elem, MemElem, MemRefType, Space};

/// The order grid steps run in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GridOrder {
    /// Row-major over the grid, as the TPU runs it.
    #[default]
    InOrder,
    /// Parallel axes' index tuples in a pseudo-random order (from the seed), arbitrary axes
    /// in order within each: a kernel that depends on the order of parallel steps fails.
    Shuffled(u64),
}

#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub order: GridOrder,
    /// Output array shapes; inferred from the grid and windows when `None` (exact unless
    /// the last block of a dim is partial).
    pub output_shapes: Option<Vec<Vec<usize>>>,
}

/// Every grid index tuple, in the requested order.
fn steps(abi: &KernelAbi, order: GridOrder) -> Vec<Vec<i64>> {
    let total: usize = abi.grid.iter().product();
    let mut all: Vec<Vec<i64>> = (0..total)
        .map(|mut flat| {
            let mut idx = vec![0i64; abi.grid.len()];
            for d in (0..abi.grid.len()).rev() {
                idx[d] = (flat % abi.grid[d]) as i64;
                flat /= abi.grid[d];
            }
            idx
        })
        .collect();
    if let GridOrder::Shuffled(seed) = order {
        let key = |s: &Vec<i64>| -> u64 {
            let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
            for (d, v) in s.iter().enumerate() {
                if abi.parallel[d] {
                    h = (h ^ (*v as u64).wrapping_add(d as u64 * 0x1000_0000))
                        .wrapping_mul(0x2545_F491_4F6C_DD1D);
                    h ^= h >> 29;
                }
            }
            h
        };
        all.sort_by_key(key);
    }
    all
}

struct Operand {
    /// The whole array (HBM).
    hbm: usize,
    /// The VMEM block buffer of a windowed operand.
    block: Option<usize>,
    /// Block indices resident in `block`.
    resident: Option<Vec<i64>>,
}

fn operand_error(index: usize, what: &str, message: String) -> Error {
    Error::Operand {
        index,
        what: what.to_string(),
        message,
    }
}

fn elem_of(ty: &MemRefType) -> Result<Elem> {
    match ty.elem {
        MemElem::Data(e) => Ok(e),
        other => Err(Error::Signature(format!("operand memref of {other}"))),
    }
}

/// Runs the kernel over its grid on `operands` (scalar prefetch first, then inputs); the
/// rest of the window params are outputs.
pub fn run(
    module: &Module,
    abi: &KernelAbi,
    operands: &[HostArray],
    options: &RunOptions,
) -> Result<Vec<HostArray>> {
    let kernel = module
        .func(&abi.kernel)
        .ok_or_else(|| Error::Signature(format!("no function @{}", abi.kernel)))?;
    let n_prefetch = abi.prefetch.len();
    if operands.len() < n_prefetch || operands.len() - n_prefetch > abi.windows.len() {
        return Err(Error::Signature(format!(
            "{} operands given; the kernel takes {n_prefetch} scalar prefetch operands and at most {} inputs",
            operands.len(),
            abi.windows.len()
        )));
    }
    let n_inputs = operands.len() - n_prefetch;
    let mut m = Machine::new(module);

    let mut prefetch = Vec::new();
    for (i, (host, ty)) in operands.iter().zip(&abi.prefetch).enumerate() {
        let host = checked(i, "scalar prefetch", host, ty, Some(&ty.shape))?;
        let id = m.mem.alloc(
            format!("scalar prefetch {i}"),
            ty.elem,
            Space::Smem,
            &host.shape,
        );
        m.mem.buffers[id].data = host.data;
        prefetch.push(memref(View::whole(id, &ty.shape)));
    }

    let mut ops = Vec::new();
    for (i, (ty, window)) in abi.operands.iter().zip(&abi.windows).enumerate() {
        let is_input = i < n_inputs;
        let label = if is_input {
            format!("input {i}")
        } else {
            format!("output {}", i - n_inputs)
        };
        let shape = if is_input {
            let host = &operands[n_prefetch + i];
            let whole = window.is_none().then_some(ty.shape.as_slice());
            let host = checked(n_prefetch + i, &label, host, ty, whole)?;
            if let Some(w) = window {
                if w.bounds.len() != host.shape.len() {
                    return Err(operand_error(
                        n_prefetch + i,
                        &label,
                        format!(
                            "rank {} but the window {:?} has rank {}",
                            host.shape.len(),
                            w.bounds,
                            w.bounds.len()
                        ),
                    ));
                }
            }
            let space = if window.is_some() {
                Space::Hbm
            } else {
                ty.space
            };
            let id = m
                .mem
                .alloc(label.clone(), MemElem::Data(host.elem), space, &host.shape);
            m.mem.buffers[id].data = host.data;
            ops.push(Operand {
                hbm: id,
                block: None,
                resident: None,
            });
            continue;
        } else {
            output_shape(&mut m, abi, i - n_inputs, n_inputs, &prefetch, options)?
        };
        let space = if window.is_some() {
            Space::Hbm
        } else {
            ty.space
        };
        let id = m.mem.alloc(label, ty.elem, space, &shape);
        ops.push(Operand {
            hbm: id,
            block: None,
            resident: None,
        });
    }
    for (i, (op, ty)) in ops.iter_mut().zip(&abi.operands).enumerate() {
        if abi.windows[i].is_some() {
            let name = format!("{} block", m.mem.buffers[op.hbm].name);
            op.block = Some(m.mem.alloc(name, ty.elem, ty.space, &ty.shape));
        }
    }
    let scratch: Vec<Value> = abi
        .scratch
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            memref(View::whole(
                m.mem
                    .alloc(format!("scratch {i}"), ty.elem, ty.space, &ty.shape),
                &ty.shape,
            ))
        })
        .collect();

    for step in steps(abi, options.order) {
        m.step = step.clone();
        for (i, op) in ops.iter_mut().enumerate() {
            let (Some(w), Some(block)) = (&abi.windows[i], op.block) else {
                continue;
            };
            let idx = block_indices(&mut m, &w.transform, &step, &prefetch)?;
            if op.resident.as_ref() == Some(&idx) {
                continue;
            }
            if i >= n_inputs {
                if let Some(old) = op.resident.take() {
                    write_back(&mut m.mem, block, op.hbm, &old, &w.bounds);
                    poison(&mut m.mem, block);
                }
            } else {
                copy_in(&mut m.mem, op.hbm, block, &idx, &w.bounds);
            }
            op.resident = Some(idx);
        }
        let mut args: Vec<Value> = step.iter().map(|v| Value::Int(*v)).collect();
        args.extend(prefetch.iter().cloned());
        for (op, ty) in ops.iter().zip(&abi.operands) {
            let view = match op.block {
                Some(block) => View::whole(block, &ty.shape),
                None => View::whole(op.hbm, &m.mem.buffers[op.hbm].shape),
            };
            args.push(memref(view));
        }
        args.extend(scratch.iter().cloned());
        m.call(kernel, args)?;
    }
    for (i, op) in ops.iter().enumerate().skip(n_inputs) {
        if let (Some(w), Some(block), Some(idx)) = (&abi.windows[i], op.block, &op.resident) {
            write_back(&mut m.mem, block, op.hbm, idx, &w.bounds);
        }
    }
    m.dma.finish(&m.mem).map_err(|f| fault_at_end(&m, f))?;
    Ok(ops[n_inputs..]
        .iter()
        .map(|op| {
            let buf = &m.mem.buffers[op.hbm];
            let elem = match buf.elem {
                MemElem::Data(e) => e,
                _ => Elem::Int(32),
            };
            HostArray {
                elem,
                shape: buf.shape.clone(),
                data: buf.data.clone(),
            }
        })
        .collect())
}

fn fault_at_end(m: &Machine, f: Fault) -> Error {
    Error::Fault {
        kind: f.kind,
        step: m.step.clone(),
        op: "end of kernel".into(),
        location: "after the last grid step".into(),
        message: f.message,
    }
}

/// `host` converted to the kernel's element type, with its shape checked against `shape`.
fn checked(
    index: usize,
    what: &str,
    host: &HostArray,
    ty: &MemRefType,
    shape: Option<&[usize]>,
) -> Result<HostArray> {
    let elem = elem_of(ty)?;
    let host = host.converted(elem).ok_or_else(|| {
        operand_error(
            index,
            what,
            format!(
                "dtype {} where the kernel takes {}",
                host.elem.name(),
                elem.name()
            ),
        )
    })?;
    if let Some(shape) = shape {
        if host.shape != shape {
            return Err(operand_error(
                index,
                what,
                format!("shape {:?} where the kernel takes {shape:?}", host.shape),
            ));
        }
    }
    if host.data.len() != host.len() {
        return Err(operand_error(
            index,
            what,
            format!("{} values for shape {:?}", host.data.len(), host.shape),
        ));
    }
    Ok(host)
}

fn block_indices(
    m: &mut Machine,
    transform: &str,
    step: &[i64],
    prefetch: &[Value],
) -> Result<Vec<i64>> {
    let f = m
        .module
        .func(transform)
        .ok_or_else(|| Error::Signature(format!("no function @{transform}")))?;
    let mut args: Vec<Value> = step.iter().map(|v| Value::Int(*v)).collect();
    args.extend(prefetch.iter().cloned());
    let out = m.call(f, args)?;
    out.iter()
        .map(|v| v.int())
        .collect::<Result<Vec<_>, Fault>>()
        .map_err(|f| Error::Fault {
            kind: f.kind,
            step: step.to_vec(),
            op: "func.return".into(),
            location: format!("@{transform}"),
            message: f.message,
        })
}

/// An output's shape: given, or the extent of the blocks the grid visits.
fn output_shape(
    m: &mut Machine,
    abi: &KernelAbi,
    k: usize,
    n_inputs: usize,
    prefetch: &[Value],
    options: &RunOptions,
) -> Result<Vec<usize>> {
    if let Some(shapes) = &options.output_shapes {
        return shapes
            .get(k)
            .cloned()
            .ok_or_else(|| Error::Signature(format!("no shape given for output {k}")));
    }
    let i = n_inputs + k;
    let Some(w) = &abi.windows[i] else {
        return Ok(abi.operands[i].shape.clone());
    };
    let mut extent = vec![0usize; w.bounds.len()];
    for step in steps(abi, GridOrder::InOrder) {
        m.step = step.clone();
        let idx = block_indices(m, &w.transform, &step, prefetch)?;
        for (d, v) in idx.iter().enumerate() {
            extent[d] = extent[d].max((*v.max(&0) as usize + 1) * w.bounds[d]);
        }
    }
    Ok(extent)
}

/// Calls `f(array offset, block offset, in-bounds length, row length)` per block row.
fn rows(
    array: &[usize],
    bounds: &[usize],
    idx: &[i64],
    mut f: impl FnMut(Option<usize>, usize, usize, usize),
) {
    let rank = bounds.len();
    if rank == 0 {
        f(Some(0), 0, 1, 1);
        return;
    }
    let strides = crate::exec::row_major_strides(array);
    let start: Vec<i64> = idx.iter().zip(bounds).map(|(i, b)| i * *b as i64).collect();
    let inner = bounds[rank - 1];
    let inner_start = start[rank - 1];
    let valid = (array[rank - 1] as i64 - inner_start).clamp(0, inner as i64) as usize;
    let outer: usize = bounds[..rank - 1].iter().product();
    let mut pos = vec![0usize; rank - 1];
    for row in 0..outer {
        let mut offset = Some(inner_start.max(0) as usize);
        for d in 0..rank - 1 {
            let a = start[d] + pos[d] as i64;
            match &mut offset {
                Some(o) if a >= 0 && (a as usize) < array[d] => *o += a as usize * strides[d],
                _ => offset = None,
            }
        }
        let valid = if inner_start < 0 { 0 } else { valid };
        f(offset, row * inner, valid, inner);
        for d in (0..rank - 1).rev() {
            pos[d] += 1;
            if pos[d] < bounds[d] {
                break;
            }
            pos[d] = 0;
        }
    }
}

fn two(mem: &mut Memory, a: usize, b: usize) -> (&mut Data, &mut Data) {
    assert_ne!(a, b, "distinct buffers");
    if a < b {
        let (lo, hi) = mem.buffers.split_at_mut(b);
        (&mut lo[a].data, &mut hi[0].data)
    } else {
        let (lo, hi) = mem.buffers.split_at_mut(a);
        (&mut hi[0].data, &mut lo[b].data)
    }
}

fn copy_in(mem: &mut Memory, hbm: usize, block: usize, idx: &[i64], bounds: &[usize]) {
    let shape = mem.buffers[hbm].shape.clone();
    let (src, dst) = two(mem, hbm, block);
    rows(&shape, bounds, idx, |offset, at, valid, len| {
        match (&*src, &mut *dst) {
            (Data::F(s), Data::F(d)) => {
                let row = &mut d[at..at + len];
                row.fill(POISON);
                if let Some(o) = offset {
                    row[..valid].copy_from_slice(&s[o..o + valid]);
                }
            }
            (Data::I(s), Data::I(d)) => {
                let row = &mut d[at..at + len];
                row.fill(0);
                if let Some(o) = offset {
                    row[..valid].copy_from_slice(&s[o..o + valid]);
                }
            }
            _ => unreachable!("a block has its array's element kind"),
        }
    });
}

fn write_back(mem: &mut Memory, block: usize, hbm: usize, idx: &[i64], bounds: &[usize]) {
    let shape = mem.buffers[hbm].shape.clone();
    let (dst, src) = two(mem, hbm, block);
    rows(&shape, bounds, idx, |offset, at, valid, _| {
        let Some(o) = offset else { return };
        match (&mut *dst, &*src) {
            (Data::F(d), Data::F(s)) => d[o..o + valid].copy_from_slice(&s[at..at + valid]),
            (Data::I(d), Data::I(s)) => d[o..o + valid].copy_from_slice(&s[at..at + valid]),
            _ => unreachable!("a block has its array's element kind"),
        }
    });
}

/// A fresh output block holds garbage on hardware (the other pipeline buffer): NaN here.
fn poison(mem: &mut Memory, block: usize) {
    if let Data::F(v) = &mut mem.buffers[block].data {
        v.fill(POISON);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abi(grid: Vec<usize>, parallel: Vec<bool>) -> KernelAbi {
        KernelAbi {
            kernel: "k".into(),
            grid,
            parallel,
            prefetch: vec![],
            operands: vec![],
            windows: vec![],
            scratch: vec![],
        }
    }

    #[test]
    fn shuffled_steps_permute_parallel_tuples_and_keep_arbitrary_axes_in_order() {
        let abi = abi(vec![4, 3, 5], vec![true, true, false]);
        let in_order = steps(&abi, GridOrder::InOrder);
        let shuffled = steps(&abi, GridOrder::Shuffled(1));
        assert_eq!(in_order.len(), 60);
        assert_ne!(shuffled, in_order);
        let mut sorted = shuffled.clone();
        sorted.sort();
        assert_eq!(sorted, in_order, "a permutation of the grid");
        for chunk in shuffled.chunks(5) {
            assert!(
                chunk.iter().all(|s| s[..2] == chunk[0][..2]),
                "one parallel tuple at a time"
            );
            assert!(
                chunk.iter().enumerate().all(|(k, s)| s[2] == k as i64),
                "arbitrary axis in order"
            );
        }
    }
}
