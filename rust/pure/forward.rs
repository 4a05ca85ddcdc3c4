// SPDX-License-Identifier: GPL-2.0

//! The forward pass of one dense layer, the scalar reference path.
//!
//! `y[o] = activation(requant(bias[o] + sum_i w[o][i] * x[i]))`, with the exact `i64`
//! accumulation and the rounding and saturation of `fixed`, the products in the layer's
//! format (`format`: 16- or 8-bit weights, inputs narrowed to 8 bits or not). Every other
//! path (SIMD) must produce the same bits; the host runs this very code for `nnctl eval`.
//!
//! Pure code: only `core`.

use super::activation::Activation;
use super::fixed::{dot, Requant};
use super::format::{dot_16x8, dot_8x8_wide, narrow, Weights};
use super::panel;

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
    /// `outputs * inputs` weights in the layer's format: row-major, or for
    /// [`Weights::Panels`] in panels (`panel.rs`).
    pub weights: Weights<'a>,
    /// `outputs` biases.
    pub bias: &'a [i32],
}

/// A shape that does not fit: the caller passed the wrong buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShapeError;

impl DenseLayer<'_> {
    /// An output from its accumulator (the row's sum and bias): requantized, then
    /// activated. Every path's outputs are this of their sums (the vector step of four,
    /// `simd/requant.rs`, computes the same bits).
    #[inline]
    pub fn finish(&self, acc: i64) -> i16 {
        self.activation.apply(self.requant.apply(acc))
    }

    /// Computes `output` from `input`.
    ///
    /// # Errors
    ///
    /// [`ShapeError`] if a slice's length does not match the layer (nothing is written).
    pub fn forward(&self, input: &[i16], output: &mut [i16]) -> Result<(), ShapeError> {
        if output.len() != self.outputs {
            return Err(ShapeError);
        }
        self.reference_rows(input, 0, output)
    }

    /// Computes rows `first..first + output.len()` of the layer's output into `output` by
    /// the scalar reference of the layer's format.
    ///
    /// # Errors
    ///
    /// As [`DenseLayer::forward_rows`] (nothing is written).
    pub fn reference_rows(
        &self,
        input: &[i16],
        first: usize,
        output: &mut [i16],
    ) -> Result<(), ShapeError> {
        match self.weights {
            Weights::Wide(w) => self.forward_rows(w, input, first, output, dot),
            Weights::Narrow(w) => self.forward_rows(w, input, first, output, dot_16x8),
            Weights::Byte { weights, in_shift } => {
                self.forward_rows(weights, input, first, output, |w, x, b| {
                    dot_8x8_wide(w, x, in_shift, b)
                })
            }
            Weights::Panels { weights, in_shift } => {
                self.reference_panels(weights, in_shift, input, first, output)
            }
        }
    }

    /// [`DenseLayer::reference_rows`] of a layer stored in panels (`panel.rs`): a row
    /// in a panel reads its weights 32 bytes apart (16 for an odd row's last), a row after
    /// the panels as [`dot_16x8`] or [`dot_8x8_wide`] do.
    fn reference_panels(
        &self,
        weights: &[i8],
        in_shift: Option<u8>,
        input: &[i16],
        first: usize,
        output: &mut [i16],
    ) -> Result<(), ShapeError> {
        let end = self.rows_end(weights.len(), input.len(), first, output.len())?;
        let n = self.inputs;
        let x = |i: usize| {
            let v = input.get(i).copied().unwrap_or(0);
            in_shift.map_or(i32::from(v), |s| i32::from(narrow(v, s)))
        };
        // PANIC: `first <= end <= outputs == bias.len()` (`rows_end`).
        let bias = &self.bias[first..end];
        for ((y, b), r) in output.iter_mut().zip(bias).zip(first..) {
            let mut acc = i64::from(*b);
            if r < panel::panel_rows(self.outputs) {
                // Pair `q`'s two weights at `pair + 32 q`, an odd row's last at `last`.
                let start = r / panel::ROWS * panel::ROWS * n;
                let pair = start + r % panel::ROWS * 2;
                let w = |k: usize| i32::from(weights.get(k).copied().unwrap_or(0));
                for q in 0..n / 2 {
                    let k = pair + q * 2 * panel::ROWS;
                    acc += i64::from(w(k) * x(2 * q) + w(k + 1) * x(2 * q + 1));
                }
                if n % 2 == 1 {
                    let last = start + n / 2 * 2 * panel::ROWS + r % panel::ROWS;
                    acc += i64::from(w(last) * x(n - 1));
                }
            } else {
                // PANIC: `r * n + n <= outputs * n == weights.len()` (`rows_end`).
                let row = &weights[r * n..r * n + n];
                for (i, w) in row.iter().enumerate() {
                    acc += i64::from(i32::from(*w) * x(i));
                }
            }
            *y = self.finish(acc);
        }
        Ok(())
    }

    /// Computes rows `first..first + output.len()` of the layer's output into `output`
    /// from `weights`, the layer's weights as the caller's path reads them (of the
    /// layer's format), each row's sum by `row_dot(weights, input, bias)`, which must
    /// compute exactly what the format's reference computes over the input's length (the
    /// vector kernels do; the scalar path passes the reference itself: [`dot`] for
    /// `16x16`). `weights` starts at the row and runs to the end of the layer's weights,
    /// so that a kernel may read whole passes past a row's end. One loop, so that every
    /// path requantizes, activates and checks shapes the same way.
    ///
    /// # Errors
    ///
    /// [`ShapeError`] if a slice's length does not match the layer, or the rows are not
    /// all the layer's (nothing is written).
    #[inline]
    pub fn forward_rows<W>(
        &self,
        weights: &[W],
        input: &[i16],
        first: usize,
        output: &mut [i16],
        row_dot: impl Fn(&[W], &[i16], i32) -> i64,
    ) -> Result<(), ShapeError> {
        let end = self.rows_end(weights.len(), input.len(), first, output.len())?;
        // `first * inputs <= end * inputs <= weights.len()`: checked above.
        let mut start = first * self.inputs;
        // PANIC: `first <= end <= outputs == bias.len()`, checked above.
        for (y, b) in output.iter_mut().zip(&self.bias[first..end]) {
            // PANIC: `start + inputs <= end * inputs <= weights.len()`, checked above.
            let row = &weights[start..];
            *y = self.finish(row_dot(row, input, *b));
            start += self.inputs;
        }
        Ok(())
    }

    /// The end of rows `first..first + n` for an input of `input_len` values, if they are
    /// the layer's and the layer's arrays (its weights as the caller reads them:
    /// `weights_len` of them) have its shape.
    #[inline]
    pub fn rows_end(
        &self,
        weights_len: usize,
        input_len: usize,
        first: usize,
        n: usize,
    ) -> Result<usize, ShapeError> {
        let end = first.checked_add(n).ok_or(ShapeError)?;
        let want = self.inputs.checked_mul(self.outputs);
        if input_len != self.inputs
            || end > self.outputs
            || self.bias.len() != self.outputs
            || Some(weights_len) != want
            || Some(self.weights.len()) != want
        {
            return Err(ShapeError);
        }
        Ok(end)
    }

    /// [`DenseLayer::forward_rows`] four rows at a time: `rows4(weights, bias)` gives the
    /// outputs of the four rows from the one `weights` starts at (it runs to the end of
    /// the layer's weights), `bias` their four biases, as [`DenseLayer::finish`] of each
    /// row's sum and bias, or `None` where it cannot (then those rows by `row_dot`, as the
    /// rows left over after the last four are).
    ///
    /// # Errors
    ///
    /// As [`DenseLayer::forward_rows`] (nothing is written).
    #[inline]
    pub fn forward_rows_by4<W>(
        &self,
        weights: &[W],
        input: &[i16],
        first: usize,
        output: &mut [i16],
        rows4: impl Fn(&[W], &[i32; 4]) -> Option<[i16; 4]>,
        row_dot: impl Fn(&[W], &[i16], i32) -> i64,
    ) -> Result<(), ShapeError> {
        let end = self.rows_end(weights.len(), input.len(), first, output.len())?;
        let mut start = first * self.inputs;
        // PANIC: `first <= end <= outputs == bias.len()`, checked above.
        let bias = &self.bias[first..end];
        let mut i = 0;
        while i < output.len() {
            // PANIC: `start = (first + i) * inputs < weights.len()`, checked above.
            let row = &weights[start..];
            let four = bias
                .get(i..i + 4)
                .and_then(|b| <&[i32; 4]>::try_from(b).ok())
                .and_then(|b| rows4(row, b));
            match four {
                Some(y) => {
                    // Not `copy_from_slice`: its length check's panic is a function
                    // objtool does not know as noreturn, in the module.
                    // PANIC: `i + 4 <= bias.len() == output.len()` (`bias.get` above).
                    for (o, v) in output[i..i + 4].iter_mut().zip(y) {
                        *o = v;
                    }
                    i += 4;
                    start += 4 * self.inputs;
                }
                None => {
                    // PANIC: `i < output.len() == bias.len()`.
                    output[i] = self.finish(row_dot(row, input, bias[i]));
                    i += 1;
                    start += self.inputs;
                }
            }
        }
        Ok(())
    }

    /// [`DenseLayer::forward_rows`] for four inputs at once: rows `first..first + n` of
    /// each input's output into `ys[k]` (each of the same length `n`), the four sums of a
    /// row by `row_dot(weights, bias)`, which must compute what the format's reference
    /// computes for each input (the batch kernel reads each row once for the four);
    /// `weights` runs from the row to the end of the layer's, as for
    /// [`DenseLayer::forward_rows`]; `finish4` makes the four outputs of four
    /// accumulators, as [`DenseLayer::finish`] of each.
    ///
    /// # Errors
    ///
    /// [`ShapeError`] if an input's length does not match the layer, the outputs differ
    /// in length, or the rows are not all the layer's (nothing is written).
    #[inline]
    pub fn forward_rows4<W>(
        &self,
        weights: &[W],
        xs: [&[i16]; 4],
        first: usize,
        ys: [&mut [i16]; 4],
        row_dot: impl Fn(&[W], i32) -> [i64; 4],
        finish4: impl Fn([i64; 4]) -> [i16; 4],
    ) -> Result<(), ShapeError> {
        let n = ys[0].len();
        let end = self.rows_end(weights.len(), self.inputs, first, n)?;
        if xs.iter().any(|x| x.len() != self.inputs) || ys.iter().any(|y| y.len() != n) {
            return Err(ShapeError);
        }
        let [y0, y1, y2, y3] = ys;
        let mut start = first * self.inputs;
        for (i, b) in (0..n).zip(&self.bias[first..end]) {
            // PANIC: `start + inputs <= end * inputs <= weights.len()`, checked above.
            let [a, b, c, d] = finish4(row_dot(&weights[start..], *b));
            // PANIC: `i < n`, the length of each output.
            (y0[i], y1[i], y2[i], y3[i]) = (a, b, c, d);
            start += self.inputs;
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
