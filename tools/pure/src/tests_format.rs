// SPDX-License-Identifier: GPL-2.0

//! The layer formats (`rust/pure/format.rs`): narrowing, the exact products of `16x8`
//! and `8x8` against wide references written here, layers of every format, the model
//! format's version 2, and the batch driver's paths on networks that mix formats.

extern crate std;

use std::vec;
use std::vec::Vec;

use crate::activation::Activation;
use crate::batch::{self, Scalar, Shape};
use crate::fixed::{Requant, MAX_DIM};
use crate::format::{dot_16x8, dot_8x8, dot_8x8_wide, narrow, Format, Weights, MAX_IN_SHIFT};
use crate::forward::DenseLayer;
use crate::gated::Gated;
use crate::model::{Model, VERSION, VERSION_1};
use crate::owned::OwnedWeights;
use crate::rng::Rng;
use crate::simd::gate::Gate;
use crate::writer::{write_model, LayerSpec};

/// `narrow` as the documentation states it, by exact division: round half up of `x /
/// 2^s`, then saturation.
fn narrow_ref(x: i16, s: u8) -> i8 {
    let d = 1i64 << s;
    // floor((x + d / 2) / d) for s > 0; x for s = 0.
    let v = if s == 0 {
        i64::from(x)
    } else {
        (i64::from(x) * 2 + d).div_euclid(2 * d)
    };
    v.clamp(-128, 127) as i8
}

#[test]
fn narrow_rounds_half_up_and_saturates_for_every_input_and_shift() {
    for s in 0..=MAX_IN_SHIFT {
        for x in i16::MIN..=i16::MAX {
            assert_eq!(narrow(x, s), narrow_ref(x, s), "x {x} shift {s}");
        }
    }
    // Ties: 2.5 -> 3, -2.5 -> -2 (shift 1: 5 / 2, -5 / 2).
    assert_eq!(narrow(5, 1), 3);
    assert_eq!(narrow(-5, 1), -2);
    assert_eq!(narrow(i16::MAX, 0), 127);
    assert_eq!(narrow(i16::MIN, 0), -128);
    assert_eq!(narrow(i16::MIN, 15), -1);
    assert_eq!(narrow(i16::MAX, 15), 1);
    // A shift above the range is the largest.
    assert_eq!(narrow(12345, 200), narrow(12345, MAX_IN_SHIFT));
}

/// A random 8-bit weight (-127..=127), extremes often.
pub(crate) fn w8(rng: &mut Rng) -> i8 {
    match rng.below(8) {
        0 => 127,
        1 => -127,
        _ => (rng.below(255) as i32 - 127) as i8,
    }
}

/// A random i16, extremes often.
pub(crate) fn x16(rng: &mut Rng) -> i16 {
    match rng.below(8) {
        0 => i16::MAX,
        1 => i16::MIN,
        _ => rng.next_u32() as i16,
    }
}

#[test]
fn the_8bit_products_are_exact() {
    let mut rng = Rng::from_seed(8);
    for _ in 0..2000 {
        let n = 1 + rng.below(300) as usize;
        let w: Vec<i8> = (0..n).map(|_| w8(&mut rng)).collect();
        let x: Vec<i16> = (0..n).map(|_| x16(&mut rng)).collect();
        let bias = rng.next_u32() as i32;
        let shift = rng.below(16) as u8;
        let wide: i128 = w
            .iter()
            .zip(&x)
            .map(|(a, b)| i128::from(*a) * i128::from(*b))
            .sum::<i128>()
            + i128::from(bias);
        assert_eq!(i128::from(dot_16x8(&w, &x, bias)), wide);
        let x8: Vec<i8> = x.iter().map(|&v| narrow_ref(v, shift)).collect();
        let wide8: i128 = w
            .iter()
            .zip(&x8)
            .map(|(a, b)| i128::from(*a) * i128::from(*b))
            .sum::<i128>()
            + i128::from(bias);
        assert_eq!(i128::from(dot_8x8(&w, &x8, bias)), wide8);
        assert_eq!(i128::from(dot_8x8_wide(&w, &x, shift, bias)), wide8);
    }
    // The extremes of the bounds: 4096 products of -127 x -32768, and of 8x8's -128.
    let w = vec![-127i8; MAX_DIM];
    let x = vec![i16::MIN; MAX_DIM];
    assert_eq!(
        dot_16x8(&w, &x, i32::MAX),
        4096 * 127 * 32768 + i64::from(i32::MAX)
    );
    assert_eq!(
        dot_8x8_wide(&w, &x, 0, i32::MIN),
        4096 * 127 * 128 + i64::from(i32::MIN)
    );
}

