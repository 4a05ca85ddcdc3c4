// SPDX-License-Identifier: GPL-2.0

//! Host tests of the AVX2 kernels (`rust/simd/avx2.rs`) against the scalar reference
//! `fixed::dot`, bit for bit: every length up to a few passes, random and extreme
//! values, the one `vpmaddwd` overflow (all four values -32768) in every lane and
//! position, and rows of the widest layer. They need a CPU with AVX2 and fail without
//! one (the project's machines have it), rather than pass having checked nothing.

extern crate std;

use std::vec::Vec;

use crate::fixed::{dot, MAX_DIM};
use crate::format::Weights;
use crate::rng::Rng;
use crate::simd::avx2::{dot_split, split, split_len, PASS};

/// Values of two passes: the lengths below are in these.
const BLOCK: usize = 2 * PASS;

/// `dot(w, x, bias)` by the one-input AVX2 kernel, `x` split as the module splits it.
fn avx2(w: &[i16], x: &[i16], bias: i32) -> i64 {
    assert!(
        std::is_x86_feature_detected!("avx2"),
        "this host has no AVX2: the vector kernel cannot be tested here"
    );
    let mut s = std::vec![0i16; split_len(x.len())];
    split(x, &mut s);
    // SAFETY: the CPU has AVX2 (checked above); user space needs no FPU section.
    unsafe { dot_split(w, x, &s, bias) }
}

/// A value: uniform over i16 mostly, the extremes and zero often.
fn value(rng: &mut Rng) -> i16 {
    match rng.below(8) {
        0 => i16::MIN,
        1 => i16::MAX,
        2 => 0,
        3 => -1,
        _ => rng.next_u32() as i16,
    }
}

fn vector(rng: &mut Rng, n: usize) -> Vec<i16> {
    (0..n).map(|_| value(rng)).collect()
}

#[test]
fn every_length_random_and_extreme_values() {
    let mut rng = Rng::from_seed(0x5eed_a2c2);
    for n in 0..=4 * BLOCK + 7 {
        for _ in 0..20 {
            let (w, x) = (vector(&mut rng, n), vector(&mut rng, n));
            let bias = rng.next_u32() as i32;
            assert_eq!(
                avx2(&w, &x, bias),
                dot(&w, &x, bias),
                "n {n}, w {w:?}, x {x:?}"
            );
        }
    }
}

#[test]
fn the_one_vpmaddwd_overflow_in_every_pair_position() {
    // -32768 * -32768 twice is 2^31, which vpmaddwd wraps to i32::MIN.
    for n in [BLOCK, 2 * BLOCK, 3 * BLOCK + 5] {
        for pair in 0..n / 2 {
            let mut w = std::vec![1i16; n];
            let mut x = std::vec![1i16; n];
            for v in [&mut w, &mut x] {
                v[2 * pair] = i16::MIN;
                v[2 * pair + 1] = i16::MIN;
            }
            assert_eq!(avx2(&w, &x, 0), dot(&w, &x, 0), "n {n}, pair {pair}");
        }
    }
}

#[test]
fn all_minimum_and_all_maximum_rows_of_the_widest_layer() {
    for (a, b) in [
        (i16::MIN, i16::MIN),
        (i16::MIN, i16::MAX),
        (i16::MAX, i16::MAX),
        (i16::MAX, i16::MIN),
    ] {
        for n in [MAX_DIM, MAX_DIM - 1, MAX_DIM - BLOCK + 1] {
            let (w, x) = (std::vec![a; n], std::vec![b; n]);
            for bias in [i32::MIN, 0, i32::MAX] {
                assert_eq!(avx2(&w, &x, bias), dot(&w, &x, bias), "{a} x {b}, n {n}");
            }
        }
    }
    // 2^30 * 4096 = 2^42: far from i64's limits, but far past i32's.
    let big = std::vec![i16::MIN; MAX_DIM];
    assert_eq!(avx2(&big, &big, 0), 1i64 << 42);
}

#[test]
fn random_wide_rows() {
    let mut rng = Rng::from_seed(42);
    for _ in 0..300 {
        let n = rng.below(MAX_DIM as u32 + 1) as usize;
        let (w, x) = (vector(&mut rng, n), vector(&mut rng, n));
        let bias = rng.next_u32() as i32;
        assert_eq!(avx2(&w, &x, bias), dot(&w, &x, bias), "n {n}");
    }
}

