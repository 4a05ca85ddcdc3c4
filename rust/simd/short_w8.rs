// SPDX-License-Identifier: GPL-2.0

//! The 8-bit weight formats' kernel for rows of up to [`MAX_PASSES`] passes (496
//! values): eight rows at a time, every group of eight of a row piece in one `asm!` block,
//! each group's eight sums reduced together, requantized, activated and stored as eight
//! outputs in the same block. On the prepared input of `avx2_w8.rs` (copied for 16x8,
//! narrowed for 8x8), with `vpmaddwd` (AVX2) or `vpdpwssd` (VNNI).
//!
//! Why. On a layer of short rows (LinnOS's 31-256-2: 256 rows of two passes) the work
//! around the multiply-adds costs more than they do when each four rows are a kernel call,
//! a reduction, a requantization by `requant.rs` and a loop in Rust: about 150
//! instructions for the 24 of the products. Here a group of eight rows costs its products,
//! about 40 instructions for the reduction, the requantization and the store, and none
//! in Rust.
//!
//! The sums. A pass's pair sum is below `2 * 128 * 2^15 = 2^23` in magnitude (every 8-bit
//! weight is at least -128, every input at least -2^15); a lane adds one a pass, and a
//! row is its eight lanes' sum: below `8 * 31 * 2^23 < 2^31` for 31 passes. So the
//! sums stay in `i32` lanes, with no widening.
//!
//! The requantization, exact in double precision. `Requant::apply` is `(acc * mult +
//! half) >> shift`, saturated, with `acc` the sum and the bias: `|acc| < 2^31 + 2^31 =
//! 2^32`, `mult < 2^16`. In `f64`: `acc` is exact (`vcvtdq2pd` of the sum and of the
//! bias, then their sum, an integer below `2^33`); `acc * (mult * 2^-shift)` is exact
//! (the integer `acc * mult` is below `2^48`, within the 53 bits of the significand, and
//! a power of two only moves the exponent: the smallest, `2^-47`, is far from the
//! subnormals); adding `half * 2^-shift` (`0.5`, or `0` for shift 0) is exact (the sum is
//! `(acc * mult + half) * 2^-shift`, an integer below `2^49` times a power of two); the
//! floor (`vroundpd` mode 9, which ignores MXCSR's rounding mode) of that is the
//! arithmetic shift; clamping to `[-32768, 32767]` is the saturation, and `vcvttpd2dq`
//! of an integer in range is exact. Every step is exact, so neither MXCSR's rounding
//! mode nor its flush-to-zero matter (and `kernel_fpu_begin` loads the default MXCSR
//! anyway). ReLU is `vpmaxsw` with 0 on the eight words; sigmoid and tanh (tables) are
//! applied after the block, by the scalar code.
//!
//! As the other kernels, a row's last pass reads up to 15 weights past its end (the next
//! row's, which the padding zeros of the input cancel): the groups run only as far as
//! every read stays within the weights; the caller sums the rows after them by the other
//! kernels.
//!
//! Only `core`: the host crate builds this file too.

use super::avx2_w8::{passes, Isa, PASS};
use crate::pure::activation::Activation;
use crate::pure::forward::DenseLayer;

/// The longest row, in passes, of the kernel: the eight lanes of a row's sum stay
/// below `2^31` (above).
pub const MAX_PASSES: usize = 31;

/// Rows a group.
const GROUP: usize = 8;

/// The longest row whose last rows (whose last pass would read past the layer's
/// weights) the kernel takes, as a group copied to the stack (`8 * 64 + 16` bytes):
/// longer rows leave them to the other kernels.
pub const TAIL_MAX: usize = 64;

/// A call's constants, read by the block as memory operands at the offsets the fields'
/// comments give (checked at compile time below).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(32))]
pub struct Short {
    /// `mult * 2^-shift`, as `f64` bits (offset 0).
    scale: [u64; 4],
    /// `0.5` (or `0` for shift 0), as `f64` bits (offset 32).
    half: [u64; 4],
    /// `-32768.0` (offset 64).
    min: [u64; 4],
    /// `32767.0` (offset 96).
    max: [u64; 4],
    /// The lower bound of the output, eight words (offset 128): 0 for ReLU, `i16::MIN`
    /// otherwise.
    floor: [i16; 8],
    /// Passes a row (offset 144).
    passes: usize,
    /// Bytes from one pass of the input to the next (offset 152).
    step: usize,
    /// Sigmoid or tanh, applied afterwards by the scalar code.
    squash: Option<Activation>,
}

