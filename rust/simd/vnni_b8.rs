// SPDX-License-Identifier: GPL-2.0

//! The `8x8` format's kernels on byte products: AVX-512 VNNI's `vpdpbusd` (EVEX-encoded
//! on 256-bit registers, AVX512_VNNI with AVX512VL), 32 products an instruction where
//! `vnni_w8.rs` multiplies 16 (its inputs kept in 16-bit lanes); with `Z`, on 512-bit
//! registers (AVX512F too), 64.
//!
//! The idea. `vpdpbusd` multiplies unsigned bytes by signed bytes, four products summed
//! into each `i32` lane. The 8x8 format's weights and narrowed inputs are both signed.
//! The weights become the unsigned side: each with its sign bit flipped (`w ^ 0x80`, read
//! unsigned, is `w + 128`), so that a row's pass sums `(w + 128) * x`; the row's sum is
//! then that less `128 * sum(x)`, the input's own sum, which [`prepare_block`] computes
//! once per input. Exact: integers, and no lane can overflow (below). The flip is one
//! `vpxor` per weight vector, shared by the four inputs of [`dot4_b8`].
//!
//! The input is prepared once a block: narrowed to bytes (`format::narrow`), padded with
//! zeros to whole passes of [`PASS`] bytes (a padding byte is 0, so the next row's
//! weights that a padded pass reads add nothing), four inputs interleaved by pass, each
//! input's sum after the bytes ([`block_len`]).
//!
//! Bounds. A product is at most `255 * 128 = 32,640` in magnitude, a row of [`MAX_DIM`]
//! values `4096 * 32,640 < 2^27`: a lane, and any sum of lanes (a register's eight or
//! sixteen, or the sums of several passes added together), hold a whole row in `i32`.
//! The kernels take at most [`MAX_PASSES`] passes a run (`2048 * 32 * 32,640 < 2^31`);
//! longer rows are summed in runs.
//!
//! The test guest (QEMU's TCG) has no AVX-512: these kernels are proven bit for bit on
//! the host (`tools/pure`), and in the module they run only where the CPU has the
//! features, the kernel saves the AVX-512 state, and the load-time self-check found them
//! equal to the reference.
//!
//! Only `core`: the host crate builds this file too.

use super::requant::Finish;
use crate::pure::fixed::MAX_DIM;
use crate::pure::format::{Narrow, Weights};
use crate::pure::forward::{DenseLayer, ShapeError};

/// Bytes (values) per pass.
pub const PASS: usize = 32;

/// Passes a kernel sums in one run (see the bounds above).
pub const MAX_PASSES: usize = 2048;

const _: () = assert!(MAX_DIM <= MAX_PASSES * PASS);

/// Passes of `n` values, the last padded.
pub const fn passes(n: usize) -> usize {
    n.div_ceil(PASS)
}

/// The `i16` words of the prepared block of `k` inputs of `n` values: the bytes of whole
/// passes, then each input's sum (two words).
pub const fn block_len(k: usize, n: usize) -> usize {
    k * (passes(n) * PASS / 2 + 2)
}

/// Whether a layer of the 8x8 format (inputs narrowed, `Weights::Byte`).
pub fn is_8x8(layer: &DenseLayer<'_>) -> bool {
    matches!(layer.weights, Weights::Byte { .. })
}

/// Narrows `x` by `shift` into the bytes of `out` from byte `at`, pass `p` at `at + p *
/// step` ([`PASS`] for one input, `4 * PASS` for four interleaved, the `k`th from byte
/// `k * PASS`; `at` and `step` even: whole words), the last pass padded with zeros, each
/// pass's bytes little-endian in its words, as the kernels read them; the narrowed
/// values' sum, by `format::Narrow` (its rounding term computed once).
pub fn prepare(x: &[i16], shift: u8, out: &mut [i16], at: usize, step: usize) -> i32 {
    let narrow = Narrow::by(shift);
    let mut sum = 0i32;
    for (p, chunk) in x.chunks(PASS).enumerate() {
        let mut b = [0u8; PASS];
        for (d, &v) in b.iter_mut().zip(chunk) {
            let n = narrow.of(v);
            sum += i32::from(n);
            *d = n.to_le_bytes()[0];
        }
        let w = (at + p * step) / 2;
        let Some(o) = out
            .get_mut(w..w + PASS / 2)
            .and_then(|o| <&mut [i16; PASS / 2]>::try_from(o).ok())
        else {
            return sum;
        };
        for i in 0..PASS / 2 {
            o[i] = i16::from_le_bytes([b[2 * i], b[2 * i + 1]]);
        }
    }
    sum
}

