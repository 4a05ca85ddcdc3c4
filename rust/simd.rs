// SPDX-License-Identifier: GPL-2.0

//! The vector path: the kernels, the gate that picks them per layer, the FPU section a
//! prediction runs in, and what `/sys/kernel/debug/neural_network/simd` shows.
//!
//! - [`avx2`]: the exact AVX2 kernels, for one input and for a block of four, and the
//!   layer rows they compute (`core` only; the host crate `tools/pure` builds them,
//!   checks them bit for bit against the scalar reference and times them).
//! - [`avx2_w8`]: the same for the 8-bit weight formats (16x8, 8x8), on the input
//!   prepared once a layer (copied or narrowed, padded).
//! - [`requant`]: the requantization and activation of four outputs at once, which
//!   every kernel's four sums go through.
//! - [`short_w8`]: the 8-bit formats' kernel for short rows and one input, eight rows a
//!   group, every group of a row piece and its requantization in one block.
//! - [`panel_w8`]: the 8-bit formats' kernels for layers stored in panels
//!   (`pure/panel.rs`): sixteen rows a register (or two), no sum across lanes, the
//!   requantization of the sixteen in the same block.
//! - [`vnni_w8`]: the 8-bit formats' kernels with AVX-512 VNNI (`vpdpwssd` on 256-bit
//!   registers), where the CPU has it and the self-check passed them.
//! - [`vnni_b8`]: the 8x8 format's kernels on byte products (`vpdpbusd`), with the same
//!   conditions: 32 products an instruction.
//! - `asm`: the `asm!` wrapper and the chunk and reduction macros the kernel files use.
//! - [`gate`]: the pure decision (features, `neural_enable_simd`, threshold), shared
//!   with the host.
//! - `fpu`: the FPU section (`kernel_fpu_begin`) and the CPU features, over
//!   `fpu_helper.c`.
//! - `selfcheck`: the load-time check and timing that may refuse the vector kernel and
//!   that gives the automatic threshold.
//! - [`bench`]: the in-guest benchmark (debugfs `bench`): the host benchmark's shapes
//!   through the module's own section and kernels, in guest time (instructions under
//!   `qemu -icount`).
//!
//! A prediction (or one batch chunk) opens one [`Section`], the [`Runner`] of the batch
//! driver (`pure::batch`): if the gate sends any of its layers to the vector kernel, the
//! section takes the FPU once, for all its layers and inputs, and gives it back and
//! takes it again (a preemption point) after every [`SECTION_MACS`] multiply-accumulates,
//! so that no FPU section runs longer than that much work plus one row per input. If
//! the FPU may not be used here (`irq_fpu_usable()`), every layer runs scalar and the
//! fallback is counted. On other architectures, and where the CPU lacks AVX2, every
//! layer runs the scalar reference.

#[cfg(CONFIG_X86_64)]
#[macro_use]
mod asm;
#[cfg(CONFIG_X86_64)]
#[expect(unreachable_pub)]
pub(crate) mod avx2;
#[cfg(CONFIG_X86_64)]
#[expect(unreachable_pub)]
pub(crate) mod avx2_w8;
pub(crate) mod bench;
#[cfg(CONFIG_X86_64)]
mod fpu;
#[expect(unreachable_pub)]
pub(crate) mod gate;
#[cfg(CONFIG_X86_64)]
#[expect(unreachable_pub)]
pub(crate) mod panel_w8;
#[cfg(CONFIG_X86_64)]
#[expect(unreachable_pub)]
pub(crate) mod requant;
#[cfg(CONFIG_X86_64)]
mod selfcheck;
#[cfg(CONFIG_X86_64)]
#[expect(unreachable_pub)]
pub(crate) mod short_w8;
#[cfg(CONFIG_X86_64)]
#[expect(unreachable_pub)]
pub(crate) mod vnni_b8;
#[cfg(CONFIG_X86_64)]
#[expect(unreachable_pub)]
pub(crate) mod vnni_w8;