/// One layer of `format` with random weights, requantization and activation.
pub(crate) fn spec(rng: &mut Rng, inputs: usize, outputs: usize, format: Format) -> LayerSpec {
    let activation = Activation::from_code(rng.below(4) as u8).unwrap();
    LayerSpec {
        inputs,
        outputs,
        activation,
        out_frac: activation.output_frac().unwrap_or(rng.below(16) as u8),
        requant: Requant::new(1 + rng.below(65535), rng.below(40) as u8).unwrap(),
        format,
        in_shift: match format {
            Format::F8x8 => rng.below(16) as u8,
            _ => 0,
        },
        weights: (0..inputs * outputs)
            .map(|_| match format {
                Format::F16x16 => x16(rng).max(-32767),
                _ => i16::from(w8(rng)),
            })
            .collect(),
        bias: (0..outputs).map(|_| rng.next_u32() as i32 >> 4).collect(),
    }
}

/// One to four random inputs for the 8-bit layer `l`; a quarter of the time the
/// extremes (every weight of `l` made -127 or 127, every input -32768 or 32767).
pub(crate) fn block_inputs(rng: &mut Rng, l: &mut LayerSpec) -> Vec<Vec<i16>> {
    let extreme = rng.below(4) == 0;
    if extreme {
        for w in l.weights.iter_mut() {
            *w = if rng.below(2) == 0 { -127 } else { 127 };
        }
    }
    let k = 1 + rng.below(4) as usize;
    (0..k)
        .map(|_| {
            (0..l.inputs)
                .map(|_| match (extreme, rng.below(2)) {
                    (true, 0) => i16::MIN,
                    (true, _) => i16::MAX,
                    _ => x16(rng),
                })
                .collect()
        })
        .collect()
}

/// A layer's outputs by a reference written here: the inputs narrowed (8x8), the sums in
/// i128, `Requant::apply_saturating`, the activation.
pub(crate) fn layer_ref(l: &LayerSpec, x: &[i16]) -> Vec<i16> {
    let x: Vec<i128> = x
        .iter()
        .map(|&v| match l.format {
            Format::F8x8 => i128::from(narrow_ref(v, l.in_shift)),
            _ => i128::from(v),
        })
        .collect();
    (0..l.outputs)
        .map(|o| {
            let row = &l.weights[o * l.inputs..(o + 1) * l.inputs];
            let acc: i128 = row
                .iter()
                .zip(&x)
                .map(|(w, v)| i128::from(*w) * v)
                .sum::<i128>()
                + i128::from(l.bias[o]);
            l.activation
                .apply(l.requant.apply_saturating(i64::try_from(acc).unwrap()))
        })
        .collect()
}

#[test]
fn layers_of_every_format_match_the_wide_reference() {
    let mut rng = Rng::from_seed(16);
    for format in Format::ALL {
        for _ in 0..300 {
            let (i, o) = (1 + rng.below(80) as usize, 1 + rng.below(20) as usize);
            let l = spec(&mut rng, i, o, format);
            let x: Vec<i16> = (0..i).map(|_| x16(&mut rng)).collect();
            let mut y = vec![0i16; o];
            l.with_dense(|d| {
                assert_eq!(d.weights.format(), format);
                d.forward(&x, &mut y)
            })
            .unwrap();
            assert_eq!(y, layer_ref(&l, &x), "{format:?} {i}x{o}");
            // Row pieces give the same rows.
            let first = rng.below(o as u32) as usize;
            let mut part = vec![0i16; o - first];
            l.with_dense(|d| d.reference_rows(&x, first, &mut part))
                .unwrap();
            assert_eq!(part, y[first..]);
        }
    }
}

#[test]
fn a_layer_refuses_weights_of_another_length() {
    let w = [1i8, 2, 3];
    let layer = DenseLayer {
        inputs: 2,
        outputs: 2,
        activation: Activation::Linear,
        requant: Requant::IDENTITY,
        weights: Weights::Narrow(&w),
        bias: &[0, 0],
    };
    let mut y = [7i16; 2];
    assert!(layer.forward(&[1, 1], &mut y).is_err());
    assert_eq!(y, [7, 7]);
}

