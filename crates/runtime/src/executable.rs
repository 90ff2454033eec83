//! A compiled (not loaded) executable and everything we read off it.

use crate::api::string_from;
use crate::error::Result;
use crate::named_value::{self, Value};
use crate::plugin::Plugin;
use crate::proto;
use crate::sys::{self, args};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Result of a deviceless compile. Owns the `PJRT_Executable`.
pub struct Executable {
    plugin: Plugin,
    raw: *mut sys::PJRT_Executable,
    optimized_hlo_text: Option<String>,
}

// SAFETY: a compiled executable is immutable; PJRT allows concurrent queries.
unsafe impl Send for Executable {}
unsafe impl Sync for Executable {}

/// Device memory the executable needs, from `PJRT_Executable_GetCompiledMemoryStats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryStats {
    pub generated_code_bytes: i64,
    pub argument_bytes: i64,
    pub output_bytes: i64,
    pub alias_bytes: i64,
    pub temp_bytes: i64,
    pub peak_memory_bytes: i64,
}

/// Everything a compile produces, as plain data: what the isolated worker sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompileReport {
    pub name: String,
    /// XLA's optimized HLO as text (`*after_optimizations.txt`), when captured.
    pub optimized_hlo_text: Option<String>,
    /// Serialized `HloModuleProto` of the optimized program.
    #[serde(with = "crate::worker::base64_bytes")]
    pub hlo_module_proto: Vec<u8>,
    pub memory_stats: MemoryStats,
    /// The plugin's cost analysis (`flops`, `bytes accessed`, …); empty when not offered.
    pub cost_analysis: BTreeMap<String, Value>,
    pub fingerprint: Option<String>,
    /// `PJRT_Executable_Serialize` output: load it on a TPU host without recompiling.
    #[serde(with = "crate::worker::base64_bytes")]
    pub serialized: Vec<u8>,
    /// Wall time of the `PJRT_Compile` call.
    pub compile_seconds: f64,
}

impl Executable {
    pub(crate) fn new(
        plugin: Plugin,
        raw: *mut sys::PJRT_Executable,
        optimized_hlo_text: Option<String>,
    ) -> Self {
        Executable {
            plugin,
            raw,
            optimized_hlo_text,
        }
    }

    pub fn name(&self) -> Result<String> {
        let api = self.plugin.api();
        let mut a = args!(PJRT_Executable_Name_Args {
            executable: self.raw
        });
        api.call(
            "PJRT_Executable_Name",
            api.raw().PJRT_Executable_Name,
            &mut a,
        )?;
        // SAFETY: string owned by the executable.
        Ok(unsafe { string_from(a.executable_name, a.executable_name_size) })
    }

    /// XLA's optimized HLO text, if [`crate::CompileOptions::capture_optimized_hlo`] was set.
    pub fn optimized_hlo_text(&self) -> Option<&str> {
        self.optimized_hlo_text.as_deref()
    }

    /// Number of results of the program's entry function.
    pub fn num_outputs(&self) -> Result<usize> {
        let api = self.plugin.api();
        let mut a = args!(PJRT_Executable_NumOutputs_Args {
            executable: self.raw
        });
        api.call(
            "PJRT_Executable_NumOutputs",
            api.raw().PJRT_Executable_NumOutputs,
            &mut a,
        )?;
        Ok(a.num_outputs)
    }

    /// `PJRT_Executable_OptimizedProgram`: the `hlo_with_config` program
    /// (a serialized `HloModuleProtoWithConfig`).
    pub fn optimized_program(&self) -> Result<Vec<u8>> {
        let api = self.plugin.api();
        let format = std::ffi::CString::new("hlo_with_config").unwrap_or_default();
        let mut program = args!(PJRT_Program {});
        let mut a = args!(PJRT_Executable_OptimizedProgram_Args {
            executable: self.raw,
            program: &mut program
        });
        // First call with a null buffer asks for the size.
        api.call(
            "PJRT_Executable_OptimizedProgram",
            api.raw().PJRT_Executable_OptimizedProgram,
            &mut a,
        )?;
        let mut buffer = vec![0u8; program.code_size];
        program.code = buffer.as_mut_ptr().cast();
        program.format = format.as_ptr();
        let mut a = args!(PJRT_Executable_OptimizedProgram_Args {
            executable: self.raw,
            program: &mut program
        });
        api.call(
            "PJRT_Executable_OptimizedProgram",
            api.raw().PJRT_Executable_OptimizedProgram,
            &mut a,
        )?;
        buffer.truncate(program.code_size);
        Ok(buffer)
    }

