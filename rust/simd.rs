// SPDX-License-Identifier: GPL-2.0

//! The vector kernels: `core` only, like [`crate::pure`], but `unsafe` (each needs CPU
//! features and, in the kernel, the FPU), so in a folder of their own. The host crate
//! `tools/pure` builds these very files, and its tests check them bit for bit against
//! the scalar reference.
//!
//! - [`avx2`]: the exact `i16` dot product of a weight row (`fixed::dot`) with AVX2.
//!
//! Not yet called by the module: the gate that decides when a layer runs them (CPU
//! features, `neural_enable_simd`, the FPU, a size threshold) comes next.

#[expect(dead_code, unreachable_pub)]
pub(crate) mod avx2;
