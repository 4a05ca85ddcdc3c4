// SPDX-License-Identifier: GPL-2.0

//! The short-row kernel (`rust/simd/short_w8.rs`) against the references: through the
//! layer driver (`block_rows_w8`) on every row length it takes and past it, and alone
//! on the requantization's ties and extremes, whose exactness in double precision is
//! its argument.

extern crate std;

use std::vec;
use std::vec::Vec;

use crate::activation::Activation;
use crate::fixed::Requant;
use crate::format::{dot_16x8, Format};
use crate::forward::DenseLayer;
use crate::gated::isas;
use crate::rng::Rng;
use crate::simd::avx2_w8::{block_rows_w8, prepare_block, prepared_len, PASS};
use crate::simd::requant::CHECKED_STEPS;
use crate::simd::short_w8::{f64_bits, Short, MAX_PASSES};
use crate::simd::vnni_b8::block_len;
use crate::tests_format::{block_inputs, layer_ref, spec, w8, x16};
use crate::writer::LayerSpec;

/// Requantization steps at the ends of their ranges, and ordinary ones: the vector
/// requantization's checked steps, and one of a shift of 16.
fn steps() -> Vec<(u32, u8)> {
    CHECKED_STEPS.iter().copied().chain([(65535, 16)]).collect()
}

/// [`spec`] with a requantization step from [`steps`] (or, one time in `steps().len() +
/// 1`, a random one) and biases over all of `i32`: the ends the vector requantizations
/// must meet.
pub(crate) fn extreme_spec(rng: &mut Rng, n: usize, outputs: usize, format: Format) -> LayerSpec {
    let mut l = spec(rng, n, outputs, format);
    let steps = steps();
    let pick = rng.below(steps.len() as u32 + 1) as usize;
    let (mult, shift) = match steps.get(pick) {
        Some(&step) => step,
        None => (1 + rng.below(65535), rng.below(48) as u8),
    };
    l.requant = Requant::new(mult, shift).unwrap();
    for b in l.bias.iter_mut() {
        *b = rng.next_u32() as i32;
    }
    l
}

#[test]
fn f64_bits_are_the_values() {
    for (m, e) in [
        (1, 0),
        (-1, 0),
        (3, -2),
        (65535, -47),
        (-32768, 0),
        (32767, 0),
        (1, -1),
        ((1 << 53) - 1, -60),
    ] {
        let want = m as f64 * 2f64.powi(e);
        assert_eq!(f64::from_bits(f64_bits(m, e)), want, "{m} * 2^{e}");
    }
    assert_eq!(f64_bits(0, 5), 0);
}

/// Every row length from 1 to the kernel's longest and a few past it, in both 8-bit
/// formats, on every instruction set of this CPU: blocks of one to four inputs, row
/// pieces from any first row, biases over all of `i32`, the requantization's extreme
/// steps, extreme weights and inputs; the outputs as the wide reference's.
#[test]
fn the_short_row_kernel_matches_the_reference_through_the_driver() {
    let mut rng = Rng::from_seed(31);
    let longest = MAX_PASSES * PASS;
    for n in (1..=longest + 20).chain([511, 512]) {
        for isa in isas() {
            for format in [Format::F16x8, Format::F8x8] {
                let outputs = 1 + rng.below(40) as usize;
                let mut l = extreme_spec(&mut rng, n, outputs, format);
                let xs = block_inputs(&mut rng, &mut l);
                let k = xs.len();
                let want: Vec<Vec<i16>> = xs.iter().map(|x| layer_ref(&l, x)).collect();
                let xr: Vec<&[i16]> = xs.iter().map(Vec::as_slice).collect();
                let first = rng.below(outputs as u32) as usize;
                let mut ys = vec![vec![0i16; outputs - first]; k];
                l.with_dense(|layer| {
                    let mut prep = vec![0i16; (4 * prepared_len(n)).max(block_len(4, n))];
                    // SAFETY: the host tests need AVX2 (`isas` gives only what the CPU has).
                    unsafe { prepare_block(isa, layer, &xr, &mut prep) }.unwrap();
                    let mut yr: Vec<&mut [i16]> = ys.iter_mut().map(Vec::as_mut_slice).collect();
                    // SAFETY: the host tests need AVX2 (`isas` gives only what the CPU has).
                    unsafe { block_rows_w8(isa, layer, &xr, &prep, first, &mut yr) }.unwrap();
                });
                for (y, w) in ys.iter().zip(&want) {
                    assert_eq!(
                        y[..],
                        w[first..],
                        "{isa:?} {format:?} n {n} outputs {outputs} from {first} inputs {k} \
                         {:?} {:?}",
                        l.requant,
                        l.activation
                    );
                }
            }
        }
    }
}

