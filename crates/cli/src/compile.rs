//! `pallas-flash compile <kernel>`: build a kernel of the catalog, check its tiling and
//! VMEM budget, compile it with libtpu (deviceless, in a worker), and report memory stats,
//! the copy-trap verdict and the static estimate against the roofline ([`crate::report`]).

use std::path::PathBuf;

use crate::catalog::{Catalog, ShapeArgs};
use crate::error::CliError;
use crate::report::Plan;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kernel from the catalog (`pallas-flash kernels` lists them).
    pub kernel: String,
    #[command(flatten)]
    pub shape: ShapeArgs,
    /// Skip libtpu's static cycle estimate (faster; no cycles, MFU or roofline ratio).
    #[arg(long = "no-profile")]
    pub no_profile: bool,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Write the artifacts here: kernel.mosaic.mlir, program.stablehlo.mlir,
    /// kernel.after_optimizations.txt (for hlo-check), hlo_module.pb, executable.bin, report.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(catalog: &Catalog, args: &Args) -> Result<(), CliError> {
    let problem = catalog.problem(&args.kernel, &args.shape)?;
    let target = &args.shape.target;
    let plan = Plan::of(problem.family.as_ref(), target, &problem.blocks(target))?;
    if !args.json {
        println!("{plan}");
    }
    let report = plan.compile(!args.no_profile)?;
    let json = report.to_json(&problem.name);
    if let Some(dir) = &args.out {
        report.write_artifacts(dir, &json)?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json).map_err(CliError::json("encoding the report"))?
        );
    } else {
        print!("{}", report.result());
        if let Some(dir) = &args.out {
            println!("artifacts    {}", dir.display());
        }
    }
    Ok(())
}
