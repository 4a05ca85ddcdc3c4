// SPDX-License-Identifier: GPL-2.0

//! The load-time self-check of the vector kernels, in the spirit of the kernel's raid6
//! code (`lib/raid6/algos.c`): before any network may use them, the AVX2 kernels of
//! every format (one row and one input, four rows and one input, one row and four
//! inputs; `avx2.rs` for 16x16, `avx2_w8.rs` for 16x8 and 8x8) must give the scalar
//! reference's bits on every row length from 1 to [`EXACT_MAX`], on the lengths of
//! [`gate::SIZES`] and on the widest row (`MAX_DIM`), for random rows and for the
//! extremes (every weight and input at its format's ends: the largest lane sums, which a
//! wrong flush interval would overflow on the widest rows), and so must the 8-bit
//! formats' short-row kernel (`short_w8.rs`) and panel kernels (`panel_w8.rs`: one or
//! two panels and the rows after them, whole and in a piece that cuts a panel) on the
//! lengths they take, for each instruction set the CPU has (AVX2; VNNI on 256-bit
//! registers; on 512-bit ones with the byte kernels); and the vector requantization
//! of four outputs (`requant.rs`) must give the scalar one's on its edge cases
//! (`requant::check_cases`). Then both paths are timed on a layer of [`ROWS`] rows of each length of
//! [`gate::SIZES`], as a prediction runs it (the vector path with the input's split, the
//! four-row kernel and the requantization), and the break-even gives the automatic
//! threshold.
//!
//! The check allocates about 140 KiB of scratch and takes well under a millisecond on a
//! real CPU (a few under emulation); it runs once, from module init.

use super::avx2::{
    dot4_split, dot_split, forward_block, rows4_split, split, split4, split_len, PASS,
};
use super::avx2_w8::{self, prepared_len, Isa};
use super::fpu::Fpu;
use super::gate::{self, SIZES};
use super::panel_w8::Panels;
use super::requant::{self, Finish};
use super::short_w8::{self, Short};
use super::vnni_w8;
use crate::pure::activation::Activation;
use crate::pure::fixed::{dot, Requant, MAX_DIM};
use crate::pure::format::{
    dot_16x8, dot_8x8_wide, narrow, Format, Weights, MAX_IN_SHIFT, WEIGHT8_MAX,
};
use crate::pure::forward::DenseLayer;
use crate::pure::num::low_i8;
use crate::pure::num::{nonnegative, usize_as_u64};
use crate::pure::panel;
use crate::pure::rng::Rng;
use core::hint::black_box;
use kernel::prelude::*;
use kernel::time::{Instant, Monotonic};

/// Every row length up to this one is checked bit for bit (six passes and a tail).
pub(super) const EXACT_MAX: usize = 6 * PASS + 1;

/// Rows per timed run.
const ROWS: usize = super::TIMED_ROWS;

/// Multiply-accumulates per timed run and path, whatever the row length.
const TIMED_MACS: usize = 1 << 15;

/// Timed runs per row length and path; the fastest counts.
const TRIALS: usize = 3;

/// The longest row checked and timed.
const LONGEST: usize = SIZES[SIZES.len() - 1];

/// What the self-check found.
pub(super) struct Report {
    /// The first row length at which the kernels differed, if any.
    pub(super) mismatch: Option<usize>,
    /// Per length of [`SIZES`]: nanoseconds of [`ROWS`] rows, scalar and vector.
    pub(super) timings: [(u64, u64); SIZES.len()],
    /// Nanoseconds of one `kernel_fpu_begin`/`kernel_fpu_end` pair.
    pub(super) fpu_ns: u64,
    /// The VNNI kernels of the 8-bit formats: `None` where the CPU lacks them, else the
    /// first row length at which they differed (`Some(None)`: none, they are usable).
    pub(super) vnni: Option<Option<usize>>,
    /// The 8x8 format's byte kernels on 512-bit registers, as [`Report::vnni`]: `None`
    /// where not tried (no VNNI, VNNI refused, or the kernel prefers 256-bit registers).
    pub(super) zmm: Option<Option<usize>>,
    /// The requantization step (multiplier, shift) at which the vector requantization
    /// (`requant.rs`) differed from the scalar one, if any.
    pub(super) requant: Option<(u32, u8)>,
}

impl Report {
    /// The least row length from which the vector kernel was at least as fast.
    pub(super) fn break_even(&self) -> Option<usize> {
        let mut samples = [(0usize, 0u64, 0u64); SIZES.len()];
        for (s, (&n, &(scalar, vector))) in samples.iter_mut().zip(SIZES.iter().zip(&self.timings))
        {
            *s = (n, scalar, vector);
        }
        gate::break_even(&samples)
    }
}

