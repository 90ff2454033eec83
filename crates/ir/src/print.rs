//! The stable text form of a kernel (`Display for Kernel`), for docs, errors and
//! golden files. One line per signature entry and per statement; values print as
//! `%N` (their arena index), refs as `@name`, index-map grid arguments as `gN`.

use std::fmt::{self, Display, Formatter, Write};

use crate::types::Shape;
use crate::{
    BlockSpec, Dma, Expr, IndexExpr, Indexer, Kernel, Operand, RefId, RefView, ScratchKind, Stmt,
};

impl Display for Kernel {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let semantics: Vec<_> = self
            .grid
            .dimension_semantics
            .iter()
            .map(|s| s.name())
            .collect();
        writeln!(f, "kernel {}", self.name)?;
        writeln!(
            f,
            "  grid {} ({})",
            Shape(&self.grid.grid),
            semantics.join(", ")
        )?;
        if let Some(bytes) = self.vmem_limit_bytes {
            writeln!(f, "  vmem_limit_bytes {bytes}")?;
        }
        if let Some(c) = self.cost_estimate {
            writeln!(
                f,
                "  cost_estimate flops={} transcendentals={} bytes_accessed={}",
                c.flops, c.transcendentals, c.bytes_accessed
            )?;
        }
        for p in &self.scalar_prefetch {
            writeln!(f, "  prefetch @{}: i32{}", p.name, Shape(&p.shape))?;
        }
        for o in &self.inputs {
            writeln!(f, "  input {}", self.operand(o))?;
        }
        for o in &self.outputs {
            writeln!(f, "  output {}", self.operand(o))?;
        }
        for s in &self.scratch {
            match &s.kind {
                ScratchKind::Buffer {
                    space,
                    shape,
                    dtype,
                } => writeln!(f, "  scratch @{}: {space} {dtype}{}", s.name, Shape(shape))?,
                ScratchKind::DmaSemaphores { count } => {
                    writeln!(f, "  scratch @{}: dma_sem[{count}]", s.name)?
                }
            }
        }
        for a in &self.aliases {
            let name = |ops: &[Operand], i: usize| {
                ops.get(i)
                    .map_or_else(|| format!("#{i}"), |o| o.name.clone())
            };
            writeln!(
                f,
                "  alias @{} -> @{}",
                name(&self.inputs, a.input),
                name(&self.outputs, a.output)
            )?;
        }
        writeln!(f, "{{")?;
        self.block(f, &self.body, 1)?;
        writeln!(f, "}}")
    }
}

impl Kernel {
    fn operand(&self, o: &Operand) -> String {
        let mut line = format!(
            "@{}: {}{} {}",
            o.name,
            o.dtype,
            Shape(&o.shape),
            o.spec.memory_space
        );
        if let BlockSpec {
            window: Some(w), ..
        } = &o.spec
        {
            let block: Vec<_> = w.block_shape.iter().map(ToString::to_string).collect();
            let results: Vec<_> = w
                .index_map
                .results
                .iter()
                .map(|e| self.index_expr(e))
                .collect();
            let _ = write!(
                line,
                " block [{}] -> ({})",
                block.join(", "),
                results.join(", ")
            );
        }
        line
    }

    fn index_expr(&self, e: &IndexExpr) -> String {
        let grid_rank = self.grid.rank();
        match e {
            IndexExpr::Const(v) => v.to_string(),
            IndexExpr::Arg(a) => format!("g{a}"),
            IndexExpr::Binary { op, lhs, rhs } => {
                let (lhs, rhs) = (self.index_expr(lhs), self.index_expr(rhs));
                match op.symbol() {
                    Some(symbol) => format!("({lhs} {symbol} {rhs})"),
                    None => format!("{op}({lhs}, {rhs})"),
                }
            }
            IndexExpr::Compare { op, lhs, rhs } => {
                format!("{op}({}, {})", self.index_expr(lhs), self.index_expr(rhs))
            }
            IndexExpr::Select {
                cond,
                on_true,
                on_false,
            } => format!(
                "select({}, {}, {})",
                self.index_expr(cond),
                self.index_expr(on_true),
                self.index_expr(on_false)
            ),
            IndexExpr::Load { arg, indices } => {
                let indices: Vec<_> = indices.iter().map(|i| self.index_expr(i)).collect();
                let name = arg
                    .checked_sub(grid_rank)
                    .map(RefId::Prefetch)
                    .and_then(|id| self.ref_name(id));
                match name {
                    Some(name) => format!("@{name}[{}]", indices.join(", ")),
                    None => format!("arg{arg}[{}]", indices.join(", ")),
                }
            }
        }
    }

    fn ref_label(&self, id: RefId) -> String {
        self.ref_name(id)
            .map_or_else(|| format!("{id:?}"), |n| format!("@{n}"))
    }

