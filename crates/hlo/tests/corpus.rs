//! Every committed real dump parses, and the parse sees what the text says.

mod common;

use pallas_flash_hlo::HloModule;

#[test]
fn corpus_has_tpu_and_cpu_dumps() {
    let corpus = common::corpus();
    assert!(corpus.len() >= 10, "{} dumps", corpus.len());
    assert!(corpus.iter().any(|(n, _)| n.starts_with("tpu_")));
    assert!(corpus.iter().any(|(n, _)| n.starts_with("cpu_")));
}

#[test]
fn every_dump_parses_and_every_instruction_line_is_read() {
    for (name, text) in common::corpus() {
        let module = HloModule::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let lines = text
            .lines()
            .filter(|l| l.contains(" = ") && l.starts_with("  "))
            .count();
        assert_eq!(module.instructions().count(), lines, "{name}");
        assert!(module.entry().is_some_and(|c| c.is_entry), "{name}");
        for (comp, inst) in module.instructions() {
            for op in &inst.operands {
                assert!(
                    comp.get(&op.name).is_some(),
                    "{name}: {} uses unknown {}",
                    inst.name,
                    op.name
                );
            }
            for called in inst.called_computations() {
                assert!(module.computation(called).is_some(), "{name}: {called}");
            }
        }
    }
}

fn without_index_comments(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("/*index=") {
        out.push_str(&rest[..at]);
        rest = rest[at..].split_once("*/").map_or("", |(_, after)| after);
    }
    out + rest
}

#[test]
fn shapes_print_back_as_written() {
    for (name, text) in common::corpus() {
        let module = HloModule::parse(&text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (_, inst) in module.instructions() {
            // Long tuples carry `/*index=5*/` markers, which the parser skips.
            let line = without_index_comments(lines[inst.line - 1]);
            let printed = format!("{} = {} {}(", inst.name, inst.shape, inst.opcode);
            assert!(line.contains(&printed), "{name}: {printed} not in {line}");
        }
    }
}

#[test]
fn d96_has_the_copies_design_section_6_describes() {
    let module = common::module("tpu_flash_attention_d96");
    let count = |op: &str| {
        module
            .entry()
            .unwrap()
            .instructions
            .iter()
            .filter(|i| i.opcode == op)
            .count()
    };
    assert_eq!(
        (count("copy"), count("copy-start"), count("copy-done")),
        (4, 2, 2)
    );
    let kernel = module.entry().unwrap().get("flash_attention.1").unwrap();
    assert_eq!(kernel.custom_call_target(), Some("tpu_custom_call"));
    assert!(kernel.backend_config().unwrap()["custom_call_config"]["body"].is_string());
}
