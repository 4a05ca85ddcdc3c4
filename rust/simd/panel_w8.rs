// SPDX-License-Identifier: GPL-2.0

//! The 8-bit formats' kernels for layers stored in panels (`pure/panel.rs`): sixteen rows
//! at once, each row's sum in its own `i32` lane, requantized, activated and stored as
//! sixteen outputs in the same `asm!` block. On the prepared inputs of `avx2_w8.rs`
//! (copied for 16x8, narrowed for 8x8; a block's one after another): one input at a
//! time, or on 512-bit registers the four of a block at once ([`Panels::rows4`]: each
//! pair of a panel's weights loaded once for the four, four sums in four chains, as a
//! GEMM's register block of 16 rows by 4 inputs).
//!
//! Why. The short-row kernel (`short_w8.rs`) keeps a row's sum in eight lanes and reduces
//! them across once a group of eight rows is done: on LinnOS's hidden layer (256 rows of
//! 31) that reduction and the requantization are about half of its instructions, at an
//! instructions-per-cycle below 2. In a panel, input pair `q` of the sixteen rows is 32
//! bytes: sign-extended to 32 words (`vpmovsxbw`) and multiplied by the pair broadcast to
//! every lane (`vpmaddwd` and `vpaddd` on AVX2, `vpdpwssd` with VNNI), it adds each row's
//! two products to that row's lane. After the last pair the sixteen lanes are the
//! sixteen sums: no reduction. On 512-bit registers ([`Isa::Vnni512`]) a pair is one
//! register and one `vpdpwssd` with the pair as a broadcast memory operand
//! (`{1to16}`); on 256-bit ones two halves of eight rows.
//!
//! The sums. Every product is below `2^22` in magnitude and a row has at most 496 values
//! (`panel::MAX_INPUTS`), so each lane's sum stays below `2^31`, however the pairs are
//! split among the kernels' chains (four, so that the multiply-adds' latency does not
//! bound them). An odd row's last value is alone: its 16 weight bytes sign-extended to
//! dwords (`vpmovsxbd`) are, as word pairs, the weight and its sign; the input's pair
//! there is the last value and the prepared input's padding zero, so the second product
//! is 0.
//!
//! The requantization, exact in double precision, as `short_w8.rs` argues (its steps on
//! sixteen lanes): the sum and the bias converted and added, times `mult * 2^-shift`,
//! plus `half * 2^-shift`, floored (`vroundpd`/`vrndscalepd` mode 9), clamped to the
//! `i16` range, converted back. ReLU is `vpmaxsw` with 0; sigmoid and tanh (tables) are
//! applied after the block, by the scalar code.
//!
//! Reads: a panel's weights exactly (its `16 * n` bytes), the input's pairs up to the
//! padding zero of an odd length, 64 bytes of biases a panel. A piece of rows that cuts a
//! panel runs the whole panel into a buffer and keeps its rows.
//!
//! Only `core`: the host crate builds this file too.

use super::avx2_w8::Isa;
use super::requant::activation_steps;
use super::short_w8::f64_bits;
use crate::pure::activation::Activation;
use crate::pure::format::Weights;
use crate::pure::forward::DenseLayer;
use crate::pure::panel::{self, ROWS};

/// A call's constants, read by the blocks as memory operands at the offsets the fields'
/// comments give (checked at compile time below).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
pub struct Panels {
    /// `mult * 2^-shift`, as `f64` bits (offset 0).
    scale: [u64; 8],
    /// `0.5` (or `0` for shift 0), as `f64` bits (offset 64).
    half: [u64; 8],
    /// `-32768.0` (offset 128).
    min: [u64; 8],
    /// `32767.0` (offset 192).
    max: [u64; 8],
    /// The lower bound of the output, sixteen words (offset 256): 0 for ReLU,
    /// `i16::MIN` otherwise.
    floor: [i16; ROWS],
    /// Whole input pairs a row: `n / 2` (offset 288).
    pairs: usize,
    /// 1 for an odd row length, whose last value is alone (offset 296).
    odd: usize,
    /// Sigmoid or tanh, applied afterwards by the scalar code.
    squash: Option<Activation>,
    /// The layer's inputs and outputs.
    inputs: usize,
    outputs: usize,
}

