// SPDX-License-Identifier: GPL-2.0

//! The model format (`.nnm`), versions 1 and 2, and its parser.
//!
//! Specified in Documentation/neural_network/model-format.rst. All integers are
//! little-endian; the blob is:
//!
//! ```text
//! header        32 bytes
//!   magic       4   "NNMF"
//!   version     u16 1 or 2
//!   header_len  u16 32
//!   n_layers    u16 1..=16
//!   input_frac  u8  0..=15   fractional bits of the input vector
//!   flags       u8  0        (reserved)
//!   input_dim   u32 1..=4096
//!   total_len   u32          the blob's length, checksum included
//!   reserved    12 bytes of 0
//! layer table   n_layers x 16 bytes (version 1) or 20 bytes (version 2)
//!   inputs      u32 1..=4096 (= input_dim, then = the previous layer's outputs)
//!   outputs     u32 1..=4096
//!   activation  u8  0 linear, 1 relu, 2 sigmoid, 3 tanh
//!   out_frac    u8  0..=15   (15 for sigmoid and tanh)
//!   shift       u8  0..=47
//!   reserved    u8  0
//!   mult        u32 1..=65535
//!   -- version 2 only:
//!   format      u8  0 16x16, 1 16x8, 2 8x8 (`format.rs`)
//!   in_shift    u8  0..=15 for 8x8, 0 otherwise
//!   reserved    u16 0
//! payload       per layer: weights [outputs][inputs] (row-major), i16 in -32767..=32767
//!               for 16x16, i8 in -127..=127 for 16x8 and 8x8; then bias i32[outputs]
//! checksum      u32 CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
//! ```
//!
//! A version 1 blob is a version 2 blob whose layers are all 16x16: both parse to the
//! same [`Model`].
//!
//! The parser never reads outside the blob, checks every size with checked arithmetic
//! before using it, and allocates nothing: it returns a [`Model`] that borrows the blob,
//! from which the caller copies weights into memory it allocates itself (on the NUMA
//! node it chooses). Every rejection carries a [`ParseError`] that says why.
//!
//! Pure code: only `core`, shared by the module and `nnctl`.

use super::activation::Activation;
use super::fixed::{Requant, MAX_DIM, WEIGHT_MAX};
use super::format::{Format, Weights, MAX_IN_SHIFT, WEIGHT8_MAX};
use super::forward::DenseLayer;
use super::num::{low_u8, saturating_u8, u32_as_usize};
use super::panel;

/// "NNMF".
pub const MAGIC: [u8; 4] = *b"NNMF";
/// The newest version: per-layer formats.
pub const VERSION: u16 = 2;
/// The first version: every layer 16x16.
pub const VERSION_1: u16 = 1;
/// The header's size.
pub const HEADER_LEN: usize = 32;
/// A layer table entry's size in version 1.
pub const LAYER_ENTRY_LEN_1: usize = 16;
/// A layer table entry's size in version 2.
pub const LAYER_ENTRY_LEN: usize = 20;

/// A layer table entry's size in `version` (1 or 2).
pub fn layer_entry_len(version: u16) -> usize {
    if version == VERSION_1 {
        LAYER_ENTRY_LEN_1
    } else {
        LAYER_ENTRY_LEN
    }
}

/// Whether this parser reads `version`.
fn known(version: u16) -> bool {
    version == VERSION_1 || version == VERSION
}
/// The most layers a network has.
pub const MAX_LAYERS: usize = 16;
/// The largest blob accepted: 16 layers of 4096 x 4096 would be 512 MiB, so the total is
/// capped instead (128 MiB: 64 MiB of weights in 16 layers, with their biases and
/// parameters, fit; 68-limits loads one).
pub const MAX_BLOB_LEN: usize = 128 << 20;

