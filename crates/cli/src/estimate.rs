//! libtpu's static cycle estimate turned into time, TFLOP/s and MFU, and checked against
//! the problem's FLOP and byte floors (docs/design.md §8).
//!
//! Two floors: the **spec roofline** (`max(flops / peak, bytes / spec HBM rate)`), which
//! the report prints as "the roofline bound", and the **model floor**, the same with HBM at
//! the fastest rate libtpu's static model streams at. That rate grows with the DMA size
//! (measured on v5e with a kernel that only copies K/V blocks: ~0.9 TB/s at 256 KiB
//! DMAs, 1.245 TB/s around 1 MiB, 2.3 TB/s at 2 MiB, approaching ~2.9 TB/s plus ~600
//! cycles per grid step), so the floor uses the asymptote, 3.5× the 819 GB/s spec. A
//! memory-bound estimate may beat the spec roofline; one below the model floor is a
//! profiler artifact (e.g. scalar-prefetch values read as 0 skip work), never a win.

use pallas_flash::tiling::{BuiltKernel, KernelFamily, Target};
use serde::Serialize;

/// How much faster libtpu's static model can stream HBM than the chip's spec rate: the
/// ~2.9 TB/s asymptote of large DMAs, measured against v5e's 819 GB/s (docs/design.md §8 quotes
/// 1.245 TB/s, the rate at ~1 MiB DMAs; bigger blocks stream faster in the model).
pub const MODEL_HBM_SPEEDUP: f64 = 2.9e12 / 819e9;

/// The work of one call: what any implementation must do.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Work {
    pub flops: f64,
    pub min_hbm_bytes: f64,
}

impl Work {
    /// The work of one call of `family`, whose kernels are `built`.
    pub fn of(family: &dyn KernelFamily, built: &[BuiltKernel]) -> Work {
        Work {
            flops: family.flops(built),
            min_hbm_bytes: family.min_hbm_bytes(built),
        }
    }
}

/// What the roofline says about `work` on `chip`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Floors {
    /// `max(flops / peak, bytes / spec HBM rate)`, seconds.
    pub roofline_seconds: f64,
    /// `compute` or `memory`: which term of the spec roofline is larger.
    pub bound: &'static str,
    /// The roofline with HBM at libtpu's model rate: the lowest credible estimate.
    pub model_floor_seconds: f64,
    /// FLOP per HBM byte.
    pub intensity: f64,
}

impl Floors {
    pub fn of(chip: &Target, work: Work) -> Floors {
        let compute = work.flops / chip.peaks.bf16;
        let memory = work.min_hbm_bytes / chip.hbm_bytes_per_s;
        Floors {
            roofline_seconds: compute.max(memory),
            bound: if compute >= memory {
                "compute"
            } else {
                "memory"
            },
            model_floor_seconds: compute.max(memory / MODEL_HBM_SPEEDUP),
            intensity: work.flops / work.min_hbm_bytes,
        }
    }
}

/// A static estimate in the units people compare.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub estimated_cycles: u64,
    pub estimated_seconds: f64,
    pub tflops: f64,
    /// Fraction of the chip's bf16 peak.
    pub mfu: f64,
    pub floors: Floors,
    /// Below the model floor: a profiler artifact, not a result.
    pub below_floor: bool,
    /// The bytes the call must move through HBM (the problem's minimum).
    pub hbm_bytes: f64,
    /// What a real chip would take: `max(estimate, hbm_bytes / spec HBM rate)`. The model
    /// streams HBM faster than the spec, so a memory-bound kernel's estimate understates it.
    pub projected_seconds: f64,
}

impl Estimate {
    pub fn new(chip: &Target, cycles: u64, work: Work) -> Estimate {
        let seconds = cycles as f64 / chip.clock_hz();
        let floors = Floors::of(chip, work);
        let tflops = work.flops / seconds / 1e12;
        Estimate {
            estimated_cycles: cycles,
            estimated_seconds: seconds,
            tflops,
            mfu: tflops * 1e12 / chip.peaks.bf16,
            floors,
            // 1% slack: the floor's inputs are themselves rounded figures.
            below_floor: seconds < 0.99 * floors.model_floor_seconds,
            hbm_bytes: work.min_hbm_bytes,
            projected_seconds: seconds.max(work.min_hbm_bytes / chip.hbm_bytes_per_s),
        }
    }