impl Panels {
    /// The constants of `layer`, if it is stored in panels ([`Weights::Panels`]).
    pub fn of(layer: &DenseLayer<'_>) -> Option<Self> {
        if !matches!(layer.weights, Weights::Panels { .. })
            || !panel::fits(layer.weights.format(), layer.outputs, layer.inputs)
        {
            return None;
        }
        let r = layer.requant;
        let shift = i32::from(r.shift());
        let (squash, floor) = activation_steps(layer.activation);
        Some(Self {
            scale: [f64_bits(i64::from(r.mult()), -shift); 8],
            half: [if shift == 0 { 0 } else { f64_bits(1, -1) }; 8],
            min: [f64_bits(-32768, 0); 8],
            max: [f64_bits(32767, 0); 8],
            floor: [floor; ROWS],
            pairs: layer.inputs / 2,
            odd: layer.inputs % 2,
            squash,
            inputs: layer.inputs,
            outputs: layer.outputs,
        })
    }

    /// The rows of `first..first + out.len()` that are in panels, of the layer whose
    /// weights and biases are `weights` and `bias` (the whole layer's), for the prepared
    /// input `xp` (`avx2_w8::prepare_block` of one input), into the first of `out`, each
    /// the layer's `finish` of its sum and bias. Returns the rows done: those below the
    /// layer's whole panels (`panel::panel_rows`), none if an array is too short.
    ///
    /// # Safety
    ///
    /// The CPU has AVX2 (and for [`Isa::Vnni`] AVX512_VNNI and AVX512VL, for
    /// [`Isa::Vnni512`] AVX512F and AVX512BW too, with the AVX-512 state saved); in the
    /// kernel the caller holds the FPU, with nothing in between that sleeps.
    pub unsafe fn rows(
        &self,
        isa: Isa,
        weights: &[i8],
        xp: &[i16],
        bias: &[i32],
        first: usize,
        out: &mut [i16],
    ) -> usize {
        let n = self.inputs;
        let prows = panel::panel_rows(self.outputs);
        let end = first.saturating_add(out.len()).min(prows);
        if first >= end
            || weights.len() < prows * n
            || bias.len() < prows
            || xp.len() < 2 * (self.pairs + self.odd)
        {
            return 0;
        }
        let kernel = match isa {
            Isa::Avx2 => panels_avx2,
            Isa::Vnni => panels_vnni,
            Isa::Vnni512 => panels_zmm,
        };
        let (w, x, b, y) = (
            weights.as_ptr(),
            xp.as_ptr(),
            bias.as_ptr(),
            out.as_mut_ptr(),
        );
        let mut r = first;
        while r < end {
            let p = r / ROWS;
            let whole = (end - r) / ROWS;
            if r.is_multiple_of(ROWS) && whole > 0 {
                // SAFETY: panels `p..p + whole` are within `weights` (`(p + whole) * 16 <=
                // prows`, `prows * n <= weights.len()`), their biases within `bias`, their
                // outputs within `out` (rows `r - first..` of `end - first <= out.len()`),
                // the input's pairs within `xp` (all checked above); the features and the
                // FPU as the caller guarantees.
                unsafe {
                    kernel(
                        self,
                        w.add(p * ROWS * n),
                        x,
                        b.add(r),
                        y.add(r - first),
                        whole,
                    )
                };
                r += whole * ROWS;
            } else {
                // A panel the piece cuts: all of it into `all`, then its rows of the piece.
                let mut all = [0i16; ROWS];
                // SAFETY: as above, for panel `p` (`p * 16 < end <= prows`) into `all`.
                unsafe {
                    kernel(
                        self,
                        w.add(p * ROWS * n),
                        x,
                        b.add(p * ROWS),
                        all.as_mut_ptr(),
                        1,
                    )
                };
                let to = end.min((p + 1) * ROWS);
                // PANIC: `first <= r < to <= end <= first + out.len()` and `p * 16 <= r <
                // to <= p * 16 + 16`.
                for (o, v) in out[r - first..to - first]
                    .iter_mut()
                    .zip(&all[r - p * ROWS..])
                {
                    *o = *v;
                }
                r = to;
            }
        }
        let done = end - first;
        if let Some(f) = self.squash {
            for y in out.iter_mut().take(done) {
                *y = f.apply(*y);
            }
        }
        done
    }

