// SPDX-License-Identifier: GPL-2.0

//! The 8-bit weight formats' kernels with AVX-512 VNNI (`vpdpwssd` on 256-bit registers,
//! EVEX-encoded: AVX512_VNNI with AVX512VL): `avx2_w8.rs`'s three kernels, made by the
//! same macro (`asm.rs`, `w8_kernels`), with each pass's multiply-add and add fused into
//! one instruction, on the same prepared input and with the same bounds (`vpdpwssd` adds
//! pair sums into `i32` lanes without saturation, exactly as `vpmaddwd` then `vpaddd`
//! do).
//!
//! The test guest (QEMU's TCG) has no AVX-512: these kernels are proven bit for bit on
//! the host (`tools/pure`), and in the module they run only where the CPU has the
//! features, the kernel saves the AVX-512 state, and the load-time self-check found them
//! equal to the reference.
//!
//! Only `core`: the host crate builds this file too.

use super::avx2_w8::{passes, vector_passes, with_tail4, CHUNK, PASS};
use crate::pure::format::dot_16x8;

w8_kernels!(vnni);
