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

use super::requant::Finish;
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

/// `asm::vector_passes_of` with this file's [`PASS`]: the passes the vector loop runs
/// for a row of `n` values, weights of `avail` and a split of `s_len` (`per_pass` a pass).
fn vector_passes(n: usize, avail: usize, s_len: usize, per_pass: usize) -> usize {
    super::asm::vector_passes_of(PASS, n, avail, s_len, per_pass)
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
        asm_ymm!(
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
            hsum_q!(),
            "vzeroupper",
            w = inout(reg) w => _,
            s = inout(reg) s => _,
            m = inout(reg) m => _,
            sum = out(reg) sum,
            options(nostack, readonly),
        );
    }
    sum
}

/// Passes a chunk of the four-sum kernels adds up in `i32` lanes before it widens them:
/// the sums of all eight lanes of a chunk of 16 passes are below `2^31` in magnitude
/// (`128` pair sums of at most `2 * 32768 * 255 < 2^24` each, `2139095040` in all), so
/// the four sums of a chunk are reduced across lanes in `i32` (`vphaddd`) and widened to
/// `i64` once, four sums at a time, rather than lane by lane as [`block`] does.
pub const CHUNK: usize = 16;

/// Reduces the eight `i32` lane sums of four sums (the `h` lanes in ymm0..3, the `l`
/// lanes in ymm4..7) to `256 * h + l` as four `i64`, added to ymm13. Clobbers ymm0..7.
macro_rules! reduce4 {
    () => {
        concat!(
            "vphaddd ymm0, ymm0, ymm1\n",
            "vphaddd ymm2, ymm2, ymm3\n",
            "vphaddd ymm4, ymm4, ymm5\n",
            "vphaddd ymm6, ymm6, ymm7\n",
            "vphaddd ymm0, ymm0, ymm2\n",
            "vphaddd ymm4, ymm4, ymm6\n",
            "vextracti128 xmm1, ymm0, 1\n",
            "vextracti128 xmm5, ymm4, 1\n",
            "vpaddd xmm0, xmm0, xmm1\n",
            "vpaddd xmm4, xmm4, xmm5\n",
            "vpmovsxdq ymm0, xmm0\n",
            "vpmovsxdq ymm4, xmm4\n",
            "vpsllq ymm0, ymm0, 8\n",
            "vpaddq ymm13, ymm13, ymm0\n",
            "vpaddq ymm13, ymm13, ymm4\n",
        )
    };
}

/// Zeroes the lane sums ymm0..7 for a chunk.
macro_rules! zero8 {
    () => {
        concat!(
            zero4!(),
            "vpxor ymm4, ymm4, ymm4\n",
            "vpxor ymm5, ymm5, ymm5\n",
            "vpxor ymm6, ymm6, ymm6\n",
            "vpxor ymm7, ymm7, ymm7\n",
        )
    };
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
    if passes > 0 {
        // SAFETY: passes `0..passes` are within `weights` and `s` (as in `dot_split`, with
        // 8 values of `s` per value); `acc` is 32 bytes; AVX2 and the FPU as the caller
        // guarantees.
        unsafe { block4(weights.as_ptr(), s.as_ptr(), passes, &mut acc) };
    }
    let done = (passes * PASS).min(n);
    // PANIC: `done <= n <= len()` of every slice.
    core::array::from_fn(|k| acc[k] + dot(&weights[done..n], &xs[k][done..n], bias))
}

