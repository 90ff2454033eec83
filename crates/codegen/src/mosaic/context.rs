//! The MLIR context Mosaic modules are built in, and the diagnostics it reports.
//!
//! Upstream dialects (func, arith, math, vector, scf, memref) are registered so their ops
//! are verified and canonicalized; the `tpu` dialect is not upstream, so unregistered
//! dialects are allowed: tpu ops are generic operations and tpu attributes and types are
//! opaque, which is exactly what the serialized form carries (docs/design.md §4).

use std::cell::RefCell;
use std::rc::Rc;

use melior::dialect::DialectRegistry;
use melior::utility::register_all_dialects;
use melior::Context;

/// Dialects whose ops the lowering builds as real, verified operations.
const UPSTREAM_DIALECTS: [&str; 6] = ["func", "arith", "math", "vector", "scf", "memref"];

/// A context plus the error diagnostics MLIR emitted since the last [`MlirContext::take_errors`].
pub(crate) struct MlirContext {
    pub context: Context,
    errors: Rc<RefCell<Vec<String>>>,
}

impl MlirContext {
    pub fn new() -> Self {
        let registry = DialectRegistry::new();
        register_all_dialects(&registry);
        let context = Context::new_with_registry(&registry, false);
        for dialect in UPSTREAM_DIALECTS {
            context.get_or_load_dialect(dialect);
        }
        context.set_allow_unregistered_dialects(true);
        let errors = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&errors);
        context.attach_diagnostic_handler(move |diagnostic| {
            sink.borrow_mut()
                .push(format!("{} [at {}]", diagnostic, diagnostic.location()));
            true
        });
        MlirContext { context, errors }
    }

    /// Diagnostics collected so far, joined; empty when MLIR said nothing.
    pub fn take_errors(&self) -> String {
        self.errors
            .borrow_mut()
            .drain(..)
            .collect::<Vec<_>>()
            .join("; ")
    }
}
