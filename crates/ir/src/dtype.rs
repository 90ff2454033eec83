//! Element types and the scalar literals that go with them.

use std::fmt;

/// Element type of a value, a ref or an operand.
///
/// Mosaic spells them `bf16`, `f32`, `i32`, `i8`, `f8E4M3FN`, `f8E5M2` and `i1`
/// ([`DType::mlir_name`]); `i1` exists only for masks and comparison results and can
/// not be stored in a ref.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bf16,
    F32,
    I32,
    I8,
    F8E4M3Fn,
    F8E5M2,
    I1,
}

impl DType {
    /// Every dtype, for tests and target tables.
    pub const ALL: [DType; 7] = [
        DType::Bf16,
        DType::F32,
        DType::I32,
        DType::I8,
        DType::F8E4M3Fn,
        DType::F8E5M2,
        DType::I1,
    ];

    /// Width of one element in bits.
    pub fn bits(self) -> u32 {
        match self {
            DType::F32 | DType::I32 => 32,
            DType::Bf16 => 16,
            DType::I8 | DType::F8E4M3Fn | DType::F8E5M2 => 8,
            DType::I1 => 1,
        }
    }

    /// Bytes one element occupies in memory (`i1` rounds up to a byte).
    pub fn byte_size(self) -> u32 {
        self.bits().div_ceil(8)
    }

    /// Elements packed into one 32-bit sublane word: 1 for 32-bit types, 2 for bf16,
    /// 4 for 8-bit types. Tiling multiplies the sublane rule (8) by this.
    pub fn packing(self) -> u32 {
        4 / self.byte_size()
    }

    pub fn is_float(self) -> bool {
        matches!(
            self,
            DType::Bf16 | DType::F32 | DType::F8E4M3Fn | DType::F8E5M2
        )
    }

    /// Signed integers (`i32`, `i8`); `i1` is [`DType::is_bool`].
    pub fn is_int(self) -> bool {
        matches!(self, DType::I32 | DType::I8)
    }

    pub fn is_bool(self) -> bool {
        self == DType::I1
    }

    /// Whether the dtype may be the element type of a ref (everything but `i1`).
    pub fn is_storable(self) -> bool {
        !self.is_bool()
    }

    /// Short name used by the printer: `bf16`, `f32`, `i32`, `i8`, `f8e4m3fn`, `f8e5m2`, `i1`.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bf16 => "bf16",
            DType::F32 => "f32",
            DType::I32 => "i32",
            DType::I8 => "i8",
            DType::F8E4M3Fn => "f8e4m3fn",
            DType::F8E5M2 => "f8e5m2",
            DType::I1 => "i1",
        }
    }

    /// MLIR builtin type spelling, for codegen.
    pub fn mlir_name(self) -> &'static str {
        match self {
            DType::F8E4M3Fn => "f8E4M3FN",
            DType::F8E5M2 => "f8E5M2",
            other => other.name(),
        }
    }

    /// Inclusive value range of an integer dtype.
    pub fn int_range(self) -> Option<(i64, i64)> {
        match self {
            DType::I32 => Some((i32::MIN.into(), i32::MAX.into())),
            DType::I8 => Some((i8::MIN.into(), i8::MAX.into())),
            _ => None,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A constant's value, independent of its dtype; the validator checks that the kind
/// matches (`Float` for float dtypes, `Int` within range for integers, `Bool` for `i1`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    Float(f64),
    Int(i64),
    Bool(bool),
}

impl Scalar {
    /// Whether this literal is a valid value of `dtype`.
    pub fn fits(self, dtype: DType) -> bool {
        match self {
            Scalar::Float(_) => dtype.is_float(),
            Scalar::Bool(_) => dtype.is_bool(),
            Scalar::Int(v) => dtype
                .int_range()
                .is_some_and(|(lo, hi)| (lo..=hi).contains(&v)),
        }
    }
}

impl From<f64> for Scalar {
    fn from(v: f64) -> Self {
        Scalar::Float(v)
    }
}
impl From<f32> for Scalar {
    fn from(v: f32) -> Self {
        Scalar::Float(v.into())
    }
}
impl From<i64> for Scalar {
    fn from(v: i64) -> Self {
        Scalar::Int(v)
    }
}
impl From<i32> for Scalar {
    fn from(v: i32) -> Self {
        Scalar::Int(v.into())
    }
}
impl From<bool> for Scalar {
    fn from(v: bool) -> Self {
        Scalar::Bool(v)
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `{:?}` keeps a decimal point and spells infinities `inf`, so the text is stable.
            Scalar::Float(v) => write!(f, "{v:?}"),
            Scalar::Int(v) => write!(f, "{v}"),
            Scalar::Bool(v) => write!(f, "{v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_packing() {
        let table = [
            (DType::F32, 32, 4, 1),
            (DType::I32, 32, 4, 1),
            (DType::Bf16, 16, 2, 2),
            (DType::I8, 8, 1, 4),
            (DType::F8E4M3Fn, 8, 1, 4),
            (DType::F8E5M2, 8, 1, 4),
            (DType::I1, 1, 1, 4),
        ];
        for (dtype, bits, bytes, packing) in table {
            assert_eq!(
                (dtype.bits(), dtype.byte_size(), dtype.packing()),
                (bits, bytes, packing),
                "{dtype}"
            );
        }
    }

    #[test]
    fn kinds_partition_the_dtypes() {
        for dtype in DType::ALL {
            let kinds = [dtype.is_float(), dtype.is_int(), dtype.is_bool()];
            assert_eq!(kinds.iter().filter(|k| **k).count(), 1, "{dtype}");
            assert_eq!(dtype.is_storable(), !dtype.is_bool());
        }
    }

    #[test]
    fn names() {
        let names: Vec<_> = DType::ALL
            .iter()
            .map(|d| (d.name(), d.mlir_name()))
            .collect();
        assert_eq!(
            names,
            [
                ("bf16", "bf16"),
                ("f32", "f32"),
                ("i32", "i32"),
                ("i8", "i8"),
                ("f8e4m3fn", "f8E4M3FN"),
                ("f8e5m2", "f8E5M2"),
                ("i1", "i1")
            ]
        );
    }

    #[test]
    fn literals_fit_their_dtype() {
        assert!(Scalar::Int(127).fits(DType::I8));
        assert!(!Scalar::Int(128).fits(DType::I8));
        assert!(Scalar::Int(i32::MIN.into()).fits(DType::I32));
        assert!(!Scalar::Int(1).fits(DType::F32));
        assert!(Scalar::Float(f64::NEG_INFINITY).fits(DType::Bf16));
        assert!(Scalar::Bool(true).fits(DType::I1));
        assert!(!Scalar::Bool(true).fits(DType::I8));
        assert_eq!(Scalar::Float(f64::NEG_INFINITY).to_string(), "-inf");
        assert_eq!(Scalar::Float(1.0).to_string(), "1.0");
    }
}
