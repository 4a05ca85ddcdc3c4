// SPDX-License-Identifier: GPL-2.0

//! `nnctl`: see Documentation/neural_network/nnctl.rst or `nnctl help`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(nnctl::cli::main_with(&args));
}
