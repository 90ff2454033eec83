//! The kernel's ABI as Mosaic records it (docs/design.md §3): which function is the
//! kernel, its grid and dimension semantics, how many scalar-prefetch and scratch operands
//! it takes, and each input's and output's window (transform function and block shape).

use crate::error::{Error, Result};
use crate::module::Module;
use crate::text::Attr;
use crate::types::{MemRefType, Type};

/// A blocked operand: the transform function giving block indices, and the block shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub transform: String,
    pub bounds: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KernelAbi {
    pub kernel: String,
    pub grid: Vec<usize>,
    /// Per grid axis: `parallel` (may run in any order) or not.
    pub parallel: Vec<bool>,
    /// The scalar-prefetch memrefs (SMEM), then inputs and outputs, then scratch.
    pub prefetch: Vec<MemRefType>,
    /// Inputs then outputs, as the kernel sees them (a block, or the whole array).
    pub operands: Vec<MemRefType>,
    /// Per input and output: its window, or `None` for a whole-array (`ANY`) operand.
    pub windows: Vec<Option<Window>>,
    pub scratch: Vec<MemRefType>,
}

fn sig(message: impl Into<String>) -> Error {
    Error::Signature(message.into())
}

fn usize_list(attr: &Attr, what: &str) -> Result<Vec<usize>> {
    attr.as_ints()
        .ok_or_else(|| sig(format!("`{what}` is not an integer list")))?
        .into_iter()
        .map(|v| usize::try_from(v).map_err(|_| sig(format!("negative entry in `{what}`"))))
        .collect()
}

fn memref(ty: &Type, what: &str) -> Result<MemRefType> {
    match ty {
        Type::MemRef(m) => Ok(m.clone()),
        other => Err(sig(format!("{what} has type {other}, expected a memref"))),
    }
}

impl KernelAbi {
    /// Reads the ABI of `module`'s kernel: the function carrying `iteration_bounds` or
    /// `window_params`, else the only function not named `transform_*`.
    pub fn of(module: &Module) -> Result<KernelAbi> {
        let kernel = module
            .funcs
            .iter()
            .find(|f| f.attr("iteration_bounds").is_some() || f.attr("window_params").is_some())
            .or_else(|| {
                let mut candidates = module
                    .funcs
                    .iter()
                    .filter(|f| !f.name.starts_with("transform_"));
                let first = candidates.next();
                candidates.next().is_none().then_some(first).flatten()
            })
            .ok_or_else(|| sig("no kernel function (one with iteration_bounds / window_params)"))?;
        let grid = kernel
            .attr("iteration_bounds")
            .map(|a| usize_list(a, "iteration_bounds"))
            .transpose()?
            .unwrap_or_default();
        let parallel = match kernel.attr("dimension_semantics") {
            Some(Attr::Array(items)) => items
                .iter()
                .map(|a| matches!(a, Attr::Dialect { body, .. } if body.trim() == "parallel"))
                .collect(),
            _ => vec![false; grid.len()],
        };
        if parallel.len() != grid.len() {
            return Err(sig(format!(
                "{} dimension semantics for a rank-{} grid",
                parallel.len(),
                grid.len()
            )));
        }
        let count = |key: &str| {
            kernel.attr(key).and_then(Attr::as_int).map_or(Ok(0), |v| {
                usize::try_from(v).map_err(|_| sig(format!("negative `{key}`")))
            })
        };
        let (prefetch_n, scratch_n) = (count("scalar_prefetch")?, count("scratch_operands")?);
        let windows: Vec<Option<Window>> = match kernel.attr("window_params") {
            Some(Attr::Array(items)) => items
                .iter()
                .map(
                    |item| match (item.get("transform_indices"), item.get("window_bounds")) {
                        (Some(Attr::Symbol(t)), Some(b)) => Ok(Some(Window {
                            transform: t.clone(),
                            bounds: usize_list(b, "window_bounds")?,
                        })),
                        _ => Ok(None),
                    },
                )
                .collect::<Result<_>>()?,
            _ => Vec::new(),
        };
        let args = &kernel.inputs;
        let expected = grid.len() + prefetch_n + windows.len() + scratch_n;
        if args.len() != expected {
            return Err(sig(format!(
                "@{} takes {} arguments; grid rank {} + {prefetch_n} scalar prefetch + {} windowed operands + {scratch_n} scratch = {expected}",
                kernel.name,
                args.len(),
                grid.len(),
                windows.len()
            )));
        }
        for (i, ty) in args[..grid.len()].iter().enumerate() {
            if !matches!(ty, Type::Scalar(_)) {
                return Err(sig(format!("grid index argument {i} has type {ty}")));
            }
        }
        let mut rest = args[grid.len()..].iter();
        let mut take = |n: usize, what: &str| -> Result<Vec<MemRefType>> {
            (0..n)
                .map(|i| memref(rest.next().expect("counted"), &format!("{what} {i}")))
                .collect()
        };
        let prefetch = take(prefetch_n, "scalar prefetch operand")?;
        let operands = take(windows.len(), "operand")?;
        let scratch = take(scratch_n, "scratch operand")?;
        let abi = KernelAbi {
            kernel: kernel.name.clone(),
            grid,
            parallel,
            prefetch,
            operands,
            windows,
            scratch,
        };
        abi.check_windows(module)?;
        Ok(abi)
    }

    fn check_windows(&self, module: &Module) -> Result<()> {
        for (i, (w, ty)) in self.windows.iter().zip(&self.operands).enumerate() {
            let Some(w) = w else { continue };
            let block: usize = w.bounds.iter().product();
            if block != ty.shape.iter().product::<usize>() {
                return Err(sig(format!(
                    "operand {i}: window {:?} does not match its kernel memref {:?}",
                    w.bounds, ty.shape
                )));
            }
            let f = module
                .func(&w.transform)
                .ok_or_else(|| sig(format!("operand {i}: no function @{}", w.transform)))?;
            let arity = self.grid.len() + self.prefetch.len();
            if f.inputs.len() != arity || f.results.len() != w.bounds.len() {
                return Err(sig(format!(
                    "@{} takes {} arguments and returns {} indices; the grid and prefetch need {arity} arguments and the window {} indices",
                    w.transform,
                    f.inputs.len(),
                    f.results.len(),
                    w.bounds.len()
                )));
            }
        }
        Ok(())
    }
}