    /// [`Panels::rows`] for the four inputs of a block at once, on 512-bit registers: each
    /// pair of a panel's weights loaded once and multiplied with the four inputs' pairs
    /// (four sums, each its own chain). `xp` holds the four prepared inputs one after
    /// another, `len` values apart; `outs` the four outputs' pieces, of one length.
    /// Returns the rows done (of each input): those below the layer's whole panels,
    /// none if an array is too short.
    ///
    /// # Safety
    ///
    /// The CPU has AVX512F, AVX512BW and AVX512_VNNI, with the AVX-512 state saved ([`Isa::
    /// Vnni512`]); in the kernel the caller holds the FPU, with nothing in between that
    /// sleeps.
    pub unsafe fn rows4(
        &self,
        weights: &[i8],
        xp: &[i16],
        len: usize,
        bias: &[i32],
        first: usize,
        mut outs: [&mut [i16]; 4],
    ) -> usize {
        let n = self.inputs;
        let rows = outs[0].len();
        let prows = panel::panel_rows(self.outputs);
        let end = first.saturating_add(rows).min(prows);
        let reads = 2 * (self.pairs + self.odd);
        if first >= end
            || outs.iter().any(|o| o.len() != rows)
            || weights.len() < prows * n
            || bias.len() < prows
            || len < reads
            || xp.len() < 3 * len + reads
        {
            return 0;
        }
        let mut buf = [0i16; 4 * ROWS * FOUR_PANELS];
        let mut p = first / ROWS;
        while p * ROWS < end {
            let k = (end.div_ceil(ROWS) - p).min(FOUR_PANELS);
            // SAFETY: panels `p..p + k` are within `weights` (`(p + k) * 16 <= prows`:
            // `end <= prows`, a multiple of 16), their biases within `bias`, the four
            // inputs' pairs within `xp`, `k * 128` bytes within `buf` (all checked above);
            // the features and the FPU as the caller guarantees.
            unsafe {
                panels4_zmm(
                    self,
                    weights.as_ptr().add(p * ROWS * n),
                    xp.as_ptr(),
                    len * core::mem::size_of::<i16>(),
                    bias.as_ptr().add(p * ROWS),
                    buf.as_mut_ptr(),
                    k,
                )
            };
            for q in 0..k {
                let r0 = (p + q) * ROWS;
                let (lo, hi) = (r0.max(first), (r0 + ROWS).min(end));
                for (j, out) in outs.iter_mut().enumerate() {
                    // PANIC: `first <= lo <= hi <= end <= first + rows`, and the panel's
                    // rows `lo - r0..hi - r0` within its 16 in `buf`.
                    let from = &buf[(q * 4 + j) * ROWS..][lo - r0..hi - r0];
                    for (o, v) in out[lo - first..hi - first].iter_mut().zip(from) {
                        *o = *v;
                    }
                }
            }
            p += k;
        }
        if let Some(f) = self.squash {
            for out in outs {
                for y in out.iter_mut().take(end - first) {
                    *y = f.apply(*y);
                }
            }
        }
        end - first
    }
}

/// Panels a four-input call ([`Panels::rows4`]) runs into its buffer at a time.
const FOUR_PANELS: usize = 8;

