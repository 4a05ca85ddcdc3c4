// SPDX-License-Identifier: GPL-2.0

//! Requantization and activation of four outputs at once, in vector registers: what
//! `DenseLayer::finish` does to each accumulator (`fixed::Requant::apply`, then
//! `Activation::apply`), bit for bit, for the four sums a kernel gives (four rows of
//! one input, or one row of four inputs).
//!
//! The idea. `Requant::apply` computes `(acc * mult + half) >> shift`, saturated to
//! `i16`, directly for every accumulator below `2^47` in magnitude (every accumulator of
//! a layer is below `2^43`). AVX2 has neither a 64-bit multiply nor a 64-bit arithmetic
//! shift, so:
//!
//! - the product is `lo * mult + (hi * mult << 32)` modulo `2^64`, with `acc = hi * 2^32
//!   + lo` and both halves taken as unsigned (`vpmuludq` twice: the sign of `hi` only
//!   changes `hi * mult` by a multiple of `2^32`, which the shift by 32 sends past bit
//!   63); exact since `|acc * mult| < 2^63` fits;
//! - the arithmetic shift is `s ^ (((v ^ s) >>> shift))` with `s` the sign mask of `v`
//!   (`vpcmpgtq`): for a negative `v`, `floor(v / 2^k) = !(!v >> k)`;
//! - saturation is two compares and two blends against `i16::MAX` and `i16::MIN`, then
//!   the four low doublewords are gathered and packed (`vpackssdw`, which cannot
//!   saturate again: the values are in range);
//! - ReLU is `vpmaxsw` with 0, the identity `vpmaxsw` with `i16::MIN`. Sigmoid and tanh
//!   (tables, `activation.rs`) are applied to the four requantized values by the scalar
//!   code.
//!
//! An accumulator outside `[-2^47, 2^47)` (not one a layer can reach, but not excluded by
//! the types) sends the four to the scalar reference.
//!
//! Only `core`: the host crate builds this file too.

use crate::pure::activation::Activation;
use crate::pure::forward::DenseLayer;

/// A layer's requantization and activation, as the vector step reads them: the
/// constants broadcast to four `u64` lanes once a layer, read by the block as memory
/// operands (at the offsets the fields' comments give, checked at compile time below).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(32))]
pub struct Finish {
    /// `2^47` (offset 0): the direct range's test.
    range: [u64; 4],
    /// `mult` (offset 32).
    mult: [u64; 4],
    /// `2^(shift-1)`, or 0 for shift 0 (offset 64).
    half: [u64; 4],
    /// `i16::MAX` (offset 96).
    max: [i64; 4],
    /// `i16::MIN` (offset 128).
    min: [i64; 4],
    /// The lower bound of the output, eight words (offset 160): 0 for ReLU, `i16::MIN`
    /// otherwise.
    floor: [i16; 8],
    /// The shift (offset 176).
    shift: u64,
    /// Sigmoid or tanh, applied afterwards by the scalar code.
    squash: Option<Activation>,
}

/// How the vector blocks activate: the lower bound of the output words (0 for ReLU,
/// `i16::MIN` otherwise, which leaves them), and sigmoid or tanh, applied afterwards by
/// the scalar code (tables, `activation.rs`).
pub fn activation_steps(activation: Activation) -> (Option<Activation>, i16) {
    let squash = matches!(activation, Activation::Sigmoid | Activation::Tanh).then_some(activation);
    let floor = if activation == Activation::Relu {
        0
    } else {
        i16::MIN
    };
    (squash, floor)
}

impl Finish {
    /// The step of `layer`.
    pub fn of(layer: &DenseLayer<'_>) -> Self {
        let r = layer.requant;
        let (squash, floor) = activation_steps(layer.activation);
        Self {
            range: [1 << 47; 4],
            mult: [u64::from(r.mult()); 4],
            // `shift <= 47`, as `Requant::apply`.
            half: [(1u64 << r.shift()) >> 1; 4],
            max: [i64::from(i16::MAX); 4],
            min: [i64::from(i16::MIN); 4],
            floor: [floor; 8],
            shift: u64::from(r.shift()),
            squash,
        }
    }

