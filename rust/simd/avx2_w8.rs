// SPDX-License-Identifier: GPL-2.0

//! The AVX2 kernels of the 8-bit weight formats (`16x8` and `8x8`, `pure::format`): the
//! exact sums of `format::dot_16x8` and `format::dot_8x8`, for one input and four rows,
//! and for four inputs and one row.
//!
//! The idea. A layer's input is prepared once ([`prepare_block`]): copied (`16x8`) or
//! narrowed to 8 bits (`8x8`, `format::narrow`, kept in `i16` lanes), padded with zeros
//! to whole passes of [`PASS`] values. Each pass of a row is then 16 weight bytes
//! sign-extended to words (`vpmovsxbw`) and one `vpmaddwd` with the prepared pass: both
//! formats run the same kernels, on inputs of different ranges. A pair sum is below `2 *
//! 127 * 32768 < 2^23` in magnitude, so an `i32` lane holds the 256 pair sums of a row of
//! 4096 values with no overflow (`256 * 2^23 = 2^31`, and the bound is strict): the
//! one-row kernel widens its lanes once, at the end. The four-sum kernels reduce their
//! lanes across (`vphaddd`) once per chunk of [`CHUNK`] passes, whose eight lanes sum to
//! less than `2^31`.
//!
//! The cost against the `16x16` kernels (`avx2.rs`): half the weight bytes stream from
//! memory, and a pass is a load-and-extend, a multiply-add and an add, where the 16-bit
//! format's byte split needs two multiply-adds and two adds.
//!
//! As in `avx2.rs`, the last pass of a row reads up to 15 weights past its end (the next
//! row's, which the padding zeros cancel), where the layer's weights hold them; the
//! layer's last row sums its last values as the scalar reference does.
//!
//! Only `core`: the host crate builds this file too.

use crate::pure::format::{dot_16x8, narrow, Weights};
use crate::pure::forward::{DenseLayer, ShapeError};

/// Values per pass.
pub const PASS: usize = 16;

/// Passes a four-sum chunk adds in `i32` lanes before reducing them across: 32 pair
/// sums a lane, eight lanes, `8 * 32 * 2 * 127 * 32768 < 2^31`.
pub const CHUNK: usize = 32;

/// Passes of `n` values, the last padded.
pub const fn passes(n: usize) -> usize {
    n.div_ceil(PASS)
}

/// The length of the prepared input of `n` values: whole passes.
pub const fn prepared_len(n: usize) -> usize {
    PASS * passes(n)
}

/// The 8-bit weights of a `16x8` or `8x8` layer, and the input shift (`8x8`; `None`
/// for `16x8`, whose inputs are multiplied as they are).
pub fn narrow_weights<'a>(layer: &DenseLayer<'a>) -> Option<(&'a [i8], Option<u8>)> {
    match layer.weights {
        Weights::Narrow(w) => Some((w, None)),
        Weights::Byte { weights, in_shift } => Some((weights, Some(in_shift))),
        Weights::Wide(_) => None,
    }
}

/// Prepares `x` into `out` (at least [`prepared_len`] values; a shorter `out` gets the
/// passes that fit): each value as it is (`shift` `None`) or narrowed by `shift`, the
/// last pass padded with zeros, pass `p` at `out[p * step..]` (`step`: [`PASS`] for one
/// input, `4 * PASS` for the four interleaved of [`prepare_block`], the `k`th of which
/// starts at `out[k * PASS..]`).
pub fn prepare(x: &[i16], shift: Option<u8>, out: &mut [i16], step: usize) {
    let passes = passes(x.len());
    for p in 0..passes {
        let Some(o) = out.get_mut(p * step..p * step + PASS) else {
            return;
        };
        for (i, v) in o.iter_mut().enumerate() {
            let x = x.get(p * PASS + i).copied().unwrap_or(0);
            *v = match shift {
                Some(s) => i16::from(narrow(x, s)),
                None => x,
            };
        }
    }
}

/// Prepares a block of one to four inputs (of the layer's length) into `prep`: four
/// interleaved by pass, fewer one after the other.
///
/// # Errors
///
/// [`ShapeError`] if the layer is not of an 8-bit format, an input's length differs, or
/// `prep` is shorter than a [`prepared_len`] per input.
pub fn prepare_block(
    layer: &DenseLayer<'_>,
    xs: &[&[i16]],
    prep: &mut [i16],
) -> Result<(), ShapeError> {
    let (_, shift) = narrow_weights(layer).ok_or(ShapeError)?;
    let len = prepared_len(layer.inputs);
    if xs.len() > 4 || xs.iter().any(|x| x.len() != layer.inputs) {
        return Err(ShapeError);
    }
    let out = prep.get_mut(..xs.len() * len).ok_or(ShapeError)?;
    if xs.len() == 4 {
        for (k, x) in xs.iter().enumerate() {
            // PANIC: `k * PASS < 4 * PASS <= out.len()`.
            prepare(x, shift, &mut out[k * PASS..], 4 * PASS);
        }
    } else {
        for (x, o) in xs.iter().zip(out.chunks_mut(len)) {
            prepare(x, shift, o, PASS);
        }
    }
    Ok(())
}

