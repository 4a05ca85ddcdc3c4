// SPDX-License-Identifier: GPL-2.0

//! The panel layout (`rust/pure/panel.rs`) and its kernels (`rust/simd/panel_w8.rs`):
//! the order is a permutation and its inverse, the scalar reference reads it as the
//! row-major one, and every kernel of this CPU gives the reference's bits through the
//! layer driver (`block_rows_w8`) on every row length the layout takes.

extern crate std;

use std::vec;
use std::vec::Vec;

use crate::fixed::Requant;
use crate::format::{Format, Weights};
use crate::gated::isas;
use crate::panel::{self, MAX_INPUTS, MIN_INPUTS, ROWS};
use crate::rng::Rng;
use crate::simd::avx2_w8::{block_rows_w8, prepare_block, prepared_len};
use crate::simd::vnni_b8::block_len;
use crate::tests_format::{block_inputs, layer_ref, spec};
use crate::tests_short::extreme_spec;

#[test]
fn the_panel_order_is_a_permutation_and_at_inverts_source() {
    for n in (MIN_INPUTS..=MAX_INPUTS)
        .step_by(7)
        .chain([17, 31, 32, 495, 496])
    {
        for outputs in [16, 17, 31, 32, 33, 47, 64] {
            let len = n * outputs;
            let mut seen = vec![false; len];
            for s in 0..len {
                let k = panel::source(n, outputs, s);
                assert!(k < len && !seen[k], "n {n} outputs {outputs} s {s} -> {k}");
                seen[k] = true;
                assert_eq!(
                    panel::at(n, outputs, k / n, k % n),
                    s,
                    "n {n} outputs {outputs}"
                );
            }
            // The rows after the panels are where they were.
            let tail = panel::panel_rows(outputs) * n;
            assert!((tail..len).all(|s| panel::source(n, outputs, s) == s));
        }
    }
    assert!(panel::fits(Format::F16x8, ROWS, MIN_INPUTS));
    assert!(panel::fits(Format::F8x8, 256, MAX_INPUTS));
    assert!(!panel::fits(Format::F16x16, 256, 31));
    assert!(!panel::fits(Format::F16x8, ROWS - 1, 31));
    assert!(!panel::fits(Format::F16x8, 256, MIN_INPUTS - 1));
    assert!(!panel::fits(Format::F8x8, 256, MAX_INPUTS + 1));
}

/// Every row length the layout takes, in both 8-bit formats, on every instruction set
/// of this CPU and by the scalar reference: blocks of one to four inputs, row pieces from
/// any first row (cutting panels, or after them), biases over all of `i32`, the
/// requantization's extreme steps, extreme weights and inputs; the outputs as the wide
/// reference's of the row-major layer.
#[test]
fn layers_in_panels_match_the_reference_through_the_driver() {
    let mut rng = Rng::from_seed(1616);
    for n in MIN_INPUTS..=MAX_INPUTS {
        for format in [Format::F16x8, Format::F8x8] {
            let outputs = ROWS + rng.below(if n % 5 == 0 { 60 } else { 24 }) as usize;
            let mut l = extreme_spec(&mut rng, n, outputs, format);
            let xs = block_inputs(&mut rng, &mut l);
            let k = xs.len();
            let want: Vec<Vec<i16>> = xs.iter().map(|x| layer_ref(&l, x)).collect();
            let xr: Vec<&[i16]> = xs.iter().map(Vec::as_slice).collect();
            let first = rng.below(outputs as u32) as usize;
            let rows = 1 + rng.below((outputs - first) as u32) as usize;
            let what = || {
                std::format!(
                    "{format:?} n {n} outputs {outputs} rows {first}+{rows} inputs {k} {:?} {:?}",
                    l.requant,
                    l.activation
                )
            };
            l.with_stored(|layer| {
                assert!(
                    matches!(layer.weights, Weights::Panels { .. }),
                    "{}",
                    what()
                );
                // The scalar reference, on the whole layer and on the piece.
                for (x, w) in xr.iter().zip(&want) {
                    let mut y = vec![0i16; outputs];
                    layer.forward(x, &mut y).unwrap();
                    assert_eq!(&y, w, "reference {}", what());
                    let mut y = vec![0i16; rows];
                    layer.reference_rows(x, first, &mut y).unwrap();
                    assert_eq!(y[..], w[first..first + rows], "reference piece {}", what());
                }
                for isa in isas() {
                    let mut prep = vec![0i16; (4 * prepared_len(n)).max(block_len(4, n))];
                    // SAFETY: the host tests need AVX2 (`isas` gives only what the CPU has).
                    unsafe { prepare_block(isa, layer, &xr, &mut prep) }.unwrap();
                    let mut ys = vec![vec![0x5555i16; rows]; k];
                    let mut yr: Vec<&mut [i16]> = ys.iter_mut().map(Vec::as_mut_slice).collect();
                    // SAFETY: as above.
                    unsafe { block_rows_w8(isa, layer, &xr, &prep, first, &mut yr) }.unwrap();
                    for (y, w) in ys.iter().zip(&want) {
                        assert_eq!(y[..], w[first..first + rows], "{isa:?} {}", what());
                    }
                }
            });
        }
    }
}

