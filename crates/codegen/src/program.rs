//! StableHLO programs around kernels: parameters, any number of `tpu_custom_call`s, plain
//! StableHLO glue between them (e.g. the log-sum-exp combine of split-KV decoding), and
//! SPMD programs over a device mesh (see [`crate::spmd`]).

use crate::custom_call::{TensorType, TpuCustomCall};
use crate::error::{CodegenError, Result};
use crate::spmd::{Mesh, Reduction, Sharding};

/// A value of a [`Program`] under construction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tensor {
    pub(crate) name: String,
    pub ty: TensorType,
}

/// A StableHLO module with one `main`. Built in order; [`Program::finish`] prints it.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// Parameter types with their `sdy.sharding`, if any.
    parameters: Vec<(TensorType, Option<Sharding>)>,
    lines: Vec<String>,
    /// Counters shared with nested regions, so names and channel ids stay unique.
    pub(crate) next: usize,
    pub(crate) channels: usize,
    /// Set for SPMD programs ([`Program::spmd`]).
    pub(crate) mesh: Option<Mesh>,
    /// Inside `shard_map`: the names given to the region's arguments.
    region_arguments: Vec<Tensor>,
}

impl Program {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new parameter of `main`.
    pub fn parameter(&mut self, ty: TensorType) -> Tensor {
        self.parameters.push((ty.clone(), None));
        Tensor {
            name: format!("%arg{}", self.parameters.len() - 1),
            ty,
        }
    }

    pub(crate) fn with_mesh(mesh: Mesh) -> Self {
        Program {
            mesh: Some(mesh),
            ..Program::default()
        }
    }

    pub(crate) fn sharded_parameter(&mut self, ty: TensorType, sharding: Sharding) -> Tensor {
        self.parameters.push((ty.clone(), Some(sharding)));
        Tensor {
            name: format!("%arg{}", self.parameters.len() - 1),
            ty,
        }
    }

    pub(crate) fn fresh(&mut self) -> String {
        self.next += 1;
        format!("%{}", self.next - 1)
    }

    pub(crate) fn push_line(&mut self, line: String) {
        self.lines.push(line);
    }

    /// A program for the body of a region, continuing this program's counters.
    pub(crate) fn region(&self, arguments: &[TensorType]) -> Program {
        let mut region = Program {
            next: self.next,
            channels: self.channels,
            mesh: self.mesh.clone(),
            ..Program::default()
        };
        region.region_arguments = arguments
            .iter()
            .map(|ty| Tensor {
                name: region.fresh(),
                ty: ty.clone(),
            })
            .collect();
        region
    }

    pub(crate) fn region_arguments(&self) -> &[Tensor] {
        &self.region_arguments
    }

    /// Takes the counters back from a finished region and returns its body lines.
    pub(crate) fn absorb(&mut self, region: Program) -> Vec<String> {
        self.next = region.next;
        self.channels = region.channels;
        region.lines
    }