/// The requantization of the sixteen sums in ymm0 (rows 0..7) and ymm1 (rows 8..15) and
/// the biases at `{b}`, activated, stored as sixteen words at `{y}`. Clobbers ymm2..9.
macro_rules! finish16_ymm {
    () => {
        concat!(
            "vcvtdq2pd ymm2, xmm0\n",
            "vextracti128 xmm3, ymm0, 1\n",
            "vcvtdq2pd ymm3, xmm3\n",
            "vcvtdq2pd ymm4, xmm1\n",
            "vextracti128 xmm5, ymm1, 1\n",
            "vcvtdq2pd ymm5, xmm5\n",
            "vcvtdq2pd ymm6, xmmword ptr [{b}]\n",
            "vcvtdq2pd ymm7, xmmword ptr [{b} + 16]\n",
            "vcvtdq2pd ymm8, xmmword ptr [{b} + 32]\n",
            "vcvtdq2pd ymm9, xmmword ptr [{b} + 48]\n",
            "vaddpd ymm2, ymm2, ymm6\n",
            "vaddpd ymm3, ymm3, ymm7\n",
            "vaddpd ymm4, ymm4, ymm8\n",
            "vaddpd ymm5, ymm5, ymm9\n",
            "vmulpd ymm2, ymm2, [{s}]\n",
            "vmulpd ymm3, ymm3, [{s}]\n",
            "vmulpd ymm4, ymm4, [{s}]\n",
            "vmulpd ymm5, ymm5, [{s}]\n",
            "vaddpd ymm2, ymm2, [{s} + 64]\n",
            "vaddpd ymm3, ymm3, [{s} + 64]\n",
            "vaddpd ymm4, ymm4, [{s} + 64]\n",
            "vaddpd ymm5, ymm5, [{s} + 64]\n",
            "vroundpd ymm2, ymm2, 9\n",
            "vroundpd ymm3, ymm3, 9\n",
            "vroundpd ymm4, ymm4, 9\n",
            "vroundpd ymm5, ymm5, 9\n",
            "vmaxpd ymm2, ymm2, [{s} + 128]\n",
            "vmaxpd ymm3, ymm3, [{s} + 128]\n",
            "vmaxpd ymm4, ymm4, [{s} + 128]\n",
            "vmaxpd ymm5, ymm5, [{s} + 128]\n",
            "vminpd ymm2, ymm2, [{s} + 192]\n",
            "vminpd ymm3, ymm3, [{s} + 192]\n",
            "vminpd ymm4, ymm4, [{s} + 192]\n",
            "vminpd ymm5, ymm5, [{s} + 192]\n",
            "vcvttpd2dq xmm2, ymm2\n",
            "vcvttpd2dq xmm3, ymm3\n",
            "vcvttpd2dq xmm4, ymm4\n",
            "vcvttpd2dq xmm5, ymm5\n",
            // Words (in range: the packs cannot saturate), the floor.
            "vpackssdw xmm2, xmm2, xmm3\n",
            "vpackssdw xmm4, xmm4, xmm5\n",
            "vinserti128 ymm2, ymm2, xmm4, 1\n",
            "vpmaxsw ymm2, ymm2, [{s} + 256]\n",
            "vmovdqu [{y}], ymm2\n",
        )
    };
}

/// A panel kernel's `asm!` block: the loop over `$np` panels around `$body` (which
/// makes a panel's sixteen outputs at `{y}` from its weights at `{w}`, leaving `{w}` at
/// the next panel's), the operands, and the clobbers of `asm_ymm`.
macro_rules! panel_asm {
    (($w:ident, $x:ident, $b:ident, $y:ident, $s:ident, $np:ident), $($body:expr),+ $(,)?) => {
        asm_ymm!(
            "2:",
            $($body,)+
            "add {b}, 64",
            "add {y}, 32",
            "dec {np}",
            "jnz 2b",
            "vzeroupper",
            w = inout(reg) $w => _,
            x = in(reg) $x,
            xq = out(reg) _,
            c = out(reg) _,
            b = inout(reg) $b => _,
            y = inout(reg) $y => _,
            s = in(reg) core::ptr::from_ref($s),
            np = inout(reg) $np => _,
            options(nostack),
        )
    };
}

