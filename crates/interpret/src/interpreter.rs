//! Compile a kernel once for the CPU plugin, then run it on any number of argument sets.

use std::sync::OnceLock;

use pallas_flash_ir::{DType, Kernel, Operand, Validated};
use pallas_flash_runtime::{Client, CompileOptions, LoadedExecutable, Plugin, Program};

use crate::lower::window::padded_shape;
use crate::{diagnostic, lower, Error, HostArray};

/// A kernel lowered to StableHLO and compiled for the CPU plugin.
///
/// Compiling takes ~0.1–0.5 s; [`Interpreter::run`] reuses the executable, so build one
/// per kernel and run it on every input set.
pub struct Interpreter {
    kernel: Kernel,
    stablehlo: String,
    executable: LoadedExecutable,
    client: Client,
}

/// The process-wide CPU client (a PJRT plugin initializes once per process anyway).
fn cpu_client() -> Result<Client, Error> {
    static CLIENT: OnceLock<Result<Client, pallas_flash_runtime::Error>> = OnceLock::new();
    let client = CLIENT.get_or_init(|| Client::new(&Plugin::cpu()?));
    Ok(client.clone()?)
}

/// Validates `kernel` and returns its StableHLO program: `@main(prefetch…, inputs…)`
/// returns the outputs and then the `i32[6]` diagnostic record. Needs no plugin.
pub fn lower_to_stablehlo(kernel: &impl Validated) -> Result<String, Error> {
    let valid = kernel.validated().map_err(|error| Error::Invalid {
        kernel: kernel.as_ref().name.clone(),
        error,
    })?;
    check(valid.kernel())?;
    Ok(lower::lower(valid.kernel(), valid.info()))
}

/// What the interpreter needs beyond validation: host dtypes and i32 offsets.
fn check(kernel: &Kernel) -> Result<(), Error> {
    let operands = (kernel.inputs.iter().map(|o| ("input", o)))
        .chain(kernel.outputs.iter().map(|o| ("output", o)));
    for (what, operand) in operands {
        check_operand(what, operand)?;
    }
    Ok(())
}

fn check_operand(what: &'static str, operand: &Operand) -> Result<(), Error> {
    let name = operand.name.clone();
    if !matches!(
        operand.dtype,
        DType::F32 | DType::Bf16 | DType::I32 | DType::I8
    ) {
        return Err(Error::UnsupportedDtype {
            what,
            name,
            dtype: operand.dtype,
        });
    }
    match (padded_shape(operand).into_iter().enumerate()).find(|(_, e)| i32::try_from(*e).is_err())
    {
        Some((dim, extent)) => Err(Error::TooLarge {
            what,
            name,
            dim,
            extent,
        }),
        None => Ok(()),
    }
}

impl Interpreter {
    /// Validates (unless it is a `ValidKernel` already), lowers and compiles `kernel` on
    /// the CPU plugin.
    pub fn new(kernel: &impl Validated) -> Result<Interpreter, Error> {
        let stablehlo = lower_to_stablehlo(kernel)?;
        let client = cpu_client()?;
        let program = Program::mlir_text(stablehlo.clone());
        let executable = client.compile(&program, &CompileOptions::default())?;
        Ok(Interpreter {
            kernel: kernel.as_ref().clone(),
            stablehlo,
            executable,
            client,
        })
    }

    /// The StableHLO text this interpreter runs.
    pub fn stablehlo(&self) -> &str {
        &self.stablehlo
    }

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    /// Runs the kernel: `args` are the scalar-prefetch arrays (`i32`) and then the
    /// inputs, in declaration order; returns one array per output.
    pub fn run(&self, args: &[HostArray]) -> Result<Vec<HostArray>, Error> {
        self.check_args(args)?;
        let buffers = (args.iter())
            .map(|a| a.upload(&self.client))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<_> = buffers.iter().collect();
        let results = self.executable.execute(&refs)?;
        let (record, outputs) = results
            .split_last()
            .expect("the program returns its diagnostic last");
        let record = record.download::<i32>()?;
        if let Some(error) = diagnostic::decode(&self.kernel, record.as_slice().unwrap_or_default())
        {
            return Err(error);
        }
        (outputs.iter().zip(&self.kernel.outputs))
            .map(|(buffer, o)| HostArray::download(buffer, o.dtype))
            .collect()
    }

    fn check_args(&self, args: &[HostArray]) -> Result<(), Error> {
        let k = &self.kernel;
        let declared: Vec<_> = (k.scalar_prefetch.iter())
            .map(|p| (&p.name, &p.shape, DType::I32))
            .chain(k.inputs.iter().map(|o| (&o.name, &o.shape, o.dtype)))
            .collect();
        if args.len() != declared.len() {
            return Err(Error::ArgumentCount {
                kernel: k.name.clone(),
                expected: declared.len(),
                prefetch: k.scalar_prefetch.len(),
                inputs: k.inputs.len(),
                got: args.len(),
            });
        }
        for (index, (arg, (name, shape, dtype))) in args.iter().zip(declared).enumerate() {
            if arg.dtype() != dtype {
                return Err(Error::ArgumentDtype {
                    index,
                    name: name.clone(),
                    expected: dtype,
                    got: arg.dtype(),
                });
            }
            if arg.shape() != shape.as_slice() {
                return Err(Error::ArgumentShape {
                    index,
                    name: name.clone(),
                    expected: shape.clone(),
                    got: arg.shape().to_vec(),
                });
            }
        }
        Ok(())
    }
}

/// Runs `kernel` once on `args` (compiles it first; use [`Interpreter`] to run a
/// kernel several times).
pub fn interpret(kernel: &impl Validated, args: &[HostArray]) -> Result<Vec<HostArray>, Error> {
    Interpreter::new(kernel)?.run(args)
}