use crate::params;
use crate::pure::batch::{self, Runner, Scalar};
use crate::pure::forward::{DenseLayer, ShapeError};
use crate::pure::num::{u32_as_usize, usize_as_u64};
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use gate::{Gate, SIZES, TIMED_ROWS};
use kernel::prelude::*;

/// The most multiply-accumulates an FPU section runs before it gives the FPU back
/// (with at most one more row of at most `MAX_DIM` values for each input of a block of
/// `pure::batch::BLOCK`): on the host of
/// performance.rst, some 3 us by the vector kernels and at most about 30 us when
/// the section's layers run scalar (a network whose small layers are under the
/// threshold), against the 4 KiB chunks (a few microseconds) of the kernel's crypto.
pub(crate) const SECTION_MACS: usize = 1 << 16;

/// What the module found at load, and what the predictions did since.
struct State {
    /// The CPU has AVX2 (and the kernel saves the YMM state).
    avx2: AtomicBool,
    /// The self-check ran and the kernels agreed: the gate may pick the vector kernel.
    usable: AtomicBool,
    /// The first row length where the kernels differed (0: none).
    mismatch: AtomicUsize,
    /// The vector requantization differed from the scalar one.
    requant_failed: AtomicBool,
    /// The measured break-even row length (0: none, the vector kernel never won).
    break_even: AtomicUsize,
    /// Per length of [`SIZES`], nanoseconds of the self-check's rows, scalar and vector.
    timings: [(AtomicU64, AtomicU64); SIZES.len()],
    /// Nanoseconds of one FPU begin/end pair.
    fpu_ns: AtomicU64,
    /// Layer runs (one layer, one input vector) by the vector kernel.
    simd_layers: AtomicU64,
    /// Layer runs by the scalar reference.
    scalar_layers: AtomicU64,
    /// Predictions the gate sent to the vector kernel that ran scalar because the FPU
    /// was not usable in their context.
    fpu_unusable: AtomicU64,
    /// The CPU has AVX512_VNNI and AVX512VL, and the kernel saves the AVX-512 state.
    vnni_found: AtomicBool,
    /// The VNNI kernels passed the self-check: the 8-bit formats run them.
    vnni: AtomicBool,
    /// The first row length where the VNNI kernels differed (0: none).
    vnni_mismatch: AtomicUsize,
    /// The 8x8 format's byte kernels on 512-bit registers passed the self-check (tried
    /// where the VNNI kernels passed and the kernel does not prefer 256-bit registers).
    zmm: AtomicBool,
    /// Whether they were tried, and the first row length where they differed (0: none).
    zmm_tried: AtomicBool,
    zmm_mismatch: AtomicUsize,
}

static STATE: State = State {
    avx2: AtomicBool::new(false),
    usable: AtomicBool::new(false),
    mismatch: AtomicUsize::new(0),
    requant_failed: AtomicBool::new(false),
    break_even: AtomicUsize::new(0),
    timings: [const { (AtomicU64::new(0), AtomicU64::new(0)) }; SIZES.len()],
    fpu_ns: AtomicU64::new(0),
    simd_layers: AtomicU64::new(0),
    scalar_layers: AtomicU64::new(0),
    fpu_unusable: AtomicU64::new(0),
    vnni_found: AtomicBool::new(false),
    vnni: AtomicBool::new(false),
    vnni_mismatch: AtomicUsize::new(0),
    zmm: AtomicBool::new(false),
    zmm_tried: AtomicBool::new(false),
    zmm_mismatch: AtomicUsize::new(0),
};