/// Prepares a block of one to four inputs (of the layer's length) into `prep`: the
/// inputs' bytes (four interleaved by pass, fewer one after the other), then their sums.
///
/// # Errors
///
/// [`ShapeError`] if the layer is not of the 8x8 format, an input's length differs, or
/// `prep` is shorter than [`block_len`].
pub fn prepare_block(
    layer: &DenseLayer<'_>,
    xs: &[&[i16]],
    prep: &mut [i16],
) -> Result<(), ShapeError> {
    let Weights::Byte { in_shift, .. } = layer.weights else {
        return Err(ShapeError);
    };
    let n = layer.inputs;
    let k = xs.len();
    if k > 4 || xs.iter().any(|x| x.len() != n) || prep.len() < block_len(k, n) {
        return Err(ShapeError);
    }
    let bytes = passes(n) * PASS;
    for (j, x) in xs.iter().enumerate() {
        let sum = if k == 4 {
            prepare(x, in_shift, prep, j * PASS, 4 * PASS)
        } else {
            prepare(x, in_shift, prep, j * bytes, PASS)
        };
        let [a, b, c, d] = sum.to_le_bytes();
        let at = k * bytes / 2 + 2 * j;
        // PANIC: `at + 1 < block_len(k, n) <= prep.len()`, checked above.
        prep[at] = i16::from_le_bytes([a, b]);
        prep[at + 1] = i16::from_le_bytes([c, d]);
    }
    Ok(())
}

/// The sum of input `j` of a block of `k` prepared by [`prepare_block`].
fn input_sum(prep: &[i16], k: usize, n: usize, j: usize) -> i64 {
    let at = k * passes(n) * PASS / 2 + 2 * j;
    let word = |i: usize| prep.get(i).copied().unwrap_or(0).to_le_bytes();
    let ([a, b], [c, d]) = (word(at), word(at + 1));
    i64::from(i32::from_le_bytes([a, b, c, d]))
}

/// The prepared bytes of `prep` (the kernels' view of it).
pub fn as_bytes(prep: &[i16]) -> &[i8] {
    // SAFETY: `i8` has no invalid values and an alignment of 1, the length is the same
    // memory's, and the borrow of `prep` is the result's.
    unsafe { core::slice::from_raw_parts(prep.as_ptr().cast::<i8>(), 2 * prep.len()) }
}

/// `sum((w ^ 0x80 as unsigned) * x)` over `passes` passes of weights `w` and bytes `x`:
/// on 256-bit registers, or with `Z` two passes at a time on 512-bit ones (the last,
/// odd pass on 256).
///
/// # Safety
///
/// `w` and `x` have `passes * PASS` bytes, `passes <= MAX_PASSES`; the CPU has
/// AVX512_VNNI and AVX512VL (and with `Z` AVX512F) with the AVX-512 state saved, and in
/// the kernel the caller holds the FPU, with nothing in between that sleeps.
#[inline]
unsafe fn run1<const Z: bool>(w: *const i8, x: *const i8, passes: usize) -> i32 {
    let pairs = if Z { passes / 2 } else { 0 };
    let sum: i32;
    // SAFETY: reads `passes` passes of 32 bytes of `w` and of `x` (the pairs 64 at a
    // time), as the caller guarantees; the 512-bit instructions run only for pairs, so
    // only with `Z`; every register written is an operand or a clobber (zmm0, zmm1 and
    // zmm15 are among them); no stack.
    unsafe {
        asm_ymm!(
            "vpxor ymm0, ymm0, ymm0",
            sign_bytes!(),
            "test {q}, {q}",
            "jz 3f",
            "vpbroadcastd zmm15, xmm15",
            "2:",
            "vpxord zmm1, zmm15, zmmword ptr [{w}]",
            "vpdpbusd zmm0, zmm1, zmmword ptr [{x}]",
            "add {w}, 64",
            "add {x}, 64",
            "dec {q}",
            "jnz 2b",
            "vextracti64x4 ymm1, zmm0, 1",
            "vpaddd ymm0, ymm0, ymm1",
            "3:",
            "test {p}, {p}",
            "jz 4f",
            "5:",
            "vpxor ymm1, ymm15, ymmword ptr [{w}]",
            "{{evex}} vpdpbusd ymm0, ymm1, ymmword ptr [{x}]",
            "add {w}, 32",
            "add {x}, 32",
            "dec {p}",
            "jnz 5b",
            "4:",
            hsum_d!(),
            "vzeroupper",
            w = inout(reg) w => _,
            x = inout(reg) x => _,
            q = inout(reg) pairs => _,
            p = inout(reg) passes - 2 * pairs => _,
            t = out(reg) sum,
            options(nostack, readonly),
        );
    }
    sum
}

