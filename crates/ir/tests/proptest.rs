//! Property tests: validation never panics on arbitrary kernels; generated valid
//! graphs validate; corrupting one thing makes them invalid.

use pallas_flash_ir::DType::{Bf16, F32, I1, I32};
use pallas_flash_ir::{
    ds, validate, BinaryOp, BlockDim, BlockSpec, Carry, CompareOp, DType, Dim, DimensionSemantics,
    Dma, DotDims, Expr, ForiLoop, GridSpec, IndexExpr, IndexMap, Indexer, Kernel, KernelBuilder,
    MemorySpace, Operand, ReduceOp, RefId, RefView, Scalar, ScalarPrefetch, Scratch, ScratchKind,
    Stmt, UnaryOp, Value, ValueType,
};
use proptest::prelude::*;

/// Decodes a random tape of numbers into arbitrary (mostly invalid) IR.
struct Tape {
    data: Vec<u32>,
    pos: usize,
}

impl Tape {
    fn next(&mut self, bound: usize) -> usize {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v as usize % bound.max(1)
    }

    fn coin(&mut self) -> bool {
        self.next(2) == 1
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next(items.len())]
    }

    fn extent(&mut self) -> usize {
        self.pick(&[0, 1, 2, 8, 16, 128, 256, usize::MAX])
    }

    fn shape(&mut self) -> Vec<usize> {
        (0..self.next(4)).map(|_| self.extent()).collect()
    }

    fn dtype(&mut self) -> DType {
        self.pick(&DType::ALL)
    }

    fn space(&mut self) -> MemorySpace {
        self.pick(&[MemorySpace::Vmem, MemorySpace::Smem, MemorySpace::Any])
    }

    fn name(&mut self) -> String {
        self.pick(&["a", "b", "c", "d", "e", "f", "1x"]).to_owned()
    }

    fn index_expr(&mut self, depth: usize) -> IndexExpr {
        let boxed = |t: &mut Tape| Box::new(t.index_expr(depth + 1));
        match if depth > 2 {
            self.next(2)
        } else {
            self.next(6)
        } {
            0 => IndexExpr::Const(self.pick(&[0, 1, -1, 7, i32::MAX, i32::MIN])),
            1 => IndexExpr::Arg(self.next(4)),
            2 => IndexExpr::Binary {
                op: self.binary_op(),
                lhs: boxed(self),
                rhs: boxed(self),
            },
            3 => IndexExpr::Compare {
                op: self.compare_op(),
                lhs: boxed(self),
                rhs: boxed(self),
            },
            4 => IndexExpr::Select {
                cond: boxed(self),
                on_true: boxed(self),
                on_false: boxed(self),
            },
            _ => IndexExpr::Load {
                arg: self.next(4),
                indices: (0..self.next(3))
                    .map(|_| self.index_expr(depth + 1))
                    .collect(),
            },
        }
    }

    fn binary_op(&mut self) -> BinaryOp {
        use BinaryOp::*;
        self.pick(&[Add, Sub, Mul, Div, Rem, Max, Min, And, Or])
    }

    fn compare_op(&mut self) -> CompareOp {
        use CompareOp::*;
        self.pick(&[Eq, Ne, Lt, Le, Gt, Ge])
    }

    fn operand(&mut self) -> Operand {
        let shape = self.shape();
        let space = self.space();
        let window = self.coin().then(|| {
            let block_shape = (0..self.next(4))
                .map(|_| {
                    if self.next(4) == 0 {
                        BlockDim::Squeezed
                    } else {
                        BlockDim::Blocked(self.extent())
                    }
                })
                .collect();
            let index_map = IndexMap {
                num_args: self.next(4),
                results: (0..self.next(4)).map(|_| self.index_expr(0)).collect(),
            };
            pallas_flash_ir::Window {
                block_shape,
                index_map,
            }
        });
        Operand {
            name: self.name(),
            shape,
            dtype: self.dtype(),
            spec: BlockSpec {
                memory_space: space,
                window,
            },
        }
    }

    fn value(&mut self, count: usize) -> Value {
        Value::from_index(self.next(count + 2))
    }

    fn dim(&mut self, count: usize) -> Dim {
        if self.coin() {
            Dim::Static(self.extent())
        } else {
            Dim::Dynamic(self.value(count))
        }
    }

    fn ref_id(&mut self) -> RefId {
        let i = self.next(3);
        self.pick(&[
            RefId::Prefetch(i),
            RefId::Input(i),
            RefId::Output(i),
            RefId::Scratch(i),
        ])
    }

    fn view(&mut self, count: usize) -> RefView {
        let indexers = (0..self.next(4))
            .map(|_| {
                if self.coin() {
                    Indexer::At(self.dim(count))
                } else {
                    Indexer::Slice {
                        start: self.dim(count),
                        size: self.extent(),
                        stride: self.pick(&[0, 1, 2]),
                    }
                }
            })
            .collect();
        RefView {
            base: self.ref_id(),
            indexers,
        }
    }

    fn expr(&mut self, count: usize) -> Expr {
        let v = |t: &mut Tape| t.value(count);
        match self.next(18) {
            0 => Expr::Constant {
                value: self.pick(&[
                    Scalar::Float(1.5),
                    Scalar::Int(-3),
                    Scalar::Int(1 << 40),
                    Scalar::Bool(true),
                ]),
                dtype: self.dtype(),
                shape: self.shape(),
            },
            1 => Expr::ProgramId { axis: self.next(4) },
            2 => Expr::NumPrograms { axis: self.next(4) },
            3 => Expr::Load {
                src: self.view(count),
            },
            4 => Expr::Unary {
                op: self.pick(&[UnaryOp::Exp, UnaryOp::Neg, UnaryOp::Not, UnaryOp::Abs]),
                x: v(self),
            },
            5 => Expr::Binary {
                op: self.binary_op(),
                lhs: v(self),
                rhs: v(self),
            },
            6 => Expr::Compare {
                op: self.compare_op(),
                lhs: v(self),
                rhs: v(self),
            },
            7 => Expr::Select {
                cond: v(self),
                on_true: v(self),
                on_false: v(self),
            },
            8 => Expr::Cast {
                x: v(self),
                dtype: self.dtype(),
            },
            9 => Expr::Broadcast {
                x: v(self),
                shape: self.shape(),
            },
            10 => Expr::Reshape {
                x: v(self),
                shape: self.shape(),
            },
            11 => Expr::Transpose {
                x: v(self),
                perm: (0..self.next(4)).map(|_| self.next(4)).collect(),
            },
            12 => Expr::Iota {
                shape: self.shape(),
                dimension: self.next(4),
            },
            13 => Expr::Reduce {
                op: self.pick(&[ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min]),
                x: v(self),
                axes: (0..self.next(3)).map(|_| self.next(4)).collect(),
                keep_dims: self.coin(),
            },
            14 => Expr::Dot {
                lhs: v(self),
                rhs: v(self),
                dims: DotDims {
                    lhs_contracting: self.next(4),
                    rhs_contracting: self.next(4),
                    batch: self.next(3),
                },
                out_dtype: self.dtype(),
            },
            15 => Expr::LoopIndex,
            16 => Expr::LoopCarry,
            _ => Expr::LoopResult,
        }
    }

    fn block(&mut self, count: usize, depth: usize) -> Vec<Stmt> {
        (0..self.next(6)).map(|_| self.stmt(count, depth)).collect()
    }

    fn stmt(&mut self, count: usize, depth: usize) -> Stmt {
        let choice = if depth > 1 {
            self.next(2)
        } else {
            self.next(6)
        };
        match choice {
            0 => Stmt::Let(self.value(count)),
            1 => Stmt::Store {
                dst: self.view(count),
                value: self.value(count),
            },
            2 => Stmt::When {
                cond: self.value(count),
                body: self.block(count, depth + 1),
            },
            3 => Stmt::ForiLoop(ForiLoop {
                lower: self.dim(count),
                upper: self.dim(count),
                index: self.value(count),
                carries: (0..self.next(3))
                    .map(|_| Carry {
                        init: self.value(count),
                        param: self.value(count),
                        next: self.value(count),
                        result: self.value(count),
                    })
                    .collect(),
                body: self.block(count, depth + 1),
            }),
            4 => Stmt::DmaStart(self.dma(count)),
            _ => Stmt::DmaWait(self.dma(count)),
        }
    }

    fn dma(&mut self, count: usize) -> Dma {
        Dma {
            src: self.view(count),
            dst: self.view(count),
            semaphore: self.ref_id(),
            slot: self.dim(count),
        }
    }

    fn kernel(&mut self) -> Kernel {
        let grid: Vec<usize> = (0..self.next(4))
            .map(|_| self.pick(&[0, 1, 2, 3, 1 << 20]))
            .collect();
        let semantics_len = (grid.len() + self.next(2)).saturating_sub(self.next(2));
        let semantics = (0..semantics_len)
            .map(|_| {
                self.pick(&[
                    DimensionSemantics::Parallel,
                    DimensionSemantics::Arbitrary,
                    DimensionSemantics::CoreParallel,
                ])
            })
            .collect::<Vec<_>>();
        let mut kernel = Kernel::new(self.name(), GridSpec::new(grid).semantics(semantics));
        kernel.scalar_prefetch = (0..self.next(3))
            .map(|_| ScalarPrefetch {
                name: self.name(),
                shape: self.shape(),
            })
            .collect();
        kernel.inputs = (0..self.next(3)).map(|_| self.operand()).collect();
        kernel.outputs = (0..self.next(3)).map(|_| self.operand()).collect();
        kernel.scratch = (0..self.next(3))
            .map(|_| {
                let kind = if self.coin() {
                    ScratchKind::Buffer {
                        space: self.space(),
                        shape: self.shape(),
                        dtype: self.dtype(),
                    }
                } else {
                    ScratchKind::DmaSemaphores {
                        count: self.next(3),
                    }
                };
                Scratch {
                    name: self.name(),
                    kind,
                }
            })
            .collect();
        let count = self.next(24);
        for _ in 0..count {
            let e = self.expr(count);
            kernel.exprs.append(e);
        }
        kernel.body = self.block(count, 0);
        kernel
    }
}

