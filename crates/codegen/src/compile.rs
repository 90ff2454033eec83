//! DSL → libtpu in one call: lower, wrap, compile in an isolated worker, and read back what
//! libtpu did (optimized HLO, memory stats, scoped VMEM used, static cycle estimate).

use pallas_flash_ir::Kernel;
use pallas_flash_runtime::{
    CompileOptions, CompileReport, CompileRequest, IsolatedCompiler, Program as PjrtProgram,
    StaticProfile,
};
use pallas_flash_tiling::Target;
use serde::{Deserialize, Serialize};

use crate::custom_call::TpuCustomCall;
use crate::error::Result;
use crate::program::Program;
use crate::{lower, MosaicModule};

/// How to compile for a target: the chip and topology ([`Target`], the one target
/// concept), libtpu's options and what to take back.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileSettings {
    /// The chip profile and the topology to compile for (`v5e:1x1`, `v5e:2x2`, …).
    pub target: Target,
    pub options: CompileOptions,
    /// Take libtpu's static cycle estimate (slower; docs/design.md §8 lists its caveats).
    pub static_profile: bool,
    /// Overrides the kernel's scoped VMEM limit: `Some(None)` removes it, `Some(Some(n))`
    /// sets `n` bytes (what a budget bypass uses), `None` keeps the kernel's.
    pub vmem_limit_override: Option<Option<u64>>,
    /// Check the VMEM budget (`pallas_flash_tiling::VmemBudget`) before compiling, so an
    /// oversized kernel fails with our numbers instead of libtpu's E1001.
    pub check_vmem_budget: bool,
}

impl CompileSettings {
    /// Default options for `target`: no static profile, the kernel's VMEM limit, our budget
    /// checked first.
    pub fn new(target: Target) -> Self {
        CompileSettings {
            target,
            options: CompileOptions::default(),
            static_profile: false,
            vmem_limit_override: None,
            check_vmem_budget: true,
        }
    }

    pub fn with_static_profile(mut self) -> Self {
        self.static_profile = true;
        self
    }

    pub fn with_vmem_limit(mut self, bytes: Option<u64>) -> Self {
        self.vmem_limit_override = Some(bytes);
        self
    }

    /// Skips our VMEM budget check and lets libtpu decide (its E1001 comes back as
    /// [`crate::CodegenError::Compile`]); for probing the model, not for shipping.
    pub fn without_budget_check(mut self) -> Self {
        self.check_vmem_budget = false;
        self
    }
}

impl From<Target> for CompileSettings {
    fn from(target: Target) -> Self {
        CompileSettings::new(target)
    }
}

/// One entry of `used_scoped_memory_configs`: the scoped memory libtpu allocated for a
/// kernel (memory space 1 is VMEM).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopedMemory {
    pub memory_space: u32,
    pub offset: u64,
    pub size: u64,
}

/// A kernel compiled by libtpu, and everything known about it.
#[derive(Clone, Debug)]
pub struct CompiledKernel {
    pub mosaic: MosaicModule,
    /// The StableHLO program that was compiled.
    pub program: String,
    pub report: CompileReport,
    /// Static cycle estimate per HLO op, when requested.
    pub profile: Option<StaticProfile>,
    /// Scoped memory libtpu used for the kernel, from the optimized `HloModuleProto` (the
    /// `*after_optimizations.txt` dump is written before libtpu fills it in and shows `[]`).
    pub used_scoped_memory: Vec<ScopedMemory>,
}

impl CompiledKernel {
    /// Scoped VMEM bytes libtpu allocated for the kernel.
    pub fn used_vmem_bytes(&self) -> Option<u64> {
        self.used_scoped_memory
            .iter()
            .find(|m| m.memory_space == 1)
            .map(|m| m.size)
    }

    /// Total estimated cycles of the program (the kernel alone in a single-kernel program).
    pub fn estimated_cycles(&self) -> Option<u64> {
        self.profile.as_ref().map(StaticProfile::total_cycles)
    }
}

