// SPDX-License-Identifier: GPL-2.0

//! The parts of the neural_network module that need only `core`, compiled from the very
//! files the module uses (`rust/pure/*.rs`), so that host tools share them and `cargo test`
//! checks them without a kernel.

#![no_std]

#[path = "../../../rust/pure/activation.rs"]
pub mod activation;
#[path = "../../../rust/pure/batch.rs"]
pub mod batch;
#[path = "../../../rust/pure/cache.rs"]
pub mod cache;
#[path = "../../../rust/pure/config_line.rs"]
pub mod config_line;
#[path = "../../../rust/pure/cpulist.rs"]
pub mod cpulist;
#[path = "../../../rust/pure/create_line.rs"]
pub mod create_line;
#[path = "../../../rust/pure/decimal.rs"]
pub mod decimal;
#[path = "../../../rust/pure/fixed.rs"]
pub mod fixed;
#[path = "../../../rust/pure/format.rs"]
pub mod format;
#[path = "../../../rust/pure/forward.rs"]
pub mod forward;
pub mod gated;
#[path = "../../../rust/pure/id_line.rs"]
pub mod id_line;
#[path = "../../../rust/pure/int.rs"]
pub mod int;
#[path = "../../../rust/pure/lines.rs"]
pub mod lines;
#[path = "../../../rust/pure/model.rs"]
pub mod model;
#[path = "../../../rust/pure/nodemask.rs"]
pub mod nodemask;
#[path = "../../../rust/pure/nodes.rs"]
pub mod nodes;
#[path = "../../../rust/pure/num.rs"]
pub mod num;
pub mod owned;
#[path = "../../../rust/pure/panel.rs"]
pub mod panel;
#[path = "../../../rust/pure/policy.rs"]
pub mod policy;
#[path = "../../../rust/pure/rng.rs"]
pub mod rng;
#[path = "../../../rust/pure/train.rs"]
pub mod train;
#[path = "../../../rust/pure/train_text.rs"]
pub mod train_text;
pub mod writer;
#[path = "../../../rust/pure/xavier.rs"]
pub mod xavier;

/// The engine under the name the module gives it (`crate::pure`), for the files outside
/// `rust/pure/` that both crates build (`rust/simd/`).
mod pure {
    pub use super::{activation, fixed, format, forward, panel};
}

/// The module's vector kernels (`rust/simd/`): `core` only, but `unsafe` (the caller
/// checks the CPU's features), so outside `rust/pure/`.
pub mod simd {
    pub use super::gate;
    #[cfg(target_arch = "x86_64")]
    pub use super::{avx2, avx2_w8, panel_w8, requant, short_w8, vnni_b8, vnni_w8};
}
#[cfg(target_arch = "x86_64")]
#[path = "../../../rust/simd/asm.rs"]
#[macro_use]
mod asm;
#[cfg(target_arch = "x86_64")]
#[path = "../../../rust/simd/avx2.rs"]
#[doc(hidden)]
pub mod avx2;
#[cfg(target_arch = "x86_64")]
#[path = "../../../rust/simd/avx2_w8.rs"]
#[doc(hidden)]
pub mod avx2_w8;
#[path = "../../../rust/simd/gate.rs"]
#[doc(hidden)]
pub mod gate;
#[cfg(target_arch = "x86_64")]
#[path = "../../../rust/simd/panel_w8.rs"]
#[doc(hidden)]
pub mod panel_w8;
#[cfg(target_arch = "x86_64")]
#[path = "../../../rust/simd/requant.rs"]
#[doc(hidden)]
pub mod requant;
#[cfg(target_arch = "x86_64")]
#[path = "../../../rust/simd/short_w8.rs"]
#[doc(hidden)]
pub mod short_w8;
#[cfg(target_arch = "x86_64")]
#[path = "../../../rust/simd/vnni_b8.rs"]
#[doc(hidden)]
pub mod vnni_b8;
#[cfg(target_arch = "x86_64")]
#[path = "../../../rust/simd/vnni_w8.rs"]
#[doc(hidden)]
pub mod vnni_w8;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_cache;
#[cfg(test)]
mod tests_commands;
#[cfg(test)]
mod tests_decimal;
#[cfg(test)]
mod tests_fixed;
#[cfg(test)]
mod tests_format;
#[cfg(test)]
mod tests_malformed;
#[cfg(test)]
mod tests_model;
#[cfg(test)]
mod tests_nodes;
#[cfg(all(test, target_arch = "x86_64"))]
mod tests_panel;
#[cfg(test)]
mod tests_requant;
#[cfg(all(test, target_arch = "x86_64"))]
mod tests_short;
#[cfg(test)]
mod tests_simd;
#[cfg(test)]
mod tests_train;