/// `asm::vector_passes_of` with this file's [`PASS`]: the passes the vector loop runs
/// for a row of `n` values, weights of `avail` bytes and a prepared input of `x_len`
/// (`per_pass` a pass).
fn vector_passes(n: usize, avail: usize, x_len: usize, per_pass: usize) -> usize {
    super::asm::vector_passes_of(PASS, n, avail, x_len, per_pass)
}

/// `sum(w * x) + bias` of one row of `n` weights and the prepared bytes `xb` of one
/// input whose sum is `sx`, bit for bit as `format::dot_8x8` of the narrowed input;
/// `weights` may go on past the row (the next rows'). `Z`: on 512-bit registers.
///
/// # Safety
///
/// As [`run1`]: the features and the FPU.
#[inline]
pub unsafe fn dot_b8<const Z: bool>(
    weights: &[i8],
    n: usize,
    xb: &[i8],
    sx: i64,
    bias: i32,
) -> i64 {
    let n = n.min(weights.len()).min(xb.len());
    let passes = vector_passes(n, weights.len(), xb.len(), PASS);
    let mut acc = 0i64;
    let mut done = 0;
    while done < passes {
        let m = (passes - done).min(MAX_PASSES);
        // SAFETY: passes `done..done + m` of both are in bounds (`vector_passes`); the
        // features and the FPU as the caller guarantees.
        acc += i64::from(unsafe {
            run1::<Z>(
                weights.as_ptr().add(done * PASS),
                xb.as_ptr().add(done * PASS),
                m,
            )
        });
        done += m;
    }
    let done = (passes * PASS).min(n);
    // The tail (the layer's last row, whose padded pass would read past the weights),
    // summed as the vector loop does, with the offset weights.
    // PANIC: `done <= n <= len()` of both.
    for (w, x) in weights[done..n].iter().zip(&xb[done..n]) {
        acc += i64::from((i32::from(*w) + 128) * i32::from(*x));
    }
    acc - 128 * sx + i64::from(bias)
}

