//! MLIR spellings of constants, and the fill that marks unspecified memory.
//!
//! Float literals are rounded to their dtype here (nearest even, as the IR's casts do)
//! and printed as the shortest decimal that reads back to the same bits, or as hex for
//! NaN and infinities, so the text is exact and still readable.

use half::bf16;
use pallas_flash_ir::{DType, Scalar};

/// The literal for `value` as a `dtype` element. 8-bit floats have no host type: the
/// caller builds them as f32 and converts (see `expr`).
pub(crate) fn literal(value: Scalar, dtype: DType) -> String {
    match value {
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => match dtype {
            DType::Bf16 => {
                let h = bf16::from_f64(f);
                if h.is_finite() {
                    decimal(h.to_f32())
                } else {
                    format!("0x{:04X}", h.to_bits())
                }
            }
            _ => float32(f as f32),
        },
    }
}

/// An f32 literal.
pub(crate) fn float32(f: f32) -> String {
    if f.is_finite() {
        decimal(f)
    } else {
        format!("0x{:08X}", f.to_bits())
    }
}

/// Rust's shortest round-trip decimal, with the `.` MLIR's float grammar requires.
fn decimal(f: f32) -> String {
    let s = format!("{f:?}");
    if s.contains('.') {
        s
    } else if let Some(e) = s.find('e') {
        format!("{}.0{}", &s[..e], &s[e..])
    } else {
        format!("{s}.0")
    }
}

/// What unspecified memory holds in the interpreter: NaN for floats, the minimum for
/// integers, so that reading it shows up in the results (Pallas's interpreter does the
/// same for out-of-bounds blocks).
pub(crate) fn unspecified(dtype: DType) -> String {
    match dtype {
        DType::F32 => format!("0x{:08X}", f32::NAN.to_bits()),
        DType::Bf16 => format!("0x{:04X}", bf16::NAN.to_bits()),
        DType::F8E4M3Fn => "0x7F".into(),
        DType::F8E5M2 => "0x7E".into(),
        DType::I1 => "false".into(),
        int => int
            .int_range()
            .map_or_else(|| "0".into(), |(min, _)| min.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_exact_and_parseable() {
        assert_eq!(literal(Scalar::Float(1.0), DType::F32), "1.0");
        assert_eq!(literal(Scalar::Float(1e-7), DType::F32), "1.0e-7");
        assert_eq!(literal(Scalar::Float(3e20), DType::F32), "3.0e20");
        assert_eq!(literal(Scalar::Float(0.1), DType::F32), "0.1");
        // 1/3 rounds to bf16 first: 0.333984375 is the nearest bf16.
        assert_eq!(literal(Scalar::Float(1.0 / 3.0), DType::Bf16), "0.33398438");
        assert_eq!(
            literal(Scalar::Float(f64::NEG_INFINITY), DType::F32),
            "0xFF800000"
        );
        assert_eq!(literal(Scalar::Float(f64::INFINITY), DType::Bf16), "0x7F80");
        assert_eq!(literal(Scalar::Int(-3), DType::I8), "-3");
        assert_eq!(literal(Scalar::Bool(true), DType::I1), "true");
    }

    #[test]
    fn unspecified_memory_is_loud() {
        assert_eq!(unspecified(DType::F32), "0x7FC00000");
        assert_eq!(unspecified(DType::Bf16), "0x7FC0");
        assert_eq!(unspecified(DType::I32), i32::MIN.to_string());
        assert_eq!(unspecified(DType::I8), "-128");
    }
}
