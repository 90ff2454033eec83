//! Kernel IR → one StableHLO module whose `@main` runs the whole grid.
//!
//! The program, in the order it runs:
//! 1. windowed inputs are padded up to whole blocks with the unspecified fill
//!    ([`literal::unspecified`]: NaN, or the integer minimum), so a partial last block
//!    reads it where the TPU would read garbage;
//! 2. one `stablehlo.while` over the linear step `t` (row-major grid, last axis
//!    fastest) carries the padded output arrays, each output window's previous block
//!    index, and the mutable state: output windows, `Any` outputs, scratch, and a
//!    diagnostic record ([`crate::diagnostic`]);
//! 3. each step evaluates every index map, records an out-of-range block index, slices
//!    the input windows (`dynamic_slice`), gives an output window a fresh, filled buffer
//!    when its block index changed, runs the body, and writes each output window back
//!    (`dynamic_update_slice`);
//! 4. the outputs are sliced back to their shapes, which drops writes past the end.
//!
//! Writing every window back after every step leaves the same arrays as writing back
//! only when the block index changes and after the last step (the Mosaic pipeline):
//! the last write of each visit holds the buffer's final contents, and a revisited
//! block starts from a fresh buffer either way.

mod check;
mod expr;
pub(crate) mod literal;
mod stmt;
mod view;
pub(crate) mod window;

use std::collections::BTreeMap;

use pallas_flash_ir::{DType, Kernel, KernelInfo, RefId, ScratchKind};

use crate::diagnostic;
use pallas_flash_stablehlo::{while_loop, Body, Main, Module, Tensor, TensorType};

/// Body state that statements change; threaded through `if` and `while` regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    /// An output's window buffer (ref-shaped), or the whole array of an `Any` output.
    Output(usize),
    /// A scratch buffer.
    Scratch(usize),
    /// The diagnostic record.
    Diag,
}

/// Lowers a validated kernel. Never fails: the caller has checked dtypes and sizes.
pub(crate) fn lower(kernel: &Kernel, info: &KernelInfo) -> String {
    let mut cx = Lowering {
        kernel,
        info,
        w: Body::counting_from(1),
        values: vec![None; kernel.exprs.len()],
        prefetch: Vec::new(),
        inputs: Vec::new(),
        state: BTreeMap::new(),
        grid: Vec::new(),
        step: None,
    };
    let main = cx.signature();
    let results = cx.main();
    let results: Vec<(&Tensor, Option<String>)> = results.iter().map(|r| (r, None)).collect();
    Module::new(&kernel.name).print(&main.print(&cx.w, &results))
}

/// The lowering context: the writer plus what each IR name currently stands for.
struct Lowering<'k> {
    kernel: &'k Kernel,
    info: &'k KernelInfo,
    w: Body,
    /// Text value of each body expression, once lowered.
    values: Vec<Option<Tensor>>,
    /// Scalar-prefetch arguments.
    prefetch: Vec<Tensor>,
    /// What each input ref is this step: its window block, or the whole `Any` array.
    inputs: Vec<Tensor>,
    state: BTreeMap<Slot, Tensor>,
    /// This step's grid indices.
    grid: Vec<Tensor>,
    /// This step's linear index, for diagnostics.
    step: Option<Tensor>,
}

impl AsMut<Body> for Lowering<'_> {
    fn as_mut(&mut self) -> &mut Body {
        &mut self.w
    }
}

/// A windowed output's loop state: padded array and previous block index.
struct OutputWindow {
    array: Tensor,
    previous: Vec<Tensor>,
}

impl<'k> Lowering<'k> {
    /// `func.func public @main(prefetch…, inputs…)` (returning the outputs and the
    /// diagnostic), binding the arguments.
    fn signature(&mut self) -> Main {
        let k = self.kernel;
        let mut main = Main::new();
        self.prefetch = (k.scalar_prefetch.iter().enumerate())
            .map(|(i, p)| {
                main.named_parameter(
                    &format!("prefetch{i}"),
                    TensorType::new(p.shape.clone(), DType::I32),
                )
            })
            .collect();
        self.inputs = (k.inputs.iter().enumerate())
            .map(|(i, o)| {
                main.named_parameter(&format!("in{i}"), TensorType::new(o.shape.clone(), o.dtype))
            })
            .collect();
        main
    }

