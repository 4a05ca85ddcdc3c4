// SPDX-License-Identifier: GPL-2.0

//! A layer's weights in host memory, in their format: what `nnctl`, the benchmark and the
//! tests hold where the module holds node-placed arrays.

extern crate std;

use std::vec::Vec;

use crate::format::{Format, Weights};
use crate::model::{LayerDesc, Model};

/// A layer's weights, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedWeights {
    /// `16x16`.
    Wide(Vec<i16>),
    /// `16x8`.
    Narrow(Vec<i8>),
    /// `8x8`, with the shift that narrows each input.
    Byte {
        /// The weights.
        weights: Vec<i8>,
        /// The input shift.
        in_shift: u8,
    },
}

impl OwnedWeights {
    /// Weights of `format` from i16 values (8-bit formats: each clamped to -127..=127,
    /// the range of an 8-bit weight, which keeps every value of a valid 8-bit layer).
    pub fn new(format: Format, in_shift: u8, values: impl IntoIterator<Item = i16>) -> Self {
        let narrow = |v: i16| i8::try_from(v.clamp(-127, 127)).unwrap_or(0);
        let values = values.into_iter();
        match format {
            Format::F16x16 => OwnedWeights::Wide(values.collect()),
            Format::F16x8 => OwnedWeights::Narrow(values.map(narrow).collect()),
            Format::F8x8 => OwnedWeights::Byte {
                weights: values.map(narrow).collect(),
                in_shift,
            },
        }
    }

    /// The weights of `layer` of a parsed model.
    pub fn from_model(model: &Model<'_>, layer: &LayerDesc) -> Self {
        Self::new(layer.format, layer.in_shift, model.weights(layer))
    }

    /// The weights as the forward pass reads them.
    pub fn view(&self) -> Weights<'_> {
        match self {
            OwnedWeights::Wide(w) => Weights::Wide(w),
            OwnedWeights::Narrow(w) => Weights::Narrow(w),
            OwnedWeights::Byte { weights, in_shift } => Weights::Byte {
                weights,
                in_shift: *in_shift,
            },
        }
    }

    /// The weights widened to i16, row-major.
    pub fn widened(&self) -> Vec<i16> {
        match self {
            OwnedWeights::Wide(w) => w.clone(),
            OwnedWeights::Narrow(w) | OwnedWeights::Byte { weights: w, .. } => {
                w.iter().map(|&v| i16::from(v)).collect()
            }
        }
    }
}