/// The sums (without bias) of four rows of `n` values with the prepared bytes `xb` of one
/// input whose sum is `sx`: rows at `weights[0]`, `weights[n]`, `weights[2n]`,
/// `weights[3n]`, each pass of the input loaded once for the four, into `out`; false,
/// and `out` untouched, where the fourth row's padded pass would read past `weights` or
/// `xb` is short (the caller then sums those rows by [`dot_b8`]). `Z`: two passes at a
/// time on 512-bit registers (the last, odd pass on 256).
///
/// # Safety
///
/// As [`dot_b8`].
#[inline]
pub unsafe fn rows4_b8_to<const Z: bool>(
    weights: &[i8],
    n: usize,
    xb: &[i8],
    sx: i64,
    out: &mut [i64; 4],
) -> bool {
    let passes = passes(n);
    let Some(reach) = n.checked_mul(3).and_then(|r| r.checked_add(passes * PASS)) else {
        return false;
    };
    if reach > weights.len() || xb.len() < passes * PASS || passes > MAX_PASSES {
        return false;
    }
    let mut sums = [0i32; 4];
    let pairs = if Z { passes / 2 } else { 0 };
    // SAFETY: the four rows' passes are within `weights` and the input's within `xb`
    // (checked above; the pairs 64 bytes at a time), at most `MAX_PASSES`; the 512-bit
    // instructions run only for pairs, so only with `Z`; the features and the FPU as the
    // caller guarantees; `sums` is 16 bytes; zmm0..12 and zmm15 are among the clobbered.
    unsafe {
        asm_ymm!(
            "lea {st3}, [{st} + {st} * 2]",
            sign_bytes!(),
            zero4!(),
            "test {q}, {q}",
            "jz 3f",
            "vpbroadcastd zmm15, xmm15",
            "2:",
            "vmovdqu64 zmm8, zmmword ptr [{x}]",
            "vpxord zmm9, zmm15, zmmword ptr [{w}]",
            "vpxord zmm10, zmm15, zmmword ptr [{w} + {st}]",
            "vpxord zmm11, zmm15, zmmword ptr [{w} + {st} * 2]",
            "vpxord zmm12, zmm15, zmmword ptr [{w} + {st3}]",
            "vpdpbusd zmm0, zmm9, zmm8",
            "vpdpbusd zmm1, zmm10, zmm8",
            "vpdpbusd zmm2, zmm11, zmm8",
            "vpdpbusd zmm3, zmm12, zmm8",
            "add {w}, 64",
            "add {x}, 64",
            "dec {q}",
            "jnz 2b",
            fold4_z!(),
            "3:",
            "test {p}, {p}",
            "jz 4f",
            "5:",
            rows4_pass_b8!(),
            "add {w}, 32",
            "add {x}, 32",
            "dec {p}",
            "jnz 5b",
            "4:",
            reduce4_b8!(),
            "vmovdqu [{out}], xmm0",
            "vzeroupper",
            w = inout(reg) weights.as_ptr() => _,
            st = in(reg) n,
            st3 = out(reg) _,
            x = inout(reg) xb.as_ptr() => _,
            q = inout(reg) pairs => _,
            p = inout(reg) passes - 2 * pairs => _,
            t = out(reg) _,
            out = in(reg) sums.as_mut_ptr(),
            options(nostack),
        );
    }
    *out = sums.map(|s| i64::from(s) - 128 * sx);
    true
}