    /// Estimated time over the spec roofline bound (1.0 = at the roofline).
    pub fn roofline_ratio(&self) -> f64 {
        self.estimated_seconds / self.floors.roofline_seconds
    }

    /// One line for reports, always labelled as an estimate.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} cycles ≈ {:.1} µs, {:.1} TFLOP/s, MFU {:.1}% (libtpu static estimate, not a measurement); roofline bound {:.1} µs ({}-bound), estimate at {:.2}× it",
            self.estimated_cycles,
            self.estimated_seconds * 1e6,
            self.tflops,
            self.mfu * 100.0,
            self.floors.roofline_seconds * 1e6,
            self.floors.bound,
            self.roofline_ratio()
        );
        if self.floors.bound == "memory" {
            // The model streams HBM faster than the chip: say what the chip would take.
            line.push_str(&format!(
                "\n             memory-bound: {:.1} MB through HBM; projected on the chip max(estimate, bytes at spec HBM rate) = {:.1} µs",
                self.hbm_bytes / 1e6,
                self.projected_seconds * 1e6
            ));
        }
        if self.below_floor {
            line.push_str(&format!(
                "\n             WARNING: below the model floor ({:.1} µs): a profiler artifact (docs/design.md §8), not a result",
                self.floors.model_floor_seconds * 1e6
            ));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_bound_estimate_reports_bytes_and_the_projected_time() {
        let v5e = Target::v5e();
        // 134 MB of KV (decode B=1, 32k, bf16) estimated at 192,864 cycles by the model.
        let work = Work {
            flops: 2.0 * 2.0 * 8.0 * 32768.0 * 128.0,
            min_hbm_bytes: 134_221_824.0,
        };
        let e = Estimate::new(&v5e, 192_864, work);
        assert_eq!(e.floors.bound, "memory");
        let projected_us = 134_221_824.0 / v5e.hbm_bytes_per_s * 1e6;
        assert!((e.projected_seconds * 1e6 - projected_us).abs() < 1e-6);
        assert!(
            e.summary()
                .contains(&format!("134.2 MB through HBM; projected on the chip max(estimate, bytes at spec HBM rate) = {projected_us:.1} µs")),
            "{}",
            e.summary()
        );
    }

    #[test]
    fn a_compute_bound_matmul_at_94_percent_of_peak() {
        let v5e = Target::v5e();
        let work = Work {
            flops: 2.0 * 4096f64.powi(3),
            min_hbm_bytes: 3.0 * 4096.0 * 4096.0 * 2.0,
        };
        let ideal_cycles = work.flops / v5e.peaks.bf16 * v5e.clock_hz();
        let e = Estimate::new(&v5e, (ideal_cycles / 0.94) as u64, work);
        assert!((e.mfu - 0.94).abs() < 1e-3, "{}", e.mfu);
        assert_eq!(e.floors.bound, "compute");
        assert!(!e.below_floor);
    }

    #[test]
    fn streaming_faster_than_the_model_rate_is_an_artifact() {
        let v5e = Target::v5e();
        // Decode: 32768 × 8 heads × 128 × 2 (k, v) × 2 bytes.
        let work = Work {
            flops: 2.0 * 2.0 * 8.0 * 32768.0 * 128.0,
            min_hbm_bytes: 32768.0 * 8.0 * 128.0 * 4.0,
        };
        let at_model_rate = Estimate::new(&v5e, 161_700, work);
        assert_eq!(at_model_rate.floors.bound, "memory");
        assert!(!at_model_rate.below_floor, "{}", at_model_rate.summary());
        assert!(
            at_model_rate.roofline_ratio() < 1.0,
            "beats the spec roofline, as the model does"
        );
        // A kernel that only copies the cache in 8192-row blocks: 88,149 cycles in the model.
        let dma_only = Estimate::new(&v5e, 88_149, work);
        assert!(
            !dma_only.below_floor,
            "big DMAs stream faster than 1.245 TB/s: {}",
            dma_only.summary()
        );
        let skipped = Estimate::new(&v5e, 40_000, work);
        assert!(skipped.below_floor && skipped.summary().contains("profiler artifact"));
    }
}