#[test]
fn slices_of_different_lengths_sum_over_the_shorter() {
    let mut rng = Rng::from_seed(7);
    let (w, x) = (vector(&mut rng, 100), vector(&mut rng, 77));
    assert_eq!(avx2(&w, &x, 3), dot(&w, &x, 3));
    assert_eq!(avx2(&x, &w, 3), dot(&x, &w, 3));
    assert_eq!(avx2(&[], &w, -5), -5);
}

/// Thousands of random layers (shape, weights, biases, requantization, activation), each
/// run whole by both paths and in random row pieces by the vector path (as an FPU
/// section that gives the FPU back mid-layer runs it): the same outputs, bit for bit.
#[test]
fn random_layers_forward_the_same_by_both_paths_and_in_pieces() {
    use crate::activation::Activation;
    use crate::fixed::{Requant, MAX_SHIFT};
    use crate::forward::DenseLayer;
    use crate::simd::avx2::{block_rows, split_block};
    assert!(
        std::is_x86_feature_detected!("avx2"),
        "this host has no AVX2"
    );
    let mut rng = Rng::from_seed(0xd1ff);
    let acts = [
        Activation::Linear,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
    ];
    for case in 0..3000 {
        // Mostly small shapes, now and then a wide one.
        let inputs = 1 + match rng.below(10) {
            0 => rng.below(MAX_DIM as u32),
            _ => rng.below(200),
        } as usize;
        let outputs = 1 + rng.below(24) as usize;
        let weights: Vec<i16> = (0..inputs * outputs)
            .map(|_| value(&mut rng).max(-32767))
            .collect();
        let bias: Vec<i32> = (0..outputs).map(|_| rng.next_u32() as i32).collect();
        let requant = Requant::new(
            1 + rng.below(65535),
            rng.below(u32::from(MAX_SHIFT) + 1) as u8,
        )
        .expect("in range");
        let layer = DenseLayer {
            inputs,
            outputs,
            activation: acts[rng.below(4) as usize],
            requant,
            weights: Weights::Wide(&weights),
            bias: &bias,
        };
        // A block of one to four inputs, as the module's batches give them.
        let k = 1 + rng.below(4) as usize;
        let xs: Vec<Vec<i16>> = (0..k).map(|_| vector(&mut rng, inputs)).collect();
        let xr: Vec<&[i16]> = xs.iter().map(|x| x.as_slice()).collect();
        let mut want = std::vec![std::vec![0i16; outputs]; k];
        for (x, y) in xs.iter().zip(want.iter_mut()) {
            layer.forward(x, y).expect("shape");
        }
        // Stale values in the scratch: the split must write every value the kernels read
        // (the padding zeros too).
        let mut s = std::vec![0x5a5ai16; 4 * split_len(inputs)];
        // SAFETY: AVX2 checked above; user space needs no FPU section.
        unsafe { split_block(&xr, &mut s) }.expect("split");
        let mut got = std::vec![std::vec![0x5a5ai16; outputs]; k];
        let mut gr: Vec<&mut [i16]> = got.iter_mut().map(|y| y.as_mut_slice()).collect();
        // SAFETY: AVX2 checked above; user space needs no FPU section.
        unsafe { block_rows(&layer, &xr, &s, 0, &mut gr) }.expect("shape");
        assert_eq!(got, want, "case {case}: {inputs} x {outputs}, {k} inputs");
        // In random row pieces, as an FPU section that gives the FPU back mid-layer.
        let mut pieces = std::vec![std::vec![0x5a5ai16; outputs]; k];
        let mut first = 0;
        while first < outputs {
            let n = 1 + rng.below((outputs - first) as u32) as usize;
            let mut pr: Vec<&mut [i16]> = pieces
                .iter_mut()
                .map(|y| &mut y[first..first + n])
                .collect();
            // SAFETY: as above.
            unsafe { block_rows(&layer, &xr, &s, first, &mut pr) }.expect("shape");
            first += n;
        }
        assert_eq!(pieces, want, "case {case}: {inputs} x {outputs} in pieces");
    }
}