/// A network of `formats` (widths random), its model blob and layer specs.
fn network(rng: &mut Rng, formats: &[Format]) -> (usize, Vec<LayerSpec>, Vec<u8>) {
    let input_dim = 1 + rng.below(70) as usize;
    let mut inputs = input_dim;
    let mut layers = Vec::new();
    for &f in formats {
        let outputs = 1 + rng.below(70) as usize;
        layers.push(spec(rng, inputs, outputs, f));
        inputs = outputs;
    }
    let blob = write_model(input_dim, rng.below(16) as u8, &layers);
    (input_dim, layers, blob)
}

#[test]
fn version_2_round_trips_and_all_16x16_is_version_1() {
    let mut rng = Rng::from_seed(2);
    for k in 0..200 {
        let n = 1 + rng.below(6) as usize;
        let formats: Vec<Format> = (0..n).map(|_| Format::ALL[rng.below(3) as usize]).collect();
        let (input_dim, layers, blob) = network(&mut rng, &formats);
        let version = u16::from_le_bytes([blob[4], blob[5]]);
        let wide = formats.iter().all(|f| *f == Format::F16x16);
        assert_eq!(version, if wide { VERSION_1 } else { VERSION }, "model {k}");
        let m = Model::parse(&blob).unwrap();
        assert_eq!(m.input_dim(), input_dim);
        for (l, s) in m.layers().zip(&layers) {
            assert_eq!((l.format, l.in_shift), (s.format, s.in_shift));
            assert_eq!(m.weights(&l).collect::<Vec<_>>(), s.weights);
            let owned = OwnedWeights::from_model(&m, &l);
            assert_eq!(owned, s.owned_weights().stored(s.outputs, s.inputs));
            assert_eq!(owned.widened(), s.weights);
            // The module's order (`Model::weights8_stored`) is the stored one.
            if let OwnedWeights::Panels { weights, .. } = &owned {
                assert_eq!(&m.weights8_stored(&l).collect::<Vec<_>>(), weights);
            }
            let w8: Vec<i16> = m.weights8(&l).map(i16::from).collect();
            match l.format {
                Format::F16x16 => assert!(w8.is_empty()),
                _ => assert_eq!(w8, s.weights),
            }
        }
        // An 8-bit layer holds half the bytes: 1 a weight.
        let bytes: usize = layers
            .iter()
            .map(|l| l.inputs * l.outputs * l.format.weight_bytes() + 4 * l.outputs)
            .sum();
        let entry = if wide { 16 } else { 20 };
        assert_eq!(blob.len(), 32 + entry * layers.len() + bytes + 4);
    }
}

#[test]
fn networks_that_mix_formats_agree_on_every_path() {
    let mut rng = Rng::from_seed(3);
    #[cfg(target_arch = "x86_64")]
    let avx2 = std::is_x86_feature_detected!("avx2");
    for _ in 0..100 {
        let n = 1 + rng.below(5) as usize;
        let formats: Vec<Format> = (0..n).map(|_| Format::ALL[rng.below(3) as usize]).collect();
        let (input_dim, layers, _) = network(&mut rng, &formats);
        let rows = 1 + rng.below(9) as usize;
        let inputs: Vec<i16> = (0..rows * input_dim).map(|_| x16(&mut rng)).collect();
        // Layer by layer, by the reference of this file.
        let mut want = Vec::new();
        for r in 0..rows {
            let mut x = inputs[r * input_dim..(r + 1) * input_dim].to_vec();
            for l in &layers {
                x = layer_ref(l, &x);
            }
            want.extend(x);
        }
        let owned: Vec<OwnedWeights> = layers.iter().map(LayerSpec::owned_weights).collect();
        let layer = |i: usize| {
            let l = layers.get(i)?;
            Some(DenseLayer {
                inputs: l.inputs,
                outputs: l.outputs,
                activation: l.activation,
                requant: l.requant,
                weights: owned[i].view(),
                bias: &l.bias,
            })
        };
        let shape = Shape::of(layers.iter().map(|l| (l.inputs, l.outputs))).unwrap();
        let mut scratch = vec![0i16; shape.scratch_len()];
        let mut got = vec![0i16; rows * shape.output_dim];
        batch::forward(shape, layer, &inputs, &mut got, &mut scratch, &mut Scalar).unwrap();
        assert_eq!(got, want, "scalar, formats {formats:?}");
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // Every layer sent to the vector path: every format has its AVX2 kernels.
            // SAFETY: the CPU has AVX2 (checked above).
            let mut runner = unsafe { Gated::new(Gate::new(true, true, 1, None)) };
            let mut got = vec![0i16; rows * shape.output_dim];
            batch::forward(shape, layer, &inputs, &mut got, &mut scratch, &mut runner).unwrap();
            assert_eq!(got, want, "gated, formats {formats:?}");
            assert_eq!(runner.simd_layers, (formats.len() * rows) as u64);
            assert_eq!(runner.scalar_layers, 0);
        }
    }
}

