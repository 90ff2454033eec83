//! Retrieval: configuration errors, and numerics through the interpreter (CPU plugin)
//! against an f64 reference — top-k indices, values, and the tie order (lowest index
//! first, across bank blocks).

use half::bf16;
use ndarray::{Array2, ArrayD};
use pallas_flash_interpret::{HostArray, Interpreter};
use pallas_flash_kernels::retrieval::{BankNorms, RetrievalConfig};
use pallas_flash_test_support::data;
use pallas_flash_test_support::quantize::{quantize_rows, E4M3, INT8};
use pallas_flash_tiling::precision::Precision;

/// Deterministic values in [-1, 1), bf16-exact (so the kernel's bf16 rounding of the
/// queries is exact and the reference sees the same inputs).
fn values(seed: u64, len: usize) -> Vec<f32> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let unit = (state >> 40) as f32 / (1u64 << 24) as f32;
            bf16::from_f32(2.0 * unit - 1.0).to_f32()
        })
        .collect()
}

struct Data {
    queries: Array2<f32>,
    bank: Array2<f32>,
}

impl Data {
    fn random(cfg: &RetrievalConfig, seed: u64) -> Data {
        let (q, m, d) = (cfg.queries, cfg.bank_rows, cfg.dim);
        Data {
            queries: Array2::from_shape_vec((q, d), values(seed, q * d)).unwrap(),
            bank: Array2::from_shape_vec((m, d), values(seed + 1, m * d)).unwrap(),
        }
    }

    fn inv_norms(&self) -> Array2<f32> {
        let norms = self
            .bank
            .rows()
            .into_iter()
            .map(|r| 1.0 / r.iter().map(|x| x * x).sum::<f32>().sqrt());
        Array2::from_shape_vec((1, self.bank.nrows()), norms.collect()).unwrap()
    }

    /// Descending cosine similarities per query, ties lowest index first (f64).
    fn reference(&self, k: usize) -> Vec<Vec<(usize, f64)>> {
        let norm = |r: ndarray::ArrayView1<f32>| {
            r.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt()
        };
        self.queries
            .rows()
            .into_iter()
            .map(|q| {
                let mut sims: Vec<(usize, f64)> = self
                    .bank
                    .rows()
                    .into_iter()
                    .enumerate()
                    .map(|(j, b)| {
                        let dot: f64 = q
                            .iter()
                            .zip(b)
                            .map(|(&x, &y)| f64::from(x) * f64::from(y))
                            .sum();
                        (j, dot / (norm(q) * norm(b)))
                    })
                    .collect();
                sims.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                sims.truncate(k);
                sims
            })
            .collect()
    }
}

/// Runs split then merge through the interpreter: `(values, indices)` per query.
fn run(cfg: &RetrievalConfig, block: usize, data: &Data) -> (ArrayD<f64>, ArrayD<f64>) {
    let mut args = vec![
        HostArray::from(data.queries.clone()),
        HostArray::from(data.bank.mapv(bf16::from_f32)),
    ];
    if cfg.bank_norms == BankNorms::Precomputed {
        args.push(HostArray::from(data.inv_norms()));
    }
    run_arrays(cfg, block, &args)
}

/// Runs split then merge on the split kernel's operands.
fn run_arrays(
    cfg: &RetrievalConfig,
    block: usize,
    args: &[HostArray],
) -> (ArrayD<f64>, ArrayD<f64>) {
    let split = cfg.split_kernel(block).unwrap();
    let partials = Interpreter::new(&split.kernel).unwrap().run(args).unwrap();
    let merge = cfg.merge_kernel(block).unwrap();
    let out = Interpreter::new(&merge.kernel)
        .unwrap()
        .run(&partials)
        .unwrap();
    (out[0].to_f64(), out[1].to_f64())
}