/// Finds the CPU's features and runs the self-check; logs what it found. Called once,
/// from module init, before any network exists. Never fails the load: without a usable
/// vector kernel every layer runs scalar.
pub(crate) fn init() {
    #[cfg(CONFIG_X86_64)]
    {
        if !fpu::has_avx2() {
            pr_info!("simd: the CPU has no AVX2: every layer runs the scalar path\n");
            return;
        }
        STATE.avx2.store(true, Relaxed);
        match selfcheck::run() {
            Err(e) => pr_err!(
                "simd: the AVX2 self-check could not run ({:?}): every layer runs the scalar path\n",
                e
            ),
            Ok(report) => record(&report),
        }
    }
    #[cfg(not(CONFIG_X86_64))]
    pr_info!("simd: no vector kernel for this architecture: every layer runs the scalar path\n");
}

#[cfg(CONFIG_X86_64)]
fn record(report: &selfcheck::Report) {
    if let Some(n) = report.mismatch {
        STATE.mismatch.store(n, Relaxed);
        pr_err!(
            "simd: the AVX2 kernel differs from the scalar reference on rows of {} values: SIMD refused, every layer runs the scalar path\n",
            n
        );
        return;
    }
    if let Some((mult, shift)) = report.requant {
        STATE.requant_failed.store(true, Relaxed);
        pr_err!(
            "simd: the AVX2 requantization differs from the scalar reference (mult {}, shift {}): SIMD refused, every layer runs the scalar path\n",
            mult,
            shift
        );
        return;
    }
    for (slot, &(scalar, vector)) in STATE.timings.iter().zip(&report.timings) {
        slot.0.store(scalar, Relaxed);
        slot.1.store(vector, Relaxed);
    }
    STATE.fpu_ns.store(report.fpu_ns, Relaxed);
    match report.vnni {
        None => {}
        Some(None) => {
            STATE.vnni_found.store(true, Relaxed);
            STATE.vnni.store(true, Relaxed);
            pr_info!(
                "simd: AVX-512 VNNI self-check passed: the 8-bit formats run the VNNI kernels\n"
            );
        }
        Some(Some(n)) => {
            STATE.vnni_found.store(true, Relaxed);
            STATE.vnni_mismatch.store(n, Relaxed);
            pr_err!(
                "simd: the VNNI kernel differs from the scalar reference on rows of {} values: VNNI refused, the 8-bit formats run the AVX2 kernels\n",
                n
            );
        }
    }
    match report.zmm {
        None if STATE.vnni.load(Relaxed) => pr_info!(
            "simd: the kernel prefers 256-bit registers on this CPU (X86_FEATURE_PREFER_YMM), or it lacks AVX512BW: the VNNI kernels stay on them\n"
        ),
        None => {}
        Some(None) => {
            STATE.zmm_tried.store(true, Relaxed);
            STATE.zmm.store(true, Relaxed);
            pr_info!(
                "simd: AVX-512 VNNI self-check passed on 512-bit registers: the 8x8 format's byte kernels and the panel kernels run them\n"
            );
        }
        Some(Some(n)) => {
            STATE.zmm_tried.store(true, Relaxed);
            STATE.zmm_mismatch.store(n, Relaxed);
            pr_err!(
                "simd: a 512-bit VNNI kernel differs from the scalar reference on rows of {} values: refused, the 256-bit ones run\n",
                n
            );
        }
    }
    let even = report.break_even();
    STATE.break_even.store(even.unwrap_or(0), Relaxed);
    STATE.usable.store(true, Relaxed);
    match even {
        Some(n) => pr_info!(
            "simd: AVX2 self-check passed (rows of 1 to {} values, the {} timed lengths and {}, and the requantization); break-even at rows of {} values\n",
            selfcheck::EXACT_MAX,
            SIZES.len(),
            crate::pure::fixed::MAX_DIM,
            n
        ),
        None => pr_info!(
            "simd: AVX2 self-check passed (rows of 1 to {} values, the {} timed lengths and {}, and the requantization); the scalar path was faster at every length timed, so the automatic threshold sends no layer to SIMD\n",
            selfcheck::EXACT_MAX,
            SIZES.len(),
            crate::pure::fixed::MAX_DIM
        ),
    }
}