/// How many passes of a row of `n` values the vector loop runs if the weights from the
/// row's start hold `avail` values and the prepared input `p_len` (`per_pass` a pass):
/// every pass, the last padded, where the padded pass stays within the weights; else the
/// full ones (the rest is the scalar tail).
pub fn vector_passes(n: usize, avail: usize, p_len: usize, per_pass: usize) -> usize {
    let all = if passes(n) * PASS <= avail {
        passes(n)
    } else {
        n / PASS
    };
    all.min(p_len / per_pass)
}

/// `dot_16x8(&weights[..n], &xp[..n], bias)` with `n` the layer's inputs, bit for bit,
/// `xp` the prepared input ([`prepare_block`] of one input).
///
/// # Safety
///
/// The CPU has AVX2, and in the kernel the caller holds the FPU, with nothing in between
/// that sleeps.
#[inline]
pub unsafe fn dot_w8(weights: &[i8], n: usize, xp: &[i16], bias: i32) -> i64 {
    let n = n.min(weights.len()).min(xp.len());
    let passes = vector_passes(n, weights.len(), xp.len(), PASS);
    let mut acc = 0i64;
    if passes > 0 {
        // SAFETY: `passes * PASS` values of both are in bounds (`vector_passes`); AVX2 and
        // the FPU as the caller guarantees.
        acc = unsafe { block_w8(weights.as_ptr(), xp.as_ptr(), passes) };
    }
    let done = (passes * PASS).min(n);
    // PANIC: `done <= n <= len()` of both.
    acc + dot_16x8(&weights[done..n], &xp[done..n], bias)
}

/// The sum of `passes` passes of weights `w` times prepared input `x`.
///
/// # Safety
///
/// `w` has `passes * PASS` bytes and `x` `passes * PASS` values; AVX2 and the FPU as for
/// [`dot_w8`].
#[inline]
unsafe fn block_w8(w: *const i8, x: *const i16, passes: usize) -> i64 {
    let mut sum = 0i64;
    let mut done = 0;
    while done < passes {
        // 256 passes at most a time: each lane then holds at most 256 pair sums.
        let m = (passes - done).min(256);
        let part: i64;
        // SAFETY: reads `m` passes of 16 bytes of `w` and 32 of `x` from `done`, within
        // what the caller guarantees; every register written is an operand or a clobber;
        // no stack.
        unsafe {
            asm_ymm!(
                "vpxor ymm0, ymm0, ymm0",
                "2:",
                "vpmovsxbw ymm1, xmmword ptr [{w}]",
                "vpmaddwd ymm1, ymm1, [{x}]",
                "vpaddd ymm0, ymm0, ymm1",
                "add {w}, 16",
                "add {x}, 32",
                "dec {m}",
                "jnz 2b",
                "vextracti128 xmm1, ymm0, 1",
                "vpmovsxdq ymm0, xmm0",
                "vpmovsxdq ymm1, xmm1",
                "vpaddq ymm0, ymm0, ymm1",
                "vextracti128 xmm1, ymm0, 1",
                "vpaddq xmm0, xmm0, xmm1",
                "vpshufd xmm1, xmm0, 0x4e",
                "vpaddq xmm0, xmm0, xmm1",
                "vmovq {sum}, xmm0",
                "vzeroupper",
                w = inout(reg) w.add(done * PASS) => _,
                x = inout(reg) x.add(done * PASS) => _,
                m = inout(reg) m => _,
                sum = out(reg) part,
                options(nostack, readonly),
            );
        }
        sum += part;
        done += m;
    }
    sum
}

