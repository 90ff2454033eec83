//! ABI checks: names, grid, operand shapes, BlockSpecs, scratch, aliases.

use thiserror::Error;

use crate::types::{num_elements, Shape};
use crate::{BlockDim, DType, Kernel, MemorySpace, Operand, ScratchKind, ValueType};

/// A problem with the kernel's signature.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("{what} name `{name}` is not an identifier; use ASCII letters, digits and `_`, not starting with a digit")]
    InvalidName { what: String, name: String },
    #[error("name `{name}` is used twice; give every prefetch, input, output and scratch entry its own name")]
    DuplicateName { name: String },
    #[error("kernel has no outputs; a pallas_call needs at least one output")]
    NoOutputs,
    #[error("grid axis {axis} has extent {extent}; grid extents must be in 1..=2147483647 (program ids are i32)")]
    GridExtent { axis: usize, extent: usize },
    #[error("grid has rank {rank} but {semantics} dimension semantics are given; give one per grid axis")]
    SemanticsLength { rank: usize, semantics: usize },
    #[error(
        "{what} has shape {}; shapes need rank >= 1 and no zero dims",
        Shape(shape)
    )]
    BadShape { what: String, shape: Vec<usize> },
    #[error("{what} is larger than u64 bytes")]
    TooLarge { what: String },
    #[error("{what} has dtype i1, which can not be stored; keep masks in memory as i8 or i32")]
    BoolInMemory { what: String },
    #[error(
        "{what} is in {space} without a block shape; give it a window or use MemorySpace::Any"
    )]
    MissingWindow { what: String, space: MemorySpace },
    #[error("{what} is in `any` memory but has a window; `any` operands are whole arrays moved by DMA, so drop the window or use vmem")]
    WindowedAny { what: String },
    #[error("{what} has block rank {block_rank} but array rank {array_rank}; give one block dim per array dim (BlockDim::Squeezed for dims the body does not see)")]
    BlockRank {
        what: String,
        block_rank: usize,
        array_rank: usize,
    },
    #[error("{what} block dim {dim} is {block}, outside 1..={extent} (the array extent); use a block between 1 and the array extent")]
    BlockExtent {
        what: String,
        dim: usize,
        block: usize,
        extent: usize,
    },
    #[error("{what} squeezes every block dim; keep at least one dim in the window")]
    AllSqueezed { what: String },
    #[error("scratch `{name}` is in `any` memory; scratch buffers live in vmem or smem")]
    ScratchInAny { name: String },
    #[error("scratch `{name}` holds 0 DMA semaphores; allocate at least one")]
    NoSemaphores { name: String },
    #[error("alias refers to {side} {index}, but the kernel has {count}; alias existing operands")]
    AliasOutOfRange {
        side: &'static str,
        index: usize,
        count: usize,
    },
    #[error("alias input {input} -> output {output}: input is {input_type}, output is {output_type}; aliased operands need the same shape and dtype")]
    AliasMismatch {
        input: usize,
        output: usize,
        input_type: ValueType,
        output_type: ValueType,
    },
    #[error(
        "{side} {index} is aliased twice; each input and output may take part in at most one alias"
    )]
    AliasTwice { side: &'static str, index: usize },
    #[error(
        "vmem_limit_bytes is 0; leave it None for the target default or give a positive limit"
    )]
    ZeroVmemLimit,
}

/// Checks everything in the signature except index maps.
pub(super) fn check(kernel: &Kernel) -> Result<(), SignatureError> {
    check_name("kernel", &kernel.name)?;
    check_grid(kernel)?;
    for (i, p) in kernel.scalar_prefetch.iter().enumerate() {
        let what = format!("scalar prefetch {i} `{}`", p.name);
        check_name(&what, &p.name)?;
        check_array(&what, &p.shape, DType::I32)?;
    }
    for (i, o) in kernel.inputs.iter().enumerate() {
        check_operand(&format!("input {i} `{}`", o.name), o)?;
    }
    for (i, o) in kernel.outputs.iter().enumerate() {
        check_operand(&format!("output {i} `{}`", o.name), o)?;
    }
    if kernel.outputs.is_empty() {
        return Err(SignatureError::NoOutputs);
    }
    for (i, s) in kernel.scratch.iter().enumerate() {
        check_scratch(&format!("scratch {i} `{}`", s.name), s)?;
    }
    check_unique_names(kernel)?;
    check_aliases(kernel)?;
    if kernel.vmem_limit_bytes == Some(0) {
        return Err(SignatureError::ZeroVmemLimit);
    }
    Ok(())
}

fn check_name(what: &str, name: &str) -> Result<(), SignatureError> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(SignatureError::InvalidName {
            what: what.to_owned(),
            name: name.to_owned(),
        })
    }
}

