//! StableHLO programs around kernels: parameters, any number of `tpu_custom_call`s, plain
//! StableHLO glue between them (e.g. the log-sum-exp combine of split-KV decoding), and
//! SPMD programs over a device mesh (see [`crate::spmd`]). The text is written by
//! `pallas_flash_stablehlo`, the project's one StableHLO writer.

use pallas_flash_stablehlo::{
    manual_computation, Body, Main, Module, ShardedInput, ShardedOutput, Tensor, TensorType,
};

use crate::custom_call::TpuCustomCall;
use crate::error::{CodegenError, Result};
use crate::spmd::{Mesh, Reduction, Sharding};

/// A StableHLO module with one `main`, built in order: parameters, kernel calls
/// ([`Program::call`]) and plain ops ([`Program::body`]); [`Program::finish`] prints it.
#[derive(Clone, Debug, Default)]
pub struct Program {
    main: Main,
    body: Body,
    /// Set for SPMD programs ([`Program::spmd`]).
    mesh: Option<Mesh>,
    /// All-reduces so far; each takes the next channel id.
    channels: usize,
    /// Inside [`Program::shard_map`]'s body, where values are per-device.
    in_shard_map: bool,
}

impl AsMut<Body> for Program {
    fn as_mut(&mut self) -> &mut Body {
        &mut self.body
    }
}

impl Program {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new parameter of `main`.
    pub fn parameter(&mut self, ty: TensorType) -> Tensor {
        self.main.parameter(ty)
    }

    /// The body, for plain StableHLO ops between kernel calls.
    pub fn body(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Calls a kernel; operand types must match its signature.
    pub fn call(&mut self, kernel: &TpuCustomCall, operands: &[&Tensor]) -> Result<Vec<Tensor>> {
        let given: Vec<&TensorType> = operands.iter().map(|t| &t.ty).collect();
        if given.len() != kernel.operands.len()
            || given.iter().zip(&kernel.operands).any(|(a, b)| *a != b)
        {
            let list = |types: Vec<&TensorType>| {
                (types.iter().map(|t| t.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(CodegenError::Program(format!(
                "kernel `{}` takes ({}) but was given ({})",
                kernel.kernel_name,
                list(kernel.operands.iter().collect()),
                list(given)
            )));
        }
        Ok(self.body.custom_call(&kernel.custom_call(), operands))
    }

    /// The module text, returning `results` from `main`.
    pub fn finish(&self, results: &[&Tensor]) -> String {
        let unsharded: Vec<(&Tensor, Option<Sharding>)> =
            results.iter().map(|t| (*t, None)).collect();
        self.print(&unsharded)
    }

    fn print(&self, results: &[(&Tensor, Option<Sharding>)]) -> String {
        let results: Vec<(&Tensor, Option<String>)> = results
            .iter()
            .map(|(t, s)| (*t, s.and_then(|s| self.sharding_attribute(s, t.ty.rank()))))
            .collect();
        let module = Module::new("pallas_flash");
        let module = match &self.mesh {
            Some(mesh) => module
                .attribute(format!("mhlo.num_partitions = {} : i32", mesh.devices))
                .attribute("mhlo.num_replicas = 1 : i32".into())
                .op(format!(
                    "sdy.mesh @{} = <[\"{}\"={}]>",
                    Mesh::NAME,
                    mesh.axis,
                    mesh.devices
                )),
            None => module,
        };
        module.print(&self.main.print(&self.body, &results))
    }

    /// `sdy.sharding = …` of an array of `rank` dims laid out as `sharding`, for an SPMD
    /// program.
    fn sharding_attribute(&self, sharding: Sharding, rank: usize) -> Option<String> {
        let mesh = self.mesh.as_ref()?;
        Some(format!(
            "sdy.sharding = #sdy.sharding{}",
            sharding.attribute(mesh, rank)
        ))
    }

    /// The usual program: `main` takes the kernel's operands and returns its results.
    pub fn single_kernel(kernel: &TpuCustomCall) -> Result<String> {
        let mut program = Program::new();
        let operands: Vec<Tensor> = kernel
            .operands
            .iter()
            .map(|t| program.parameter(t.clone()))
            .collect();
        let results = program.call(kernel, &operands.iter().collect::<Vec<_>>())?;
        Ok(program.finish(&results.iter().collect::<Vec<_>>()))
    }
}

/// SPMD programs (see [`crate::spmd`] for the mesh and sharding vocabulary).
impl Program {
    /// An SPMD program over `mesh` (compile with `CompileOptions::spmd(mesh.devices)`).
    pub fn spmd(mesh: Mesh) -> Self {
        Program {
            mesh: Some(mesh),
            ..Program::default()
        }
    }

    /// A parameter of `main` holding a global array laid out as `sharding`.
    pub fn parameter_sharded(&mut self, global: TensorType, sharding: Sharding) -> Tensor {
        let attribute = self.sharding_attribute(sharding, global.rank());
        self.main.annotated_parameter(global, attribute)
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
        let inputs = inputs
            .iter()
            .map(|(t, s)| {
                Ok(ShardedInput {
                    value: t,
                    sharding: s.attribute(&mesh, t.ty.rank()),
                    local: s.local(&t.ty, &mesh)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let outer = std::mem::replace(&mut self.in_shard_map, true);
        let axes = format!("\"{}\"", mesh.axis);
        let results = manual_computation(self, &inputs, &axes, |program, arguments| {
            let results = body(program, arguments)?;
            if results.len() != out.len() {
                return Err(CodegenError::Program(format!(
                    "shard_map body returned {} values for {} out shardings",
                    results.len(),
                    out.len()
                )));
            }
            (results.into_iter().zip(out))
                .map(|(value, s)| {
                    Ok(ShardedOutput {
                        sharding: s.attribute(&mesh, value.ty.rank()),
                        global: s.global(&value.ty, &mesh)?,
                        value,
                    })
                })
                .collect()
        });
        self.in_shard_map = outer;
        results
    }

    /// A cross-device reduction of `value` over every device of the mesh
    /// (`stablehlo.all_reduce`); only inside [`Program::shard_map`].
    pub fn all_reduce(&mut self, value: &Tensor, reduction: Reduction) -> Result<Tensor> {
        let mesh = self.mesh.clone().ok_or_else(|| {
            CodegenError::Program("all_reduce needs an SPMD program: build it with Program::spmd and call it inside shard_map".into())
        })?;
        if !self.in_shard_map {
            return Err(CodegenError::Program(
                "all_reduce is only valid inside shard_map, where values are per-device".into(),
            ));
        }
        self.channels += 1;
        let devices: Vec<usize> = (0..mesh.devices).collect();
        Ok(self
            .body
            .all_reduce(value, reduction.combiner(), self.channels, &devices))
    }

    /// The module text of an SPMD program, with each result's sharding.
    pub fn finish_sharded(&self, results: &[(&Tensor, Sharding)]) -> String {
        let annotated: Vec<(&Tensor, Option<Sharding>)> =
            results.iter().map(|(t, s)| (*t, Some(*s))).collect();
        self.print(&annotated)
    }
}