/// The four sums `256 * (w . h_k) + (w . l_k)` over `passes` (at least 1) passes of one
/// row `w` and the [`split4`] `s` of four inputs, into `out`, in chunks of [`CHUNK`].
///
/// # Safety
///
/// `w` has `passes * PASS` values and `s` `passes * 8 * PASS`, `passes >= 1`; AVX2 and
/// the FPU as for [`dot_split`].
#[inline]
unsafe fn block4(w: *const i16, s: *const i16, passes: usize, out: &mut [i64; 4]) {
    // SAFETY: the loop reads `passes` passes of 32 bytes of `w` and 256 of `s`, which the
    // caller guarantees, and the store writes the 32 bytes of `out`; every register
    // written is an operand or a clobber, and the block uses no stack.
    unsafe {
        asm_ymm!(
            "vpxor ymm13, ymm13, ymm13",
            "5:",
            next_chunk!(),
            zero8!(),
            "2:",
            "vmovdqu ymm8, [{w}]",
            "vpmaddwd ymm9, ymm8, [{s}]",
            "vpmaddwd ymm10, ymm8, [{s} + 32]",
            "vpmaddwd ymm11, ymm8, [{s} + 64]",
            "vpmaddwd ymm12, ymm8, [{s} + 96]",
            "vpaddd ymm0, ymm0, ymm9",
            "vpaddd ymm4, ymm4, ymm10",
            "vpaddd ymm1, ymm1, ymm11",
            "vpaddd ymm5, ymm5, ymm12",
            "vpmaddwd ymm9, ymm8, [{s} + 128]",
            "vpmaddwd ymm10, ymm8, [{s} + 160]",
            "vpmaddwd ymm11, ymm8, [{s} + 192]",
            "vpmaddwd ymm12, ymm8, [{s} + 224]",
            "vpaddd ymm2, ymm2, ymm9",
            "vpaddd ymm6, ymm6, ymm10",
            "vpaddd ymm3, ymm3, ymm11",
            "vpaddd ymm7, ymm7, ymm12",
            "add {w}, 32",
            "add {s}, 256",
            "dec {c}",
            "jnz 2b",
            reduce4!(),
            "test {p}, {p}",
            "jnz 5b",
            "vmovdqu [{out}], ymm13",
            "vzeroupper",
            w = inout(reg) w => _,
            s = inout(reg) s => _,
            p = inout(reg) passes => _,
            c = out(reg) _,
            chunk = const CHUNK,
            out = in(reg) out.as_mut_ptr(),
            options(nostack),
        );
    }
}

/// The sums (without bias) of four rows of `n` values with one input, from `s`, its
/// [`split`]: the rows start at `weights[0]`, `weights[n]`, `weights[2n]` and
/// `weights[3n]`, and each pass of the split is loaded once for the four. Every row runs
/// whole passes, the last padded (the zeros of the split cancel the values past a row);
/// `None` where the fourth row's padded pass would read past `weights`, or `s` is too
/// short: then the caller sums those rows by [`dot_split`].
///
/// # Safety
///
/// As [`dot_split`].
#[inline]
pub unsafe fn rows4_split(weights: &[i16], n: usize, s: &[i16]) -> Option<[i64; 4]> {
    let mut out = [0i64; 4];
    // SAFETY: as the caller guarantees.
    unsafe { rows4_split_to(weights, n, s, &mut out) }.then_some(out)
}

/// [`rows4_split`] into `out`, which the caller reads in place (returned by value, the
/// sums would be copied in two halves, and a 32-byte load of the copy cannot take them
/// from the store buffer: a stall of some 15 cycles each four rows). False, and `out`
/// untouched, where [`rows4_split`] gives `None`.
///
/// # Safety
///
/// As [`dot_split`].
#[inline]
pub unsafe fn rows4_split_to(weights: &[i16], n: usize, s: &[i16], out: &mut [i64; 4]) -> bool {
    let passes = passes(n);
    let Some(reach) = n.checked_mul(3).and_then(|r| r.checked_add(passes * PASS)) else {
        return false;
    };
    if reach > weights.len() || s.len() < passes * 2 * PASS {
        return false;
    }
    *out = [0; 4];
    if passes > 0 {
        // SAFETY: the four rows' passes are within `weights` (`3n + passes * PASS <=
        // weights.len()`, checked above) and the split's within `s`; AVX2 and the FPU as
        // the caller guarantees.
        unsafe { rows4(weights.as_ptr(), 2 * n, s.as_ptr(), passes, out) };
    }
    true
}

