// SPDX-License-Identifier: GPL-2.0

//! Quantization of a float network into the module's fixed-point format.
//!
//! Per layer (Documentation/neural_network/nnctl.rst has the reasoning):
//!
//! - weights: scale `s_w = 32767 / max|w|` (any real, not a power of two), so the largest
//!   weight becomes ±32767; `w_q = round(w * s_w)`;
//! - biases: in the accumulator's scale `s_acc = s_w * 2^in_frac`,
//!   `b_q = round(b * s_acc)` as `i32`; if that cannot fit, `s_w` is lowered until it does
//!   (with a note);
//! - output format: linear and relu layers get the largest `out_frac` with
//!   `range * headroom * 2^out_frac <= 32767`, `range` being the largest output magnitude
//!   over the calibration rows (or, without calibration, the interval-arithmetic bound for
//!   inputs in `[-R, R]`); sigmoid and tanh requantize into Q3.12 and output Q0.15;
//! - requantization: `Requant::from_real(2^pre_frac / s_acc)`, `pre_frac` being
//!   `out_frac`, or 12 before sigmoid and tanh.
//!
//! - format (`--format`, fixed-point.rst "Layer formats"): `16x16` as above; `16x8`
//!   scales the weights to ±127 instead; `8x8` too, and narrows each input by the least
//!   `in_shift` with `range * headroom * 2^(in_frac - in_shift) <= 127` (the input's
//!   range kept, its precision the most that fits), the accumulator's scale then `s_w *
//!   2^(in_frac - in_shift)`.
//!
//! Rounding is half up everywhere, as in the module.

use nn_pure::activation::{Activation, SQUASH_IN_FRAC, SQUASH_OUT_FRAC};
use nn_pure::fixed::{round_half_up, Requant, WEIGHT_MAX};
use nn_pure::format::{Format, MAX_IN_SHIFT, WEIGHT8_MAX};
use nn_pure::forward::argmax;
use nn_pure::writer::LayerSpec;

use crate::float::{self, FloatNet};
use crate::{qformat, Result};

/// Headroom over the calibration range, so that inputs a little beyond what the
/// calibration saw still fit.
pub const DEFAULT_HEADROOM: f64 = 1.25;

/// The input range assumed without calibration data: `[-1, 1]`.
pub const DEFAULT_INPUT_RANGE: f64 = 1.0;

/// How to quantize.
#[derive(Clone, Debug)]
pub struct Options {
    /// The input's fractional bits; chosen from the data when `None`.
    pub input_frac: Option<u8>,
    /// Without calibration rows: inputs are taken to lie in `[-input_range, input_range]`.
    pub input_range: f64,
    /// The factor over the observed range that must still fit.
    pub headroom: f64,
    /// The layers' formats: one for every layer, or one a layer (none: 16x16).
    pub formats: Vec<Format>,
    /// The output's fractional bits; chosen from the data when `None`. Fixing it lets a
    /// retrained model replace a serving one, which must keep the output format.
    pub output_frac: Option<u8>,
}

impl Options {
    /// Layer `k`'s format.
    pub fn format_of(&self, k: usize) -> Format {
        match self.formats.as_slice() {
            [] => Format::F16x16,
            [f] => *f,
            all => all.get(k).copied().unwrap_or_default(),
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            input_frac: None,
            input_range: DEFAULT_INPUT_RANGE,
            headroom: DEFAULT_HEADROOM,
            formats: Vec::new(),
            output_frac: None,
        }
    }
}

/// What was decided for one layer, and how well it did.
#[derive(Clone, Debug)]
pub struct LayerReport {
    /// The largest |weight| of the float layer.
    pub max_w: f64,
    /// The weight scale.
    pub weight_scale: f64,
    /// The largest |quantized weight|.
    pub max_wq: i32,
    /// The largest |quantized bias|.
    pub max_bq: i64,
    /// The exact real multiplier wanted.
    pub real_mult: f64,
    /// The output range the format was chosen for.
    pub range: f64,
    /// With calibration: the largest and the mean absolute error of the quantized output
    /// against the float output, in output units.
    pub max_err: f64,
    /// See `max_err`.
    pub mean_err: f64,
    /// With calibration: how many outputs sat at the edge of the i16 range (saturated
    /// or about to), out of `values`.
    pub saturated: usize,
    /// Outputs compared.
    pub values: usize,
}

