//! The emulator's module IR: functions of single-block regions whose ops are decoded into
//! [`OpKind`] (attributes read once, unknown ops rejected at load time), operating on
//! function-local value numbers.

use crate::text::Attr;
use crate::types::Type;

/// A function-local SSA value number.
pub type ValueId = u32;

#[derive(Clone, Debug)]
pub struct Module {
    pub funcs: Vec<Func>,
}

impl Module {
    pub fn func(&self, name: &str) -> Option<&Func> {
        self.funcs.iter().find(|f| f.name == name)
    }
}

#[derive(Clone, Debug)]
pub struct Func {
    pub name: String,
    /// Attributes of the `func.func` (kernel ABI: `window_params`, `iteration_bounds`, …).
    pub attrs: Vec<(String, Attr)>,
    pub inputs: Vec<Type>,
    pub results: Vec<Type>,
    pub body: Block,
    /// How many values the function defines (the size of its value table).
    pub num_values: usize,
}

impl Func {
    pub fn attr(&self, key: &str) -> Option<&Attr> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub args: Vec<ValueId>,
    pub ops: Vec<Op>,
}

#[derive(Clone, Debug)]
pub struct Op {
    pub kind: OpKind,
    /// The op's name as written (without the serde prefix), for errors.
    pub name: String,
    pub operands: Vec<ValueId>,
    pub results: Vec<ValueId>,
    pub result_types: Vec<Type>,
    pub operand_types: Vec<Type>,
    /// Single-block regions.
    pub regions: Vec<Block>,
    pub location: String,
    pub line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    AddF,
    SubF,
    MulF,
    DivF,
    RemF,
    MaxF,
    MinF,
    MaxNumF,
    MinNumF,
    PowF,
    AddI,
    SubI,
    MulI,
    DivSI,
    DivUI,
    RemSI,
    RemUI,
    CeilDivSI,
    FloorDivSI,
    MaxSI,
    MinSI,
    MaxUI,
    MinUI,
    AndI,
    OrI,
    XOrI,
    ShLI,
    ShRSI,
    ShRUI,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    NegF,
    Exp,
    Exp2,
    Log,
    Log1p,
    Sqrt,
    Rsqrt,
    Tanh,
    AbsF,
    AbsI,
    Floor,
    Ceil,
    Sin,
    Cos,
    Erf,
    RoundEven,
    Round,
    /// `tpu.reciprocal` (exact here).
    Reciprocal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CastOp {
    ExtF,
    TruncF,
    FpToSi,
    FpToUi,
    SiToFp,
    UiToFp,
    ExtUI,
    ExtSI,
    TruncI,
    IndexCast,
    IndexCastUI,
    /// Same-width reinterpretation of bits.
    Bitcast,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceKind {
    Add,
    Mul,
    MaxF,
    MinF,
    MaxSI,
    MinSI,
    MaxUI,
    MinUI,
    And,
    Or,
    XOr,
}

/// `#tpu.dot_dimension_numbers<lhs contracting, rhs contracting, lhs non-contracting,
/// rhs non-contracting, output (operand, dim) pairs, lhs batch, rhs batch>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DotDims {
    pub lhs_contracting: Vec<usize>,
    pub rhs_contracting: Vec<usize>,
    pub lhs_free: Vec<usize>,
    pub rhs_free: Vec<usize>,
    /// Output dims in order, as (0 = lhs | 1 = rhs, dim).
    pub output: Vec<(usize, usize)>,
    pub lhs_batch: Vec<usize>,
    pub rhs_batch: Vec<usize>,
}

/// Operand layout of `tpu.enqueue_dma` / `tpu.wait_dma2` (from `operandSegmentSizes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaOperands {
    pub source: usize,
    pub target: usize,
    pub semaphore: usize,
    /// Remote DMAs (a device id) are not modeled.
    pub remote: bool,
}

#[derive(Clone, Debug)]
pub enum OpKind {
    Constant(crate::exec::Value),
    Binary(BinOp),
    Unary(UnOp),
    /// `arith.cmpi` with its predicate number.
    CmpI(i64),
    /// `arith.cmpf` with its predicate number.
    CmpF(i64),
    Select,
    Cast(CastOp),
    /// `vector.load base[indices]`.
    VectorLoad,
    /// `vector.store value, base[indices]`.
    VectorStore,
    /// `tpu.vector_store value, base[indices], mask?` (optionally accumulating).
    TpuVectorStore {
        indices: usize,
        masked: bool,
        add: bool,
        strides: Vec<i64>,
    },
    MemrefLoad,
    MemrefStore,
    Broadcast,
    ShapeCast,
    Extract {
        position: Vec<i64>,
    },
    ExtractStridedSlice {
        offsets: Vec<usize>,
        strides: Vec<usize>,
    },
    MultiReduction {
        kind: ReduceKind,
        dims: Vec<usize>,
    },
    Transpose {
        perm: Vec<usize>,
    },
    Iota {
        dims: Vec<usize>,
    },
    Concatenate {
        dim: usize,
    },
    Repeat {
        dim: usize,
        times: usize,
    },
    Matmul {
        dims: DotDims,
        transpose_lhs: bool,
        transpose_rhs: bool,
    },
    MemrefSlice {
        offsets: usize,
    },
    MemrefSqueeze,
    MemrefReshape,
    EnqueueDma(DmaOperands),
    WaitDma2(DmaOperands),
    SemaphoreSignal,
    SemaphoreWait,
    If,
    For,
    While,
    Yield,
    Condition,
    Return,
    /// Forwards its operands (`tpu.assume_multiple`).
    Identity,
    /// Does nothing here (`tpu.trace_start`, `tpu.trace_stop`).
    Nop,
}
