// SPDX-License-Identifier: GPL-2.0

//! Online training: fixed-point stochastic gradient descent with backpropagation, for
//! networks created by [`super::xavier::Plan`] (their weight format is known).
//!
//! # Memory
//!
//! The caller allocates everything (on the NUMA node it chooses) and lends it as one
//! [`TrainLayer`] per layer; with `n = outputs` and `m = inputs`:
//!
//! | buffer    | type  | length  | holds                                                |
//! |-----------|-------|---------|------------------------------------------------------|
//! | `weights` | `i16` | `n * m` | row-major weights, Q-format `weight_frac`            |
//! | `bias`    | `i32` | `n`     | biases, `weight_frac + input_frac` bits              |
//! | `grad_w`  | `i64` | `n * m` | sum of dE/dw over the batch, `24 + input_frac` bits  |
//! | `grad_b`  | `i64` | `n`     | sum of dE/db over the batch, 24 bits                 |
//! | `pre`     | `i16` | `n`     | the requantized value before the activation          |
//! | `out`     | `i16` | `n`     | the layer's output                                   |
//! | `delta`   | `i64` | `n`     | dE/dz of the last backward pass, 24 bits             |
//!
//! # Math
//!
//! [`step`] runs one sample: the forward pass with exactly the arithmetic of
//! [`super::forward::DenseLayer::forward`] (`dot`, `Requant::apply`, `Activation::apply`),
//! saving `pre` and `out`; the loss; the backward pass; and adds the sample's gradients
//! to `grad_w` and `grad_b`. [`apply`] then moves the weights against the mean gradient
//! of the samples accumulated since the last [`apply`] and clears the gradients.
//!
//! - The objective is `E = 1/2 * sum_o (y_o - t_o)^2` per sample, `t` given in the
//!   output's Q-format. [`step`] returns the mean squared error `mean_o (y_o - t_o)^2`
//!   in units of 2^-30 ([`LOSS_FRAC`]).
//! - `delta = dE/dz` (`z` the requantized value) is kept in Q7.24 ([`DELTA_FRAC`]),
//!   saturated to `i32`'s range (|delta| < 128: a larger one is clipped). The output
//!   layer's `dE/dy` is `y - t`; a hidden layer's is `sum_o w[o][i] * delta[o]` (exact
//!   in `i64`, then rounded). Derivatives: linear 1, relu 1 if `z > 0` else 0, sigmoid
//!   `y * (1 - y)` and tanh `1 - y^2` from the Q0.15 output, in Q0.30. The
//!   requantization of a planned layer is an exact change of scale (`mult = 1`), so
//!   `dz/dacc = 1`; its rounding and saturation are passed straight through.
//! - `grad_w += delta[o] * x[i]` and `grad_b += delta[o]`, exact in `i64`, saturating.
//! - [`apply`] with the learning rate `lr` in Q8.24 ([`LR_FRAC`], `LR_ONE` = 1.0):
//!   `w -= lr * mean(grad_w)`, `b -= lr * mean(grad_b)`, in each parameter's own
//!   format, rounded stochastically (`floor(u + r)`, `r` uniform in `[0, 1)` from the
//!   [`Rng`]: the expected update is exact, so updates far below one weight step are
//!   not lost) or, without an [`Rng`], to nearest (half up). Weights saturate at
//!   `-32767..=32767` (never -32768), biases at `i32`'s range. Whenever an
//!   intermediate product saturates, the exact update would exceed the parameter's
//!   whole range, so the saturated result is the exact one.
//!
//! No allocation, no floating point, no panics: every length is checked before use
//! ([`TrainError`]), every narrowing saturates. Pure code: only `core`.

use super::activation::Activation;
use super::fixed::{dot, MAX_DIM, WEIGHT_MAX};
use super::format::Weights;
use super::forward::DenseLayer;
use super::int::div_u64;
use super::num::{i32_as_i64, saturating_u8};
use super::rng::Rng;
use super::xavier::{LayerPlan, MAX_LAYERS};

