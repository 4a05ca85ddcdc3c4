// SPDX-License-Identifier: GPL-2.0

//! `config_lines` and `ConfigCommand::parse` (`rust/pure/config_line.rs`, the commands
//! written to a network's `config`) on arbitrary bytes with `MAX_NUMNODES` from 1 to
//! 1024: no panic, the line numbers, the grammar and values of a second reading of
//! admin-guide.rst, and each accepted command written back and read again to the same
//! value (see `nn_fuzz::commands::config_parse`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_fuzz::config_parse(data));