/// Why a blob was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Shorter than its header, its layer table or its declared length.
    Truncated,
    /// Longer than `MAX_BLOB_LEN`.
    TooLarge,
    /// Does not start with "NNMF".
    BadMagic,
    /// A version this parser does not know.
    BadVersion(u16),
    /// `header_len` is not 32.
    BadHeaderLen(u16),
    /// `n_layers` is 0 or above 16.
    BadLayerCount(u16),
    /// `input_dim` or a layer's size is 0 or above 4096.
    BadDim,
    /// `input_frac` or a layer's `out_frac` is above 15, or not 15 after sigmoid/tanh.
    BadFrac,
    /// A reserved field or flag is not zero.
    Reserved,
    /// `total_len` differs from the blob's length.
    LengthMismatch,
    /// A layer's inputs differ from the previous layer's outputs (or `input_dim`).
    ShapeMismatch(u8),
    /// An unknown activation code.
    BadActivation(u8),
    /// `mult` or `shift` out of range.
    BadRequant(u8),
    /// A weight of -32768 (16-bit) or -128 (8-bit).
    BadWeight(u8),
    /// An unknown format code, or an input shift out of range or on a layer not 8x8.
    BadFormat(u8),
    /// The payload's size differs from what the layer table implies.
    PayloadSize,
    /// The CRC-32 does not match.
    BadChecksum,
}

impl ParseError {
    /// A short reason, for logs and `nnctl`.
    pub fn reason(self) -> &'static str {
        match self {
            ParseError::Truncated => "truncated",
            ParseError::TooLarge => "larger than 128 MiB",
            ParseError::BadMagic => "bad magic (not an NNMF model)",
            ParseError::BadVersion(_) => "unsupported version",
            ParseError::BadHeaderLen(_) => "bad header length",
            ParseError::BadLayerCount(_) => "layer count not in 1..=16",
            ParseError::BadDim => "a dimension is not in 1..=4096",
            ParseError::BadFrac => "bad fractional bits",
            ParseError::Reserved => "reserved field not zero",
            ParseError::LengthMismatch => "declared length differs from blob length",
            ParseError::ShapeMismatch(_) => "layer inputs differ from previous outputs",
            ParseError::BadActivation(_) => "unknown activation",
            ParseError::BadRequant(_) => "requantization multiplier or shift out of range",
            ParseError::BadWeight(_) => {
                "weight -32768 or -128 (outside -32767..=32767 or -127..=127)"
            }
            ParseError::BadFormat(_) => "unknown layer format or bad input shift",
            ParseError::PayloadSize => "payload size differs from the layer table",
            ParseError::BadChecksum => "checksum mismatch",
        }
    }
}

/// One layer of a parsed model; its weights and biases are still in the blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerDesc {
    /// Inputs.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
    /// Activation.
    pub activation: Activation,
    /// Fractional bits of the output.
    pub out_frac: u8,
    /// Requantization of the accumulator.
    pub requant: Requant,
    /// The format of the weights and products.
    pub format: Format,
    /// `8x8`: the shift that narrows each input (0 otherwise).
    pub in_shift: u8,
    weights_at: usize,
    bias_at: usize,
}

impl LayerDesc {
    /// The layer with `weights` and `bias` read from the blob ([`Model::weights`] or
    /// [`Model::weights8`], [`Model::biases`]) into arrays the caller owns.
    pub fn dense<'w>(&self, weights: Weights<'w>, bias: &'w [i32]) -> DenseLayer<'w> {
        DenseLayer {
            inputs: self.inputs,
            outputs: self.outputs,
            activation: self.activation,
            requant: self.requant,
            weights,
            bias,
        }
    }
}

