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
mod text;
mod view;
pub(crate) mod window;

use std::collections::BTreeMap;

use pallas_flash_ir::{DType, Kernel, KernelInfo, RefId, ScratchKind, ValueType};

use crate::diagnostic;
use text::{Val, Writer};

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
        w: Writer::new(2),
        values: vec![None; kernel.exprs.len()],
        prefetch: Vec::new(),
        inputs: Vec::new(),
        state: BTreeMap::new(),
        grid: Vec::new(),
        step: None,
    };
    let signature = cx.signature();
    cx.main();
    let body = cx.w.finish();
    format!(
        "module @{} {{\n  {signature} {{\n{body}  }}\n}}\n",
        kernel.name
    )
}

/// The lowering context: the writer plus what each IR name currently stands for.
struct Lowering<'k> {
    kernel: &'k Kernel,
    info: &'k KernelInfo,
    w: Writer,
    /// Text value of each body expression, once lowered.
    values: Vec<Option<Val>>,
    /// Scalar-prefetch arguments.
    prefetch: Vec<Val>,
    /// What each input ref is this step: its window block, or the whole `Any` array.
    inputs: Vec<Val>,
    state: BTreeMap<Slot, Val>,
    /// This step's grid indices.
    grid: Vec<Val>,
    /// This step's linear index, for diagnostics.
    step: Option<Val>,
}

impl AsMut<Writer> for Lowering<'_> {
    fn as_mut(&mut self) -> &mut Writer {
        &mut self.w
    }
}

/// A windowed output's loop state: padded array and previous block index.
struct OutputWindow {
    array: Val,
    previous: Vec<Val>,
}

impl<'k> Lowering<'k> {
    fn arg(name: String, dtype: DType, shape: &[usize]) -> Val {
        Val {
            name,
            ty: ValueType::new(dtype, shape),
        }
    }

    /// `func.func public @main(prefetch…, inputs…) -> (outputs…, diagnostic)`, and
    /// binds the arguments.
    fn signature(&mut self) -> String {
        let k = self.kernel;
        self.prefetch = (k.scalar_prefetch.iter().enumerate())
            .map(|(i, p)| Self::arg(format!("%prefetch{i}"), DType::I32, &p.shape))
            .collect();
        self.inputs = (k.inputs.iter().enumerate())
            .map(|(i, o)| Self::arg(format!("%in{i}"), o.dtype, &o.shape))
            .collect();
        let args: Vec<String> = self
            .prefetch
            .iter()
            .chain(&self.inputs)
            .map(|a| format!("{}: {}", a.name, text::tensor(&a.ty)))
            .collect();
        let results: Vec<String> = k
            .outputs
            .iter()
            .map(|o| text::tensor(&ValueType::new(o.dtype, o.shape.clone())))
            .chain([text::tensor(&diagnostic::value_type())])
            .collect();
        format!(
            "func.func public @main({}) -> ({})",
            args.join(", "),
            results.join(", ")
        )
    }

    fn main(&mut self) {
        let k = self.kernel;
        let arrays: Vec<Val> = (0..k.inputs.len())
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
        let names: Vec<&str> = results.iter().map(|r| r.name.as_str()).collect();
        let types: Vec<String> = results.iter().map(|r| text::tensor(&r.ty)).collect();
        self.w.line(&format!(
            "return {} : {}",
            names.join(", "),
            types.join(", ")
        ));
    }

    /// The grid `while`; returns the output windows' final state (and updates `state`).
    fn grid_loop(
        &mut self,
        inputs: &[Val],
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
        let results = text::while_loop(
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
        values: &[Val],
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
        t: &Val,
        inputs: &[Val],
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
    fn grid_indices(&mut self, t: &Val) -> Vec<Val> {
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
    fn ref_value(&self, id: RefId) -> Val {
        match id {
            RefId::Prefetch(i) => self.prefetch[i].clone(),
            RefId::Input(i) => self.inputs[i].clone(),
            RefId::Output(i) => self.state[&Slot::Output(i)].clone(),
            RefId::Scratch(i) => self.state[&Slot::Scratch(i)].clone(),
        }
    }

    /// A splat of the unspecified fill.
    fn unspecified(&mut self, dtype: DType, shape: &[usize]) -> Val {
        self.w
            .constant(ValueType::new(dtype, shape), &literal::unspecified(dtype))
    }

    /// `x` padded at the end of each dim up to `shape` with the unspecified fill.
    fn padded(&mut self, x: &Val, shape: &[usize]) -> Val {
        if x.ty.shape == shape {
            return x.clone();
        }
        let fill = self.unspecified(x.ty.dtype, &[]);
        let high: Vec<usize> = shape.iter().zip(&x.ty.shape).map(|(p, s)| p - s).collect();
        let zeros = vec![0; shape.len()];
        self.w.pad(x, &fill, [&zeros, &high, &zeros])
    }
}
