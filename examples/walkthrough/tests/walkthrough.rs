//! The walkthrough end to end: both user kernels written, checked and compiled through
//! the public API (`report`, the block search) and through their own command line.

use assert_cmd::Command;
use pallas_flash::report::report;
use pallas_flash::tiling::budget::VmemBudget;
use pallas_flash::tiling::family::KernelFamily;
use pallas_flash::tiling::{search, Target};
use pallas_flash_walkthrough::{CosineRetrieval, FusedRmsNorm};

fn rmsnorm() -> FusedRmsNorm {
    FusedRmsNorm {
        tokens: 4096,
        d: 2048,
        eps: 1e-6,
    }
}

#[test]
fn the_search_plans_the_real_kernels() {
    let v5e = Target::v5e();
    let kernels: [&dyn KernelFamily; 2] = [&rmsnorm(), &CosineRetrieval::default()];
    for kernel in kernels {
        let found = search::search(&v5e, kernel, 3).unwrap();
        for c in &found.ranked {
            let built = kernel.build(&v5e, &c.blocks).unwrap();
            assert_eq!(
                c.budgets[0],
                VmemBudget::of(&v5e, &built[0].kernel, &built[0].info),
                "{}",
                kernel.describe()
            );
        }
        // A block that does not divide the problem is refused with the kernel's own words.
        assert!(found
            .rejected
            .iter()
            .all(|r| !r.reason.to_string().is_empty()));
    }
}

#[test]
fn the_public_api_reports_the_retrieval_kernel() {
    let r = report(&CosineRetrieval::default(), &Target::v5e()).unwrap();
    assert!(r.plan.warnings.is_empty(), "{:?}", r.plan.warnings);
    assert!(r.plan.relayouts.is_empty(), "{:?}", r.plan.relayouts);
    assert_eq!(r.copy_trap.findings(), Some(0), "{}", r.copy_trap);
    let e = r.estimate().expect("a static estimate");
    assert!(!e.below_floor, "{}", e.summary());
    assert_eq!(e.floors.bound, "memory", "the 96 MiB bank dominates");
    let text = r.to_string();
    assert!(
        text.contains("cosine_retrieval: grid [32]") && text.contains("libtpu static estimate"),
        "{text}"
    );
}

fn walkthrough(args: &[&str]) -> (bool, String, String) {
    let out = Command::cargo_bin("pallas-flash-walkthrough")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_command_line_compiles_both_kernels() {
    let (ok, stdout, _) = walkthrough(&["kernels"]);
    assert!(
        ok && stdout.contains("fused-rmsnorm") && stdout.contains("cosine-retrieval"),
        "{stdout}"
    );
    for (name, grid) in [("fused-rmsnorm", 16), ("cosine-retrieval", 32)] {
        let (ok, stdout, stderr) = walkthrough(&["compile", name, "--no-profile", "--json"]);
        assert!(ok, "{name}: {stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(report["kernel"], name);
        assert_eq!(report["grid"][0], grid, "{report}");
        assert_eq!(report["copy_trap_findings"], 0, "{report}");
        // Work counted from the kernel's IR: every operand once; dots only in the retrieval.
        assert!(report["min_hbm_bytes"].as_f64().unwrap() > 64e6, "{report}");
        assert_eq!(
            report["flops"].as_f64().unwrap() > 0.0,
            name == "cosine-retrieval",
            "{report}"
        );
    }
    let (ok, _, stderr) = walkthrough(&["compile", "fused-rmsnorm", "--seq", "128"]);
    assert!(
        !ok && stderr.contains("--seq do(es) not apply to fused-rmsnorm"),
        "{stderr}"
    );
}
