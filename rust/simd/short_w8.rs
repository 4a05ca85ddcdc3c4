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
//! The sums. A pass's pair sum is at most `2 * 128 * 2^15 = 2^23` in magnitude (every 8-bit
//! weight is at least -128, every input at least -2^15); a lane adds one a pass, and a
//! row is its eight lanes' sum: at most `8 * 31 * 2^23 < 2^31` for 31 passes. So the
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
//! No read past a row. Unlike the other kernels, whose last pass of a row reads up to
//! 15 weights past its end, this one reads each row's last pass ending at the row's
//! end (at `n - 16`), against the input's last 16 values with those of the passes
//! before zeroed (`Short::rows` makes that pass): so rows are at least [`PASS`] long,
//! and every group of eight is within the weights. A piece of rows that is not a
//! multiple of eight ends with a group moved back to end at its last row (its first
//! rows done twice, to the same outputs); a piece of fewer than eight rows is the other
//! kernels'.
//!
//! Only `core`: the host crate builds this file too.

use super::avx2_w8::{passes, Isa, PASS};
use super::requant::activation_steps;
use crate::pure::activation::Activation;
use crate::pure::forward::DenseLayer;

/// The longest row, in passes, of the kernel: the eight lanes of a row's sum stay
/// below `2^31` (above).
pub const MAX_PASSES: usize = 31;

/// Rows a group.
pub const GROUP: usize = 8;

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
    /// Bytes from the start of a row's last full pass to that of its last pass, which
    /// ends at the row's end: `n - 16 * (passes - 1)` (offset 160).
    last: usize,
    /// The last pass of the input: its last 16 values, those of the passes before it
    /// zeroed (offset 192; made by [`Short::rows`] for its input).
    end: Aligned,
    /// Sigmoid or tanh, applied afterwards by the scalar code.
    squash: Option<Activation>,
    /// The layer's inputs, the row length `last` is of.
    inputs: usize,
}

/// Sixteen words on a 32-byte boundary.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(32))]
struct Aligned([i16; PASS]);

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

/// Whether the kernel takes rows of `n` values: at least a pass, at most
/// [`MAX_PASSES`].
pub fn covers(n: usize) -> bool {
    (PASS..=MAX_PASSES * PASS).contains(&n)
}

impl Short {
    /// The constants of `layer`'s rows with the input's passes `step` values apart
    /// ([`PASS`] for one prepared input, `4 * PASS` for four interleaved); `None` if
    /// the rows are shorter than a pass or longer than [`MAX_PASSES`] passes.
    pub fn of(layer: &DenseLayer<'_>, step: usize) -> Option<Self> {
        if !covers(layer.inputs) {
            return None;
        }
        let passes = passes(layer.inputs);
        let r = layer.requant;
        let shift = i32::from(r.shift());
        let (squash, floor) = activation_steps(layer.activation);
        Some(Self {
            scale: [f64_bits(i64::from(r.mult()), -shift); 4],
            half: [if shift == 0 { 0 } else { f64_bits(1, -1) }; 4],
            min: [f64_bits(-32768, 0); 4],
            max: [f64_bits(32767, 0); 4],
            floor: [floor; 8],
            passes,
            step: step * core::mem::size_of::<i16>(),
            last: layer.inputs - PASS * (passes - 1),
            end: Aligned([0; PASS]),
            squash,
            inputs: layer.inputs,
        })
    }

    /// The outputs of the rows of `weights` (row `r` at `weights[r * n..]`, `n` the
    /// layer's inputs) for the prepared input `xp` (pass `p` at `xp[p * step..]`), each
    /// `layer.finish` of its sum and its `bias`, into `out`: every row of `out` if it has
    /// at least eight and `bias` and the weights hold them. Returns the rows done: all or
    /// none.
    ///
    /// # Safety
    ///
    /// The CPU has AVX2 (and for a VNNI `isa` AVX512_VNNI and AVX512VL, with the AVX-512
    /// state saved); in the kernel the caller holds the FPU, with nothing in between that
    /// sleeps.
    pub unsafe fn rows(
        &mut self,
        isa: Isa,
        weights: &[i8],
        n: usize,
        xp: &[i16],
        bias: &[i32],
        out: &mut [i16],
    ) -> usize {
        let rows = out.len();
        // Where the input's last pass starts.
        let at = (self.passes - 1) * (self.step / core::mem::size_of::<i16>());
        // The row length of the constants (at least `PASS`, `Short::of`), the input's
        // passes, the rows' weights and biases.
        if n != self.inputs
            || at + PASS > xp.len()
            || rows < GROUP
            || bias.len() < rows
            || rows.checked_mul(n).is_none_or(|w| w > weights.len())
        {
            return 0;
        }
        // The input's last pass, ending at its last value: `end[i]` is value `n - 16 + i`
        // where that is in the last pass (`i >= d`), else 0. Its 16 values are those of
        // the prepared input from `at - d` (`at >= d`: a row of one pass is 16 values
        // long, `d` 0; with two or more `at` is at least a step, 16), the first `d` then
        // zeroed: a copy of 32 bytes, where a loop of index checks took about 130
        // instructions a call.
        let d = PASS - self.last;
        let Some(src) = at
            .checked_sub(d)
            .and_then(|f| xp.get(f..f + PASS))
            .and_then(|v| <&[i16; PASS]>::try_from(v).ok())
        else {
            return 0;
        };
        self.end.0 = *src;
        for e in self.end.0.iter_mut().take(d) {
            *e = 0;
        }
        let kernel = match isa {
            Isa::Avx2 => rows_avx2,
            Isa::Vnni | Isa::Vnni512 => rows_vnni,
        };
        let groups = rows / GROUP;
        // SAFETY: `groups` groups of eight rows of `n` values (every pass within its row)
        // are within `weights`, the passes within `xp`, eight biases and outputs a group
        // within `bias` and `out` (all checked above); the features and the FPU as the
        // caller guarantees.
        unsafe {
            let (w, b, y) = (weights.as_ptr(), bias.as_ptr(), out.as_mut_ptr());
            kernel(self, w, n, xp.as_ptr(), b, y, groups);
            if !rows.is_multiple_of(GROUP) {
                // The last eight rows, as a group.
                let r = rows - GROUP;
                kernel(self, w.add(r * n), n, xp.as_ptr(), b.add(r), y.add(r), 1);
            }
        }
        if let Some(f) = self.squash {
            for y in out.iter_mut() {
                *y = f.apply(*y);
            }
        }
        rows
    }
}

