// TEMPORARY probe (not committed): which dot / window shapes abort libtpu's static profiler.
use pallas_flash_codegen::{compile_for_tpu, CompileSettings};
use pallas_flash_ir::{DType::*, GridSpec, IndexExpr::Const, KernelBuilder};
use pallas_flash_tiling::Target;

fn dot_case(rows: usize, nt: bool, dtype: pallas_flash_ir::DType) -> pallas_flash_ir::Kernel {
    dot_case_k(rows, nt, dtype, 768)
}
fn dot_case_k(
    rows: usize,
    nt: bool,
    dtype: pallas_flash_ir::DType,
    kd: usize,
) -> pallas_flash_ir::Kernel {
    let mut k = KernelBuilder::new(format!("probe_dot_{rows}_{nt}_{kd}"), GridSpec::new([1]));
    let q = k.input(
        "q",
        [rows, kd],
        dtype,
        k.vmem_block([rows, kd], |_| [Const(0), Const(0)]),
    );
    let bank_shape = if nt { [512, kd] } else { [kd, 512] };
    let bank = k.input(
        "bank",
        bank_shape,
        dtype,
        k.vmem_block(bank_shape, |_| [Const(0), Const(0)]),
    );
    let o = k.output(
        "o",
        [rows, 512],
        F32,
        k.vmem_block([rows, 512], |_| [Const(0), Const(0)]),
    );
    let (a, b) = (k.read(q), k.read(bank));
    let s = if nt { k.dot_nt(a, b) } else { k.dot(a, b) };
    k.write(o, s);
    k.build().unwrap().0
}

fn rank1_case(dtype: pallas_flash_ir::DType) -> pallas_flash_ir::Kernel {
    let mut k = KernelBuilder::new("probe_rank1", GridSpec::new([1]));
    let x = k.input(
        "x",
        [16, 768],
        dtype,
        k.vmem_block([16, 768], |_| [Const(0), Const(0)]),
    );
    let w = k.input("w", [768], dtype, k.vmem_block([768], |_| [Const(0)]));
    let o = k.output(
        "o",
        [16, 768],
        dtype,
        k.vmem_block([16, 768], |_| [Const(0), Const(0)]),
    );
    let (xv, wv) = (k.read(x), k.read(w));
    let wb = k.broadcast(wv, [16, 768]);
    let y = k.mul(xv, wb);
    k.write(o, y);
    k.build().unwrap().0
}

fn main() {
    let settings = CompileSettings::new(Target::v5e()).with_static_profile();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map(String::as_str).unwrap_or("all");
    let mut cases = Vec::new();
    if which == "all" || which == "dot" {
        for rows in [1, 4, 8, 16] {
            for nt in [true, false] {
                cases.push((
                    format!("bf16 dot rows={rows} nt={nt}"),
                    dot_case(rows, nt, Bf16),
                ));
            }
        }
    }
    if which == "k" {
        for kd in [128, 256, 512] {
            for rows in [8, 12] {
                cases.push((
                    format!("bf16 dot rows={rows} k={kd} nt"),
                    dot_case_k(rows, true, Bf16, kd),
                ));
            }
        }
    }
    if which == "all" || which == "rank1" {
        cases.push(("rank1 bf16".into(), rank1_case(Bf16)));
        cases.push(("rank1 f32".into(), rank1_case(F32)));
    }
    for (name, kernel) in cases {
        match compile_for_tpu(&kernel, &settings) {
            Ok(c) => println!("{name}: ok, {:?} cycles", c.estimated_cycles()),
            Err(e) => println!(
                "{name}: FAILED {}",
                e.to_string()
                    .lines()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
        }
    }
}
