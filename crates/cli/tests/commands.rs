//! `pallas-flash compile` and `tune` end to end, through libtpu (deviceless, small shapes),
//! and every bad input a user can type, each with its message and exit status.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn command() -> Command {
    Command::cargo_bin("pallas-flash").unwrap()
}

fn pallas_flash(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command().args(args).output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn compile_matmul_reports_an_estimate_and_writes_every_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("artifacts");
    let (code, stdout, stderr) = pallas_flash(&[
        "compile",
        "matmul",
        "--m",
        "512",
        "--n",
        "512",
        "--k",
        "1024",
        "--block-m",
        "256",
        "--block-n",
        "256",
        "--block-k",
        "512",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let cycles = report["estimated_cycles"].as_f64().unwrap();
    let seconds = report["estimated_seconds"].as_f64().unwrap();
    assert!(cycles > 1000.0, "{report}");
    assert!(
        (seconds * 1.5e9 / cycles - 1.0).abs() < 0.005,
        "v5e converts at ≈1.5 GHz: {report}"
    );
    let mfu = report["mfu"].as_f64().unwrap();
    assert!(mfu > 0.05 && mfu <= 1.0, "{report}");
    assert_eq!(
        report["below_floor"], false,
        "a plain matmul is never below its floor"
    );
    // libtpu's scoped VMEM within 25% of our model: 2×(256×512 + 512×256)×2 B + 3×256×256×4 B.
    let (used, model) = (
        report["vmem_bytes"].as_f64().unwrap(),
        report["vmem_model_bytes"].as_f64().unwrap(),
    );
    assert_eq!(model, 1_835_008.0);
    assert!(
        (used / model - 1.0).abs() < 0.25,
        "libtpu {used} vs model {model}"
    );
    assert_eq!(report["copy_trap_findings"], 0);
    assert_eq!(report["grid"], serde_json::json!([2, 2, 2]));
    assert!(read(&out, "kernel.mosaic.mlir").contains("tpu.matmul"));
    assert!(read(&out, "program.stablehlo.mlir").contains("tpu_custom_call"));
    assert!(read(&out, "kernel.after_optimizations.txt").contains("custom-call"));
    let (code, stdout, stderr) = pallas_flash(&["hlo-check", out.to_str().unwrap()]);
    assert_eq!(
        code, 0,
        "the written HLO passes the copy-trap lint: {stdout}{stderr}"
    );
    assert!(std::fs::metadata(out.join("executable.bin")).unwrap().len() > 10_000);
    let saved: serde_json::Value = serde_json::from_str(&read(&out, "report.json")).unwrap();
    assert_eq!(saved, report);
}

#[test]
fn compile_prints_the_plan_budget_and_labelled_estimate() {
    let (code, stdout, stderr) = pallas_flash(&[
        "compile", "matmul", "--m", "256", "--n", "256", "--k", "256", "--target", "v5e:2x2",
    ]);
    assert_eq!(code, 0, "{stderr}");
    for expected in [
        "on v5e:2x2",
        "grid [1, 1, 1]",
        "VMEM budget of `matmul`",
        "copy trap    clean",
        "static estimate, not a measurement",
        "roofline bound",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }
}

#[test]
fn the_attention_kernels_compile_with_credible_estimates() {
    // Decode rows use static lengths: with scalar-prefetched lengths the profiler reads 0
    // and the estimate would fall below the byte floor (docs/design.md §8).
    for args in [
        &[
            "compile",
            "flash-attention",
            "--seq",
            "512",
            "--heads",
            "2",
            "--causal",
            "--json",
        ][..],
        &[
            "compile",
            "flash-attention-backward",
            "--seq",
            "512",
            "--heads",
            "2",
            "--causal",
            "--json",
        ][..],
        &[
            "compile",
            "flash-decoding",
            "--kv-len",
            "4096",
            "--heads",
            "8",
            "--kv-heads",
            "1",
            "--block-kv",
            "1024",
            "--json",
        ][..],
        &[
            "compile",
            "paged-decoding",
            "--kv-len",
            "4096",
            "--heads",
            "8",
            "--kv-heads",
            "1",
            "--block-kv",
            "1024",
            "--page-size",
            "256",
            "--json",
        ][..],
    ] {
        let (code, stdout, stderr) = pallas_flash(args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert!(
            report["estimated_cycles"].as_u64().unwrap() > 1000,
            "{report}"
        );
        assert_eq!(report["below_floor"], false, "{report}");
        assert!(report["vmem_bytes"].as_u64().unwrap() > 0, "{report}");
        assert!(report["copy_trap_findings"].is_u64(), "{report}");
        let kernels = if args[1] == "flash-attention-backward" {
            2
        } else {
            1
        };
        assert_eq!(
            report["kernels"].as_array().map(Vec::len),
            Some(kernels),
            "{report}"
        );
    }
}

#[test]
fn tune_runs_once_then_answers_from_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let args = [
        "tune",
        "matmul",
        "--m",
        "256",
        "--n",
        "256",
        "--k",
        "512",
        "--top",
        "2",
        "--cache-dir",
        cache,
    ];
    let (code, first, stderr) = pallas_flash(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        first.contains("saved to") && first.contains("chosen       b"),
        "{first}"
    );
    let started = Instant::now();
    let (code, second, _) = pallas_flash(&args);
    assert_eq!(code, 0);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a cache hit loads no libtpu"
    );
    assert!(second.contains("cached ("), "{second}");
    let table = |s: &str| {
        s.lines()
            .filter(|l| l.contains("bm=") && !l.starts_with("chosen"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(table(&first), table(&second));
    assert_eq!(table(&first).len(), 2);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "one cache file"
    );
}

#[test]
fn bad_inputs_fail_with_a_message_that_says_what_to_change() {
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["compile", "matmul", "--target", "v9"],
            2,
            "known targets: v4, v5e, v5p, v6e, 7x",
        ),
        (
            &["compile", "matmul", "--target", "v5e:2xq"],
            2,
            "use e.g. v5e:2x2",
        ),
        (
            &["compile", "softmax"],
            2,
            "invalid value 'softmax' for '<KERNEL>'\n  [possible values: matmul, ",
        ),
        (
            &["compile", "matmul", "--dtype", "f16"],
            2,
            "use bf16 or f32",
        ),
        (
            &["compile", "matmul", "--m", "200", "--block-m", "100"],
            1,
            "misaligned block",
        ),
        (
            &["compile", "matmul", "--m", "768", "--block-m", "512"],
            1,
            "bm = 512 does not divide m = 768",
        ),
        (
            &[
                "compile",
                "matmul",
                "--m",
                "4096",
                "--n",
                "4096",
                "--block-m",
                "4096",
                "--block-n",
                "2048",
            ],
            1,
            "VMEM over budget",
        ),
        (
            &["compile", "matmul", "--seq", "1024"],
            1,
            "--seq do(es) not apply to matmul",
        ),
        (
            &[
                "compile",
                "flash-attention",
                "--heads",
                "6",
                "--kv-heads",
                "4",
            ],
            1,
            "not a multiple of kv_heads",
        ),
        (
            &["compile", "flash-attention-backward", "--splits", "2"],
            1,
            "--splits do(es) not apply to flash-attention-backward",
        ),
        (
            &[
                "compile",
                "paged-decoding",
                "--kv-len",
                "4096",
                "--page-size",
                "100",
            ],
            1,
            "page_size 100 is outside multiples of 16 dividing block_kv",
        ),
        (
            &["compile", "flash-decoding", "--page-size", "128"],
            1,
            "--page-size do(es) not apply to flash-decoding",
        ),
        (
            &["tune", "matmul", "--block-m", "128"],
            1,
            "tune searches the block sizes itself",
        ),
        (
            &["bench", "--price", "v5e=-1"],
            1,
            "must be a positive number",
        ),
        (&["bench", "--price", "v5e"], 2, "expected CHIP=USD"),
    ];
    for (args, status, message) in cases {
        let (code, _, stderr) = pallas_flash(args);
        assert_eq!(code, *status, "{args:?}: {stderr}");
        assert!(
            stderr.contains(message),
            "{args:?}: expected `{message}` in:\n{stderr}"
        );
    }
}

#[test]
fn a_missing_plugin_names_the_setup_step() {
    let output = command()
        .args([
            "compile",
            "matmul",
            "--m",
            "256",
            "--n",
            "256",
            "--k",
            "256",
            "--no-profile",
        ])
        .env("PALLAS_FLASH_LIBTPU", "/nonexistent/libtpu.so")
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("PJRT plugin not found at /nonexistent/libtpu.so")
            && stderr.contains("cargo xtask setup"),
        "{stderr}"
    );
}