/// The sums (with `bias`) of one row of `n` values with four inputs, `xq` their prepared
/// bytes interleaved by pass and `sx` their sums, the row's weights loaded and flipped
/// once for the four. `weights` may go on past the row, as for [`dot_b8`].
///
/// Two passes at a time into eight sums (then the last, odd pass): eight chains of
/// `vpdpbusd`, so that its five cycles of latency do not bound the loop as four did.
/// `Z`: first four passes at a time on 512-bit registers, each pass of the row broadcast
/// to both halves of one, so that one `vpdpbusd` takes two inputs' pass (adjacent in
/// `xq`), into eight sums; the passes left (at most three) as above.
///
/// # Safety
///
/// As [`dot_b8`].
#[inline]
pub unsafe fn dot4_b8<const Z: bool>(
    weights: &[i8],
    n: usize,
    xq: &[i8],
    sx: [i64; 4],
    bias: i32,
) -> [i64; 4] {
    let n = n.min(weights.len());
    let passes = vector_passes(n, weights.len(), xq.len(), 4 * PASS);
    let mut acc = [0i64; 4];
    let mut done = 0;
    while done < passes {
        let m = (passes - done).min(MAX_PASSES);
        let mut sums = [0i32; 4];
        let w = weights.as_ptr().wrapping_add(done * PASS);
        let x = xq.as_ptr().wrapping_add(done * 4 * PASS);
        let fours = if Z { m / 4 } else { 0 };
        // SAFETY: passes `done..done + m` of the row (32 bytes each) and of the four
        // inputs (128 bytes each) are in bounds (`vector_passes`), at most `MAX_PASSES`,
        // read a pass, two or four at a time at the offsets of their passes; the 512-bit
        // instructions run only for fours, so only with `Z`; the features and the FPU as
        // the caller guarantees; `sums` is 16 bytes; zmm0..9 and zmm15 are among the
        // clobbered.
        unsafe {
            asm_ymm!(
                sign_bytes!(),
                zero4!(),
                "vpxor ymm4, ymm4, ymm4",
                "vpxor ymm5, ymm5, ymm5",
                "vpxor ymm6, ymm6, ymm6",
                "vpxor ymm7, ymm7, ymm7",
                "test {q}, {q}",
                "jz 3f",
                "vpbroadcastd zmm15, xmm15",
                "2:",
                "vbroadcasti64x4 zmm8, ymmword ptr [{w}]",
                "vbroadcasti64x4 zmm9, ymmword ptr [{w} + 32]",
                "vpxord zmm8, zmm8, zmm15",
                "vpxord zmm9, zmm9, zmm15",
                "vpdpbusd zmm0, zmm8, zmmword ptr [{x}]",
                "vpdpbusd zmm1, zmm8, zmmword ptr [{x} + 64]",
                "vpdpbusd zmm2, zmm9, zmmword ptr [{x} + 128]",
                "vpdpbusd zmm3, zmm9, zmmword ptr [{x} + 192]",
                "vbroadcasti64x4 zmm8, ymmword ptr [{w} + 64]",
                "vbroadcasti64x4 zmm9, ymmword ptr [{w} + 96]",
                "vpxord zmm8, zmm8, zmm15",
                "vpxord zmm9, zmm9, zmm15",
                "vpdpbusd zmm4, zmm8, zmmword ptr [{x} + 256]",
                "vpdpbusd zmm5, zmm8, zmmword ptr [{x} + 320]",
                "vpdpbusd zmm6, zmm9, zmmword ptr [{x} + 384]",
                "vpdpbusd zmm7, zmm9, zmmword ptr [{x} + 448]",
                "add {w}, 128",
                "add {x}, 512",
                "dec {q}",
                "jnz 2b",
                // Inputs 0 and 1 in zmm0, 2, 4, 6 (low and high halves), 2 and 3 in
                // zmm1, 3, 5, 7: into the 256-bit loops' sums, inputs 0..3 in ymm0..3,
                // ymm4..7 zero.
                "vpaddd zmm0, zmm0, zmm2",
                "vpaddd zmm4, zmm4, zmm6",
                "vpaddd zmm1, zmm1, zmm3",
                "vpaddd zmm5, zmm5, zmm7",
                "vpaddd zmm0, zmm0, zmm4",
                "vpaddd zmm4, zmm1, zmm5",
                "vextracti64x4 ymm1, zmm0, 1",
                "vextracti64x4 ymm3, zmm4, 1",
                "vmovdqa ymm2, ymm4",
                "vpxor ymm4, ymm4, ymm4",
                "vpxor ymm5, ymm5, ymm5",
                "vpxor ymm6, ymm6, ymm6",
                "vpxor ymm7, ymm7, ymm7",
                "3:",
                "cmp {p}, 2",
                "jb 6f",
                "7:",
                "vpxor ymm8, ymm15, ymmword ptr [{w}]",
                "vpxor ymm9, ymm15, ymmword ptr [{w} + 32]",
                "{{evex}} vpdpbusd ymm0, ymm8, ymmword ptr [{x}]",
                "{{evex}} vpdpbusd ymm1, ymm8, ymmword ptr [{x} + 32]",
                "{{evex}} vpdpbusd ymm2, ymm8, ymmword ptr [{x} + 64]",
                "{{evex}} vpdpbusd ymm3, ymm8, ymmword ptr [{x} + 96]",
                "{{evex}} vpdpbusd ymm4, ymm9, ymmword ptr [{x} + 128]",
                "{{evex}} vpdpbusd ymm5, ymm9, ymmword ptr [{x} + 160]",
                "{{evex}} vpdpbusd ymm6, ymm9, ymmword ptr [{x} + 192]",
                "{{evex}} vpdpbusd ymm7, ymm9, ymmword ptr [{x} + 224]",
                "add {w}, 64",
                "add {x}, 256",
                "sub {p}, 2",
                "cmp {p}, 2",
                "jae 7b",
                "6:",
                "test {p}, {p}",
                "jz 4f",
                "vpxor ymm8, ymm15, ymmword ptr [{w}]",
                "{{evex}} vpdpbusd ymm0, ymm8, ymmword ptr [{x}]",
                "{{evex}} vpdpbusd ymm1, ymm8, ymmword ptr [{x} + 32]",
                "{{evex}} vpdpbusd ymm2, ymm8, ymmword ptr [{x} + 64]",
                "{{evex}} vpdpbusd ymm3, ymm8, ymmword ptr [{x} + 96]",
                "4:",
                "vpaddd ymm0, ymm0, ymm4",
                "vpaddd ymm1, ymm1, ymm5",
                "vpaddd ymm2, ymm2, ymm6",
                "vpaddd ymm3, ymm3, ymm7",
                reduce4_b8!(),
                "vmovdqu [{out}], xmm0",
                "vzeroupper",
                w = inout(reg) w => _,
                x = inout(reg) x => _,
                q = inout(reg) fours => _,
                p = inout(reg) m - 4 * fours => _,
                t = out(reg) _,
                out = in(reg) sums.as_mut_ptr(),
                options(nostack),
            );
        }
        for (a, s) in acc.iter_mut().zip(sums) {
            *a += i64::from(s);
        }
        done += m;
    }
    let done = (passes * PASS).min(n);
    core::array::from_fn(|k| {
        // The tail of input `k` (the layer's last row): its bytes `done..n`, at pass
        // `i / PASS`, slot `k`, with the offset weights as the vector loop.
        // PANIC: `done <= n <= weights.len()`.
        let tail = (done..n).zip(&weights[done..n]).fold(0i64, |s, (i, w)| {
            let at = (i / PASS * 4 + k) * PASS + i % PASS;
            let x = xq.get(at).copied().unwrap_or(0);
            s + i64::from((i32::from(*w) + 128) * i32::from(x))
        });
        acc[k] + tail - 128 * sx[k] + i64::from(bias)
    })
}