/// A quantized network and its report.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The input's fractional bits.
    pub input_frac: u8,
    /// The largest input magnitude it was chosen for.
    pub input_range: f64,
    /// The layers, ready for `writer::write_model`.
    pub layers: Vec<LayerSpec>,
    /// One report per layer.
    pub reports: Vec<LayerReport>,
    /// Notes (bias-limited scales, saturation).
    pub notes: Vec<String>,
    /// With calibration: the rows on which the quantized arg-max equals the float one.
    pub agree: usize,
    /// With calibration: the rows compared.
    pub rows: usize,
}

/// The largest `frac` in 0..=15 with `range * headroom * 2^frac <= 32767` (0 if none).
pub fn frac_for(range: f64, headroom: f64) -> u8 {
    (0..=15u8)
        .rev()
        .find(|&f| range * headroom * f64::from(1u32 << f) <= 32767.0)
        .unwrap_or(0)
}

/// The input shift of an `8x8` layer whose inputs have `in_frac` fractional bits and reach
/// `range`: the least shift (0..=15) with `range * headroom * 2^(in_frac - shift) <= 127`,
/// 15 if none.
pub fn in_shift_for(range: f64, in_frac: u8, headroom: f64) -> u8 {
    (0..=MAX_IN_SHIFT)
        .find(|&s| range * headroom * 2f64.powi(i32::from(in_frac) - i32::from(s)) <= 127.0)
        .unwrap_or(MAX_IN_SHIFT)
}

/// Quantizes `x` at `frac`, half up, saturating (calibration rows are floats already).
pub fn quantize_input(x: f64, frac: u8) -> i16 {
    let v = round_half_up(x * f64::from(1u32 << frac));
    v.clamp(-32768.0, 32767.0) as i16
}