#[test]
fn block_rows_refuses_rows_past_the_layer_and_wrong_inputs() {
    use crate::activation::Activation;
    use crate::fixed::Requant;
    use crate::forward::DenseLayer;
    use crate::simd::avx2::block_rows;
    let layer = DenseLayer {
        inputs: 2,
        outputs: 3,
        activation: Activation::Linear,
        requant: Requant::IDENTITY,
        weights: Weights::Wide(&[1, 2, 3, 4, 5, 6]),
        bias: &[0, 0, 0],
    };
    let mut y = [7i16; 2];
    // SAFETY: the shape checks come before any vector instruction.
    unsafe {
        assert!(block_rows(&layer, &[&[1, 1]], &[], 2, &mut [&mut y]).is_err());
        assert!(block_rows(&layer, &[&[1]], &[], 0, &mut [&mut y]).is_err());
        assert!(block_rows(&layer, &[&[1, 1]], &[], usize::MAX, &mut [&mut y]).is_err());
        let x: &[i16] = &[1, 1];
        let mut ys = [[7i16; 2]; 4];
        let [a, b, c, d] = &mut ys;
        assert!(
            block_rows(&layer, &[x, x, x, &[1]], &[], 0, &mut [a, b, c, d]).is_err(),
            "one input of four too short"
        );
        assert_eq!(ys, [[7; 2]; 4]);
    }
    assert_eq!(y, [7, 7]);
    assert!(layer.reference_rows(&[1, 1], 1, &mut y).is_ok());
    assert_eq!(y, [7, 11]);
}

#[test]
fn the_gate_picks_by_features_switch_and_row_length() {
    use crate::simd::gate::{break_even, resolve, Gate};
    assert_eq!(resolve(0, Some(48)), 48);
    assert_eq!(resolve(0, None), usize::MAX);
    assert_eq!(resolve(100, Some(48)), 100);
    let g = Gate::new(true, true, 0, Some(64));
    assert!(!g.layer(63) && g.layer(64) && g.layer(4096));
    assert!(g.any([8, 2, 64]) && !g.any([8, 2, 63]));
    assert!(
        !Gate::new(true, false, 1, Some(64)).layer(4096),
        "switched off"
    );
    assert!(
        !Gate::new(false, true, 1, Some(64)).layer(4096),
        "no features"
    );
    assert!(!Gate::new(true, true, 0, None).layer(4096), "never won");
    assert!(!Gate::SCALAR.any([1, 4096]));
    // The least length from which the vector kernel never lost.
    assert_eq!(
        break_even(&[
            (8, 10, 20),
            (16, 10, 9),
            (32, 10, 11),
            (64, 10, 5),
            (128, 10, 3)
        ]),
        Some(64)
    );
    assert_eq!(break_even(&[(8, 10, 5), (16, 10, 5)]), Some(8));
    assert_eq!(break_even(&[(8, 10, 5), (16, 10, 50)]), None);
    assert_eq!(break_even(&[]), None);
}

/// The split kernels (`rust/simd/split.rs`) against `fixed::dot`: every length over a few
/// passes and past a flush, random and extreme values, and the widest rows.
#[test]
fn the_split_kernels_give_the_scalar_sums() {
    use crate::simd::avx2::{
        dot4_split, dot_split, rows4_split, split, split4, split_len, FLUSH, PASS,
    };
    assert!(
        std::is_x86_feature_detected!("avx2"),
        "this host has no AVX2"
    );
    let mut rng = Rng::from_seed(0x5b117);
    let lengths = (0..=5 * PASS + 3).chain([
        FLUSH * PASS - 1,
        FLUSH * PASS,
        FLUSH * PASS + PASS + 5,
        MAX_DIM - 1,
        MAX_DIM,
    ]);
    for n in lengths {
        for round in 0..12 {
            let fill = |rng: &mut Rng| -> Vec<i16> {
                match round {
                    0 => std::vec![i16::MIN; n],
                    1 => std::vec![i16::MAX; n],
                    2 => (0..n)
                        .map(|i| if i % 2 == 0 { i16::MIN } else { i16::MAX })
                        .collect(),
                    _ => vector(rng, n),
                }
            };
            // Rounds 3 and 4: the largest low-byte products (x = 32767 has l = 255), the
            // sums a flush of too many passes would overflow.
            let w = match round {
                3 => std::vec![i16::MIN; n],
                4 => std::vec![i16::MAX; n],
                _ => fill(&mut rng),
            };
            let fill = |rng: &mut Rng| -> Vec<i16> {
                match round {
                    3 | 4 => std::vec![i16::MAX; n],
                    _ => fill(rng),
                }
            };
            let xs: Vec<Vec<i16>> = (0..4).map(|_| fill(&mut rng)).collect();
            let bias = rng.next_u32() as i32;
            let mut s = std::vec![0i16; split_len(n)];
            split(&xs[0], &mut s);
            // SAFETY: AVX2 checked above; user space needs no FPU section.
            let one = unsafe { dot_split(&w, &xs[0], &s, bias) };
            assert_eq!(one, dot(&w, &xs[0], bias), "n {n}, round {round}");
            // The padded last pass reads past the row (the next row's values): the
            // split's zeros cancel them, whatever they are.
            let mut past = w.clone();
            past.extend([i16::MIN; PASS - 1]);
            // SAFETY: as above.
            let one_past = unsafe { dot_split(&past, &xs[0], &s, bias) };
            assert_eq!(
                one_past,
                dot(&w, &xs[0], bias),
                "n {n}, round {round}, past the row"
            );
            // Four rows (the three after `w` drawn as `w` is) by the four-row kernel, from
            // their start to the end of the weights as a layer gives them: `None` only
            // where the fourth row's padded pass would read past them.
            let mut rows = w.clone();
            for _ in 0..3 {
                rows.extend(fill(&mut rng));
            }
            // SAFETY: as above.
            let by4 = unsafe { rows4_split(&rows, n, &s) };
            let want4: [i64; 4] =
                core::array::from_fn(|r| dot(&rows[r * n..(r + 1) * n], &xs[0], 0));
            if n.is_multiple_of(PASS) {
                assert_eq!(by4, Some(want4), "n {n}, round {round}, four rows");
            } else {
                assert_eq!(by4, None, "n {n}, round {round}, four rows at the end");
            }
            rows.extend([i16::MIN; PASS - 1]);
            // SAFETY: as above.
            let by4 = unsafe { rows4_split(&rows, n, &s) };
            assert_eq!(
                by4,
                Some(want4),
                "n {n}, round {round}, four rows past the end"
            );
            let mut s4 = std::vec![0i16; 4 * split_len(n)];
            let refs: [&[i16]; 4] = core::array::from_fn(|k| xs[k].as_slice());
            split4(refs, &mut s4);
            // SAFETY: as above.
            let four = unsafe { dot4_split(&w, refs, &s4, bias) };
            let want: [i64; 4] = core::array::from_fn(|k| dot(&w, &xs[k], bias));
            assert_eq!(four, want, "n {n}, round {round}, four inputs");
            // SAFETY: as above.
            let four_past = unsafe { dot4_split(&past, refs, &s4, bias) };
            assert_eq!(
                four_past, want,
                "n {n}, round {round}, four inputs past the row"
            );
        }
    }
}