    /// The optimized `HloModuleProto` (field 1 of `HloModuleProtoWithConfig`).
    pub fn hlo_module_proto(&self) -> Result<Vec<u8>> {
        let with_config = self.optimized_program()?;
        Ok(proto::find_bytes(&with_config, 1)
            .map(<[u8]>::to_vec)
            .unwrap_or_default())
    }

    pub fn memory_stats(&self) -> Result<MemoryStats> {
        let api = self.plugin.api();
        let mut a = args!(PJRT_Executable_GetCompiledMemoryStats_Args {
            executable: self.raw
        });
        api.call(
            "PJRT_Executable_GetCompiledMemoryStats",
            api.raw().PJRT_Executable_GetCompiledMemoryStats,
            &mut a,
        )?;
        Ok(MemoryStats {
            generated_code_bytes: a.generated_code_size_in_bytes,
            argument_bytes: a.argument_size_in_bytes,
            output_bytes: a.output_size_in_bytes,
            alias_bytes: a.alias_size_in_bytes,
            temp_bytes: a.temp_size_in_bytes,
            peak_memory_bytes: a.peak_memory_in_bytes,
        })
    }

    /// The plugin's cost analysis; an empty map when the plugin does not offer one.
    pub fn cost_analysis(&self) -> Result<BTreeMap<String, Value>> {
        let api = self.plugin.api();
        let mut a = args!(PJRT_Executable_GetCostAnalysis_Args {
            executable: self.raw
        });
        match api.call(
            "PJRT_Executable_GetCostAnalysis",
            api.raw().PJRT_Executable_GetCostAnalysis,
            &mut a,
        ) {
            // SAFETY: properties are owned by the executable.
            Ok(()) => Ok(unsafe { named_value::read_all(a.properties, a.num_properties) }),
            Err(crate::Error::Unsupported { .. }) => Ok(BTreeMap::new()),
            Err(e) if e.code() == Some(crate::ErrorCode::Unimplemented) => Ok(BTreeMap::new()),
            Err(e) => Err(e),
        }
    }

    pub fn fingerprint(&self) -> Option<String> {
        let api = self.plugin.api();
        let mut a = args!(PJRT_Executable_Fingerprint_Args {
            executable: self.raw
        });
        api.call(
            "PJRT_Executable_Fingerprint",
            api.raw().PJRT_Executable_Fingerprint,
            &mut a,
        )
        .ok()?;
        // SAFETY: string owned by the executable.
        Some(unsafe { string_from(a.executable_fingerprint, a.executable_fingerprint_size) })
    }

    /// `PJRT_Executable_Serialize`: bytes a TPU host can load without recompiling.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let api = self.plugin.api();
        let mut a = args!(PJRT_Executable_Serialize_Args {
            executable: self.raw
        });
        api.call(
            "PJRT_Executable_Serialize",
            api.raw().PJRT_Executable_Serialize,
            &mut a,
        )?;
        // SAFETY: the bytes live until the deleter runs.
        let bytes = unsafe { string_bytes(a.serialized_bytes, a.serialized_bytes_size) };
        if let Some(deleter) = a.serialized_executable_deleter {
            // SAFETY: handing back what the plugin gave us, once.
            unsafe { deleter(a.serialized_executable) };
        }
        Ok(bytes)
    }

    /// Reads everything into a [`CompileReport`].
    pub fn report(&self, compile_seconds: f64) -> Result<CompileReport> {
        Ok(CompileReport {
            name: self.name()?,
            optimized_hlo_text: self.optimized_hlo_text.clone(),
            hlo_module_proto: self.hlo_module_proto()?,
            memory_stats: self.memory_stats()?,
            cost_analysis: self.cost_analysis()?,
            fingerprint: self.fingerprint(),
            serialized: self.serialize()?,
            compile_seconds,
        })
    }
}

/// # Safety
/// `ptr` must be null or point to `len` readable bytes.
unsafe fn string_bytes(ptr: *const std::os::raw::c_char, len: usize) -> Vec<u8> {
    if ptr.is_null() {
        return vec![];
    }
    std::slice::from_raw_parts(ptr.cast::<u8>(), len).to_vec()
}

impl Drop for Executable {
    fn drop(&mut self) {
        let api = self.plugin.api();
        let mut a = args!(PJRT_Executable_Destroy_Args {
            executable: self.raw
        });
        let _ = api.call(
            "PJRT_Executable_Destroy",
            api.raw().PJRT_Executable_Destroy,
            &mut a,
        );
    }
}
