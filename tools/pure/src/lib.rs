// SPDX-License-Identifier: GPL-2.0

//! The parts of the neural_network module that need only `core`, compiled from the very
//! files the module uses (`rust/*.rs`), so that host tools share them and `cargo test`
//! checks them without a kernel.

#![no_std]

#[path = "../../../rust/cpulist.rs"]
pub mod cpulist;

#[cfg(test)]
mod tests;