/// Runs the check and the timing.
///
/// # Errors
///
/// `ENOMEM` if the scratch cannot be allocated; `EBUSY` if the FPU is not usable here
/// (module init runs in process context, so it is).
pub(super) fn run() -> Result<Report> {
    let mut weights = KVec::with_capacity(ROWS * LONGEST, GFP_KERNEL)?;
    let mut input = KVec::with_capacity(LONGEST, GFP_KERNEL)?;
    let mut extremes = KVec::from_elem(0i16, 2 * MAX_DIM, GFP_KERNEL)?;
    let mut split_x = KVec::from_elem(0i16, 4 * split_len(MAX_DIM), GFP_KERNEL)?;
    let mut rng = Rng::from_seed(0x5eed_51bd);
    let mut random = || rng.next_i16();
    for _ in 0..ROWS * LONGEST {
        weights.push(random(), GFP_KERNEL)?;
    }
    for _ in 0..LONGEST {
        input.push(random(), GFP_KERNEL)?;
    }
    let mut report = Report {
        mismatch: None,
        timings: [(0, 0); SIZES.len()],
        fpu_ns: 0,
        vnni: None,
        zmm: None,
        requant: None,
    };
    let lengths = Iterator::chain(
        Iterator::chain(1..=EXACT_MAX, SIZES.iter().copied()),
        // The short-row kernel's longest row, then the widest.
        [short_w8::MAX_PASSES * PASS, MAX_DIM],
    );
    report.mismatch = check(
        &weights,
        &input,
        &mut extremes,
        &mut split_x,
        lengths.clone(),
    )?;
    if report.mismatch.is_none() {
        report.mismatch = check_w8(Isa::Avx2, &weights, &input, &mut split_x, lengths.clone())?;
    }
    // The VNNI kernels where the CPU has them: refused alone if they differ, or if their
    // check cannot run (no memory, no FPU: reported as a difference at rows of 1).
    if report.mismatch.is_none() && super::fpu::has_avx512_vnni() {
        let mut vnni =
            check_w8(Isa::Vnni, &weights, &input, &mut split_x, lengths.clone()).unwrap_or(Some(1));
        if vnni.is_none() {
            vnni = check_b8::<false>(&weights, &input, &mut split_x, lengths.clone())
                .unwrap_or(Some(1));
        }
        report.vnni = Some(vnni);
        if vnni.is_none() && !super::fpu::prefers_ymm() && super::fpu::has_avx512bw() {
            let mut zmm = check_b8::<true>(&weights, &input, &mut split_x, lengths.clone())
                .unwrap_or(Some(1));
            if zmm.is_none() {
                // The panel kernels on 512-bit registers (with those of 256 again).
                zmm = check_w8(Isa::Vnni512, &weights, &input, &mut split_x, lengths)
                    .unwrap_or(Some(1));
            }
            report.zmm = Some(zmm);
        }
    }
    if report.mismatch.is_some() {
        return Ok(report);
    }
    // The four-output requantization and activation, on its edge cases.
    {
        let _fpu = Fpu::begin().ok_or(EBUSY)?;
        report.requant = requant::check_cases(|layer, sums, bias| {
            // SAFETY: AVX2 was found by the caller, and `_fpu` holds the FPU.
            let vector = unsafe { Finish::of(layer).finish4_biased(layer, black_box(sums), bias) };
            let scalar =
                [0, 1, 2, 3].map(|k| layer.finish(sums[k].wrapping_add(i64::from(bias[k]))));
            vector == scalar
        });
    }
    // The short-row kernel's, in double precision.
    if report.requant.is_none() {
        report.requant = check_short_requant(Isa::Avx2)?;
    }
    if report.requant.is_some() {
        return Ok(report);
    }
    let bias = [0i32; ROWS];
    let mut out = [0i16; ROWS];
    for (t, &n) in report.timings.iter_mut().zip(SIZES.iter()) {
        let reps = (TIMED_MACS / (ROWS * n)).max(1);
        // A layer of `ROWS` rows of `n` values, run as a prediction runs it: by the scalar
        // reference, and by the vector path with the input's split (the four-row kernel
        // and the requantization of each output included).
        let layer = gate::timed_layer(n, &weights, &bias).ok_or(EINVAL)?;
        let x = &input[..n];
        let mut best = (u64::MAX, u64::MAX);
        for _ in 0..TRIALS {
            best.0 = best.0.min(time(reps, || {
                layer.forward(black_box(x), &mut out).map_err(|_| EINVAL)?;
                Ok(i64::from(out[0]))
            })?);
            let fpu = Fpu::begin().ok_or(EBUSY)?;
            // `split_block` takes scratch for a block of four inputs.
            let s = &mut split_x[..4 * split_len(n)];
            best.1 = best.1.min(time(reps, || {
                let (xs, mut ys) = ([black_box(x)], [&mut out[..]]);
                // SAFETY: AVX2 was found by the caller, and `fpu` holds the FPU.
                unsafe { forward_block(&layer, &xs, s, &mut ys) }.map_err(|_| EINVAL)?;
                Ok(i64::from(out[0]))
            })?);
            drop(fpu);
        }
        *t = best;
    }
    let start = Instant::<Monotonic>::now();
    for _ in 0..16 {
        drop(Fpu::begin().ok_or(EBUSY)?);
    }
    report.fpu_ns = nonnegative(start.elapsed().as_nanos()) / 16;
    Ok(report)
}

