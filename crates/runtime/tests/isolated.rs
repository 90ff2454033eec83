//! The isolated compile worker: results, static profile, and containment of crashes.

use pallas_flash_runtime::{CompileOptions, CompileRequest, Error, IsolatedCompiler, Program};

const MATMUL_TANH: &str = include_str!("programs/matmul_tanh.mlir");
const ATTENTION_HBM_OOM: &str = include_str!("programs/attention_hbm_oom.mlir");

fn worker() -> IsolatedCompiler {
    IsolatedCompiler::with_worker(env!("CARGO_BIN_EXE_pallas-flash-worker"), &[])
}

#[test]
fn worker_compiles_and_returns_a_static_estimate() {
    let request = CompileRequest::new(
        "v5e:1x1",
        &Program::mlir_text(MATMUL_TANH),
        CompileOptions::default(),
    )
    .with_static_profile();
    let output = worker().compile(&request).unwrap();
    let profile = output.profile.expect("profile was requested");
    // 2·256·512·256 flops cannot take fewer cycles than the MXUs' peak allows
    // (v5e: 4 MXUs × 128×128 MACs = 131072 flops/cycle).
    let floor = (2 * 256 * 512 * 256) / (4 * 128 * 128 * 2);
    assert!(profile.total_cycles() >= floor as u64, "{profile:?}");
    assert!(output
        .report
        .optimized_hlo_text
        .unwrap()
        .contains("T(8,128)"));
    assert!(output.report.memory_stats.argument_bytes > 0);
    assert!(output.report.serialized.len() > 1000);
}

#[test]
fn worker_reports_typed_compile_errors() {
    let request = CompileRequest::new(
        "v5e:1x1",
        &Program::mlir_text(ATTENTION_HBM_OOM),
        CompileOptions::default(),
    );
    let err = worker().compile(&request).err().unwrap();
    assert!(matches!(err, Error::HbmOom { .. }), "{err:?}");
    let request = CompileRequest::new(
        "v5e:9x9x9",
        &Program::mlir_text(MATMUL_TANH),
        CompileOptions::default(),
    );
    let err = worker().compile(&request).err().unwrap();
    assert!(matches!(err, Error::UnknownTopology { .. }), "{err:?}");
}

#[test]
fn a_worker_killed_by_a_signal_is_compile_crashed() {
    // Stands in for a libtpu `Check failed`: prints to stderr, then aborts.
    let crashing = IsolatedCompiler::with_worker(
        "/bin/sh",
        &[
            "-c",
            "cat >/dev/null; echo 'F0000 Check failed: layout is tiled' >&2; kill -ABRT $$",
        ],
    );
    let request = CompileRequest::new(
        "v5e:1x1",
        &Program::mlir_text(MATMUL_TANH),
        CompileOptions::default(),
    );
    match crashing.compile(&request) {
        Err(Error::CompileCrashed {
            signal,
            signal_name,
            stderr_tail,
        }) => {
            assert_eq!(signal, 6);
            assert_eq!(signal_name, "SIGABRT");
            assert!(stderr_tail.contains("Check failed"), "{stderr_tail}");
        }
        other => panic!("expected CompileCrashed, got {other:?}"),
    }
}

#[test]
fn a_worker_that_prints_no_result_is_a_worker_error() {
    let silent =
        IsolatedCompiler::with_worker("/bin/sh", &["-c", "cat >/dev/null; echo oops >&2; exit 3"]);
    let request = CompileRequest::new(
        "v5e:1x1",
        &Program::mlir_text(MATMUL_TANH),
        CompileOptions::default(),
    );
    let err = silent.compile(&request).err().unwrap();
    assert!(
        matches!(&err, Error::Worker { message } if message.contains("oops")),
        "{err:?}"
    );
}

#[test]
fn a_hung_worker_is_killed_at_the_timeout() {
    let hung = IsolatedCompiler::with_worker("/bin/sh", &["-c", "sleep 30"])
        .with_timeout(std::time::Duration::from_millis(200));
    let request = CompileRequest::new(
        "v5e:1x1",
        &Program::mlir_text(MATMUL_TANH),
        CompileOptions::default(),
    );
    let err = hung.compile(&request).err().unwrap();
    assert!(
        matches!(&err, Error::Worker { message } if message.contains("timed out")),
        "{err:?}"
    );
}
