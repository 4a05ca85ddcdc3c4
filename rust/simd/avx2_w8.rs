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

use super::panel_w8::Panels;
use super::requant::Finish;
use super::short_w8::{self, Short};
use super::vnni_b8;
use crate::pure::format::{dot_16x8, Narrow, Weights};
use crate::pure::forward::{DenseLayer, ShapeError};
use crate::pure::panel;

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

/// The row-major 8-bit weights of a `16x8` or `8x8` layer, and the input shift (`8x8`;
/// `None` for `16x8`, whose inputs are multiplied as they are); `None` for weights in
/// panels ([`Weights::Panels`]: only `panel_w8.rs` reads them) and for `16x16`.
pub fn narrow_weights<'a>(layer: &DenseLayer<'a>) -> Option<(&'a [i8], Option<u8>)> {
    match layer.weights {
        Weights::Narrow(w) => Some((w, None)),
        Weights::Byte { weights, in_shift } => Some((weights, Some(in_shift))),
        Weights::Panels { .. } | Weights::Wide(_) => None,
    }
}

/// Prepares `x` into `out` (at least [`prepared_len`] values; a shorter `out` gets the
/// passes that fit): each value as it is (`shift` `None`) or narrowed by `shift`, the
/// last pass padded with zeros, pass `p` at `out[p * step..]` (`step`: [`PASS`] for one
/// input, `4 * PASS` for the four interleaved of [`prepare_block`], the `k`th of which
/// starts at `out[k * PASS..]`).
pub fn prepare(x: &[i16], shift: Option<u8>, out: &mut [i16], step: usize) {
    if let (None, PASS) = (shift, step) {
        // One input of the 16x8 format: a copy, then the padding (the pass loop below
        // took about 250 instructions for LinnOS's two layers).
        let len = prepared_len(x.len()).min(out.len() / PASS * PASS);
        let (copy, pad) = out[..len].split_at_mut(x.len().min(len));
        for (o, v) in copy.iter_mut().zip(x) {
            *o = *v;
        }
        for o in pad {
            *o = 0;
        }
        return;
    }
    // Each value as it is, or `format::narrow`'s bits with the rounding term computed
    // once (the per-value calls took about 20 instructions a value: a third of the
    // LinnOS network's time in 8x8).
    let narrow = shift.map(Narrow::by);
    let cast = |v: i16| narrow.map_or(v, |n| i16::from(n.of(v)));
    for (p, chunk) in x.chunks(PASS).enumerate() {
        let Some(o) = out.get_mut(p * step..p * step + PASS) else {
            return;
        };
        match (
            <&mut [i16; PASS]>::try_from(o),
            <&[i16; PASS]>::try_from(chunk),
        ) {
            (Ok(o), Ok(c)) if shift.is_none() => *o = *c,
            (Ok(o), Ok(c)) => {
                for i in 0..PASS {
                    o[i] = cast(c[i]);
                }
            }
            (Ok(o), Err(_)) => {
                // The last pass, short: its values, then zeros.
                for (i, d) in o.iter_mut().enumerate() {
                    *d = chunk.get(i).map_or(0, |&v| cast(v));
                }
            }
            (Err(_), _) => return,
        }
    }
}