/// The sums (without bias) of four rows of `n` values with one prepared input `xp`: rows
/// at `weights[0]`, `weights[n]`, `weights[2n]`, `weights[3n]`, each pass of `xp` loaded
/// once for the four; `None` where the fourth row's padded pass would read past
/// `weights` or `xp` is short (the caller then sums those rows by [`dot_w8`]).
///
/// # Safety
///
/// As [`dot_w8`].
#[inline]
pub unsafe fn rows4_w8(weights: &[i8], n: usize, xp: &[i16]) -> Option<[i64; 4]> {
    let passes = passes(n);
    let reach = n.checked_mul(3)?.checked_add(passes * PASS)?;
    if reach > weights.len() || xp.len() < passes * PASS {
        return None;
    }
    let mut out = [0i64; 4];
    if passes > 0 {
        // SAFETY: the four rows' passes are within `weights` (checked above), the input's
        // within `xp`; AVX2 and the FPU as the caller guarantees; `out` is 32 bytes.
        unsafe {
            asm_ymm!(
                "lea {st3}, [{st} + {st} * 2]",
                "vpxor ymm13, ymm13, ymm13",
                "5:",
                next_chunk!(),
                "vpxor ymm0, ymm0, ymm0",
                "vpxor ymm1, ymm1, ymm1",
                "vpxor ymm2, ymm2, ymm2",
                "vpxor ymm3, ymm3, ymm3",
                "2:",
                "vmovdqu ymm8, [{x}]",
                "vpmovsxbw ymm9, xmmword ptr [{w}]",
                "vpmovsxbw ymm10, xmmword ptr [{w} + {st}]",
                "vpmovsxbw ymm11, xmmword ptr [{w} + {st} * 2]",
                "vpmovsxbw ymm12, xmmword ptr [{w} + {st3}]",
                "vpmaddwd ymm9, ymm9, ymm8",
                "vpmaddwd ymm10, ymm10, ymm8",
                "vpmaddwd ymm11, ymm11, ymm8",
                "vpmaddwd ymm12, ymm12, ymm8",
                "vpaddd ymm0, ymm0, ymm9",
                "vpaddd ymm1, ymm1, ymm10",
                "vpaddd ymm2, ymm2, ymm11",
                "vpaddd ymm3, ymm3, ymm12",
                "add {w}, 16",
                "add {x}, 32",
                "dec {c}",
                "jnz 2b",
                reduce4_w8!(),
                "test {p}, {p}",
                "jnz 5b",
                "vmovdqu [{out}], ymm13",
                "vzeroupper",
                w = inout(reg) weights.as_ptr() => _,
                st = in(reg) n,
                st3 = out(reg) _,
                x = inout(reg) xp.as_ptr() => _,
                p = inout(reg) passes => _,
                c = out(reg) _,
                chunk = const CHUNK,
                out = in(reg) out.as_mut_ptr(),
                options(nostack),
            );
        }
    }
    Some(out)
}

/// The sums (with `bias`) of one row of `n` values with four prepared inputs `xp`
/// ([`prepare_block`] of four, interleaved by pass), the row's weights loaded and
/// extended once for the four. `weights` may go on past the row, as for [`dot_w8`].
///
/// # Safety
///
/// As [`dot_w8`].
#[inline]
pub unsafe fn dot4_w8(weights: &[i8], n: usize, xp: &[i16], bias: i32) -> [i64; 4] {
    let n = n.min(weights.len());
    let passes = vector_passes(n, weights.len(), xp.len(), 4 * PASS);
    let mut acc = [0i64; 4];
    if passes > 0 {
        // SAFETY: `passes` passes of 16 bytes of `weights` and 128 of `xp` are in bounds
        // (`vector_passes`); AVX2 and the FPU as the caller guarantees; `acc` is 32 bytes.
        unsafe {
            asm_ymm!(
                "vpxor ymm13, ymm13, ymm13",
                "5:",
                next_chunk!(),
                "vpxor ymm0, ymm0, ymm0",
                "vpxor ymm1, ymm1, ymm1",
                "vpxor ymm2, ymm2, ymm2",
                "vpxor ymm3, ymm3, ymm3",
                "2:",
                "vpmovsxbw ymm8, xmmword ptr [{w}]",
                "vpmaddwd ymm9, ymm8, [{x}]",
                "vpmaddwd ymm10, ymm8, [{x} + 32]",
                "vpmaddwd ymm11, ymm8, [{x} + 64]",
                "vpmaddwd ymm12, ymm8, [{x} + 96]",
                "vpaddd ymm0, ymm0, ymm9",
                "vpaddd ymm1, ymm1, ymm10",
                "vpaddd ymm2, ymm2, ymm11",
                "vpaddd ymm3, ymm3, ymm12",
                "add {w}, 16",
                "add {x}, 128",
                "dec {c}",
                "jnz 2b",
                reduce4_w8!(),
                "test {p}, {p}",
                "jnz 5b",
                "vmovdqu [{out}], ymm13",
                "vzeroupper",
                w = inout(reg) weights.as_ptr() => _,
                x = inout(reg) xp.as_ptr() => _,
                p = inout(reg) passes => _,
                c = out(reg) _,
                chunk = const CHUNK,
                out = in(reg) acc.as_mut_ptr(),
                options(nostack),
            );
        }
    }
    with_tail4(acc, weights, n, passes, xp, bias)
}