/// The four sums `256 * (w_r . h) + (w_r . l)` of rows `w`, `w + stride`, `w + 2 *
/// stride` and `w + 3 * stride` (`stride` in bytes) over `passes` (at least 1) passes of
/// the [`split`] `s`, into `out`, in chunks of [`CHUNK`].
///
/// # Safety
///
/// Each row has `passes * PASS` values from its start, `s` has `passes * 2 * PASS`,
/// `passes >= 1`; AVX2 and the FPU as for [`dot_split`].
#[inline]
unsafe fn rows4(w: *const i16, stride: usize, s: *const i16, passes: usize, out: &mut [i64; 4]) {
    // SAFETY: the loop reads `passes` passes of 32 bytes of each row and 64 of `s`, which
    // the caller guarantees, and the store writes the 32 bytes of `out`; every register
    // written is an operand or a clobber, and the block uses no stack.
    unsafe {
        asm_ymm!(
            "lea {st3}, [{st} + {st} * 2]",
            "vpxor ymm13, ymm13, ymm13",
            "5:",
            next_chunk!(),
            zero8!(),
            "2:",
            "vmovdqu ymm8, [{s}]",
            "vmovdqu ymm9, [{s} + 32]",
            "vmovdqu ymm10, [{w}]",
            "vmovdqu ymm14, [{w} + {st}]",
            "vpmaddwd ymm11, ymm10, ymm8",
            "vpmaddwd ymm12, ymm10, ymm9",
            "vpmaddwd ymm15, ymm14, ymm8",
            "vpmaddwd ymm14, ymm14, ymm9",
            "vpaddd ymm0, ymm0, ymm11",
            "vpaddd ymm4, ymm4, ymm12",
            "vpaddd ymm1, ymm1, ymm15",
            "vpaddd ymm5, ymm5, ymm14",
            "vmovdqu ymm10, [{w} + {st} * 2]",
            "vmovdqu ymm14, [{w} + {st3}]",
            "vpmaddwd ymm11, ymm10, ymm8",
            "vpmaddwd ymm12, ymm10, ymm9",
            "vpmaddwd ymm15, ymm14, ymm8",
            "vpmaddwd ymm14, ymm14, ymm9",
            "vpaddd ymm2, ymm2, ymm11",
            "vpaddd ymm6, ymm6, ymm12",
            "vpaddd ymm3, ymm3, ymm15",
            "vpaddd ymm7, ymm7, ymm14",
            "add {w}, 32",
            "add {s}, 64",
            "dec {c}",
            "jnz 2b",
            reduce4!(),
            "test {p}, {p}",
            "jnz 5b",
            "vmovdqu [{out}], ymm13",
            "vzeroupper",
            w = inout(reg) w => _,
            st = in(reg) stride,
            st3 = out(reg) _,
            s = inout(reg) s => _,
            p = inout(reg) passes => _,
            c = out(reg) _,
            chunk = const CHUNK,
            out = in(reg) out.as_mut_ptr(),
            options(nostack),
        );
    }
}

/// [`split`] by vector instructions: the whole passes of `x` (16 values: `vpsraw` for
/// the high bytes, a mask for the low), the last, partial one as [`split`] does it; the
/// pass of input `k` of a block at `out[k * 2 * PASS..]` and the passes `per_pass` values
/// apart (`2 * PASS` for one input, `8 * PASS` for the four of [`split4`]).
///
/// # Safety
///
/// `per_pass >= 2 * PASS`; AVX2 and the FPU as for [`dot_split`]. (Passes that `out`
/// cannot hold are not written.)
unsafe fn split_fast(x: &[i16], out: &mut [i16], per_pass: usize) {
    let full = x.len() / PASS;
    if full > 0 && (full - 1) * per_pass + 2 * PASS <= out.len() {
        // SAFETY: reads `full` passes of 32 bytes of `x` and writes 64 bytes every
        // `per_pass` values of `out`, within it (checked above); AVX2 and the FPU as the
        // caller guarantees; no stack.
        unsafe {
            asm_ymm!(
                "vpcmpeqw ymm2, ymm2, ymm2",
                "vpsrlw ymm2, ymm2, 8",
                "2:",
                "vmovdqu ymm0, [{x}]",
                "vpand ymm1, ymm0, ymm2",
                "vpsraw ymm0, ymm0, 8",
                "vmovdqu [{o}], ymm0",
                "vmovdqu [{o} + 32], ymm1",
                "add {x}, 32",
                "add {o}, {step}",
                "dec {n}",
                "jnz 2b",
                "vzeroupper",
                x = inout(reg) x.as_ptr() => _,
                o = inout(reg) out.as_mut_ptr() => _,
                n = inout(reg) full => _,
                step = in(reg) 2 * per_pass,
                options(nostack),
            );
        }
    }
    if !x.len().is_multiple_of(PASS) {
        let at = full * per_pass;
        if let Some(o) = out.get_mut(at..at + 2 * PASS) {
            // PANIC: `full * PASS <= x.len()`.
            split(&x[full * PASS..], o);
        }
    }
}

/// The shortest row of a block of four inputs that the four-input kernel
/// ([`dot4_split`], on [`split4`]'s layout) takes; shorter rows run each input by the
/// four-row kernel. On the Intel host (Emerald Rapids) the four-input kernel took twice
/// the time a row on LinnOS's rows of 31 values (2,018 ns a prediction at batch 32,
/// 1,100 at batch 1), 1.2 times on 64 and 1.1 times on 256, and 0.85 on 1,024 (`make
/// bench`, 2026-12-07); on the AMD host of the first runs it was even on short rows.
pub const FOUR_MIN: usize = 512;

