//! The VMEM budget model: what a kernel's windows, scratch and big intermediates
//! occupy in scoped VMEM, checked against the target's limit.
//!
//! Calibrated against libtpu 0.0.52's own allocation (`used_scoped_memory_configs`),
//! see `tests/data/*.jsonl` and `BUDGET.md`:
//!
//! - **Tile padding**: a rank ≥ 2 buffer pads its minor dim to 128 and its second-minor
//!   dim to 8, for f32, bf16 and int8 alike ((8, 100) f32 occupies (8, 128); (7, 100)
//!   bf16 occupies (8, 128) × 2 B); leading dims multiply. A rank-1 buffer pads to a
//!   multiple of 128 × packing elements.
//! - **Buffer count**: a VMEM window is double-buffered (2) when the grid has more than
//!   one step and single-buffered (1) when it has exactly one; VMEM scratch is 1.
//! - **Intermediates**: the compiler keeps a body value in VMEM when it does not fit the
//!   vector register file and must survive a reduction over it (attention's score
//!   matrix: reduced for the row max, then reused for `exp(s - m)`). The model counts the
//!   largest such value once.
//! - `Any` operands stay in HBM; SMEM operands, SMEM scratch and DMA semaphores live
//!   outside VMEM and are reported, not counted.

use std::collections::HashMap;

use pallas_flash_ir::{DType, Expr, Kernel, KernelInfo, MemorySpace, ScratchKind, Value};
use thiserror::Error;

use crate::bytes::Bytes;
use crate::rules::labelled_operands;
use crate::Target;

/// The VMEM shape a buffer really occupies after tile padding.
pub fn padded_shape(target: &Target, shape: &[usize], dtype: DType) -> Vec<usize> {
    let round = |n: usize, m: usize| n.div_ceil(m) * m;
    let lanes = target.lanes as usize;
    let mut padded = shape.to_vec();
    match padded.len() {
        0 => padded.push(lanes * dtype.packing() as usize),
        1 => padded[0] = round(padded[0], lanes * dtype.packing() as usize),
        rank => {
            padded[rank - 1] = round(padded[rank - 1], lanes);
            padded[rank - 2] = round(padded[rank - 2], target.sublanes as usize);
        }
    }
    padded
}

/// Bytes of one buffer of `shape` after tile padding.
pub fn padded_bytes(target: &Target, shape: &[usize], dtype: DType) -> u64 {
    let elements: u64 = padded_shape(target, shape, dtype)
        .iter()
        .map(|&d| d as u64)
        .product();
    elements * u64::from(dtype.byte_size())
}

/// Why a buffer is in VMEM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A pipelined input window.
    Input,
    /// A pipelined output window.
    Output,
    /// A VMEM scratch buffer.
    Scratch,
    /// A body value the compiler materializes in VMEM (an estimate).
    Intermediate,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Input => "input",
            Role::Output => "output",
            Role::Scratch => "scratch",
            Role::Intermediate => "internal",
        }
    }
}

/// One line of the budget: a buffer, its padded size and how many copies exist.
#[derive(Clone, Debug, PartialEq)]
pub struct Buffer {
    pub name: String,
    pub role: Role,
    pub dtype: DType,
    /// The shape as declared (window bounds, scratch shape, value shape).
    pub shape: Vec<usize>,
    /// The shape after tile padding.
    pub padded: Vec<usize>,
    /// Bytes of one copy, after padding.
    pub bytes_each: u64,
    /// Copies: 2 for double-buffered windows, 1 otherwise.
    pub count: u64,
}

impl Buffer {
    /// A buffer of `shape` on `target`, padded.
    pub fn new(
        target: &Target,
        name: impl Into<String>,
        role: Role,
        dtype: DType,
        shape: &[usize],
        count: u64,
    ) -> Buffer {
        Buffer {
            name: name.into(),
            role,
            dtype,
            shape: shape.to_vec(),
            padded: padded_shape(target, shape, dtype),
            bytes_each: padded_bytes(target, shape, dtype),
            count,
        }
    }

    pub fn total(&self) -> u64 {
        self.bytes_each.saturating_mul(self.count)
    }
}