/// Whether the CPU has AVX2, and whether the self-check found the kernel usable.
#[cfg(CONFIG_NEURAL_NETWORK_KUNIT_TEST)]
pub(crate) fn found() -> (bool, bool) {
    (STATE.avx2.load(Relaxed), STATE.usable.load(Relaxed))
}

/// The measured break-even row length, if the vector kernel ever won.
fn break_even() -> Option<usize> {
    match STATE.break_even.load(Relaxed) {
        0 => None,
        n => Some(n),
    }
}

/// The gate in force now: the load-time findings and the parameters as they are.
pub(crate) fn gate() -> Gate {
    Gate::new(
        STATE.usable.load(Relaxed),
        params::simd_enabled(),
        u32_as_usize(params::simd_threshold()),
        break_even(),
    )
}

/// One prediction's (or one batch chunk's) use of the vector path: the gate read once,
/// the FPU held while it lives if any layer needs it, and the layer runs counted.
///
/// Nothing may sleep while a section that holds the FPU lives.
pub(crate) struct Section {
    gate: Gate,
    #[cfg(CONFIG_X86_64)]
    fpu: Option<fpu::Fpu>,
    /// Multiply-accumulates since the FPU was last taken.
    since: usize,
    simd: u64,
    scalar: u64,
}

impl Section {
    /// A section for layers with rows of these lengths, by `gate` (the one in force,
    /// [`gate()`], with a network's own `simd` setting; the KUnit suite forces paths): it
    /// takes the FPU if the gate sends any of them to the vector kernel. The gate is
    /// usable only if the load-time findings say so, whatever `gate` says: no gate
    /// reaches the vector kernels on a CPU without AVX2.
    pub(crate) fn with_gate(gate: Gate, row_lengths: impl IntoIterator<Item = usize>) -> Self {
        let gate = Gate {
            usable: gate.usable && STATE.usable.load(Relaxed),
            ..gate
        };
        #[cfg(CONFIG_X86_64)]
        let fpu = if gate.any(row_lengths) {
            let f = fpu::Fpu::begin();
            if f.is_none() {
                STATE.fpu_unusable.fetch_add(1, Relaxed);
            }
            f
        } else {
            None
        };
        #[cfg(not(CONFIG_X86_64))]
        let _ = row_lengths;
        Self {
            gate,
            #[cfg(CONFIG_X86_64)]
            fpu,
            since: 0,
            simd: 0,
            scalar: 0,
        }
    }