/// The four sums of a four-input kernel that ran `passes` passes of a row of `n`
/// values (`acc`), with the row's values after them (the layer's last row, whose padded
/// pass would read past the weights) summed as the scalar reference does, and `bias`.
pub fn with_tail4(
    acc: [i64; 4],
    weights: &[i8],
    n: usize,
    passes: usize,
    xp: &[i16],
    bias: i32,
) -> [i64; 4] {
    let n = n.min(weights.len());
    let done = (passes * PASS).min(n);
    core::array::from_fn(|k| {
        // The tail of input `k`: its values `done..n`, at pass `done / PASS`, slot `k`.
        // PANIC: `done <= n <= weights.len()`.
        let tail = (done..n).zip(&weights[done..n]).fold(0i64, |s, (i, w)| {
            let at = (i / PASS * 4 + k) * PASS + i % PASS;
            s + i64::from(i32::from(*w) * i32::from(xp.get(at).copied().unwrap_or(0)))
        });
        acc[k] + tail + i64::from(bias)
    })
}

/// The instruction set the 8-bit kernels run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// AVX2 (this file).
    Avx2,
    /// AVX-512 VNNI on 256-bit registers (`vnni_w8.rs`).
    Vnni,
}

/// The whole of an 8-bit layer for each input of a block of one to four (the host's
/// runner and tests; the module's section runs [`prepare_block`] and [`block_rows_w8`]
/// itself, in row pieces): the block's
/// [`prepare_block`] into `prep`, then every row by [`block_rows_w8`].
///
/// # Errors
///
/// [`ShapeError`] as [`prepare_block`] and [`block_rows_w8`].
///
/// # Safety
///
/// As [`block_rows_w8`].
#[cfg_attr(CONFIG_RUST, expect(dead_code))]
pub unsafe fn forward_block_w8(
    isa: Isa,
    layer: &DenseLayer<'_>,
    xs: &[&[i16]],
    prep: &mut [i16],
    ys: &mut [&mut [i16]],
) -> Result<(), ShapeError> {
    prepare_block(layer, xs, prep)?;
    // SAFETY: the caller guarantees the features and the FPU.
    unsafe { block_rows_w8(isa, layer, xs, prep, 0, ys) }
}

/// Rows `first..first + ys[k].len()` of an 8-bit layer for each input of the block, by
/// the kernels of this file, from `prep`, the block's [`prepare_block`]: the four-input
/// kernel for four inputs, the four-row kernel for each of fewer (and the one-row kernel
/// for the rows left over). The same bits as the scalar reference.
///
/// # Errors
///
/// [`ShapeError`] as [`DenseLayer::forward_rows`], or if the layer is not of an 8-bit
/// format (nothing is written).
///
/// # Safety
///
/// The CPU has AVX2 (and for [`Isa::Vnni`] AVX512_VNNI and AVX512VL), and in the kernel
/// the caller holds the FPU.
pub unsafe fn block_rows_w8(
    isa: Isa,
    layer: &DenseLayer<'_>,
    xs: &[&[i16]],
    prep: &[i16],
    first: usize,
    ys: &mut [&mut [i16]],
) -> Result<(), ShapeError> {
    let (weights, _) = narrow_weights(layer).ok_or(ShapeError)?;
    let n = layer.inputs;
    let len = prepared_len(n);
    let rows = ys.first().map_or(0, |y| y.len());
    if xs.len() != ys.len()
        || xs.iter().any(|x| x.len() != n)
        || ys.iter().any(|y| y.len() != rows)
        || prep.len() < xs.len() * len
    {
        return Err(ShapeError);
    }
    if let ([a, b, c, d], [y0, y1, y2, y3]) = (xs, &mut *ys) {
        let p = prep.get(..4 * len).ok_or(ShapeError)?;
        return layer.forward_rows4(
            weights,
            [*a, *b, *c, *d],
            first,
            [y0, y1, y2, y3],
            |w, bias| {
                // SAFETY: the caller guarantees the features and the FPU.
                unsafe {
                    match isa {
                        Isa::Avx2 => dot4_w8(w, n, p, bias),
                        Isa::Vnni => super::vnni_w8::dot4_w8(w, n, p, bias),
                    }
                }
            },
        );
    }
    for (j, (x, y)) in xs.iter().zip(ys.iter_mut()).enumerate() {
        let p = prep.get(j * len..(j + 1) * len).ok_or(ShapeError)?;
        layer.forward_rows_by4(
            weights,
            x,
            first,
            y,
            // SAFETY: as above.
            |w| unsafe {
                match isa {
                    Isa::Avx2 => rows4_w8(w, n, p),
                    Isa::Vnni => super::vnni_w8::rows4_w8(w, n, p),
                }
            },
            // SAFETY: as above.
            |w, _, bias| unsafe {
                match isa {
                    Isa::Avx2 => dot_w8(w, n, p, bias),
                    Isa::Vnni => super::vnni_w8::dot_w8(w, n, p, bias),
                }
            },
        )?;
    }
    Ok(())
}