/// Where the scoped VMEM limit comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitSource {
    /// The target's default scoped limit.
    TargetDefault,
    /// The kernel's `vmem_limit_bytes`.
    Kernel,
}

/// A kernel's VMEM budget on one target: every buffer, the limit, and what lives
/// elsewhere. `Display` prints the report table (see `BUDGET.md`).
#[derive(Clone, Debug, PartialEq)]
pub struct VmemBudget {
    pub kernel: String,
    pub target: Target,
    pub grid: Vec<usize>,
    pub buffers: Vec<Buffer>,
    pub limit: u64,
    pub limit_source: LimitSource,
    /// SMEM bytes (SMEM windows and scratch; not padded).
    pub smem_bytes: u64,
    pub dma_semaphores: usize,
}

/// Why a budget does not fit.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BudgetError {
    #[error("`{kernel}` needs {} of VMEM on {target} but the {source_name} scoped limit is {}, {} over; set vmem_limit_bytes to {} (≤ physical {}) or shrink the largest buffer, {largest}", Bytes(*total), Bytes(*limit), Bytes(total - limit), Bytes(*suggested_limit), Bytes(*physical))]
    OverScopedLimit {
        kernel: String,
        target: &'static str,
        total: u64,
        limit: u64,
        source_name: &'static str,
        suggested_limit: u64,
        physical: u64,
        largest: String,
    },
    #[error("`{kernel}` needs {} of VMEM but {target} has only {} per core; shrink blocks, starting with the largest buffer, {largest}", Bytes(*total), Bytes(*physical))]
    OverPhysical {
        kernel: String,
        target: &'static str,
        total: u64,
        physical: u64,
        largest: String,
    },
    #[error("`{kernel}` sets vmem_limit_bytes = {} but {target} has only {} of VMEM per core; use at most {physical}", Bytes(*limit), Bytes(*physical))]
    LimitAbovePhysical {
        kernel: String,
        target: &'static str,
        limit: u64,
        physical: u64,
    },
}

impl VmemBudget {
    /// The budget of a validated kernel (`info` from `pallas_flash_ir::validate`).
    pub fn of(target: &Target, kernel: &Kernel, info: &KernelInfo) -> VmemBudget {
        let window_copies = if info.grid_steps > 1 { 2 } else { 1 };
        let mut buffers = Vec::new();
        let mut smem_bytes = 0;
        let operand_infos = info.inputs.iter().chain(&info.outputs);
        for ((label, operand), operand_info) in labelled_operands(kernel).zip(operand_infos) {
            let role = if label.starts_with("input") {
                Role::Input
            } else {
                Role::Output
            };
            match (operand.spec.memory_space, &operand_info.window_bounds) {
                (MemorySpace::Vmem, Some(bounds)) => buffers.push(Buffer::new(
                    target,
                    label,
                    role,
                    operand.dtype,
                    bounds,
                    window_copies,
                )),
                (MemorySpace::Vmem, None) => buffers.push(Buffer::new(
                    target,
                    label,
                    role,
                    operand.dtype,
                    &operand.shape,
                    1,
                )),
                (MemorySpace::Smem, _) => smem_bytes += operand_info.block_bytes,
                (MemorySpace::Any, _) => {}
            }
        }
        let mut dma_semaphores = 0;
        for scratch in &kernel.scratch {
            match &scratch.kind {
                ScratchKind::Buffer {
                    space: MemorySpace::Vmem,
                    shape,
                    dtype,
                } => buffers.push(Buffer::new(
                    target,
                    format!("scratch `{}`", scratch.name),
                    Role::Scratch,
                    *dtype,
                    shape,
                    1,
                )),
                ScratchKind::Buffer { shape, dtype, .. } => {
                    smem_bytes += shape.iter().map(|&d| d as u64).product::<u64>()
                        * u64::from(dtype.byte_size())
                }
                ScratchKind::DmaSemaphores { count } => dma_semaphores += count,
            }
        }
        buffers.extend(materialized_intermediate(target, kernel, info));
        let mut budget = VmemBudget::from_buffers(
            &kernel.name,
            target,
            &kernel.grid.grid,
            buffers,
            kernel.vmem_limit_bytes,
        );
        budget.smem_bytes = smem_bytes;
        budget.dma_semaphores = dma_semaphores;
        budget
    }