/// One input pair (or an odd row's last value) of the sixteen rows on 256-bit
/// registers: the pair at `{xq} + $x` broadcast to `$xr`, the weights of rows 0..7 at
/// `{w} + $lo_w` and of rows 8..15 at `{w} + $hi_w` (`$size` bytes each) extended by
/// `$load` into `$a` and `$b`, multiply-added (`madd`) into the sums `$lo` and `$hi`.
macro_rules! step16 {
    ($isa:tt, $load:literal, $size:literal, $lo_w:literal, $hi_w:literal, $x:literal,
     $xr:literal, $a:literal, $b:literal, $lo:literal, $hi:literal) => {
        concat!(
            "vpbroadcastd ",
            $xr,
            ", dword ptr [{xq} + ",
            $x,
            "]\n",
            $load,
            " ",
            $a,
            ", ",
            $size,
            " ptr [{w} + ",
            $lo_w,
            "]\n",
            $load,
            " ",
            $b,
            ", ",
            $size,
            " ptr [{w} + ",
            $hi_w,
            "]\n",
            madd!($isa, $lo, $a, $xr, $a),
            madd!($isa, $hi, $b, $xr, $b),
        )
    };
}

/// Defines `$name`, the 256-bit kernel of [`Panels::rows`] with the multiply-adds of
/// `$isa` (`madd`).
macro_rules! panel_kernel_ymm {
    ($name:ident, $isa:tt) => {
        /// `np` whole panels from `w` with the input at `x`, their biases at `b`, their
        /// outputs at `y`.
        ///
        /// # Safety
        ///
        /// As [`Panels::rows`], which checks the bounds.
        #[inline]
        unsafe fn $name(
            s: &Panels,
            w: *const i8,
            x: *const i16,
            b: *const i32,
            y: *mut i16,
            np: usize,
        ) {
            // SAFETY: reads `np` panels of `16 * n` bytes from `w`, `pairs + odd` dwords
            // of `x`, 64 bytes of `b` a panel and `s`'s 304 (`repr(C)`); writes 32 bytes
            // of `y` a panel; every register written is an operand or a clobber; no
            // stack.
            unsafe {
                panel_asm!(
                    (w, x, b, y, s, np),
                    // Rows 0..7 and 8..15 of pairs 4k, 4k + 1, 4k + 2 and 4k + 3 in ymm0
                    // and ymm1, ymm10 and ymm11, ymm2 and ymm3, ymm12 and ymm13: eight
                    // chains, which `vpdpwssd`'s latency needs on long rows.
                    "vpxor ymm0, ymm0, ymm0",
                    "vpxor ymm1, ymm1, ymm1",
                    "vpxor ymm10, ymm10, ymm10",
                    "vpxor ymm11, ymm11, ymm11",
                    "vpxor ymm2, ymm2, ymm2",
                    "vpxor ymm3, ymm3, ymm3",
                    "vpxor ymm12, ymm12, ymm12",
                    "vpxor ymm13, ymm13, ymm13",
                    "mov {xq}, {x}",
                    "mov {c}, [{s} + 288]",
                    "cmp {c}, 4",
                    "jb 4f",
                    "3:",
                    step16!(
                        $isa,
                        "vpmovsxbw",
                        "xmmword",
                        0,
                        16,
                        0,
                        "ymm8",
                        "ymm4",
                        "ymm5",
                        "ymm0",
                        "ymm1"
                    ),
                    step16!(
                        $isa,
                        "vpmovsxbw",
                        "xmmword",
                        32,
                        48,
                        4,
                        "ymm9",
                        "ymm6",
                        "ymm7",
                        "ymm10",
                        "ymm11"
                    ),
                    step16!(
                        $isa,
                        "vpmovsxbw",
                        "xmmword",
                        64,
                        80,
                        8,
                        "ymm14",
                        "ymm4",
                        "ymm5",
                        "ymm2",
                        "ymm3"
                    ),
                    step16!(
                        $isa,
                        "vpmovsxbw",
                        "xmmword",
                        96,
                        112,
                        12,
                        "ymm15",
                        "ymm6",
                        "ymm7",
                        "ymm12",
                        "ymm13"
                    ),
                    "add {w}, 128",
                    "add {xq}, 16",
                    "sub {c}, 4",
                    "cmp {c}, 4",
                    "jae 3b",
                    "4:",
                    "test {c}, {c}",
                    "jz 5f",
                    // The one to three whole pairs left.
                    "7:",
                    step16!(
                        $isa,
                        "vpmovsxbw",
                        "xmmword",
                        0,
                        16,
                        0,
                        "ymm8",
                        "ymm4",
                        "ymm5",
                        "ymm0",
                        "ymm1"
                    ),
                    "add {w}, 32",
                    "add {xq}, 4",
                    "dec {c}",
                    "jnz 7b",
                    "5:",
                    // An odd row's last value, with the padding zero after it.
                    "cmp qword ptr [{s} + 296], 0",
                    "je 6f",
                    step16!(
                        $isa,
                        "vpmovsxbd",
                        "qword",
                        0,
                        8,
                        0,
                        "ymm8",
                        "ymm4",
                        "ymm5",
                        "ymm0",
                        "ymm1"
                    ),
                    "add {w}, 16",
                    "6:",
                    "vpaddd ymm0, ymm0, ymm10",
                    "vpaddd ymm1, ymm1, ymm11",
                    "vpaddd ymm2, ymm2, ymm12",
                    "vpaddd ymm3, ymm3, ymm13",
                    "vpaddd ymm0, ymm0, ymm2",
                    "vpaddd ymm1, ymm1, ymm3",
                    finish16_ymm!(),
                );
            }
        }
    };
}

