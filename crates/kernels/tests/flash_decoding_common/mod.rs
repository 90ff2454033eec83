//! Shared by the FlashDecoding tests: random cases, host arrays in the kernel layouts,
//! and the f64 reference with speculative tokens.
#![allow(dead_code)] // each test binary uses its own subset

use half::bf16;
use ndarray::{s, Array1, Array3, Array4, ArrayD, Axis, Ix5};
use pallas_flash_interpret::{reference::decode_attention, HostArray, Interpreter};
use pallas_flash_kernels::flash_decoding::{
    combine_partials, query_tile, shard_lengths, split_kernel, untile_output, FlashDecodingConfig,
    KvCacheDtype,
};
use pallas_flash_tiling::Target;
use proptest::prelude::*;

/// One random decode step.
#[derive(Clone, Debug)]
pub struct Case {
    pub batch: usize,
    pub q_len: usize,
    pub q_heads: usize,
    pub kv_heads: usize,
    pub max_kv_len: usize,
    pub splits: usize,
    pub block_kv: usize,
    pub lengths: Vec<i32>,
    pub int8: bool,
    pub seed: u64,
}

pub const HEAD_DIM: usize = 128;

impl Case {
    pub fn config(&self) -> FlashDecodingConfig {
        let dtype = if self.int8 {
            KvCacheDtype::Int8
        } else {
            KvCacheDtype::Bf16
        };
        FlashDecodingConfig::new(
            self.batch,
            self.q_heads,
            self.kv_heads,
            HEAD_DIM,
            self.max_kv_len,
        )
        .with_splits(self.splits, self.block_kv)
        .with_q_len(self.q_len)
        .with_kv_dtype(dtype)
    }

    /// Values rounded to bf16; the cache holds NaN past each row's length.
    pub fn data(&self) -> Data {
        let mut rng = XorShift(self.seed | 1);
        let d = HEAD_DIM;
        let q = Array4::from_shape_fn((self.batch, self.q_len, self.q_heads, d), |_| {
            round(3.0 * rng.uniform())
        });
        let mut cache = || {
            Array4::from_shape_fn(
                (self.batch, self.kv_heads, self.max_kv_len, d),
                |(b, _, pos, _)| {
                    let value = round(rng.uniform());
                    if pos < self.lengths[b] as usize {
                        value
                    } else {
                        f32::NAN
                    }
                },
            )
        };
        let (k, v) = (cache(), cache());
        Data {
            lengths: self.lengths.clone(),
            q,
            k,
            v,
            kv_heads: self.kv_heads,
            int8: None,
        }
    }
}

/// A case's arrays: `q: [B, q_len, H_q, D]`, `k`, `v: [B, H_kv, N, D]` as f32 holding
/// bf16 values, and for an int8 cache its quantized form.
#[derive(Clone, Debug)]
pub struct Data {
    pub lengths: Vec<i32>,
    pub q: Array4<f32>,
    pub k: Array4<f32>,
    pub v: Array4<f32>,
    pub kv_heads: usize,
    pub int8: Option<Int8Cache>,
}

#[derive(Clone, Debug)]
pub struct Int8Cache {
    pub k: Array4<i8>,
    pub v: Array4<i8>,
    pub k_scale: Array3<f32>,
    pub v_scale: Array3<f32>,
}

impl Data {
    /// The split kernel's arguments: lengths, the query tile, the cache (and scales).
    pub fn args(&self) -> Vec<HostArray> {
        let to_bf16 = |a: &Array4<f32>| HostArray::from(a.mapv(bf16::from_f32));
        let mut args = vec![
            HostArray::from(Array1::from(self.lengths.clone())),
            to_bf16(&query_tile(self.q.view(), self.kv_heads)),
        ];
        match &self.int8 {
            None => args.extend([to_bf16(&self.k), to_bf16(&self.v)]),
            Some(c) => args.extend([
                HostArray::from(c.k.clone()),
                HostArray::from(c.v.clone()),
                HostArray::from(c.k_scale.clone()),
                HostArray::from(c.v_scale.clone()),
            ]),
        }
        args
    }