/// Whether a block of `k` inputs of `n` values runs on the four-input kernel (and is
/// split in [`split4`]'s layout).
fn four_inputs(k: usize, n: usize) -> bool {
    k == 4 && n >= FOUR_MIN
}

/// Splits a block of one to four inputs (of the layer's length) into `split`, once per
/// layer, by vector instructions: four of rows of at least [`FOUR_MIN`] values as
/// [`split4`] lays them out, others each as [`split`] does in turn.
///
/// # Errors
///
/// [`ShapeError`] if `split` is shorter than one [`split_len`] of the inputs per input.
///
/// # Safety
///
/// As [`dot_split`].
pub unsafe fn split_block(xs: &[&[i16]], split_to: &mut [i16]) -> Result<(), ShapeError> {
    let n = xs.first().map_or(0, |x| x.len());
    let len = split_len(n);
    if xs.len() > 4 || xs.iter().any(|x| x.len() != n) {
        return Err(ShapeError);
    }
    let out = split_to.get_mut(..xs.len() * len).ok_or(ShapeError)?;
    let (step, per) = if four_inputs(xs.len(), n) {
        (2 * PASS, 8 * PASS)
    } else {
        (len, 2 * PASS)
    };
    for (j, x) in xs.iter().enumerate() {
        // PANIC: `j * step < out.len()` for both layouts: four inputs interleaved
        // (`j * step <= 6 * PASS < 4 * len`), fewer one after the other (`j * len`, with
        // `len` left to write).
        // SAFETY: the caller guarantees AVX2 and the FPU.
        unsafe { split_fast(x, &mut out[j * step..], per) };
    }
    Ok(())
}

/// The whole layer for each input of a block of one to four, by the AVX2 kernels: the
/// block's [`split_block`] into `split`, then every row by [`block_rows`].
///
/// # Errors
///
/// [`ShapeError`] as [`split_block`] and [`block_rows`].
///
/// # Safety
///
/// As [`block_rows`].
pub unsafe fn forward_block(
    layer: &DenseLayer<'_>,
    xs: &[&[i16]],
    split: &mut [i16],
    ys: &mut [&mut [i16]],
) -> Result<(), ShapeError> {
    // SAFETY: the caller guarantees AVX2 and the FPU.
    unsafe { split_block(xs, split) }?;
    // SAFETY: as above.
    unsafe { block_rows(layer, xs, split, 0, ys) }
}

/// Rows `first..first + ys[k].len()` of the layer for each input of the block, by the
/// AVX2 kernels, from `split`, the block's [`split_block`]: the batch kernel for four
/// inputs of rows of at least [`FOUR_MIN`] values, the four-row kernel for each input
/// otherwise (and the one-row kernel for the rows left over). The same bits as the scalar
/// path.
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
    // The kernels of this file are the 16x16 format's.
    let weights = layer.weights.wide().ok_or(ShapeError)?;
    // Every input and output checked before any is written.
    let n = ys.first().map_or(0, |y| y.len());
    if xs.len() != ys.len()
        || xs.iter().any(|x| x.len() != layer.inputs)
        || ys.iter().any(|y| y.len() != n)
        || split.len() < xs.len() * len
    {
        return Err(ShapeError);
    }
    let fin = Finish::of(layer);
    if let (true, [a, b, c, d], [y0, y1, y2, y3]) =
        (four_inputs(xs.len(), layer.inputs), xs, &mut *ys)
    {
        let s = split.get(..4 * len).ok_or(ShapeError)?;
        let xs = [*a, *b, *c, *d];
        return layer.forward_rows4(
            weights,
            xs,
            first,
            [y0, y1, y2, y3],
            // SAFETY: the caller guarantees AVX2 and the FPU.
            |w, bias| unsafe { dot4_split(w, xs, s, bias) },
            // SAFETY: as above.
            |acc| unsafe { fin.finish4(layer, acc) },
        );
    }
    for (j, (x, y)) in xs.iter().zip(ys.iter_mut()).enumerate() {
        let s = split.get(j * len..(j + 1) * len).ok_or(ShapeError)?;
        layer.forward_rows_by4(
            weights,
            x,
            first,
            y,
            // SAFETY: as above.
            |w, b| unsafe {
                let mut sums = [0i64; 4];
                rows4_split_to(w, layer.inputs, s, &mut sums)
                    .then(|| fin.finish4_biased(layer, &sums, b))
            },
            // SAFETY: as above.
            |w, x, bias| unsafe { dot_split(w, x, s, bias) },
        )?;
    }
    Ok(())
}