/// Rows `first..first + ys[k].len()` of an 8x8 layer for each input of the block, from
/// `prep`, the block's [`prepare_block`]: the four-input kernel for four inputs, the
/// four-row kernel for each of fewer (and the one-row kernel for the rows left over).
/// The same bits as the scalar reference.
///
/// # Errors
///
/// [`ShapeError`] as [`DenseLayer::forward_rows`], or if the layer is not of the 8x8
/// format or `prep` is short (nothing is written).
///
/// # Safety
///
/// The CPU has AVX2, AVX512_VNNI and AVX512VL (and for `Z` AVX512F), with the AVX-512
/// state saved by the FPU section, and in the kernel the caller holds the FPU.
pub unsafe fn block_rows_b8<const Z: bool>(
    layer: &DenseLayer<'_>,
    xs: &[&[i16]],
    prep: &[i16],
    first: usize,
    ys: &mut [&mut [i16]],
) -> Result<(), ShapeError> {
    let Weights::Byte { weights, .. } = layer.weights else {
        return Err(ShapeError);
    };
    let n = layer.inputs;
    let k = xs.len();
    let rows = ys.first().map_or(0, |y| y.len());
    if k != ys.len()
        || k > 4
        || xs.iter().any(|x| x.len() != n)
        || ys.iter().any(|y| y.len() != rows)
        || prep.len() < block_len(k, n)
    {
        return Err(ShapeError);
    }
    let fin = Finish::of(layer);
    let bytes = passes(n) * PASS;
    let all = as_bytes(prep);
    if let ([a, b, c, d], [y0, y1, y2, y3]) = (xs, &mut *ys) {
        let xq = all.get(..4 * bytes).ok_or(ShapeError)?;
        let sx: [i64; 4] = core::array::from_fn(|j| input_sum(prep, 4, n, j));
        return layer.forward_rows4(
            weights,
            [*a, *b, *c, *d],
            first,
            [y0, y1, y2, y3],
            // SAFETY: the caller guarantees the features and the FPU.
            |w, bias| unsafe { dot4_b8::<Z>(w, n, xq, sx, bias) },
            // SAFETY: the caller guarantees AVX2 and the FPU.
            |acc| unsafe { fin.finish4(layer, acc) },
        );
    }
    for (j, (x, y)) in xs.iter().zip(ys.iter_mut()).enumerate() {
        let xb = all.get(j * bytes..(j + 1) * bytes).ok_or(ShapeError)?;
        let sx = input_sum(prep, k, n, j);
        layer.forward_rows_by4(
            weights,
            x,
            first,
            y,
            // SAFETY: as above.
            |w, b| unsafe {
                let mut sums = [0i64; 4];
                rows4_b8_to::<Z>(w, n, xb, sx, &mut sums)
                    .then(|| fin.finish4_biased(layer, &sums, b))
            },
            // SAFETY: as above.
            |w, _, bias| unsafe { dot_b8::<Z>(w, n, xb, sx, bias) },
        )?;
    }
    Ok(())
}