/// Shapes the driver must refuse, with nothing written: rows past the layer, inputs of
/// the wrong length, a prepared input too short.
#[test]
fn the_panel_driver_refuses_wrong_shapes() {
    let mut rng = Rng::from_seed(77);
    let l = spec(&mut rng, 31, 32, Format::F16x8);
    let x = vec![1i16; 31];
    l.with_stored(|layer| {
        for isa in isas() {
            let mut prep = vec![0i16; 4 * prepared_len(31)];
            // SAFETY: the host tests need AVX2.
            unsafe { prepare_block(isa, layer, &[&x], &mut prep) }.unwrap();
            let mut y = vec![7i16; 4];
            // SAFETY: as above.
            unsafe {
                assert!(block_rows_w8(isa, layer, &[&x], &prep, 30, &mut [&mut y]).is_err());
                assert!(block_rows_w8(isa, layer, &[&x[..30]], &prep, 0, &mut [&mut y]).is_err());
                assert!(block_rows_w8(isa, layer, &[&x], &prep[..10], 0, &mut [&mut y]).is_err());
            }
            assert_eq!(y, [7; 4]);
        }
    });
    // Weights in panels on a layer the layout does not take (fewer than 16 rows): refused,
    // not read as row-major.
    let w = vec![1i8; 8 * 31];
    let bias = vec![0i32; 8];
    let layer = crate::forward::DenseLayer {
        inputs: 31,
        outputs: 8,
        activation: crate::activation::Activation::Linear,
        requant: Requant::IDENTITY,
        weights: Weights::Panels {
            weights: &w,
            in_shift: None,
        },
        bias: &bias,
    };
    for isa in isas() {
        let mut prep = vec![0i16; 4 * prepared_len(31)];
        let mut y = vec![7i16; 8];
        // SAFETY: the host tests need AVX2.
        unsafe {
            prepare_block(isa, &layer, &[&x], &mut prep).unwrap();
            assert!(block_rows_w8(isa, &layer, &[&x], &prep, 0, &mut [&mut y]).is_err());
        }
        assert_eq!(y, [7; 8]);
    }
}

/// The four-input kernel (`Panels::rows4`, 512-bit registers) called directly, as the
/// driver calls it only for layers of more than `FOUR_PANELS_MIN` weight bytes: every
/// row length the layout takes, both formats, row pieces from any first row, the four
/// outputs as the wide reference's. Where the CPU lacks AVX512BW and AVX512_VNNI there is
/// nothing to run, and the case says so by the instruction sets it lists.
#[test]
fn the_four_input_panel_kernel_matches_the_reference() {
    use crate::simd::avx2_w8::Isa;
    use crate::simd::panel_w8::Panels;
    if !isas().contains(&Isa::Vnni512) {
        std::eprintln!("no 512-bit VNNI on this CPU: {:?}", isas());
        return;
    }
    let mut rng = Rng::from_seed(4444);
    for n in MIN_INPUTS..=MAX_INPUTS {
        for format in [Format::F16x8, Format::F8x8] {
            let outputs = ROWS + rng.below(60) as usize;
            let mut l = extreme_spec(&mut rng, n, outputs, format);
            let mut xs = block_inputs(&mut rng, &mut l);
            while xs.len() < 4 {
                xs.push(xs[0].iter().map(|v| v.wrapping_mul(3)).collect());
            }
            let want: Vec<Vec<i16>> = xs.iter().map(|x| layer_ref(&l, x)).collect();
            let xr: Vec<&[i16]> = xs.iter().map(Vec::as_slice).collect();
            let first = rng.below(outputs as u32) as usize;
            let rows = 1 + rng.below((outputs - first) as u32) as usize;
            l.with_stored(|layer| {
                let Weights::Panels { weights, .. } = layer.weights else {
                    panic!("not in panels");
                };
                let panels = Panels::of(layer).unwrap();
                let len = prepared_len(n);
                let mut prep = vec![0i16; 4 * len];
                // SAFETY: AVX-512 VNNI and BW (checked above).
                unsafe { prepare_block(Isa::Vnni512, layer, &xr, &mut prep) }.unwrap();
                let mut ys = vec![vec![0x5555i16; rows]; 4];
                let [a, b, c, d] = &mut ys[..] else {
                    unreachable!()
                };
                // SAFETY: as above.
                let done =
                    unsafe { panels.rows4(weights, &prep, len, layer.bias, first, [a, b, c, d]) };
                let in_panels = (first + rows)
                    .min(panel::panel_rows(outputs))
                    .saturating_sub(first);
                assert_eq!(
                    done, in_panels,
                    "n {n} outputs {outputs} rows {first}+{rows}"
                );
                for (y, w) in ys.iter().zip(&want) {
                    assert_eq!(
                        y[..done],
                        w[first..first + done],
                        "{format:?} n {n} outputs {outputs} rows {first}+{rows} {:?} {:?}",
                        l.requant,
                        l.activation
                    );
                }
            });
        }
    }
}