/// Indices equal the reference's, except swaps among near-equal similarities.
fn assert_matches(cfg: &RetrievalConfig, block: usize, data: &Data) {
    let (vals, idx) = run(cfg, block, data);
    let want = data.reference(cfg.top_k);
    for (qi, row) in want.iter().enumerate() {
        for (slot, &(j, sim)) in row.iter().enumerate() {
            let (got_j, got) = (idx[[qi, slot]] as usize, vals[[qi, slot]]);
            assert!(
                (got - sim).abs() < 1e-4,
                "q{qi} slot {slot}: {got} vs {sim}"
            );
            if got_j != j {
                let theirs = row.iter().find(|(r, _)| *r == got_j);
                assert!(
                    theirs.is_some_and(|(_, s)| (s - sim).abs() < 1e-5),
                    "q{qi} slot {slot}: index {got_j}, reference {j} ({sim})"
                );
            }
        }
    }
}

#[test]
fn top_k_matches_the_f64_reference() {
    let cfg = RetrievalConfig::new(8, 1024, 256, 10);
    assert_matches(&cfg, 256, &Data::random(&cfg, 7));
}

#[test]
fn precomputed_bank_norms_match_too() {
    let cfg = RetrievalConfig::new(3, 512, 128, 5).bank_norms(BankNorms::Precomputed);
    assert_matches(&cfg, 128, &Data::random(&cfg, 11));
}

#[test]
fn a_single_query_and_k_128_over_one_block() {
    let cfg = RetrievalConfig::new(1, 256, 128, 128);
    assert_matches(&cfg, 256, &Data::random(&cfg, 3));
}

#[test]
fn ties_return_the_lowest_index_first_across_blocks() {
    let cfg = RetrievalConfig::new(2, 1024, 128, 4);
    let mut data = Data::random(&cfg, 5);
    // Rows 900, 5 and 700 hold the same vector (three blocks of 256); query 0 is it.
    let row = data.bank.row(900).to_owned();
    for j in [5, 700] {
        data.bank.row_mut(j).assign(&row);
    }
    data.queries.row_mut(0).assign(&row);
    let (vals, idx) = run(&cfg, 256, &data);
    let got: Vec<i64> = (0..3).map(|s| idx[[0, s]] as i64).collect();
    assert_eq!(got, [5, 700, 900], "ties: lowest bank index first");
    assert!((vals[[0, 0]] - 1.0).abs() < 1e-5 && vals[[0, 0]] == vals[[0, 2]]);
    assert_matches(&cfg, 256, &data);
}

/// recall@k of the kernel's top-k with the bank stored in `precision` (per-row scales)
/// against the f64 top-k of the unquantized bank; fp8 runs the bf16 kernel on the
/// e4m3-rounded rows (the CPU plugin takes no fp8 buffers; e4m3 values are exact in bf16,
/// as the kernel converts them).
fn recall(precision: Precision, cfg: &RetrievalConfig, block: usize) -> f64 {
    let queries =
        Array2::from_shape_vec((cfg.queries, cfg.dim), values(21, cfg.queries * cfg.dim)).unwrap();
    let bank = data(&[cfg.bank_rows, cfg.dim], 22)
        .into_dimensionality()
        .unwrap();
    let want = Data {
        queries: queries.clone(),
        bank: bank.clone(),
    }
    .reference(cfg.top_k);
    let bank = bank.mapv(f64::from);
    let (run_cfg, stored) = match precision {
        Precision::Bf16 => (cfg.clone(), HostArray::from(bank.mapv(bf16::from_f64))),
        Precision::Int8 => (
            cfg.clone().precision(Precision::Int8),
            HostArray::from(quantize_rows(&bank, INT8).0.mapv(|v| v as i8)),
        ),
        Precision::Fp8 => (
            cfg.clone(),
            HostArray::from(quantize_rows(&bank, E4M3).0.mapv(bf16::from_f64)),
        ),
    };
    let (_, idx) = run_arrays(&run_cfg, block, &[HostArray::from(queries), stored]);
    let found: usize = want
        .iter()
        .enumerate()
        .map(|(qi, row)| {
            row.iter()
                .filter(|(j, _)| (0..cfg.top_k).any(|s| idx[[qi, s]] as usize == *j))
                .count()
        })
        .sum();
    found as f64 / (cfg.queries * cfg.top_k) as f64
}

