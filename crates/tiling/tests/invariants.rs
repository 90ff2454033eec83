//! Proptest invariants: padded bytes grow with the block. (The search's invariants are
//! tested over the real kernels, in `pallas-flash-kernels`' `tests/search.rs`.)

use pallas_flash_ir::DType;
use pallas_flash_tiling::budget::padded_bytes;
use pallas_flash_tiling::Target;
use proptest::prelude::*;

fn target() -> impl Strategy<Value = Target> {
    (0..5usize).prop_map(|i| Target::all()[i].clone())
}

fn dtype() -> impl Strategy<Value = DType> {
    prop_oneof![Just(DType::F32), Just(DType::Bf16), Just(DType::I8)]
}

proptest! {
    /// Padded bytes never shrink when any block dim grows.
    #[test]
    fn padded_bytes_monotonic(t in target(), dt in dtype(), shape in prop::collection::vec(1..600usize, 1..4), dim in 0..3usize, grow in 1..300usize) {
        let dim = dim % shape.len();
        let mut bigger = shape.clone();
        bigger[dim] += grow;
        prop_assert!(padded_bytes(&t, &shape, dt) <= padded_bytes(&t, &bigger, dt));
    }
}