/// Checks the VMEM budget, lowers `kernel`, wraps it in a single-kernel program and
/// compiles it with libtpu in a worker process (an abort becomes `pallas_flash_runtime::Error::CompileCrashed`; VMEM
/// overflow `VmemOom`, see [`crate::CodegenError::is_vmem_oom`]).
pub fn compile_for_tpu(kernel: &Kernel, target: &CompileSettings) -> Result<CompiledKernel> {
    if target.check_vmem_budget {
        check_budget(kernel, target)?;
    }
    let mosaic = lower(kernel)?;
    let mut call = TpuCustomCall::new(kernel, &mosaic)?;
    if let Some(limit) = target.vmem_limit_override {
        call = call.with_vmem_limit(limit);
    }
    let program = Program::single_kernel(&call)?;
    let (report, profile) = compile_program(&program, target)?;
    let used_scoped_memory = used_scoped_memory(&String::from_utf8_lossy(&report.hlo_module_proto));
    Ok(CompiledKernel {
        mosaic,
        program,
        report,
        profile,
        used_scoped_memory,
    })
}

/// The VMEM budget of `kernel` under the limit it will be compiled with.
fn check_budget(kernel: &Kernel, target: &CompileSettings) -> Result<()> {
    let info = pallas_flash_ir::validate(kernel)?;
    let mut planned = kernel.clone();
    if let Some(limit) = target.vmem_limit_override {
        planned.vmem_limit_bytes = limit;
    }
    Ok(pallas_flash_tiling::VmemBudget::of(&target.target, &planned, &info).check()?)
}

/// Compiles any StableHLO program text for `target` in a worker process.
pub fn compile_program(
    program: &str,
    target: &CompileSettings,
) -> Result<(CompileReport, Option<StaticProfile>)> {
    let mut request = CompileRequest::new(
        &target.target.topology,
        &PjrtProgram::mlir_text(program),
        target.options.clone(),
    );
    if target.static_profile {
        request = request.with_static_profile();
    }
    let output = IsolatedCompiler::new()?.compile(&request)?;
    Ok((output.report, output.profile))
}

/// Every non-empty `used_scoped_memory_configs` entry in text holding kernel backend
/// configs (the optimized `HloModuleProto` read as text, or HLO text), whose values are
/// JSON strings: `{"memory_space":"1","offset":"0","size":"1642496"}`.
pub fn used_scoped_memory(optimized_hlo: &str) -> Vec<ScopedMemory> {
    const KEY: &str = "\"used_scoped_memory_configs\":";
    let mut found = Vec::new();
    for (at, _) in optimized_hlo.match_indices(KEY) {
        let rest = &optimized_hlo[at + KEY.len()..];
        let Some(end) = rest.find(']') else { continue };
        let Ok(entries) = serde_json::from_str::<Vec<serde_json::Value>>(&rest[..=end]) else {
            continue;
        };
        for entry in entries {
            let field = |name: &str| match &entry[name] {
                serde_json::Value::String(s) => s.parse().ok(),
                value => value.as_u64(),
            };
            if let (Some(space), Some(size)) = (field("memory_space"), field("size")) {
                found.push(ScopedMemory {
                    memory_space: u32::try_from(space).unwrap_or(u32::MAX),
                    offset: field("offset").unwrap_or(0),
                    size,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_used_scoped_memory_from_a_backend_config() {
        let hlo = r#"%c = f32[8,128] custom-call(), custom_call_target="tpu_custom_call", backend_config={"custom_call_config":{},"used_scoped_memory_configs":[{"memory_space":"1","offset":"0","size":"1642496"}]}"#;
        assert_eq!(
            used_scoped_memory(hlo),
            [ScopedMemory {
                memory_space: 1,
                offset: 0,
                size: 1_642_496
            }]
        );
        assert!(used_scoped_memory("no kernels here").is_empty());
    }
}