    /// `layer.finish(sums[k] + bias[k])` for each `k`: [`Finish::finish4`] of four sums
    /// and their biases, added in the vector registers (the sums as a kernel stored
    /// them, one 32-byte store that the block's load takes whole).
    ///
    /// # Safety
    ///
    /// As [`Finish::finish4`].
    #[inline]
    pub unsafe fn finish4_biased(
        &self,
        layer: &DenseLayer<'_>,
        sums: &[i64; 4],
        bias: &[i32; 4],
    ) -> [i16; 4] {
        // SAFETY: as the caller guarantees.
        unsafe { self.finish4_at(layer, sums, bias) }
    }

    /// `layer.finish(acc[k])` for each `k`, with `self` from [`Finish::of`] of `layer`.
    ///
    /// # Safety
    ///
    /// The CPU has AVX2, and in the kernel the caller holds the FPU (between
    /// `kernel_fpu_begin` and `kernel_fpu_end`), with nothing in between that sleeps.
    #[inline]
    pub unsafe fn finish4(&self, layer: &DenseLayer<'_>, acc: [i64; 4]) -> [i16; 4] {
        // SAFETY: as the caller guarantees.
        unsafe { self.finish4_at(layer, &acc, &[0; 4]) }
    }

    /// [`Finish::finish4_biased`], the one block.
    ///
    /// # Safety
    ///
    /// As [`Finish::finish4`].
    #[inline]
    unsafe fn finish4_at(
        &self,
        layer: &DenseLayer<'_>,
        sums: &[i64; 4],
        bias: &[i32; 4],
    ) -> [i16; 4] {
        let mut out = [0i16; 4];
        let mut direct: u64 = 0;
        // SAFETY: the block reads the 32 bytes of `sums`, the 16 of `bias` and the first
        // 184 of `self` (at the offsets of `Finish`'s fields, `repr(C)`, 32-byte aligned
        // for `vmovdqa`) and writes the 8 of `out`; every register written is an operand
        // or a clobber, and it uses no stack. AVX2 and the FPU as the caller guarantees.
        unsafe {
            asm_ymm!(
                "vmovdqu ymm0, [{sums}]",
                "vpmovsxdq ymm1, [{bias}]",
                "vpaddq ymm0, ymm0, ymm1",
                // Every |acc| < 2^47 (acc + 2^47 below 2^48 as unsigned), or none done.
                "vpaddq ymm1, ymm0, [{f}]",
                "vpsrlq ymm1, ymm1, 48",
                "vptest ymm1, ymm1",
                "jnz 2f",
                // acc * mult: lo * mult + (hi * mult << 32).
                "vpmuludq ymm3, ymm0, [{f} + 32]",
                "vpsrlq ymm4, ymm0, 32",
                "vpmuludq ymm4, ymm4, [{f} + 32]",
                "vpsllq ymm4, ymm4, 32",
                "vpaddq ymm3, ymm3, ymm4",
                // + half, then the arithmetic shift by the sign mask.
                "vpaddq ymm3, ymm3, [{f} + 64]",
                "vpxor ymm6, ymm6, ymm6",
                "vpcmpgtq ymm7, ymm6, ymm3",
                "vpxor ymm3, ymm3, ymm7",
                "vmovq xmm8, [{f} + 176]",
                "vpsrlq ymm3, ymm3, xmm8",
                "vpxor ymm3, ymm3, ymm7",
                // Saturate to i16.
                "vmovdqa ymm9, [{f} + 96]",
                "vpcmpgtq ymm10, ymm3, ymm9",
                "vpblendvb ymm3, ymm3, ymm9, ymm10",
                "vmovdqa ymm9, [{f} + 128]",
                "vpcmpgtq ymm10, ymm9, ymm3",
                "vpblendvb ymm3, ymm3, ymm9, ymm10",
                // The four low doublewords, packed to words; the floor (ReLU or none).
                "vpshufd ymm3, ymm3, 0x08",
                "vpermq ymm3, ymm3, 0x08",
                "vpackssdw xmm3, xmm3, xmm3",
                "vpmaxsw xmm3, xmm3, [{f} + 160]",
                "vmovq [{out}], xmm3",
                "mov {d}, 1",
                "2:",
                "vzeroupper",
                sums = in(reg) sums.as_ptr(),
                bias = in(reg) bias.as_ptr(),
                out = in(reg) out.as_mut_ptr(),
                f = in(reg) core::ptr::from_ref(self),
                d = inout(reg) direct,
                options(nostack),
            );
        }
        if direct == 0 {
            let [s0, s1, s2, s3] = *sums;
            let acc = [
                s0.wrapping_add(i64::from(bias[0])),
                s1.wrapping_add(i64::from(bias[1])),
                s2.wrapping_add(i64::from(bias[2])),
                s3.wrapping_add(i64::from(bias[3])),
            ];
            return acc.map(|a| layer.finish(a));
        }
        if let Some(f) = self.squash {
            return out.map(|q| f.apply(q));
        }
        out
    }
}

