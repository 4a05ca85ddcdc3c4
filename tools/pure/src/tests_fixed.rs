// SPDX-License-Identifier: GPL-2.0

//! Host tests of the number format (`rust/pure/fixed.rs`) and the activations
//! (`rust/pure/activation.rs`).

extern crate std;

use crate::activation::{sigmoid_q15, tanh_q15, Activation, SIGMOID, TANH};
use crate::fixed::{dot, round_half_up, saturate_i16, Requant, MAX_DIM, WEIGHT_MAX};

#[test]
fn saturation_at_the_extremes() {
    assert_eq!(saturate_i16(32767), 32767);
    assert_eq!(saturate_i16(32768), 32767);
    assert_eq!(saturate_i16(i64::MAX), 32767);
    assert_eq!(saturate_i16(-32768), -32768);
    assert_eq!(saturate_i16(-32769), -32768);
    assert_eq!(saturate_i16(i64::MIN), -32768);
}

#[test]
fn requant_rounds_half_up() {
    let half = Requant::new(1, 1).unwrap();
    assert_eq!(half.apply(5), 3); // 2.5 -> 3
    assert_eq!(half.apply(-5), -2); // -2.5 -> -2
    assert_eq!(half.apply(3), 2); // 1.5 -> 2
    assert_eq!(half.apply(-3), -1); // -1.5 -> -1
    assert_eq!(half.apply(-4), -2);
    let quarter = Requant::new(1, 2).unwrap();
    assert_eq!(quarter.apply(5), 1); // 1.25 -> 1
    assert_eq!(quarter.apply(7), 2); // 1.75 -> 2
    assert_eq!(quarter.apply(-7), -2); // -1.75 -> -2
    assert_eq!(Requant::IDENTITY.apply(-123), -123);
}

#[test]
fn requant_saturates_instead_of_wrapping() {
    // The largest accumulator a 4096-input layer can produce, both signs.
    let max_acc = (MAX_DIM as i64) * 32767 * 32768 + i64::from(i32::MAX);
    let r = Requant::new(65535, 0).unwrap();
    assert_eq!(r.apply(max_acc), i16::MAX);
    assert_eq!(r.apply(-max_acc), i16::MIN);
    // With the largest shift it scales down without overflow (about 2^42 * 2^16 / 2^47).
    let r = Requant::new(65535, 47).unwrap();
    for acc in [max_acc, -max_acc, max_acc / 3, -max_acc / 7] {
        assert_eq!(i64::from(r.apply(acc)), reference_requant(acc, 65535, 47));
    }
}

/// Requantization computed in i128 with floor((x + half) / 2^shift), then saturated.
fn reference_requant(acc: i64, mult: u32, shift: u8) -> i64 {
    let p = i128::from(acc) * i128::from(mult);
    let r = if shift == 0 {
        p
    } else {
        (p + (1i128 << (shift - 1))).div_euclid(1i128 << shift)
    };
    r.clamp(-32768, 32767) as i64
}

#[test]
fn requant_matches_wide_reference_on_random_values() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let max_acc = (MAX_DIM as i64) * 32767 * 32768;
    for _ in 0..200_000 {
        let acc = (next() as i64) % max_acc;
        let mult = (next() % 65535 + 1) as u32;
        let shift = (next() % 48) as u8;
        let r = Requant::new(mult, shift).unwrap();
        assert_eq!(
            i64::from(r.apply(acc)),
            reference_requant(acc, mult, shift),
            "{acc} {mult} {shift}"
        );
    }
}

#[test]
fn requant_parameters_are_range_checked() {
    assert!(Requant::new(0, 0).is_none());
    assert!(Requant::new(65536, 0).is_none());
    assert!(Requant::new(1, 48).is_none());
    assert!(Requant::new(65535, 47).is_some());
}

#[test]
fn requant_from_real_is_close() {
    for &m in &[1.0, 0.5, 3.0e-3, 1.234_567e-5, 2.0, 37.5, 1.0e-9] {
        let r = Requant::from_real(m).unwrap();
        let back = f64::from(r.mult()) / f64::powi(2.0, i32::from(r.shift()));
        assert!(((back - m) / m).abs() < 2.0e-5, "{m}: {back}");
    }
    assert!(Requant::from_real(0.0).is_none());
    assert!(Requant::from_real(-1.0).is_none());
    assert!(Requant::from_real(1.0e6).is_none());
}

#[test]
fn round_half_up_matches_its_definition() {
    assert_eq!(round_half_up(2.5), 3.0);
    assert_eq!(round_half_up(-2.5), -2.0);
    assert_eq!(round_half_up(-2.6), -3.0);
    assert_eq!(round_half_up(0.49), 0.0);
}