/// One pass of the eight rows at `{wp}`, `{wp} + {st}`, ..., `{w4} + {st3}` (row `r`
/// at `{w} + r * {st}`, `{w4}` at row 4) against the input's pass in ymm8, into the sums
/// ymm0..7: `first` sets them to the pass's pair sums (`vpmaddwd` saturates only a pair
/// of two products `-32768 * -32768`, which weights of at least -128 never make), `avx2`
/// or `vnni` adds them (`madd`). Clobbers ymm9..15.
macro_rules! pass8 {
    (@lo) => {
        concat!(
            "vpmovsxbw ymm9, xmmword ptr [{wp}]\n",
            "vpmovsxbw ymm10, xmmword ptr [{wp} + {st}]\n",
            "vpmovsxbw ymm11, xmmword ptr [{wp} + {st} * 2]\n",
            "vpmovsxbw ymm12, xmmword ptr [{wp} + {st3}]\n",
        )
    };
    (@hi) => {
        concat!(
            "vpmovsxbw ymm13, xmmword ptr [{w4}]\n",
            "vpmovsxbw ymm14, xmmword ptr [{w4} + {st}]\n",
            "vpmovsxbw ymm15, xmmword ptr [{w4} + {st} * 2]\n",
            "vpmovsxbw ymm9, xmmword ptr [{w4} + {st3}]\n",
        )
    };
    (first) => {
        concat!(
            pass8!(@lo),
            "vpmaddwd ymm0, ymm9, ymm8\n",
            "vpmaddwd ymm1, ymm10, ymm8\n",
            "vpmaddwd ymm2, ymm11, ymm8\n",
            "vpmaddwd ymm3, ymm12, ymm8\n",
            pass8!(@hi),
            "vpmaddwd ymm4, ymm13, ymm8\n",
            "vpmaddwd ymm5, ymm14, ymm8\n",
            "vpmaddwd ymm6, ymm15, ymm8\n",
            "vpmaddwd ymm7, ymm9, ymm8\n",
        )
    };
    ($isa:tt) => {
        concat!(
            pass8!(@lo),
            madd!($isa, "ymm0", "ymm9", "ymm8", "ymm9"),
            madd!($isa, "ymm1", "ymm10", "ymm8", "ymm10"),
            madd!($isa, "ymm2", "ymm11", "ymm8", "ymm11"),
            madd!($isa, "ymm3", "ymm12", "ymm8", "ymm12"),
            pass8!(@hi),
            madd!($isa, "ymm4", "ymm13", "ymm8", "ymm13"),
            madd!($isa, "ymm5", "ymm14", "ymm8", "ymm14"),
            madd!($isa, "ymm6", "ymm15", "ymm8", "ymm15"),
            madd!($isa, "ymm7", "ymm9", "ymm8", "ymm9"),
        )
    };
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
            // SAFETY: reads `groups` groups of eight rows of `n` values from `w` (each
            // pass within its row), the passes of `x`, 32 bytes of `b` a group and `s`'s
            // 224 (`repr(C)`, 32-byte aligned for `vmovdqa`); writes 16 bytes of `y` a
            // group; every register
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
                    pass8!(first),
                    // One pass: done (a row of 16 values).
                    "mov {c}, [{s} + 144]",
                    "dec {c}",
                    "jz 4f",
                    // The full passes after the first, added.
                    "dec {c}",
                    "jz 5f",
                    "3:",
                    "add {wp}, 16",
                    "add {w4}, 16",
                    "add {xp}, [{s} + 152]",
                    "vmovdqu ymm8, [{xp}]",
                    pass8!($isa),
                    "dec {c}",
                    "jnz 3b",
                    // The last pass, ending at each row's end, with the input's end.
                    "5:",
                    "add {wp}, [{s} + 160]",
                    "add {w4}, [{s} + 160]",
                    "vmovdqa ymm8, [{s} + 192]",
                    pass8!($isa),
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
    assert!(core::mem::offset_of!(Short, last) == 160);
    assert!(core::mem::offset_of!(Short, end) == 192);
};