/// Fractional bits of `delta` (`dE/dz`) and of `grad_b` (Q7.24 for one sample).
pub const DELTA_FRAC: u8 = 24;
/// Fractional bits of the learning rate (Q8.24: `lr = rate * 2^24`).
pub const LR_FRAC: u8 = 24;
/// A learning rate of 1.0.
pub const LR_ONE: u32 = 1 << LR_FRAC;
/// The largest learning rate of a training request, just under 8.0 (as `rate` in
/// `network_<id>/train` takes it: a decimal in (0, 8)).
pub const LR_MAX: u32 = 8 * LR_ONE - 1;
/// The most epochs of a training request (`network_<id>/train`'s `epochs`,
/// `neural_network_train()`'s `NEURAL_TRAIN_MAX_EPOCHS`).
pub const MAX_EPOCHS: u32 = 100_000;
/// The most values (inputs and targets) of a training request's samples (a
/// `network_<id>/train` write's, `neural_network_train()`'s `NEURAL_TRAIN_MAX_VALUES`).
pub const MAX_VALUES: usize = 4 << 20;
/// Fractional bits of the loss [`step`] returns (`loss / 2^30` is the mean squared
/// error in real units).
pub const LOSS_FRAC: u8 = 30;

/// |delta| stays within `i32`'s range: `|w * delta| < 2^46`, and a sum over 4096
/// products stays below 2^58.
const DELTA_MAX: i64 = i32_as_i64(i32::MAX);
/// [`apply`] first brings a weight's mean gradient to `weight_frac + 20` fractional
/// bits, so that `gradient * lr >> 44` is in weight units: since `2^63 >> 44 = 2^19`
/// exceeds the weights' range, a saturated product gives the exact (saturated) result.
const W_EXTRA: i32 = 20;
const W_SHIFT: u32 = 44;
/// The same for biases: `bias_frac + 6` bits, `>> 30`; `2^63 >> 30 = 2^33` exceeds
/// `i32`'s range.
const B_EXTRA: i32 = 6;
const B_SHIFT: u32 = 30;

/// Why a training call was refused (nothing was written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrainError {
    /// No layers.
    NoLayers,
    /// More than 16 layers.
    TooManyLayers,
    /// A buffer of this layer has the wrong length, or its size is not in 1..=4096.
    Shape(u8),
    /// This layer's inputs or input format differ from the previous layer's outputs.
    Chain(u8),
    /// This layer's formats or requantization are not those of a planned layer.
    NotTrainable(u8),
    /// The input vector's length differs from the first layer's inputs.
    InputLength,
    /// The target vector's length differs from the last layer's outputs.
    TargetLength,
    /// A batch of 0 samples.
    BadBatch,
}

impl TrainError {
    /// A short reason, for logs and debugfs.
    pub fn reason(self) -> &'static str {
        match self {
            TrainError::NoLayers => "no layers",
            TrainError::TooManyLayers => "more than 16 layers",
            TrainError::Shape(_) => "a buffer's length differs from the layer's shape",
            TrainError::Chain(_) => "layer inputs differ from previous outputs",
            TrainError::NotTrainable(_) => "layer formats are not those of a created network",
            TrainError::InputLength => "input length differs from the network's inputs",
            TrainError::TargetLength => "target length differs from the network's outputs",
            TrainError::BadBatch => "batch of 0 samples",
        }
    }
}

