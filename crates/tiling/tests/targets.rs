//! Table-driven tests per target: facts, rules, budgets and messages.

use pallas_flash_ir::{
    BlockDim::*, DType, DType::*, GridSpec, IndexExpr::Const, Kernel, KernelBuilder, KernelInfo,
};
use pallas_flash_tiling::budget::{padded_shape, VmemBudget};
use pallas_flash_tiling::rules::{self, check_block, NearestLegal, Rule};
use pallas_flash_tiling::{copy_trap, BudgetError, Target};

const MIB: u64 = 1 << 20;

#[test]
fn target_table() {
    // name, cores, MXU edge × count, VMEM MiB, default scoped MiB, bf16 TF/s, fp8 MXU, bf16 VPU
    let table = [
        ("v4", 2, 128, 4, 16, 16, 275.0, false, false),
        ("v5e", 1, 128, 4, 128, 16, 197.0, false, false),
        ("v5p", 2, 128, 4, 64, 16, 459.0, false, false),
        ("v6e", 1, 256, 4, 128, 32, 918.0, true, true),
        ("7x", 2, 256, 4, 64, 32, 2307.0, true, true),
    ];
    for (name, cores, edge, mxus, vmem, scoped, tflops, fp8, vpu_bf16) in table {
        let t: Target = name.parse().unwrap();
        assert_eq!(t.tensor_cores_per_chip, cores, "{name}");
        assert_eq!((t.mxu_edge(), t.mxu.per_core), (edge, mxus), "{name}");
        assert_eq!(t.vmem_bytes, vmem * MIB, "{name}");
        assert_eq!(t.default_scoped_vmem_bytes, scoped * MIB, "{name}");
        assert!(t.default_scoped_vmem_bytes <= t.vmem_bytes, "{name}");
        assert_eq!(t.peaks.bf16, tflops * 1e12, "{name}");
        assert_eq!(t.mxu_dtypes.contains(&F8E5M2), fp8, "{name}");
        assert_eq!(t.vpu_bf16, vpu_bf16, "{name}");
    }
    // v5e's clock, derived from its peak, is the one libtpu's cycle estimate uses.
    assert!((Target::v5e().clock_hz() - 1.503e9).abs() < 1e6);
    // The clocks public kernel configs give for v6e (1.75 GHz) and TPU7x (2.2 GHz).
    assert!(
        (Target::v6e().clock_hz() - 1.75e9).abs() < 0.01e9,
        "{}",
        Target::v6e().clock_hz()
    );
    assert!(
        (Target::tpu7x().clock_hz() - 2.2e9).abs() < 0.01e9,
        "{}",
        Target::tpu7x().clock_hz()
    );
    // No fp8 MXU on v5e: fp8 dots run at the bf16 rate; int8 at twice it.
    let v5e = Target::v5e();
    assert_eq!(v5e.matmul_peak(F8E4M3Fn), v5e.peaks.bf16);
    assert_eq!(v5e.matmul_peak(I8), 394e12);
    assert_eq!("TPU v5 lite".parse::<Target>().unwrap().name, "v5e");
    assert_eq!("tpu7x".parse::<Target>().unwrap().name, "7x");
    let err = "v9".parse::<Target>().unwrap_err().to_string();
    assert_eq!(
        err,
        "unknown TPU target `v9`; known targets: v4, v5e, v5p, v6e, 7x"
    );
}

#[test]
fn block_rules_per_target_and_dtype() {
    // (dtype, array, block, legal) — the same on every target (measured).
    let table: [(DType, &[usize], &[usize], bool); 12] = [
        (F32, &[128, 768], &[8, 128], true),
        (Bf16, &[128, 768], &[8, 128], true),
        (I8, &[128, 768], &[8, 384], true),
        (Bf16, &[128, 768], &[12, 128], false),
        (F32, &[128, 768], &[8, 96], false),
        (F32, &[7, 100], &[7, 100], true),
        (Bf16, &[4, 20, 96], &[1, 20, 96], true),
        (F32, &[8192], &[384], true),
        (Bf16, &[8192], &[384], false),
        (Bf16, &[8192], &[512], true),
        (I8, &[8192], &[256], false),
        (I8, &[1000], &[1000], true),
    ];
    for target in Target::all() {
        for (dtype, array, block, legal) in table {
            let block: Vec<_> = block.iter().map(|&b| Blocked(b)).collect();
            let verdict = check_block(&target, "input `x`", array, dtype, &block);
            assert_eq!(
                verdict.is_ok(),
                legal,
                "{target} {dtype} {array:?} {block:?}: {verdict:?}"
            );
        }
    }
}

