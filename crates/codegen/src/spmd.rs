//! SPMD programs over a 1-D device mesh, written the way JAX's `shard_map` lowers with
//! Shardy: `sdy.mesh`, `sdy.sharding` on `main`'s parameters and results, and an
//! `sdy.manual_computation` whose body runs per device on local shards — where kernels are
//! called and `stablehlo.all_reduce` combines across devices. Compile with
//! `CompileOptions::spmd(devices)` for a topology with that many chips (e.g. `v5e:2x2`).
//!
//! ```
//! use pallas_flash_codegen::{Mesh, Program, Reduction, Sharding, TensorType};
//! use pallas_flash_ir::DType::F32;
//!
//! let mut program = Program::spmd(Mesh::new("x", 4));
//! let x = program.parameter_sharded(TensorType::new([4096, 128], F32), Sharding::Split(0));
//! let sum = program
//!     .shard_map(&[(&x, Sharding::Split(0))], &[Sharding::Replicated], |local, args| {
//!         // args[0] is this device's f32[1024, 128] shard.
//!         let partial = local.all_reduce(&args[0], Reduction::Sum)?;
//!         Ok(vec![partial])
//!     })
//!     .unwrap();
//! let text = program.finish_sharded(&[(&sum[0], Sharding::Replicated)]);
//! assert!(text.contains("sdy.manual_computation") && text.contains("stablehlo.all_reduce"));
//! ```

use pallas_flash_stablehlo::TensorType;

use crate::error::{CodegenError, Result};

/// A 1-D mesh: `devices` chips along one named axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mesh {
    pub axis: String,
    pub devices: usize,
}

impl Mesh {
    /// The mesh's symbol in the module (`sdy.mesh @mesh`).
    pub(crate) const NAME: &'static str = "mesh";

    pub fn new(axis: &str, devices: usize) -> Self {
        Mesh {
            axis: axis.to_string(),
            devices,
        }
    }
}

/// How a global array is laid out over the mesh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharding {
    /// Every device holds the whole array.
    Replicated,
    /// Dimension `d` is split into equal contiguous shards, device `i` holding shard `i`.
    Split(usize),
}

impl Sharding {
    /// `<@mesh, [{"x"}, {}]>` for an array of `rank` dims.
    pub(crate) fn attribute(&self, mesh: &Mesh, rank: usize) -> String {
        let dims: Vec<String> = (0..rank)
            .map(|d| {
                if *self == Sharding::Split(d) {
                    format!("{{\"{}\"}}", mesh.axis)
                } else {
                    "{}".to_string()
                }
            })
            .collect();
        format!("<@{}, [{}]>", Mesh::NAME, dims.join(", "))
    }

    /// The per-device shard type of a global array.
    pub fn local(&self, global: &TensorType, mesh: &Mesh) -> Result<TensorType> {
        match *self {
            Sharding::Replicated => Ok(global.clone()),
            Sharding::Split(d) => {
                let extent = *global.shape.get(d).ok_or_else(|| {
                    CodegenError::Program(format!(
                        "cannot split dim {d} of {global}: it has {} dims",
                        global.shape.len()
                    ))
                })?;
                if extent % mesh.devices != 0 {
                    return Err(CodegenError::Program(format!(
                        "dim {d} of {global} ({extent}) does not split evenly over {} devices: pad it to a multiple of {}",
                        mesh.devices, mesh.devices
                    )));
                }
                let mut shape = global.shape.clone();
                shape[d] = extent / mesh.devices;
                Ok(TensorType::new(shape, global.dtype))
            }
        }
    }

    /// The global type of an array whose per-device shard is `local`.
    pub(crate) fn global(&self, local: &TensorType, mesh: &Mesh) -> Result<TensorType> {
        match *self {
            Sharding::Replicated => Ok(local.clone()),
            Sharding::Split(d) if d < local.shape.len() => {
                let mut shape = local.shape.clone();
                shape[d] *= mesh.devices;
                Ok(TensorType::new(shape, local.dtype))
            }
            Sharding::Split(d) => Err(CodegenError::Program(format!(
                "cannot split dim {d} of {local}: it has {} dims",
                local.shape.len()
            ))),
        }
    }
}

/// The combining op of a cross-device reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    Sum,
    Max,
}

impl Reduction {
    /// The StableHLO op that combines two values (`stablehlo.<combiner>`).
    pub(crate) fn combiner(self) -> &'static str {
        match self {
            Reduction::Sum => "add",
            Reduction::Max => "maximum",
        }
    }
}