/// One layer's parameters and training state, in memory the caller owns (see the
/// module documentation for each buffer's length and format).
#[derive(Debug)]
pub struct TrainLayer<'a> {
    /// Shape and formats (from [`super::xavier::Plan`]).
    pub plan: LayerPlan,
    /// `outputs * inputs` weights, row-major.
    pub weights: &'a mut [i16],
    /// `outputs` biases.
    pub bias: &'a mut [i32],
    /// `outputs * inputs` accumulated weight gradients.
    pub grad_w: &'a mut [i64],
    /// `outputs` accumulated bias gradients.
    pub grad_b: &'a mut [i64],
    /// `outputs` requantized values before the activation, from the last forward pass.
    pub pre: &'a mut [i16],
    /// `outputs` outputs, from the last forward pass.
    pub out: &'a mut [i16],
    /// `outputs` values of `dE/dz`, from the last backward pass.
    pub delta: &'a mut [i64],
}

impl TrainLayer<'_> {
    /// The layer for the inference path ([`DenseLayer::forward`]).
    pub fn dense(&self) -> DenseLayer<'_> {
        DenseLayer {
            inputs: self.plan.inputs,
            outputs: self.plan.outputs,
            activation: self.plan.activation,
            requant: self.plan.requant,
            weights: Weights::Wide(self.weights),
            bias: self.bias,
        }
    }

    fn check(&self, index: u8) -> Result<(), TrainError> {
        let p = &self.plan;
        let n = p.outputs;
        if p.inputs == 0 || p.inputs > MAX_DIM || n == 0 || n > MAX_DIM {
            return Err(TrainError::Shape(index));
        }
        let nm = p.inputs * n;
        if self.weights.len() != nm
            || self.grad_w.len() != nm
            || self.bias.len() != n
            || self.grad_b.len() != n
            || self.pre.len() != n
            || self.out.len() != n
            || self.delta.len() != n
        {
            return Err(TrainError::Shape(index));
        }
        let formats_ok = p.input_frac <= 15
            && p.weight_frac <= 15
            && p.pre_frac <= 15
            && p.activation.input_frac().unwrap_or(p.pre_frac) == p.pre_frac
            && p.activation.output_frac().unwrap_or(p.pre_frac) == p.out_frac
            && LayerPlan::unit_requant(p.input_frac, p.weight_frac, p.pre_frac) == Some(p.requant);
        if !formats_ok {
            return Err(TrainError::NotTrainable(index));
        }
        Ok(())
    }
}

