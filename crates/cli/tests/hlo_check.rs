//! `pallas-flash hlo-check` as CI runs it, on the hlo crate's real dumps.

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hlo/tests/data")
        .join(file)
}

fn dump(case: &str) -> PathBuf {
    data(&format!("{case}.after_optimizations.txt"))
}

fn run(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let Output { status, stdout, .. } = Command::cargo_bin("pallas-flash")
        .unwrap()
        .arg("hlo-check")
        .args(args)
        .output()
        .unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
    )
}

#[test]
fn aligned_kernels_pass_and_misaligned_ones_fail() {
    let (code, out) = run(&[dump("tpu_flash_attention_d128").as_os_str()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("clean"));
    let (code, out) = run(&[dump("tpu_flash_attention_d96").as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("4 finding(s), 768.0 KiB moved") && out.contains("4 over the allowlist"),
        "{out}"
    );
}

#[test]
fn an_allowlist_accepts_known_findings_only() {
    let dir = tempfile::tempdir().unwrap();
    let allow = dir.path().join("allow.txt");
    std::fs::write(&allow, "flash_attention copy 8\n").unwrap();
    let d64 = dump("tpu_flash_attention_d64");
    let d96 = dump("tpu_flash_attention_d96");
    let (code, _) = run(&[d96.as_os_str(), "--allow".as_ref(), allow.as_os_str()]);
    assert_eq!(code, 0);
    let (code, out) = run(&[data("").as_os_str(), "--allow".as_ref(), allow.as_os_str()]);
    assert_eq!(
        code, 1,
        "the other kernels' findings are not allowed: {out}"
    );
    std::fs::write(&allow, "flash_attention copy 7\n").unwrap();
    let (code, _) = run(&[
        d64.parent().unwrap().as_os_str(),
        "--allow".as_ref(),
        allow.as_os_str(),
    ]);
    assert_eq!(code, 1);
}

#[test]
fn json_output_is_one_document() {
    let (code, out) = run(&[dump("tpu_kernel_pad_feed").as_os_str(), "--json".as_ref()]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let findings = &doc["dumps"][0]["report"]["kernels"][0]["findings"];
    assert_eq!(findings[1]["kind"], "pad");
    assert_eq!(findings[1]["cause"], "pad");
    assert!(findings[1]["cure"]
        .as_str()
        .unwrap()
        .contains("producer side"));
    assert_eq!(findings[0]["cause"], "relayout");
    assert_eq!(doc["excess"].as_array().unwrap().len(), 2);
    assert_eq!(doc["excess"][1]["cause"], "pad");
    let causes: Vec<&str> = doc["summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["cause"].as_str().unwrap())
        .collect();
    assert_eq!(causes.len(), 2, "{causes:?}");
}

#[test]
fn the_summary_groups_a_scanned_training_step_by_cause() {
    let dir = tempfile::tempdir().unwrap();
    for case in ["tpu_train_d96_swapaxes", "tpu_int8_decode_dequant_outside"] {
        let name = format!("{case}.after_optimizations.txt");
        std::fs::copy(dump(case), dir.path().join(name)).unwrap();
    }
    let (code, out) = run(&[dir.path().as_os_str()]);
    assert_eq!(code, 1, "{out}");
    // Both backward kernels read the same three slices: six findings, three copies.
    let slice = out
        .find("  slice     6 finding(s) in 2 kernel(s), 3 op(s) writing 576.0 KiB")
        .expect(&out);
    let relayout = out
        .find("  relayout  4 finding(s) in 3 kernel(s), 4 op(s) writing 768.0 KiB")
        .expect(&out);
    let convert = out
        .find("  convert   2 finding(s) in 1 kernel(s), 2 op(s) writing 4.0 MiB")
        .expect(&out);
    assert!(
        convert < relayout && relayout < slice,
        "most bytes first: {out}"
    );
    assert!(out.contains("cure (feed): set allow_input_fusion"), "{out}");
    let allow = dir.path().join("allow.txt");
    std::fs::write(
        &allow,
        "flash_mha_bwd_* slice 6\n* relayout 4\n_lambda_ convert 2\n",
    )
    .unwrap();
    let (code, out) = run(&[
        dir.path().as_os_str(),
        "--allow".as_ref(),
        allow.as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn other_targets_on_request() {
    let (code, out) = run(&[
        dump("cpu_attention").as_os_str(),
        "--target".as_ref(),
        "*".as_ref(),
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&[
        dump("tpu_flash_attention_d96").as_os_str(),
        "--target".as_ref(),
        "other".as_ref(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 kernel(s)"));
}

#[test]
fn unreadable_inputs_fail_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(&[dir.path().as_os_str()]).0,
        2,
        "an empty dump dir means nothing was checked"
    );
    let junk = dir.path().join("x.after_optimizations.txt");
    std::fs::write(&junk, "not hlo").unwrap();
    assert_eq!(run(&[junk.as_os_str()]).0, 2);
    assert_eq!(run(&[dir.path().join("missing").as_os_str()]).0, 2);
    let allow = dir.path().join("allow.txt");
    std::fs::write(&allow, "flash_attention copies 1\n").unwrap();
    let d128 = dump("tpu_flash_attention_d128");
    assert_eq!(
        run(&[d128.as_os_str(), "--allow".as_ref(), allow.as_os_str()]).0,
        2
    );
}