/// Narrows the first `passes` whole passes of `x` by `shift` into `out`, pass `p` at
/// `out[p * step..]`, as [`prepare`] does value by value (`format::narrow`), sixteen values
/// an instruction.
///
/// Why it is `narrow` exactly. For `s >= 1`, write `x = q * 2^s + r` with `0 <= r < 2^s`
/// (the arithmetic shift is the floor, so this holds for negative `x` too): adding
/// `2^(s-1)` carries into `q` exactly when `r >= 2^(s-1)`, that is when bit `s - 1` of
/// `x` is set, so `(x + 2^(s-1)) >> s = (x >> s) + ((x >> (s-1)) & 1)`. The right side
/// never leaves 16 bits (`x >> s` is at most `2^14 - 1` in magnitude for `s >= 1`), where
/// the left side's sum would overflow them; `vpsraw` is that shift, `vpand` with 1 the
/// bit, `vpaddw` their sum. For `s = 0` the bit is masked out (the mask is 0): `x` itself.
/// Then `vpminsw` and `vpmaxsw` saturate to `[-128, 127]`, kept in 16-bit lanes as the
/// kernels read them. A shift above `MAX_IN_SHIFT` is taken as it, as `Narrow::by` does.
///
/// # Safety
///
/// `x` has `passes * PASS` values and `out` at least `(passes - 1) * step + PASS` (none
/// for 0 passes); the CPU has AVX2, and in the kernel the caller holds the FPU.
pub unsafe fn narrow_passes(x: &[i16], shift: u8, out: &mut [i16], step: usize, passes: usize) {
    if passes == 0 || x.len() < passes * PASS || out.len() < (passes - 1) * step + PASS {
        return;
    }
    let s = shift.min(crate::pure::format::MAX_IN_SHIFT);
    let (s1, mask) = if s == 0 { (0, 0) } else { (s - 1, 1) };
    // SAFETY: reads `passes` passes of 32 bytes from `x` and writes one of 32 bytes at
    // each `step` values of `out`, all in bounds (checked above); AVX2 and the FPU as the
    // caller guarantees; every register written is an operand or a clobber; no stack.
    unsafe {
        asm_ymm!(
            "vmovd xmm15, {m:e}",
            "vpbroadcastw ymm15, xmm15",
            "vmovd xmm14, {s:e}",
            "vmovd xmm13, {s1:e}",
            "mov {t:e}, 127",
            "vmovd xmm12, {t:e}",
            "vpbroadcastw ymm12, xmm12",
            "mov {t:e}, -128",
            "vmovd xmm11, {t:e}",
            "vpbroadcastw ymm11, xmm11",
            "2:",
            "vmovdqu ymm0, [{x}]",
            "vpsraw ymm1, ymm0, xmm14",
            "vpsraw ymm2, ymm0, xmm13",
            "vpand ymm2, ymm2, ymm15",
            "vpaddw ymm1, ymm1, ymm2",
            "vpminsw ymm1, ymm1, ymm12",
            "vpmaxsw ymm1, ymm1, ymm11",
            "vmovdqu [{o}], ymm1",
            "add {x}, 32",
            "add {o}, {st}",
            "dec {p}",
            "jnz 2b",
            "vzeroupper",
            x = inout(reg) x.as_ptr() => _,
            o = inout(reg) out.as_mut_ptr() => _,
            st = in(reg) step * core::mem::size_of::<i16>(),
            p = inout(reg) passes => _,
            m = in(reg) mask,
            s = in(reg) u32::from(s),
            s1 = in(reg) u32::from(s1),
            t = out(reg) _,
            options(nostack),
        );
    }
}

/// Whether the layer runs on `vnni_b8`'s byte kernels with `isa`: an 8x8 layer with
/// VNNI whose rows are not the short-row kernel's (`short_w8.rs`, faster on the rows it
/// takes: 31-256-2 and 256-256-256 in half to three quarters of the time).
pub fn on_bytes(isa: Isa, layer: &DenseLayer<'_>) -> bool {
    isa.has_vnni() && vnni_b8::is_8x8(layer) && !short_w8::covers(layer.inputs)
}