panel_kernel_ymm!(panels_avx2, avx2);
panel_kernel_ymm!(panels_vnni, vnni);

/// The requantization of the sixteen sums of `$acc` (a zmm register) with the biases
/// converted in zmm12 (rows 0..7) and zmm13 (rows 8..15), activated, stored as sixteen
/// words at `{y} + $at`. Clobbers zmm4 and zmm5.
macro_rules! finish16_zmm {
    ($acc:literal, $acc_y:literal, $at:literal) => {
        concat!(
            "vextracti64x4 ymm5, ",
            $acc,
            ", 1\n",
            "vcvtdq2pd zmm4, ",
            $acc_y,
            "\n",
            "vcvtdq2pd zmm5, ymm5\n",
            "vaddpd zmm4, zmm4, zmm12\n",
            "vaddpd zmm5, zmm5, zmm13\n",
            "vmulpd zmm4, zmm4, [{s}]\n",
            "vmulpd zmm5, zmm5, [{s}]\n",
            "vaddpd zmm4, zmm4, [{s} + 64]\n",
            "vaddpd zmm5, zmm5, [{s} + 64]\n",
            "vrndscalepd zmm4, zmm4, 9\n",
            "vrndscalepd zmm5, zmm5, 9\n",
            "vmaxpd zmm4, zmm4, [{s} + 128]\n",
            "vmaxpd zmm5, zmm5, [{s} + 128]\n",
            "vminpd zmm4, zmm4, [{s} + 192]\n",
            "vminpd zmm5, zmm5, [{s} + 192]\n",
            "vcvttpd2dq ymm4, zmm4\n",
            "vcvttpd2dq ymm5, zmm5\n",
            "vinserti64x4 zmm4, zmm4, ymm5, 1\n",
            "vpmovdw ymm4, zmm4\n",
            "vpmaxsw ymm4, ymm4, [{s} + 256]\n",
            "vmovdqu [{y} + ",
            $at,
            "], ymm4\n",
        )
    };
}

