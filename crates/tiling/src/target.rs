//! TPU target profiles: the hardware facts every planning pass reads.
//!
//! Like cranelift's `isa`, target facts are data: one [`Target`] value per chip, each
//! figure documented where it is defined, with its source. Passes never hard-code a
//! number that differs between generations; they ask the target.
//!
//! Sources, cited per figure below:
//! - **cloud**: Google Cloud TPU system-architecture pages (per-chip peaks, HBM).
//! - **tpu_info**: JAX 0.10.2 `jax/_src/pallas/mosaic/tpu_info.py` (per-core VMEM, SMEM,
//!   MXU count and width, matmul dtype support), read as facts.
//! - **measured**: libtpu 0.0.52 deviceless compiles of our probe
//!   (`crates/tiling/probes/probe_tiling.py`, data in `tests/data/limits.jsonl`).
//! - **derived**: computed from other figures; the derivation is stated.

use std::fmt;
use std::str::FromStr;

use pallas_flash_ir::DType;
use thiserror::Error;

use crate::precision::{Precision, PrecisionFact, PrecisionStatus};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// A systolic matrix unit: `rows × cols` multiply-accumulates per cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mxu {
    pub rows: u32,
    pub cols: u32,
    /// MXUs per TensorCore.
    pub per_core: u32,
}

/// Peak dense matmul throughput of one chip, in operations per second (a
/// multiply-accumulate counts as 2). `None` when the chip has no native MXU path for
/// that type (the compiler converts, at the bf16 rate or worse).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Peaks {
    pub bf16: f64,
    pub int8: Option<f64>,
    pub fp8: Option<f64>,
}

/// One TPU generation, as the planner sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Short name used in CLIs and tables: `v4`, `v5e`, `v5p`, `v6e`, `7x`.
    pub name: &'static str,
    /// PJRT device kind reported by libtpu (`TPU v5 lite`, …).
    pub device_kind: &'static str,
    /// The libtpu topology to compile for: the smallest one libtpu accepts for a
    /// deviceless compile (`v5e:1x1`), or the one parsed (`v5e:2x2`).
    pub topology: String,
    pub generation: u32,
    pub tensor_cores_per_chip: u32,
    /// Whether `parallel` grid axes are split across the chip's TensorCores (megacore).
    pub megacore: bool,
    pub mxu: Mxu,
    /// Vector lanes (the minor tile dim) and sublanes (the second-minor tile dim, for
    /// 32-bit types) of a vector register.
    pub lanes: u32,
    pub sublanes: u32,
    /// Vector registers per core; a body value larger than the register file is
    /// materialized in VMEM by the compiler.
    pub vregs: u32,
    /// Physical VMEM per TensorCore, in bytes.
    pub vmem_bytes: u64,
    /// Scoped VMEM a kernel may use when it sets no `vmem_limit_bytes`.
    pub default_scoped_vmem_bytes: u64,
    /// SMEM per TensorCore, in bytes.
    pub smem_bytes: u64,
    /// HBM per chip, in bytes.
    pub hbm_bytes: u64,
    /// HBM bandwidth per chip, bytes per second (spec figure).
    pub hbm_bytes_per_s: f64,
    pub peaks: Peaks,
    /// Element types the MXU takes natively as dot operands.
    pub mxu_dtypes: &'static [DType],
    /// Whether the VPU does bf16 arithmetic natively (otherwise bf16 elementwise math
    /// is widened to f32).
    pub vpu_bf16: bool,
    /// int8 and fp8 matmuls as libtpu compiles them here (measured, see
    /// [`crate::precision`]): the speed-up over bf16, or libtpu's error.
    pub precision: &'static [PrecisionFact],
}

/// Why a target name was not recognised.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TargetError {
    #[error("unknown TPU target `{name}`; known targets: v4, v5e, v5p, v6e, 7x")]
    Unknown { name: String },
    #[error("bad topology shape `{shape}` in `{text}`: use e.g. {example}")]
    Topology {
        shape: String,
        text: String,
        example: String,
    },
}

