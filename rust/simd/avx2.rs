// SPDX-License-Identifier: GPL-2.0

//! The AVX2 kernels: the exact dot products of `fixed::dot`, for one input and for four,
//! with inputs split into bytes and products summed in `i32` lanes.
//!
//! Why `asm!`: the x86-64 Rust kernel target is soft-float, so `#[target_feature]` cannot
//! turn AVX2 on for one function (rust-lang/rust#136540), and a C object would need its
//! own flags and a call per row. An `asm!` block builds the same in the module and on the
//! host (`tools/pure`), so `cargo test` and `make bench` check and time the very
//! instructions the module runs. The caller guarantees the CPU has AVX2 and, in the
//! kernel, that the FPU is held (`kernel_fpu_begin`): the gate in `super` decides that.
//!
//! The idea. Write each input value as `x = 256 * h + l` with `h = x >> 8` (-128..127)
//! and `l = x & 255` (0..255). Then `w . x = 256 * (w . h) + (w . l)`, and the products
//! `w * h` and `w * l` are small: a `vpmaddwd` pair sum of them is below `2 * 32768 * 255
//! < 2^24` in magnitude, so [`FLUSH`] (128) passes of them add up in an `i32` lane with no
//! overflow (`128 * 2^24 = 2^31`, and the bound is strict). The lanes are widened to
//! `i64` once per [`FLUSH`] passes, not once per pass, and the result is exact for every
//! `i16` weight and input, `-32768` included.
//!
//! The cost. An input is split once per layer ([`split`]: `O(inputs)`), then each pass
//! of 16 values of a row is one load of weights and two `vpmaddwd` and two `vpaddd`:
//! about 4 vector operations per 16 products, against about 10 for a kernel that widens
//! every pass to `i64` (this file's first version). The batch kernel [`dot4_split`]
//! loads each pass of weights once for four inputs, so that a batch reads the weights a
//! quarter as often: the difference between streaming a 2 MiB layer from L3 for every
//! input and computing from registers.
//!
//! The split layout: per pass of [`PASS`] values, the `h` of the 16 values, then their
//! `l`; for four inputs ([`split4`]), the four inputs' `h` and `l` of the pass in turn,
//! so that one pointer walks it. The last pass is padded with zeros: a row whose length
//! is not a multiple of 16 runs whole passes too, reading the first values of the next
//! row (which the zeros cancel), so that no row but the layer's last has a scalar tail.
//! The last row, whose next values would be past the weights, sums its last values as
//! the scalar reference does.
//!
//! Only `core`: the host crate builds this file too.

use crate::pure::fixed::dot;
use crate::pure::forward::{DenseLayer, ShapeError};

/// Values per pass of the vector loops.
pub const PASS: usize = 16;

/// Passes summed in `i32` lanes before they are widened (see the module comment).
pub const FLUSH: usize = 128;

/// Passes of a row of `n` values, the last one padded.
const fn passes(n: usize) -> usize {
    n.div_ceil(PASS)
}

/// The length of the split of one input of `n` values: two values per value, in whole
/// passes.
pub const fn split_len(n: usize) -> usize {
    2 * PASS * passes(n)
}

/// Splits `x` into `out` (at least [`split_len`] of `x.len()`; a shorter `out` gets the
/// passes that fit), the last pass padded with zeros.
///
/// Index loops rather than zipped `chunks_exact`: the zip's length is a division that
/// objtool, in the module, reports as falling through.
pub fn split(x: &[i16], out: &mut [i16]) {
    let passes = passes(x.len()).min(out.len() / (2 * PASS));
    for p in 0..passes {
        for i in 0..PASS {
            let v = x.get(p * PASS + i).copied().unwrap_or(0);
            // PANIC: `p < passes`, so `(2 * p + 1) * PASS + i < out.len()`.
            out[2 * p * PASS + i] = v >> 8;
            out[(2 * p + 1) * PASS + i] = v & 0xff;
        }
    }
}

