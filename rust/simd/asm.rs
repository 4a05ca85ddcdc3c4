// SPDX-License-Identifier: GPL-2.0

//! What the `asm!` kernels of this folder share (`avx2.rs`, `avx2_w8.rs`): `core` only,
//! the host crate builds it too.

/// `core::arch::asm!` with every vector register, ymm0 to ymm15, declared clobbered: the
/// kernels use most of them, and each ends with `vzeroupper`, which clears
/// the upper halves of all sixteen. The operands given end with a comma.
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

/// Reduces the `i32` lanes of four sums (ymm0..3) across, and adds them, widened, to the
/// four `i64` of ymm13. Clobbers ymm0..3.
macro_rules! reduce4_w8 {
    () => {
        concat!(
            "vphaddd ymm0, ymm0, ymm1\n",
            "vphaddd ymm2, ymm2, ymm3\n",
            "vphaddd ymm0, ymm0, ymm2\n",
            "vextracti128 xmm1, ymm0, 1\n",
            "vpaddd xmm0, xmm0, xmm1\n",
            "vpmovsxdq ymm0, xmm0\n",
            "vpaddq ymm13, ymm13, ymm0\n",
        )
    };
}
