// SPDX-License-Identifier: GPL-2.0

//! Writes model blobs (`rust/pure/model.rs` reads them): host side, for `nnctl` and tests.

extern crate std;

use std::vec::Vec;

use crate::activation::Activation;
use crate::fixed::Requant;
use crate::model::{crc32, HEADER_LEN, MAGIC, VERSION};

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
    /// `outputs * inputs` weights, row-major.
    pub weights: Vec<i16>,
    /// `outputs` biases.
    pub bias: Vec<i32>,
}

/// Serialises a model. Does not validate: the parser does (tests rely on writing bad blobs).
pub fn write_model(input_dim: usize, input_frac: u8, layers: &[LayerSpec]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&MAGIC);
    b.extend_from_slice(&VERSION.to_le_bytes());
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
    }
    for l in layers {
        for w in &l.weights {
            b.extend_from_slice(&w.to_le_bytes());
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
