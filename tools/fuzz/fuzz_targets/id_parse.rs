// SPDX-License-Identifier: GPL-2.0

//! `parse_id` (`rust/pure/id_line.rs`, the id written to `remove` and `evacuate`) on
//! arbitrary bytes: no panic, the outcome of a second reading (each error for its own
//! reason), and an accepted id written back and read again (see
//! `nn_fuzz::commands::id_parse`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_fuzz::id_parse(data));
