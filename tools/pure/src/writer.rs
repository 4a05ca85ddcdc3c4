// SPDX-License-Identifier: GPL-2.0

//! Writes model blobs (`rust/pure/model.rs` reads them): host side, for `nnctl` and tests.

extern crate std;

use std::vec::Vec;

use crate::activation::Activation;
use crate::fixed::Requant;
use crate::format::Format;
use crate::forward::DenseLayer;
use crate::model::{crc32, HEADER_LEN, MAGIC, VERSION, VERSION_1};
use crate::owned::OwnedWeights;

/// A layer to write.
#[derive(Clone, Debug)]
pub struct LayerSpec {
    /// Inputs.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
    /// Activation.
    pub activation: Activation,
    /// Fractional bits of the output.
    pub out_frac: u8,
    /// Requantization.
    pub requant: Requant,
    /// The format of the weights and products.
    pub format: Format,
    /// `8x8`: the shift that narrows each input (0 otherwise).
    pub in_shift: u8,
    /// `outputs * inputs` weights, row-major (8-bit formats: each in -127..=127, written
    /// as one byte).
    pub weights: Vec<i16>,
    /// `outputs` biases.
    pub bias: Vec<i32>,
}

impl LayerSpec {
    /// The weights in the layer's format.
    pub fn owned_weights(&self) -> OwnedWeights {
        OwnedWeights::new(self.format, self.in_shift, self.weights.iter().copied())
    }

    /// Calls `f` with the layer as the forward pass reads it, row-major.
    pub fn with_dense<R>(&self, f: impl FnOnce(&DenseLayer<'_>) -> R) -> R {
        self.with_weights(self.owned_weights(), f)
    }

    /// Calls `f` with the layer as the module stores it (`OwnedWeights::stored`: in
    /// panels where `panel::fits`).
    pub fn with_stored<R>(&self, f: impl FnOnce(&DenseLayer<'_>) -> R) -> R {
        self.with_weights(self.owned_weights().stored(self.outputs, self.inputs), f)
    }

    fn with_weights<R>(&self, w: OwnedWeights, f: impl FnOnce(&DenseLayer<'_>) -> R) -> R {
        f(&DenseLayer {
            inputs: self.inputs,
            outputs: self.outputs,
            activation: self.activation,
            requant: self.requant,
            weights: w.view(),
            bias: &self.bias,
        })
    }
}

/// Whether every layer is `16x16` (with no input shift): then the model is written as
/// version 1, which every release of the module reads.
fn all_wide(layers: &[LayerSpec]) -> bool {
    layers
        .iter()
        .all(|l| l.format == Format::F16x16 && l.in_shift == 0)
}

/// Serialises a model: version 1 if every layer is `16x16`, else version 2. Does not
/// validate: the parser does (tests rely on writing bad blobs).
pub fn write_model(input_dim: usize, input_frac: u8, layers: &[LayerSpec]) -> Vec<u8> {
    let version = if all_wide(layers) { VERSION_1 } else { VERSION };
    write_model_version(version, input_dim, input_frac, layers)
}

/// [`write_model`] in the given version: `VERSION` may hold layers that are all
/// `16x16` (it reads as the version 1 blob of the same layers); `VERSION_1` writes no
/// format, so its layers must all be `16x16`.
pub fn write_model_version(
    version: u16,
    input_dim: usize,
    input_frac: u8,
    layers: &[LayerSpec],
) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&MAGIC);
    b.extend_from_slice(&version.to_le_bytes());
    b.extend_from_slice(&(HEADER_LEN as u16).to_le_bytes());
    b.extend_from_slice(&(layers.len() as u16).to_le_bytes());
    b.push(input_frac);
    b.push(0);
    b.extend_from_slice(&(input_dim as u32).to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes()); // total_len, patched below
    b.extend_from_slice(&[0u8; 12]);
    for l in layers {
        b.extend_from_slice(&(l.inputs as u32).to_le_bytes());
        b.extend_from_slice(&(l.outputs as u32).to_le_bytes());
        b.push(l.activation as u8);
        b.push(l.out_frac);
        b.push(l.requant.shift());
        b.push(0);
        b.extend_from_slice(&l.requant.mult().to_le_bytes());
        if version != VERSION_1 {
            b.push(l.format as u8);
            b.push(l.in_shift);
            b.extend_from_slice(&0u16.to_le_bytes());
        }
    }
    for l in layers {
        for w in &l.weights {
            match l.format {
                Format::F16x16 => b.extend_from_slice(&w.to_le_bytes()),
                // CAST: truncates to the low byte on purpose (the writer does not
                // validate; a valid 8-bit weight is unchanged).
                Format::F16x8 | Format::F8x8 => b.push(*w as u8),
            }
        }
        for x in &l.bias {
            b.extend_from_slice(&x.to_le_bytes());
        }
    }
    let total = (b.len() + 4) as u32;
    b[16..20].copy_from_slice(&total.to_le_bytes());
    let crc = crc32(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}