/// The recall column of the precision table (`-- --nocapture` prints it): 8 queries,
/// 4096 × 768 bank of uniform values, top-10.
#[test]
fn quantized_banks_keep_their_recall() {
    let cfg = RetrievalConfig::new(8, 4096, 768, 10);
    for (precision, least) in [
        (Precision::Bf16, 0.95),
        (Precision::Int8, 0.9),
        (Precision::Fp8, 0.7),
    ] {
        let r = recall(precision, &cfg, 1024);
        println!(
            "{precision}: recall@10 {r:.3} (8 queries, 4096 x 768 uniform bank, per-row scales)"
        );
        assert!(r >= least, "{precision}: recall@10 {r} below {least}");
    }
}

#[test]
fn bad_configurations_are_errors() {
    let err = |cfg: RetrievalConfig, block: usize| cfg.split_kernel(block).unwrap_err().to_string();
    assert!(err(RetrievalConfig::new(8, 1024, 100, 10), 256)
        .contains("dim 100 is not a multiple of 128"));
    assert!(err(RetrievalConfig::new(8, 1024, 128, 0), 256).contains("top-k 0 is outside 1..=128"));
    assert!(err(RetrievalConfig::new(8, 1024, 128, 129), 256).contains("top-k 129"));
    let text = err(RetrievalConfig::new(8, 1024, 128, 10), 384);
    assert!(
        text.contains("block_bank 384 does not divide") && text.contains("such as 1024"),
        "{text}"
    );
    assert!(err(RetrievalConfig::new(0, 1024, 128, 10), 256).contains("queries is 0"));
}

#[test]
fn common_embedding_widths_build() {
    for d in [768, 1024, 1536, 3072] {
        let cfg = RetrievalConfig::new(8, 65_536, d, 10);
        let block = cfg.default_block_bank();
        assert!(
            cfg.split_kernel(block).is_ok() && cfg.merge_kernel(block).is_ok(),
            "D={d}"
        );
    }
}

mod memory_priority {
    use ndarray::Array2;
    use pallas_flash_interpret::{HostArray, Interpreter};
    use pallas_flash_kernels::memory_priority::MemoryPriorityConfig;

    #[test]
    fn priority_is_the_product_zeroed_at_or_below_the_threshold() {
        let cfg = MemoryPriorityConfig::new(4096, 0.05);
        let built = cfg.kernel(8).unwrap();
        let factor = |seed: usize| {
            Array2::from_shape_fn((32, 128), |(i, j)| {
                ((i * 131 + j * 7 + seed * 17) % 97) as f32 / 97.0
            })
        };
        let factors: Vec<Array2<f32>> = (0..4).map(factor).collect();
        let args: Vec<HostArray> = factors.iter().cloned().map(HostArray::from).collect();
        let out = Interpreter::new(&built.kernel).unwrap().run(&args).unwrap();
        let got = out[0].to_f64();
        let mut kept = 0;
        for ((i, j), _) in factors[0].indexed_iter() {
            let p: f64 = factors.iter().map(|f| f64::from(f[[i, j]])).product();
            let want = if p > 0.05 { p } else { 0.0 };
            kept += usize::from(p > 0.05);
            assert!(
                (got[[i, j]] - want).abs() < 1e-6,
                "({i}, {j}): {} vs {want}",
                got[[i, j]]
            );
        }
        assert!(
            kept > 100 && kept < 4000,
            "the threshold splits the data: {kept}"
        );
    }

    #[test]
    fn sizes_off_the_tile_are_errors() {
        let err = MemoryPriorityConfig::new(1000, 0.1)
            .kernel(8)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("1000 memories is not a positive multiple of 1024")
                && err.contains("e.g. 1024"),
            "{err}"
        );
        let err = MemoryPriorityConfig::new(4096, 0.1)
            .kernel(12)
            .unwrap_err()
            .to_string();
        assert!(err.contains("block_rows 12"), "{err}");
    }
}
