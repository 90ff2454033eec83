//! The module around a body: `func.func public @main` with its parameters and results,
//! and the `module` with its attributes.

use crate::body::Body;
use crate::types::{join, Tensor, TensorType};

/// The parameters of `func.func public @main`; the body is written separately in a
/// [`Body`] and joined by [`Main::print`].
#[derive(Clone, Debug, Default)]
pub struct Main {
    /// Each parameter with its attribute dictionary's contents, if any.
    parameters: Vec<(Tensor, Option<String>)>,
}

impl Main {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new parameter, `%arg<i>`.
    pub fn parameter(&mut self, ty: TensorType) -> Tensor {
        self.annotated_parameter(ty, None)
    }

    /// A new parameter `%arg<i>` with attributes (the dictionary's contents, e.g.
    /// `sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>`).
    pub fn annotated_parameter(&mut self, ty: TensorType, attributes: Option<String>) -> Tensor {
        let name = format!("%arg{}", self.parameters.len());
        self.push(name, ty, attributes)
    }

    /// A new parameter named `%<name>`.
    pub fn named_parameter(&mut self, name: &str, ty: TensorType) -> Tensor {
        self.push(format!("%{name}"), ty, None)
    }

    fn push(&mut self, name: String, ty: TensorType, attributes: Option<String>) -> Tensor {
        let parameter = Tensor::new(name, ty);
        self.parameters.push((parameter.clone(), attributes));
        parameter
    }

    /// The function: these parameters, `body`, and `return` of `results` (each with its
    /// result attributes, if any).
    pub fn print(&self, body: &Body, results: &[(&Tensor, Option<String>)]) -> String {
        let attributes = |a: &Option<String>| match a {
            Some(a) => format!(" {{{a}}}"),
            None => String::new(),
        };
        let mut text = format!(
            "  func.func public @main({}) -> ({}) {{\n",
            join(&self.parameters, |(p, a)| format!(
                "{}: {}{}",
                p.name,
                p.ty,
                attributes(a)
            )),
            join(results, |(r, a)| format!("{}{}", r.ty, attributes(a))),
        );
        text.push_str(&body.out);
        text.push_str(&format!(
            "    return {} : {}\n  }}\n",
            join(results, |(r, _)| r.name.clone()),
            join(results, |(r, _)| r.ty.to_string()),
        ));
        text
    }
}

/// `module @<name> [attributes {…}] { top-level ops… @main }`.
#[derive(Clone, Debug)]
pub struct Module {
    name: String,
    attributes: Vec<String>,
    ops: Vec<String>,
}

impl Module {
    pub fn new(name: &str) -> Self {
        Module {
            name: name.to_string(),
            attributes: Vec::new(),
            ops: Vec::new(),
        }
    }

    /// A module attribute, e.g. `mhlo.num_partitions = 4 : i32`.
    pub fn attribute(mut self, attribute: String) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// A top-level op before `@main`, e.g. `sdy.mesh @mesh = <["x"=4]>`.
    pub fn op(mut self, op: String) -> Self {
        self.ops.push(op);
        self
    }

    /// The module text around `main` (from [`Main::print`]).
    pub fn print(&self, main: &str) -> String {
        let attributes = if self.attributes.is_empty() {
            String::new()
        } else {
            format!(" attributes {{{}}}", self.attributes.join(", "))
        };
        let mut text = format!("module @{}{attributes} {{\n", self.name);
        for op in &self.ops {
            text.push_str(&format!("  {op}\n"));
        }
        text.push_str(main);
        text.push_str("}\n");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pallas_flash_ir::DType::F32;

    #[test]
    fn a_module_holds_attributes_top_level_ops_and_main_with_annotated_values() {
        let mut main = Main::new();
        let ty = TensorType::new([8], F32);
        let x = main.annotated_parameter(ty.clone(), Some("a.b = 1".into()));
        let y = main.named_parameter("in1", ty);
        let mut body = Body::new();
        let sum = body.elementwise("add", &[x, y.clone()], F32);
        let text = Module::new("m")
            .attribute("n = 2 : i32".into())
            .op("sdy.mesh @mesh = <[\"x\"=2]>".into())
            .print(&main.print(&body, &[(&sum, Some("c = 2".into())), (&y, None)]));
        assert_eq!(
            text,
            "module @m attributes {n = 2 : i32} {\n  sdy.mesh @mesh = <[\"x\"=2]>\n  func.func public @main(%arg0: tensor<8xf32> {a.b = 1}, %in1: tensor<8xf32>) -> (tensor<8xf32> {c = 2}, tensor<8xf32>) {\n    %v0 = stablehlo.add %arg0, %in1 : tensor<8xf32>\n    return %v0, %in1 : tensor<8xf32>, tensor<8xf32>\n  }\n}\n"
        );
    }
}
