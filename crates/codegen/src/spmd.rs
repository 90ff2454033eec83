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

use crate::custom_call::TensorType;
use crate::error::{CodegenError, Result};
use crate::program::{Program, Tensor};

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
    fn global(&self, local: &TensorType, mesh: &Mesh) -> Result<TensorType> {
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
    pub(crate) fn stablehlo_op(self) -> &'static str {
        match self {
            Reduction::Sum => "stablehlo.add",
            Reduction::Max => "stablehlo.maximum",
        }
    }
}

impl Program {
    /// An SPMD program over `mesh` (compile with `CompileOptions::spmd(mesh.devices)`).
    pub fn spmd(mesh: Mesh) -> Self {
        Program::with_mesh(mesh)
    }

    /// A parameter of `main` holding a global array laid out as `sharding`.
    pub fn parameter_sharded(&mut self, global: TensorType, sharding: Sharding) -> Tensor {
        self.sharded_parameter(global, sharding)
    }

    /// Runs `body` once per device on local shards (`sdy.manual_computation`, JAX's
    /// `shard_map`): each input is cut as its sharding says; the body's results are
    /// per-device values, assembled into global results by `out`. Inside, call kernels and
    /// [`Program::all_reduce`].
    pub fn shard_map(
        &mut self,
        inputs: &[(&Tensor, Sharding)],
        out: &[Sharding],
        body: impl FnOnce(&mut Program, Vec<Tensor>) -> Result<Vec<Tensor>>,
    ) -> Result<Vec<Tensor>> {
        let mesh = self.mesh.clone().ok_or_else(|| {
            CodegenError::Program(
                "shard_map needs an SPMD program: build it with Program::spmd".into(),
            )
        })?;
        let local_types = inputs
            .iter()
            .map(|(t, s)| s.local(&t.ty, &mesh))
            .collect::<Result<Vec<_>>>()?;
        let mut region = self.region(&local_types);
        let arguments = region.region_arguments().to_vec();
        let results = body(&mut region, arguments.clone())?;
        if results.len() != out.len() {
            return Err(CodegenError::Program(format!(
                "shard_map body returned {} values for {} out shardings",
                results.len(),
                out.len()
            )));
        }
        let globals = results
            .iter()
            .zip(out)
            .map(|(t, s)| s.global(&t.ty, &mesh))
            .collect::<Result<Vec<_>>>()?;
        let result_names: Vec<&str> = results.iter().map(|t| t.name.as_str()).collect();
        let result_locals: Vec<String> = results.iter().map(|t| t.ty.to_string()).collect();
        let body_lines = self.absorb(region);
        let base = self.fresh();
        let lhs = if globals.len() == 1 {
            base.clone()
        } else {
            format!("{base}:{}", globals.len())
        };
        let join = |items: Vec<String>| items.join(", ");
        let mut text = format!(
            "{lhs} = sdy.manual_computation({}) in_shardings=[{}] out_shardings=[{}] manual_axes={{\"{}\"}} ({}) {{\n",
            join(inputs.iter().map(|(t, _)| t.name.clone()).collect()),
            join(inputs.iter().map(|(t, s)| s.attribute(&mesh, t.ty.shape.len())).collect()),
            join(globals.iter().zip(out).map(|(t, s)| s.attribute(&mesh, t.shape.len())).collect()),
            mesh.axis,
            join(arguments.iter().map(|a| format!("{}: {}", a.name, a.ty)).collect()),
        );
        for line in body_lines {
            text.push_str(&format!("      {line}\n"));
        }
        text.push_str(&format!(
            "      sdy.return {} : {}\n    }} : ({}) -> ({})",
            result_names.join(", "),
            result_locals.join(", "),
            join(inputs.iter().map(|(t, _)| t.ty.to_string()).collect()),
            join(globals.iter().map(|t| t.to_string()).collect()),
        ));
        self.push_line(text);
        Ok(match globals.len() {
            1 => vec![Tensor {
                name: base,
                ty: globals[0].clone(),
            }],
            _ => globals
                .into_iter()
                .enumerate()
                .map(|(i, ty)| Tensor {
                    name: format!("{base}#{i}"),
                    ty,
                })
                .collect(),
        })
    }

    /// The module text of an SPMD program, with each result's sharding.
    pub fn finish_sharded(&self, results: &[(&Tensor, Sharding)]) -> String {
        let annotated: Vec<(&Tensor, Option<Sharding>)> =
            results.iter().map(|(t, s)| (*t, Some(*s))).collect();
        self.print(&annotated)
    }
}
