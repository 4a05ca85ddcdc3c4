// SPDX-License-Identifier: GPL-2.0

//! What the `asm!` kernels of this folder share (`avx2.rs`, `avx2_w8.rs`, `vnni_w8.rs`,
//! `vnni_b8.rs`): `core` only, the host crate builds it too.

/// How many passes of `pass` values the vector loop of a row of `n` values runs, if the
/// weights from the row's start hold `avail` values and the prepared input `len`
/// (`per_pass` a pass): every pass, the last padded, where the padded pass stays within
/// the weights (the next rows'); else the full ones (the rest is the kernel's scalar
/// tail). The kernel files' `vector_passes`, each with its own pass.
pub(crate) const fn vector_passes_of(
    pass: usize,
    n: usize,
    avail: usize,
    len: usize,
    per_pass: usize,
) -> usize {
    let all = if n.div_ceil(pass) * pass <= avail {
        n.div_ceil(pass)
    } else {
        n / pass
    };
    let fit = len / per_pass;
    if all < fit {
        all
    } else {
        fit
    }
}

/// `core::arch::asm!` with every vector register, ymm0 to ymm15, declared clobbered: the
/// kernels use most of them, and each ends with `vzeroupper`, which clears
/// the upper halves of all sixteen. They are zmm0 to zmm15 too, the only 512-bit registers
/// `vnni_b8.rs` uses (zmm16..31, which `vzeroupper` leaves alone, none does). The
/// operands given end with a comma.
macro_rules! asm_ymm {
    ($($asm:tt)+) => {
        core::arch::asm!(
            $($asm)+
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
            out("ymm10") _,
            out("ymm11") _,
            out("ymm12") _,
            out("ymm13") _,
            out("ymm14") _,
            out("ymm15") _,
        )
    };
}

/// Sums the four `i64` lanes of ymm0 into the operand `{sum}`. Clobbers xmm1.
macro_rules! hsum_q {
    () => {
        concat!(
            "vextracti128 xmm1, ymm0, 1\n",
            "vpaddq xmm0, xmm0, xmm1\n",
            "vpshufd xmm1, xmm0, 0x4e\n",
            "vpaddq xmm0, xmm0, xmm1\n",
            "vmovq {sum}, xmm0\n",
        )
    };
}

/// Sums the eight `i32` lanes of ymm0 into the operand `{t}` (32 bits). Clobbers xmm1.
macro_rules! hsum_d {
    () => {
        concat!(
            "vextracti128 xmm1, ymm0, 1\n",
            "vpaddd xmm0, xmm0, xmm1\n",
            "vpshufd xmm1, xmm0, 0x4e\n",
            "vpaddd xmm0, xmm0, xmm1\n",
            "vpshufd xmm1, xmm0, 0xb1\n",
            "vpaddd xmm0, xmm0, xmm1\n",
            "vmovd {t:e}, xmm0\n",
        )
    };
}

/// Sets `{c}` to the passes of the next chunk (at most the operand `{chunk}`) and takes
/// them from `{p}`.
macro_rules! next_chunk {
    () => {
        concat!(
            "mov {c}, {p}\n",
            "cmp {c}, {chunk}\n",
            "jbe 6f\n",
            "mov {c}, {chunk}\n",
            "6:\n",
            "sub {p}, {c}\n",
        )
    };
}

/// Zeroes the four sums, ymm0..3.
macro_rules! zero4 {
    () => {
        concat!(
            "vpxor ymm0, ymm0, ymm0\n",
            "vpxor ymm1, ymm1, ymm1\n",
            "vpxor ymm2, ymm2, ymm2\n",
            "vpxor ymm3, ymm3, ymm3\n",
        )
    };
}

/// Reduces the `i32` lanes of four sums (ymm0..3) across, and adds them, widened, to the
/// four `i64` of ymm13. Clobbers ymm0..3.
macro_rules! reduce4_w8 {
    () => {
        concat!(
            reduce4_b8!(),
            "vpmovsxdq ymm0, xmm0\n",
            "vpaddq ymm13, ymm13, ymm0\n",
        )
    };
}

/// Sets every byte of ymm15 to 0x80 (`vnni_b8.rs`: the weights' sign flip), by way of
/// the operand `{t}`.
macro_rules! sign_bytes {
    () => {
        concat!(
            "mov {t:e}, 0x80808080\n",
            "vmovd xmm15, {t:e}\n",
            "vpbroadcastd ymm15, xmm15\n",
        )
    };
}