/// Checks every layer's buffers and formats and that the layers chain.
///
/// # Errors
///
/// The first [`TrainError`] found.
pub fn check(layers: &[TrainLayer<'_>]) -> Result<(), TrainError> {
    if layers.is_empty() {
        return Err(TrainError::NoLayers);
    }
    if layers.len() > MAX_LAYERS {
        return Err(TrainError::TooManyLayers);
    }
    let mut prev: Option<&LayerPlan> = None;
    for (i, l) in layers.iter().enumerate() {
        // i < 16: it fits.
        let index = saturating_u8(i);
        l.check(index)?;
        if let Some(p) = prev {
            if l.plan.inputs != p.outputs || l.plan.input_frac != p.out_frac {
                return Err(TrainError::Chain(index));
            }
        }
        prev = Some(&l.plan);
    }
    Ok(())
}

/// The last layer's outputs (empty without layers).
pub fn output<'s>(layers: &'s [TrainLayer<'_>]) -> &'s [i16] {
    layers.last().map_or(&[], |l| &*l.out)
}

/// The forward pass, saving every layer's `pre` and `out`; the network's output is then
/// [`output`]. Bit for bit what [`DenseLayer::forward`] computes, layer after layer.
///
/// # Errors
///
/// [`TrainError`] if the layers are not consistent ([`check`]) or `input` is not the
/// first layer's `inputs` long; nothing is written.
pub fn forward(layers: &mut [TrainLayer<'_>], input: &[i16]) -> Result<(), TrainError> {
    check(layers)?;
    if layers.first().map(|l| l.plan.inputs) != Some(input.len()) {
        return Err(TrainError::InputLength);
    }
    forward_checked(layers, input);
    Ok(())
}

fn forward_checked(layers: &mut [TrainLayer<'_>], input: &[i16]) {
    let mut x = input;
    let mut rest = layers;
    while let Some((layer, tail)) = rest.split_first_mut() {
        let p = layer.plan;
        let mut weights: &[i16] = layer.weights;
        let outs = layer.pre.iter_mut().zip(layer.out.iter_mut());
        for (b, (z, y)) in layer.bias.iter().zip(outs) {
            // Row by row (`chunks_exact` would leave a division in objtool's way).
            let Some((row, tail)) = weights.split_at_checked(p.inputs) else {
                break;
            };
            weights = tail;
            // The expression of `DenseLayer::forward`.
            let q = p.requant.apply(dot(row, x, *b));
            *z = q;
            *y = p.activation.apply(q);
        }
        x = &*layer.out;
        rest = tail;
    }
}

/// The mean squared error of `output` against `target` (both `out_frac` bits, equal
/// lengths), in units of 2^-30 ([`LOSS_FRAC`]); saturates at `u64::MAX`, 0 when the
/// slices are empty or `out_frac` is above 15.
pub fn mse(output: &[i16], target: &[i16], out_frac: u8) -> u64 {
    if output.is_empty() || output.len() != target.len() || out_frac > 15 {
        return 0;
    }
    let mut sum = 0u64;
    for (&y, &t) in output.iter().zip(target) {
        let e = (i32::from(y) - i32::from(t)).unsigned_abs();
        sum = sum.saturating_add(u64::from(e) * u64::from(e));
    }
    // out_frac <= 15: the scale shift is 0..=30.
    let sum = sum.saturating_mul(1 << (2 * (15 - u32::from(out_frac))));
    let n = u32::try_from(output.len()).unwrap_or(u32::MAX);
    div_u64(sum, n)
}

/// Trains on one sample: forward pass, loss, backward pass, and adds the sample's
/// gradients to `grad_w` and `grad_b` (the weights change only in [`apply`]).
///
/// `target` is in the output's Q-format (`out_frac` of the last layer: Q0.15 after
/// sigmoid or tanh, Q3.12 otherwise). Returns the sample's loss before any update, as
/// [`mse`] computes it.
///
/// # Errors
///
/// [`TrainError`] if the layers are inconsistent ([`check`]) or `input` or `target`
/// has the wrong length; nothing is written.
pub fn step(
    layers: &mut [TrainLayer<'_>],
    input: &[i16],
    target: &[i16],
) -> Result<u64, TrainError> {
    check(layers)?;
    if layers.first().map(|l| l.plan.inputs) != Some(input.len()) {
        return Err(TrainError::InputLength);
    }
    if layers.last().map(|l| l.plan.outputs) != Some(target.len()) {
        return Err(TrainError::TargetLength);
    }
    forward_checked(layers, input);

    let Some(last) = layers.last_mut() else {
        return Err(TrainError::NoLayers);
    };
    let out_frac = last.plan.out_frac;
    let loss = mse(last.out, target, out_frac);
    // dE/dy = y - t, brought from out_frac (<= 15) to DELTA_FRAC bits: |.| < 2^41.
    let up = u32::from(DELTA_FRAC - out_frac);
    for ((d, &y), &t) in last.delta.iter_mut().zip(last.out.iter()).zip(target) {
        *d = ((i64::from(y) - i64::from(t)) << up).clamp(-DELTA_MAX, DELTA_MAX);
    }

    let mut rest = layers;
    while let Some((layer, head)) = rest.split_last_mut() {
        // `delta` holds dE/dy; make it dE/dz.
        let act = layer.plan.activation;
        let saved = layer.pre.iter().zip(layer.out.iter());
        for (d, (&z, &y)) in layer.delta.iter_mut().zip(saved) {
            *d = through_activation(act, *d, z, y);
        }
        let x: &[i16] = head.last().map_or(input, |p| &*p.out);
        accumulate(layer, x);
        if let Some(prev) = head.last_mut() {
            backpropagate(layer, prev.delta);
        }
        rest = head;
    }
    Ok(loss)
}

/// `dE/dz` from `dE/dy` (`d`, Q7.24), the saved `z` and `y`.
fn through_activation(act: Activation, d: i64, z: i16, y: i16) -> i64 {
    let y = i64::from(y);
    let r = match act {
        Activation::Linear => d,
        Activation::Relu => {
            if z > 0 {
                d
            } else {
                0
            }
        }
        // y in 0..=32767 (Q0.15): y * (1 - y) in Q0.30, at most 2^28.
        Activation::Sigmoid => {
            let y = y.clamp(0, 32768);
            round_shift(d.saturating_mul(y * (32768 - y)), 30)
        }
        // y in -32767..=32767: 1 - y^2 in Q0.30, 0..=2^30.
        Activation::Tanh => {
            let y = y.clamp(-32768, 32768);
            round_shift(d.saturating_mul((1 << 30) - y * y), 30)
        }
    };
    r.clamp(-DELTA_MAX, DELTA_MAX)
}

/// `grad_w[o][i] += delta[o] * x[i]`, `grad_b[o] += delta[o]`.
fn accumulate(layer: &mut TrainLayer<'_>, x: &[i16]) {
    let mut grads: &mut [i64] = layer.grad_w;
    for (gb, &d) in layer.grad_b.iter_mut().zip(layer.delta.iter()) {
        let Some((row, tail)) = core::mem::take(&mut grads).split_at_mut_checked(layer.plan.inputs)
        else {
            break;
        };
        grads = tail;
        *gb = gb.saturating_add(d);
        if d == 0 {
            continue;
        }
        for (g, &xi) in row.iter_mut().zip(x) {
            // |d| <= 2^31 - 1 and |xi| <= 2^15: the product is below 2^46.
            *g = g.saturating_add(d * i64::from(xi));
        }
    }
}

/// `prev_delta[i] = sum_o w[o][i] * delta[o] / 2^weight_frac`: the previous layer's
/// `dE/dy` in Q7.24.
fn backpropagate(layer: &TrainLayer<'_>, prev_delta: &mut [i64]) {
    prev_delta.fill(0);
    let mut weights: &[i16] = layer.weights;
    for &d in layer.delta.iter() {
        let Some((row, tail)) = weights.split_at_checked(layer.plan.inputs) else {
            break;
        };
        weights = tail;
        if d == 0 {
            continue;
        }
        for (acc, &w) in prev_delta.iter_mut().zip(row) {
            // |d * w| < 2^46; 4096 of them stay below 2^58.
            *acc = acc.saturating_add(d * i64::from(w));
        }
    }
    let s = u32::from(layer.plan.weight_frac);
    for acc in prev_delta.iter_mut() {
        *acc = round_shift(*acc, s).clamp(-DELTA_MAX, DELTA_MAX);
    }
}

/// `v / 2^s` rounded half up for `s` in 1..=62, `v` for 0.
fn round_shift(v: i64, s: u32) -> i64 {
    if s == 0 {
        v
    } else if s > 62 {
        0
    } else {
        v.saturating_add(1 << (s - 1)) >> s
    }
}

/// `v * 2^s` (`s >= 0`, saturating) or `v / 2^-s` rounded half up (`s < 0`).
fn scale_pow2(v: i64, s: i32) -> i64 {
    if s <= 0 {
        return round_shift(v, s.unsigned_abs());
    }
    let s = s.unsigned_abs();
    if v == 0 {
        0
    } else if s > 62 || v.unsigned_abs() > (i64::MAX >> s).unsigned_abs() {
        if v > 0 {
            i64::MAX
        } else {
            i64::MIN
        }
    } else {
        v << s
    }
}

/// `g / batch`: `recip = floor(2^32 / batch)` for `batch >= 2` (exact for powers of two;
/// otherwise off by a relative 2^-32 at most), `g` for a batch of 1.
fn batch_mean(g: i64, recip: Option<u64>) -> i64 {
    let Some(r) = recip else { return g };
    let a = g.unsigned_abs();
    // r <= 2^31: both partial products are below 2^63.
    let m = (a >> 32) * r + (((a & 0xffff_ffff) * r) >> 32);
    let m = i64::try_from(m).unwrap_or(i64::MAX);
    if g < 0 {
        -m
    } else {
        m
    }
}

/// `floor((g * lr + r) / 2^shift)` with `r` uniform in `[0, 2^shift)` (stochastic) or
/// `2^(shift - 1)` (to nearest); `shift` is 30 or 44.
fn sgd_delta(g: i64, lr: u32, shift: u32, rng: &mut Option<&mut Rng>) -> i64 {
    let p = g.saturating_mul(i64::from(lr));
    let r = match rng {
        // PANIC: none; `shift` is 30 or 44, so 64 - shift is in 1..=63 and the shifted
        // value has `shift` bits: it fits.
        Some(rng) => i64::try_from(rng.next_u64() >> (64 - shift)).unwrap_or(i64::MAX),
        None => 1 << (shift - 1),
    };
    p.saturating_add(r) >> shift
}

/// Updates every weight and bias against the mean of the gradients accumulated over
/// the last `batch` [`step`]s, with learning rate `lr` (Q8.24: [`LR_ONE`] is 1.0), then
/// clears the gradients. Rounding is stochastic with `rng`, to nearest without.
///
/// # Errors
///
/// [`TrainError::BadBatch`] for a batch of 0, or [`TrainError`] if the layers are
/// inconsistent ([`check`]); nothing is written.
pub fn apply(
    layers: &mut [TrainLayer<'_>],
    lr: u32,
    batch: u32,
    mut rng: Option<&mut Rng>,
) -> Result<(), TrainError> {
    if batch == 0 {
        return Err(TrainError::BadBatch);
    }
    check(layers)?;
    let recip = (batch > 1).then(|| div_u64(1 << 32, batch));
    for layer in layers.iter_mut() {
        let p = layer.plan;
        let wf = i32::from(p.weight_frac);
        let bf = i32::from(p.bias_frac());
        let delta_frac = i32::from(DELTA_FRAC);
        // grad_w has DELTA_FRAC + input_frac bits; bring it to weight_frac + W_EXTRA.
        let w_up = wf + W_EXTRA - (delta_frac + i32::from(p.input_frac));
        for (w, g) in layer.weights.iter_mut().zip(layer.grad_w.iter_mut()) {
            let n = scale_pow2(batch_mean(*g, recip), w_up);
            let d = sgd_delta(n, lr, W_SHIFT, &mut rng);
            let v = i64::from(*w).saturating_sub(d);
            let v = v.clamp(-i64::from(WEIGHT_MAX), i64::from(WEIGHT_MAX));
            // PANIC: none; clamped to the i16 range.
            *w = i16::try_from(v).unwrap_or(0);
            *g = 0;
        }
        // grad_b has DELTA_FRAC bits; bring it to bias_frac + B_EXTRA.
        let b_up = bf + B_EXTRA - delta_frac;
        for (b, g) in layer.bias.iter_mut().zip(layer.grad_b.iter_mut()) {
            let n = scale_pow2(batch_mean(*g, recip), b_up);
            let d = sgd_delta(n, lr, B_SHIFT, &mut rng);
            let v = i64::from(*b).saturating_sub(d);
            let v = v.clamp(i64::from(i32::MIN), i64::from(i32::MAX));
            // PANIC: none; clamped to the i32 range.
            *b = i32::try_from(v).unwrap_or(0);
            *g = 0;
        }
    }
    Ok(())
}

/// Clears the accumulated gradients (to start a batch afresh).
pub fn zero_grad(layers: &mut [TrainLayer<'_>]) {
    for l in layers.iter_mut() {
        l.grad_w.fill(0);
        l.grad_b.fill(0);
    }
}
