//! libtpu's static LLO profile: a per-HLO-op cycle estimate of the compiled program.
//!
//! libtpu writes it when started with `--xla_jf_dump_static_llo_profile_to=DIR` in
//! `LIBTPU_INIT_ARGS`, read once per process — which is why only the isolated worker
//! produces it. Read docs/design.md §8 before trusting a number: the profiler reads scalar-prefetch
//! values as 0, so an estimate below the FLOP or byte floor is an artifact, not a win.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The estimate for one HLO op (a kernel's custom call, a fusion, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpEstimate {
    pub hlo_op_name: String,
    pub estimated_cycles: u64,
}

/// Every op estimate of one compile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticProfile {
    pub ops: Vec<OpEstimate>,
}

impl StaticProfile {
    /// Sum over ops: the program's estimate when its ops run one after another.
    pub fn total_cycles(&self) -> u64 {
        self.ops.iter().map(|op| op.estimated_cycles).sum()
    }

    /// Cycles of the op named `name`, if it was profiled.
    pub fn cycles_of(&self, name: &str) -> Option<u64> {
        self.ops
            .iter()
            .find(|op| op.hlo_op_name == name)
            .map(|op| op.estimated_cycles)
    }

    /// Estimated seconds at a clock rate (v5e: 1.5 GHz, see `tiling::Target`).
    pub fn seconds_at(&self, clock_hz: f64) -> f64 {
        self.total_cycles() as f64 / clock_hz
    }

    /// Reads every `*static_llo_profile.textproto` in `dir`, sorted by op name.
    pub fn read_dir(dir: &Path) -> Result<StaticProfile> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Error::io(format!("reading profile dir {}", dir.display()), e))?;
        let mut ops = Vec::new();
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path
                .to_string_lossy()
                .ends_with("static_llo_profile.textproto")
            {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
                ops.extend(parse_textproto(&text));
            }
        }
        if ops.is_empty() {
            return Err(Error::Profile {
                message: format!("libtpu wrote no static profile into {}", dir.display()),
            });
        }
        ops.sort_by(|a, b| a.hlo_op_name.cmp(&b.hlo_op_name));
        Ok(StaticProfile { ops })
    }
}

/// Extracts `hlo_op_estimate { hlo_op_name: "…" estimated_cycles: N … }` blocks.
/// Unknown fields are ignored; a block without both fields is skipped.
pub fn parse_textproto(text: &str) -> Vec<OpEstimate> {
    let mut ops = Vec::new();
    let (mut name, mut cycles) = (None, None);
    for line in text.lines().map(str::trim) {
        if line.starts_with("hlo_op_estimate") {
            (name, cycles) = (None, None);
        } else if let Some(value) = line.strip_prefix("hlo_op_name:") {
            name = Some(value.trim().trim_matches('"').to_string());
        } else if let Some(value) = line.strip_prefix("estimated_cycles:") {
            cycles = value.trim().parse::<u64>().ok();
        } else if line == "}" {
            if let (Some(hlo_op_name), Some(estimated_cycles)) = (name.take(), cycles.take()) {
                ops.push(OpEstimate {
                    hlo_op_name,
                    estimated_cycles,
                });
            }
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exactly what libtpu 0.0.52 wrote for the matmul+tanh program on v5e.
    const SEEN: &str = "hlo_op_estimate {\n  hlo_op_name: \"convolution_tanh_fusion\"\n  estimated_cycles: 3875\n  num_equivalent_hlos: 1\n  dma_instruction_type: DMA_INSTRUCTION_TYPE_LOCAL\n  scalar_inputs: 0\n}\n";

    #[test]
    fn parses_the_seen_format() {
        let ops = parse_textproto(SEEN);
        assert_eq!(
            ops,
            vec![OpEstimate {
                hlo_op_name: "convolution_tanh_fusion".into(),
                estimated_cycles: 3875
            }]
        );
        let profile = StaticProfile { ops };
        assert_eq!(profile.total_cycles(), 3875);
        assert!((profile.seconds_at(1.5e9) - 3875.0 / 1.5e9).abs() < 1e-15);
    }

    #[test]
    fn skips_incomplete_blocks() {
        assert!(parse_textproto("hlo_op_estimate {\n hlo_op_name: \"x\"\n}\n").is_empty());
        assert!(parse_textproto("garbage").is_empty());
    }
}