    /// Calls a kernel; operand types must match its signature.
    pub fn call(&mut self, kernel: &TpuCustomCall, operands: &[&Tensor]) -> Result<Vec<Tensor>> {
        let given: Vec<&TensorType> = operands.iter().map(|t| &t.ty).collect();
        if given.len() != kernel.operands.len()
            || given.iter().zip(&kernel.operands).any(|(a, b)| *a != b)
        {
            return Err(CodegenError::Program(format!(
                "kernel `{}` takes ({}) but was given ({})",
                kernel.kernel_name,
                kernel
                    .operands
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                given
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let base = self.fresh();
        let results: Vec<Tensor> = match kernel.results.len() {
            1 => vec![Tensor {
                name: base.clone(),
                ty: kernel.results[0].clone(),
            }],
            _ => kernel
                .results
                .iter()
                .enumerate()
                .map(|(i, ty)| Tensor {
                    name: format!("{base}#{i}"),
                    ty: ty.clone(),
                })
                .collect(),
        };
        let lhs = if kernel.results.len() == 1 {
            base
        } else {
            format!("{base}:{}", kernel.results.len())
        };
        let names: Vec<String> = operands.iter().map(|t| t.name.clone()).collect();
        self.lines.push(kernel.emit(&[lhs], &names));
        Ok(results)
    }

    /// A plain StableHLO op in generic form: `"name"(operands) {attributes} : (…) -> result`.
    /// `attributes` is the text between the braces (may be empty).
    pub fn op(
        &mut self,
        name: &str,
        operands: &[&Tensor],
        attributes: &str,
        result: TensorType,
    ) -> Tensor {
        let out = self.fresh();
        let names: Vec<&str> = operands.iter().map(|t| t.name.as_str()).collect();
        let types: Vec<String> = operands.iter().map(|t| t.ty.to_string()).collect();
        let attributes = if attributes.is_empty() {
            String::new()
        } else {
            format!(" {{{attributes}}}")
        };
        self.lines.push(format!(
            "{out} = \"{name}\"({}){attributes} : ({}) -> {result}",
            names.join(", "),
            types.join(", ")
        ));
        Tensor {
            name: out,
            ty: result,
        }
    }

    /// A cross-device reduction of `value` over every device of the mesh
    /// (`stablehlo.all_reduce`); only inside [`Program::shard_map`].
    pub fn all_reduce(&mut self, value: &Tensor, reduction: Reduction) -> Result<Tensor> {
        let mesh = self.mesh.clone().ok_or_else(|| {
            CodegenError::Program("all_reduce needs an SPMD program: build it with Program::spmd and call it inside shard_map".into())
        })?;
        if self.region_arguments.is_empty() {
            return Err(CodegenError::Program(
                "all_reduce is only valid inside shard_map, where values are per-device".into(),
            ));
        }
        self.channels += 1;
        let scalar = TensorType::new(Vec::<usize>::new(), value.ty.dtype);
        let (a, b, c, out) = (self.fresh(), self.fresh(), self.fresh(), self.fresh());
        let devices: Vec<String> = (0..mesh.devices).map(|d| d.to_string()).collect();
        self.lines.push(format!(
            "{out} = \"stablehlo.all_reduce\"({value}) ({{\n      ^bb0({a}: {scalar}, {b}: {scalar}):\n        {c} = {op} {a}, {b} : {scalar}\n        stablehlo.return {c} : {scalar}\n    }}) {{channel_handle = #stablehlo.channel_handle<handle = {channel}, type = 1>, replica_groups = dense<[[{devices}]]> : tensor<1x{n}xi64>, use_global_device_ids}} : ({ty}) -> {ty}",
            value = value.name,
            op = reduction.stablehlo_op(),
            channel = self.channels,
            devices = devices.join(", "),
            n = mesh.devices,
            ty = value.ty,
        ));
        Ok(Tensor {
            name: out,
            ty: value.ty.clone(),
        })
    }

    /// The module text, returning `results` from `main`.
    pub fn finish(&self, results: &[&Tensor]) -> String {
        let unsharded: Vec<(&Tensor, Option<Sharding>)> =
            results.iter().map(|t| (*t, None)).collect();
        self.print(&unsharded)
    }

    pub(crate) fn print(&self, results: &[(&Tensor, Option<Sharding>)]) -> String {
        let sharding = |s: &Option<Sharding>, rank: usize| match (s, &self.mesh) {
            (Some(s), Some(mesh)) => format!(
                " {{sdy.sharding = #sdy.sharding{}}}",
                s.attribute(mesh, rank)
            ),
            _ => String::new(),
        };
        let params: Vec<String> = self
            .parameters
            .iter()
            .enumerate()
            .map(|(i, (t, s))| format!("%arg{i}: {t}{}", sharding(s, t.shape.len())))
            .collect();
        let result_types: Vec<String> = results
            .iter()
            .map(|(t, s)| format!("{}{}", t.ty, sharding(s, t.ty.shape.len())))
            .collect();
        let plain_types: Vec<String> = results.iter().map(|(t, _)| t.ty.to_string()).collect();
        let names: Vec<&str> = results.iter().map(|(t, _)| t.name.as_str()).collect();
        let mut text = match &self.mesh {
            Some(mesh) => format!(
                "module @pallas_flash attributes {{mhlo.num_partitions = {} : i32, mhlo.num_replicas = 1 : i32}} {{\n  sdy.mesh @{} = <[\"{}\"={}]>\n",
                mesh.devices,
                Mesh::NAME,
                mesh.axis,
                mesh.devices
            ),
            None => "module @pallas_flash {\n".to_string(),
        };
        text.push_str(&format!(
            "  func.func public @main({}) -> ({}) {{\n",
            params.join(", "),
            result_types.join(", ")
        ));
        for line in &self.lines {
            text.push_str(&format!("    {line}\n"));
        }
        text.push_str(&format!(
            "    return {} : {}\n  }}\n}}\n",
            names.join(", "),
            plain_types.join(", ")
        ));
        text
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
