//! `report` on a kernel the validator accepts but libtpu's static profiler aborts on: the
//! trap is predicted as a warning with its cure, and the command still compiles and says
//! the estimate is unavailable.

use pallas_flash::ir::{DType, GridSpec, IndexExpr::Const, KernelBuilder};
use pallas_flash::report::{report, EstimateOutcome};
use pallas_flash::tiling::family::{Blocks, BuildError, BuiltKernel, KernelFamily};
use pallas_flash::tiling::Target;

/// `o = x · w` with the weight `w` a rank-1 bf16 window.
struct RowScale {
    weight_as_row: bool,
}

impl KernelFamily for RowScale {
    fn describe(&self) -> String {
        format!("row-scale (weight as a row: {})", self.weight_as_row)
    }

    fn build(&self, _: &Target, _: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
        let mut k = KernelBuilder::new("row_scale", GridSpec::new([1]));
        let x = k.input(
            "x",
            [16, 768],
            DType::Bf16,
            k.vmem_block([16, 768], |_| [Const(0), Const(0)]),
        );
        let w = match self.weight_as_row {
            true => k.input(
                "w",
                [1, 768],
                DType::Bf16,
                k.vmem_block([1, 768], |_| [Const(0), Const(0)]),
            ),
            false => k.input("w", [768], DType::Bf16, k.vmem_block([768], |_| [Const(0)])),
        };
        let o = k.output(
            "o",
            [16, 768],
            DType::Bf16,
            k.vmem_block([16, 768], |_| [Const(0), Const(0)]),
        );
        let (xv, wv) = (k.read(x), k.read(w));
        // The cure: a [1, d] row, widened to f32 before it is broadcast.
        let wv = match self.weight_as_row {
            true => k.cast(wv, DType::F32),
            false => wv,
        };
        let rows = k.broadcast(wv, [16, 768]);
        let rows = match self.weight_as_row {
            true => k.cast(rows, DType::Bf16),
            false => rows,
        };
        let y = k.mul(xv, rows);
        k.write(o, y);
        Ok(vec![k.build()?.into()])
    }
}

#[test]
fn a_rank1_bf16_window_is_predicted_and_the_estimate_falls_back() {
    let r = report(
        &RowScale {
            weight_as_row: false,
        },
        &Target::v5e(),
    )
    .unwrap();
    assert_eq!(
        r.plan.warnings.len(),
        2,
        "the window and its broadcast: {:?}",
        r.plan.warnings
    );
    assert!(
        r.plan.warnings[0].contains("rank-1 bf16 window [768]")
            && r.plan.warnings[0].contains("view it as [1, 768]")
    );
    assert!(
        matches!(r.estimate, EstimateOutcome::ProfilerAborted(_)),
        "{r}"
    );
    assert!(
        r.to_string()
            .contains("unavailable: the static profiler aborted"),
        "{r}"
    );
    assert!(
        !r.compiled.output.report.serialized.is_empty(),
        "compiled again without the profiler"
    );

    let cured = report(
        &RowScale {
            weight_as_row: true,
        },
        &Target::v5e(),
    )
    .unwrap();
    assert!(cured.plan.warnings.is_empty(), "{:?}", cured.plan.warnings);
    assert!(cured.estimate().is_some(), "{cured}");
}
