// SPDX-License-Identifier: GPL-2.0

//! `nnctl compile --format auto`: each layer's format chosen on the calibration rows.
//!
//! The rule (nnctl.rst, "Choosing the formats"): start from every layer in `16x16`; then,
//! layer by layer from the first, take the smallest format (`8x8`, then `16x8`) with
//! which the network, the earlier choices kept, still
//!
//! - agrees with the float model's arg-max on all but 1% of the calibration rows more
//!   than the `16x16` network does (networks of two or more outputs), and
//! - keeps the mean absolute error of its outputs against the float model within 1% of
//!   the outputs' calibration range, or within twice the `16x16` network's, whichever is
//!   larger;
//!
//! else the layer stays `16x16`.

use nn_pure::format::Format;

use crate::float::FloatNet;
use crate::quantize::{quantize, Compiled, Options};
use crate::Result;

/// What the rule allows of a candidate against the all-`16x16` network `base`.
fn within(c: &Compiled, base: &Compiled, outputs: usize) -> bool {
    let rows = c.rows.max(1);
    // 1% of the rows, at least one when there are any.
    let slack = rows.div_ceil(100);
    let agree = outputs < 2 || c.agree + slack >= base.agree;
    let (Some(last), Some(first)) = (c.reports.last(), base.reports.last()) else {
        return false;
    };
    let bound = (0.01 * first.range).max(2.0 * first.mean_err);
    agree && last.mean_err <= bound
}

/// The formats the rule chooses, and the network compiled with them; `calib` must not be
/// empty (the rule measures on it).
///
/// # Errors
///
/// As [`quantize`]; without calibration rows.
pub fn choose(
    net: &FloatNet,
    calib: &[Vec<f64>],
    opts: &Options,
) -> Result<(Compiled, Vec<Format>)> {
    if calib.is_empty() {
        return Err("--format auto needs --calib (the rows it measures the formats on)".into());
    }
    let n = net.layers.len();
    let outputs = net.layers.last().map_or(0, |l| l.outputs);
    let mut formats = vec![Format::F16x16; n];
    let with = |formats: &[Format]| {
        quantize(
            net,
            calib,
            &Options {
                formats: formats.to_vec(),
                ..opts.clone()
            },
        )
    };
    let base = with(&formats)?;
    let mut best = base.clone();
    for k in 0..n {
        for f in [Format::F8x8, Format::F16x8] {
            let mut trial = formats.clone();
            trial[k] = f;
            let c = with(&trial)?;
            if within(&c, &base, outputs) {
                formats = trial;
                best = c;
                break;
            }
        }
    }
    Ok((best, formats))
}
