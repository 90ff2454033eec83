//! `pallas-flash run <kernel> [shape flags] [--inputs DIR] [--save DIR] [--order shuffled]`:
//! lowers a catalog kernel to the Mosaic we ship, runs that Mosaic in the emulator, and
//! compares it with interpret (the same kernel IR lowered to plain StableHLO on the CPU
//! plugin), printing the max abs and relative error per output.

use std::path::PathBuf;
use std::time::Instant;

use ndarray::{ArrayD, IxDyn};
use pallas_flash::emulator::{npy, Data, Elem, Emulator, HostArray, RunOptions};
use pallas_flash::interpret::{self, HostArray as InterpretArray};
use pallas_flash::ir::{DType, Kernel};

use crate::catalog::{Catalog, ShapeArgs};
use crate::error::CliError;
use crate::run_mosaic::{save, summary, Order};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kernel from the catalog (`pallas-flash kernels` lists them).
    pub kernel: String,
    #[command(flatten)]
    pub shape: ShapeArgs,
    /// Directory of `.npy` operands in file-name order (scalar prefetch first); without
    /// it, deterministic values in [-1, 1) (integer operands: their flat index, which is
    /// an identity page table).
    #[arg(long)]
    pub inputs: Option<PathBuf>,
    /// Write the Mosaic (kernel.mlir), the operands (in_00.npy, …) and the outputs
    /// (out_0.npy, …) here; one subdirectory per kernel when the problem has several.
    #[arg(long)]
    pub save: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "in-order")]
    pub order: Order,
}

pub fn run(catalog: &Catalog, args: &Args) -> Result<(), CliError> {
    let problem = catalog.problem(&args.kernel, &args.shape)?;
    let target = &args.shape.target;
    let built = problem.build(target, &problem.blocks(target))?;
    if args.inputs.is_some() && built.len() > 1 {
        return Err(CliError::Flag(format!(
            "--inputs holds one kernel's operands; {} runs {} kernels",
            args.kernel,
            built.len()
        )));
    }
    println!("{}", problem.describe());
    for built_kernel in &built {
        let kernel = &built_kernel.kernel;
        let mosaic = pallas_flash::codegen::lower(kernel)?;
        let emulator = Emulator::parse(&mosaic.serde_text)?;
        let operands = match &args.inputs {
            Some(dir) => npy::files_in(dir)?
                .iter()
                .map(|f| npy::read(f))
                .collect::<Result<Vec<_>, _>>()?,
            None => generated(kernel),
        };
        let options = RunOptions {
            order: args.order.grid_order(),
            output_shapes: Some(kernel.outputs.iter().map(|o| o.shape.clone()).collect()),
        };
        let start = Instant::now();
        let outputs = emulator.run_with(&operands, &options)?;
        let seconds = start.elapsed().as_secs_f64();
        let steps: usize = kernel.grid.grid.iter().product();
        println!(
            "{}: Mosaic emulated in {seconds:.2} s ({steps} grid steps, {:?} order)",
            kernel.name, args.order
        );
        let reference = interpret::interpret(kernel, &to_interpret(kernel, &operands)?)?;
        for (i, (out, r)) in outputs.iter().zip(&reference).enumerate() {
            let (abs, rel) = errors(
                &out.to_f64(),
                &r.to_f64().iter().copied().collect::<Vec<_>>(),
            );
            println!(
                "  out_{i} {}: max abs error {abs:.3e}, max rel error {rel:.3e} vs interpret",
                summary(out)
            );
        }
        if let Some(dir) = &args.save {
            let dir = if built.len() > 1 {
                dir.join(&kernel.name)
            } else {
                dir.clone()
            };
            save(&dir, &outputs)?;
            std::fs::write(dir.join("kernel.mlir"), &mosaic.serde_text)
                .map_err(CliError::io(format!("writing {}", dir.display())))?;
            for (i, operand) in operands.iter().enumerate() {
                npy::write(&dir.join(format!("in_{i:02}.npy")), operand)?;
            }
        }
    }
    Ok(())
}

/// Max |a - b| and max |a - b| / max(1, max |b|); NaN where the other is not gives ∞.
fn errors(a: &[f64], b: &[f64]) -> (f64, f64) {
    let scale = b
        .iter()
        .filter(|v| v.is_finite())
        .fold(1.0f64, |m, v| m.max(v.abs()));
    let abs = a
        .iter()
        .zip(b)
        .map(|(x, y)| {
            if x == y {
                0.0
            } else if x.is_nan() || y.is_nan() {
                f64::INFINITY
            } else {
                (x - y).abs()
            }
        })
        .fold(0.0, f64::max);
    (abs, abs / scale)
}

fn elem(dtype: DType) -> Elem {
    match dtype {
        DType::F32 => Elem::F32,
        DType::Bf16 => Elem::Bf16,
        DType::I8 => Elem::Int(8),
        _ => Elem::Int(32),
    }
}

/// Operands for `kernel`: scalar prefetch as its flat index, floats in [-1, 1).
fn generated(kernel: &Kernel) -> Vec<HostArray> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 2000) as f32 / 1000.0 - 1.0
    };
    let index = |elem: Elem, shape: &[usize], modulo: i32| {
        let n: usize = shape.iter().product();
        HostArray::ints(
            elem,
            shape.to_vec(),
            (0..n).map(|i| (i as i32) % modulo).collect(),
        )
    };
    let mut out: Vec<HostArray> = kernel
        .scalar_prefetch
        .iter()
        .map(|p| index(Elem::Int(32), &p.shape, i32::MAX))
        .collect();
    for input in &kernel.inputs {
        let e = elem(input.dtype);
        let n: usize = input.shape.iter().product();
        out.push(match e {
            Elem::Int(8) => index(e, &input.shape, 255),
            Elem::Int(_) => index(e, &input.shape, i32::MAX),
            _ => HostArray::floats(e, input.shape.clone(), (0..n).map(|_| uniform()).collect()),
        });
    }
    out
}

/// The operands as interpret takes them, in the kernel's dtypes.
fn to_interpret(kernel: &Kernel, operands: &[HostArray]) -> Result<Vec<InterpretArray>, CliError> {
    let dtypes = kernel
        .scalar_prefetch
        .iter()
        .map(|_| DType::I32)
        .chain(kernel.inputs.iter().map(|i| i.dtype));
    operands
        .iter()
        .zip(dtypes)
        .enumerate()
        .map(|(i, (a, dtype))| {
            let a = a.converted(elem(dtype)).ok_or_else(|| {
                CliError::Flag(format!(
                    "operand {i}: dtype {} where the kernel takes {}",
                    a.elem.name(),
                    dtype.name()
                ))
            })?;
            let values: Vec<f64> = a.to_f64();
            let array = ArrayD::from_shape_vec(IxDyn(&a.shape), values)
                .map_err(|e| CliError::Flag(format!("operand {i}: {e}")))?;
            Ok(match (&a.data, dtype) {
                (Data::F(_), DType::Bf16) => array.mapv(half::bf16::from_f64).into(),
                (Data::F(_), _) => array.mapv(|v| v as f32).into(),
                (Data::I(_), DType::I8) => array.mapv(|v| v as i8).into(),
                (Data::I(_), _) => array.mapv(|v| v as i32).into(),
            })
        })
        .collect()
}
