// SPDX-License-Identifier: GPL-2.0

//! The 8-bit weight formats' kernels with AVX-512 VNNI (`vpdpwssd` on 256-bit registers,
//! EVEX-encoded: AVX512_VNNI with AVX512VL): `avx2_w8.rs`'s three kernels with each
//! pass's multiply-add and add fused into one instruction, on the same prepared input
//! and with the same bounds (`vpdpwssd` adds pair sums into `i32` lanes without
//! saturation, exactly as `vpmaddwd` then `vpaddd` do).
//!
//! The test guest (QEMU's TCG) has no AVX-512: these kernels are proven bit for bit on
//! the host (`tools/pure`), and in the module they run only where the CPU has the
//! features, the kernel saves the AVX-512 state, and the load-time self-check found them
//! equal to the reference.
//!
//! Only `core`: the host crate builds this file too.

use super::avx2_w8::{passes, vector_passes, CHUNK, PASS};
use crate::pure::format::dot_16x8;

/// [`super::avx2_w8::dot_w8`] by `vpdpwssd`, bit for bit.
///
/// # Safety
///
/// The CPU has AVX512_VNNI and AVX512VL (and AVX2), and in the kernel the caller holds
/// the FPU (whose section saves the AVX-512 state), with nothing in between that sleeps.
#[inline]
pub unsafe fn dot_w8(weights: &[i8], n: usize, xp: &[i16], bias: i32) -> i64 {
    let n = n.min(weights.len()).min(xp.len());
    let passes = vector_passes(n, weights.len(), xp.len(), PASS);
    let mut sum = 0i64;
    let mut done = 0;
    while done < passes {
        // 256 passes at most a time: each lane then holds at most 256 pair sums.
        let m = (passes - done).min(256);
        let part: i64;
        // SAFETY: reads `m` passes of 16 bytes of `weights` and 32 of `xp` from `done`,
        // within both (`vector_passes`); the caller guarantees the features and the FPU;
        // every register written is an operand or a clobber; no stack.
        unsafe {
            asm_ymm!(
                "vpxor ymm0, ymm0, ymm0",
                "2:",
                "vpmovsxbw ymm1, xmmword ptr [{w}]",
                "vpdpwssd ymm0, ymm1, ymmword ptr [{x}]",
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
                w = inout(reg) weights.as_ptr().add(done * PASS) => _,
                x = inout(reg) xp.as_ptr().add(done * PASS) => _,
                m = inout(reg) m => _,
                sum = out(reg) part,
                options(nostack, readonly),
            );
        }
        sum += part;
        done += m;
    }
    let end = (passes * PASS).min(n);
    // PANIC: `end <= n <= len()` of both.
    sum + dot_16x8(&weights[end..n], &xp[end..n], bias)
}

/// [`super::avx2_w8::rows4_w8`] by `vpdpwssd`, bit for bit.
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
        // within `xp`; the caller guarantees the features and the FPU; `out` is 32 bytes.
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
                "vpdpwssd ymm0, ymm9, ymm8",
                "vpdpwssd ymm1, ymm10, ymm8",
                "vpdpwssd ymm2, ymm11, ymm8",
                "vpdpwssd ymm3, ymm12, ymm8",
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

/// [`super::avx2_w8::dot4_w8`] by `vpdpwssd`, bit for bit.
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
        // (`vector_passes`); the caller guarantees the features and the FPU; `acc` is 32
        // bytes.
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
                "vpdpwssd ymm0, ymm8, ymmword ptr [{x}]",
                "vpdpwssd ymm1, ymm8, ymmword ptr [{x} + 32]",
                "vpdpwssd ymm2, ymm8, ymmword ptr [{x} + 64]",
                "vpdpwssd ymm3, ymm8, ymmword ptr [{x} + 96]",
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
    super::avx2_w8::with_tail4(acc, weights, n, passes, xp, bias)
}
