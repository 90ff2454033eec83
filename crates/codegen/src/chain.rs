//! Several kernels as one program, wired by operand names: a kernel's input takes the
//! latest earlier kernel's output of the same name, else a parameter of `main` (one per
//! name); `main` returns every output no later kernel reads. FlashAttention's backward
//! (dQ emits `delta`, dK/dV reads it) is such a chain, and so is any user pipeline.

use pallas_flash_ir::Kernel;

use crate::custom_call::TpuCustomCall;
use crate::error::Result;
use pallas_flash_stablehlo::Tensor;

use crate::program::Program;

/// `main` over `kernels` (each with its custom call) in order; one kernel is
/// [`Program::single_kernel`].
pub fn chain_program(kernels: &[(&Kernel, &TpuCustomCall)]) -> Result<String> {
    if let [(_, call)] = kernels {
        return Program::single_kernel(call);
    }
    let mut program = Program::new();
    let mut parameters: Vec<(String, Tensor)> = Vec::new();
    // Outputs so far: name, tensor, and whether a later kernel read it.
    let mut produced: Vec<(String, Tensor, bool)> = Vec::new();
    for (kernel, call) in kernels {
        let names = kernel
            .scalar_prefetch
            .iter()
            .map(|p| &p.name)
            .chain(kernel.inputs.iter().map(|o| &o.name));
        let mut operands = Vec::new();
        for (name, ty) in names.zip(&call.operands) {
            let from_kernel = produced
                .iter_mut()
                .rev()
                .find(|(n, t, _)| n == name && t.ty == *ty);
            let tensor = match from_kernel {
                Some((_, tensor, read)) => {
                    *read = true;
                    tensor.clone()
                }
                None => match parameters.iter().find(|(n, t)| n == name && t.ty == *ty) {
                    Some((_, tensor)) => tensor.clone(),
                    None => {
                        let tensor = program.parameter(ty.clone());
                        parameters.push((name.clone(), tensor.clone()));
                        tensor
                    }
                },
            };
            operands.push(tensor);
        }
        let results = program.call(call, &operands.iter().collect::<Vec<_>>())?;
        produced.extend(
            kernel
                .outputs
                .iter()
                .map(|o| o.name.clone())
                .zip(results)
                .map(|(n, t)| (n, t, false)),
        );
    }
    let returned: Vec<&Tensor> = produced
        .iter()
        .filter(|(_, _, read)| !read)
        .map(|(_, t, _)| t)
        .collect();
    Ok(program.finish(&returned))
}
