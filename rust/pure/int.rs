// SPDX-License-Identifier: GPL-2.0

//! Integer helpers of the engine that the kernel's `core` gives no portable form of: a
//! 64-by-32-bit division without a 64-bit division instruction, and an exact integer
//! square root.
//!
//! Pure code: only `core`.

/// `n / d` for `d > 0` by shift-and-subtract, without a 64-bit division instruction
/// (32-bit kernels have none); `u64::MAX` when `d` is 0. For rare calls only.
pub fn div_u64(n: u64, d: u32) -> u64 {
    if d == 0 {
        return u64::MAX;
    }
    let d = u64::from(d);
    let mut q = 0u64;
    let mut r = 0u64;
    for bit in (0..64).rev() {
        // r < d < 2^32 before the shift: no overflow.
        r = (r << 1) | ((n >> bit) & 1);
        if r >= d {
            r -= d;
            q |= 1 << bit;
        }
    }
    q
}

/// The integer square root, `floor(sqrt(n))`, exactly (digit by digit).
pub fn isqrt(n: u64) -> u64 {
    let mut rem = n;
    let mut root = 0u64;
    let mut bit = 1u64 << 62;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}
