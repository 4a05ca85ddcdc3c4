// SPDX-License-Identifier: GPL-2.0

//! `Model::parse` on arbitrary bytes: it must never panic, must agree with the format's
//! specification on what it accepts, and what it accepts must hold together (see
//! `nn_fuzz::check`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_fuzz::model_parse(data));
