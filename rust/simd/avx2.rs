// SPDX-License-Identifier: GPL-2.0

//! The AVX2 row kernel: the exact dot product of `fixed::dot`, 16 products at a time.
//!
//! Why `asm!`: the x86-64 Rust kernel target is soft-float, so `#[target_feature]` cannot
//! turn AVX2 on for one function (rust-lang/rust#136540), and a C object would need its
//! own flags and a call per row. An `asm!` block builds the same in the module and on the
//! host (`tools/pure`), so `cargo test` checks the very instructions the module runs. The
//! caller guarantees the CPU has AVX2 and, in the kernel, that the FPU is held
//! (`kernel_fpu_begin`); the gate that decides this is not in this file.
//!
//! Exactness. The reference sums the `i16 * i16` products exactly in `i64`. `vpmaddwd`
//! gives 8 lanes of `w[2k] * x[2k] + w[2k+1] * x[2k+1]` in `i32`, which is exact except
//! in one case: all four values `-32768`, whose true sum `2^31` wraps to `i32::MIN`. No
//! other pair gives `i32::MIN` (the least true sum is `2 * -32768 * 32767 > -2^31`), so a
//! lane equal to `i32::MIN` means `+2^31`: the kernel counts such lanes (`vpcmpeqd`,
//! `vpsubd`) and adds `2^32` for each at the end. Each `vpmaddwd` result is widened to
//! `i64` (`vpmovsxdq`) before it is summed, so no sum can overflow: a row of `n` values
//! sums at most `n * 2^30`. Cost per 16 products: 2 loads, `vpmaddwd`, 2 compare-count,
//! 3 widening and 2 `i64` additions; two independent chunks per pass keep both adders
//! busy. The last `n % 32` values are summed as the scalar reference sums them.
//!
//! Only `core`: the host crate builds this file too.

/// Values per pass of the vector loop (two chunks of 16).
pub const BLOCK: usize = 32;

/// `fixed::dot(weights, input, bias)`, bit for bit, with AVX2.
///
/// Slices of different lengths are summed over the shorter, as `fixed::dot` does.
///
/// # Safety
///
/// The CPU has AVX2, and in the kernel the caller holds the FPU (between
/// `kernel_fpu_begin` and `kernel_fpu_end`), with nothing in between that sleeps.
#[inline]
pub unsafe fn dot_avx2(weights: &[i16], input: &[i16], bias: i32) -> i64 {
    let n = weights.len().min(input.len());
    let passes = n / BLOCK;
    let done = passes * BLOCK;
    let mut lanes = [0i64; 4];
    let mut wrapped = [0i32; 8];
    if passes > 0 {
        // SAFETY: `weights` and `input` hold at least `passes * BLOCK` values, which the
        // loop reads (unaligned loads, 64 bytes of each per pass); `lanes` and `wrapped`
        // are 32 bytes each, which the two stores write. Every register written is an
        // operand or a clobber; the block uses no stack. The caller guarantees AVX2 and
        // the FPU.
        unsafe {
            core::arch::asm!(
                "vpxor ymm2, ymm2, ymm2",
                "vpxor ymm3, ymm3, ymm3",
                "vpxor ymm4, ymm4, ymm4",
                "vpcmpeqd ymm5, ymm5, ymm5",
                "vpslld ymm5, ymm5, 31",
                "2:",
                "vmovdqu ymm0, [{w}]",
                "vmovdqu ymm6, [{w} + 32]",
                "vpmaddwd ymm0, ymm0, [{x}]",
                "vpmaddwd ymm6, ymm6, [{x} + 32]",
                "vpcmpeqd ymm1, ymm0, ymm5",
                "vpcmpeqd ymm7, ymm6, ymm5",
                "vpsubd ymm4, ymm4, ymm1",
                "vpsubd ymm4, ymm4, ymm7",
                "vpmovsxdq ymm1, xmm0",
                "vextracti128 xmm0, ymm0, 1",
                "vpmovsxdq ymm0, xmm0",
                "vpmovsxdq ymm7, xmm6",
                "vextracti128 xmm6, ymm6, 1",
                "vpmovsxdq ymm6, xmm6",
                "vpaddq ymm2, ymm2, ymm1",
                "vpaddq ymm3, ymm3, ymm0",
                "vpaddq ymm2, ymm2, ymm7",
                "vpaddq ymm3, ymm3, ymm6",
                "add {w}, 64",
                "add {x}, 64",
                "dec {n}",
                "jnz 2b",
                "vpaddq ymm2, ymm2, ymm3",
                "vmovdqu [{lanes}], ymm2",
                "vmovdqu [{wrapped}], ymm4",
                "vzeroupper",
                w = inout(reg) weights.as_ptr() => _,
                x = inout(reg) input.as_ptr() => _,
                n = inout(reg) passes => _,
                lanes = in(reg) lanes.as_mut_ptr(),
                wrapped = in(reg) wrapped.as_mut_ptr(),
                out("ymm0") _,
                out("ymm1") _,
                out("ymm2") _,
                out("ymm3") _,
                out("ymm4") _,
                out("ymm5") _,
                out("ymm6") _,
                out("ymm7") _,
                options(nostack),
            );
        }
    }
    let mut acc = lanes.iter().sum::<i64>();
    // Each lane that wrapped to i32::MIN was widened as -2^31 for a true +2^31.
    acc += wrapped.iter().map(|&c| i64::from(c)).sum::<i64>() << 32;
    acc += i64::from(bias);
    for (w, x) in weights.iter().zip(input).skip(done) {
        acc += i64::from(i32::from(*w) * i32::from(*x));
    }
    acc
}
