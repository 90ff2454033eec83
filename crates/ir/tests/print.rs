//! The text form is stable: these snapshots change only when the format does.

mod common;

#[test]
fn matmul_text() {
    let expected = "\
kernel matmul
  grid [2, 2, 2] (parallel, parallel, arbitrary)
  input @x: bf16[256, 512] vmem block [128, 256] -> (g0, g2)
  input @y: bf16[512, 256] vmem block [256, 128] -> (g2, g1)
  output @o: f32[256, 256] vmem block [128, 128] -> (g0, g1)
  scratch @acc: vmem f32[128, 128]
{
  %0 = program_id 2
  %1 = constant 0 : i32[]
  %2 = eq %0, %1
  when %2 {
    %3 = constant 0.0 : f32[128, 128]
    store @acc, %3
  }
  %4 = load @x
  %5 = load @y
  %6 = load @acc
  %7 = dot %4, %5 contract (1, 0) batch 0 -> f32
  %8 = add %6, %7
  store @acc, %8
  %9 = num_programs 2
  %10 = constant 1 : i32[]
  %11 = sub %9, %10
  %12 = eq %0, %11
  when %12 {
    %13 = load @acc
    store @o, %13
  }
}
";
    assert_eq!(common::matmul().to_string(), expected);
}

#[test]
fn loops_dma_and_index_maps_text() {
    let attention = common::causal_attention_dma().to_string();
    for line in [
        "  input @k_hbm: bf16[1024, 128] any\n",
        "  scratch @sem: dma_sem[2]\n",
        "  %39, %40, %41 = fori_loop %7 in 0..%2 (%8 = %4, %9 = %5, %10 = %6) {\n",
        "    dma_start @k_hbm[ds(%12, 128), ds(0, 128)] -> @k_buf, @sem[0]\n",
        "    %24 = reduce_max %23 axes [1] keep_dims\n",
        "    yield %25, %33, %38\n",
    ] {
        assert!(attention.contains(line), "missing {line:?} in\n{attention}");
    }
    let decode = common::paged_decode().to_string();
    let map = "block [squeezed, 128, 128] -> (@page_table[g0, min(g1, ((@lengths[g0] - 1) / 128))], 0, 0)";
    assert!(decode.contains(map), "{decode}");
    assert!(decode.contains("  %1 = load @lengths[%0]\n"), "{decode}");
}

#[test]
fn value_ops_text() {
    use pallas_flash_ir::{DType::F32, GridSpec, KernelBuilder, ReduceOp};
    let mut k = KernelBuilder::new("value_ops", GridSpec::new([1]));
    let x = k.input(
        "x",
        [16, 256],
        F32,
        k.vmem_block([16, 256], |_| [0.into(), 0.into()]),
    );
    let o = k.output(
        "o",
        [16, 256],
        F32,
        k.vmem_block([16, 256], |_| [0.into(), 0.into()]),
    );
    let v = k.read(x);
    let s = k.slice(v, [0, 0], [8, 256]);
    let p = k.pad(s, [0, 0], [8, 0], 0.0);
    k.mean(p, 1);
    let r = k.reduce_lanes(ReduceOp::Max, p, 128);
    let j = k.concatenate([r, r], 1);
    k.write(o, j);
    let text = k.build().expect("valid").0.to_string();
    for line in [
        "  %1 = slice %0 start [0, 0] size [8, 256]\n",
        "  %2 = pad %1 low [0, 0] high [8, 0] value 0.0\n",
        "  %3 = reduce_mean %2 axes [1] keep_dims\n",
        "  %4 = reduce_lanes_max %2 lanes 128\n",
        "  %5 = concatenate %4, %4 axis 1\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}