    /// The whole grid; returns the outputs and the diagnostic record.
    fn main(&mut self) -> Vec<Tensor> {
        let k = self.kernel;
        let arrays: Vec<Tensor> = (0..k.inputs.len())
            .map(|i| {
                let arg = self.inputs[i].clone();
                self.padded(&arg, &window::padded_shape(&k.inputs[i]))
            })
            .collect();
        let mut windows = BTreeMap::new();
        for (i, o) in k.outputs.iter().enumerate() {
            let shape = window::padded_shape(o);
            let array = match k.aliases.iter().find(|a| a.output == i) {
                Some(alias) => {
                    let input = self.inputs[alias.input].clone();
                    self.padded(&input, &shape)
                }
                None => self.unspecified(o.dtype, &shape),
            };
            match &o.spec.window {
                Some(window) => {
                    let block = self.unspecified(o.dtype, &window.ref_shape());
                    self.state.insert(Slot::Output(i), block);
                    let previous = (0..o.shape.len()).map(|_| self.w.i32(-1)).collect();
                    windows.insert(i, OutputWindow { array, previous });
                }
                None => {
                    self.state.insert(Slot::Output(i), array);
                }
            }
        }
        for (i, s) in k.scratch.iter().enumerate() {
            if let ScratchKind::Buffer { shape, dtype, .. } = &s.kind {
                let buffer = self.unspecified(*dtype, shape);
                self.state.insert(Slot::Scratch(i), buffer);
            }
        }
        let clear = self.w.constant(diagnostic::value_type(), "0");
        self.state.insert(Slot::Diag, clear);

        let windows = self.grid_loop(&arrays, windows);
        let mut results = Vec::new();
        for (i, o) in k.outputs.iter().enumerate() {
            let full = match windows.get(&i) {
                Some(w) => w.array.clone(),
                None => self.state[&Slot::Output(i)].clone(),
            };
            let limit = o.shape.clone();
            results.push(if full.ty.shape == limit {
                full
            } else {
                self.w
                    .slice(&full, &vec![0; limit.len()], &limit, &vec![1; limit.len()])
            });
        }
        results.push(self.state[&Slot::Diag].clone());
        results
    }

    /// The grid `while`; returns the output windows' final state (and updates `state`).
    fn grid_loop(
        &mut self,
        inputs: &[Tensor],
        windows: BTreeMap<usize, OutputWindow>,
    ) -> BTreeMap<usize, OutputWindow> {
        let slots: Vec<Slot> = self.state.keys().copied().collect();
        let mut inits = vec![self.w.i32(0)];
        for w in windows.values() {
            inits.push(w.array.clone());
            inits.extend(w.previous.iter().cloned());
        }
        inits.extend(slots.iter().map(|s| self.state[s].clone()));
        let steps = self.info.grid_steps as i64;
        let steps = self.w.i32(steps);
        let results = while_loop(
            self,
            &inits,
            |cx, p| cx.w.compare("LT", &p[0], &steps),
            |cx, p| {
                let carried = cx.unpack(&windows, &slots, p);
                let next = cx.grid_step(&p[0], inputs, carried);
                let one = cx.w.i32(1);
                let mut out = vec![cx.w.elementwise("add", &[p[0].clone(), one], DType::I32)];
                for w in next.values() {
                    out.push(w.array.clone());
                    out.extend(w.previous.iter().cloned());
                }
                out.extend(slots.iter().map(|s| cx.state[s].clone()));
                out
            },
        );
        self.unpack(&windows, &slots, &results)
    }

    /// Splits loop values `[t, (array, previous index…) per window…, slots…]`: sets the
    /// slots and returns the windows.
    fn unpack(
        &mut self,
        windows: &BTreeMap<usize, OutputWindow>,
        slots: &[Slot],
        values: &[Tensor],
    ) -> BTreeMap<usize, OutputWindow> {
        let mut at = 1;
        let mut unpacked = BTreeMap::new();
        for (&i, w) in windows {
            let n = 1 + w.previous.len();
            let window = OutputWindow {
                array: values[at].clone(),
                previous: values[at + 1..at + n].to_vec(),
            };
            unpacked.insert(i, window);
            at += n;
        }
        for (slot, v) in slots.iter().zip(&values[at..]) {
            self.state.insert(*slot, v.clone());
        }
        unpacked
    }