#[test]
fn bench_quick_tables_ours_xla_and_recorded_peers_with_a_roofline_plot() {
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("peers.jsonl");
    let provenance = r#""method": "as shipped", "files_counted": ["flash_attention.1"], "preamble_cycles": 0, "control": {"cycles": null, "differs": true, "what": "not needed: no scalar prefetch in its kernels"}, "floor_check": {"mxu_floor_cycles": 4088, "artifact_below_cycles": 4088, "passed": true}"#;
    let peer = format!(
        r#"{{"workload": "attention-fwd-causal-b1-h2-n1024-d128", "implementation": "JAX flash_attention", "estimated_cycles": 15309, "config": "blocks=(512, 512, 512)", {provenance}}}"#
    );
    let v6e_peer = peer.replace(
        r#""implementation""#,
        r#""target": "v6e", "implementation""#,
    );
    // A figure that does not say how the peer's SMEM metadata was handled.
    let bare_decode = r#"{"workload": "decode-b1-h8-kvh8-l4096-d128", "implementation": "RPA", "estimated_cycles": 40000}"#;
    std::fs::write(&records, format!("{peer}\n{v6e_peer}\n{bare_decode}\n")).unwrap();
    let out = dir.path().join("bench");
    let assert = command()
        .args([
            "bench",
            "--quick",
            "--no-wall",
            "--price",
            "v5e=2.0",
            "--out",
        ])
        .arg(&out)
        .arg("--peer-records")
        .arg(&records)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    for expected in [
        "libtpu static estimates (not measurements), --quick shapes",
        "ours (matmul)",
        "ours (flash-attention)",
        "ours (flash-decoding)",
        "ours (flash-decoding, int8 KV)",
        "ours (flash-attention-backward)",
        "ours (retrieval, norms in kernel)",
        "plain XLA",
        "JAX flash_attention (recorded)",
        "control: not needed: no scalar prefetch in its kernels",
        "refused: the record (40000 cycles) lacks method, files_counted",
        "proj µs",
        "$/M units",
        "price        v5e $2.00 per chip-hour — --price (given on the command line)",
        "price        v6e $2.70 per chip-hour — Google Cloud TPU pricing, on-demand, us-central1",
        "break-even vs plain XLA",
        "retrieval-q8-m8192-d768-k10              v6e",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }
    assert!(!stdout.contains("BELOW FLOOR"), "{stdout}");
    let doc: serde_json::Value = serde_json::from_str(&read(&out, "bench.json")).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        20,
        "ours and XLA for seven workloads on two chips, our int8 decodes, our backward, three peers: {doc}"
    );
    let v6e_peer = rows
        .iter()
        .find(|r| r["chip"] == "v6e" && r["implementation"] == "JAX flash_attention (recorded)")
        .unwrap();
    assert!(
        v6e_peer["estimate"]["mfu"].as_f64().unwrap() < 0.5,
        "v6e's peak: {v6e_peer}"
    );
    let break_even = doc["break_even_vs_xla"].as_array().unwrap();
    assert!(break_even.len() >= 6, "{doc}");
    assert!(break_even
        .iter()
        .any(|b| b["chip"] == "v6e" && b["unit"] == "queries"));
    assert!(rows
        .iter()
        .filter(|r| r["implementation"].as_str().unwrap().starts_with("ours"))
        .all(|r| r["estimate"]["estimated_cycles"].as_u64().unwrap() > 1000));
    assert!(read(&out, "roofline.svg").contains("<svg"));
    assert!(std::fs::metadata(out.join("roofline.png")).unwrap().len() > 10_000);
}

#[test]
fn a_multi_chip_topology_says_the_kernel_uses_one_chip() {
    let (code, stdout, stderr) = pallas_flash(&[
        "compile",
        "matmul",
        "--m",
        "256",
        "--n",
        "256",
        "--k",
        "256",
        "--target",
        "v5e:2x2",
        "--no-profile",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("kernel       matmul 256x256x256 bf16 on v5e:2x2")
            && stdout.contains("one of the 4 chips"),
        "{stdout}"
    );
    let (code, stdout, stderr) = pallas_flash(&[
        "compile",
        "matmul",
        "--m",
        "256",
        "--n",
        "256",
        "--k",
        "256",
        "--target",
        "v5e:2x2",
        "--no-profile",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (
            report["chips_used"].as_u64(),
            report["chips_in_topology"].as_u64()
        ),
        (Some(1), Some(4)),
        "{report}"
    );
}
