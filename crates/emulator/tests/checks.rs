//! The checks the hardware does not make, on small hand-written modules in plain generic
//! form: out-of-bounds vector access, DMA out of bounds, a wait nobody signals, two
//! in-flight DMAs into one buffer, NaN-poisoned scratch and edge blocks, unknown ops.

use pallas_flash_emulator::{Elem, Emulator, Error, FaultKind, HostArray};

/// A kernel over grid (2,) taking x: f32[rows, 128] in (8, 128) blocks, writing o: f32[16,
/// 128] in (8, 128) blocks, with scratch: f32[8, 128] VMEM and 2 DMA semaphores; `body`
/// sees %i (grid index), %x, %o, %s, %sem, %c0 (index 0), %c8 (index 8).
fn module(body: &str) -> String {
    let vmem = "memref<8x128xf32, #tpu.memory_space<vmem>>";
    let sem = "memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>";
    format!(
        r#""builtin.module"() ({{
  "func.func"() <{{function_type = (i32, {vmem}, {vmem}, {vmem}, {sem}) -> (), sym_name = "k"}}> ({{
  ^bb0(%i: i32, %x: {vmem}, %o: {vmem}, %s: {vmem}, %sem: {sem}):
    %c0 = "arith.constant"() <{{value = 0 : index}}> : () -> index
    %c8 = "arith.constant"() <{{value = 8 : index}}> : () -> index
{body}
    "func.return"() : () -> ()
  }}) {{dimension_semantics = [#tpu.dimension_semantics<parallel>], iteration_bounds = array<i64: 2>, scalar_prefetch = 0 : i64, scratch_operands = 2 : i64, tpu.core_type = #tpu.core_type<tc>, window_params = [{{transform_indices = @t, window_bounds = array<i64: 8, 128>}}, {{transform_indices = @t, window_bounds = array<i64: 8, 128>}}]}} : () -> ()
  "func.func"() <{{function_type = (i32) -> i32, sym_name = "t"}}> ({{
  ^bb0(%g: i32):
    %z = "arith.constant"() <{{value = 0 : i32}}> : () -> i32
    "func.return"(%g, %z) : (i32, i32) -> ()
  }}) : () -> ()
}}) : () -> ()
"#
    )
    .replace("(i32) -> i32, sym_name = \"t\"", "(i32) -> (i32, i32), sym_name = \"t\"")
}

const COPY: &str = r#"    %v = "vector.load"(%x, %c0, %c0) : (memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> vector<8x128xf32>
    "vector.store"(%v, %o, %c0, %c0) : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()"#;

fn input(rows: usize) -> HostArray {
    HostArray::floats(
        Elem::F32,
        vec![rows, 128],
        (0..rows * 128).map(|i| i as f32).collect(),
    )
}

fn run(body: &str, rows: usize) -> Result<Vec<HostArray>, Error> {
    Emulator::parse(&module(body))?.run(&[input(rows)])
}

