//! Compilation: deviceless `PJRT_Compile` against a topology, and the pieces it shares with
//! [`crate::Client::compile`] (program buffer, encoded options, optimized-HLO capture).

use crate::error::{Error, Result};
use crate::executable::Executable;
use crate::options::{CompileOptions, FlagValue};
use crate::program::Program;
use crate::sys::{self, args};
use crate::topology::Topology;
use std::collections::BTreeMap;
use std::path::Path;

/// Compiles `program` for `topology` in this process, with no device and no client.
///
/// libtpu can abort the whole process on some inputs (docs/design.md §6); for anything but trusted
/// programs use [`crate::IsolatedCompiler`].
pub fn compile(
    topology: &Topology,
    program: &Program,
    options: &CompileOptions,
) -> Result<Executable> {
    let mut input = CompileInput::new(program, options)?;
    let plugin = topology.plugin();
    let api = plugin.api();
    let pjrt_program = input.program();
    let mut a = args!(PJRT_Compile_Args {
        topology: topology.raw(),
        program: &pjrt_program,
        compile_options: input.options.as_ptr().cast(),
        compile_options_size: input.options.len(),
        client: std::ptr::null_mut::<sys::PJRT_Client>(),
    });
    api.call("PJRT_Compile", api.raw().PJRT_Compile, &mut a)?;
    Ok(Executable::new(
        plugin.clone(),
        a.executable,
        input.optimized_hlo()?,
    ))
}

/// A program and its options, ready for a PJRT compile call.
pub(crate) struct CompileInput {
    /// The program followed by a NUL that is not part of `code_size`: MLIR's lexer reads one
    /// byte past the end when it reports an error at end of input (a SIGILL in libtpu's
    /// parser was seen without it).
    code: Vec<u8>,
    pub(crate) options: Vec<u8>,
    dump: Option<tempfile::TempDir>,
}

impl CompileInput {
    pub(crate) fn new(program: &Program, options: &CompileOptions) -> Result<Self> {
        let mut code = program.code().to_vec();
        code.push(0);
        let dump = if options.capture_optimized_hlo {
            let dir = tempfile::Builder::new()
                .prefix("pallas-flash-hlo-")
                .tempdir();
            Some(dir.map_err(|e| Error::io("creating the HLO dump dir", e))?)
        } else {
            None
        };
        let mut extra = BTreeMap::new();
        if let Some(dir) = &dump {
            extra.insert(
                "xla_dump_to".to_string(),
                FlagValue::Str(dir.path().to_string_lossy().into_owned()),
            );
            extra.insert("xla_dump_hlo_as_text".to_string(), FlagValue::Bool(true));
        }
        Ok(CompileInput {
            code,
            options: options.encode_with(&extra),
            dump,
        })
    }

    /// The `PJRT_Program` view of the code; valid while `self` is.
    pub(crate) fn program(&mut self) -> sys::PJRT_Program {
        args!(PJRT_Program {
            code: self.code.as_mut_ptr().cast(),
            code_size: self.code.len() - 1,
            format: Program::FORMAT.as_ptr().cast(),
            format_size: Program::FORMAT.len(),
        })
    }

    /// The optimized HLO text XLA dumped, when capture was requested.
    pub(crate) fn optimized_hlo(&self) -> Result<Option<String>> {
        self.dump
            .as_ref()
            .map(|dir| read_optimized_hlo(dir.path()))
            .transpose()
    }
}

/// The `*after_optimizations.txt` of the compiled module (the last one when XLA dumped
/// several: it numbers modules in compile order).
fn read_optimized_hlo(dir: &Path) -> Result<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("reading HLO dump dir {}", dir.display()), e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        // TPU writes `….after_optimizations.txt`, CPU `….cpu_after_optimizations.txt`.
        .filter(|p| p.to_string_lossy().ends_with("after_optimizations.txt"))
        .collect();
    files.sort();
    let file = files.last().ok_or_else(|| Error::Io {
        context: format!("reading optimized HLO from {}", dir.display()),
        message: "XLA wrote no *after_optimizations.txt (does the plugin honor xla_dump_to?)"
            .into(),
    })?;
    std::fs::read_to_string(file).map_err(|e| Error::io(format!("reading {}", file.display()), e))
}