fn check_grid(kernel: &Kernel) -> Result<(), SignatureError> {
    let grid = &kernel.grid;
    if let Some((axis, &extent)) = grid
        .grid
        .iter()
        .enumerate()
        .find(|(_, &n)| n == 0 || i32::try_from(n).is_err())
    {
        return Err(SignatureError::GridExtent { axis, extent });
    }
    if grid.dimension_semantics.len() != grid.rank() {
        return Err(SignatureError::SemanticsLength {
            rank: grid.rank(),
            semantics: grid.dimension_semantics.len(),
        });
    }
    Ok(())
}

/// A stored array: rank >= 1, no zero dims, storable dtype, size fits in u64.
fn check_array(what: &str, shape: &[usize], dtype: DType) -> Result<(), SignatureError> {
    if shape.is_empty() || shape.contains(&0) {
        return Err(SignatureError::BadShape {
            what: what.to_owned(),
            shape: shape.to_vec(),
        });
    }
    if !dtype.is_storable() {
        return Err(SignatureError::BoolInMemory {
            what: what.to_owned(),
        });
    }
    match num_elements(shape).and_then(|n| n.checked_mul(dtype.byte_size().into())) {
        Some(_) => Ok(()),
        None => Err(SignatureError::TooLarge {
            what: what.to_owned(),
        }),
    }
}

fn check_operand(what: &str, o: &Operand) -> Result<(), SignatureError> {
    check_name(what, &o.name)?;
    check_array(what, &o.shape, o.dtype)?;
    let space = o.spec.memory_space;
    let Some(window) = &o.spec.window else {
        return match space {
            MemorySpace::Any => Ok(()),
            _ => Err(SignatureError::MissingWindow {
                what: what.to_owned(),
                space,
            }),
        };
    };
    if space == MemorySpace::Any {
        return Err(SignatureError::WindowedAny {
            what: what.to_owned(),
        });
    }
    if window.block_shape.len() != o.shape.len() {
        return Err(SignatureError::BlockRank {
            what: what.to_owned(),
            block_rank: window.block_shape.len(),
            array_rank: o.shape.len(),
        });
    }
    for (dim, (&block, &extent)) in window.block_shape.iter().zip(&o.shape).enumerate() {
        if let BlockDim::Blocked(block) = block {
            if block == 0 || block > extent {
                return Err(SignatureError::BlockExtent {
                    what: what.to_owned(),
                    dim,
                    block,
                    extent,
                });
            }
        }
    }
    if window.ref_shape().is_empty() {
        return Err(SignatureError::AllSqueezed {
            what: what.to_owned(),
        });
    }
    Ok(())
}

fn check_scratch(what: &str, s: &crate::Scratch) -> Result<(), SignatureError> {
    check_name(what, &s.name)?;
    match &s.kind {
        ScratchKind::Buffer {
            space: MemorySpace::Any,
            ..
        } => Err(SignatureError::ScratchInAny {
            name: s.name.clone(),
        }),
        ScratchKind::Buffer { shape, dtype, .. } => check_array(what, shape, *dtype),
        ScratchKind::DmaSemaphores { count: 0 } => Err(SignatureError::NoSemaphores {
            name: s.name.clone(),
        }),
        ScratchKind::DmaSemaphores { .. } => Ok(()),
    }
}

fn check_unique_names(kernel: &Kernel) -> Result<(), SignatureError> {
    let mut seen = std::collections::HashSet::new();
    for id in kernel.refs() {
        let name = kernel.ref_name(id).unwrap_or_default();
        if !seen.insert(name) {
            return Err(SignatureError::DuplicateName {
                name: name.to_owned(),
            });
        }
    }
    Ok(())
}

fn check_aliases(kernel: &Kernel) -> Result<(), SignatureError> {
    let mut inputs_seen = vec![false; kernel.inputs.len()];
    let mut outputs_seen = vec![false; kernel.outputs.len()];
    for alias in &kernel.aliases {
        let input = lookup("input", &kernel.inputs, alias.input)?;
        let output = lookup("output", &kernel.outputs, alias.output)?;
        mark("input", &mut inputs_seen, alias.input)?;
        mark("output", &mut outputs_seen, alias.output)?;
        let input_type = ValueType::new(input.dtype, input.shape.clone());
        let output_type = ValueType::new(output.dtype, output.shape.clone());
        if input_type != output_type {
            return Err(SignatureError::AliasMismatch {
                input: alias.input,
                output: alias.output,
                input_type,
                output_type,
            });
        }
    }
    Ok(())
}

fn lookup<'k>(
    side: &'static str,
    operands: &'k [Operand],
    index: usize,
) -> Result<&'k Operand, SignatureError> {
    operands.get(index).ok_or(SignatureError::AliasOutOfRange {
        side,
        index,
        count: operands.len(),
    })
}

fn mark(side: &'static str, seen: &mut [bool], index: usize) -> Result<(), SignatureError> {
    if std::mem::replace(&mut seen[index], true) {
        return Err(SignatureError::AliasTwice { side, index });
    }
    Ok(())
}
