//! Deviceless compilation: `PJRT_Compile` against a topology, with no client and no device.

use crate::error::{Error, Result};
use crate::executable::Executable;
use crate::options::{CompileOptions, FlagValue};
use crate::program::Program;
use crate::sys::{self, args};
use crate::topology::Topology;
use std::collections::BTreeMap;
use std::path::Path;

/// Compiles `program` for `topology` in this process.
///
/// libtpu can abort the whole process on some inputs (DESIGN §6); for anything but trusted
/// programs use [`crate::IsolatedCompiler`].
pub fn compile(topology: &Topology, program: &Program, options: &CompileOptions) -> Result<Executable> {
    let dump = if options.capture_optimized_hlo {
        Some(tempfile::Builder::new().prefix("pallas-flash-hlo-").tempdir().map_err(|e| Error::io("creating the HLO dump dir", e))?)
    } else {
        None
    };
    let mut extra = BTreeMap::new();
    if let Some(dir) = &dump {
        extra.insert("xla_dump_to".to_string(), FlagValue::Str(dir.path().to_string_lossy().into_owned()));
        extra.insert("xla_dump_hlo_as_text".to_string(), FlagValue::Bool(true));
    }
    let encoded = options.encode_with(&extra);
    // MLIR's lexer reads one byte past the end when it reports an error at end of input
    // (a SIGILL in libtpu's parser was seen): keep a NUL there, outside `code_size`.
    let mut code = program.code().to_vec();
    let code_size = code.len();
    code.push(0);
    let pjrt_program = args!(PJRT_Program {
        code: code.as_mut_ptr().cast(),
        code_size: code_size,
        format: Program::FORMAT.as_ptr().cast(),
        format_size: Program::FORMAT.len(),
    });
    let plugin = topology.plugin();
    let api = plugin.api();
    let mut a = args!(PJRT_Compile_Args {
        topology: topology.raw(),
        program: &pjrt_program,
        compile_options: encoded.as_ptr().cast(),
        compile_options_size: encoded.len(),
        client: std::ptr::null_mut::<sys::PJRT_Client>(),
    });
    api.call("PJRT_Compile", api.raw().PJRT_Compile, &mut a)?;
    let text = match &dump {
        Some(dir) => Some(read_optimized_hlo(dir.path())?),
        None => None,
    };
    Ok(Executable::new(plugin.clone(), a.executable, text))
}

/// The `*after_optimizations.txt` of the compiled module (the entry module when XLA dumped
/// several).
pub(crate) fn read_optimized_hlo(dir: &Path) -> Result<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("reading HLO dump dir {}", dir.display()), e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".after_optimizations.txt"))
        .collect();
    // XLA numbers modules in compile order (`module_0001.…`); the last one is the program.
    files.sort();
    let file = files.last().ok_or_else(|| Error::Io {
        context: format!("reading optimized HLO from {}", dir.display()),
        message: "XLA wrote no *.after_optimizations.txt (does the plugin honor xla_dump_to?)".into(),
    })?;
    std::fs::read_to_string(file).map_err(|e| Error::io(format!("reading {}", file.display()), e))
}