/// The 8-bit formats' AVX2 kernels (`rust/simd/avx2_w8.rs`) against the scalar
/// reference: every row length from 1 to 300 and the longest, blocks of one to four
/// inputs, row pieces from any first row, weights and inputs at their extremes.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_8bit_avx2_kernels_match_the_reference() {
    use crate::gated::isas;
    use crate::simd::avx2_w8::{block_rows_w8, forward_block_w8, prepare_block, prepared_len, Isa};
    use crate::simd::vnni_b8::block_len;
    assert!(
        std::is_x86_feature_detected!("avx2"),
        "the host tests need AVX2 (the kernels' bit-exactness is proven here)"
    );
    // AVX2 always; VNNI where this CPU has it (the host of performance.rst does; the
    // test guest does not, so this is where the VNNI kernels are proven).
    let isas: Vec<Isa> = isas();
    if isas.len() == 1 {
        std::eprintln!("this CPU has no AVX512_VNNI/AVX512VL: only the AVX2 kernels run");
    }
    let mut rng = Rng::from_seed(88);
    let lengths: Vec<usize> = (1..=300).chain([511, 512, 513, 1024, 4095, 4096]).collect();
    for (&n, isa) in lengths
        .iter()
        .flat_map(|n| isas.iter().map(move |i| (n, *i)))
    {
        for format in [Format::F16x8, Format::F8x8] {
            let outputs = 1 + rng.below(9) as usize;
            let mut l = spec(&mut rng, n, outputs, format);
            let xs = block_inputs(&mut rng, &mut l);
            let k = xs.len();
            let want: Vec<Vec<i16>> = xs.iter().map(|x| layer_ref(&l, x)).collect();
            let w = l.owned_weights();
            let layer = DenseLayer {
                inputs: l.inputs,
                outputs: l.outputs,
                activation: l.activation,
                requant: l.requant,
                weights: w.view(),
                bias: &l.bias,
            };
            let xr: Vec<&[i16]> = xs.iter().map(Vec::as_slice).collect();
            // The 8x8 format's byte kernels (`vnni_b8`, with VNNI) keep the inputs' sums
            // after their bytes: at most rows of 1 to 16 need more than the others.
            let mut prep = vec![0i16; (4 * prepared_len(n)).max(block_len(4, n))];
            let mut ys = vec![vec![0i16; outputs]; k];
            let mut yr: Vec<&mut [i16]> = ys.iter_mut().map(Vec::as_mut_slice).collect();
            // SAFETY: the CPU has AVX2 (checked above).
            unsafe { forward_block_w8(isa, &layer, &xr, &mut prep, &mut yr) }.unwrap();
            assert_eq!(
                ys, want,
                "{isa:?} {format:?} n {n} outputs {outputs} inputs {k}"
            );
            // From a first row on.
            let first = rng.below(outputs as u32) as usize;
            // SAFETY: the host tests need AVX2 (`isas` gives only what the CPU has).
            unsafe { prepare_block(isa, &layer, &xr, &mut prep) }.unwrap();
            let mut ys = vec![vec![0i16; outputs - first]; k];
            let mut yr: Vec<&mut [i16]> = ys.iter_mut().map(Vec::as_mut_slice).collect();
            // SAFETY: as above.
            unsafe { block_rows_w8(isa, &layer, &xr, &prep, first, &mut yr) }.unwrap();
            for (y, w) in ys.iter().zip(&want) {
                assert_eq!(
                    y[..],
                    w[first..],
                    "{isa:?} {format:?} n {n} from row {first}"
                );
            }
        }
    }
    // Refused, nothing written: a 16x16 layer, a short input, a short prepared buffer.
    let w16 = [1i16; 4];
    let wide = DenseLayer {
        inputs: 2,
        outputs: 2,
        activation: Activation::Linear,
        requant: Requant::IDENTITY,
        weights: Weights::Wide(&w16),
        bias: &[0, 0],
    };
    let w8 = [1i8; 4];
    let narrow = DenseLayer {
        weights: Weights::Narrow(&w8),
        ..wide
    };
    let mut y = [7i16; 2];
    let mut prep = vec![0i16; 64];
    // SAFETY: as above.
    unsafe {
        let isa = Isa::Avx2;
        assert!(forward_block_w8(isa, &wide, &[&[1, 1]], &mut prep, &mut [&mut y]).is_err());
        assert!(forward_block_w8(isa, &narrow, &[&[1]], &mut prep, &mut [&mut y]).is_err());
        assert!(forward_block_w8(isa, &narrow, &[&[1, 1]], &mut prep[..3], &mut [&mut y]).is_err());
    }
    assert_eq!(y, [7, 7]);
}