    /// One grid step: windows in, body, windows out.
    fn grid_step(
        &mut self,
        t: &Tensor,
        inputs: &[Tensor],
        windows: BTreeMap<usize, OutputWindow>,
    ) -> BTreeMap<usize, OutputWindow> {
        let k = self.kernel;
        self.step = Some(t.clone());
        self.grid = self.grid_indices(t);
        for (i, o) in k.inputs.iter().enumerate() {
            self.inputs[i] = match &o.spec.window {
                Some(window) => {
                    let index = self.block_index(i, o, window);
                    self.read_window(&inputs[i], window, &index)
                }
                None => inputs[i].clone(),
            };
        }
        let mut next = BTreeMap::new();
        let mut placed = BTreeMap::new();
        for (&i, w) in &windows {
            let o = &k.outputs[i];
            let window = o
                .spec
                .window
                .as_ref()
                .expect("only windowed outputs carry one");
            let index = self.block_index(k.inputs.len() + i, o, window);
            let changed = self.any_differs(&index, &w.previous);
            let fresh = self.unspecified(o.dtype, &window.ref_shape());
            let kept = self.state[&Slot::Output(i)].clone();
            let block = self.w.select(&changed, &fresh, &kept);
            self.state.insert(Slot::Output(i), block);
            placed.insert(i, index);
        }
        self.block(&k.body);
        for (&i, w) in &windows {
            let window = k.outputs[i].spec.window.as_ref().expect("windowed");
            let block = self.state[&Slot::Output(i)].clone();
            let index = placed.remove(&i).expect("placed above");
            let array = self.write_window(&w.array, &block, window, &index);
            next.insert(
                i,
                OutputWindow {
                    array,
                    previous: index,
                },
            );
        }
        next
    }

    /// Grid indices of step `t`: `(t / stride) % extent` per axis, last axis fastest.
    fn grid_indices(&mut self, t: &Tensor) -> Vec<Tensor> {
        let grid = self.kernel.grid.grid.clone();
        (0..grid.len())
            .map(|axis| {
                if grid[axis] == 1 {
                    return self.w.i32(0);
                }
                let stride: usize = grid[axis + 1..].iter().product();
                let mut index = t.clone();
                if stride > 1 {
                    let s = self.w.i32(stride as i64);
                    index = self.w.elementwise("divide", &[index, s], DType::I32);
                }
                if axis > 0 {
                    let e = self.w.i32(grid[axis] as i64);
                    index = self.w.elementwise("remainder", &[index, e], DType::I32);
                }
                index
            })
            .collect()
    }

    /// The current value of a ref as the body sees it.
    fn ref_value(&self, id: RefId) -> Tensor {
        match id {
            RefId::Prefetch(i) => self.prefetch[i].clone(),
            RefId::Input(i) => self.inputs[i].clone(),
            RefId::Output(i) => self.state[&Slot::Output(i)].clone(),
            RefId::Scratch(i) => self.state[&Slot::Scratch(i)].clone(),
        }
    }

    /// A splat of the unspecified fill.
    fn unspecified(&mut self, dtype: DType, shape: &[usize]) -> Tensor {
        self.w
            .constant(TensorType::new(shape, dtype), &literal::unspecified(dtype))
    }

    /// `x` padded at the end of each dim up to `shape` with the unspecified fill.
    fn padded(&mut self, x: &Tensor, shape: &[usize]) -> Tensor {
        if x.ty.shape == shape {
            return x.clone();
        }
        let fill = self.unspecified(x.ty.dtype, &[]);
        let high: Vec<usize> = shape.iter().zip(&x.ty.shape).map(|(p, s)| p - s).collect();
        let zeros = vec![0; shape.len()];
        self.w.pad(x, &fill, [&zeros, &high, &zeros])
    }
}
