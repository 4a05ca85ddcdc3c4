// SPDX-License-Identifier: GPL-2.0

//! Host tests of the vector requantization (`rust/simd/requant.rs`) against
//! `DenseLayer::finish`, bit for bit: every shift, the extreme multipliers, every
//! activation, accumulators at the rounding ties, at the saturation bounds, at the edge of
//! the direct range (`2^47`) and beyond it (the scalar fallback), and random ones. They
//! need a CPU with AVX2 and fail without one.

extern crate std;

use crate::activation::Activation;
use crate::fixed::{Requant, MAX_SHIFT};
use crate::format::Weights;
use crate::forward::DenseLayer;
use crate::rng::Rng;
use crate::simd::requant::Finish;

const ACTIVATIONS: [Activation; 4] = [
    Activation::Linear,
    Activation::Relu,
    Activation::Sigmoid,
    Activation::Tanh,
];

fn layer(requant: Requant, activation: Activation) -> DenseLayer<'static> {
    DenseLayer {
        inputs: 0,
        outputs: 0,
        activation,
        requant,
        weights: Weights::Wide(&[]),
        bias: &[],
    }
}

/// Checks four accumulators by both paths.
fn check(l: &DenseLayer<'_>, acc: [i64; 4]) {
    assert!(
        std::is_x86_feature_detected!("avx2"),
        "this host has no AVX2: the vector step cannot be tested here"
    );
    // SAFETY: the CPU has AVX2 (checked above); user space needs no FPU section.
    let got = unsafe { Finish::of(l).finish4(l, acc) };
    let want = acc.map(|a| l.finish(a));
    assert_eq!(
        got,
        want,
        "acc {acc:?}, mult {}, shift {}, {:?}",
        l.requant.mult(),
        l.requant.shift(),
        l.activation
    );
}

/// Accumulators where `requant` rounds or saturates: each output boundary's tie and
/// its neighbours, the i16 bounds' preimages, the direct range's edges, the extremes.
fn edges(requant: Requant) -> std::vec::Vec<i64> {
    let (m, s) = (i64::from(requant.mult()), u32::from(requant.shift()));
    let mut v = std::vec![0, 1, -1, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1];
    for e in [
        (1i64 << 47) - 1,
        1 << 47,
        (1 << 47) + 1,
        (1 << 48) - 1,
        1 << 43,
        (1 << 43) - 1,
    ] {
        v.extend([e, -e]);
    }
    // acc * m + half = k * 2^s: the ties for outputs near 0 and near the bounds.
    for k in [
        -32770i64, -32769, -32768, -32767, -2, -1, 0, 1, 2, 32766, 32767, 32768,
    ] {
        let target = (k << s) - ((1i64 << s) >> 1);
        let a = target.div_euclid(m);
        v.extend([a - 1, a, a + 1]);
    }
    v.retain(|a| a.unsigned_abs() < 1 << 62 || *a == i64::MAX || *a == i64::MIN);
    v
}

#[test]
fn every_shift_extreme_multipliers_every_activation_and_the_edges() {
    let mut rng = Rng::from_seed(0x4e9a_11a7);
    for shift in 0..=MAX_SHIFT {
        for mult in [1, 2, 3, 255, 32767, 32768, 65534, 65535] {
            let r = Requant::new(mult, shift).expect("in range");
            let e = edges(r);
            for act in ACTIVATIONS {
                let l = layer(r, act);
                for chunk in e.chunks(4) {
                    let mut acc = [0i64; 4];
                    acc[..chunk.len()].copy_from_slice(chunk);
                    check(&l, acc);
                }
                // Each edge in every lane, beside random neighbours.
                for &a in &e {
                    for lane in 0..4 {
                        let mut acc = [0i64; 4];
                        for x in acc.iter_mut() {
                            *x = i64::from(rng.next_u32() as i32) << rng.below(16);
                        }
                        acc[lane] = a;
                        check(&l, acc);
                    }
                }
            }
        }
    }
}

