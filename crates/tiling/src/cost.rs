//! A kernel's work counted from its IR: MXU flops, transcendentals and HBM bytes. XLA's
//! scheduler reads it from the custom call (`cost_estimate`), and it is the work floor of
//! any kernel that does not state its own ([`crate::family::KernelFamily`]).

use pallas_flash_ir::{CostEstimate, Dim, Expr, Kernel, KernelInfo, Stmt, Value};

/// The kernel's own estimate, or one counted from its body: per grid step, `2·m·n·k` per
/// dot and one transcendental per element of `exp`/`log`/`sqrt`/`rsqrt`/`tanh` (statically
/// bounded loops multiply, `when` bodies count as taken), times the grid steps; bytes are
/// every operand array read or written once.
pub fn cost_estimate(kernel: &Kernel, info: &KernelInfo) -> CostEstimate {
    if let Some(estimate) = kernel.cost_estimate {
        return estimate;
    }
    let (flops, transcendentals) = block_cost(kernel, info, &kernel.body);
    let steps = info.grid_steps;
    let prefetch_bytes: u64 = kernel
        .scalar_prefetch
        .iter()
        .map(|p| p.shape.iter().product::<usize>() as u64 * 4)
        .sum();
    let bytes_accessed = info
        .inputs
        .iter()
        .chain(&info.outputs)
        .map(|o| o.array_bytes)
        .fold(prefetch_bytes, u64::saturating_add);
    CostEstimate {
        flops: flops.saturating_mul(steps),
        transcendentals: transcendentals.saturating_mul(steps),
        bytes_accessed,
    }
}

fn block_cost(kernel: &Kernel, info: &KernelInfo, stmts: &[Stmt]) -> (u64, u64) {
    stmts.iter().fold((0u64, 0u64), |(f, t), stmt| {
        let (sf, st) = match stmt {
            Stmt::Let(v) => expr_cost(kernel, info, *v),
            Stmt::When { body, .. } => block_cost(kernel, info, body),
            Stmt::ForiLoop(l) => {
                let trips = match (l.lower, l.upper) {
                    (Dim::Static(lo), Dim::Static(hi)) => hi.saturating_sub(lo) as u64,
                    _ => 1,
                };
                let (bf, bt) = block_cost(kernel, info, &l.body);
                (bf.saturating_mul(trips), bt.saturating_mul(trips))
            }
            Stmt::Store { .. } | Stmt::DmaStart(_) | Stmt::DmaWait(_) => (0, 0),
        };
        (f.saturating_add(sf), t.saturating_add(st))
    })
}

fn expr_cost(kernel: &Kernel, info: &KernelInfo, v: Value) -> (u64, u64) {
    let elements = |v| {
        info.value_type(v)
            .map_or(0, |t| t.shape.iter().product::<usize>() as u64)
    };
    match kernel.exprs.get(v) {
        Some(Expr::Dot { lhs, dims, .. }) => {
            let k = info
                .value_type(*lhs)
                .and_then(|t| t.shape.get(dims.lhs_contracting))
                .copied()
                .unwrap_or(0) as u64;
            (elements(v).saturating_mul(2).saturating_mul(k), 0)
        }
        Some(Expr::Unary { op, .. }) if op.float_only() => (0, elements(v)),
        _ => (0, 0),
    }
}
