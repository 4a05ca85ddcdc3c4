// SPDX-License-Identifier: GPL-2.0

//! The float network `nnctl compile` imports, and its `f64` reference forward pass.

use nn_pure::activation::Activation;

/// A dense layer in floating point: `y = activation(W x + b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer {
    /// Inputs.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
    /// Activation.
    pub activation: Activation,
    /// `outputs * inputs` weights, row-major (one row per output).
    pub weights: Vec<f64>,
    /// `outputs` biases.
    pub bias: Vec<f64>,
}

/// A chain of dense layers.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatNet {
    /// The input vector's length.
    pub input_dim: usize,
    /// The layers, first to last.
    pub layers: Vec<FloatLayer>,
}

/// The activation in `f64`.
pub fn activate(a: Activation, x: f64) -> f64 {
    match a {
        Activation::Linear => x,
        Activation::Relu => x.max(0.0),
        Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Activation::Tanh => x.tanh(),
    }
}

impl FloatLayer {
    /// `activation(W x + b)`.
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        self.weights
            .chunks_exact(self.inputs)
            .zip(&self.bias)
            .map(|(row, b)| {
                let s: f64 = row.iter().zip(x).map(|(w, v)| w * v).sum();
                activate(self.activation, s + b)
            })
            .collect()
    }

    /// Bounds of each output when each input `i` lies in `lo[i]..=hi[i]` (interval
    /// arithmetic: exact per output, since every activation is monotonic).
    pub fn bounds(&self, lo: &[f64], hi: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let mut out_lo = Vec::with_capacity(self.outputs);
        let mut out_hi = Vec::with_capacity(self.outputs);
        for (row, b) in self.weights.chunks_exact(self.inputs).zip(&self.bias) {
            let (mut l, mut h) = (*b, *b);
            for ((w, a), z) in row.iter().zip(lo).zip(hi) {
                let (p, q) = (w * a, w * z);
                l += p.min(q);
                h += p.max(q);
            }
            out_lo.push(activate(self.activation, l));
            out_hi.push(activate(self.activation, h));
        }
        (out_lo, out_hi)
    }
}

impl FloatNet {
    /// Every layer's output for input `x`, first to last.
    pub fn forward_all(&self, x: &[f64]) -> Vec<Vec<f64>> {
        let mut outs: Vec<Vec<f64>> = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            let y = l.forward(outs.last().map_or(x, |v| v.as_slice()));
            outs.push(y);
        }
        outs
    }
}

/// Index of the largest value, the first on ties (as `forward::argmax`).
pub fn argmax(v: &[f64]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &x) in v.iter().enumerate() {
        if best.is_none_or(|(_, b)| x > b) {
            best = Some((i, x));
        }
    }
    best.map(|(i, _)| i)
}
