//! `pallas-flash run-mosaic FILE.mlir --inputs DIR [--save DIR] [--order shuffled]`: runs
//! any Mosaic module (generic-form text: ours, or one dumped from JAX) on the CPU with TPU
//! semantics, so a kernel can be debugged without a TPU.
//!
//! Convention (scripts depend on it): the `.npy` files of `--inputs`, in file-name order,
//! are the kernel's operands in order — scalar-prefetch operands first, then inputs; an
//! f32 or f64 `.npy` is accepted for a bf16 operand (rounded to bf16); outputs are written
//! as `out_0.npy`, `out_1.npy`, … (f32 for float outputs).

use std::path::{Path, PathBuf};

use pallas_flash::emulator::{
    npy, Emulator, Error as EmulatorError, GridOrder, HostArray, RunOptions,
};

use crate::error::CliError;

/// Grid order: in order (as the TPU runs it) or parallel axes shuffled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    #[default]
    InOrder,
    /// Parallel grid axes in a pseudo-random order: catches order-dependent kernels.
    Shuffled,
}

impl Order {
    pub fn grid_order(self) -> GridOrder {
        match self {
            Order::InOrder => GridOrder::InOrder,
            Order::Shuffled => GridOrder::Shuffled(0x5EED),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Mosaic module, MLIR generic form (serde `stable_mosaic.*` names or plain).
    pub file: PathBuf,
    /// Directory of `.npy` operands, taken in file-name order (scalar prefetch first).
    #[arg(long)]
    pub inputs: PathBuf,
    /// Write the outputs here as out_0.npy, out_1.npy, …
    #[arg(long)]
    pub save: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "in-order")]
    pub order: Order,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(CliError::io(format!("reading {}", args.file.display())))?;
    let emulator = Emulator::parse(&text)?;
    let files = npy::files_in(&args.inputs)?;
    let operands = files
        .iter()
        .map(|f| npy::read(f))
        .collect::<Result<Vec<_>, _>>()?;
    let options = RunOptions {
        order: args.order.grid_order(),
        output_shapes: None,
    };
    let outputs = emulator
        .run_with(&operands, &options)
        .map_err(|e| name_operand(e, &files))?;
    println!(
        "{} ({} grid steps, {:?} order)",
        emulator.abi().kernel,
        emulator.abi().grid.iter().product::<usize>(),
        args.order
    );
    for (i, out) in outputs.iter().enumerate() {
        println!("  out_{i}: {}", summary(out));
    }
    if let Some(dir) = &args.save {
        save(dir, &outputs)?;
    }
    Ok(())
}

/// An operand error names the file it came from.
fn name_operand(e: EmulatorError, files: &[PathBuf]) -> CliError {
    match e {
        EmulatorError::Operand {
            index,
            what,
            message,
        } => {
            let file = files
                .get(index)
                .map_or_else(String::new, |f| format!(" from {}", f.display()));
            CliError::Flag(format!("operand {index} ({what}{file}): {message}"))
        }
        other => other.into(),
    }
}

/// `f32[2, 4, 128]  min … max …` and the NaN count if any.
pub fn summary(a: &HostArray) -> String {
    let values: Vec<f64> = a.to_f64();
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let nan = values.iter().filter(|v| v.is_nan()).count();
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    let mut s = format!("{}{:?}  min {lo:.4e}  max {hi:.4e}", a.elem.name(), a.shape);
    if nan > 0 {
        s.push_str(&format!("  NaN ×{nan}"));
    }
    s
}

/// Writes `out_<i>.npy` per output (floats as f32).
pub fn save(dir: &Path, outputs: &[HostArray]) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(CliError::io(format!("creating {}", dir.display())))?;
    for (i, out) in outputs.iter().enumerate() {
        npy::write(&dir.join(format!("out_{i}.npy")), out)?;
    }
    println!("outputs written to {}", dir.display());
    Ok(())
}