/// The 512-bit kernel of [`Panels::rows`]: a pair of the sixteen rows in one register,
/// four chains.
///
/// # Safety
///
/// As [`Panels::rows`], which checks the bounds (AVX512F, AVX512BW and AVX512_VNNI).
#[inline]
unsafe fn panels_zmm(
    s: &Panels,
    w: *const i8,
    x: *const i16,
    b: *const i32,
    y: *mut i16,
    np: usize,
) {
    // SAFETY: as for the 256-bit kernels (`panel_kernel_ymm`); the 512-bit registers
    // used are zmm0..15, whose low halves are the clobbered ymm0..15.
    unsafe {
        panel_asm!(
            (w, x, b, y, s, np),
            "vpxord zmm0, zmm0, zmm0",
            "vpxord zmm1, zmm1, zmm1",
            "vpxord zmm2, zmm2, zmm2",
            "vpxord zmm3, zmm3, zmm3",
            "mov {xq}, {x}",
            "mov {c}, [{s} + 288]",
            "cmp {c}, 4",
            "jb 4f",
            "3:",
            "vpmovsxbw zmm4, ymmword ptr [{w}]",
            "vpdpwssd zmm0, zmm4, dword ptr [{xq}]{{1to16}}",
            "vpmovsxbw zmm5, ymmword ptr [{w} + 32]",
            "vpdpwssd zmm1, zmm5, dword ptr [{xq} + 4]{{1to16}}",
            "vpmovsxbw zmm6, ymmword ptr [{w} + 64]",
            "vpdpwssd zmm2, zmm6, dword ptr [{xq} + 8]{{1to16}}",
            "vpmovsxbw zmm7, ymmword ptr [{w} + 96]",
            "vpdpwssd zmm3, zmm7, dword ptr [{xq} + 12]{{1to16}}",
            "add {w}, 128",
            "add {xq}, 16",
            "sub {c}, 4",
            "cmp {c}, 4",
            "jae 3b",
            "4:",
            "test {c}, {c}",
            "jz 5f",
            // The one to three whole pairs left.
            "7:",
            "vpmovsxbw zmm4, ymmword ptr [{w}]",
            "vpdpwssd zmm0, zmm4, dword ptr [{xq}]{{1to16}}",
            "add {w}, 32",
            "add {xq}, 4",
            "dec {c}",
            "jnz 7b",
            "5:",
            // An odd row's last value, with the padding zero after it.
            "cmp qword ptr [{s} + 296], 0",
            "je 6f",
            "vpmovsxbd zmm4, xmmword ptr [{w}]",
            "vpdpwssd zmm1, zmm4, dword ptr [{xq}]{{1to16}}",
            "add {w}, 16",
            "6:",
            "vpaddd zmm0, zmm0, zmm1",
            "vpaddd zmm2, zmm2, zmm3",
            "vpaddd zmm0, zmm0, zmm2",
            // The requantization of the sixteen lanes (`finish16_ymm`, on 512 bits).
            "vcvtdq2pd zmm12, ymmword ptr [{b}]",
            "vcvtdq2pd zmm13, ymmword ptr [{b} + 32]",
            finish16_zmm!("zmm0", "ymm0", 0),
        );
    }
}

