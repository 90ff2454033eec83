//! Matmul precision per TPU generation: what libtpu really compiles, and how much faster
//! it runs than bf16, as data — and [`Precision::auto`], which picks from that data.
//!
//! Each [`Target`] carries a [`PrecisionFact`] per quantized [`Precision`]: either the
//! speed-up of our own blocked matmul (`pallas_flash_kernels::matmul`, 4096³, per-row and
//! per-column f32 scales) over the bf16 one at the same blocks (512³ on the 128-wide
//! MXUs, 1024 × 1024 × 512 on the 256-wide ones of v6e and 7x, where bf16 itself is 1.5×
//! faster than at 512), from libtpu's static cycle estimates, or the error libtpu gave.
//! The datasheets' "2× int8" does not show: v5e 1.46×, v5p 1.59×, v6e 1.40×; 7x runs
//! int8 at the bf16 rate and fp8 1.19× faster; fp8 compiles on v5e/v5p/v6e at the bf16
//! rate (converted); v4 rejects both. `cargo run -p pallas-flash-kernels --example precision_table`
//! regenerates the figures (`benches/results/precision.md`).
//!
//! ```
//! use pallas_flash_tiling::precision::Precision;
//! use pallas_flash_tiling::Target;
//!
//! assert_eq!(Precision::auto(&Target::v5e()), Precision::Int8);
//! assert!(Precision::Int8.check(&Target::v4()).is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use pallas_flash_ir::DType;
use thiserror::Error;

use crate::Target;

/// The libtpu build and the date the [`PrecisionFact`] figures were measured with.
pub const MEASURED_WITH: &str = "libtpu 0.0.52, 2026-12-02";

/// The speed-up over bf16 a quantized precision must reach for [`Precision::auto`] to
/// take it: quantizing costs accuracy, so a few percent is not worth it.
pub const AUTO_MIN_SPEEDUP: f64 = 1.1;

/// Matmul operand precision: bf16, or quantized with per-channel f32 scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    Bf16,
    /// int8 operands, i32 accumulation, per-row / per-column scales.
    Int8,
    /// fp8 e4m3 operands, f32 accumulation, per-row / per-column scales.
    Fp8,
}

/// What libtpu did with a matmul in one precision on one target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PrecisionStatus {
    /// Compiled; static-estimate cycles of bf16 divided by this precision's.
    Speedup(f64),
    /// libtpu (Mosaic) refused the kernel; the error it gave.
    Rejected(&'static str),
}

/// One measured fact: `precision` on a target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrecisionFact {
    pub precision: Precision,
    pub status: PrecisionStatus,
}

/// Why a precision can not be used on a target.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum PrecisionError {
    #[error(
        "{precision} matmuls do not compile for {target}: libtpu says `{reason}`; \
         use --precision {fallback} (or auto) on {target}"
    )]
    Unsupported {
        precision: Precision,
        target: String,
        reason: &'static str,
        fallback: Precision,
    },
    #[error("unknown precision `{0}`: use auto, bf16, int8 or fp8")]
    Unknown(String),
}

impl Precision {
    /// Every precision, bf16 first.
    pub const ALL: [Precision; 3] = [Precision::Bf16, Precision::Int8, Precision::Fp8];

    /// The dot operand dtype.
    pub fn dtype(self) -> DType {
        match self {
            Precision::Bf16 => DType::Bf16,
            Precision::Int8 => DType::I8,
            Precision::Fp8 => DType::F8E4M3Fn,
        }
    }

    /// Whether operands carry per-channel scales.
    pub fn is_quantized(self) -> bool {
        self != Precision::Bf16
    }

    /// What libtpu did with this precision on `target` (bf16 is the 1.0 baseline).
    pub fn status(self, target: &Target) -> PrecisionStatus {
        match self {
            Precision::Bf16 => PrecisionStatus::Speedup(1.0),
            _ => target
                .precision
                .iter()
                .find(|f| f.precision == self)
                .map_or(PrecisionStatus::Speedup(1.0), |f| f.status),
        }
    }

    /// The fastest precision on `target` that beats bf16 by [`AUTO_MIN_SPEEDUP`], else
    /// bf16. On equal speed-ups the earlier of [`Precision::ALL`] (int8 before fp8:
    /// per-channel int8 keeps more mantissa than e4m3) wins.
    pub fn auto(target: &Target) -> Precision {
        let speedup = |p: Precision| match p.status(target) {
            PrecisionStatus::Speedup(s) => s,
            PrecisionStatus::Rejected(_) => 0.0,
        };
        Precision::ALL
            .into_iter()
            .filter(|p| *p == Precision::Bf16 || speedup(*p) >= AUTO_MIN_SPEEDUP)
            .fold(Precision::Bf16, |best, p| {
                if speedup(p) > speedup(best) {
                    p
                } else {
                    best
                }
            })
    }

    /// An error when libtpu rejects this precision on `target`.
    pub fn check(self, target: &Target) -> Result<Precision, PrecisionError> {
        match self.status(target) {
            PrecisionStatus::Speedup(_) => Ok(self),
            PrecisionStatus::Rejected(reason) => Err(PrecisionError::Unsupported {
                precision: self,
                target: target.name.to_string(),
                reason,
                fallback: Precision::auto(target),
            }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Precision::Bf16 => "bf16",
            Precision::Int8 => "int8",
            Precision::Fp8 => "fp8",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Precision {
    type Err = PrecisionError;

    fn from_str(text: &str) -> Result<Precision, PrecisionError> {
        Precision::ALL
            .into_iter()
            .find(|p| p.name() == text)
            .ok_or_else(|| PrecisionError::Unknown(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_the_measured_speedups() {
        let chosen: Vec<_> = Target::all()
            .iter()
            .map(|t| (t.name, Precision::auto(t)))
            .collect();
        for (name, precision) in &chosen {
            let target: Target = name.parse().unwrap();
            assert!(precision.check(&target).is_ok(), "{name}: {precision}");
        }
        assert_eq!(chosen[0], ("v4", Precision::Bf16), "v4 has no int8/fp8 MXU");
        assert_eq!(chosen[1], ("v5e", Precision::Int8));
        assert_eq!(chosen[3], ("v6e", Precision::Int8));
        assert_eq!(
            chosen[4],
            ("7x", Precision::Fp8),
            "7x: int8 at the bf16 rate"
        );
    }

    #[test]
    fn a_rejected_precision_names_the_error_and_a_fallback() {
        let err = Precision::Int8
            .check(&Target::v4())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("int8 matmuls do not compile for v4")
                && err.contains("Unsupported")
                && err.contains("--precision bf16"),
            "{err}"
        );
    }

    #[test]
    fn names_round_trip() {
        for p in Precision::ALL {
            assert_eq!(p.name().parse::<Precision>(), Ok(p));
        }
        assert!("int4".parse::<Precision>().is_err());
    }
}