/// Quantizes `net`; `calib` are input rows (may be empty).
pub fn quantize(net: &FloatNet, calib: &[Vec<f64>], opts: &Options) -> Result<Compiled> {
    let mut notes = Vec::new();
    // Ranges: per layer, the largest |output| (relu: the largest output).
    let (input_range, ranges) = if calib.is_empty() {
        let r = opts.input_range;
        let mut lo = vec![-r; net.input_dim];
        let mut hi = vec![r; net.input_dim];
        let mut ranges = Vec::new();
        for l in &net.layers {
            (lo, hi) = l.bounds(&lo, &hi);
            let m = lo.iter().chain(&hi).fold(0.0f64, |m, x| m.max(x.abs()));
            ranges.push(m);
        }
        (r, ranges)
    } else {
        let mut input = 0.0f64;
        let mut ranges = vec![0.0f64; net.layers.len()];
        for row in calib {
            input = row.iter().fold(input, |m, x| m.max(x.abs()));
            for (r, out) in ranges.iter_mut().zip(net.forward_all(row)) {
                *r = out.iter().fold(*r, |m, x| m.max(x.abs()));
            }
        }
        (input, ranges)
    };
    let input_frac = opts
        .input_frac
        .unwrap_or_else(|| frac_for(input_range, opts.headroom));
    if input_range * f64::from(1u32 << input_frac) > 32767.5 {
        notes.push(format!(
            "inputs up to {input_range} do not fit {}: they saturate",
            qformat(input_frac)
        ));
    }

    let mut layers = Vec::new();
    let mut reports = Vec::new();
    let mut in_frac = input_frac;
    let mut in_range = input_range;
    for (k, (l, &range)) in net.layers.iter().zip(&ranges).enumerate() {
        let format = opts.format_of(k);
        let (w_max, w_lim) = match format {
            Format::F16x16 => (f64::from(WEIGHT_MAX), 32767.0),
            Format::F16x8 | Format::F8x8 => (f64::from(WEIGHT8_MAX), 127.0),
        };
        let max_w = l.weights.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let max_b = l.bias.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let in_shift = match format {
            Format::F8x8 => in_shift_for(in_range, in_frac, opts.headroom),
            _ => 0,
        };
        let in_scale = 2f64.powi(i32::from(in_frac) - i32::from(in_shift));
        let mut weight_scale = if max_w > 0.0 { w_max / max_w } else { 1.0 };
        // The bias must fit an i32 in the accumulator's scale (with a margin for rounding).
        let bias_limit = f64::from(i32::MAX) - 1.0;
        if max_b * weight_scale * in_scale > bias_limit {
            weight_scale = bias_limit / (max_b * in_scale);
            notes.push(format!(
                "layer {k}: biases up to {max_b:.6} limit the weight scale to {weight_scale:.6e} \
                 (largest weight {:.0} of {w_lim})",
                max_w * weight_scale
            ));
        }
        let acc_scale = weight_scale * in_scale;
        let weights: Vec<i16> = l
            .weights
            .iter()
            .map(|w| round_half_up(w * weight_scale).clamp(-w_lim, w_lim) as i16)
            .collect();
        let bias: Vec<i32> = l
            .bias
            .iter()
            .map(|b| round_half_up(b * acc_scale) as i32)
            .collect();
        let last = k + 1 == net.layers.len();
        let (pre_frac, out_frac) = match (l.activation, opts.output_frac.filter(|_| last)) {
            (Activation::Sigmoid | Activation::Tanh, Some(f)) if f != SQUASH_OUT_FRAC => {
                return Err(format!(
                    "--output-frac {f}: the last layer's activation gives {} outputs",
                    qformat(SQUASH_OUT_FRAC)
                ));
            }
            (Activation::Sigmoid | Activation::Tanh, _) => (SQUASH_IN_FRAC, SQUASH_OUT_FRAC),
            (_, Some(f)) => (f, f),
            _ => {
                let f = frac_for(range, opts.headroom);
                (f, f)
            }
        };
        let real_mult = f64::from(1u32 << pre_frac) / acc_scale;
        let requant = Requant::from_real(real_mult).ok_or_else(|| {
            format!(
                "layer {k}: the requantization multiplier {real_mult:e} is outside what \
                 mult/2^shift can express (2^-47..=65535)"
            )
        })?;
        if range * f64::from(1u32 << out_frac) > 32767.5 && l.activation.output_frac().is_none() {
            notes.push(format!(
                "layer {k}: outputs up to {range:.4} do not fit {}: they saturate",
                qformat(out_frac)
            ));
        }
        reports.push(LayerReport {
            max_w,
            weight_scale,
            max_wq: weights
                .iter()
                .map(|w| i32::from(*w).abs())
                .max()
                .unwrap_or(0),
            max_bq: bias.iter().map(|b| i64::from(*b).abs()).max().unwrap_or(0),
            real_mult,
            range,
            max_err: 0.0,
            mean_err: 0.0,
            saturated: 0,
            values: 0,
        });
        layers.push(LayerSpec {
            inputs: l.inputs,
            outputs: l.outputs,
            activation: l.activation,
            out_frac,
            requant,
            format,
            in_shift,
            weights,
            bias,
        });
        in_frac = out_frac;
        in_range = match l.activation {
            Activation::Sigmoid | Activation::Tanh => 1.0,
            _ => range,
        };
    }

    // Measure on the calibration rows: the module's arithmetic against f64.
    let mut agree = 0;
    for row in calib {
        let floats = net.forward_all(row);
        let mut x: Vec<i16> = row.iter().map(|&v| quantize_input(v, input_frac)).collect();
        for ((spec, rep), f) in layers.iter().zip(&mut reports).zip(&floats) {
            let y = run_layer(spec, &x)?;
            let unit = f64::from(1u32 << spec.out_frac);
            for (q, v) in y.iter().zip(f) {
                let e = (f64::from(*q) / unit - v).abs();
                rep.max_err = rep.max_err.max(e);
                rep.mean_err += e;
                rep.values += 1;
                let edge =
                    spec.activation.output_frac().is_none() && (*q == i16::MAX || *q == i16::MIN);
                rep.saturated += usize::from(edge);
            }
            x = y;
        }
        let last = floats.last().map(Vec::as_slice).unwrap_or(&[]);
        if argmax(&x) == float::argmax(last) {
            agree += 1;
        }
    }
    for r in &mut reports {
        if r.values > 0 {
            r.mean_err /= r.values as f64;
        }
    }
    Ok(Compiled {
        input_frac,
        input_range,
        layers,
        reports,
        notes,
        agree,
        rows: calib.len(),
    })
}