/// Adds the upper 256 bits of each of zmm0..3 to its lower half (ymm0..3), leaving the
/// upper halves zero: four sums of 512-bit registers as [`reduce4_b8`] reads them.
/// Clobbers ymm4..7.
macro_rules! fold4_z {
    () => {
        concat!(
            "vextracti64x4 ymm4, zmm0, 1\n",
            "vextracti64x4 ymm5, zmm1, 1\n",
            "vextracti64x4 ymm6, zmm2, 1\n",
            "vextracti64x4 ymm7, zmm3, 1\n",
            "vpaddd ymm0, ymm0, ymm4\n",
            "vpaddd ymm1, ymm1, ymm5\n",
            "vpaddd ymm2, ymm2, ymm6\n",
            "vpaddd ymm3, ymm3, ymm7\n",
        )
    };
}

/// One pass of `vnni_b8.rs`'s four-row kernel on 256-bit registers: the input's 32 bytes
/// at `{x}` against the four rows' at `{w}`, `{w} + {st}`, `{w} + 2 * {st}` and `{w} +
/// {st3}` (their sign bits flipped by ymm15, [`sign_bytes`]), into the sums ymm0..3.
/// Clobbers ymm8..12.
macro_rules! rows4_pass_b8 {
    () => {
        concat!(
            "vmovdqu ymm8, [{x}]\n",
            "vpxor ymm9, ymm15, ymmword ptr [{w}]\n",
            "vpxor ymm10, ymm15, ymmword ptr [{w} + {st}]\n",
            "vpxor ymm11, ymm15, ymmword ptr [{w} + {st} * 2]\n",
            "vpxor ymm12, ymm15, ymmword ptr [{w} + {st3}]\n",
            "{{evex}} vpdpbusd ymm0, ymm9, ymm8\n",
            "{{evex}} vpdpbusd ymm1, ymm10, ymm8\n",
            "{{evex}} vpdpbusd ymm2, ymm11, ymm8\n",
            "{{evex}} vpdpbusd ymm3, ymm12, ymm8\n",
        )
    };
}

/// Reduces the `i32` lanes of four sums (ymm0..3) across into the four `i32` of xmm0,
/// without widening (`vnni_b8.rs`: a row's sum fits). Clobbers ymm0..3.
macro_rules! reduce4_b8 {
    () => {
        concat!(
            "vphaddd ymm0, ymm0, ymm1\n",
            "vphaddd ymm2, ymm2, ymm3\n",
            "vphaddd ymm0, ymm0, ymm2\n",
            "vextracti128 xmm1, ymm0, 1\n",
            "vpaddd xmm0, xmm0, xmm1\n",
        )
    };
}

/// One multiply-add of 16 word pairs into eight `i32` lanes, `acc += w . x` pairwise:
/// `vpmaddwd` into `tmp` then `vpaddd` (`avx2`), or one `vpdpwssd` (`vnni`), which
/// computes the same without saturation.
macro_rules! madd {
    (avx2, $acc:literal, $w:literal, $x:literal, $tmp:literal) => {
        concat!(
            "vpmaddwd ",
            $tmp,
            ", ",
            $w,
            ", ",
            $x,
            "\n",
            "vpaddd ",
            $acc,
            ", ",
            $acc,
            ", ",
            $tmp,
            "\n",
        )
    };
    (vnni, $acc:literal, $w:literal, $x:literal, $tmp:literal) => {
        // `{evex}`: AVX512_VNNI's encoding, never AVX-VNNI's (VEX), which CPUs with
        // AVX512_VNNI alone (Ice Lake, Zen 4) do not have.
        concat!("{{evex}} vpdpwssd ", $acc, ", ", $w, ", ", $x, "\n")
    };
}