/// Builds a random but valid body with the DSL, tracking types itself.
struct Gen<'t> {
    tape: &'t mut Tape,
    /// Visible values and their types.
    values: Vec<(Value, ValueType)>,
}

const ROWS: usize = 8;
const LANES: usize = 128;

impl Gen<'_> {
    fn of_type(&mut self, k: &mut KernelBuilder, ty: &ValueType) -> Value {
        let matching: Vec<Value> = self
            .values
            .iter()
            .filter(|(_, t)| t == ty)
            .map(|(v, _)| *v)
            .collect();
        if matching.is_empty() || self.tape.next(4) == 0 {
            let value = match ty.dtype {
                I1 => Scalar::Bool(self.tape.coin()),
                I32 => Scalar::Int(self.tape.next(5) as i64),
                _ => Scalar::Float(0.5),
            };
            let v = k.full(ty.shape.clone(), ty.dtype, value);
            self.values.push((v, ty.clone()));
            return v;
        }
        self.tape.pick(&matching)
    }

    fn any_value(&mut self) -> (Value, ValueType) {
        let i = self.tape.next(self.values.len());
        self.values[i].clone()
    }

    fn ops(&mut self, k: &mut KernelBuilder, x: RefId, depth: usize) {
        for _ in 0..self.tape.next(10) {
            self.op(k, x, depth);
        }
    }

    fn op(&mut self, k: &mut KernelBuilder, x: RefId, depth: usize) {
        let (a, ty) = self.any_value();
        let float = ty.dtype.is_float();
        let (value, result) = match self.tape.next(11) {
            0 if float => (k.exp(a), ty),
            1 if !ty.dtype.is_bool() => {
                let b = self.of_type(k, &ty);
                let op = self.tape.pick(&[
                    BinaryOp::Add,
                    BinaryOp::Sub,
                    BinaryOp::Mul,
                    BinaryOp::Max,
                    BinaryOp::Min,
                ]);
                (k.binary(op, a, b), ty)
            }
            2 if ty.shape.len() == 2 && !ty.dtype.is_bool() => {
                let axis = self.tape.next(2);
                let r = k.reduce_max(a, axis);
                let mut shape = ty.shape.clone();
                shape[axis] = 1;
                let wide = k.broadcast(r, ty.shape.clone());
                self.values.push((r, ValueType::new(ty.dtype, shape)));
                (wide, ty)
            }
            3 if ty.shape.len() == 2 => (
                k.transpose(a, [1, 0]),
                ValueType::new(ty.dtype, [ty.shape[1], ty.shape[0]]),
            ),
            4 => {
                let to = self.tape.pick(&[F32, Bf16, I32]);
                (k.cast(a, to), ty.with_dtype(to))
            }
            5 if ty.shape == [ROWS, LANES] && float => {
                let b = self.of_type(k, &ty);
                (k.dot_nt(a, b), ValueType::new(F32, [ROWS, ROWS]))
            }
            6 if !ty.dtype.is_bool() => {
                let b = self.of_type(k, &ty);
                let c = k.lt(a, b);
                (k.select(c, a, b), ty)
            }
            7 if depth < 2 => {
                let cond = self.of_type(k, &ValueType::scalar(I1));
                let saved = self.values.len();
                k.when(cond, |k| self.ops(k, x, depth + 1));
                self.values.truncate(saved);
                return;
            }
            8 if depth < 2 && !ty.dtype.is_bool() => {
                let saved = self.values.len();
                let [r] = k.fori_loop(0, self.tape.next(3), [a], |k, i, [c]| {
                    self.values.push((i, ValueType::scalar(I32)));
                    self.values.push((c, ty.clone()));
                    self.ops(k, x, depth + 1);
                    let other = self.of_type(k, &ty);
                    [k.max(c, other)]
                });
                self.values.truncate(saved);
                (r, ty)
            }
            9 => {
                let i = k.program_id(0);
                let zero = k.i32(0);
                let start = k.min(i, zero);
                (
                    k.load(x, [ds(start, ROWS), ds(0, LANES)]),
                    ValueType::new(F32, [ROWS, LANES]),
                )
            }
            _ => (
                k.reshape(a, [ty.shape.iter().product::<usize>()]),
                ValueType::new(ty.dtype, [ty.shape.iter().product()]),
            ),
        };
        self.values.push((value, result));
    }
}