    fn view(&self, view: &RefView) -> String {
        let base = self.ref_label(view.base);
        if view.indexers.is_empty() {
            return base;
        }
        let parts: Vec<_> = view
            .indexers
            .iter()
            .map(|ix| match ix {
                Indexer::At(d) => d.to_string(),
                Indexer::Slice {
                    start,
                    size,
                    stride: 1,
                } => format!("ds({start}, {size})"),
                Indexer::Slice {
                    start,
                    size,
                    stride,
                } => format!("ds({start}, {size}, {stride})"),
            })
            .collect();
        format!("{base}[{}]", parts.join(", "))
    }

    fn block(&self, f: &mut Formatter<'_>, block: &[Stmt], depth: usize) -> fmt::Result {
        let pad = "  ".repeat(depth);
        for stmt in block {
            match stmt {
                Stmt::Let(v) => writeln!(f, "{pad}{v} = {}", self.expr_text(*v))?,
                Stmt::Store { dst, value } => {
                    writeln!(f, "{pad}store {}, {value}", self.view(dst))?
                }
                Stmt::When { cond, body } => {
                    writeln!(f, "{pad}when {cond} {{")?;
                    self.block(f, body, depth + 1)?;
                    writeln!(f, "{pad}}}")?;
                }
                Stmt::ForiLoop(l) => {
                    let results: Vec<_> = l.carries.iter().map(|c| c.result.to_string()).collect();
                    let params: Vec<_> = l
                        .carries
                        .iter()
                        .map(|c| format!("{} = {}", c.param, c.init))
                        .collect();
                    let lhs = if results.is_empty() {
                        String::new()
                    } else {
                        format!("{} = ", results.join(", "))
                    };
                    writeln!(
                        f,
                        "{pad}{lhs}fori_loop {} in {}..{} ({}) {{",
                        l.index,
                        l.lower,
                        l.upper,
                        params.join(", ")
                    )?;
                    self.block(f, &l.body, depth + 1)?;
                    if !l.carries.is_empty() {
                        let nexts: Vec<_> = l.carries.iter().map(|c| c.next.to_string()).collect();
                        writeln!(f, "{pad}  yield {}", nexts.join(", "))?;
                    }
                    writeln!(f, "{pad}}}")?;
                }
                Stmt::DmaStart(dma) => writeln!(f, "{pad}dma_start {}", self.dma(dma))?,
                Stmt::DmaWait(dma) => writeln!(f, "{pad}dma_wait {}", self.dma(dma))?,
            }
        }
        Ok(())
    }

    fn dma(&self, dma: &Dma) -> String {
        format!(
            "{} -> {}, {}[{}]",
            self.view(&dma.src),
            self.view(&dma.dst),
            self.ref_label(dma.semaphore),
            dma.slot
        )
    }

    fn expr_text(&self, value: crate::Value) -> String {
        let Some(e) = self.exprs.get(value) else {
            return "<missing>".into();
        };
        let name = e.name();
        match e {
            Expr::Constant {
                value,
                dtype,
                shape,
            } => format!("constant {value} : {dtype}{}", Shape(shape)),
            Expr::ProgramId { axis } | Expr::NumPrograms { axis } => format!("{name} {axis}"),
            Expr::Load { src } => format!("load {}", self.view(src)),
            Expr::Unary { x, .. } => format!("{name} {x}"),
            Expr::Binary { lhs, rhs, .. } | Expr::Compare { lhs, rhs, .. } => {
                format!("{name} {lhs}, {rhs}")
            }
            Expr::Select {
                cond,
                on_true,
                on_false,
            } => format!("select {cond}, {on_true}, {on_false}"),
            Expr::Cast { x, dtype } => format!("cast {x} to {dtype}"),
            Expr::Broadcast { x, shape } | Expr::Reshape { x, shape } => {
                format!("{name} {x} to {}", Shape(shape))
            }
            Expr::Transpose { x, perm } => format!("transpose {x} {perm:?}"),
            Expr::Iota { shape, dimension } => format!("iota i32{} dim {dimension}", Shape(shape)),
            Expr::Reduce {
                op,
                x,
                axes,
                keep_dims,
            } => {
                let keep = if *keep_dims { " keep_dims" } else { "" };
                format!("reduce_{op} {x} axes {axes:?}{keep}")
            }
            Expr::ReduceLanes { op, x, lanes } => format!("reduce_lanes_{op} {x} lanes {lanes}"),
            Expr::Slice { x, start, size } => format!("slice {x} start {start:?} size {size:?}"),
            Expr::Pad {
                x,
                low,
                high,
                value,
            } => format!("pad {x} low {low:?} high {high:?} value {value}"),
            Expr::Concatenate { parts, axis } => {
                let parts: Vec<String> = parts.iter().map(ToString::to_string).collect();
                format!("concatenate {} axis {axis}", parts.join(", "))
            }
            Expr::Dot {
                lhs,
                rhs,
                dims,
                out_dtype,
            } => format!(
                "dot {lhs}, {rhs} contract ({}, {}) batch {} -> {out_dtype}",
                dims.lhs_contracting, dims.rhs_contracting, dims.batch
            ),
            Expr::LoopIndex | Expr::LoopCarry | Expr::LoopResult => name.to_owned(),
        }
    }
}