/// Splits four inputs of one length into `out` (at least four times [`split_len`]; a
/// shorter `out` gets the passes that fit), interleaved by pass, the last padded.
pub fn split4(xs: [&[i16]; 4], out: &mut [i16]) {
    let n = xs.iter().map(|x| x.len()).min().unwrap_or(0);
    let passes = passes(n).min(out.len() / (8 * PASS));
    for p in 0..passes {
        for (k, x) in xs.iter().enumerate() {
            let at = (4 * p + k) * 2 * PASS;
            let end = ((p + 1) * PASS).min(n);
            // PANIC: `p * PASS < n` (`p < passes(n)`), `end <= n <= x.len()`, and
            // `at + 2 * PASS <= 8 * PASS * passes <= out.len()`.
            split(&x[p * PASS..end], &mut out[at..at + 2 * PASS]);
        }
    }
}

/// How many passes of a row of `n` values the vector loop runs, if the weights from the
/// row's start hold `avail` values and the split `s_len`: every pass, the last padded,
/// when the padded pass stays within the weights; else the full ones (the rest is the
/// scalar tail).
fn vector_passes(n: usize, avail: usize, s_len: usize, per_pass: usize) -> usize {
    let all = if passes(n) * PASS <= avail {
        passes(n)
    } else {
        n / PASS
    };
    all.min(s_len / per_pass)
}

/// `fixed::dot(&weights[..n], x, bias)` with `n = x.len()`, bit for bit, from `s`, the
/// [`split`] of `x`.
///
/// `weights` starts at the row and may go on past it (the layer's next rows): the last,
/// padded pass reads up to 15 values beyond the row, which the zeros of the split cancel,
/// and only where `weights` holds them; otherwise the row's last values are summed as the
/// scalar reference sums them. A `weights` shorter than `x` sums over the shorter.
///
/// # Safety
///
/// The CPU has AVX2, and in the kernel the caller holds the FPU (between
/// `kernel_fpu_begin` and `kernel_fpu_end`), with nothing in between that sleeps.
#[inline]
pub unsafe fn dot_split(weights: &[i16], x: &[i16], s: &[i16], bias: i32) -> i64 {
    let n = weights.len().min(x.len());
    let passes = vector_passes(n, weights.len(), s.len(), 2 * PASS);
    let mut acc = 0i64;
    let mut p = 0;
    while p < passes {
        let m = (passes - p).min(FLUSH);
        // SAFETY: passes `p..p + m` are within `weights` (`(p + m) * PASS <= weights.len()`
        // by `vector_passes`) and `s` (`(p + m) * 2 * PASS <= s.len()`); the caller
        // guarantees AVX2 and the FPU.
        acc += unsafe {
            block(
                weights.as_ptr().add(p * PASS),
                s.as_ptr().add(p * 2 * PASS),
                m,
            )
        };
        p += m;
    }
    let done = (passes * PASS).min(n);
    // PANIC: `done <= n <= len()` of both.
    acc + dot(&weights[done..n], &x[done..n], bias)
}

