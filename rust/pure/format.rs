// SPDX-License-Identifier: GPL-2.0

//! The layer formats: how wide a layer's weights are, and how wide the inputs it
//! multiplies them with.
//!
//! | format  | weights            | inputs multiplied                         |
//! |---------|--------------------|-------------------------------------------|
//! | `16x16` | i16, -32767..32767 | the i16 inputs as they are                |
//! | `16x8`  | i8, -127..127      | the i16 inputs as they are                |
//! | `8x8`   | i8, -127..127      | each input narrowed to i8 ([`narrow`])    |
//!
//! (TFLite's names: activations x weights.) Every format sums exactly, adds the i32 bias
//! and requantizes to an i16 output as `fixed` says; only the products differ. An 8-bit
//! weight is never -128, as a 16-bit one is never -32768, so that the vector kernels'
//! pair sums cannot overflow. [`narrow`] rounds half up and saturates, as requantization
//! does.
//!
//! Bounds, for layers of at most 4096 inputs: `16x8` products are below `2^22` in
//! magnitude (`127 * 32768`), their sums below `2^34`; `8x8` products at most `127 *
//! 128`, their sums below `2^26`; with the bias, every accumulator is below `2^35`, well
//! inside what requantization computes directly.
//!
//! Pure code: only `core`.

/// A layer's format, as stored in the model format (version 2's `format` byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// 16-bit weights and inputs.
    #[default]
    F16x16 = 0,
    /// 8-bit weights, 16-bit inputs.
    F16x8 = 1,
    /// 8-bit weights, inputs narrowed to 8 bits.
    F8x8 = 2,
}

/// The largest 8-bit weight magnitude (-128 is excluded, as -32768 is for 16 bits).
pub const WEIGHT8_MAX: i8 = i8::MAX;

/// The largest input shift of an `8x8` layer.
pub const MAX_IN_SHIFT: u8 = 15;

impl Format {
    /// Every format, in code order.
    pub const ALL: [Format; 3] = [Format::F16x16, Format::F16x8, Format::F8x8];

    /// The format with code `v`.
    pub fn from_code(v: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|f| *f as u8 == v)
    }

    /// The name used by `nnctl` and debugfs: `16x16`, `16x8` or `8x8`.
    pub fn name(self) -> &'static str {
        match self {
            Format::F16x16 => "16x16",
            Format::F16x8 => "16x8",
            Format::F8x8 => "8x8",
        }
    }

    /// The format of that name ([`Format::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Bytes of one weight.
    pub fn weight_bytes(self) -> usize {
        match self {
            Format::F16x16 => 2,
            Format::F16x8 | Format::F8x8 => 1,
        }
    }
}

/// Narrows an input of an `8x8` layer to 8 bits: `saturate_i8((x + 2^(shift-1)) >>
/// shift)`, or `saturate_i8(x)` for shift 0; the shift is arithmetic (floor), so ties
/// round half up. `shift` above [`MAX_IN_SHIFT`] is taken as [`MAX_IN_SHIFT`].
#[inline]
pub fn narrow(x: i16, shift: u8) -> i8 {
    Narrow::by(shift).of(x)
}

/// [`narrow`] by one shift, its rounding term computed once, for the many values of an
/// input (the vector kernels' preparation).
#[derive(Clone, Copy, Debug)]
pub struct Narrow {
    shift: u32,
    round: i32,
}

impl Narrow {
    /// Narrowing by `shift` (above [`MAX_IN_SHIFT`]: by [`MAX_IN_SHIFT`]).
    #[inline]
    pub fn by(shift: u8) -> Self {
        let s = shift.min(MAX_IN_SHIFT);
        Self {
            shift: u32::from(s),
            round: if s == 0 { 0 } else { 1 << (s - 1) },
        }
    }