/// The first length of `lengths` at which the kernels disagree on any row: random rows
/// of `weights` and `input`, then the extremes.
/// Both kernels: the one-input kernel on each row, and the four-input kernel on each row
/// with four inputs (the input and three rows of `weights` taken as inputs).
/// `extremes` is scratch of `2 * MAX_DIM` values, `s` of `4 * split_len(MAX_DIM)`.
/// Random rows are at most `LONGEST` long. One FPU section per length.
fn check(
    weights: &[i16],
    input: &[i16],
    extremes: &mut [i16],
    s: &mut [i16],
    lengths: impl Iterator<Item = usize>,
) -> Result<Option<usize>> {
    const EXTREMES: [(i16, i16); 5] = [
        (i16::MIN, i16::MIN),
        (i16::MIN, i16::MAX),
        (i16::MAX, i16::MAX),
        (-32767, i16::MIN),
        (i16::MAX, i16::MIN),
    ];
    let (ext_w, ext_x) = extremes.split_at_mut(MAX_DIM);
    for n in lengths {
        let n = n.min(MAX_DIM);
        let _fpu = Fpu::begin().ok_or(EBUSY)?;
        let r = n.min(LONGEST);
        let xs: [&[i16]; 4] = [
            &input[..r],
            &weights[5 * LONGEST..5 * LONGEST + r],
            &weights[6 * LONGEST..6 * LONGEST + r],
            &weights[7 * LONGEST..7 * LONGEST + r],
        ];
        let s4 = &mut s[..4 * split_len(r)];
        split4(xs, s4);
        let s4 = &*s4;
        // Row i's bias is (i - 4) * 0x0123_4567: of both signs, and large.
        for (i, k) in (0..ROWS).zip(-4i32..) {
            let bias = k * 0x0123_4567;
            // From the row's start to the end of the weights, as a layer's rows are given:
            // the padded last pass reads past `r` values, which the split's zeros cancel.
            let row = &weights[i * LONGEST..];
            // SAFETY: AVX2 was found by the caller, and `_fpu` holds the FPU.
            let four = unsafe { dot4_split(row, xs, s4, bias) };
            for (x, got) in xs.iter().zip(four) {
                if got != dot(&row[..r], x, bias) {
                    return Ok(Some(r));
                }
            }
        }
        let s_r = &mut s[..split_len(r)];
        split(&input[..r], s_r);
        // Row i's bias is (i - 4) * 0x0123_4567: of both signs, and large.
        for (i, k) in (0..ROWS).zip(-4i32..) {
            let bias = k * 0x0123_4567;
            let row = &weights[i * LONGEST..];
            // SAFETY: as above.
            let simd = unsafe { dot_split(row, &input[..r], s_r, bias) };
            if simd != dot(&row[..r], &input[..r], bias) {
                return Ok(Some(r));
            }
        }
        // The four-row kernel on rows of `r` values one after another, as a layer's.
        for i in (0..ROWS).step_by(4) {
            let rows = &weights[i * r..];
            // SAFETY: as above.
            if let Some(four) = unsafe { rows4_split(rows, r, s_r) } {
                for (k, got) in four.into_iter().enumerate() {
                    if got != dot(&rows[k * r..(k + 1) * r], &input[..r], 0) {
                        return Ok(Some(r));
                    }
                }
            }
        }
        let s = &mut s[..split_len(n)];
        // What the four-row kernel reads of rows of `n` values: four rows and a padded pass.
        let reach = (4 * n + PASS).min(MAX_DIM);
        for &(w, x) in &EXTREMES {
            ext_w[..reach].fill(w);
            ext_x[..n].fill(x);
            // Mixed signs too: every other value of the input negated.
            for flip in [false, true] {
                if flip {
                    for v in ext_x[..n].iter_mut().step_by(2) {
                        *v = v.saturating_neg();
                    }
                }
                split(&ext_x[..n], s);
                // SAFETY: as above.
                let simd = unsafe { dot_split(&ext_w[..n], &ext_x[..n], s, i32::MIN) };
                if simd != dot(&ext_w[..n], &ext_x[..n], i32::MIN) {
                    return Ok(Some(n));
                }
                // SAFETY: as above.
                if let Some(four) = unsafe { rows4_split(&ext_w[..reach], n, s) } {
                    if four.iter().any(|&v| v != dot(&ext_w[..n], &ext_x[..n], 0)) {
                        return Ok(Some(n));
                    }
                }
            }
        }
    }
    Ok(None)
}