/// `256 * (w . h) + (w . l)` over `m` passes (`1..=FLUSH`) of `w` and split `s`.
///
/// # Safety
///
/// `w` has `m * PASS` values and `s` `m * 2 * PASS`; AVX2 and the FPU as for
/// [`dot_split`].
#[inline]
unsafe fn block(w: *const i16, s: *const i16, m: usize) -> i64 {
    let sum: i64;
    // SAFETY: the loop reads `m` passes of 32 bytes of `w` and 64 of `s`, which the
    // caller guarantees; every register written is an operand or a clobber, and the
    // block uses no stack.
    unsafe {
        core::arch::asm!(
            // Two passes per iteration into two pairs of lanes (ymm0/1 and ymm4/5); an odd
            // count runs one pass first.
            "vpxor ymm0, ymm0, ymm0",
            "vpxor ymm1, ymm1, ymm1",
            "vpxor ymm4, ymm4, ymm4",
            "vpxor ymm5, ymm5, ymm5",
            "test {m}, 1",
            "jz 3f",
            "vmovdqu ymm2, [{w}]",
            "vpmaddwd ymm0, ymm2, [{s}]",
            "vpmaddwd ymm1, ymm2, [{s} + 32]",
            "add {w}, 32",
            "add {s}, 64",
            "3:",
            "shr {m}, 1",
            "jz 4f",
            "2:",
            "vmovdqu ymm2, [{w}]",
            "vmovdqu ymm6, [{w} + 32]",
            "vpmaddwd ymm3, ymm2, [{s}]",
            "vpmaddwd ymm2, ymm2, [{s} + 32]",
            "vpmaddwd ymm7, ymm6, [{s} + 64]",
            "vpmaddwd ymm6, ymm6, [{s} + 96]",
            "vpaddd ymm0, ymm0, ymm3",
            "vpaddd ymm1, ymm1, ymm2",
            "vpaddd ymm4, ymm4, ymm7",
            "vpaddd ymm5, ymm5, ymm6",
            "add {w}, 64",
            "add {s}, 128",
            "dec {m}",
            "jnz 2b",
            "4:",
            // Each pair's lanes hold at most FLUSH passes between them: no overflow.
            "vpaddd ymm0, ymm0, ymm4",
            "vpaddd ymm1, ymm1, ymm5",
            // 256 * (the h lanes, widened) + (the l lanes, widened), summed.
            "vpmovsxdq ymm2, xmm0",
            "vextracti128 xmm0, ymm0, 1",
            "vpmovsxdq ymm0, xmm0",
            "vpaddq ymm0, ymm0, ymm2",
            "vpsllq ymm0, ymm0, 8",
            "vpmovsxdq ymm2, xmm1",
            "vextracti128 xmm1, ymm1, 1",
            "vpmovsxdq ymm1, xmm1",
            "vpaddq ymm1, ymm1, ymm2",
            "vpaddq ymm0, ymm0, ymm1",
            "vextracti128 xmm1, ymm0, 1",
            "vpaddq xmm0, xmm0, xmm1",
            "vpshufd xmm1, xmm0, 0x4e",
            "vpaddq xmm0, xmm0, xmm1",
            "vmovq {sum}, xmm0",
            "vzeroupper",
            w = inout(reg) w => _,
            s = inout(reg) s => _,
            m = inout(reg) m => _,
            sum = out(reg) sum,
            out("ymm0") _,
            out("ymm1") _,
            out("ymm2") _,
            out("ymm3") _,
            out("ymm4") _,
            out("ymm5") _,
            out("ymm6") _,
            out("ymm7") _,
            // `vzeroupper` clears the upper halves of all sixteen.
            out("ymm8") _,
            out("ymm9") _,
            out("ymm10") _,
            out("ymm11") _,
            out("ymm12") _,
            out("ymm13") _,
            out("ymm14") _,
            out("ymm15") _,
            options(nostack, readonly),
        );
    }
    sum
}

/// `fixed::dot(&weights[..n], x_k, bias)` for four inputs `xs` of one length `n`, from
/// `s`, their [`split4`]: one load of each pass of weights for all four. `weights` may go
/// on past the row, as for [`dot_split`].
///
/// # Safety
///
/// As [`dot_split`].
#[inline]
pub unsafe fn dot4_split(weights: &[i16], xs: [&[i16]; 4], s: &[i16], bias: i32) -> [i64; 4] {
    let n = xs.iter().fold(weights.len(), |n, x| n.min(x.len()));
    let passes = vector_passes(n, weights.len(), s.len(), 8 * PASS);
    let mut acc = [0i64; 4];
    let mut p = 0;
    while p < passes {
        let m = (passes - p).min(FLUSH);
        let mut lanes = [0i64; 16];
        // SAFETY: passes `p..p + m` are within `weights` and `s` (as in `dot_split`, with
        // 8 values of `s` per value); `lanes` is 128 bytes; AVX2 and the FPU as the
        // caller guarantees.
        unsafe {
            block4(
                weights.as_ptr().add(p * PASS),
                s.as_ptr().add(p * 8 * PASS),
                m,
                &mut lanes,
            )
        };
        for (k, a) in acc.iter_mut().enumerate() {
            // PANIC: `4 * k + 3 < 16` for `k < 4`.
            *a += lanes[4 * k] + lanes[4 * k + 1] + lanes[4 * k + 2] + lanes[4 * k + 3];
        }
        p += m;
    }
    let done = (passes * PASS).min(n);
    // PANIC: `done <= n <= len()` of every slice.
    core::array::from_fn(|k| acc[k] + dot(&weights[done..n], &xs[k][done..n], bias))
}

