// SPDX-License-Identifier: GPL-2.0

//! `decimal::parse_q` and `parse_line` (the text of debugfs `predict` and `nnctl eval`)
//! on arbitrary bytes: no panic, the grammar and exact value of an independent reference,
//! and what `write_q` / `write_outputs` print reads back the same (see
//! `nn_fuzz::decimal_parse`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_fuzz::decimal_parse(data));
