// SPDX-License-Identifier: GPL-2.0

//! The forward pass of one dense layer, the scalar reference path.
//!
//! `y[o] = activation(requant(bias[o] + sum_i w[o][i] * x[i]))`, with the exact `i64`
//! accumulation and the rounding and saturation of `fixed`. Every other path (SIMD) must
//! produce the same bits; the host runs this very code for `nnctl eval`.
//!
//! Pure code: only `core`.

use super::activation::Activation;
use super::fixed::{dot, Requant};

/// A dense layer's parameters, wherever they live.
#[derive(Clone, Copy, Debug)]
pub struct DenseLayer<'a> {
    /// Inputs.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
    /// Activation.
    pub activation: Activation,
    /// Requantization of the accumulator.
    pub requant: Requant,
    /// `outputs * inputs` weights, row-major.
    pub weights: &'a [i16],
    /// `outputs` biases.
    pub bias: &'a [i32],
}

/// A shape that does not fit: the caller passed the wrong buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShapeError;

impl DenseLayer<'_> {
    /// Computes `output` from `input`.
    ///
    /// # Errors
    ///
    /// [`ShapeError`] if a slice's length does not match the layer (nothing is written).
    pub fn forward(&self, input: &[i16], output: &mut [i16]) -> Result<(), ShapeError> {
        if input.len() != self.inputs
            || output.len() != self.outputs
            || self.bias.len() != self.outputs
            || Some(self.weights.len()) != self.inputs.checked_mul(self.outputs)
        {
            return Err(ShapeError);
        }
        let mut start = 0;
        for (y, b) in output.iter_mut().zip(self.bias) {
            let end = start + self.inputs;
            // PANIC: `end <= inputs * outputs == weights.len()`, checked above.
            let row = &self.weights[start..end];
            *y = self
                .activation
                .apply(self.requant.apply(dot(row, input, *b)));
            start = end;
        }
        Ok(())
    }
}

/// Index of the largest value (the first one on ties); `None` for an empty slice.
pub fn argmax(values: &[i16]) -> Option<usize> {
    let mut best: Option<(usize, i16)> = None;
    for (i, &v) in values.iter().enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}