#[test]
fn random_steps_and_accumulators() {
    let mut rng = Rng::from_seed(0x4e9a_11a8);
    for _ in 0..200_000 {
        let mult = 1 + rng.below(65535);
        let shift = rng.below(u32::from(MAX_SHIFT) + 1) as u8;
        let r = Requant::new(mult, shift).expect("in range");
        let act = ACTIVATIONS[rng.below(4) as usize];
        // Magnitudes over the whole direct range and past it.
        let acc = [0; 4].map(|_: i64| {
            let raw = (u64::from(rng.next_u32()) << 32 | u64::from(rng.next_u32())) as i64;
            raw >> rng.below(64)
        });
        check(&layer(r, act), acc);
    }
}

/// `layer.finish` of each sum and bias, as the self-check computes it.
fn scalar(l: &DenseLayer<'_>, sums: &[i64; 4], bias: &[i32; 4]) -> [i16; 4] {
    [0, 1, 2, 3].map(|k| l.finish(sums[k].wrapping_add(i64::from(bias[k]))))
}

#[test]
fn the_self_checks_cases_pass_and_catch_a_wrong_step() {
    assert!(std::is_x86_feature_detected!("avx2"));
    // SAFETY: the CPU has AVX2 (checked above); user space needs no FPU section.
    let vector = |l: &DenseLayer<'_>, sums: &[i64; 4], bias: &[i32; 4]| unsafe {
        Finish::of(l).finish4_biased(l, sums, bias)
    };
    assert_eq!(
        crate::simd::requant::check_cases(
            |l, sums, bias| vector(l, sums, bias) == scalar(l, sums, bias)
        ),
        None
    );
    // A step that rounds down rather than half up at every tie is caught.
    let caught = crate::simd::requant::check_cases(|l, sums, bias| {
        let r = l.requant;
        let wrong = [0, 1, 2, 3].map(|k| {
            let a = sums[k].wrapping_add(i64::from(bias[k]));
            l.activation.apply(crate::fixed::saturate_i16(
                a.saturating_mul(i64::from(r.mult())) >> r.shift(),
            ))
        });
        wrong == scalar(l, sums, bias)
    });
    assert!(caught.is_some());
    // So is a bias added as unsigned, and a range test of the first two lanes only.
    let caught = crate::simd::requant::check_cases(|l, sums, bias| {
        let unsigned = bias.map(|b| b as u32 as i64);
        let wrong = [0, 1, 2, 3].map(|k| l.finish(sums[k].wrapping_add(unsigned[k])));
        wrong == scalar(l, sums, bias)
    });
    assert!(caught.is_some());
    let caught = crate::simd::requant::check_cases(|l, sums, bias| {
        let acc = [0, 1, 2, 3].map(|k| sums[k].wrapping_add(i64::from(bias[k])));
        let direct = |a: i64| (a.wrapping_add(1 << 47) as u64) >> 48 == 0;
        if !(direct(acc[0]) && direct(acc[1])) {
            return true;
        }
        // The lanes past the range computed as if in it (wrapping), as a range test of
        // lanes 0 and 1 alone would.
        let r = l.requant;
        let half = (1i64 << r.shift()) >> 1;
        let wrong = acc.map(|a| {
            l.activation.apply(crate::fixed::saturate_i16(
                a.wrapping_mul(i64::from(r.mult())).wrapping_add(half) >> r.shift(),
            ))
        });
        wrong == scalar(l, sums, bias)
    });
    assert!(caught.is_some());
}

#[test]
fn biased_sums_give_the_finish_of_sum_and_bias() {
    assert!(std::is_x86_feature_detected!("avx2"));
    let mut rng = Rng::from_seed(0x4e9a_11a9);
    for _ in 0..100_000 {
        let r = Requant::new(1 + rng.below(65535), rng.below(48) as u8).expect("in range");
        let l = layer(r, ACTIVATIONS[rng.below(4) as usize]);
        let sums = [0; 4].map(|_: i64| i64::from(rng.next_u32() as i32) << rng.below(16));
        let bias = [0; 4].map(|_: i32| rng.next_u32() as i32);
        // SAFETY: the CPU has AVX2 (checked above); user space needs no FPU section.
        let got = unsafe { Finish::of(&l).finish4_biased(&l, &sums, &bias) };
        let want = [0, 1, 2, 3].map(|k| l.finish(sums[k] + i64::from(bias[k])));
        assert_eq!(got, want, "sums {sums:?}, bias {bias:?}");
    }
}