/// The kernel alone, on accumulators at the requantization's ties (the sums whose
/// `acc * mult + half` is a multiple of `2^shift`, and their neighbours) around the
/// outputs 0, -1, 1 and the `i16` bounds, and at the ends of the range a row's sum and
/// bias can reach, for every step of [`steps`] and every activation, on pieces of 8 to
/// 55 rows (whole groups, and a last group moved back) with no weights after them.
#[test]
fn the_short_row_kernel_requantizes_exactly_at_the_ties() {
    let mut rng = Rng::from_seed(47);
    let outputs_at = [-32769i64, -32768, -32767, -1, 0, 1, 32766, 32767, 32768];
    for isa in isas() {
        for (mult, shift) in steps() {
            let requant = Requant::new(mult, shift).unwrap();
            for activation in [
                Activation::Relu,
                Activation::Linear,
                Activation::Sigmoid,
                Activation::Tanh,
            ] {
                let n = 16 + rng.below(49) as usize;
                let rows = 8 * (1 + rng.below(6) as usize) + rng.below(8) as usize;
                let weights: Vec<i8> = (0..rows * n).map(|_| w8(&mut rng)).collect();
                let x: Vec<i16> = (0..n).map(|_| x16(&mut rng)).collect();
                let mut xp = vec![0i16; prepared_len(n)];
                crate::simd::avx2_w8::prepare(&x, None, &mut xp, PASS);
                let sums: Vec<i64> = (0..rows)
                    .map(|r| dot_16x8(&weights[r * n..(r + 1) * n], &x, 0))
                    .collect();
                // Targets: ties and their neighbours, then the extremes of sum + bias.
                let (m, half) = (i64::from(mult), (1i64 << shift) >> 1);
                let tie = |k: i64| ((k << shift) - half).div_euclid(m);
                let mut targets: Vec<i64> = outputs_at
                    .iter()
                    .flat_map(|&k| {
                        let a = tie(k);
                        [a - 1, a, a + 1]
                    })
                    .collect();
                let bias: Vec<i32> = (0..rows)
                    .map(|r| {
                        let t = targets
                            .get(r)
                            .copied()
                            .unwrap_or_else(|| match rng.below(3) {
                                0 => i64::from(i32::MAX) + sums[r],
                                1 => i64::from(i32::MIN) + sums[r],
                                _ => i64::from(rng.next_u32() as i32),
                            });
                        // A target the bias cannot reach: the nearest it can.
                        (t - sums[r]).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
                    })
                    .collect();
                targets.clear();
                let layer = DenseLayer {
                    inputs: n,
                    outputs: rows,
                    activation,
                    requant,
                    weights: crate::format::Weights::Narrow(&weights),
                    bias: &bias,
                };
                let mut short = Short::of(&layer, PASS).unwrap();
                let mut out = vec![7i16; rows];
                // SAFETY: as above.
                let done = unsafe { short.rows(isa, &weights, n, &xp, &bias, &mut out) };
                assert_eq!(done, rows, "{isa:?} n {n} rows {rows}");
                for r in 0..rows {
                    let want = layer.finish(sums[r] + i64::from(bias[r]));
                    assert_eq!(
                        out[r],
                        want,
                        "{isa:?} {mult}/{shift} {activation:?} n {n} row {r}: acc {}",
                        sums[r] + i64::from(bias[r])
                    );
                }
            }
        }
    }
}

