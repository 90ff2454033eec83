//! `stablehlo.custom_call`: a call into a backend, configured by an opaque string.

use crate::body::{arity, results, Body};
use crate::types::{escape, join, names, types, Tensor, TensorType};

/// A custom call's target, configuration and results. Every operand and result is
/// row-major (`operand_layouts`, `result_layouts`), which is what a kernel demands.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomCall {
    /// `call_target_name`, e.g. `tpu_custom_call`.
    pub target: String,
    /// The `backend_config` string (written escaped).
    pub backend_config: String,
    /// Further string attributes, e.g. `kernel_name`.
    pub attributes: Vec<(String, String)>,
    pub results: Vec<TensorType>,
    /// Results that reuse an operand's buffer.
    pub aliases: Vec<OutputOperandAlias>,
    /// The op's location: XLA names the HLO instruction after it, so dumps, lints and
    /// allowlists can name the call.
    pub location: Option<String>,
}

/// Result `output` is written into the buffer of operand `operand`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputOperandAlias {
    pub output: usize,
    pub operand: usize,
}

impl Body {
    /// Calls `call` on `operands`; returns its results.
    pub fn custom_call(&mut self, call: &CustomCall, operands: &[&Tensor]) -> Vec<Tensor> {
        let layouts = |tys: &[&TensorType]| join(tys, |t| t.row_major_layout());
        let operand_types: Vec<&TensorType> = operands.iter().map(|o| &o.ty).collect();
        let mut attributes: Vec<(String, String)> = vec![
            (
                "backend_config".into(),
                format!("\"{}\"", escape(&call.backend_config)),
            ),
            (
                "operand_layouts".into(),
                format!("[{}]", layouts(&operand_types)),
            ),
            (
                "result_layouts".into(),
                format!("[{}]", layouts(&call.results.iter().collect::<Vec<_>>())),
            ),
        ];
        attributes.extend(
            (call.attributes.iter()).map(|(k, v)| (k.clone(), format!("\"{}\"", escape(v)))),
        );
        if !call.aliases.is_empty() {
            let tuple = call.results.len() > 1;
            let alias = |a: &OutputOperandAlias| {
                let output = if tuple {
                    format!("[{}]", a.output)
                } else {
                    "[]".to_string()
                };
                format!(
                    "#stablehlo.output_operand_alias<output_tuple_indices = {output}, operand_index = {}, operand_tuple_indices = []>",
                    a.operand
                )
            };
            attributes.push((
                "output_operand_aliases".into(),
                format!("[{}]", join(&call.aliases, alias)),
            ));
        }
        // MLIR prints a dictionary in name order; so do we.
        attributes.sort();
        let result_type = match call.results.as_slice() {
            [one] => one.to_string(),
            many => format!("({})", join(many, |t| t.to_string())),
        };
        let location = match &call.location {
            Some(l) => format!(" loc(\"{}\")", escape(l)),
            None => String::new(),
        };
        let name = self.fresh("");
        self.line(&format!(
            "{name}{} = stablehlo.custom_call @{}({}) {{{}}} : ({}) -> {result_type}{location}",
            arity(call.results.len()),
            call.target,
            names(operands),
            join(&attributes, |(k, v)| format!("{k} = {v}")),
            types(operands),
        ));
        results(&name, call.results.clone())
    }
}
