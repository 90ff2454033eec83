//! TPU-aware planning between the kernel IR and codegen.
//!
//! One concept per module:
//! - [`target`]: [`Target`] profiles for v4, v5e, v5p, v6e and 7x, every figure with
//!   its source (cranelift's `isa`: target facts are data);
//! - [`rules`]: BlockSpec alignment as libtpu enforces it, with errors that name the
//!   operand, dim, value, rule and nearest legal sizes; MXU alignment advice;
//! - [`budget`]: the VMEM budget model (tile padding, buffer counts, materialized
//!   intermediates) checked against the scoped limit; its report ([`report`]) is
//!   explained in `BUDGET.md`;
//! - [`copy_trap`]: which operands XLA will relayout around the kernel, and fixes;
//! - [`family`]: [`KernelFamily`], the one interface every kernel (catalog or user) is
//!   built, searched and reported through;
//! - [`search`] and [`roofline`]: block-size candidates built as real kernels, ranked
//!   by an analytic roofline;
//! - [`profiler_traps`]: patterns that abort libtpu's static profiler, with the cure;
//! - [`precision`]: int8/fp8 matmul facts per generation and [`precision::Precision::auto`];
//! - [`cost`]: a kernel's flops, transcendentals and bytes counted from its IR.
//!
//! Every rule and every model figure was measured with libtpu 0.0.52 through JAX
//! 0.10.2 deviceless compiles (`probes/probe_tiling.py`); the raw measurements are
//! test data in `tests/data/`, so the tests need no Python.
//!
//! # Planning a matmul
//!
//! ```
//! use pallas_flash_ir::{DType::*, DimensionSemantics::*, GridSpec, KernelBuilder};
//! use pallas_flash_tiling::{budget::VmemBudget, copy_trap, rules, Target};
//!
//! let (m, n, kk, bm, bn, bk) = (2048, 2048, 2048, 512, 512, 512);
//! let grid = GridSpec::new([m / bm, n / bn, kk / bk]).semantics([Parallel, Parallel, Arbitrary]);
//! let mut k = KernelBuilder::new("matmul", grid);
//! let x = k.input("x", [m, kk], Bf16, k.vmem_block([bm, bk], |g| [g.grid(0), g.grid(2)]));
//! let y = k.input("y", [kk, n], Bf16, k.vmem_block([bk, bn], |g| [g.grid(2), g.grid(1)]));
//! let o = k.output("o", [m, n], F32, k.vmem_block([bm, bn], |g| [g.grid(0), g.grid(1)]));
//! let acc = k.scratch_vmem("acc", [bm, bn], F32);
//! let (a, b, prev) = (k.read(x), k.read(y), k.read(acc));
//! let prod = k.dot(a, b);
//! let sum = k.add(prev, prod);
//! k.write(acc, sum);
//! k.write(o, sum);
//! let (kernel, info) = k.build().unwrap();
//!
//! let v5e = Target::v5e();
//! assert!(rules::check_kernel(&v5e, &kernel).is_empty());
//! assert!(copy_trap::predict(&v5e, &kernel).is_empty());
//! let budget = VmemBudget::of(&v5e, &kernel, &info);
//! // 2 × 512 KiB (x) + 2 × 512 KiB (y) + 2 × 1 MiB (o) + 1 MiB (acc); libtpu: 5.34 MiB.
//! assert_eq!(budget.total(), 5 << 20);
//! assert!(budget.check().is_ok());
//! println!("{budget}");
//! ```

pub mod budget;
pub mod copy_trap;
pub mod cost;
pub mod family;
pub mod precision;
pub mod profiler_traps;
pub mod report;
pub mod roofline;
pub mod rules;
pub mod search;
pub mod target;

pub use budget::{BudgetError, VmemBudget};
pub use copy_trap::CopyTrap;
pub use family::{Blocks, BuildError, BuiltKernel, KernelFamily};
pub use rules::AlignmentError;
pub use search::{search, SearchError, SearchResult};
pub use target::{Target, TargetError};