/// The bits of the `f64` of `m * 2^e`, for `|m| < 2^53` (exact) and a result within
/// the normal range.
pub const fn f64_bits(m: i64, e: i32) -> u64 {
    if m == 0 {
        return 0;
    }
    let sign = if m < 0 { 1u64 << 63 } else { 0 };
    let a = m.unsigned_abs();
    // The top bit's place, then the significand's 52 bits below it.
    let top = 63 - a.leading_zeros() as i32;
    let frac = (a << (52 - top)) & ((1u64 << 52) - 1);
    let exp = (1023 + top + e) as u64;
    sign | (exp << 52) | frac
}

impl Short {
    /// The constants of `layer`'s rows with the input's passes `step` values apart
    /// ([`PASS`] for one prepared input, `4 * PASS` for four interleaved); `None` if
    /// the rows are longer than [`MAX_PASSES`] passes or empty.
    pub fn of(layer: &DenseLayer<'_>, step: usize) -> Option<Self> {
        let passes = passes(layer.inputs);
        if passes == 0 || passes > MAX_PASSES {
            return None;
        }
        let r = layer.requant;
        let shift = i32::from(r.shift());
        let squash = matches!(layer.activation, Activation::Sigmoid | Activation::Tanh)
            .then_some(layer.activation);
        let floor = if layer.activation == Activation::Relu {
            0
        } else {
            i16::MIN
        };
        Some(Self {
            scale: [f64_bits(i64::from(r.mult()), -shift); 4],
            half: [if shift == 0 { 0 } else { f64_bits(1, -1) }; 4],
            min: [f64_bits(-32768, 0); 4],
            max: [f64_bits(32767, 0); 4],
            floor: [floor; 8],
            passes,
            step: step * core::mem::size_of::<i16>(),
            squash,
        })
    }

    /// The outputs of the rows of `weights` (from a row's start: row `r` at
    /// `weights[r * n..]`, `n` the layer's inputs) for the prepared input `xp` (pass `p`
    /// at `xp[p * step..]`), each `layer.finish` of its sum and its `bias`, into `out`:
    /// whole groups of eight rows, as many as `out`, `bias` and the weights hold (every
    /// read within them), then for rows of at most [`TAIL_MAX`] values the rows left.
    /// Returns the rows done, from the first; the caller does the rest.
    ///
    /// # Safety
    ///
    /// The CPU has AVX2 (and for a VNNI `isa` AVX512_VNNI and AVX512VL, with the AVX-512
    /// state saved); in the kernel the caller holds the FPU, with nothing in between that
    /// sleeps.
    pub unsafe fn rows(
        &self,
        isa: Isa,
        weights: &[i8],
        n: usize,
        xp: &[i16],
        bias: &[i32],
        out: &mut [i16],
    ) -> usize {
        let step = self.step / core::mem::size_of::<i16>();
        let reach = PASS * self.passes;
        // The input's passes, and the groups whose last row's last pass stays within
        // the weights: `(8 * g - 1) * n + reach <= len`.
        if n == 0 || n.div_ceil(PASS) != self.passes || (self.passes - 1) * step + PASS > xp.len() {
            return 0;
        }
        let fit = (weights.len() + n).saturating_sub(reach) / (GROUP * n);
        let rows = out.len().min(bias.len());
        let groups = fit.min(rows / GROUP);
        let kernel = match isa {
            Isa::Avx2 => rows_avx2,
            Isa::Vnni | Isa::Vnni512 => rows_vnni,
        };
        if groups > 0 {
            // SAFETY: `groups` groups of eight rows of `passes` passes are within
            // `weights`, the passes within `xp`, and eight biases and outputs a group
            // within `bias` and `out` (all checked above); the features and the FPU as
            // the caller guarantees.
            unsafe {
                kernel(
                    self,
                    weights.as_ptr(),
                    n,
                    xp.as_ptr(),
                    bias.as_ptr(),
                    out.as_mut_ptr(),
                    groups,
                )
            };
        }
        let mut done = groups * GROUP;
        // The rows after: the last rows of the layer, whose last pass would read past
        // its weights, or fewer than eight. Rows of at most `TAIL_MAX` values go through
        // the kernel as a group copied to the stack, padded with zeros.
        while n <= TAIL_MAX && done < rows {
            let k = (rows - done).min(GROUP);
            let Some(src) = weights.get(done * n..(done + k) * n) else {
                break;
            };
            let mut w = [0i8; GROUP * TAIL_MAX + PASS];
            let mut b = [0i32; GROUP];
            let mut y = [0i16; GROUP];
            // Not `copy_from_slice`: its length check's panic is a function objtool
            // does not know as noreturn, in the module.
            for (d, v) in w.iter_mut().zip(src) {
                *d = *v;
            }
            // PANIC: `done + k <= rows <= bias.len()`.
            for (d, v) in b.iter_mut().zip(&bias[done..done + k]) {
                *d = *v;
            }
            // SAFETY: one group of eight rows of `n <= TAIL_MAX` values, each read to
            // `7 * n + reach <= 8 * TAIL_MAX + PASS`, within `w`; eight biases and
            // outputs; the input as above.
            unsafe {
                kernel(
                    self,
                    w.as_ptr(),
                    n,
                    xp.as_ptr(),
                    b.as_ptr(),
                    y.as_mut_ptr(),
                    1,
                )
            };
            // PANIC: `done + k <= rows <= out.len()`.
            for (d, v) in out[done..done + k].iter_mut().zip(y) {
                *d = v;
            }
            done += k;
        }
        if let Some(f) = self.squash {
            // PANIC: `done <= out.len()` (above).
            for y in &mut out[..done] {
                *y = f.apply(*y);
            }
        }
        done
    }
}