/// A parsed, fully checked model borrowing its blob.
#[derive(Clone, Copy, Debug)]
pub struct Model<'a> {
    blob: &'a [u8],
    input_dim: usize,
    input_frac: u8,
    n_layers: usize,
    layers: [Option<LayerDesc>; MAX_LAYERS],
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, ParseError> {
    let s = b
        .get(at..at.checked_add(2).ok_or(ParseError::Truncated)?)
        .ok_or(ParseError::Truncated)?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, ParseError> {
    let s = b
        .get(at..at.checked_add(4).ok_or(ParseError::Truncated)?)
        .ok_or(ParseError::Truncated)?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u8_at(b: &[u8], at: usize) -> Result<u8, ParseError> {
    b.get(at).copied().ok_or(ParseError::Truncated)
}

fn dim(v: u32) -> Result<usize, ParseError> {
    let v = usize::try_from(v).map_err(|_| ParseError::BadDim)?;
    if v == 0 || v > MAX_DIM {
        return Err(ParseError::BadDim);
    }
    Ok(v)
}

/// Checks the first bytes of a blob that is still arriving: the magic, then the version,
/// then `header_len`, each as soon as its bytes are in (`bytes` may be any prefix of a
/// blob, even empty). A reader that receives a blob in pieces rejects a file that is not
/// a model of this version at its first bytes rather than after taking all of it.
///
/// # Errors
///
/// `BadMagic` if the bytes in differ from the start of "NNMF", `BadVersion`,
/// `BadHeaderLen`.
pub fn check_prefix(bytes: &[u8]) -> Result<(), ParseError> {
    let n = bytes.len().min(MAGIC.len());
    // PANIC: `n` is at most the length of both.
    if bytes[..n] != MAGIC[..n] {
        return Err(ParseError::BadMagic);
    }
    if let Ok(version) = u16_at(bytes, 4) {
        if !known(version) {
            return Err(ParseError::BadVersion(version));
        }
    }
    if let Ok(header_len) = u16_at(bytes, 6) {
        if usize::from(header_len) != HEADER_LEN {
            return Err(ParseError::BadHeaderLen(header_len));
        }
    }
    Ok(())
}

/// The blob length a header declares, once its fixed fields check out: for readers that
/// receive a blob in pieces and must know when it is complete. `Model::parse` checks the
/// same fields again, and everything else.
///
/// # Errors
///
/// `Truncated` if `header` is shorter than [`HEADER_LEN`] or declares less than a header
/// and a checksum, `BadMagic`, `BadVersion`, `BadHeaderLen`, or `TooLarge` if the declared
/// length is above [`MAX_BLOB_LEN`].
pub fn declared_len(header: &[u8]) -> Result<usize, ParseError> {
    if header.len() < HEADER_LEN {
        return Err(ParseError::Truncated);
    }
    if header[0..4] != MAGIC {
        return Err(ParseError::BadMagic);
    }
    let version = u16_at(header, 4)?;
    if !known(version) {
        return Err(ParseError::BadVersion(version));
    }
    let header_len = u16_at(header, 6)?;
    if usize::from(header_len) != HEADER_LEN {
        return Err(ParseError::BadHeaderLen(header_len));
    }
    let total = usize::try_from(u32_at(header, 16)?).map_err(|_| ParseError::TooLarge)?;
    if total > MAX_BLOB_LEN {
        return Err(ParseError::TooLarge);
    }
    if total < HEADER_LEN + layer_entry_len(version) + 4 {
        return Err(ParseError::Truncated);
    }
    Ok(total)
}

impl<'a> Model<'a> {
    /// The blob's checksum field: the CRC-32 of every byte before it, which names the
    /// model. (The CRC-32 of a whole valid blob names nothing: it is the CRC's residue,
    /// `0x2144df1c`, for every blob that ends with its own CRC.)
    pub fn checksum(&self) -> u32 {
        match self
            .blob
            .len()
            .checked_sub(4)
            .and_then(|at| self.blob.get(at..))
        {
            Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    /// Parses and checks `blob`.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] naming the first problem found.
    pub fn parse(blob: &'a [u8]) -> Result<Self, ParseError> {
        if blob.len() > MAX_BLOB_LEN {
            return Err(ParseError::TooLarge);
        }
        if blob.len() < HEADER_LEN + 4 {
            return Err(ParseError::Truncated);
        }
        if blob[0..4] != MAGIC {
            return Err(ParseError::BadMagic);
        }
        let version = u16_at(blob, 4)?;
        if !known(version) {
            return Err(ParseError::BadVersion(version));
        }
        let entry_len = layer_entry_len(version);
        let header_len = u16_at(blob, 6)?;
        if usize::from(header_len) != HEADER_LEN {
            return Err(ParseError::BadHeaderLen(header_len));
        }
        let n_layers = u16_at(blob, 8)?;
        if n_layers == 0 || usize::from(n_layers) > MAX_LAYERS {
            return Err(ParseError::BadLayerCount(n_layers));
        }
        let n_layers = usize::from(n_layers);
        let input_frac = u8_at(blob, 10)?;
        if input_frac > 15 {
            return Err(ParseError::BadFrac);
        }
        if u8_at(blob, 11)? != 0 || blob[20..32].iter().any(|&b| b != 0) {
            return Err(ParseError::Reserved);
        }
        let input_dim = dim(u32_at(blob, 12)?)?;
        let total_len = usize::try_from(u32_at(blob, 16)?).map_err(|_| ParseError::TooLarge)?;
        if total_len != blob.len() {
            return Err(ParseError::LengthMismatch);
        }

        let table_end = HEADER_LEN + n_layers * entry_len;
        if blob.len() < table_end + 4 {
            return Err(ParseError::Truncated);
        }
        let mut layers = [None; MAX_LAYERS];
        let mut prev = input_dim;
        let mut at = table_end;
        for (i, slot) in layers.iter_mut().enumerate().take(n_layers) {
            let e = HEADER_LEN + i * entry_len;
            // i < 16: it fits.
            let li = saturating_u8(i);
            let inputs = dim(u32_at(blob, e)?)?;
            let outputs = dim(u32_at(blob, e + 4)?)?;
            if inputs != prev {
                return Err(ParseError::ShapeMismatch(li));
            }
            let code = u8_at(blob, e + 8)?;
            let activation = Activation::from_code(code).ok_or(ParseError::BadActivation(code))?;
            let out_frac = u8_at(blob, e + 9)?;
            if out_frac > 15 || activation.output_frac().is_some_and(|f| f != out_frac) {
                return Err(ParseError::BadFrac);
            }
            let shift = u8_at(blob, e + 10)?;
            if u8_at(blob, e + 11)? != 0 {
                return Err(ParseError::Reserved);
            }
            let requant =
                Requant::new(u32_at(blob, e + 12)?, shift).ok_or(ParseError::BadRequant(li))?;
            let (format, in_shift) = if version == VERSION_1 {
                (Format::F16x16, 0)
            } else {
                let format =
                    Format::from_code(u8_at(blob, e + 16)?).ok_or(ParseError::BadFormat(li))?;
                let in_shift = u8_at(blob, e + 17)?;
                if in_shift > MAX_IN_SHIFT || (in_shift != 0 && format != Format::F8x8) {
                    return Err(ParseError::BadFormat(li));
                }
                if u16_at(blob, e + 18)? != 0 {
                    return Err(ParseError::Reserved);
                }
                (format, in_shift)
            };
            // Sizes are at most 4096 * 4096 * 2 bytes: no overflow on 64 bits, but check anyway.
            let wbytes = inputs
                .checked_mul(outputs)
                .and_then(|n| n.checked_mul(format.weight_bytes()))
                .ok_or(ParseError::PayloadSize)?;
            let bbytes = outputs.checked_mul(4).ok_or(ParseError::PayloadSize)?;
            let weights_at = at;
            let bias_at = at.checked_add(wbytes).ok_or(ParseError::PayloadSize)?;
            at = bias_at.checked_add(bbytes).ok_or(ParseError::PayloadSize)?;
            if at > blob.len() - 4 {
                return Err(ParseError::PayloadSize);
            }
            *slot = Some(LayerDesc {
                inputs,
                outputs,
                activation,
                out_frac,
                requant,
                format,
                in_shift,
                weights_at,
                bias_at,
            });
            prev = outputs;
        }
        if at != blob.len() - 4 {
            return Err(ParseError::PayloadSize);
        }
        let stored = u32_at(blob, at)?;
        if crc32(&blob[..at]) != stored {
            return Err(ParseError::BadChecksum);
        }
        let model = Self {
            blob,
            input_dim,
            input_frac,
            n_layers,
            layers,
        };
        for (i, l) in model.layers().enumerate() {
            let bad = match l.format {
                Format::F16x16 => model.weights(&l).any(|w| w < -WEIGHT_MAX),
                Format::F16x8 | Format::F8x8 => model.weights8(&l).any(|w| w < -WEIGHT8_MAX),
            };
            if bad {
                // i < 16: it fits.
                return Err(ParseError::BadWeight(saturating_u8(i)));
            }
        }
        Ok(model)
    }

    /// The input vector's length.
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// The input vector's fractional bits.
    pub fn input_frac(&self) -> u8 {
        self.input_frac
    }

    /// The number of layers.
    pub fn n_layers(&self) -> usize {
        self.n_layers
    }

    /// The layers, first to last.
    pub fn layers(&self) -> impl Iterator<Item = LayerDesc> + '_ {
        self.layers.iter().take(self.n_layers).flatten().copied()
    }

    /// The weights of `layer`, row by row (output by output), as i16 whatever their
    /// format (8-bit weights widened).
    pub fn weights(&self, layer: &LayerDesc) -> impl Iterator<Item = i16> + 'a {
        let width = layer.format.weight_bytes();
        let end = layer.weights_at + layer.inputs * layer.outputs * width;
        // PANIC: in bounds, checked by `parse`.
        self.blob[layer.weights_at..end]
            .chunks_exact(width)
            .map(|c| match *c {
                [a, b] => i16::from_le_bytes([a, b]),
                [a] => i16::from(i8::from_le_bytes([a])),
                _ => 0,
            })
    }

    /// The 8-bit weights of a `16x8` or `8x8` layer, row by row; none for a `16x16`
    /// layer.
    pub fn weights8(&self, layer: &LayerDesc) -> impl Iterator<Item = i8> + 'a {
        let n = match layer.format {
            Format::F16x16 => 0,
            Format::F16x8 | Format::F8x8 => layer.inputs * layer.outputs,
        };
        // PANIC: in bounds, checked by `parse`.
        self.blob[layer.weights_at..layer.weights_at + n]
            .iter()
            .map(|&b| i8::from_le_bytes([b]))
    }

    /// The 8-bit weights of a `16x8` or `8x8` layer in the order the module stores them:
    /// in panels where `panel::fits`, else row by row ([`Model::weights8`]); none for a
    /// `16x16` layer.
    pub fn weights8_stored(&self, layer: &LayerDesc) -> impl Iterator<Item = i8> + 'a {
        let (n, outputs) = (layer.inputs, layer.outputs);
        let count = match layer.format {
            Format::F16x16 => 0,
            Format::F16x8 | Format::F8x8 => n * outputs,
        };
        // PANIC: in bounds, checked by `parse`.
        let bytes = &self.blob[layer.weights_at..layer.weights_at + count];
        panel::order(layer.format, outputs, n)
            .take(count)
            .map(move |k| i8::from_le_bytes([bytes.get(k).copied().unwrap_or(0)]))
    }

    /// The biases of `layer`.
    pub fn biases(&self, layer: &LayerDesc) -> impl Iterator<Item = i32> + 'a {
        let end = layer.bias_at + layer.outputs * 4;
        // PANIC: in bounds, checked by `parse`.
        self.blob[layer.bias_at..end]
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    }
}

/// CRC-32 (IEEE 802.3, reflected, init and final xor 0xffffffff): zlib's `crc32`.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        // PANIC: the index is a u8.
        crc = CRC_TABLE[usize::from(low_u8(crc) ^ b)] ^ (crc >> 8);
    }
    !crc
}

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i: u32 = 0;
    while i < 256 {
        let mut c = i;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[u32_as_usize(i)] = c;
        i += 1;
    }
    t
};