/// Prepares a block of one to four inputs (of the layer's length) into `prep` for the
/// kernels of `isa`: four interleaved by pass, fewer one after the other (an 8x8 layer
/// [`on_bytes`]: as bytes, `vnni_b8::prepare_block`).
///
/// The 8x8 format's passes are narrowed by [`narrow_passes`] (the value-by-value loop
/// took about 1,900 instructions for LinnOS's two layers, a quarter of its time), the
/// last, short one from a copy padded with zeros.
///
/// # Errors
///
/// [`ShapeError`] if the layer is not of an 8-bit format, an input's length differs, or
/// `prep` is shorter than a [`prepared_len`] per input (`vnni_b8::block_len`).
///
/// # Safety
///
/// The CPU has AVX2, and in the kernel the caller holds the FPU.
pub unsafe fn prepare_block(
    isa: Isa,
    layer: &DenseLayer<'_>,
    xs: &[&[i16]],
    prep: &mut [i16],
) -> Result<(), ShapeError> {
    if on_bytes(isa, layer) {
        return vnni_b8::prepare_block(layer, xs, prep);
    }
    // The input shift of an 8-bit layer, row-major or in panels.
    let shift = match layer.weights {
        Weights::Narrow(_) => None,
        Weights::Byte { in_shift, .. } => Some(in_shift),
        Weights::Panels { in_shift, .. } => in_shift,
        Weights::Wide(_) => return Err(ShapeError),
    };
    let len = prepared_len(layer.inputs);
    if xs.len() > 4 || xs.iter().any(|x| x.len() != layer.inputs) {
        return Err(ShapeError);
    }
    let out = prep.get_mut(..xs.len() * len).ok_or(ShapeError)?;
    // Input `k` from `out[k * at..]`, a pass every `step` values (a layer in panels reads
    // each input alone).
    let (at, step) = if xs.len() == 4 && !matches!(layer.weights, Weights::Panels { .. }) {
        (PASS, 4 * PASS)
    } else {
        (len, PASS)
    };
    for (k, x) in xs.iter().enumerate() {
        // PANIC: `k * at < xs.len() * len <= out.len()` (`at <= len`).
        let o = &mut out[k * at..];
        match shift {
            Some(s) => {
                let full = x.len() / PASS;
                // SAFETY: `x` has `full` whole passes and `o` holds the input's
                // `passes(n) >= full` passes `step` apart (`narrow_passes` checks both);
                // AVX2 and the FPU as the caller guarantees.
                unsafe { narrow_passes(x, s, o, step, full) };
                // The last, short pass (if any): its values and zeros (which narrow to
                // zeros, the padding) narrowed as a whole pass.
                // PANIC: `full * PASS <= x.len()`.
                let tail = &x[full * PASS..];
                if !tail.is_empty() {
                    let mut last = [0i16; PASS];
                    for (d, v) in last.iter_mut().zip(tail) {
                        *d = *v;
                    }
                    let o = o.get_mut(full * step..).ok_or(ShapeError)?;
                    // SAFETY: one pass of `last` into `o` (`narrow_passes` checks both);
                    // AVX2 and the FPU as the caller guarantees.
                    unsafe { narrow_passes(&last, s, o, step, 1) };
                }
            }
            None => prepare(x, None, o, step),
        }
    }
    Ok(())
}

/// `asm::vector_passes_of` with this file's [`PASS`]: the passes the vector loop runs
/// for a row of `n` values, weights of `avail` and a prepared input of `p_len`
/// (`per_pass` a pass).
pub fn vector_passes(n: usize, avail: usize, p_len: usize, per_pass: usize) -> usize {
    super::asm::vector_passes_of(PASS, n, avail, p_len, per_pass)
}

// `dot_w8`, `rows4_w8`, `dot4_w8` (`asm.rs`, `w8_kernels`).
w8_kernels!(avx2);

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
    /// AVX-512 VNNI on 256-bit registers (`vnni_w8.rs`; the 8x8 format's byte kernels
    /// in `vnni_b8.rs`).
    Vnni,
    /// As [`Isa::Vnni`], with the 8x8 format's byte kernels on 512-bit registers: where
    /// the CPU has AVX512F too and the kernel does not prefer 256-bit registers
    /// (`X86_FEATURE_PREFER_YMM`, set for the CPUs that slow their clock for them).
    Vnni512,
}

impl Isa {
    /// Whether AVX-512 VNNI (on either width).
    pub fn has_vnni(self) -> bool {
        self != Isa::Avx2
    }
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
    // SAFETY: the caller guarantees the features and the FPU.
    unsafe {
        prepare_block(isa, layer, xs, prep)?;
        block_rows_w8(isa, layer, xs, prep, 0, ys)
    }
}