/// The first length of `lengths` at which the 8-bit weight kernels of `isa` (`avx2_w8.rs`,
/// `vnni_w8.rs`) disagree with `dot_16x8` on the prepared input, for 16x8 (inputs as they
/// are) and 8x8 (narrowed by shift 3): random rows of `weights` (each weight's low byte,
/// kept within -127..127) up to `LONGEST` values, by the one-row, four-row and four-input
/// kernels; then the extremes at each full length (every weight -127 or 127, every input
/// -32768 or 32767: 16x8's largest lane sums) by all three. `s` is scratch of at least
/// `4 * split_len(MAX_DIM)` values.
fn check_w8(
    isa: Isa,
    weights: &[i16],
    input: &[i16],
    s: &mut [i16],
    lengths: impl Iterator<Item = usize>,
) -> Result<Option<usize>> {
    let mut w8 = KVec::with_capacity(ROWS * LONGEST, GFP_KERNEL)?;
    for &w in weights.iter().take(ROWS * LONGEST) {
        w8.push(low_i8(w).max(-WEIGHT8_MAX), GFP_KERNEL)?;
    }
    // The extremes' rows: four of the widest, and a padded pass.
    let mut ext = KVec::from_elem(0i8, 4 * MAX_DIM + PASS, GFP_KERNEL)?;
    // The panel kernels' layers, stored in panels (`panel_same`).
    let mut stored = KVec::from_elem(0i8, w8.len().max(ext.len()), GFP_KERNEL)?;
    let (one, four) = s.split_at_mut(prepared_len(MAX_DIM));
    // The kernels of `isa`, called below only while `_fpu` holds the FPU.
    let dot_w8 = |w: &[i8], n, xp: &[i16], bias| {
        // SAFETY: the caller found AVX2, and for `Isa::Vnni` AVX512_VNNI and AVX512VL
        // with the AVX-512 state saved; the FPU is held (above).
        unsafe {
            match isa {
                Isa::Avx2 => avx2_w8::dot_w8(w, n, xp, bias),
                Isa::Vnni | Isa::Vnni512 => vnni_w8::dot_w8(w, n, xp, bias),
            }
        }
    };
    let dot4_w8 = |w: &[i8], n, xp: &[i16], bias| {
        // SAFETY: as above.
        unsafe {
            match isa {
                Isa::Avx2 => avx2_w8::dot4_w8(w, n, xp, bias),
                Isa::Vnni | Isa::Vnni512 => vnni_w8::dot4_w8(w, n, xp, bias),
            }
        }
    };
    let rows4_w8 = |w: &[i8], n, xp: &[i16]| {
        // SAFETY: as above.
        unsafe {
            match isa {
                Isa::Avx2 => avx2_w8::rows4_w8(w, n, xp),
                Isa::Vnni | Isa::Vnni512 => vnni_w8::rows4_w8(w, n, xp),
            }
        }
    };
    // The 8x8 inputs' vector narrowing (`prepare_block`'s) on the bounds of its rounding
    // and saturation at every shift: reported as a difference at rows of one pass.
    {
        let _fpu = Fpu::begin().ok_or(EBUSY)?;
        if !narrow_same(four) {
            return Ok(Some(PASS));
        }
    }
    for n in lengths {
        let _fpu = Fpu::begin().ok_or(EBUSY)?;
        let r = n.min(LONGEST);
        for shift in [None, Some(3)] {
            let x = &input[..r];
            avx2_w8::prepare(x, shift, one, avx2_w8::PASS);
            if let Some(s) = shift {
                // And on the random input, whole passes, against the value-by-value one.
                let full = r / PASS;
                // SAFETY: the caller found AVX2; `_fpu` holds the FPU; the lengths are
                // checked by `narrow_passes`.
                unsafe { avx2_w8::narrow_passes(x, s, four, PASS, full) };
                if four[..full * PASS] != one[..full * PASS] {
                    return Ok(Some(r));
                }
            }
            let xp = &one[..prepared_len(r)];
            // Four inputs: the input and three rows of `weights` taken as inputs.
            let xs = [
                x,
                &weights[5 * LONGEST..][..r],
                &weights[6 * LONGEST..][..r],
                &weights[7 * LONGEST..][..r],
            ];
            for (k, xk) in xs.iter().enumerate() {
                avx2_w8::prepare(xk, shift, &mut four[k * PASS..], 4 * PASS);
            }
            for (i, k) in (0..ROWS).zip(-4i32..) {
                let bias = k * 0x0123_4567;
                let row = &w8[i * LONGEST..];
                if dot_w8(row, r, xp, bias) != dot_16x8(&row[..r], &xp[..r], bias) {
                    return Ok(Some(r));
                }
                let sums = dot4_w8(row, r, &four[..4 * prepared_len(r)], bias);
                for (xk, got) in xs.iter().zip(sums) {
                    if got != exact_w8(&row[..r], xk, shift, bias) {
                        return Ok(Some(r));
                    }
                }
            }
            for i in (0..ROWS).step_by(4) {
                let rows = &w8[i * r..];
                if let Some(sums) = rows4_w8(rows, r, xp) {
                    for (k, got) in sums.into_iter().enumerate() {
                        if got != dot_16x8(&rows[k * r..(k + 1) * r], &xp[..r], 0) {
                            return Ok(Some(r));
                        }
                    }
                }
            }
            // The short-row kernel on the `ROWS` rows of `r` values of `w8`, for the
            // input alone and for each of the four interleaved.
            let turn = r % STEPS.len();
            if r <= short_w8::MAX_PASSES * PASS
                && (!short_same(isa, turn, &w8, r, x, shift, xp, PASS)
                    || !xs.iter().enumerate().all(|(k, xk)| {
                        short_same(
                            isa,
                            turn + k,
                            &w8,
                            r,
                            xk,
                            shift,
                            &four[k * PASS..],
                            4 * PASS,
                        )
                    }))
            {
                return Ok(Some(r));
            }
            // The panel kernels, on the input alone; then, where four inputs have a kernel
            // of their own (512-bit registers; elsewhere each runs alone, as the one
            // above), on the four prepared one after another. Every check here runs at
            // each module load: under emulation it costs.
            if panel::fits(Format::F16x8, panel::ROWS, r) {
                if !panel_same(isa, turn, &w8, &mut stored, r, &[x], shift, xp) {
                    return Ok(Some(r));
                }
                if isa == Isa::Vnni512 {
                    let plen = prepared_len(r);
                    for (k, xk) in xs.iter().enumerate() {
                        avx2_w8::prepare(xk, shift, &mut four[k * plen..], PASS);
                    }
                    if !panel_same(isa, turn + 1, &w8, &mut stored, r, &xs, shift, four) {
                        return Ok(Some(r));
                    }
                }
            }
        }
        // The extremes on the full length `n`, 16x8's largest lane sums, by all three
        // kernels: the raw input in `one`, prepared alone and four times interleaved.
        let plen = prepared_len(n);
        let (quad, single) = four.split_at_mut(4 * plen);
        for (w, x) in [
            (-WEIGHT8_MAX, i16::MIN),
            (WEIGHT8_MAX, i16::MIN),
            (WEIGHT8_MAX, i16::MAX),
        ] {
            ext.fill(w);
            one[..n].fill(x);
            avx2_w8::prepare(&one[..n], None, single, avx2_w8::PASS);
            for k in 0..4 {
                avx2_w8::prepare(&one[..n], None, &mut quad[k * PASS..], 4 * PASS);
            }
            let xp = &single[..plen];
            let want = dot_16x8(&ext[..n], &xp[..n], i32::MIN);
            if dot_w8(&ext, n, xp, i32::MIN) != want
                || dot4_w8(&ext, n, &quad[..4 * plen], i32::MIN) != [want; 4]
            {
                return Ok(Some(n));
            }
            if let Some(sums) = rows4_w8(&ext, n, xp) {
                if sums.iter().any(|&v| v != dot_16x8(&ext[..n], &xp[..n], 0)) {
                    return Ok(Some(n));
                }
            }
            if n <= short_w8::MAX_PASSES * PASS
                && !short_same(isa, n, &ext, n, &one[..n], None, xp, PASS)
            {
                return Ok(Some(n));
            }
            // Every weight the same: the panels' order is the rows'.
            if panel::fits(Format::F16x8, panel::ROWS, n)
                && !panel_same(isa, n, &ext, &mut stored, n, &[&one[..n]], None, xp)
            {
                return Ok(Some(n));
            }
        }
    }
    Ok(None)
}

