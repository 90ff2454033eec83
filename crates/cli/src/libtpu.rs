//! Compiles through libtpu in a worker process: this binary itself, run as its hidden
//! `__compile-worker` subcommand, so a libtpu abort never takes the command down.

use pallas_flash::codegen::{chain_program, lower, used_scoped_memory, TpuCustomCall};
use pallas_flash::hlo::lint::{lint, LintOptions, Report};
use pallas_flash::hlo::HloModule;
use pallas_flash::runtime::{
    CompileOptions, CompileRequest, IsolatedCompiler, Program as PjrtProgram, WorkerOutput,
};

use pallas_flash::tiling::{BuiltKernel, Target};

use crate::error::CliError;

/// A compiler whose workers are this executable when it is a `main_with` binary (which
/// serves the worker subcommand), else the `pallas-flash-worker` binary.
pub fn compiler() -> Result<IsolatedCompiler, CliError> {
    if !crate::cli::is_self_worker() {
        return Ok(IsolatedCompiler::new()?);
    }
    let exe = std::env::current_exe().map_err(CliError::io("cannot locate this executable"))?;
    Ok(IsolatedCompiler::with_worker(
        exe,
        &[crate::cli::WORKER_SUBCOMMAND],
    ))
}

/// Compiles StableHLO (text or bytecode) for `topology` in a worker.
pub fn compile_program(
    code: Vec<u8>,
    topology: &str,
    options: CompileOptions,
    static_profile: bool,
) -> Result<WorkerOutput, CliError> {
    let mut request = CompileRequest::new(topology, &PjrtProgram::mlir_bytecode(code), options);
    request.static_profile = static_profile;
    Ok(compiler()?.compile(&request)?)
}

/// A problem's kernels after libtpu.
pub struct CompiledKernel {
    /// Every kernel's Mosaic, one after the other.
    pub mosaic_text: String,
    pub stablehlo: String,
    pub output: WorkerOutput,
    /// Scoped VMEM libtpu allocated, from the optimized `HloModuleProto`: the largest of
    /// the kernels' (they run one after the other).
    pub used_vmem_bytes: Option<u64>,
}

/// Lowers the kernels to Mosaic, chains them into one StableHLO program (by operand name,
/// [`chain_program`]) and compiles it for `target`'s topology.
pub fn compile_kernel(
    built: &[BuiltKernel],
    target: &Target,
    static_profile: bool,
) -> Result<CompiledKernel, CliError> {
    let mut mosaic_text = String::new();
    let mut calls = Vec::new();
    for BuiltKernel { kernel, .. } in built {
        let mosaic = lower(kernel)?;
        calls.push(TpuCustomCall::new(kernel, &mosaic)?);
        mosaic_text.push_str(&mosaic.text);
    }
    let chain: Vec<_> = built.iter().map(|b| &b.kernel).zip(&calls).collect();
    let stablehlo = chain_program(&chain)?;
    let output = compile_program(
        stablehlo.clone().into_bytes(),
        &target.topology,
        CompileOptions::default(),
        static_profile,
    )?;
    let used_vmem_bytes =
        used_scoped_memory(&String::from_utf8_lossy(&output.report.hlo_module_proto))
            .iter()
            .filter(|m| m.memory_space == 1)
            .map(|m| m.size)
            .max();
    Ok(CompiledKernel {
        mosaic_text,
        stablehlo,
        output,
        used_vmem_bytes,
    })
}

/// The copy-trap lint over a compile's optimized HLO.
pub enum CopyTrapVerdict {
    Checked(Report),
    NoHloText,
    Unparsable(String),
}

impl CopyTrapVerdict {
    pub fn of(output: &WorkerOutput) -> Self {
        match &output.report.optimized_hlo_text {
            None => CopyTrapVerdict::NoHloText,
            Some(text) => match HloModule::parse(text) {
                Ok(module) => CopyTrapVerdict::Checked(lint(&module, &LintOptions::default())),
                Err(e) => CopyTrapVerdict::Unparsable(e.to_string()),
            },
        }
    }

    /// Number of findings, when the lint ran.
    pub fn findings(&self) -> Option<usize> {
        match self {
            CopyTrapVerdict::Checked(report) => {
                Some(report.kernels.iter().map(|k| k.findings.len()).sum())
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for CopyTrapVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CopyTrapVerdict::NoHloText => f.write_str("not checked (libtpu returned no HLO text)"),
            CopyTrapVerdict::Unparsable(e) => {
                write!(f, "not checked (optimized HLO did not parse: {e})")
            }
            CopyTrapVerdict::Checked(report) => {
                match (report.kernels.len(), self.findings().unwrap_or(0)) {
                    (0, _) => f.write_str("no tpu_custom_call in the program"),
                    (kernels, 0) => write!(
                        f,
                        "clean ({kernels} kernel(s), no copy/pad/transpose/slice around them)"
                    ),
                    (kernels, n) => {
                        write!(f, "{n} finding(s) around {kernels} kernel(s):\n{report}")
                    }
                }
            }
        }
    }
}