/// [`block`] for four inputs: `lanes[4k..4k + 4]` sum to input `k`'s part.
///
/// # Safety
///
/// `w` has `m * PASS` values and `s` `m * 8 * PASS` (`1 <= m <= FLUSH`); AVX2 and the
/// FPU as for [`dot_split`].
#[inline]
unsafe fn block4(w: *const i16, s: *const i16, m: usize, lanes: &mut [i64; 16]) {
    // Widens the h lanes of input k (ymm 2k) and its l lanes (ymm 2k + 1) into
    // 256 * h + l as four i64 lanes, and stores them at lanes[4k..].
    macro_rules! widen {
        ($h:literal, $l:literal, $off:literal) => {
            concat!(
                "vpmovsxdq ymm9, xmm",
                $h,
                "\n",
                "vextracti128 xmm",
                $h,
                ", ymm",
                $h,
                ", 1\n",
                "vpmovsxdq ymm",
                $h,
                ", xmm",
                $h,
                "\n",
                "vpaddq ymm",
                $h,
                ", ymm",
                $h,
                ", ymm9\n",
                "vpsllq ymm",
                $h,
                ", ymm",
                $h,
                ", 8\n",
                "vpmovsxdq ymm9, xmm",
                $l,
                "\n",
                "vextracti128 xmm",
                $l,
                ", ymm",
                $l,
                ", 1\n",
                "vpmovsxdq ymm",
                $l,
                ", xmm",
                $l,
                "\n",
                "vpaddq ymm",
                $l,
                ", ymm",
                $l,
                ", ymm9\n",
                "vpaddq ymm",
                $h,
                ", ymm",
                $h,
                ", ymm",
                $l,
                "\n",
                "vmovdqu [{lanes} + ",
                $off,
                "], ymm",
                $h,
                "\n",
            )
        };
    }
    // SAFETY: the loop reads `m` passes of 32 bytes of `w` and 256 of `s`, which the
    // caller guarantees, and the stores write the 128 bytes of `lanes`; every register
    // written is an operand or a clobber, and the block uses no stack.
    unsafe {
        core::arch::asm!(
            "vpxor ymm0, ymm0, ymm0",
            "vpxor ymm1, ymm1, ymm1",
            "vpxor ymm2, ymm2, ymm2",
            "vpxor ymm3, ymm3, ymm3",
            "vpxor ymm4, ymm4, ymm4",
            "vpxor ymm5, ymm5, ymm5",
            "vpxor ymm6, ymm6, ymm6",
            "vpxor ymm7, ymm7, ymm7",
            "2:",
            "vmovdqu ymm8, [{w}]",
            "vpmaddwd ymm9, ymm8, [{s}]",
            "vpaddd ymm0, ymm0, ymm9",
            "vpmaddwd ymm9, ymm8, [{s} + 32]",
            "vpaddd ymm1, ymm1, ymm9",
            "vpmaddwd ymm9, ymm8, [{s} + 64]",
            "vpaddd ymm2, ymm2, ymm9",
            "vpmaddwd ymm9, ymm8, [{s} + 96]",
            "vpaddd ymm3, ymm3, ymm9",
            "vpmaddwd ymm9, ymm8, [{s} + 128]",
            "vpaddd ymm4, ymm4, ymm9",
            "vpmaddwd ymm9, ymm8, [{s} + 160]",
            "vpaddd ymm5, ymm5, ymm9",
            "vpmaddwd ymm9, ymm8, [{s} + 192]",
            "vpaddd ymm6, ymm6, ymm9",
            "vpmaddwd ymm9, ymm8, [{s} + 224]",
            "vpaddd ymm7, ymm7, ymm9",
            "add {w}, 32",
            "add {s}, 256",
            "dec {m}",
            "jnz 2b",
            widen!("0", "1", "0"),
            widen!("2", "3", "32"),
            widen!("4", "5", "64"),
            widen!("6", "7", "96"),
            "vzeroupper",
            w = inout(reg) w => _,
            s = inout(reg) s => _,
            m = inout(reg) m => _,
            lanes = in(reg) lanes.as_mut_ptr(),
            out("ymm0") _,
            out("ymm1") _,
            out("ymm2") _,
            out("ymm3") _,
            out("ymm4") _,
            out("ymm5") _,
            out("ymm6") _,
            out("ymm7") _,
            out("ymm8") _,
            out("ymm9") _,
            // `vzeroupper` clears the upper halves of all sixteen.
            out("ymm10") _,
            out("ymm11") _,
            out("ymm12") _,
            out("ymm13") _,
            out("ymm14") _,
            out("ymm15") _,
            options(nostack),
        );
    }
}