    /// The paged kernel's arguments for a bf16 cache: lengths, the page table, the query
    /// tile, and `k_pages`, `v_pages: [H_kv, num_pages, page_size, D]`. Physical pages are
    /// a rotation of the logical ones, plus one spare page of NaN nobody maps.
    pub fn paged_args(&self, page_size: usize) -> (Vec<HostArray>, usize) {
        let (b, h, n, d) = self.k.dim();
        let per_row = n / page_size;
        let num_pages = b * per_row + 1;
        let physical = |row: usize, i: usize| (row * per_row + i + 3) % num_pages;
        let table =
            ndarray::Array2::from_shape_fn((b, per_row), |(row, i)| physical(row, i) as i32);
        let pages = |x: &Array4<f32>| {
            let mut out = Array4::from_elem((h, num_pages, page_size, d), bf16::NAN);
            for ((row, hi, pos, di), v) in x.indexed_iter() {
                out[[hi, physical(row, pos / page_size), pos % page_size, di]] = bf16::from_f32(*v);
            }
            HostArray::from(out)
        };
        let mut args = self.args();
        args.truncate(2);
        args.insert(1, HostArray::from(table));
        args.extend([pages(&self.k), pages(&self.v)]);
        (args, num_pages)
    }

    /// Symmetric int8 per (kv head, channel) over the valid positions; positions past a
    /// row's length hold 127 (anything is allowed there).
    pub fn quantized(&self) -> Data {
        let quantize = |x: &Array4<f32>| {
            let (b, h, n, d) = x.dim();
            let scale = Array3::from_shape_fn((h, 1, d), |(hi, _, di)| {
                let max = (0..b)
                    .flat_map(|bi| (0..self.lengths[bi] as usize).map(move |p| (bi, p)))
                    .map(|(bi, p)| x[[bi, hi, p, di]].abs())
                    .fold(0.0f32, f32::max);
                if max == 0.0 {
                    1.0
                } else {
                    max / 127.0
                }
            });
            let q = Array4::from_shape_fn((b, h, n, d), |(bi, hi, p, di)| {
                if p < self.lengths[bi] as usize {
                    (x[[bi, hi, p, di]] / scale[[hi, 0, di]]).round() as i8
                } else {
                    127
                }
            });
            (q, scale)
        };
        let ((k, k_scale), (v, v_scale)) = (quantize(&self.k), quantize(&self.v));
        Data {
            int8: Some(Int8Cache {
                k,
                v,
                k_scale,
                v_scale,
            }),
            ..self.clone()
        }
    }
}

/// Runs the split kernel in the interpreter: `[o_part, m_part, l_part]`.
pub fn run_split(cfg: &FlashDecodingConfig, data: &Data) -> [HostArray; 3] {
    let (kernel, _) = split_kernel(cfg, &Target::v5e()).unwrap();
    let out = Interpreter::new(&kernel)
        .unwrap()
        .run(&data.args())
        .unwrap();
    out.try_into().expect("three partials")
}

/// [`combine_partials`] on the kernel's outputs: `o` in the query layout
/// `[B, q_len, H_q, D]`.
pub fn combine_on_host(partials: &[HostArray; 3], cfg: &FlashDecodingConfig) -> Array4<f64> {
    let [acc, m, l] = partials
        .each_ref()
        .map(|a| a.to_f64().into_dimensionality::<Ix5>().unwrap());
    let (o, _) = combine_partials(acc.view(), m.view(), l.view());
    untile_output(o.view(), cfg.q_len, cfg.q_heads)
}