#[test]
fn a_split_puts_each_value_back_together() {
    use crate::simd::avx2::{split, PASS};
    let x: Vec<i16> = (0..2 * PASS as i32 + 3)
        .map(|i| (i * 2731 - 30000) as i16)
        .collect();
    let mut s = std::vec![0i16; 2 * 2 * PASS];
    split(&x, &mut s);
    for (p, o) in s.chunks_exact(2 * PASS).enumerate() {
        for i in 0..PASS {
            let (h, l) = (o[i], o[PASS + i]);
            assert!((0..=255).contains(&l) && (-128..=127).contains(&h));
            assert_eq!(
                256 * i32::from(h) + i32::from(l),
                i32::from(x[p * PASS + i])
            );
        }
    }
}

/// Random networks over batches of 1 to 11 inputs by the batch driver: the scalar
/// runner equals each input run alone through `DenseLayer::forward`, and the gated runner
/// with every layer sent to the vector kernels (blocks of four and the rest) equals both.
#[test]
fn batches_by_every_runner_give_the_per_input_bits() {
    use crate::activation::Activation;
    use crate::batch::{forward, forward_in, Scalar, Shape, BLOCK};
    use crate::fixed::Requant;
    use crate::forward::DenseLayer;
    use crate::gated::Gated;
    use crate::simd::gate::Gate;
    assert!(
        std::is_x86_feature_detected!("avx2"),
        "this host has no AVX2"
    );
    let mut rng = Rng::from_seed(0xba7c);
    for case in 0..400 {
        let depth = 1 + rng.below(4) as usize;
        let dims: Vec<usize> = (0..=depth).map(|_| 1 + rng.below(150) as usize).collect();
        let params: Vec<(Vec<i16>, Vec<i32>)> = dims
            .windows(2)
            .map(|d| {
                let w = (0..d[0] * d[1])
                    .map(|_| value(&mut rng).max(-32767))
                    .collect();
                let b = (0..d[1]).map(|_| rng.next_u32() as i32 >> 6).collect();
                (w, b)
            })
            .collect();
        let layer = |i: usize| {
            params.get(i).map(|(w, b)| DenseLayer {
                inputs: dims[i],
                outputs: dims[i + 1],
                activation: Activation::Tanh,
                requant: Requant::new(3, 16).unwrap(),
                weights: Weights::Wide(w),
                bias: b,
            })
        };
        let shape = Shape::of(dims.windows(2).map(|d| (d[0], d[1]))).unwrap();
        let n = 1 + rng.below(11) as usize;
        let x = vector(&mut rng, n * dims[0]);
        let mut want = Vec::new();
        for xi in x.chunks(dims[0]) {
            let mut v = xi.to_vec();
            for i in 0..depth {
                let mut y = std::vec![0i16; dims[i + 1]];
                layer(i).unwrap().forward(&v, &mut y).unwrap();
                v = y;
            }
            want.extend(v);
        }
        let mut scratch = std::vec![0i16; shape.scratch_len()];
        let mut got = std::vec![0x5a5ai16; want.len()];
        assert_eq!(
            forward(shape, layer, &x, &mut got, &mut scratch, &mut Scalar),
            Ok(n)
        );
        assert_eq!(got, want, "case {case}: scalar runner");
        // SAFETY: AVX2 checked above.
        let mut gated = unsafe { Gated::new(Gate::new(true, true, 1, None)) };
        got.fill(0x5a5a);
        assert_eq!(
            forward(shape, layer, &x, &mut got, &mut scratch, &mut gated),
            Ok(n)
        );
        assert_eq!(
            got, want,
            "case {case}: {n} inputs, dims {dims:?}: vector runner"
        );
        assert_eq!(
            (gated.simd_layers, gated.scalar_layers),
            ((n * depth) as u64, 0)
        );
        // Smaller blocks, each in exactly the scratch it asks for (one input: what an
        // atomic prediction has), give the same bits by both runners.
        for k in 1..BLOCK {
            let mut small = std::vec![0i16; shape.scratch_len_for(k)];
            for vector in [false, true] {
                got.fill(0x5a5a);
                let r = if vector {
                    // SAFETY: AVX2 checked above.
                    let mut g = unsafe { Gated::new(Gate::new(true, true, 1, None)) };
                    forward_in(shape, k, layer, &x, &mut got, &mut small, &mut g)
                } else {
                    forward_in(shape, k, layer, &x, &mut got, &mut small, &mut Scalar)
                };
                assert_eq!(r, Ok(n));
                assert_eq!(got, want, "case {case}: blocks of {k}, vector {vector}");
            }
        }
        let mut short = std::vec![0i16; shape.scratch_len_for(1) - 1];
        assert!(forward_in(shape, 1, layer, &x, &mut got, &mut short, &mut Scalar).is_err());
        assert!(forward_in(shape, 0, layer, &x, &mut got, &mut scratch, &mut Scalar).is_err());
        assert!(forward_in(
            shape,
            BLOCK + 1,
            layer,
            &x,
            &mut got,
            &mut scratch,
            &mut Scalar
        )
        .is_err());
    }
}