/// The requantization steps the self-check tries: the extremes of the multiplier and the
/// shift, and ordinary ones.
pub const CHECKED_STEPS: [(u32, u8); 7] = [
    (1, 0),
    (65535, 0),
    (1, 47),
    (65535, 47),
    (32768, 15),
    (12345, 20),
    (40000, 31),
];

/// Biases the checked cases take turns with: none, and the `i32` extremes.
const CHECKED_BIASES: [[i32; 4]; 2] = [[0; 4], [-7, i32::MAX, i32::MIN, 100_000]];

/// Runs `same(layer, sums, bias)` on the self-check's cases until one returns false: for
/// each step of [`CHECKED_STEPS`] and each activation, accumulators four at a time from
/// the ties of the outputs near 0 and near the `i16` bounds (and their neighbours), both
/// sides of the direct range's ends (`2^47`; past them `acc * mult` can overflow), each
/// lane alone out of that range, and the `i64` extremes; each accumulator given as a sum
/// and a bias (none, or the `i32` extremes) that add up to it. Returns the step
/// (multiplier, shift) of the first case that differed (or that is not a step).
pub fn check_cases(
    mut same: impl FnMut(&DenseLayer<'_>, &[i64; 4], &[i32; 4]) -> bool,
) -> Option<(u32, u8)> {
    let outputs: [i64; 9] = [-32769, -32768, -32767, -1, 0, 1, 32766, 32767, 32768];
    let far = (1i64 << 47) - 1;
    let past = (1i64 << 48) - 1;
    for (mult, shift) in CHECKED_STEPS {
        let Some(requant) = crate::pure::fixed::Requant::new(mult, shift) else {
            return Some((mult, shift));
        };
        for activation in [
            Activation::Relu,
            Activation::Linear,
            Activation::Sigmoid,
            Activation::Tanh,
        ] {
            let layer = DenseLayer {
                inputs: 0,
                outputs: 0,
                activation,
                requant,
                weights: crate::pure::format::Weights::Wide(&[]),
                bias: &[],
            };
            let (m, half) = (i64::from(mult), (1i64 << shift) >> 1);
            // The accumulator whose `acc * mult + half` is nearest `k * 2^shift`.
            let tie = |k: i64| ((k << shift) - half).div_euclid(m);
            let ties = outputs.map(|k| {
                let a = tie(k);
                [a - 1, a, a + 1, -a]
            });
            let edges = [
                [far, -far, 1 << 47, -(1 << 47)],
                [past, -past, far + 2, -far - 2],
                [0, 1, 2, past],
                [0, 1, -past, 3],
                [0, past, 2, 3],
                [i64::MAX, i64::MIN, 0, -1],
            ];
            for (i, acc) in ties.iter().chain(&edges).enumerate() {
                // PANIC: `i % 2 < 2`, the length of `CHECKED_BIASES`.
                let bias = &CHECKED_BIASES[i % 2];
                let sums = [0, 1, 2, 3].map(|k| acc[k].wrapping_sub(i64::from(bias[k])));
                if !same(&layer, &sums, bias) {
                    return Some((mult, shift));
                }
            }
        }
    }
    None
}

// The block's offsets, and the alignment `vmovdqa` needs.
const _: () = {
    assert!(core::mem::align_of::<Finish>() == 32);
    assert!(core::mem::offset_of!(Finish, range) == 0);
    assert!(core::mem::offset_of!(Finish, mult) == 32);
    assert!(core::mem::offset_of!(Finish, half) == 64);
    assert!(core::mem::offset_of!(Finish, max) == 96);
    assert!(core::mem::offset_of!(Finish, min) == 128);
    assert!(core::mem::offset_of!(Finish, floor) == 160);
    assert!(core::mem::offset_of!(Finish, shift) == 176);
};
