//! Mosaic's types as the emulator sees them: scalars, vectors, memrefs in a memory space,
//! semaphores and function signatures.

use std::fmt;

/// An element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Elem {
    F32,
    Bf16,
    F16,
    F64,
    /// Signless integer of the given width (`i1`, `i8`, `i16`, `i32`, `i64`).
    Int(u8),
    Index,
}

impl Elem {
    pub fn is_float(self) -> bool {
        matches!(self, Elem::F32 | Elem::Bf16 | Elem::F16 | Elem::F64)
    }

    /// Bytes per element in memory (DMA sizes; `i1` counts as one byte).
    pub fn bytes(self) -> usize {
        match self {
            Elem::F32 => 4,
            Elem::Bf16 | Elem::F16 => 2,
            Elem::F64 | Elem::Index => 8,
            Elem::Int(bits) => usize::from(bits.div_ceil(8)),
        }
    }

    pub fn name(self) -> String {
        match self {
            Elem::F32 => "f32".into(),
            Elem::Bf16 => "bf16".into(),
            Elem::F16 => "f16".into(),
            Elem::F64 => "f64".into(),
            Elem::Int(bits) => format!("i{bits}"),
            Elem::Index => "index".into(),
        }
    }
}

/// Where a memref lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Space {
    Vmem,
    Smem,
    /// `#tpu.memory_space<any>`: HBM, reached only by DMA.
    Any,
    Hbm,
    SemaphoreMem,
    /// No memory space attribute.
    Unspecified,
}

/// What a memref holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemElem {
    Data(Elem),
    /// `!tpu.dma_semaphore`.
    DmaSemaphore,
    /// `!tpu.semaphore` (a counting semaphore for `tpu.sem_signal` / `tpu.sem_wait`).
    Semaphore,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MemRefType {
    pub shape: Vec<usize>,
    pub elem: MemElem,
    pub space: Space,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Scalar(Elem),
    Vector {
        shape: Vec<usize>,
        elem: Elem,
    },
    MemRef(MemRefType),
    /// A semaphore value (not in a memref).
    Semaphore(MemElem),
    Function {
        inputs: Vec<Type>,
        results: Vec<Type>,
    },
}

impl Type {
    /// The element type of a scalar or vector.
    pub fn elem(&self) -> Option<Elem> {
        match self {
            Type::Scalar(e) | Type::Vector { elem: e, .. } => Some(*e),
            Type::MemRef(MemRefType {
                elem: MemElem::Data(e),
                ..
            }) => Some(*e),
            _ => None,
        }
    }

    /// The shape of a vector or memref (empty for scalars).
    pub fn shape(&self) -> &[usize] {
        match self {
            Type::Vector { shape, .. } => shape,
            Type::MemRef(m) => &m.shape,
            _ => &[],
        }
    }
}

fn dims(f: &mut fmt::Formatter<'_>, shape: &[usize]) -> fmt::Result {
    for d in shape {
        write!(f, "{d}x")?;
    }
    Ok(())
}

impl fmt::Display for MemElem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemElem::Data(e) => write!(f, "{}", e.name()),
            MemElem::DmaSemaphore => write!(f, "!tpu.dma_semaphore"),
            MemElem::Semaphore => write!(f, "!tpu.semaphore"),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Scalar(e) => write!(f, "{}", e.name()),
            Type::Vector { shape, elem } => {
                write!(f, "vector<")?;
                dims(f, shape)?;
                write!(f, "{}>", elem.name())
            }
            Type::MemRef(m) => {
                write!(f, "memref<")?;
                dims(f, &m.shape)?;
                write!(f, "{}, {:?}>", m.elem, m.space)
            }
            Type::Semaphore(e) => write!(f, "{e}"),
            Type::Function { inputs, results } => {
                let list =
                    |v: &[Type]| v.iter().map(Type::to_string).collect::<Vec<_>>().join(", ");
                write!(f, "({}) -> ({})", list(inputs), list(results))
            }
        }
    }
}