/// Rows `first..first + ys[k].len()` of an 8-bit layer for each input of the block, by
/// the kernels of `isa`, from `prep`, the block's [`prepare_block`]: rows of 16 to 496
/// values in pieces of at least eight rows by the short-row kernel (`short_w8.rs`) for
/// each input; others by the four-input kernel for four inputs, the four-row kernel for
/// each of fewer (and the one-row kernel for the rows left over); an 8x8 layer
/// [`on_bytes`] by `vnni_b8`'s. The same bits as the scalar reference.
///
/// # Errors
///
/// [`ShapeError`] as [`DenseLayer::forward_rows`], or if the layer is not of an 8-bit
/// format (nothing is written).
///
/// # Safety
///
/// The CPU has AVX2 (and with VNNI AVX512_VNNI and AVX512VL, for [`Isa::Vnni512`]
/// AVX512F too, with the AVX-512
/// state saved by the FPU section), and in the kernel
/// the caller holds the FPU.
pub unsafe fn block_rows_w8(
    isa: Isa,
    layer: &DenseLayer<'_>,
    xs: &[&[i16]],
    prep: &[i16],
    first: usize,
    ys: &mut [&mut [i16]],
) -> Result<(), ShapeError> {
    if on_bytes(isa, layer) {
        // SAFETY: as the caller guarantees, for each `Isa`.
        return unsafe {
            if isa == Isa::Vnni512 {
                vnni_b8::block_rows_b8::<true>(layer, xs, prep, first, ys)
            } else {
                vnni_b8::block_rows_b8::<false>(layer, xs, prep, first, ys)
            }
        };
    }
    if let Some(panels) = Panels::of(layer) {
        // SAFETY: as the caller guarantees.
        return unsafe { panel_rows(isa, layer, &panels, xs, prep, first, ys) };
    }
    let (weights, _) = narrow_weights(layer).ok_or(ShapeError)?;
    let (n, len) = (layer.inputs, prepared_len(layer.inputs));
    let rows = block_shape(n, xs, ys, prep)?;
    // The rows of the layer, checked before anything is written.
    let end = layer.rows_end(weights.len(), n, first, rows)?;
    // PANIC: `first <= end <= outputs == bias.len()` (`rows_end`).
    let bias = &layer.bias[first..end];
    // Rows short enough for the fused kernel (`short_w8.rs`): all of them for each
    // input, or (a piece of fewer than eight rows) none, and the kernels below.
    let short = if rows >= short_w8::GROUP {
        Short::of(layer, if xs.len() == 4 { 4 * PASS } else { PASS })
    } else {
        None
    };
    if let Some(mut short) = short {
        // PANIC: `first * n <= end * n <= weights.len()` (above).
        let w = &weights[first * n..];
        let mut all = xs.len() <= 4;
        for (j, y) in ys.iter_mut().enumerate() {
            let at = if xs.len() == 4 { j * PASS } else { j * len };
            let xp = prep.get(at..).ok_or(ShapeError)?;
            // SAFETY: the caller guarantees the features and the FPU.
            all = all && unsafe { short.rows(isa, w, n, xp, bias, y) } == rows;
        }
        if all {
            return Ok(());
        }
    }
    // SAFETY: as the caller guarantees. (Where the short-row kernel did some inputs and
    // not others, which the same checks on the same lengths rule out, every row of
    // every input is done again here.)
    unsafe { rows_by_kernels(isa, layer, weights, xs, prep, first, ys) }
}

/// The least weight bytes of a layer in panels whose blocks of four inputs run by the
/// four-input panel kernel (`panel_w8::Panels::rows4`, 512-bit registers only): layers
/// whose weights stay in L1 gain nothing from reading them once for four inputs (the
/// multiply-adds are as many), and lose the copy of the outputs from its buffer.
/// Measured (host, batch 32, ns a row): 256-256-256 (64 KiB a layer) 2,680 -> 2,352;
/// 31-256-2 (8 KiB) 314 -> 328; 64-32-10 127 -> 133.
pub const FOUR_PANELS_MIN: usize = 32 * 1024;

/// The rows of a block's pieces `ys`, if the block is of inputs `xs` of `n` values, one
/// piece each, all of the same length, and `prep` holds their prepared inputs.
fn block_shape(
    n: usize,
    xs: &[&[i16]],
    ys: &[&mut [i16]],
    prep: &[i16],
) -> Result<usize, ShapeError> {
    let rows = ys.first().map_or(0, |y| y.len());
    if xs.len() != ys.len()
        || xs.iter().any(|x| x.len() != n)
        || ys.iter().any(|y| y.len() != rows)
        || prep.len() < xs.len() * prepared_len(n)
    {
        return Err(ShapeError);
    }
    Ok(rows)
}