#[test]
fn the_batch_driver_refuses_what_does_not_fit() {
    use crate::activation::Activation;
    use crate::batch::{forward, Scalar, Shape};
    use crate::fixed::Requant;
    use crate::forward::{DenseLayer, ShapeError};
    let (w, b) = (std::vec![1i16; 6], std::vec![0i32; 3]);
    let layer = |i: usize| {
        (i == 0).then(|| DenseLayer {
            inputs: 2,
            outputs: 3,
            activation: Activation::Linear,
            requant: Requant::IDENTITY,
            weights: Weights::Wide(&w),
            bias: &b,
        })
    };
    let shape = Shape::of([(2, 3)].into_iter()).unwrap();
    let mut scratch = std::vec![0i16; shape.scratch_len()];
    let mut y = [9i16; 6];
    let run = |x: &[i16], y: &mut [i16], s: &mut [i16]| forward(shape, layer, x, y, s, &mut Scalar);
    assert_eq!(
        run(&[1, 2, 3], &mut y, &mut scratch),
        Err(ShapeError),
        "half an input"
    );
    assert_eq!(
        run(&[1, 2, 3, 4], &mut y[..5], &mut scratch),
        Err(ShapeError),
        "outputs short"
    );
    assert_eq!(
        run(&[1, 2, 3, 4], &mut y, &mut []),
        Err(ShapeError),
        "no scratch"
    );
    assert_eq!(y, [9; 6]);
    assert_eq!(run(&[1, 2, 3, 4], &mut y, &mut scratch), Ok(2));
    assert_eq!(y, [3, 3, 3, 7, 7, 7]);
    let two = Shape { layers: 2, ..shape };
    assert_eq!(
        forward(two, layer, &[1, 2], &mut y[..3], &mut scratch, &mut Scalar),
        Err(ShapeError),
        "a missing layer"
    );
}