#[test]
fn dot_is_exact_at_the_extremes() {
    let w = std::vec![WEIGHT_MAX; MAX_DIM];
    let x = std::vec![i16::MIN; MAX_DIM];
    assert_eq!(
        dot(&w, &x, i32::MIN),
        -(MAX_DIM as i64) * 32767 * 32768 + i64::from(i32::MIN)
    );
    let x = std::vec![i16::MAX; MAX_DIM];
    assert_eq!(
        dot(&w, &x, i32::MAX),
        (MAX_DIM as i64) * 32767 * 32767 + i64::from(i32::MAX)
    );
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn activation_tables_match_f64() {
    for k in 0..=256 {
        let x = f64::from(k) / 32.0;
        let s = round_half_up(32768.0 * sigmoid(x)).min(32767.0) as i16;
        let t = round_half_up(32768.0 * x.tanh()).min(32767.0) as i16;
        assert_eq!(SIGMOID[k as usize], s, "sigmoid table at {k}");
        assert_eq!(TANH[k as usize], t, "tanh table at {k}");
    }
}

/// The largest error over all 65536 inputs, in units of 2^-15.
fn max_error(f: fn(i16) -> i16, reference: fn(f64) -> f64) -> f64 {
    let mut worst: f64 = 0.0;
    for q in i16::MIN..=i16::MAX {
        let x = f64::from(q) / 4096.0;
        let got = f64::from(f(q)) / 32768.0;
        worst = worst.max((got - reference(x)).abs());
    }
    worst * 32768.0
}

#[test]
fn sigmoid_error_bound() {
    let e = max_error(sigmoid_q15, sigmoid);
    std::println!(
        "sigmoid max error: {e:.3} LSB of Q0.15 ({:.2e})",
        e / 32768.0
    );
    assert!(e <= 1.5, "{e}");
}

#[test]
fn tanh_error_bound() {
    let e = max_error(tanh_q15, f64::tanh);
    std::println!("tanh max error: {e:.3} LSB of Q0.15 ({:.2e})", e / 32768.0);
    assert!(e <= 4.0, "{e}");
}

#[test]
fn squashers_are_monotonic_and_symmetric() {
    let mut prev_s = i16::MIN;
    let mut prev_t = i16::MIN;
    for q in i16::MIN..=i16::MAX {
        let (s, t) = (sigmoid_q15(q), tanh_q15(q));
        assert!(s >= prev_s && t >= prev_t, "not monotonic at {q}");
        prev_s = s;
        prev_t = t;
        if q > i16::MIN {
            assert_eq!(i32::from(s) + i32::from(sigmoid_q15(-q)), 32768, "at {q}");
            assert_eq!(t, -tanh_q15(-q));
        }
    }
    assert_eq!(sigmoid_q15(0), 16384);
    assert_eq!(tanh_q15(0), 0);
    assert_eq!(sigmoid_q15(i16::MAX), 32757);
    assert!(sigmoid_q15(i16::MIN) <= 11);
}

#[test]
fn relu_and_linear() {
    assert_eq!(Activation::Relu.apply(-5), 0);
    assert_eq!(Activation::Relu.apply(7), 7);
    assert_eq!(Activation::Linear.apply(-5), -5);
    for code in 0..4 {
        assert_eq!(Activation::from_code(code).unwrap() as u8, code);
    }
    assert!(Activation::from_code(4).is_none());
}

/// The direct path of `Requant::apply` gives the saturating path's bits for every
/// accumulator: random ones of every magnitude, and the edges of the direct path.
#[test]
fn requant_direct_and_saturating_agree() {
    use crate::fixed::{Requant, MAX_SHIFT};
    use crate::rng::Rng;
    let mut rng = Rng::from_seed(0x4e9);
    let edge = 1i64 << 47;
    for _ in 0..200_000 {
        let r = Requant::new(
            1 + rng.below(65535),
            rng.below(u32::from(MAX_SHIFT) + 1) as u8,
        )
        .expect("in range");
        let bits = rng.below(64);
        let raw = (u64::from(rng.next_u32()) << 32 | u64::from(rng.next_u32())) as i64;
        let acc = if bits == 63 { raw } else { raw >> (63 - bits) };
        for a in [
            acc,
            edge - 1,
            edge,
            -edge + 1,
            -edge,
            i64::MIN,
            i64::MAX,
            0,
            -1,
        ] {
            assert_eq!(r.apply(a), r.apply_saturating(a), "{r:?} {a}");
        }
    }
}