impl Target {
    /// TPU v4: 2 TensorCores (megacore), 4 MXUs of 128×128 per core.
    pub fn v4() -> Target {
        Target {
            name: "v4",
            device_kind: "TPU v4",
            topology: "v4:2x2x1".to_string(),
            generation: 4,
            tensor_cores_per_chip: 2, // tpu_info
            megacore: true,           // tpu_info `supports_megacore`
            mxu: Mxu {
                rows: 128,
                cols: 128,
                per_core: 4,
            }, // tpu_info
            lanes: 128,
            sublanes: 8,
            vregs: 32,
            vmem_bytes: 16 * MIB, // tpu_info (16 MiB per core)
            // measured: a 40 MiB kernel fails against 16 MiB, the whole VMEM.
            default_scoped_vmem_bytes: 16 * MIB,
            smem_bytes: MIB,         // tpu_info
            hbm_bytes: 32 * GIB,     // cloud (32 GiB per chip)
            hbm_bytes_per_s: 1.2e12, // cloud (1200 GB/s)
            peaks: Peaks {
                bf16: 275e12,
                int8: None,
                fp8: None,
            }, // cloud; tpu_info: no int8/fp8 rate
            mxu_dtypes: &[DType::Bf16, DType::F32], // tpu_info `is_matmul_supported`, generation 4
            vpu_bf16: false,
            precision: const {
                &[
                    rejected(Precision::Int8, V4_REJECTS),
                    rejected(Precision::Fp8, V4_REJECTS),
                ]
            },
        }
    }

    /// TPU v5e ("v5 lite"): 1 TensorCore, 4 MXUs of 128×128.
    pub fn v5e() -> Target {
        Target {
            name: "v5e",
            device_kind: "TPU v5 lite",
            topology: "v5e:1x1".to_string(),
            generation: 5,
            tensor_cores_per_chip: 1,
            megacore: false,
            mxu: Mxu {
                rows: 128,
                cols: 128,
                per_core: 4,
            }, // tpu_info
            lanes: 128,
            sublanes: 8,
            vregs: 32,
            vmem_bytes: 128 * MIB, // tpu_info
            // measured: "Scoped allocation with size 40.00M and limit 16.00M".
            default_scoped_vmem_bytes: 16 * MIB,
            smem_bytes: MIB,        // tpu_info
            hbm_bytes: 16 * GIB,    // cloud
            hbm_bytes_per_s: 819e9, // cloud (819 GB/s)
            peaks: Peaks {
                bf16: 197e12,
                int8: Some(394e12),
                fp8: None,
            }, // cloud
            // tpu_info accepts f8e5m2 operands on generation 5 but lists no fp8 rate:
            // the MXU has no fp8 path, so we treat fp8 as converted.
            mxu_dtypes: &[DType::Bf16, DType::F32, DType::I8],
            vpu_bf16: false,
            precision: const {
                &[
                    speedup(Precision::Int8, 1.461),
                    speedup(Precision::Fp8, 0.985),
                ]
            },
        }
    }

    /// TPU v5p: 2 TensorCores (megacore), 4 MXUs of 128×128 per core.
    pub fn v5p() -> Target {
        Target {
            name: "v5p",
            device_kind: "TPU v5",
            topology: "v5p:2x2x1".to_string(),
            generation: 5,
            tensor_cores_per_chip: 2, // tpu_info
            megacore: true,           // tpu_info
            mxu: Mxu {
                rows: 128,
                cols: 128,
                per_core: 4,
            }, // tpu_info
            lanes: 128,
            sublanes: 8,
            vregs: 32,
            vmem_bytes: 64 * MIB, // tpu_info; measured ("Used 96.00M of 63.94M vmem")
            // measured: "limit 16.00M".
            default_scoped_vmem_bytes: 16 * MIB,
            smem_bytes: MIB,           // tpu_info
            hbm_bytes: 95 * GIB,       // cloud (95 GiB)
            hbm_bytes_per_s: 2.765e12, // cloud (2765 GB/s)
            peaks: Peaks {
                bf16: 459e12,
                int8: Some(918e12),
                fp8: None,
            }, // cloud
            mxu_dtypes: &[DType::Bf16, DType::F32, DType::I8], // tpu_info, generation 5
            vpu_bf16: false,
            precision: const {
                &[
                    speedup(Precision::Int8, 1.588),
                    speedup(Precision::Fp8, 0.949),
                ]
            },
        }
    }