/// Whether `avx2_w8::narrow_passes` is `format::narrow` at every shift (and one past
/// `MAX_IN_SHIFT`) on the values where it could go wrong: the ends of the 16-bit range,
/// 0 and -1, and around each shift's rounding point (`±2^(s-1)`) and saturation points
/// (`127.5 * 2^s` and `-128.5 * 2^s`), in `out` (at least 64 values). Called with the FPU
/// held, on a CPU with AVX2.
fn narrow_same(out: &mut [i16]) -> bool {
    let mut x = [0i16; 64];
    for shift in 0..=MAX_IN_SHIFT + 1 {
        let s = i32::from(shift.min(MAX_IN_SHIFT));
        let half = if s == 0 { 0 } else { 1 << (s - 1) };
        let points = [0, half, 127 * (1 << s) + half, -128 * (1 << s) - half];
        let mut i = 0;
        for p in points {
            for d in [-2, -1, 0, 1, 2] {
                for v in [p + d, -(p + d)] {
                    if let Some(slot) = x.get_mut(i) {
                        *slot = v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
                    }
                    i += 1;
                }
            }
        }
        // The rest: the ends of the range.
        for (k, slot) in x.iter_mut().enumerate().skip(i) {
            *slot = if k % 2 == 0 { i16::MIN } else { i16::MAX };
        }
        // SAFETY: AVX2 and the FPU as the caller says; the lengths are checked by
        // `narrow_passes`.
        unsafe { avx2_w8::narrow_passes(&x, shift, out, PASS, x.len() / PASS) };
        if x.iter()
            .zip(out.iter())
            .any(|(&v, &o)| o != i16::from(narrow(v, shift)))
        {
            return false;
        }
    }
    true
}

/// The exact sum of `row` and `x`, narrowed by `shift` (8x8) or as it is (16x8), and
/// `bias`: the format's reference.
fn exact_w8(row: &[i8], x: &[i16], shift: Option<u8>, bias: i32) -> i64 {
    shift.map_or_else(|| dot_16x8(row, x, bias), |s| dot_8x8_wide(row, x, s, bias))
}

/// Rows a group of the short-row kernel.
const GROUP: usize = 8;

/// Requantization steps (multiplier, shift) and activations the short-row kernel's
/// check takes turns with.
const STEPS: [(u32, u8, Activation); 5] = [
    (1, 0, Activation::Linear),
    (12345, 20, Activation::Relu),
    (65535, 47, Activation::Sigmoid),
    (40000, 31, Activation::Tanh),
    (65535, 0, Activation::Relu),
];