fn valid_kernel(tape: &mut Tape) -> Kernel {
    let mut k = KernelBuilder::new("generated", GridSpec::new([2]));
    let spec = k.vmem_block([ROWS, LANES], |g| [g.grid(0), IndexExpr::Const(0)]);
    let x = k.input("x", [2 * ROWS, LANES], F32, spec.clone());
    let o = k.output("o", [2 * ROWS, LANES], F32, spec);
    let first = k.read(x);
    let mut gen = Gen {
        tape,
        values: vec![(first, ValueType::new(F32, [ROWS, LANES]))],
    };
    gen.ops(&mut k, x, 0);
    let out = gen.of_type(&mut k, &ValueType::new(F32, [ROWS, LANES]));
    k.write(o, out);
    k.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_kernels_never_panic(data in prop::collection::vec(any::<u32>(), 0..400)) {
        let kernel = Tape { data, pos: 0 }.kernel();
        let _ = validate(&kernel);
        let _ = kernel.to_string();
    }

    #[test]
    fn arbitrary_bodies_never_panic(data in prop::collection::vec(any::<u32>(), 0..400)) {
        // A valid signature, so the random body reaches the body checks.
        let mut tape = Tape { data, pos: 0 };
        let mut k = KernelBuilder::new("body", GridSpec::new([2, 3]));
        k.scalar_prefetch("a", [4]);
        let spec = k.vmem_block([ROWS, LANES], |g| [g.grid(0), IndexExpr::Const(0)]);
        k.input("b", [2 * ROWS, LANES], F32, spec.clone());
        k.input("c", [2 * ROWS, LANES], Bf16, BlockSpec::any());
        k.output("d", [2 * ROWS, LANES], F32, spec);
        k.scratch_vmem("e", [ROWS, LANES], F32);
        k.dma_semaphores("f", 2);
        let mut kernel = k.finish();
        let count = tape.next(24);
        for _ in 0..count {
            let e = tape.expr(count);
            kernel.exprs.append(e);
        }
        kernel.body = tape.block(count, 0);
        let _ = validate(&kernel);
        let _ = kernel.to_string();
    }

    #[test]
    fn generated_graphs_validate(data in prop::collection::vec(any::<u32>(), 0..200)) {
        let kernel = valid_kernel(&mut Tape { data, pos: 0 });
        match validate(&kernel) {
            Ok(info) => prop_assert_eq!(info.grid_steps, 2),
            Err(e) => prop_assert!(false, "{}\n{}", e, kernel),
        }
    }

    #[test]
    fn corrupted_graphs_are_rejected(data in prop::collection::vec(any::<u32>(), 0..200), corruption in 0usize..5) {
        let mut kernel = valid_kernel(&mut Tape { data, pos: 0 });
        let count = kernel.exprs.len();
        match corruption {
            0 => kernel.body.push(Stmt::Let(Value::from_index(count + 1))),
            1 => { kernel.exprs.append(Expr::ProgramId { axis: 0 }); }
            2 => { let first = kernel.body[0].clone(); kernel.body.push(first); }
            3 => kernel.grid.grid[0] = 0,
            _ => kernel.body.insert(0, Stmt::Store { dst: RefId::Output(0).into(), value: Value::from_index(0) }),
        }
        prop_assert!(validate(&kernel).is_err(), "corruption {} accepted:\n{}", corruption, kernel);
    }
}
