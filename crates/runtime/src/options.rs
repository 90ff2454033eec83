//! `CompileOptions` and their encoding as XLA's `CompileOptionsProto`.

use crate::proto::Writer;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The value of one XLA flag set per compile through `env_option_overrides`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FlagValue {
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl From<&str> for FlagValue {
    fn from(v: &str) -> Self {
        FlagValue::Str(v.to_string())
    }
}
impl From<String> for FlagValue {
    fn from(v: String) -> Self {
        FlagValue::Str(v)
    }
}
impl From<bool> for FlagValue {
    fn from(v: bool) -> Self {
        FlagValue::Bool(v)
    }
}
impl From<i64> for FlagValue {
    fn from(v: i64) -> Self {
        FlagValue::Int(v)
    }
}

/// How to compile: replicas, SPMD partitions and per-compile XLA flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompileOptions {
    pub num_replicas: u32,
    /// Number of SPMD partitions (devices) the program is sharded over.
    pub num_partitions: u32,
    /// Run XLA's SPMD partitioner (needed when `num_partitions > 1` and the program carries
    /// sharding annotations).
    pub spmd: bool,
    /// Use the Shardy partitioner (what JAX emits `sdy.*` shardings for) instead of GSPMD.
    pub shardy: bool,
    /// XLA debug options by name without the leading `--`, e.g. `xla_msa_enable = false`.
    pub xla_flags: BTreeMap<String, FlagValue>,
    /// Read back XLA's optimized HLO text (dumped into a private temp dir, then removed).
    pub capture_optimized_hlo: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            num_replicas: 1,
            num_partitions: 1,
            spmd: false,
            shardy: false,
            xla_flags: BTreeMap::new(),
            capture_optimized_hlo: true,
        }
    }
}

impl CompileOptions {
    /// SPMD over `partitions` devices with Shardy, the way JAX compiles a sharded `jit`.
    pub fn spmd(partitions: u32) -> Self {
        CompileOptions {
            num_partitions: partitions,
            spmd: true,
            shardy: true,
            ..Default::default()
        }
    }

    /// Sets one XLA flag (builder style).
    pub fn flag(mut self, name: &str, value: impl Into<FlagValue>) -> Self {
        self.xla_flags.insert(name.to_string(), value.into());
        self
    }

    /// `CompileOptionsProto` bytes: field 3 `executable_build_options`
    /// (4 num_replicas, 5 num_partitions, 6 use_spmd_partitioning, 19 use_shardy_partitioner)
    /// and field 7 `env_option_overrides` (map of string → `OptionOverrideProto`).
    pub fn encode(&self) -> Vec<u8> {
        self.encode_with(&BTreeMap::new())
    }

    /// Encodes with extra flags layered over `xla_flags` (used for the private dump dir).
    pub(crate) fn encode_with(&self, extra: &BTreeMap<String, FlagValue>) -> Vec<u8> {
        let mut build = Writer::default();
        build
            .int(4, i64::from(self.num_replicas))
            .int(5, i64::from(self.num_partitions));
        if self.spmd {
            build.bool(6, true);
        }
        if self.shardy {
            build.bool(19, true);
        }
        let mut proto = Writer::default();
        proto.message(3, &build);
        let mut flags = self.xla_flags.clone();
        flags.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        for (name, value) in &flags {
            let mut option = Writer::default();
            match value {
                FlagValue::Str(s) => option.bytes(1, s.as_bytes()),
                FlagValue::Bool(b) => option.bool(2, *b),
                FlagValue::Int(i) => option.int(3, *i),
                FlagValue::Float(f) => option.double(4, *f),
            };
            let mut entry = Writer::default();
            entry.bytes(1, name.as_bytes()).message(2, &option);
            proto.message(7, &entry);
        }
        proto.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matches_the_minimal_proto() {
        assert_eq!(
            CompileOptions::default().encode(),
            [0x1a, 0x04, 0x20, 0x01, 0x28, 0x01]
        );
    }

    #[test]
    fn spmd_matches_what_jax_sends_for_four_partitions() {
        assert_eq!(
            CompileOptions::spmd(4).encode(),
            [0x1a, 0x09, 0x20, 0x01, 0x28, 0x04, 0x30, 0x01, 0x98, 0x01, 0x01]
        );
    }

    #[test]
    fn flags_become_map_entries() {
        let bytes = CompileOptions::default()
            .flag("xla_msa_enable", false)
            .encode();
        // field 7, entry { 1: "xla_msa_enable", 2: { 2: false } }
        let mut expected = vec![0x1a, 0x04, 0x20, 0x01, 0x28, 0x01, 0x3a, 0x14, 0x0a, 0x0e];
        expected.extend_from_slice(b"xla_msa_enable");
        expected.extend_from_slice(&[0x12, 0x02, 0x10, 0x00]);
        assert_eq!(bytes, expected);
    }
}
