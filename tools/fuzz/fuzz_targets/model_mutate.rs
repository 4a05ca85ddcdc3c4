// SPDX-License-Identifier: GPL-2.0

//! Structure-aware: the fuzz bytes draw a valid model (written by `writer::write_model`,
//! which must be accepted as written), then a few mutations of its fields, lengths and
//! bytes, with `total_len` and the CRC fixed up most of the time so that the parser's
//! later checks are reached (see `nn_fuzz::model_mutate`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_fuzz::model_mutate(data));