/// Splits a block of one to four inputs (of the layer's length) into `split`, once per
/// layer: four by [`split4`], fewer each by [`split`] in turn.
///
/// # Errors
///
/// [`ShapeError`] if `split` is shorter than four [`split_len`] of the inputs.
pub fn split_block(xs: &[&[i16]], split_to: &mut [i16]) -> Result<(), ShapeError> {
    let n = xs.first().map_or(0, |x| x.len());
    let len = split_len(n);
    if xs.len() > 4 || xs.iter().any(|x| x.len() != n) {
        return Err(ShapeError);
    }
    let out = split_to.get_mut(..4 * len).ok_or(ShapeError)?;
    match *xs {
        [a, b, c, d] => split4([a, b, c, d], out),
        _ => {
            for (j, x) in xs.iter().enumerate() {
                // PANIC: `(j + 1) * len <= 4 * len` for the at most three inputs here.
                split(x, &mut out[j * len..(j + 1) * len]);
            }
        }
    }
    Ok(())
}

/// Rows `first..first + ys[k].len()` of the layer for each input of the block, by the
/// AVX2 kernels, from `split`, the block's [`split_block`]: the batch kernel for four
/// inputs, the one-input kernel for fewer. The same bits as the scalar path.
///
/// # Errors
///
/// [`ShapeError`] as [`DenseLayer::forward_rows`] (nothing is written).
///
/// # Safety
///
/// The CPU has AVX2, and in the kernel the caller holds the FPU.
pub unsafe fn block_rows(
    layer: &DenseLayer<'_>,
    xs: &[&[i16]],
    split: &[i16],
    first: usize,
    ys: &mut [&mut [i16]],
) -> Result<(), ShapeError> {
    let len = split_len(layer.inputs);
    // Every input and output checked before any is written.
    let n = ys.first().map_or(0, |y| y.len());
    if xs.len() != ys.len()
        || xs.iter().any(|x| x.len() != layer.inputs)
        || ys.iter().any(|y| y.len() != n)
        || split.len() < xs.len() * len
    {
        return Err(ShapeError);
    }
    if let ([a, b, c, d], [y0, y1, y2, y3]) = (xs, &mut *ys) {
        let s = split.get(..4 * len).ok_or(ShapeError)?;
        let xs = [*a, *b, *c, *d];
        // SAFETY: the caller guarantees AVX2 and the FPU.
        return layer.forward_rows4(xs, first, [y0, y1, y2, y3], |w, bias| unsafe {
            dot4_split(w, xs, s, bias)
        });
    }
    for (j, (x, y)) in xs.iter().zip(ys.iter_mut()).enumerate() {
        let s = split.get(j * len..(j + 1) * len).ok_or(ShapeError)?;
        // SAFETY: as above.
        layer.forward_rows(x, first, y, |w, x, bias| unsafe {
            dot_split(w, x, s, bias)
        })?;
    }
    Ok(())
}
