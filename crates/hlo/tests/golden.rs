//! Golden facts of the corpus: the machinery that shipped kernels' `golden/hlo/` files use.
//!
//! Re-bless after reviewing a change: `UPDATE_GOLDEN=1 cargo test -p pallas-flash-hlo --test golden`.

mod common;

use pallas_flash_hlo::golden::{facts, Golden, GoldenError};
use pallas_flash_hlo::lint::LintOptions;

fn golden() -> Golden {
    Golden::new(common::data_dir().join("../golden"))
}

#[test]
fn corpus_facts_match_their_goldens() {
    let mut failures = Vec::new();
    for (case, _) in common::corpus() {
        let text = facts(&common::module(&case), &LintOptions::default());
        match golden().check(&case, &text) {
            Ok(outcome) => println!("{case}: {outcome:?}"),
            Err(e) => failures.push(e.to_string()),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn facts_leave_out_what_changes_between_recompiles() {
    let text = facts(
        &common::module("tpu_flash_attention_d96"),
        &LintOptions::default(),
    );
    assert!(text.contains(
        "entry census: copy x4, copy-done x2, copy-start x2, custom-call x1, parameter x3"
    ));
    assert!(!text.contains("copy.1") && !text.contains("line") && !text.contains("stack_frame"));
}

#[test]
fn a_layout_change_shows_as_a_readable_diff() {
    // Pretend the d64 facts were blessed for d128's case: the diff names the new copies.
    let dir = tempfile::tempdir().unwrap();
    let g = Golden::new(dir.path());
    let before = facts(
        &common::module("tpu_flash_attention_d128"),
        &LintOptions::default(),
    );
    let after = facts(
        &common::module("tpu_flash_attention_d64"),
        &LintOptions::default(),
    );
    g.check_with("fa", &before, true).unwrap();
    let Err(GoldenError::Mismatch { diff, .. }) = g.check_with("fa", &after, false) else {
        panic!("expected a mismatch");
    };
    assert!(diff.contains("+  feed operand 0 copy"), "{diff}");
    assert!(
        diff.contains("-entry census: custom-call x1, parameter x3"),
        "{diff}"
    );
}