/// The 8-bit kernels' input preparation narrows as `format::narrow` does, for every
/// `i16` and every shift (past `MAX_IN_SHIFT` too), copies without a shift, and pads the
/// last pass with zeros.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_8bit_preparation_narrows_every_input_as_the_reference() {
    use crate::simd::avx2_w8::{prepare, prepared_len, PASS};
    let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    for shift in [
        None,
        Some(0),
        Some(1),
        Some(3),
        Some(8),
        Some(14),
        Some(15),
        Some(16),
    ] {
        for x in [&all[..], &all[..PASS + 5], &all[7..12]] {
            let mut out = vec![99i16; prepared_len(x.len())];
            prepare(x, shift, &mut out, PASS);
            for (i, got) in out.iter().enumerate() {
                let want = x
                    .get(i)
                    .map_or(0, |&v| shift.map_or(v, |s| i16::from(narrow(v, s))));
                assert_eq!(*got, want, "shift {shift:?} value {i} of {}", x.len());
            }
        }
    }
}

/// The 8-bit kernels' raw sums at the extremes of their lane bounds, on both instruction
/// sets where this CPU has them: every weight -127 or 127 and every input -32768 or
/// 32767 (16x8's largest pair sums, 2 * 127 * 32768), at lengths up to the widest row
/// (256 pair sums a lane); one-row, four-row and four-input kernels against the exact sum.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_8bit_kernels_sum_exactly_at_the_lane_bounds() {
    use crate::gated::isas;
    use crate::simd::avx2_w8::{self, prepare, prepared_len, Isa, PASS};
    use crate::simd::vnni_w8;
    for isa in isas() {
        for n in [16, 31, 1024, 4080, 4095, 4096] {
            for (w, x) in [
                (-127i8, i16::MIN),
                (127, i16::MIN),
                (127, i16::MAX),
                (-127, i16::MAX),
            ] {
                // Four rows and a padded pass of weights, the input alone and four times.
                let weights = vec![w; 4 * n + PASS];
                let input = vec![x; n];
                let plen = prepared_len(n);
                let mut one = vec![0i16; plen];
                prepare(&input, None, &mut one, PASS);
                let mut four = vec![0i16; 4 * plen];
                for k in 0..4 {
                    prepare(&input, None, &mut four[k * PASS..], 4 * PASS);
                }
                let exact = n as i64 * i64::from(w) * i64::from(x);
                // SAFETY: the CPU has AVX2, and VNNI where `best_isa` found it.
                let (one_row, rows, inputs) = unsafe {
                    match isa {
                        Isa::Avx2 => (
                            avx2_w8::dot_w8(&weights, n, &one, 7),
                            avx2_w8::rows4_w8(&weights, n, &one),
                            avx2_w8::dot4_w8(&weights, n, &four, 7),
                        ),
                        Isa::Vnni | Isa::Vnni512 => (
                            vnni_w8::dot_w8(&weights, n, &one, 7),
                            vnni_w8::rows4_w8(&weights, n, &one),
                            vnni_w8::dot4_w8(&weights, n, &four, 7),
                        ),
                    }
                };
                assert_eq!(one_row, exact + 7, "{isa:?} one row, n {n}, {w} x {x}");
                assert_eq!(
                    rows,
                    Some([exact; 4]),
                    "{isa:?} four rows, n {n}, {w} x {x}"
                );
                assert_eq!(
                    inputs,
                    [exact + 7; 4],
                    "{isa:?} four inputs, n {n}, {w} x {x}"
                );
            }
        }
    }
}