/// Rows of the short-row kernel's check: two groups, and up to seven more (a group
/// moved back to end at the last).
const SHORT_ROWS: usize = 2 * GROUP + GROUP - 1;

/// Whether the short-row kernel of `isa` (`short_w8.rs`) gives `DenseLayer::finish` of
/// the exact sum on the rows of `r` values of `w` (row `i` at `w[i * r..]`), `x`
/// prepared (narrowed by `shift`) as `xp` with its passes `step` apart, with the
/// requantization, activation and biases of [`turn_step`]. `w` holds at least
/// [`SHORT_ROWS`] rows. Called with the FPU held.
#[allow(clippy::too_many_arguments)]
fn short_same(
    isa: Isa,
    turn: usize,
    w: &[i8],
    r: usize,
    x: &[i16],
    shift: Option<u8>,
    xp: &[i16],
    step: usize,
) -> bool {
    let Some((requant, activation, bias)) = turn_step::<SHORT_ROWS>(turn, r) else {
        return false;
    };
    // Sixteen to 23 rows, and no weights after them.
    let rows = 2 * GROUP + r % GROUP;
    let Some(w) = w.get(..rows * r) else {
        return false;
    };
    let layer = DenseLayer {
        inputs: r,
        outputs: rows,
        activation,
        requant,
        weights: Weights::Narrow(w),
        bias: &bias[..rows],
    };
    let Some(mut short) = Short::of(&layer, step) else {
        // Rows shorter than a pass: not the kernel's.
        return r < PASS;
    };
    let mut out = [0i16; SHORT_ROWS];
    // SAFETY: the caller found AVX2 (and VNNI for `Isa::Vnni`) and holds the FPU.
    let done = unsafe { short.rows(isa, w, r, xp, &bias[..rows], &mut out[..rows]) };
    if done != rows {
        return false;
    }
    (0..done).all(|i| out[i] == layer.finish(exact_w8(&w[i * r..(i + 1) * r], x, shift, bias[i])))
}

/// Turn `turn`'s requantization, activation and `R` biases for rows of `r` values: on
/// odd turns from [`STEPS`], with biases spread over `i32` (saturating outputs, the ends
/// of the requantization); on even turns the identity activation, small biases and a
/// shift that brings the largest sum of `r` values to about `2^14` (outputs in range: a
/// wrong sum shows in its low bits).
fn turn_step<const R: usize>(turn: usize, r: usize) -> Option<(Requant, Activation, [i32; R])> {
    let mid = turn % 2 == 0;
    // The largest sum's bits: `r * 128 * 2^15 <= 2^31`.
    let bits = usize::BITS - (r.max(1) * (1 << 22)).leading_zeros();
    let (mult, s, activation) = if mid {
        (
            1 + (turn as u32 * 7919) % 4096,
            (bits + 12).saturating_sub(14).min(47) as u8,
            Activation::Linear,
        )
    } else {
        STEPS[turn / 2 % STEPS.len()]
    };
    let mut bias = [0i32; R];
    for (i, b) in (0i32..).zip(bias.iter_mut()) {
        *b = if mid {
            (i - 8) * 1000
        } else {
            (i - 8).wrapping_mul(0x0F0F_0F0F)
        };
    }
    Some((Requant::new(mult, s)?, activation, bias))
}

/// Rows of the panel kernels' check at most: two panels and fifteen rows after them.
const PANEL_ROWS: usize = 2 * panel::ROWS + panel::ROWS - 1;