    /// [`narrow`] of `x`.
    #[inline]
    pub fn of(self, x: i16) -> i8 {
        let v = ((i32::from(x) + self.round) >> self.shift)
            .clamp(i32::from(i8::MIN), i32::from(i8::MAX));
        // PANIC-free: `v` is within `i8` (clamped above).
        i8::try_from(v).unwrap_or(0)
    }
}

/// The exact sum of `bias` and the products of `weights` and `input`, each product in
/// `i32` (both factors fit 16 bits), over the shorter of the two.
#[inline]
fn sum_products<X: Copy + Into<i32>>(weights: &[i8], input: &[X], bias: i32) -> i64 {
    let mut acc = i64::from(bias);
    for (w, x) in weights.iter().zip(input) {
        acc += i64::from(i32::from(*w) * (*x).into());
    }
    acc
}

/// The exact sum of a row of 8-bit weights times 16-bit inputs, plus a bias (`16x8`).
#[inline]
pub fn dot_16x8(weights: &[i8], input: &[i16], bias: i32) -> i64 {
    sum_products(weights, input, bias)
}

/// The exact sum of a row of 8-bit weights times inputs already narrowed ([`narrow`]),
/// plus a bias (`8x8`).
#[inline]
pub fn dot_8x8(weights: &[i8], input: &[i8], bias: i32) -> i64 {
    sum_products(weights, input, bias)
}

/// [`dot_8x8`] of inputs not yet narrowed: each narrowed by `shift` as it is used (the
/// reference; the paths that run many rows narrow an input once).
#[inline]
pub fn dot_8x8_wide(weights: &[i8], input: &[i16], shift: u8, bias: i32) -> i64 {
    let mut acc = i64::from(bias);
    for (w, x) in weights.iter().zip(input) {
        acc += i64::from(i32::from(*w) * i32::from(narrow(*x, shift)));
    }
    acc
}

/// A layer's weights in their format.
#[derive(Clone, Copy, Debug)]
pub enum Weights<'a> {
    /// `16x16`: `outputs * inputs` weights, row-major.
    Wide(&'a [i16]),
    /// `16x8`.
    Narrow(&'a [i8]),
    /// `8x8`: the weights, and the shift that narrows each input.
    Byte {
        /// `outputs * inputs` weights, row-major.
        weights: &'a [i8],
        /// The input shift, `0..=MAX_IN_SHIFT`.
        in_shift: u8,
    },
    /// `16x8` or `8x8` stored in panels (`panel.rs`), as the module stores a layer that
    /// `panel::fits`.
    Panels {
        /// `outputs * inputs` weights, the whole panels' rows in panels, the rest
        /// row-major.
        weights: &'a [i8],
        /// `8x8`: the input shift; `None` for `16x8`.
        in_shift: Option<u8>,
    },
}

impl<'a> Weights<'a> {
    /// The format.
    pub fn format(&self) -> Format {
        match self {
            Weights::Wide(_) => Format::F16x16,
            Weights::Narrow(_) => Format::F16x8,
            Weights::Byte { .. } => Format::F8x8,
            Weights::Panels { in_shift: None, .. } => Format::F16x8,
            Weights::Panels { .. } => Format::F8x8,
        }
    }

    /// The number of weights.
    pub fn len(&self) -> usize {
        match self {
            Weights::Wide(w) => w.len(),
            Weights::Narrow(w)
            | Weights::Byte { weights: w, .. }
            | Weights::Panels { weights: w, .. } => w.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The 16-bit weights of a `16x16` layer.
    pub fn wide(&self) -> Option<&'a [i16]> {
        match self {
            Weights::Wide(w) => Some(w),
            _ => None,
        }
    }

    /// The input shift (`8x8`; 0 for the other formats).
    pub fn in_shift(&self) -> u8 {
        match self {
            Weights::Byte { in_shift, .. }
            | Weights::Panels {
                in_shift: Some(in_shift),
                ..
            } => *in_shift,
            _ => 0,
        }
    }
}
