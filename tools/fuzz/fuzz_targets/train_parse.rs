// SPDX-License-Identifier: GPL-2.0

//! `TrainLine::parse`, `Setting::parse` and `parse_sample` (`rust/pure/train_text.rs`, the
//! lines written to a network's `train`) on arbitrary bytes for networks of 1 to 8 inputs,
//! 1 to 4 outputs and every format: no panic, settings in range, settings and samples
//! written back and read again to the same values, the bound on the values a write
//! holds, and the kernel's second pass equal to its first (see
//! `nn_fuzz::commands::train_parse`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_fuzz::train_parse(data));