/// The four-input kernel of [`Panels::rows4`]: `np` panels from `w`, the four inputs'
/// prepared values at `x`, `xs` bytes apart, the panels' biases at `b`; each panel's
/// outputs at `y` as four runs of sixteen words (input by input), 128 bytes a panel.
///
/// # Safety
///
/// As [`Panels::rows4`], which checks the bounds (AVX512F, AVX512BW and AVX512_VNNI).
#[inline]
unsafe fn panels4_zmm(
    s: &Panels,
    w: *const i8,
    x: *const i16,
    xs: usize,
    b: *const i32,
    y: *mut i16,
    np: usize,
) {
    // SAFETY: reads `np` panels of `16 * n` bytes from `w`, `pairs + odd` dwords of each
    // of the four inputs at `x + k * xs`, 64 bytes of `b` a panel and `s`'s 304; writes
    // 128 bytes of `y` a panel; the 512-bit registers used are zmm0..15, whose low halves
    // are the clobbered ymm0..15; every register written is an operand or a clobber; no
    // stack.
    unsafe {
        asm_ymm!(
            "lea {xs3}, [{xs} + {xs} * 2]",
            "2:",
            "vpxord zmm0, zmm0, zmm0",
            "vpxord zmm1, zmm1, zmm1",
            "vpxord zmm2, zmm2, zmm2",
            "vpxord zmm3, zmm3, zmm3",
            "mov {xq}, {x}",
            "mov {c}, [{s} + 288]",
            // Every row of a panel has at least 8 pairs (`panel::MIN_INPUTS`).
            "3:",
            "vpmovsxbw zmm4, ymmword ptr [{w}]",
            "vpdpwssd zmm0, zmm4, dword ptr [{xq}]{{1to16}}",
            "vpdpwssd zmm1, zmm4, dword ptr [{xq} + {xs}]{{1to16}}",
            "vpdpwssd zmm2, zmm4, dword ptr [{xq} + {xs} * 2]{{1to16}}",
            "vpdpwssd zmm3, zmm4, dword ptr [{xq} + {xs3}]{{1to16}}",
            "add {w}, 32",
            "add {xq}, 4",
            "dec {c}",
            "jnz 3b",
            // An odd row's last value, with each input's padding zero after it.
            "cmp qword ptr [{s} + 296], 0",
            "je 6f",
            "vpmovsxbd zmm4, xmmword ptr [{w}]",
            "vpdpwssd zmm0, zmm4, dword ptr [{xq}]{{1to16}}",
            "vpdpwssd zmm1, zmm4, dword ptr [{xq} + {xs}]{{1to16}}",
            "vpdpwssd zmm2, zmm4, dword ptr [{xq} + {xs} * 2]{{1to16}}",
            "vpdpwssd zmm3, zmm4, dword ptr [{xq} + {xs3}]{{1to16}}",
            "add {w}, 16",
            "6:",
            "vcvtdq2pd zmm12, ymmword ptr [{b}]",
            "vcvtdq2pd zmm13, ymmword ptr [{b} + 32]",
            finish16_zmm!("zmm0", "ymm0", 0),
            finish16_zmm!("zmm1", "ymm1", 32),
            finish16_zmm!("zmm2", "ymm2", 64),
            finish16_zmm!("zmm3", "ymm3", 96),
            "add {b}, 64",
            "add {y}, 128",
            "dec {np}",
            "jnz 2b",
            "vzeroupper",
            w = inout(reg) w => _,
            x = in(reg) x,
            xs = in(reg) xs,
            xs3 = out(reg) _,
            xq = out(reg) _,
            c = out(reg) _,
            b = inout(reg) b => _,
            y = inout(reg) y => _,
            s = in(reg) core::ptr::from_ref(s),
            np = inout(reg) np => _,
            options(nostack),
        );
    }
}

// The blocks' offsets, and the alignment of their full-width memory operands.
const _: () = {
    assert!(core::mem::align_of::<Panels>() == 64);
    assert!(core::mem::offset_of!(Panels, scale) == 0);
    assert!(core::mem::offset_of!(Panels, half) == 64);
    assert!(core::mem::offset_of!(Panels, min) == 128);
    assert!(core::mem::offset_of!(Panels, max) == 192);
    assert!(core::mem::offset_of!(Panels, floor) == 256);
    assert!(core::mem::offset_of!(Panels, pairs) == 288);
    assert!(core::mem::offset_of!(Panels, odd) == 296);
};
