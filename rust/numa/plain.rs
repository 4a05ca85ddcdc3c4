// SPDX-License-Identifier: GPL-2.0

//! What the module's arrays may hold: plain integers, for which zeroed memory is a value.

/// Integers a node-placed array ([`super::mem::NodeVec`], [`super::pages::PageArray`]) may
/// hold: every bit pattern, including all-zero, is a value.
///
/// # Safety
///
/// Implementors must be plain integers with no padding and no invalid bit patterns.
pub(crate) unsafe trait Plain: Copy {}
// SAFETY: plain integers.
unsafe impl Plain for u8 {}
// SAFETY: as for `u8`.
unsafe impl Plain for i8 {}
// SAFETY: plain integers.
unsafe impl Plain for i16 {}
// SAFETY: plain integers.
unsafe impl Plain for i32 {}
// SAFETY: plain integers.
unsafe impl Plain for i64 {}
// SAFETY: plain integers.
unsafe impl Plain for u64 {}