/// Rows longer than the kernel's, or an input of the wrong length, are not its:
/// nothing is done, nothing written.
#[test]
fn the_short_row_kernel_refuses_what_is_not_its() {
    let weights = vec![1i8; 16 * 600];
    let bias = vec![0i32; 16];
    let layer = |n| DenseLayer {
        inputs: n,
        outputs: 16,
        activation: Activation::Linear,
        requant: Requant::IDENTITY,
        weights: crate::format::Weights::Narrow(&weights),
        bias: &bias,
    };
    assert!(Short::of(&layer(MAX_PASSES * PASS + 1), PASS).is_none());
    assert!(Short::of(&layer(0), PASS).is_none());
    assert!(Short::of(&layer(PASS - 1), PASS).is_none());
    let mut short = Short::of(&layer(40), PASS).unwrap();
    let xp = vec![1i16; prepared_len(40)];
    let mut out = vec![7i16; 16];
    // SAFETY: as above; the kernel does not run.
    unsafe {
        // Another row length than the constants', a short input.
        assert_eq!(short.rows(isas()[0], &weights, 60, &xp, &bias, &mut out), 0);
        assert_eq!(
            short.rows(isas()[0], &weights, 40, &xp[..40], &bias, &mut out),
            0
        );
        assert_eq!(
            short.rows(isas()[0], &weights[..100], 40, &xp, &bias, &mut out),
            0
        );
        // Fewer than eight rows.
        assert_eq!(
            short.rows(isas()[0], &weights, 40, &xp, &bias, &mut out[..7]),
            0
        );
    }
    assert_eq!(out, [7; 16]);
}

/// `prepare` of one 16x8 input (the copy) is the pass loop's: every value, zeros to
/// the end of the last pass, and an `out` too short for every pass gets the whole passes
/// that fit and nothing more.
#[test]
fn one_input_is_prepared_as_by_passes() {
    use crate::simd::avx2_w8::prepare;
    for n in 1..=70 {
        let x: Vec<i16> = (0..n).map(|i| 1000 + i as i16).collect();
        for out_len in [
            prepared_len(n),
            prepared_len(n) + 5,
            PASS - 1,
            PASS,
            PASS + 7,
        ] {
            let mut out = vec![-1i16; out_len];
            prepare(&x, None, &mut out, PASS);
            let fit = out_len / PASS * PASS;
            for (i, &o) in out.iter().enumerate() {
                let want = match i {
                    i if i >= fit.min(prepared_len(n)) => -1,
                    i if i < n => x[i],
                    _ => 0,
                };
                assert_eq!(o, want, "n {n}, out {out_len}, value {i}");
            }
        }
    }
}

/// `narrow_passes` is `format::narrow` on every 16-bit value at every shift (and one
/// past `MAX_IN_SHIFT`), whole passes only, `step` apart, nothing written between them.
#[test]
fn narrow_passes_is_narrow_on_every_value() {
    use crate::format::{narrow, MAX_IN_SHIFT};
    use crate::simd::avx2_w8::narrow_passes;
    let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    for shift in 0..=MAX_IN_SHIFT + 1 {
        let passes = all.len() / PASS;
        let mut out = vec![7i16; passes * 2 * PASS];
        // SAFETY: the host tests need AVX2; the lengths fit (`narrow_passes` checks).
        unsafe { narrow_passes(&all, shift, &mut out, 2 * PASS, passes) };
        for (i, &x) in all.iter().enumerate() {
            let at = i / PASS * 2 * PASS + i % PASS;
            assert_eq!(out[at], i16::from(narrow(x, shift)), "x {x} shift {shift}");
            assert_eq!(out[at + PASS], 7, "between passes, x {x} shift {shift}");
        }
    }
    // Too short an input or output: nothing written.
    let mut out = vec![7i16; 2 * PASS];
    // SAFETY: as above.
    unsafe { narrow_passes(&all[..PASS + 1], 3, &mut out, PASS, 2) };
    // SAFETY: as above.
    unsafe { narrow_passes(&all[..2 * PASS], 3, &mut out[..2 * PASS - 1], PASS, 2) };
    assert!(out.iter().all(|&v| v == 7));
}