    /// TPU v6e (Trillium, "v6 lite"): 1 TensorCore, 256×256 MXUs.
    pub fn v6e() -> Target {
        Target {
            name: "v6e",
            device_kind: "TPU v6 lite",
            topology: "v6e:1x1".to_string(),
            generation: 6,
            tensor_cores_per_chip: 1,
            megacore: false,
            // tpu_info: column size 256 and `num_mxus=2`, but the published 918 TF/s at the
            // 1.75 GHz clock public kernel configs use (tokamax-style `frequency_ghz`) is
            // 4 × 256² MACs per cycle; with 2 the derived clock would be an implausible 3.5 GHz.
            mxu: Mxu {
                rows: 256,
                cols: 256,
                per_core: 4,
            },
            lanes: 128,
            sublanes: 8,
            vregs: 32,
            vmem_bytes: 128 * MIB, // tpu_info
            // measured: "limit 32.00M".
            default_scoped_vmem_bytes: 32 * MIB,
            smem_bytes: MIB,          // tpu_info
            hbm_bytes: 32 * GIB,      // cloud
            hbm_bytes_per_s: 1.64e12, // cloud (1640 GB/s)
            peaks: Peaks {
                bf16: 918e12,
                int8: Some(1836e12),
                fp8: Some(918e12),
            }, // cloud; fp8 rate: tpu_info
            mxu_dtypes: &[DType::Bf16, DType::F32, DType::I8, DType::F8E5M2], // tpu_info, generation 6
            vpu_bf16: true, // bf16 VPU math from v6e on (docs/design.md §7, issue 5)
            precision: const {
                &[
                    speedup(Precision::Int8, 1.397),
                    speedup(Precision::Fp8, 0.981),
                ]
            },
        }
    }

    /// TPU7x (Ironwood): 2 TensorCores (not megacore), 256×256 MXUs.
    pub fn tpu7x() -> Target {
        Target {
            name: "7x",
            device_kind: "TPU7x",
            topology: "tpu7x:2x2x1".to_string(),
            generation: 7,
            tensor_cores_per_chip: 2, // tpu_info
            megacore: false,          // tpu_info
            // As v6e: 1155 TF/s per core at the 2.2 GHz public configs use is 4 × 256² MACs
            // per cycle (tpu_info's `num_mxus=2` would derive 4.4 GHz).
            mxu: Mxu {
                rows: 256,
                cols: 256,
                per_core: 4,
            },
            lanes: 128,
            sublanes: 8,
            vregs: 32,
            vmem_bytes: 64 * MIB, // tpu_info; measured ("Used 96.00M of 63.94M vmem")
            // measured: "Scoped allocation with size 40.00M and limit 32.00M".
            default_scoped_vmem_bytes: 32 * MIB,
            smem_bytes: MIB,          // tpu_info
            hbm_bytes: 192 * GIB,     // cloud (192 GiB HBM3E)
            hbm_bytes_per_s: 7.37e12, // cloud (7.37 TB/s)
            peaks: Peaks {
                bf16: 2307e12,
                int8: None,
                fp8: Some(4614e12),
            }, // cloud
            mxu_dtypes: &[DType::Bf16, DType::F32, DType::F8E4M3Fn, DType::F8E5M2], // tpu_info, generation 7
            vpu_bf16: true,
            precision: const {
                &[
                    speedup(Precision::Int8, 0.949),
                    speedup(Precision::Fp8, 1.193),
                ]
            },
        }
    }

    /// Every target, oldest first.
    pub fn all() -> [Target; 5] {
        [
            Self::v4(),
            Self::v5e(),
            Self::v5p(),
            Self::v6e(),
            Self::tpu7x(),
        ]
    }