    /// The layer runs so far: by the vector kernel, and by the scalar reference.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.simd, self.scalar)
    }

    /// [`Runner::run`] while the FPU is held: the block's inputs split (16x16) or
    /// prepared (the 8-bit formats) once, then the layer in row pieces of at most
    /// [`SECTION_MACS`], the FPU given back and taken again between pieces when due.
    #[cfg(CONFIG_X86_64)]
    fn run_held(
        &mut self,
        layer: &DenseLayer<'_>,
        xs: &[&[i16]],
        ys: &mut [&mut [i16]],
        split: &mut [i16],
    ) -> Result<(), ShapeError> {
        if xs.len() != ys.len()
            || xs.len() > batch::BLOCK
            || ys.iter().any(|y| y.len() != layer.outputs)
        {
            return Err(ShapeError);
        }
        let vector = self.gate.picks(layer);
        // The 8-bit formats' instruction set: VNNI where the self-check passed it, the
        // 8x8 format's on 512-bit registers where it passed those.
        let isa = match (STATE.vnni.load(Relaxed), STATE.zmm.load(Relaxed)) {
            (true, true) => avx2_w8::Isa::Vnni512,
            (true, false) => avx2_w8::Isa::Vnni,
            (false, _) => avx2_w8::Isa::Avx2,
        };
        // The format's kernels: `avx2` for 16x16, `avx2_w8` for the 8-bit formats (and
        // `vnni_b8` for 8x8 with VNNI, which it chooses).
        let wide = layer.weights.wide().is_some();
        if let (Some(_), true) = (&self.fpu, vector) {
            if wide {
                // SAFETY: the gate is usable only where the CPU has AVX2, and `self.fpu`
                // holds the FPU.
                unsafe { avx2::split_block(xs, split) }?;
            } else {
                // SAFETY: as above.
                unsafe { avx2_w8::prepare_block(isa, layer, xs, split) }?;
            }
        }
        let per_row = layer.inputs.saturating_mul(xs.len()).max(1);
        let mut first = 0;
        while first < layer.outputs {
            if self.since >= SECTION_MACS {
                self.fpu = self.fpu.take().and_then(fpu::Fpu::relax);
                self.since = 0;
            }
            // The rows that fit in what is left of the section, at least one.
            let rows = ((SECTION_MACS - self.since) / per_row).max(1);
            let n = rows.min(layer.outputs - first);
            let mut piece: [&mut [i16]; batch::BLOCK] = Default::default();
            for (p, y) in piece.iter_mut().zip(ys.iter_mut()) {
                *p = y.get_mut(first..first + n).ok_or(ShapeError)?;
            }
            let piece = &mut piece[..xs.len()];
            match (&self.fpu, vector) {
                (Some(_), true) if wide => {
                    // SAFETY: the gate is usable only where the CPU has AVX2, and
                    // `self.fpu` holds the FPU.
                    unsafe { avx2::block_rows(layer, xs, split, first, piece) }?
                }
                (Some(_), true) => {
                    // SAFETY: as above; `Isa::Vnni` only where the CPU has the features and
                    // the self-check passed its kernels.
                    unsafe { avx2_w8::block_rows_w8(isa, layer, xs, split, first, piece) }?
                }
                _ => {
                    for (x, p) in xs.iter().zip(piece.iter_mut()) {
                        layer.reference_rows(x, first, p)?;
                    }
                }
            }
            self.since += n * per_row;
            first += n;
        }
        let k = usize_as_u64(xs.len());
        match (&self.fpu, vector) {
            (Some(_), true) => self.simd += k,
            _ => self.scalar += k,
        }
        Ok(())
    }
}

impl Runner for Section {
    /// Each layer of the block by the path the gate picks for it: the same bits either
    /// way.
    fn run(
        &mut self,
        layer: &DenseLayer<'_>,
        xs: &[&[i16]],
        ys: &mut [&mut [i16]],
        split: &mut [i16],
    ) -> Result<(), ShapeError> {
        #[cfg(CONFIG_X86_64)]
        if self.fpu.is_some() {
            return self.run_held(layer, xs, ys, split);
        }
        Scalar.run(layer, xs, ys, split)?;
        self.scalar += usize_as_u64(xs.len());
        Ok(())
    }
}

impl Drop for Section {
    fn drop(&mut self) {
        // The FPU (if held) goes with the field, after this.
        if self.simd > 0 {
            STATE.simd_layers.fetch_add(self.simd, Relaxed);
        }
        if self.scalar > 0 {
            STATE.scalar_layers.fetch_add(self.scalar, Relaxed);
        }
    }
}