/// The f64 reference, `[B, q_len, H_q, D]`: token `t` sees `lengths[b] - q_len + 1 + t`
/// positions.
pub fn reference(cfg: &FlashDecodingConfig, data: &Data) -> Array4<f64> {
    let (b, hq, d) = (cfg.batch, cfg.q_heads, cfg.head_dim);
    let k = data.k.mapv(f64::from);
    let v = data.v.mapv(f64::from);
    let mut out = Array4::zeros((b, cfg.q_len, hq, d));
    for t in 0..cfg.q_len {
        let lag = (cfg.q_len - 1 - t) as i32;
        let lengths = Array1::from_iter(data.lengths.iter().map(|&l| (l - lag).max(0)));
        let q = data.q.index_axis(Axis(1), t).mapv(f64::from);
        let one = decode_attention(q.view(), k.view(), v.view(), lengths.view(), cfg.scale);
        out.slice_mut(s![.., t, .., ..]).assign(&one.out);
    }
    out
}

/// `max |got - expected| <= tol` (and no NaN).
pub fn assert_close(got: &Array4<f64>, expected: &Array4<f64>, tol: f64, what: &str) {
    let err = (got - expected).mapv(f64::abs).fold(0.0f64, |a, &b| {
        if b.is_nan() {
            f64::INFINITY
        } else {
            a.max(b)
        }
    });
    assert!(err <= tol, "{what}: max abs error {err} > {tol}");
}

fn round(x: f32) -> f32 {
    bf16::from_f32(x).to_f32()
}

/// xorshift64*: deterministic data without another dependency.
struct XorShift(u64);

impl XorShift {
    /// Uniform in [-1, 1).
    fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40;
        (bits as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// Kept small: every case compiles two kernels on the CPU plugin (~0.5 s each).
pub fn cases() -> impl Strategy<Value = Case> {
    (
        1usize..=3,
        1usize..=4,
        prop::sample::select(vec![(1usize, 1usize), (4, 1), (4, 2), (8, 2)]),
        prop::sample::select(vec![1usize, 2, 4]),
        any::<u64>(),
    )
        .prop_flat_map(|(batch, q_len, (q_heads, kv_heads), splits, seed)| {
            let block_kv = 128;
            let max_kv_len = block_kv * 4;
            let lengths = prop::collection::vec(q_len as i32..=max_kv_len as i32, batch);
            lengths.prop_map(move |lengths| Case {
                batch,
                q_len,
                q_heads,
                kv_heads,
                max_kv_len,
                splits,
                block_kv,
                lengths,
                int8: false,
                seed,
            })
        })
}

/// The 2x2 mesh: each of 4 shards runs the split kernel (through `run_split`) on its
/// slice of the cache with its local lengths; the host concatenates every shard's partials
/// along the split axis and combines them with the same log-sum-exp, which must match the
/// unsharded reference.
pub fn check_mesh(run_split: impl Fn(&FlashDecodingConfig, &Data) -> [ArrayD<f64>; 3], what: &str) {
    let chips = 4;
    let case = Case {
        batch: 3,
        q_len: 2,
        q_heads: 8,
        kv_heads: 2,
        max_kv_len: 1024,
        splits: 2,
        block_kv: 128,
        lengths: vec![1024, 300, 513],
        int8: false,
        seed: 21,
    };
    let data = case.data();
    let shard_len = case.max_kv_len / chips;
    let cfg = Case {
        max_kv_len: shard_len,
        splits: 1,
        ..case.clone()
    }
    .config();
    let partials: Vec<[ArrayD<f64>; 3]> = shard_lengths(&data.lengths, chips, shard_len)
        .into_iter()
        .enumerate()
        .map(|(c, lengths)| {
            let range = s![.., .., c * shard_len..(c + 1) * shard_len, ..];
            let local = Data {
                lengths,
                k: data.k.slice(range).to_owned(),
                v: data.v.slice(range).to_owned(),
                ..data.clone()
            };
            run_split(&cfg, &local)
        })
        .collect();
    let joined = [0, 1, 2].map(|i| {
        let views: Vec<_> = partials.iter().map(|p| p[i].view()).collect();
        ndarray::concatenate(Axis(2), &views)
            .unwrap()
            .into_dimensionality::<Ix5>()
            .unwrap()
    });
    let (o, _) = combine_partials(joined[0].view(), joined[1].view(), joined[2].view());
    assert_close(
        &untile_output(o.view(), case.q_len, case.q_heads),
        &reference(&case.config(), &data),
        1e-2,
        what,
    );
}
