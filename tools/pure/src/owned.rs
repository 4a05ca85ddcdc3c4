// SPDX-License-Identifier: GPL-2.0

//! A layer's weights in host memory, in their format: what `nnctl`, the benchmark and the
//! tests hold where the module holds node-placed arrays.

extern crate std;

use std::vec::Vec;

use crate::format::{Format, Weights};
use crate::model::{LayerDesc, Model};
use crate::panel;

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
    /// `16x8` or `8x8` stored in panels, as the module stores a layer that
    /// `panel::fits` ([`OwnedWeights::stored`]).
    Panels {
        /// The weights, in panels (`panel.rs`).
        weights: Vec<i8>,
        /// `8x8`: the input shift; `None` for `16x8`.
        in_shift: Option<u8>,
        /// The layer's outputs (rows).
        outputs: usize,
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

    /// The weights of `layer` of a parsed model, as the module stores them
    /// ([`OwnedWeights::stored`]).
    pub fn from_model(model: &Model<'_>, layer: &LayerDesc) -> Self {
        Self::new(layer.format, layer.in_shift, model.weights(layer))
            .stored(layer.outputs, layer.inputs)
    }

    /// The weights of a layer of `outputs` rows of `inputs` values as the module stores
    /// them: 8-bit ones in panels where `panel::fits`, others as they are.
    pub fn stored(self, outputs: usize, inputs: usize) -> Self {
        let (w, in_shift, format) = match self {
            OwnedWeights::Narrow(w) => (w, None, Format::F16x8),
            OwnedWeights::Byte { weights, in_shift } => (weights, Some(in_shift), Format::F8x8),
            other => return other,
        };
        if !panel::fits(format, outputs, inputs) || w.len() != outputs * inputs {
            return match in_shift {
                None => OwnedWeights::Narrow(w),
                Some(in_shift) => OwnedWeights::Byte {
                    weights: w,
                    in_shift,
                },
            };
        }
        OwnedWeights::Panels {
            weights: panel::order(format, outputs, inputs)
                .map(|k| w[k])
                .collect(),
            in_shift,
            outputs,
        }
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
            OwnedWeights::Panels {
                weights, in_shift, ..
            } => Weights::Panels {
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
            OwnedWeights::Panels {
                weights, outputs, ..
            } => {
                let inputs = weights.len() / (*outputs).max(1);
                let mut rows = std::vec![0i16; weights.len()];
                for (s, w) in weights.iter().enumerate() {
                    rows[panel::source(inputs, *outputs, s)] = i16::from(*w);
                }
                rows
            }
        }
    }
}