#[test]
fn alignment_error_names_everything() {
    let err = check_block(
        &Target::v5e(),
        "input `k`",
        &[8, 2048, 96],
        Bf16,
        &[Squeezed, Blocked(512), Blocked(64)],
    )
    .unwrap_err();
    assert_eq!((err.dim, err.value, err.extent), (2, 64, 96));
    assert_eq!(err.rule, Rule::Lanes { multiple: 128 });
    assert_eq!(
        err.nearest,
        NearestLegal {
            below: None,
            above: Some(96)
        }
    );
    assert_eq!(
        err.to_string(),
        "input `k` (bf16[8, 2048, 96]) block dim 2 is 64: the minor block dim must be a multiple of 128 (lanes) or the whole extent 96; nearest legal: 96"
    );
    let err = check_block(
        &Target::v6e(),
        "output `o`",
        &[1024, 1024],
        F32,
        &[Blocked(100), Blocked(1024)],
    )
    .unwrap_err();
    assert_eq!(
        err.nearest,
        NearestLegal {
            below: Some(96),
            above: Some(104)
        }
    );
    assert!(err
        .to_string()
        .contains("second-minor block dim must be a multiple of 8 (sublanes)"));
    let err = check_block(&Target::v4(), "input `t`", &[8192], I8, &[Blocked(700)]).unwrap_err();
    assert_eq!(
        err.nearest,
        NearestLegal {
            below: Some(512),
            above: Some(1024)
        }
    );
}

#[test]
fn padding_table() {
    let v5e = Target::v5e();
    let table: [(DType, &[usize], &[usize]); 6] = [
        (F32, &[8, 100], &[8, 128]),
        (Bf16, &[7, 100], &[8, 128]),
        (I8, &[24, 130], &[24, 256]),
        (F32, &[512, 1], &[512, 128]),
        (Bf16, &[1000], &[1024]),
        (I8, &[1, 3, 5], &[1, 8, 128]),
    ];
    for (dtype, shape, padded) in table {
        assert_eq!(
            padded_shape(&v5e, shape, dtype),
            padded,
            "{dtype} {shape:?}"
        );
    }
}

fn copy_kernel(
    rows: usize,
    cols: usize,
    block_rows: usize,
    limit: Option<u64>,
) -> (Kernel, KernelInfo) {
    let mut k = KernelBuilder::new("copy", GridSpec::new([rows / block_rows]));
    let spec = k.vmem_block([block_rows, cols], |g| [g.grid(0), Const(0)]);
    let x = k.input("x", [rows, cols], F32, spec.clone());
    let o = k.output("o", [rows, cols], F32, spec);
    let v = k.read(x);
    k.write(o, v);
    if let Some(limit) = limit {
        k.vmem_limit_bytes(limit);
    }
    k.build().unwrap()
}

#[test]
fn budget_errors_per_target() {
    // 4 × 10 MiB: over every default limit; fits physical VMEM except on v4.
    let (kernel, info) = copy_kernel(1280, 4096, 640, None);
    for target in Target::all() {
        let budget = VmemBudget::of(&target, &kernel, &info);
        assert_eq!(budget.total(), 40 * MIB);
        match (target.name, budget.check().unwrap_err()) {
            ("v4", BudgetError::OverPhysical { physical, .. }) => assert_eq!(physical, 16 * MIB),
            (
                _,
                BudgetError::OverScopedLimit {
                    suggested_limit,
                    limit,
                    ..
                },
            ) => {
                assert_eq!(suggested_limit, 40 * MIB);
                assert_eq!(limit, target.default_scoped_vmem_bytes);
            }
            (name, other) => panic!("{name}: {other}"),
        }
    }
    let err = VmemBudget::of(&Target::v5e(), &kernel, &info)
        .check()
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "`copy` needs 40.00 MiB of VMEM on v5e but the default scoped limit is 16.00 MiB, 24.00 MiB over; set vmem_limit_bytes to 40.00 MiB (≤ physical 128.00 MiB) or shrink the largest buffer, input `x` (20.00 MiB)"
    );
    let (raised, info) = copy_kernel(1280, 4096, 640, Some(48 * MIB));
    assert!(VmemBudget::of(&Target::v5e(), &raised, &info)
        .check()
        .is_ok());
    let err = VmemBudget::of(
        &Target::v5p(),
        &copy_kernel(1280, 4096, 640, Some(96 * MIB)).0,
        &info,
    )
    .check()
    .unwrap_err();
    assert!(
        matches!(err, BudgetError::LimitAbovePhysical { .. }),
        "{err}"
    );
}