/// Whether the panel kernels of `isa` (`panel_w8.rs`, through `avx2_w8::block_rows_w8`)
/// give `DenseLayer::finish` of the exact sum on a layer of the rows of `r` values of `w`
/// (row `i` at `w[i * r..]`; one panel, two on every fifth length and on those past
/// [`EXACT_MAX`] where `w` holds them, and up to fifteen rows after them), stored in
/// panels into `stored` (as long as `w`), for a block of the inputs `xs` (one, or on
/// 512-bit registers four, which the four-input kernel runs)
/// prepared (narrowed by `shift`) one after another in `prep`: the whole layer, then a
/// piece that cuts a panel. The requantization, activation and biases of [`turn_step`].
/// Called with the FPU held.
#[allow(clippy::too_many_arguments)]
fn panel_same(
    isa: Isa,
    turn: usize,
    w: &[i8],
    stored: &mut [i8],
    r: usize,
    xs: &[&[i16]],
    shift: Option<u8>,
    prep: &[i16],
) -> bool {
    let Some((requant, activation, bias)) = turn_step::<PANEL_ROWS>(turn, r) else {
        return false;
    };
    // Two panels (the kernels' loop over panels) on every fifth length and on those past
    // `EXACT_MAX` where they fit, one elsewhere.
    let rows = if PANEL_ROWS * r <= w.len() && (r % 5 == 0 || r > EXACT_MAX) {
        2 * panel::ROWS + r % panel::ROWS
    } else {
        panel::ROWS + r % panel::ROWS
    };
    let (Some(w), Some(stored)) = (w.get(..rows * r), stored.get_mut(..rows * r)) else {
        return false;
    };
    for (v, k) in stored.iter_mut().zip(panel::order(Format::F16x8, rows, r)) {
        *v = w.get(k).copied().unwrap_or(0);
    }
    let layer = DenseLayer {
        inputs: r,
        outputs: rows,
        activation,
        requant,
        weights: Weights::Panels {
            weights: stored,
            in_shift: shift,
        },
        bias: &bias[..rows],
    };
    let want =
        |x: &[i16], i: usize| layer.finish(exact_w8(&w[i * r..(i + 1) * r], x, shift, bias[i]));
    let mut out = [[0i16; PANEL_ROWS]; 4];
    let same = |out: &[[i16; PANEL_ROWS]; 4], first: usize, count: usize| {
        xs.iter()
            .zip(out)
            .all(|(x, o)| (0..count).all(|i| o[i] == want(x, first + i)))
    };
    for (first, count) in [(0, rows), (5, rows - 9)] {
        let [o0, o1, o2, o3] = &mut out;
        let mut ys = [
            &mut o0[..count],
            &mut o1[..count],
            &mut o2[..count],
            &mut o3[..count],
        ];
        let Some(ys) = ys.get_mut(..xs.len()) else {
            return false;
        };
        // SAFETY: the caller found the features of `isa` and holds the FPU.
        let run = unsafe { avx2_w8::block_rows_w8(isa, &layer, xs, prep, first, ys) };
        if run.is_err() || !same(&out, first, count) {
            return false;
        }
        // The four-input kernel itself (the driver takes it for larger layers only).
        if let (Isa::Vnni512, 4, Some(p)) = (isa, xs.len(), Panels::of(&layer)) {
            let end = (first + count).min(panel::panel_rows(rows));
            let [o0, o1, o2, o3] = &mut out;
            let ys = [
                &mut o0[..count],
                &mut o1[..count],
                &mut o2[..count],
                &mut o3[..count],
            ];
            let len = prepared_len(r);
            // SAFETY: as above (`Isa::Vnni512`: AVX512F, AVX512BW and AVX512_VNNI).
            let done = unsafe { p.rows4(stored, prep, len, &bias, first, ys) };
            if done != end - first || !same(&out, first, done) {
                return false;
            }
        }
    }
    true
}

/// The short-row kernel's requantization (`short_w8.rs`, in double precision) against
/// the scalar one on `requant::check_cases`'s edge cases within `i32` (given as biases
/// of rows of zeros; those past it, which a row's sum and bias can reach up to about
/// `2^32`, are the host tests'): the step of the first that differed.
fn check_short_requant(isa: Isa) -> Result<Option<(u32, u8)>> {
    let _fpu = Fpu::begin().ok_or(EBUSY)?;
    // Eight rows of 16 zeros.
    let zeros = [0i8; GROUP * PASS];
    let xp = [0i16; PASS];
    Ok(requant::check_cases(|layer, sums, bias| {
        let mut b = [0i32; 8];
        for k in 0..4 {
            let Ok(acc) = i32::try_from(sums[k].wrapping_add(i64::from(bias[k]))) else {
                // Not a bias over rows of zeros: the host tests'.
                return true;
            };
            (b[k], b[k + 4]) = (acc, acc);
        }
        let l = DenseLayer {
            inputs: PASS,
            outputs: GROUP,
            weights: Weights::Narrow(&zeros),
            bias: &b,
            ..*layer
        };
        let Some(mut short) = Short::of(&l, PASS) else {
            return false;
        };
        let mut y = [0i16; 8];
        // SAFETY: the caller found AVX2 (and VNNI for `Isa::Vnni`); `_fpu` holds the FPU.
        let done = unsafe { short.rows(isa, &zeros, PASS, &xp, &b, &mut y) };
        done == 8 && y.iter().zip(b).all(|(&v, a)| v == l.finish(i64::from(a)))
    }))
}

