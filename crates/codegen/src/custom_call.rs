//! A kernel as `stablehlo.custom_call @tpu_custom_call` with its backend_config JSON.
//!
//! backend_config (docs/design.md §3): `custom_call_config` holds the base64 body, the cost
//! estimate, `"serialization_format": 1` and `"needs_layout_passes": true` (libtpu rejects
//! the body without either); `scoped_memory_configs` raises the scoped VMEM limit
//! (memory space 1) when the kernel sets `vmem_limit_bytes`; `allow_input_fusion` (one
//! bool per operand, as JAX writes `pltpu.CompilerParams(allow_input_fusion=[...])`) lets
//! XLA fuse an operand's producer — e.g. a scan's per-layer `dynamic-slice` — into the
//! kernel instead of writing it out first.

use base64::Engine;
use pallas_flash_ir::{Alias, CostEstimate, DType, Validated};
use pallas_flash_stablehlo::{CustomCall, OutputOperandAlias, TensorType};
use serde_json::json;

use crate::error::{CodegenError, Result};
use crate::MosaicModule;

/// One kernel as a custom call: its operands (scalar prefetch, then inputs), results
/// (outputs), aliases and backend config.
#[derive(Clone, Debug, PartialEq)]
pub struct TpuCustomCall {
    pub kernel_name: String,
    /// Serialized Mosaic (bytecode v0 of the serde form).
    pub body: Vec<u8>,
    /// Scalar-prefetch operands, which come first among `operands`.
    pub num_scalar_prefetch: usize,
    pub operands: Vec<TensorType>,
    pub results: Vec<TensorType>,
    pub aliases: Vec<Alias>,
    pub cost_estimate: CostEstimate,
    /// Scoped VMEM limit for the kernel (`scoped_memory_configs`); `None` keeps libtpu's
    /// default (16 MiB on v5e).
    pub vmem_limit_bytes: Option<u64>,
    /// Per operand (scalar prefetch included): may XLA fuse its producer into the kernel?
    /// `None` leaves the key out (no operand fuses).
    pub allow_input_fusion: Option<Vec<bool>>,
}

impl TpuCustomCall {
    /// The custom call of a lowered kernel; the cost estimate is [`crate::cost_estimate`]
    /// and the VMEM limit the kernel's own `vmem_limit_bytes`.
    pub fn new(kernel: &impl Validated, mosaic: &MosaicModule) -> Result<Self> {
        let valid = kernel.validated()?;
        let (kernel, info) = (valid.kernel(), valid.info());
        let prefetch = kernel
            .scalar_prefetch
            .iter()
            .map(|p| TensorType::new(p.shape.clone(), DType::I32));
        let inputs = kernel
            .inputs
            .iter()
            .map(|o| TensorType::new(o.shape.clone(), o.dtype));
        Ok(TpuCustomCall {
            kernel_name: mosaic.name.clone(),
            body: mosaic.bytecode.clone(),
            num_scalar_prefetch: kernel.scalar_prefetch.len(),
            operands: prefetch.chain(inputs).collect(),
            results: kernel
                .outputs
                .iter()
                .map(|o| TensorType::new(o.shape.clone(), o.dtype))
                .collect(),
            aliases: kernel.aliases.clone(),
            cost_estimate: crate::cost_estimate(kernel, info),
            vmem_limit_bytes: kernel.vmem_limit_bytes,
            allow_input_fusion: None,
        })
    }

    /// Lets XLA fuse the producers of the operands marked `true` into the kernel, so a
    /// slice of a larger array (a scanned layer's q, k, v) is read in place rather than
    /// copied out first. One entry per operand, scalar prefetch first.
    pub fn with_allow_input_fusion(mut self, allow: Vec<bool>) -> Result<Self> {
        if allow.len() != self.operands.len() {
            return Err(CodegenError::Program(format!(
                "allow_input_fusion has {} entries but kernel `{}` takes {} operands (scalar prefetch included): give one per operand",
                allow.len(),
                self.kernel_name,
                self.operands.len()
            )));
        }
        self.allow_input_fusion = Some(allow);
        Ok(self)
    }

    /// Overrides the scoped VMEM limit (e.g. to let libtpu judge blocks our budget rejects).
    pub fn with_vmem_limit(mut self, bytes: Option<u64>) -> Self {
        self.vmem_limit_bytes = bytes;
        self
    }

    /// The backend_config JSON.
    pub fn backend_config(&self) -> String {
        let c = &self.cost_estimate;
        let mut config = json!({
            "custom_call_config": {
                "body": base64::engine::general_purpose::STANDARD.encode(&self.body),
                "cost_estimate": {
                    "flops": c.flops,
                    "transcendentals": c.transcendentals,
                    "bytes_accessed": c.bytes_accessed,
                    "remote_bytes_transferred": 0,
                },
                "serialization_format": 1,
                "needs_layout_passes": true,
            }
        });
        if let Some(allow) = &self.allow_input_fusion {
            config["custom_call_config"]["allow_input_fusion"] = json!(allow);
        }
        if let Some(size) = self.vmem_limit_bytes {
            config["scoped_memory_configs"] =
                json!([{"memory_space": 1, "offset": 0, "size": size}]);
        }
        config.to_string()
    }

    /// The `stablehlo.custom_call @tpu_custom_call` that runs the kernel, for
    /// [`crate::Program::call`] or a program written around the kernel by hand (e.g. a
    /// loop body, with [`pallas_flash_stablehlo::Body::custom_call`]).
    pub fn custom_call(&self) -> CustomCall {
        CustomCall {
            target: "tpu_custom_call".into(),
            backend_config: self.backend_config(),
            attributes: vec![("kernel_name".into(), self.kernel_name.clone())],
            results: self.results.clone(),
            aliases: (self.aliases.iter())
                .map(|a| OutputOperandAlias {
                    output: a.output,
                    operand: self.num_scalar_prefetch + a.input,
                })
                .collect(),
            // XLA names the HLO instruction after this location, so dumps, the copy-trap
            // lint and its allowlists show the kernel's name.
            location: Some(self.kernel_name.clone()),
        }
    }
}