#[test]
fn report_table() {
    let (kernel, info) = copy_kernel(1024, 1000, 256, None);
    let report = VmemBudget::of(&Target::v5e(), &kernel, &info).to_string();
    let expected = "\
VMEM budget of `copy` on v5e (grid [4] = 4 steps)
buffer                 role     dtype          shape         padded        each  ×       total  share
input `x`              input    f32         256×1000       256×1024    1.00 MiB  2    2.00 MiB  50.0%
output `o`             output   f32         256×1000       256×1024    1.00 MiB  2    2.00 MiB  50.0%
total                                                                                      4.00 MiB
scoped limit (target default): 16.00 MiB — 25.0% used
physical VMEM per core: 128.00 MiB
outside VMEM: SMEM 0 B, 0 DMA semaphore(s)";
    assert_eq!(report, expected);
}

#[test]
fn copy_trap_fixes() {
    // head_dim 96 behind a squeezed head: only padding helps.
    let mut k = KernelBuilder::new("attn_like", GridSpec::new([8, 4]));
    let spec = k.vmem_block([Squeezed, Blocked(512), Blocked(96)], |g| {
        [g.grid(0), g.grid(1), Const(0)]
    });
    let q = k.input("q", [8, 2048, 96], Bf16, spec.clone());
    let o = k.output("o", [8, 2048, 96], Bf16, spec);
    let v = k.read(q);
    k.write(o, v);
    let (kernel, _) = k.build().unwrap();
    let traps = copy_trap::predict(&Target::v5e(), &kernel);
    assert_eq!(traps.len(), 2);
    assert_eq!(
        traps[0].fixes,
        [copy_trap::Fix::PadAtProducer {
            dim: 2,
            from: 96,
            to: 128,
            extra_bytes: 8 * 2048 * 32 * 2
        }]
    );
    assert!(traps[1]
        .to_string()
        .starts_with("output `o` bf16[8, 2048, 96]: minor dim 96 is not a multiple of 128"));

    // [tokens, heads, 96] with whole heads per block: fold heads into the minor dim.
    let mut k = KernelBuilder::new("tokens", GridSpec::new([8]));
    let spec = k.vmem_block([Blocked(256), Blocked(8), Blocked(96)], |g| {
        [g.grid(0), Const(0), Const(0)]
    });
    let x = k.input("x", [2048, 8, 96], F32, spec.clone());
    let o = k.output("o", [2048, 8, 96], F32, spec);
    let v = k.read(x);
    k.write(o, v);
    let (kernel, _) = k.build().unwrap();
    let traps = copy_trap::predict(&Target::v5e(), &kernel);
    assert_eq!(
        traps[0].fixes[0],
        copy_trap::Fix::FoldIntoMinorDim {
            from_dim: 1,
            shape: vec![2048, 768]
        }
    );
}

#[test]
fn mxu_advice_per_target() {
    let mut k = KernelBuilder::new("mm", GridSpec::new([1]));
    let x = k.input(
        "x",
        [256, 128],
        Bf16,
        k.vmem_block([256, 128], |_| [Const(0), Const(0)]),
    );
    let y = k.input(
        "y",
        [128, 256],
        Bf16,
        k.vmem_block([128, 256], |_| [Const(0), Const(0)]),
    );
    let o = k.output(
        "o",
        [256, 256],
        F32,
        k.vmem_block([256, 256], |_| [Const(0), Const(0)]),
    );
    let (a, b) = (k.read(x), k.read(y));
    let p = k.dot(a, b);
    k.write(o, p);
    let (kernel, info) = k.build().unwrap();
    assert!(rules::mxu_advice(&Target::v5e(), &kernel, &info).is_empty());
    let advice = rules::mxu_advice(&Target::v6e(), &kernel, &info);
    assert_eq!(advice.len(), 1);
    assert_eq!(advice[0].to_string(), "dot %2 has k = 128, not a multiple of the 256-wide MXU: 50% of its MXU work is padding (use 256)");
}

#[test]
fn mxu_advice_is_quiet_about_a_few_rows_by_design() {
    // Sixteen queries against a 512-row block: m = 16 is the problem, not a bad block.
    let mut k = KernelBuilder::new("retrieval", GridSpec::new([1]));
    let q = k.input(
        "q",
        [16, 768],
        Bf16,
        k.vmem_block([16, 768], |_| [Const(0), Const(0)]),
    );
    let b = k.input(
        "b",
        [512, 768],
        Bf16,
        k.vmem_block([512, 768], |_| [Const(0), Const(0)]),
    );
    let o = k.output(
        "o",
        [16, 512],
        F32,
        k.vmem_block([16, 512], |_| [Const(0), Const(0)]),
    );
    let (qv, bv) = (k.read(q), k.read(b));
    let s = k.dot_nt(qv, bv);
    k.write(o, s);
    let (kernel, info) = k.build().unwrap();
    assert!(rules::mxu_advice(&Target::v5e(), &kernel, &info).is_empty());
    // On v6e, k = 768 is three 256-wide passes: still quiet; m stays small by design.
    assert!(rules::mxu_advice(&Target::v6e(), &kernel, &info).is_empty());
}