/// The three kernels of the 8-bit weight formats (`avx2_w8.rs`), their multiply-adds by
/// [`madd`] of instruction set `$isa` (`avx2` or `vnni`): `dot_w8` (one row, one
/// input), `rows4_w8` (four rows, one input), `dot4_w8` (one row, four inputs). The
/// invoking module names `PASS`, `CHUNK`, `passes`, `vector_passes`, `with_tail4` and
/// `dot_16x8`.
macro_rules! w8_kernels {
    ($isa:tt) => {
        /// `dot_16x8(&weights[..n], &xp[..n], bias)` with `n` the layer's inputs, bit for bit,
        /// `xp` the prepared input ([`prepare_block`] of one input).
        ///
        /// # Safety
        ///
        /// The CPU has the kernels' instruction set (AVX2; for the VNNI ones AVX512_VNNI and
        /// AVX512VL too, with the AVX-512 state saved), and in the kernel the caller holds the
        /// FPU, with nothing in between that sleeps.
        #[inline]
        pub unsafe fn dot_w8(weights: &[i8], n: usize, xp: &[i16], bias: i32) -> i64 {
            let n = n.min(weights.len()).min(xp.len());
            let passes = vector_passes(n, weights.len(), xp.len(), PASS);
            let mut acc = 0i64;
            if passes > 0 {
                // SAFETY: `passes * PASS` values of both are in bounds (`vector_passes`); the
                // features and the FPU as the caller guarantees.
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
        /// `w` has `passes * PASS` bytes and `x` `passes * PASS` values; the features and the FPU as for
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
                        madd!($isa, "ymm0", "ymm1", "ymmword ptr [{x}]", "ymm1"),
                        "add {w}, 16",
                        "add {x}, 32",
                        "dec {m}",
                        "jnz 2b",
                        "vextracti128 xmm1, ymm0, 1",
                        "vpmovsxdq ymm0, xmm0",
                        "vpmovsxdq ymm1, xmm1",
                        "vpaddq ymm0, ymm0, ymm1",
                        hsum_q!(),
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
            let mut out = [0i64; 4];
            // SAFETY: as the caller guarantees.
            unsafe { rows4_w8_to(weights, n, xp, &mut out) }.then_some(out)
        }

        /// [`rows4_w8`] into `out`, which the caller reads in place (as `avx2.rs`'s
        /// `rows4_split_to`, and for the same reason). False, and `out` untouched, where
        /// [`rows4_w8`] gives `None`.
        ///
        /// # Safety
        ///
        /// As [`dot_w8`].
        #[inline]
        pub unsafe fn rows4_w8_to(weights: &[i8], n: usize, xp: &[i16], out: &mut [i64; 4]) -> bool {
            let passes = passes(n);
            let Some(reach) = n.checked_mul(3).and_then(|r| r.checked_add(passes * PASS)) else {
                return false;
            };
            if reach > weights.len() || xp.len() < passes * PASS {
                return false;
            }
            *out = [0; 4];
            if passes > 0 {
                // SAFETY: the four rows' passes are within `weights` (checked above), the input's
                // within `xp`; the features and the FPU as the caller guarantees; `out` is 32 bytes.
                unsafe {
                    asm_ymm!(
                        "lea {st3}, [{st} + {st} * 2]",
                        "vpxor ymm13, ymm13, ymm13",
                        "5:",
                        next_chunk!(),
                        zero4!(),
                        "2:",
                        "vmovdqu ymm8, [{x}]",
                        "vpmovsxbw ymm9, xmmword ptr [{w}]",
                        "vpmovsxbw ymm10, xmmword ptr [{w} + {st}]",
                        "vpmovsxbw ymm11, xmmword ptr [{w} + {st} * 2]",
                        "vpmovsxbw ymm12, xmmword ptr [{w} + {st3}]",
                        madd!($isa, "ymm0", "ymm9", "ymm8", "ymm9"),
                        madd!($isa, "ymm1", "ymm10", "ymm8", "ymm10"),
                        madd!($isa, "ymm2", "ymm11", "ymm8", "ymm11"),
                        madd!($isa, "ymm3", "ymm12", "ymm8", "ymm12"),
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
            true
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
                // (`vector_passes`); the features and the FPU as the caller guarantees; `acc` is
                // 32 bytes.
                unsafe {
                    asm_ymm!(
                        "vpxor ymm13, ymm13, ymm13",
                        "5:",
                        next_chunk!(),
                        zero4!(),
                        "2:",
                        "vpmovsxbw ymm8, xmmword ptr [{w}]",
                        madd!($isa, "ymm0", "ymm8", "ymmword ptr [{x}]", "ymm9"),
                        madd!($isa, "ymm1", "ymm8", "ymmword ptr [{x} + 32]", "ymm10"),
                        madd!($isa, "ymm2", "ymm8", "ymmword ptr [{x} + 64]", "ymm11"),
                        madd!($isa, "ymm3", "ymm8", "ymmword ptr [{x} + 96]", "ymm12"),
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
    };
}
