// SPDX-License-Identifier: GPL-2.0

//! `nnctl`: compiles trained MLPs from ONNX into neural_network models (`.nnm`), shows
//! them, and runs them on the host with the module's own code (`nn-pure`), so that its
//! results are the kernel's, bit for bit; and administers the module's networks through
//! its debugfs files. Documentation/neural_network/nnctl.rst.

pub mod admin;
pub mod chart;
pub mod cli;
pub mod debugfs;
pub mod float;
pub mod formats;
pub mod import;
pub mod quantize;
pub mod random;
pub mod report;
pub mod run;
pub mod text;

/// Errors are messages for a person: they name the file, line, layer or operator.
pub type Result<T> = std::result::Result<T, String>;

/// `Q<i>.<f>`: the Q-format of an `i16` with `frac` fractional bits.
pub fn qformat(frac: u8) -> String {
    format!("Q{}.{}", 15 - i32::from(frac.min(15)), frac)
}