/// [`block_rows_w8`] of a layer stored in panels ([`Weights::Panels`]): the rows in
/// panels by `panel_w8`'s kernels, the rows after them (fewer than 16, row-major) as a
/// layer of their own, each input alone (the prepared inputs are one after another).
///
/// # Safety
///
/// As [`block_rows_w8`].
unsafe fn panel_rows(
    isa: Isa,
    layer: &DenseLayer<'_>,
    panels: &Panels,
    xs: &[&[i16]],
    prep: &[i16],
    first: usize,
    ys: &mut [&mut [i16]],
) -> Result<(), ShapeError> {
    let Weights::Panels { weights, in_shift } = layer.weights else {
        return Err(ShapeError);
    };
    let (n, len) = (layer.inputs, prepared_len(layer.inputs));
    let rows = block_shape(n, xs, ys, prep)?;
    let end = layer.rows_end(weights.len(), n, first, rows)?;
    let prows = panel::panel_rows(layer.outputs);
    let in_panels = end.min(prows).saturating_sub(first);
    let from = first.max(prows);
    // The rows after the panels, row-major.
    let rest = DenseLayer {
        outputs: layer.outputs - prows,
        weights: match in_shift {
            None => Weights::Narrow(weights.get(prows * n..).ok_or(ShapeError)?),
            Some(in_shift) => Weights::Byte {
                weights: weights.get(prows * n..).ok_or(ShapeError)?,
                in_shift,
            },
        },
        bias: layer.bias.get(prows..).ok_or(ShapeError)?,
        ..*layer
    };
    // Four inputs on 512-bit registers, for a layer whose weights do not stay in L1:
    // each panel's pairs loaded once for the four.
    let mut four = false;
    let big = weights.len() > FOUR_PANELS_MIN;
    if let (Isa::Vnni512, [y0, y1, y2, y3], true) = (isa, &mut *ys, in_panels > 0 && big) {
        let outs = [&mut **y0, &mut **y1, &mut **y2, &mut **y3];
        // SAFETY: as the caller guarantees (`Isa::Vnni512`: AVX512F, AVX512BW).
        let done = unsafe { panels.rows4(weights, prep, len, layer.bias, first, outs) };
        if done != in_panels {
            return Err(ShapeError);
        }
        four = true;
    }
    for (j, (x, y)) in xs.iter().zip(ys.iter_mut()).enumerate() {
        let xp = prep.get(j * len..(j + 1) * len).ok_or(ShapeError)?;
        if in_panels > 0 && !four {
            // SAFETY: as the caller guarantees.
            let done = unsafe { panels.rows(isa, weights, xp, layer.bias, first, y) };
            if done != in_panels {
                return Err(ShapeError);
            }
        }
        if end > from {
            let y = y.get_mut(from - first..).ok_or(ShapeError)?;
            // SAFETY: as the caller guarantees; `rest` is row-major and its rows at least a
            // pass long (`panel::fits`), so not `on_bytes`: it reads `xp` as prepared here.
            unsafe { block_rows_w8(isa, &rest, &[*x], xp, from - prows, &mut [y]) }?;
        }
    }
    Ok(())
}

/// [`block_rows_w8`]'s rows by the one-row, four-row and four-input kernels, after its
/// checks.
///
/// # Safety
///
/// As [`block_rows_w8`].
unsafe fn rows_by_kernels(
    isa: Isa,
    layer: &DenseLayer<'_>,
    weights: &[i8],
    xs: &[&[i16]],
    prep: &[i16],
    first: usize,
    ys: &mut [&mut [i16]],
) -> Result<(), ShapeError> {
    let n = layer.inputs;
    let len = prepared_len(n);
    let fin = Finish::of(layer);
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
                        Isa::Vnni | Isa::Vnni512 => super::vnni_w8::dot4_w8(w, n, p, bias),
                    }
                }
            },
            // SAFETY: the caller guarantees AVX2 and the FPU.
            |acc| unsafe { fin.finish4(layer, acc) },
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
            |w, b| unsafe {
                let mut sums = [0i64; 4];
                match isa {
                    Isa::Avx2 => rows4_w8_to(w, n, p, &mut sums),
                    Isa::Vnni | Isa::Vnni512 => super::vnni_w8::rows4_w8_to(w, n, p, &mut sums),
                }
                .then(|| fin.finish4_biased(layer, &sums, b))
            },
            // SAFETY: as above.
            |w, _, bias| unsafe {
                match isa {
                    Isa::Avx2 => dot_w8(w, n, p, bias),
                    Isa::Vnni | Isa::Vnni512 => super::vnni_w8::dot_w8(w, n, p, bias),
                }
            },
        )?;
    }
    Ok(())
}
