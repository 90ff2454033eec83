//! An analytic roofline: how long a kernel's work takes on a target, and what bounds it.
//!
//! Four units work in parallel, so the time is the slowest of them plus a fixed cost
//! per grid step: MXU (dot flops, padded to the MXU edge), HBM (bytes moved, re-reads
//! included), VPU (elementwise and reduction work on vregs) and EUP (transcendentals).
//! Rates are per chip (megacore targets split `parallel` axes across their cores).
//!
//! The MXU and HBM rates are the target's published peaks. The VPU/EUP rates and the
//! step cost are **model assumptions**, to be calibrated against libtpu's static
//! cycle estimate once kernels compile end to end: the roofline ranks candidates for
//! measurement, it does not replace it.

use std::fmt;

use crate::Target;

/// VPU elementwise f32 operations per core per cycle: four VALU slots, each one
/// 8×128 vreg per cycle (model assumption).
pub const VPU_ELEMENTS_PER_CYCLE: f64 = 4.0 * 1024.0;
/// EUP transcendentals (`exp`) per core per cycle: one 8×128 vreg (model assumption).
pub const EUP_ELEMENTS_PER_CYCLE: f64 = 1024.0;
/// Fixed cost of one grid step (pipeline bookkeeping, DMA issue), seconds (model
/// assumption, the commonly quoted ~0.35 µs).
pub const STEP_OVERHEAD_S: f64 = 0.35e-6;

/// The work a kernel does, summed over its grid.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Work {
    /// Dot flops the MXU really runs: dims padded up to the MXU edge.
    pub mxu_flops: f64,
    /// Bytes read from and written to HBM, re-reads included.
    pub hbm_bytes: f64,
    /// Elementwise and reduction f32 element-operations on the VPU.
    pub vpu_elements: f64,
    /// Transcendental element-operations on the EUP.
    pub transcendentals: f64,
    /// Grid steps.
    pub steps: f64,
}

/// `x` rounded up to the MXU `edge`, as f64: MXU passes run whole tiles.
pub fn mxu_padded(x: usize, edge: usize) -> f64 {
    (x.div_ceil(edge) * edge) as f64
}

/// What limits a candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Mxu,
    Hbm,
    Vpu,
    Eup,
    /// Per-step overhead exceeds every unit's time.
    Steps,
}

/// Times per unit, in seconds, and the estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Roofline {
    pub mxu_s: f64,
    pub hbm_s: f64,
    pub vpu_s: f64,
    pub eup_s: f64,
    pub overhead_s: f64,
    /// `max(mxu, hbm, vpu, eup) + overhead`.
    pub seconds: f64,
    pub bound: Bound,
}

impl Roofline {
    /// The roofline of `work` on `target`, with dots at the `matmul_peak` rate.
    pub fn of(target: &Target, work: &Work, matmul_peak: f64) -> Roofline {
        let cycles_per_s = target.clock_hz() * f64::from(target.tensor_cores_per_chip);
        let mxu_s = work.mxu_flops / matmul_peak;
        let hbm_s = work.hbm_bytes / target.hbm_bytes_per_s;
        let vpu_s = work.vpu_elements / (VPU_ELEMENTS_PER_CYCLE * cycles_per_s);
        let eup_s = work.transcendentals / (EUP_ELEMENTS_PER_CYCLE * cycles_per_s);
        let overhead_s = work.steps * STEP_OVERHEAD_S;
        let units = [
            (Bound::Mxu, mxu_s),
            (Bound::Hbm, hbm_s),
            (Bound::Vpu, vpu_s),
            (Bound::Eup, eup_s),
        ];
        let (mut bound, busiest) =
            units.into_iter().fold(
                (Bound::Mxu, 0.0),
                |best, unit| {
                    if unit.1 > best.1 {
                        unit
                    } else {
                        best
                    }
                },
            );
        if overhead_s > busiest {
            bound = Bound::Steps;
        }
        Roofline {
            mxu_s,
            hbm_s,
            vpu_s,
            eup_s,
            overhead_s,
            seconds: busiest + overhead_s,
            bound,
        }
    }
}

impl fmt::Display for Roofline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = |s: f64| s * 1e6;
        write!(
            f,
            "{:.1} µs ({:?}-bound; mxu {:.1}, hbm {:.1}, vpu {:.1}, eup {:.1}, steps {:.1})",
            us(self.seconds),
            self.bound,
            us(self.mxu_s),
            us(self.hbm_s),
            us(self.vpu_s),
            us(self.eup_s),
            us(self.overhead_s)
        )
    }
}
