// SPDX-License-Identifier: GPL-2.0

//! Host tests of the AVX2 row kernel (`rust/simd/avx2.rs`) against the scalar reference
//! `fixed::dot`, bit for bit: every length up to a few passes, random and extreme
//! values, the one `vpmaddwd` overflow (all four values -32768) in every lane and
//! position, and rows of the widest layer. They need a CPU with AVX2 and fail without
//! one (the project's machines have it), rather than pass having checked nothing.

extern crate std;

use std::vec::Vec;

use crate::fixed::{dot, MAX_DIM};
use crate::rng::Rng;
use crate::simd::avx2::{dot_avx2, BLOCK};

fn avx2(w: &[i16], x: &[i16], bias: i32) -> i64 {
    assert!(
        std::is_x86_feature_detected!("avx2"),
        "this host has no AVX2: the vector kernel cannot be tested here"
    );
    // SAFETY: the CPU has AVX2 (checked above); user space needs no FPU section.
    unsafe { dot_avx2(w, x, bias) }
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