/// One layer of a quantized network, with the module's forward pass.
pub fn run_layer(spec: &LayerSpec, x: &[i16]) -> Result<Vec<i16>> {
    let mut y = vec![0i16; spec.outputs];
    spec.with_dense(|layer| layer.forward(x, &mut y))
        .map_err(|_| "internal error: layer shapes do not match".to_string())?;
    Ok(y)
}

/// The report `nnctl compile` prints (on stderr).
pub fn report(c: &Compiled, calibrated: bool, headroom: f64) -> String {
    let mut s = String::new();
    let src = if calibrated {
        format!("max |x| {} over {} calibration rows", c.input_range, c.rows)
    } else {
        format!(
            "inputs assumed in [-{0}, {0}], no calibration",
            c.input_range
        )
    };
    s += &format!("input: {} ({src})\n", qformat(c.input_frac));
    let mut in_frac = c.input_frac;
    for (k, (l, r)) in c.layers.iter().zip(&c.reports).enumerate() {
        let m = l.requant;
        let eff = f64::from(m.mult()) / 2f64.powi(i32::from(m.shift()));
        s += &format!(
            "layer {k}: {} -> {} {}, {} -> {}{}\n",
            l.inputs,
            l.outputs,
            l.activation.name(),
            qformat(in_frac),
            qformat(l.out_frac),
            match l.format {
                Format::F16x16 => String::new(),
                Format::F16x8 => ", format 16x8".to_string(),
                Format::F8x8 => format!(", format 8x8, inputs narrowed by 2^{}", l.in_shift),
            }
        );
        s += &format!(
            "  weights: scale {:.6e} (max |w| {:.6} -> {}), biases up to {} in the \
             accumulator scale {:.6e}\n",
            r.weight_scale,
            r.max_w,
            r.max_wq,
            r.max_bq,
            r.weight_scale * 2f64.powi(i32::from(in_frac) - i32::from(l.in_shift))
        );
        let target = match l.activation.input_frac() {
            Some(f) => format!("{} for {}", qformat(f), l.activation.name()),
            None => format!(
                "range {:.6} x headroom {headroom} ({})",
                r.range,
                if calibrated {
                    "calibration"
                } else {
                    "interval bound"
                }
            ),
        };
        s += &format!(
            "  requant: {} / 2^{} = {:.6e} (wanted {:.6e}, rel. error {:.1e}); {target}\n",
            m.mult(),
            m.shift(),
            eff,
            r.real_mult,
            (eff / r.real_mult - 1.0).abs()
        );
        if r.values > 0 {
            s += &format!(
                "  vs float: max |err| {:.3e}, mean |err| {:.3e} ({:.2} and {:.3} LSB); \
                 at the i16 limits: {} of {}\n",
                r.max_err,
                r.mean_err,
                r.max_err * f64::from(1u32 << l.out_frac),
                r.mean_err * f64::from(1u32 << l.out_frac),
                r.saturated,
                r.values
            );
        }
        in_frac = l.out_frac;
    }
    if c.rows > 0 {
        s += &format!(
            "arg-max agreement with the float model: {}/{} ({:.2}%)\n",
            c.agree,
            c.rows,
            100.0 * c.agree as f64 / c.rows as f64
        );
    }
    for n in &c.notes {
        s += &format!("note: {n}\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frac_for_leaves_headroom() {
        assert_eq!(frac_for(1.0, 1.25), 14);
        assert_eq!(frac_for(1.0, 1.0), 14); // 32768 does not fit
        assert_eq!(frac_for(0.99, 1.0), 15);
        assert_eq!(frac_for(0.0, 1.25), 15);
        assert_eq!(frac_for(20.0, 1.25), 10);
        assert_eq!(frac_for(1e9, 1.25), 0);
    }

    #[test]
    fn inputs_round_half_up_and_saturate() {
        assert_eq!(quantize_input(0.5, 0), 1);
        assert_eq!(quantize_input(-0.5, 0), 0);
        assert_eq!(quantize_input(1.0, 15), 32767);
        assert_eq!(quantize_input(-2.0, 15), -32768);
    }
}