/// Defines `$name`, the kernel of [`Short::rows`] with the multiply-adds of `$isa`
/// (`madd`).
macro_rules! short_kernel {
    ($name:ident, $isa:tt) => {
        /// `groups` groups of eight rows (row `r` at `w + r * n`) with the input at `x`,
        /// their outputs at `y`.
        ///
        /// # Safety
        ///
        /// As [`Short::rows`], which checks the bounds.
        #[inline]
        unsafe fn $name(
            s: &Short,
            w: *const i8,
            n: usize,
            x: *const i16,
            b: *const i32,
            y: *mut i16,
            groups: usize,
        ) {
            // SAFETY: reads `groups` groups of eight rows of `s.passes` passes of 16
            // bytes from `w`, the passes of `x`, 32 bytes of `b` a group and `s`'s 160
            // (`repr(C)`, aligned); writes 16 bytes of `y` a group; every register
            // written is an operand or a clobber; no stack.
            unsafe {
                asm_ymm!(
                    "lea {st3}, [{st} + {st} * 2]",
                    "2:",
                    "mov {wp}, {w}",
                    "lea {w4}, [{w} + {st} * 4]",
                    "mov {xp}, {x}",
                    // The first pass: the products are the sums.
                    "vmovdqu ymm8, [{xp}]",
                    "vpmovsxbw ymm9, xmmword ptr [{wp}]",
                    "vpmovsxbw ymm10, xmmword ptr [{wp} + {st}]",
                    "vpmovsxbw ymm11, xmmword ptr [{wp} + {st} * 2]",
                    "vpmovsxbw ymm12, xmmword ptr [{wp} + {st3}]",
                    "vpmaddwd ymm0, ymm9, ymm8",
                    "vpmaddwd ymm1, ymm10, ymm8",
                    "vpmaddwd ymm2, ymm11, ymm8",
                    "vpmaddwd ymm3, ymm12, ymm8",
                    "vpmovsxbw ymm13, xmmword ptr [{w4}]",
                    "vpmovsxbw ymm14, xmmword ptr [{w4} + {st}]",
                    "vpmovsxbw ymm15, xmmword ptr [{w4} + {st} * 2]",
                    "vpmovsxbw ymm9, xmmword ptr [{w4} + {st3}]",
                    "vpmaddwd ymm4, ymm13, ymm8",
                    "vpmaddwd ymm5, ymm14, ymm8",
                    "vpmaddwd ymm6, ymm15, ymm8",
                    "vpmaddwd ymm7, ymm9, ymm8",
                    "mov {c}, [{s} + 144]",
                    "dec {c}",
                    "jz 4f",
                    // The others, added.
                    "3:",
                    "add {wp}, 16",
                    "add {w4}, 16",
                    "add {xp}, [{s} + 152]",
                    "vmovdqu ymm8, [{xp}]",
                    "vpmovsxbw ymm9, xmmword ptr [{wp}]",
                    "vpmovsxbw ymm10, xmmword ptr [{wp} + {st}]",
                    "vpmovsxbw ymm11, xmmword ptr [{wp} + {st} * 2]",
                    "vpmovsxbw ymm12, xmmword ptr [{wp} + {st3}]",
                    madd!($isa, "ymm0", "ymm9", "ymm8", "ymm9"),
                    madd!($isa, "ymm1", "ymm10", "ymm8", "ymm10"),
                    madd!($isa, "ymm2", "ymm11", "ymm8", "ymm11"),
                    madd!($isa, "ymm3", "ymm12", "ymm8", "ymm12"),
                    "vpmovsxbw ymm13, xmmword ptr [{w4}]",
                    "vpmovsxbw ymm14, xmmword ptr [{w4} + {st}]",
                    "vpmovsxbw ymm15, xmmword ptr [{w4} + {st} * 2]",
                    "vpmovsxbw ymm9, xmmword ptr [{w4} + {st3}]",
                    madd!($isa, "ymm4", "ymm13", "ymm8", "ymm13"),
                    madd!($isa, "ymm5", "ymm14", "ymm8", "ymm14"),
                    madd!($isa, "ymm6", "ymm15", "ymm8", "ymm15"),
                    madd!($isa, "ymm7", "ymm9", "ymm8", "ymm9"),
                    "dec {c}",
                    "jnz 3b",
                    "4:",
                    // The eight rows' lanes across: [r0..r3 | r4..r7] in ymm0.
                    "vphaddd ymm0, ymm0, ymm1",
                    "vphaddd ymm2, ymm2, ymm3",
                    "vphaddd ymm4, ymm4, ymm5",
                    "vphaddd ymm6, ymm6, ymm7",
                    "vphaddd ymm0, ymm0, ymm2",
                    "vphaddd ymm4, ymm4, ymm6",
                    "vperm2i128 ymm1, ymm0, ymm4, 0x20",
                    "vperm2i128 ymm2, ymm0, ymm4, 0x31",
                    "vpaddd ymm0, ymm1, ymm2",
                    // acc = sum + bias, then acc * scale + half, floored, clamped.
                    "vcvtdq2pd ymm1, xmm0",
                    "vextracti128 xmm2, ymm0, 1",
                    "vcvtdq2pd ymm2, xmm2",
                    "vcvtdq2pd ymm3, xmmword ptr [{b}]",
                    "vcvtdq2pd ymm4, xmmword ptr [{b} + 16]",
                    "vaddpd ymm1, ymm1, ymm3",
                    "vaddpd ymm2, ymm2, ymm4",
                    "vmulpd ymm1, ymm1, [{s}]",
                    "vmulpd ymm2, ymm2, [{s}]",
                    "vaddpd ymm1, ymm1, [{s} + 32]",
                    "vaddpd ymm2, ymm2, [{s} + 32]",
                    "vroundpd ymm1, ymm1, 9",
                    "vroundpd ymm2, ymm2, 9",
                    "vmaxpd ymm1, ymm1, [{s} + 64]",
                    "vmaxpd ymm2, ymm2, [{s} + 64]",
                    "vminpd ymm1, ymm1, [{s} + 96]",
                    "vminpd ymm2, ymm2, [{s} + 96]",
                    "vcvttpd2dq xmm1, ymm1",
                    "vcvttpd2dq xmm2, ymm2",
                    // Eight words (in range: the pack cannot saturate), the floor.
                    "vpackssdw xmm1, xmm1, xmm2",
                    "vpmaxsw xmm1, xmm1, [{s} + 128]",
                    "vmovdqu [{y}], xmm1",
                    "add {b}, 32",
                    "add {y}, 16",
                    "lea {w}, [{w} + {st} * 8]",
                    "dec {g}",
                    "jnz 2b",
                    "vzeroupper",
                    w = inout(reg) w => _,
                    st = in(reg) n,
                    st3 = out(reg) _,
                    wp = out(reg) _,
                    w4 = out(reg) _,
                    x = in(reg) x,
                    xp = out(reg) _,
                    c = out(reg) _,
                    b = inout(reg) b => _,
                    y = inout(reg) y => _,
                    s = in(reg) core::ptr::from_ref(s),
                    g = inout(reg) groups => _,
                    options(nostack),
                );
            }
        }
    };
}

short_kernel!(rows_avx2, avx2);
short_kernel!(rows_vnni, vnni);

// The block's offsets, and the alignment its full-width memory operands need.
const _: () = {
    assert!(core::mem::align_of::<Short>() == 32);
    assert!(core::mem::offset_of!(Short, scale) == 0);
    assert!(core::mem::offset_of!(Short, half) == 32);
    assert!(core::mem::offset_of!(Short, min) == 64);
    assert!(core::mem::offset_of!(Short, max) == 96);
    assert!(core::mem::offset_of!(Short, floor) == 128);
    assert!(core::mem::offset_of!(Short, passes) == 144);
    assert!(core::mem::offset_of!(Short, step) == 152);
};
