//! Pallas-Flash kernel IR and the Rust DSL that builds it.
//!
//! Three layers, as in cranelift: the DSL ([`KernelBuilder`]) writes plain data
//! ([`Kernel`]: signature, grid, an arena of [`Expr`] values and a body of [`Stmt`]s),
//! and [`validate`] checks it and returns a [`KernelInfo`] for tiling and codegen.
//! [`Kernel`] implements `Display` with a stable text form.
//!
//! The vocabulary is Pallas's: [`BlockSpec`] (block shape, index map returning block
//! indices, [`MemorySpace`]), [`GridSpec`] with [`DimensionSemantics`], scalar
//! prefetch, scratch, `program_id`, `num_programs`, [`ds`], `when`, `fori_loop`.
//! # Semantics every lowering (Mosaic, interpret) follows
//!
//! - **Grid**: row-major, last axis fastest; `program_id`/`num_programs` are `i32`.
//! - **Windows**: index maps return block indices (offset = index × block extent).
//!   Inputs are (re)loaded when their block index changes; outputs persist while
//!   consecutive steps map to the same block and are written back when it changes and
//!   after the last step; an output block's contents before the body writes it are
//!   unspecified. A partial last block reads unspecified values past the array end and
//!   drops writes there. `Squeezed` dims are 1 in `window_bounds` and absent from the
//!   ref. `Any` operands are the whole array, reachable only by DMA.
//! - **Scratch** persists across the whole grid, initially unspecified.
//! - **Values**: no implicit broadcasting or promotion; integers wrap, `div` truncates
//!   toward zero, `rem` has the dividend's sign (index maps too); float max/min
//!   propagate NaN; casts round to nearest even, float→int truncates ([`Expr::Cast`]).
//! - **Refs**: one indexer per dim or none (whole ref); `at` drops the dim, `ds` keeps
//!   it. VMEM is accessed as vectors (rank ≥ 1), SMEM as scalars; inputs and scalar
//!   prefetch are read-only.
//! - **Control flow**: `when` has no results; `fori_loop` runs `lower..upper` step 1
//!   and returns its carries; values defined in a block are visible only inside it.
//! - **DMA**: `dma_start` then `dma_wait` with the same views and semaphore slot; the
//!   destination may be read only after the wait.
//!
//! # A blocked matmul
//!
//! ```
//! use pallas_flash_ir::{DType::*, DimensionSemantics::*, GridSpec, KernelBuilder};
//!
//! let (m, n, kk): (usize, usize, usize) = (512, 512, 1024);
//! let (bm, bn, bk): (usize, usize, usize) = (128, 128, 256);
//! let grid = GridSpec::new([m / bm, n / bn, kk / bk]).semantics([Parallel, Parallel, Arbitrary]);
//! let mut k = KernelBuilder::new("matmul", grid);
//! let x = k.input("x", [m, kk], Bf16, k.vmem_block([bm, bk], |g| [g.grid(0), g.grid(2)]));
//! let y = k.input("y", [kk, n], Bf16, k.vmem_block([bk, bn], |g| [g.grid(2), g.grid(1)]));
//! let o = k.output("o", [m, n], F32, k.vmem_block([bm, bn], |g| [g.grid(0), g.grid(1)]));
//! let acc = k.scratch_vmem("acc", [bm, bn], F32);
//!
//! // Zero the accumulator on the first step along K, flush it on the last.
//! let step = k.program_id(2);
//! let zero = k.i32(0);
//! let first = k.eq(step, zero);
//! k.when(first, |k| {
//!     let z = k.full([bm, bn], F32, 0.0);
//!     k.write(acc, z);
//! });
//! let (a, b, prev) = (k.read(x), k.read(y), k.read(acc));
//! let prod = k.dot(a, b);
//! let sum = k.add(prev, prod);
//! k.write(acc, sum);
//! let last_step = k.i32((kk / bk - 1) as i32);
//! let last = k.eq(step, last_step);
//! k.when(last, |k| {
//!     let r = k.read(acc);
//!     k.write(o, r);
//! });
//!
//! let (kernel, info) = k.build().expect("valid kernel");
//! assert_eq!(info.grid_steps, 4 * 4 * 4);
//! assert_eq!(info.inputs[0].block_bytes, (bm * bk * 2) as u64);
//! assert!(kernel.to_string().contains("%7 = dot %4, %5 contract (1, 0) batch 0 -> f32"));
//! ```
//!
//! # An online-softmax attention block (FlashAttention-2 forward step)
//!
//! ```
//! use pallas_flash_ir::{BlockDim::*, DType::*, DimensionSemantics::*, GridSpec, IndexExpr, KernelBuilder};
//!
//! let (h, n, d, bq, bkv): (usize, usize, usize, usize, usize) = (8, 2048, 128, 512, 512);
//! let grid = GridSpec::new([h, n / bq, n / bkv]).semantics([Parallel, Parallel, Arbitrary]);
//! let mut k = KernelBuilder::new("attention_fwd", grid);
//! let q_spec = k.vmem_block([Squeezed, Blocked(bq), Blocked(d)], |g| [g.grid(0), g.grid(1), IndexExpr::Const(0)]);
//! let kv_spec = k.vmem_block([Squeezed, Blocked(bkv), Blocked(d)], |g| [g.grid(0), g.grid(2), IndexExpr::Const(0)]);
//! let q = k.input("q", [h, n, d], Bf16, q_spec.clone());
//! let kt = k.input("k", [h, n, d], Bf16, kv_spec.clone());
//! let v = k.input("v", [h, n, d], Bf16, kv_spec);
//! let o = k.output("o", [h, n, d], Bf16, q_spec);
//! let (m_s, l_s) = (k.scratch_vmem("m", [bq, 1], F32), k.scratch_vmem("l", [bq, 1], F32));
//! let acc_s = k.scratch_vmem("acc", [bq, d], F32);
//!
//! let step = k.program_id(2);
//! let zero = k.i32(0);
//! let first = k.eq(step, zero);
//! k.when(first, |k| {
//!     let (minus_inf, zeros) = (k.full([bq, 1], F32, f64::NEG_INFINITY), k.full([bq, 1], F32, 0.0));
//!     let acc0 = k.full([bq, d], F32, 0.0);
//!     for (scratch, value) in [(m_s, minus_inf), (l_s, zeros), (acc_s, acc0)] {
//!         k.write(scratch, value);
//!     }
//! });
//! let (qb, kb, vb) = (k.read(q), k.read(kt), k.read(v));
//! let s = k.dot_nt(qb, kb); // [bq, bkv] f32
//! let scale = k.full([bq, bkv], F32, 1.0 / (d as f64).sqrt());
//! let s = k.mul(s, scale);
//! let (m_prev, l_prev, acc_prev) = (k.read(m_s), k.read(l_s), k.read(acc_s));
//! let m_cur = k.reduce_max(s, 1); // [bq, 1]
//! let m_new = k.max(m_prev, m_cur);
//! let m_wide = k.broadcast(m_new, [bq, bkv]);
//! let centered = k.sub(s, m_wide);
//! let p = k.exp(centered);
//! let m_diff = k.sub(m_prev, m_new);
//! let alpha = k.exp(m_diff); // rescales what was accumulated so far
//! let l_old = k.mul(alpha, l_prev);
//! let p_sum = k.sum(p, 1);
//! let l_new = k.add(l_old, p_sum);
//! let alpha_wide = k.broadcast(alpha, [bq, d]);
//! let acc_old = k.mul(acc_prev, alpha_wide);
//! let p16 = k.cast(p, Bf16);
//! let pv = k.dot(p16, vb);
//! let acc_new = k.add(acc_old, pv);
//! for (scratch, value) in [(m_s, m_new), (l_s, l_new), (acc_s, acc_new)] {
//!     k.write(scratch, value);
//! }
//! let last_step = k.i32((n / bkv - 1) as i32);
//! let last = k.eq(step, last_step);
//! k.when(last, |k| {
//!     let l_wide = k.broadcast(l_new, [bq, d]);
//!     let out = k.div(acc_new, l_wide);
//!     let out16 = k.cast(out, Bf16);
//!     k.write(o, out16);
//! });
//!
//! let (_kernel, info) = k.build().expect("valid kernel");
//! assert_eq!(info.inputs[0].window_bounds, Some(vec![1, bq, d]));
//! assert_eq!(info.vmem_scratch_bytes, ((bq + bq + bq * d) * 4) as u64);
//! ```

mod arena;
mod block_spec;
mod builder;
mod dtype;
mod expr;
mod grid;
mod index_map;
mod kernel;
mod operand;
mod ops;
mod print;
mod ref_view;
mod stmt;
mod types;
pub mod valid;

pub use arena::{Arena, Handle};
pub use block_spec::{BlockDim, BlockSpec, MemorySpace, Window};
pub use builder::{IndexArgs, KernelBuilder};
pub use dtype::{DType, Scalar};
pub use expr::{DotDims, Expr, Value};
pub use grid::{DimensionSemantics, GridSpec};
pub use index_map::{IndexExpr, IndexMap};
pub use kernel::Kernel;
pub use operand::{Alias, CostEstimate, Operand, ScalarPrefetch, Scratch, ScratchKind};
pub use ops::{BinaryOp, CompareOp, ReduceOp, UnaryOp};
pub use ref_view::{at, ds, Dim, Indexer, RefId, RefView};
pub use stmt::{Block, Carry, Dma, ForiLoop, Stmt};
pub use types::{RefType, Shape, ValueType};
pub use valid::{validate, KernelInfo, ValidKernel, Validated, ValidationError};