/// The three byte kernels of `vnni_b8` on one row set, of one width: the one-row sum
/// (bias 7), whether the four-row kernel ran and its sums, the four-input sums (bias 7);
/// `b1` one input's prepared bytes, `b4` four's, `sx` each input's sum.
///
/// # Safety
///
/// As `vnni_b8::dot_b8::<Z>`: the CPU's features.
#[cfg(target_arch = "x86_64")]
unsafe fn byte_kernels<const Z: bool>(
    weights: &[i8],
    n: usize,
    b1: &[i8],
    b4: &[i8],
    sx: i64,
) -> (i64, bool, [i64; 4], [i64; 4]) {
    use crate::simd::vnni_b8;
    let mut rows = [0i64; 4];
    // SAFETY: as the caller guarantees.
    unsafe {
        let one_row = vnni_b8::dot_b8::<Z>(weights, n, b1, sx, 7);
        let fits = vnni_b8::rows4_b8_to::<Z>(weights, n, b1, sx, &mut rows);
        let quad = vnni_b8::dot4_b8::<Z>(weights, n, b4, [sx; 4], 7);
        (one_row, fits, rows, quad)
    }
}

/// The 8x8 format's byte kernels (`vnni_b8`, where this CPU has VNNI) at their lane
/// bounds: every weight -127 or 127 and every narrowed input -128 or 127 (the largest
/// offset products, 255 * -128), at lengths up to the widest row and past it (runs of
/// `MAX_PASSES`); one-row, four-row and four-input kernels against the exact sum.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_8x8_byte_kernels_sum_exactly_at_the_lane_bounds() {
    use crate::gated::isas;
    use crate::simd::avx2_w8::Isa;
    use crate::simd::vnni_b8::{self, block_len, PASS};
    let isas = isas();
    if !isas.contains(&Isa::Vnni) {
        std::eprintln!("this CPU has no AVX512_VNNI/AVX512VL: the byte kernels are not run");
        return;
    }
    let zmm = isas.contains(&Isa::Vnni512);
    // Lengths of one to five passes (the 512-bit kernels' pairs and fours, and what is
    // left of them), the widest row, and past a run of `MAX_PASSES`.
    for n in [
        1, 31, 32, 33, 64, 65, 96, 97, 128, 129, 160, 1024, 4095, 4096, 70_000,
    ] {
        for (w, x) in [(-127i8, -128i16), (127, -128), (127, 127), (-127, 127)] {
            let weights = vec![w; 4 * n + PASS];
            let layer = DenseLayer {
                inputs: n,
                outputs: 4,
                activation: Activation::Linear,
                requant: Requant::IDENTITY,
                weights: Weights::Byte {
                    weights: &weights[..4 * n],
                    in_shift: 0,
                },
                bias: &[0; 4],
            };
            let input = vec![x; n];
            let mut one = vec![0i16; block_len(1, n)];
            let mut four = vec![0i16; block_len(4, n)];
            vnni_b8::prepare_block(&layer, &[&input], &mut one).unwrap();
            let x4: &[i16] = &input;
            vnni_b8::prepare_block(&layer, &[x4; 4], &mut four).unwrap();
            let as_bytes = |p: &[i16]| -> Vec<i8> {
                p.iter()
                    .flat_map(|v| v.to_le_bytes())
                    .map(|b| b as i8)
                    .collect()
            };
            let (b1, b4) = (as_bytes(&one), as_bytes(&four));
            let bytes = vnni_b8::passes(n) * PASS;
            let sx = n as i64 * i64::from(x);
            let exact = n as i64 * i64::from(w) * i64::from(x);
            for z in [false, true] {
                if z && !zmm {
                    continue;
                }
                // SAFETY: the CPU has AVX512_VNNI and AVX512VL, and AVX512F for `z`
                // (`isas`), whose state Linux saves for user space.
                let (one_row, fits, rows, quad) = unsafe {
                    if z {
                        byte_kernels::<true>(&weights, n, &b1[..bytes], &b4[..4 * bytes], sx)
                    } else {
                        byte_kernels::<false>(&weights, n, &b1[..bytes], &b4[..4 * bytes], sx)
                    }
                };
                assert_eq!(one_row, exact + 7, "zmm {z} one row, n {n}, {w} x {x}");
                assert_eq!(
                    fits,
                    n <= vnni_b8::MAX_PASSES * PASS,
                    "zmm {z} four rows ran, n {n}"
                );
                if fits {
                    assert_eq!(rows, [exact; 4], "zmm {z} four rows, n {n}, {w} x {x}");
                }
                assert_eq!(
                    quad,
                    [exact + 7; 4],
                    "zmm {z} four inputs, n {n}, {w} x {x}"
                );
            }
        }
    }
}
