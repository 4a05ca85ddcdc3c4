// SPDX-License-Identifier: GPL-2.0

//! `CreateLine::parse` (`rust/pure/create_line.rs`, the line written to `create`) on
//! arbitrary bytes with `MAX_NUMNODES` from 1 to 1024: no panic, the grammar and values of
//! a second reading of admin-guide.rst, and the accepted line written back (one write at
//! most) and read again to the same request (see `nn_fuzz::commands::create_parse`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_fuzz::create_parse(data));