/// The first length of `lengths` at which the 8x8 format's byte kernels (`vnni_b8.rs`)
/// disagree with the exact sum of the weights and the narrowed input (shift 3): random
/// rows of `weights` (each weight's low byte, within -127..127) up to `LONGEST` values
/// with the input and three rows of `weights` as inputs, by the one-row, four-row and
/// four-input kernels; then the extremes at each full length (every weight -127 or 127,
/// every narrowed input -128 or 127: the largest offset products). `s` is scratch of at
/// least `vnni_b8::block_len(5, MAX_DIM)` values. Only where the CPU has AVX512_VNNI and
/// AVX512VL; `Z`, the kernels on 512-bit registers, only where the kernel does not prefer
/// 256-bit ones.
fn check_b8<const Z: bool>(
    weights: &[i16],
    input: &[i16],
    s: &mut [i16],
    lengths: impl Iterator<Item = usize>,
) -> Result<Option<usize>> {
    use super::vnni_b8::{self, as_bytes, block_len, prepare, PASS as B_PASS};
    use crate::pure::format::narrow;
    const SHIFT: u8 = 3;
    let mut w8 = KVec::with_capacity(ROWS * LONGEST, GFP_KERNEL)?;
    for &w in weights.iter().take(ROWS * LONGEST) {
        w8.push(low_i8(w).max(-WEIGHT8_MAX), GFP_KERNEL)?;
    }
    let mut ext = KVec::from_elem(0i8, 4 * MAX_DIM + B_PASS, GFP_KERNEL)?;
    let (one, four) = s.split_at_mut(block_len(1, MAX_DIM));
    for n in lengths {
        let _fpu = Fpu::begin().ok_or(EBUSY)?;
        let r = n.min(LONGEST);
        let bytes = vnni_b8::passes(r) * B_PASS;
        let xs = [
            &input[..r],
            &weights[5 * LONGEST..][..r],
            &weights[6 * LONGEST..][..r],
            &weights[7 * LONGEST..][..r],
        ];
        let sx = i64::from(prepare(xs[0], SHIFT, one, 0, B_PASS));
        let mut sx4 = [0i64; 4];
        for (k, (x, sum)) in xs.iter().zip(sx4.iter_mut()).enumerate() {
            *sum = i64::from(prepare(x, SHIFT, four, k * B_PASS, 4 * B_PASS));
        }
        let (b1, b4) = (&as_bytes(one)[..bytes], &as_bytes(four)[..4 * bytes]);
        for (i, k) in (0..ROWS).zip(-4i32..) {
            let bias = k * 0x0123_4567;
            let row = &w8[i * LONGEST..];
            // SAFETY: the caller found AVX512_VNNI and AVX512VL with the AVX-512 state
            // saved; `_fpu` holds the FPU.
            let (got, got4) = unsafe {
                (
                    vnni_b8::dot_b8::<Z>(row, r, b1, sx, bias),
                    vnni_b8::dot4_b8::<Z>(row, r, b4, sx4, bias),
                )
            };
            if got != dot_8x8_wide(&row[..r], xs[0], SHIFT, bias) {
                return Ok(Some(r));
            }
            for (x, g) in xs.iter().zip(got4) {
                if g != dot_8x8_wide(&row[..r], x, SHIFT, bias) {
                    return Ok(Some(r));
                }
            }
        }
        for i in (0..ROWS).step_by(4) {
            let rows = &w8[i * r..];
            let mut sums = [0i64; 4];
            // SAFETY: as above.
            if unsafe { vnni_b8::rows4_b8_to::<Z>(rows, r, b1, sx, &mut sums) } {
                for (k, got) in sums.into_iter().enumerate() {
                    if got != dot_8x8_wide(&rows[k * r..(k + 1) * r], xs[0], SHIFT, 0) {
                        return Ok(Some(r));
                    }
                }
            }
        }
        // The extremes on the full length `n` (an input of `i16` extremes narrowed by
        // shift 0: -128 or 127).
        let bytes = vnni_b8::passes(n) * B_PASS;
        for (w, x) in [
            (-WEIGHT8_MAX, i16::MIN),
            (WEIGHT8_MAX, i16::MIN),
            (WEIGHT8_MAX, i16::MAX),
        ] {
            ext.fill(w);
            let x8 = i64::from(narrow(x, 0));
            let xs = [x; B_PASS];
            // The input of `n` values `x`, pass by pass (a pass of `xs` each).
            let mut sx = 0i64;
            let mut sx4 = [0i64; 4];
            for p in 0..vnni_b8::passes(n) {
                let len = (n - p * B_PASS).min(B_PASS);
                sx += i64::from(prepare(&xs[..len], 0, one, p * B_PASS, B_PASS));
                for (k, sum) in sx4.iter_mut().enumerate() {
                    let at = (4 * p + k) * B_PASS;
                    *sum += i64::from(prepare(&xs[..len], 0, four, at, 4 * B_PASS));
                }
            }
            let want = i64::try_from(n).unwrap_or(0) * i64::from(w) * x8;
            let (b1, b4) = (&as_bytes(one)[..bytes], &as_bytes(four)[..4 * bytes]);
            let mut sums = [0i64; 4];
            // SAFETY: as above.
            let (got, got4, ran) = unsafe {
                (
                    vnni_b8::dot_b8::<Z>(&ext, n, b1, sx, i32::MIN),
                    vnni_b8::dot4_b8::<Z>(&ext, n, b4, sx4, i32::MIN),
                    vnni_b8::rows4_b8_to::<Z>(&ext, n, b1, sx, &mut sums),
                )
            };
            let biased = want + i64::from(i32::MIN);
            if got != biased || got4 != [biased; 4] || (ran && sums != [want; 4]) {
                return Ok(Some(n));
            }
        }
    }
    Ok(None)
}

/// Nanoseconds of `reps` calls of `f`, per call.
fn time(reps: usize, mut f: impl FnMut() -> Result<i64>) -> Result<u64> {
    let start = Instant::<Monotonic>::now();
    for _ in 0..reps {
        black_box(f()?);
    }
    // `checked_div`: no division-by-zero panic (`reps` is at least 1), whose call ends
    // the function where objtool, which does not know it as noreturn, sees a fall-through.
    Ok(nonnegative(start.elapsed().as_nanos())
        .checked_div(usize_as_u64(reps))
        .unwrap_or(0))
}