/// Writes the `simd` debugfs file: what was found at load, the gate in force, and the
/// counts.
pub(crate) fn report(w: &mut impl core::fmt::Write) -> core::fmt::Result {
    let gate = gate();
    let avx2 = STATE.avx2.load(Relaxed);
    let vnni_found = STATE.vnni_found.load(Relaxed);
    writeln!(
        w,
        "features: {}",
        match (avx2, vnni_found) {
            (false, _) => "none",
            (true, false) => "avx2",
            (true, true) => "avx2 avx512_vnni",
        }
    )?;
    let check = match (
        avx2,
        STATE.usable.load(Relaxed),
        STATE.mismatch.load(Relaxed),
        STATE.requant_failed.load(Relaxed),
    ) {
        (false, _, _, _) => "not run (no vector kernel for this CPU)",
        (true, true, _, _) => "passed",
        (true, false, 0, false) => "could not run",
        (true, false, 0, true) => "FAILED: the requantization differs",
        (true, false, _, _) => "FAILED: the kernels differ",
    };
    writeln!(w, "selfcheck: {}", check)?;
    if let n @ 1.. = STATE.mismatch.load(Relaxed) {
        writeln!(w, "mismatch_at: {}", n)?;
    }
    // The kernels of each format (those of the 8-bit formats: VNNI where it passed).
    let w8 = match (STATE.usable.load(Relaxed), STATE.vnni.load(Relaxed)) {
        (false, _) => "scalar",
        (true, false) => "avx2",
        (true, true) => "vnni",
    };
    let b8 = match (w8, STATE.zmm.load(Relaxed)) {
        ("vnni", true) => "vnni512",
        _ => w8,
    };
    let w16 = if STATE.usable.load(Relaxed) {
        "avx2"
    } else {
        "scalar"
    };
    writeln!(w, "kernels: 16x16 {} 16x8 {} 8x8 {}", w16, w8, b8)?;
    // The 8-bit layers stored in panels (`panel_w8`): on 512-bit registers with the
    // byte kernels.
    let panels = match (w8, STATE.zmm.load(Relaxed)) {
        ("vnni", true) => "vnni512",
        _ => w8,
    };
    writeln!(w, "panels: {}", panels)?;
    match (vnni_found, STATE.vnni_mismatch.load(Relaxed)) {
        (false, _) => {}
        (true, 0) => writeln!(w, "vnni_selfcheck: passed")?,
        (true, n) => writeln!(w, "vnni_selfcheck: FAILED at rows of {}", n)?,
    }
    match (
        STATE.zmm_tried.load(Relaxed),
        STATE.zmm_mismatch.load(Relaxed),
    ) {
        (false, _) if STATE.vnni.load(Relaxed) => writeln!(
            w,
            "vnni512_selfcheck: not run (the kernel prefers 256-bit registers, or no AVX512BW)"
        )?,
        (false, _) => {}
        (true, 0) => writeln!(w, "vnni512_selfcheck: passed")?,
        (true, n) => writeln!(w, "vnni512_selfcheck: FAILED at rows of {}", n)?,
    }
    writeln!(w, "enabled: {}", u8::from(gate.enabled))?;
    let param = params::simd_threshold();
    let how = if param == 0 { "auto" } else { "set" };
    match gate.threshold {
        usize::MAX => writeln!(w, "threshold: never ({})", how)?,
        t => writeln!(w, "threshold: {} ({})", t, how)?,
    }
    match break_even() {
        Some(n) => writeln!(w, "break_even: {}", n)?,
        None => writeln!(w, "break_even: none")?,
    }
    writeln!(w, "fpu_ns: {}", STATE.fpu_ns.load(Relaxed))?;
    writeln!(w, "section_macs: {}", SECTION_MACS)?;
    writeln!(w, "simd_layers: {}", STATE.simd_layers.load(Relaxed))?;
    writeln!(w, "scalar_layers: {}", STATE.scalar_layers.load(Relaxed))?;
    writeln!(w, "fpu_unusable: {}", STATE.fpu_unusable.load(Relaxed))?;
    writeln!(w, "timings (ns per {} rows):", TIMED_ROWS)?;
    writeln!(w, "  row_len scalar_ns simd_ns")?;
    for (&n, (s, v)) in SIZES.iter().zip(&STATE.timings) {
        writeln!(w, "  {} {} {}", n, s.load(Relaxed), v.load(Relaxed))?;
    }
    Ok(())
}