    /// Multiply-accumulate flops the MXUs of one core do per cycle (2 per MAC).
    pub fn mxu_flops_per_cycle(&self) -> f64 {
        2.0 * f64::from(self.mxu.rows * self.mxu.cols * self.mxu.per_core)
    }

    /// Core clock, **derived**: bf16 peak = clock × MXU flops per cycle × cores.
    /// v5e gives 1.5 GHz, the figure libtpu's static cycle estimate converts with.
    pub fn clock_hz(&self) -> f64 {
        self.peaks.bf16 / (self.mxu_flops_per_cycle() * f64::from(self.tensor_cores_per_chip))
    }

    /// Peak matmul rate of one chip for dot operands of `dtype`: the native rate when
    /// the MXU takes the type, the bf16 rate otherwise (the compiler converts).
    pub fn matmul_peak(&self, dtype: DType) -> f64 {
        let native = match dtype {
            DType::I8 => self.peaks.int8,
            DType::F8E4M3Fn | DType::F8E5M2 => self.peaks.fp8,
            _ => None,
        };
        match native {
            Some(rate) if self.mxu_dtypes.contains(&dtype) => rate,
            _ => self.peaks.bf16,
        }
    }

    /// Bytes of the vector register file of one core (`vregs` × sublanes × lanes × 4).
    pub fn vreg_file_bytes(&self) -> u64 {
        u64::from(self.vregs * self.sublanes * self.lanes * 4)
    }

    /// MXU edge a dot dimension should be a multiple of to fill the array.
    pub fn mxu_edge(&self) -> usize {
        self.mxu.cols as usize
    }

    /// Chips in the topology (`v5e:2x2` is 4).
    pub fn chips(&self) -> usize {
        let shape = self.topology.split_once(':').map_or("", |(_, shape)| shape);
        shape
            .split('x')
            .filter_map(|d| d.parse::<usize>().ok())
            .product::<usize>()
            .max(1)
    }
}

/// libtpu's error for int8 and fp8 dot operands on v4 (measured, both dtypes).
const V4_REJECTS: &str = "E2001 CompileTimeMosaicUnsupportedRhsType";

/// A measured speed-up over bf16 (static estimates, [`crate::precision::MEASURED_WITH`]).
const fn speedup(precision: Precision, over_bf16: f64) -> PrecisionFact {
    PrecisionFact {
        precision,
        status: PrecisionStatus::Speedup(over_bf16),
    }
}

/// A precision libtpu refused, with its error.
const fn rejected(precision: Precision, error: &'static str) -> PrecisionFact {
    PrecisionFact {
        precision,
        status: PrecisionStatus::Rejected(error),
    }
}

impl FromStr for Target {
    type Err = TargetError;

    /// Parses a chip, `v4`, `v5e`, `v5p`, `v6e`, `7x` (also `tpu7x`, and the device
    /// kinds), optionally with a topology shape: `v5e:2x2`.
    fn from_str(text: &str) -> Result<Target, TargetError> {
        let (name, shape) = match text.split_once(':') {
            Some((chip, shape)) => (chip, Some(shape)),
            None => (text, None),
        };
        let wanted = name.trim().to_ascii_lowercase();
        let mut target = Target::all()
            .into_iter()
            .find(|t| {
                t.name == wanted
                    || t.device_kind.to_ascii_lowercase() == wanted
                    || format!("tpu{}", t.name) == wanted
            })
            .ok_or(TargetError::Unknown {
                name: name.to_string(),
            })?;
        if let Some(shape) = shape {
            let prefix = target.topology.split(':').next().unwrap_or(target.name);
            let dims_ok = !shape.is_empty()
                && shape
                    .split('x')
                    .all(|d| d.parse::<u32>().is_ok_and(|d| d > 0));
            if !dims_ok {
                return Err(TargetError::Topology {
                    shape: shape.to_string(),
                    text: text.to_string(),
                    example: format!("{}:2x2", target.name),
                });
            }
            target.topology = format!("{prefix}:{shape}");
        }
        Ok(target)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