fn fault(body: &str) -> (FaultKind, String) {
    match run(body, 16) {
        Err(e @ Error::Fault { kind, .. }) => (kind, e.to_string()),
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn a_copy_kernel_copies() {
    let out = run(COPY, 16).unwrap();
    assert_eq!(out[0], input(16));
}

#[test]
fn a_partial_edge_block_reads_nan_and_writes_back_only_in_bounds() {
    // 12 rows: the second block's last 4 rows are outside the array.
    let out = run(COPY, 12).unwrap();
    assert_eq!(
        out[0].shape,
        vec![16, 128],
        "the output keeps its own shape"
    );
    let values = out[0].to_f64();
    assert!(values[..12 * 128]
        .iter()
        .enumerate()
        .all(|(i, v)| *v == i as f64));
    assert!(
        values[12 * 128..].iter().all(|v| v.is_nan()),
        "rows read out of bounds are NaN"
    );
}

#[test]
fn a_vector_load_past_the_block_is_out_of_bounds() {
    let body = r#"    %v = "vector.load"(%x, %c8, %c0) : (memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> vector<8x128xf32>"#;
    let (kind, message) = fault(body);
    assert_eq!(kind, FaultKind::OutOfBounds);
    assert!(
        message.contains("grid step [0]")
            && message.contains("vector.load")
            && message.contains("8 + 8 > 8"),
        "{message}"
    );
}

#[test]
fn never_written_scratch_is_nan() {
    let body = r#"    %v = "vector.load"(%s, %c0, %c0) : (memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> vector<8x128xf32>
    "vector.store"(%v, %o, %c0, %c0) : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()"#;
    assert!(run(body, 16).unwrap()[0]
        .to_f64()
        .iter()
        .all(|v| v.is_nan()));
}

const SEM0: &str = r#"    %z = "arith.constant"() <{value = 0 : i32}> : () -> i32
    %sem0 = "tpu.memref_slice"(%sem, %z) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
    %one = "tpu.memref_squeeze"(%sem0) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
"#;

const START: &str = r#"    "tpu.enqueue_dma"(%x, %s, %one) <{operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>}> : (memref<8x128xf32, #tpu.memory_space<vmem>>, memref<8x128xf32, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
"#;

const WAIT: &str = r#"    "tpu.wait_dma2"(%one, %x, %s) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, memref<8x128xf32, #tpu.memory_space<vmem>>, memref<8x128xf32, #tpu.memory_space<vmem>>) -> ()
"#;

#[test]
fn a_dma_lands_at_its_wait() {
    let body = format!(
        "{SEM0}{START}{WAIT}{}",
        r#"    %v = "vector.load"(%s, %c0, %c0) : (memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> vector<8x128xf32>
    "vector.store"(%v, %o, %c0, %c0) : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()"#
    );
    assert_eq!(run(&body, 16).unwrap()[0], input(16));
}

#[test]
fn a_wait_nobody_signals_is_a_deadlock_at_its_grid_step() {
    let (kind, message) = fault(&format!("{SEM0}{WAIT}"));
    assert_eq!(kind, FaultKind::Deadlock);
    assert!(
        message.contains("grid step [0]") && message.contains("4096 bytes"),
        "{message}"
    );
}

#[test]
fn two_in_flight_dmas_into_one_buffer() {
    let (kind, message) = fault(&format!("{SEM0}{START}{START}"));
    assert_eq!(kind, FaultKind::DmaOverlap, "{message}");
}

#[test]
fn a_dma_never_waited_for() {
    // Started on the last grid step only (a second start would overlap the first).
    let last = r#"    %one_i = "arith.constant"() <{value = 1 : i32}> : () -> i32
    %last = "arith.cmpi"(%i, %one_i) <{predicate = 0 : i64}> : (i32, i32) -> i1
    "scf.if"(%last) ({"#;
    let end = r#"      "scf.yield"() : () -> ()
    }, {
      "scf.yield"() : () -> ()
    }) : (i1) -> ()"#;
    let (kind, message) = fault(&format!("{SEM0}{last}\n{START}{end}"));
    assert_eq!(kind, FaultKind::UnwaitedDma, "{message}");
}

#[test]
fn a_slice_past_the_buffer_is_a_dma_out_of_bounds() {
    let body = r#"    %z = "arith.constant"() <{value = 4 : i32}> : () -> i32
    %w = "tpu.memref_slice"(%s, %z, %z) <{operandSegmentSizes = array<i32: 1, 2, 0>}> : (memref<8x128xf32, #tpu.memory_space<vmem>>, i32, i32) -> memref<8x128xf32, #tpu.memory_space<vmem>>"#;
    assert_eq!(fault(body).0, FaultKind::DmaOutOfBounds);
}

#[test]
fn an_unknown_op_is_named_with_its_location() {
    let body = r#"    "tpu.frobnicate"(%x) : (memref<8x128xf32, #tpu.memory_space<vmem>>) -> () loc("my_kernel.py":12:3)"#;
    let err = Emulator::parse(&module(body)).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::UnknownOp { .. }), "{message}");
    assert!(
        message.contains("tpu.frobnicate")
            && message.contains("my_kernel.py:12")
            && message.contains("line 6"),
        "{message}"
    );
}

#[test]
fn a_wrong_operand_is_named() {
    let emulator = Emulator::parse(&module(COPY)).unwrap();
    let bad = HostArray::ints(Elem::Int(32), vec![16, 128], vec![0; 16 * 128]);
    let message = emulator.run(&[bad]).unwrap_err().to_string();
    assert!(
        message.contains("operand 0") && message.contains("i32") && message.contains("f32"),
        "{message}"
    );
}
