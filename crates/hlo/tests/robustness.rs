//! The parser and everything downstream of it never panic, whatever the text.
//!
//! Inputs are real dumps mutated the way broken or unexpected files look: cut short,
//! with bytes dropped, with HLO punctuation inserted, with lines repeated.

mod common;

use pallas_flash_hlo::golden::facts;
use pallas_flash_hlo::lint::{lint, LintOptions};
use pallas_flash_hlo::HloModule;
use proptest::prelude::*;
use std::sync::OnceLock;

fn corpus() -> &'static [(String, String)] {
    static CORPUS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CORPUS.get_or_init(common::corpus)
}

/// Everything a user of the crate may call on whatever parsed.
fn exercise(text: &str) {
    if let Ok(module) = HloModule::parse(text) {
        let report = lint(&module, &LintOptions { target: None });
        let _ = report.to_string();
        let _ = facts(&module, &LintOptions { target: None });
        for (_, inst) in module.instructions() {
            let _ = (
                inst.backend_config(),
                inst.op_name(),
                inst.called_computations(),
                inst.dimensions(),
            );
            let _ = (inst.shape.to_string(), inst.shape.bytes());
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        at.prop_map(Mutation::Truncate),
        (at, 1usize..64).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (at, "[{}()\\[\\],=%\":*ST0-9<=?/ \\n.a-z-]{1,12}")
            .prop_map(|(a, s)| Mutation::Insert(a, s)),
        at.prop_map(Mutation::DuplicateLine),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Truncate(a) => bytes.truncate(a % len),
            Mutation::Delete(a, n) => {
                let start = (a % len).min(bytes.len());
                let end = (start + n).min(bytes.len());
                bytes.drain(start..end);
            }
            Mutation::Insert(a, s) => {
                let at = (a % len).min(bytes.len());
                bytes.splice(at..at, s.bytes());
            }
            Mutation::DuplicateLine(a) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                if let Some(line) = lines.get(a % lines.len().max(1)) {
                    let at = (a % len).min(bytes.len());
                    let pos = text[..at].rfind('\n').map_or(0, |p| p + 1);
                    bytes.splice(pos..pos, format!("{line}\n").into_bytes());
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_real_dumps_never_panic(which in any::<usize>(), mutations in proptest::collection::vec(mutation(), 1..8)) {
        let (_, text) = &corpus()[which % corpus().len()];
        exercise(&apply(text, &mutations));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        exercise(&text);
        exercise(&format!("HloModule m\nENTRY %e () -> f32[] {{\n  {text}\n}}\n"));
    }
}

#[test]
fn truncating_a_real_dump_anywhere_never_panics() {
    let (_, text) = corpus()
        .iter()
        .find(|(n, _)| n == "tpu_flash_attention_d96")
        .unwrap();
    for end in (0..text.len())
        .step_by(7)
        .filter(|&e| text.is_char_boundary(e))
    {
        exercise(&text[..end]);
    }
}