    /// A budget from buffers planned without a kernel (the block-size search);
    /// `vmem_limit_bytes` as in `Kernel::vmem_limit_bytes`.
    pub fn from_buffers(
        kernel: &str,
        target: &Target,
        grid: &[usize],
        buffers: Vec<Buffer>,
        vmem_limit_bytes: Option<u64>,
    ) -> VmemBudget {
        let (limit, limit_source) = match vmem_limit_bytes {
            Some(limit) => (limit, LimitSource::Kernel),
            None => (target.default_scoped_vmem_bytes, LimitSource::TargetDefault),
        };
        VmemBudget {
            kernel: kernel.to_string(),
            target: target.clone(),
            grid: grid.to_vec(),
            buffers,
            limit,
            limit_source,
            smem_bytes: 0,
            dma_semaphores: 0,
        }
    }

    /// Bytes of VMEM the kernel needs.
    pub fn total(&self) -> u64 {
        self.buffers
            .iter()
            .map(Buffer::total)
            .fold(0, u64::saturating_add)
    }

    /// The buffer that takes the most VMEM (the first of equals).
    pub fn largest(&self) -> Option<&Buffer> {
        self.buffers.iter().rev().max_by_key(|b| b.total())
    }

    /// The `vmem_limit_bytes` this kernel needs: the total rounded up to a MiB, or
    /// `None` when even the physical VMEM is too small.
    pub fn required_limit(&self) -> Option<u64> {
        const MIB: u64 = 1 << 20;
        let limit = self.total().div_ceil(MIB) * MIB;
        (limit <= self.target.vmem_bytes).then_some(limit.max(self.total()))
    }

    /// Checks the budget against the scoped limit and the physical VMEM.
    pub fn check(&self) -> Result<(), BudgetError> {
        let (kernel, target, physical) = (
            self.kernel.clone(),
            self.target.name,
            self.target.vmem_bytes,
        );
        let largest = self
            .largest()
            .map(|b| format!("{} ({})", b.name, Bytes(b.total())))
            .unwrap_or_default();
        if self.limit > physical {
            return Err(BudgetError::LimitAbovePhysical {
                kernel,
                target,
                limit: self.limit,
                physical,
            });
        }
        let total = self.total();
        if total <= self.limit {
            return Ok(());
        }
        match self.required_limit() {
            Some(suggested_limit) => Err(BudgetError::OverScopedLimit {
                kernel,
                target,
                total,
                limit: self.limit,
                source_name: match self.limit_source {
                    LimitSource::TargetDefault => "default",
                    LimitSource::Kernel => "kernel's",
                },
                suggested_limit,
                physical,
                largest,
            }),
            None => Err(BudgetError::OverPhysical {
                kernel,
                target,
                total,
                physical,
                largest,
            }),
        }
    }
}

/// The largest body value that the compiler must keep in VMEM: bigger than the vector
/// register file, reduced, and used again besides the reduction.
fn materialized_intermediate(
    target: &Target,
    kernel: &Kernel,
    info: &KernelInfo,
) -> Option<Buffer> {
    let mut uses: HashMap<Value, usize> = HashMap::new();
    for (_, expr) in kernel.exprs.iter() {
        for operand in expr.operands() {
            *uses.entry(operand).or_default() += 1;
        }
    }
    kernel
        .exprs
        .iter()
        .filter_map(|(_, expr)| match expr {
            Expr::Reduce { x, .. } if uses.get(x).copied().unwrap_or(0) >= 2 => Some(*x),
            _ => None,
        })
        .filter_map(|x| Some((x, info.value_type(x)?)))
        .map(|(x, ty)| {
            Buffer::new(
                target,
                format!("value {x}"),
                Role::Intermediate,
                ty.dtype,
                &ty.shape,
                1,
            )
        })
        .filter(|b| b.bytes_each > target.vreg_file_bytes())
        .max_by_key(|b| b.bytes_each)
}
