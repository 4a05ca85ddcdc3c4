// SPDX-License-Identifier: GPL-2.0

//! The fixed-point number format of every network.
//!
//! - **Activations** are `i16` in a Q-format with `frac` fractional bits (value =
//!   `q / 2^frac`), `frac` in `0..=15` chosen per layer output (the model says which).
//! - **Weights** are `i16` in `-32767..=32767` (never -32768) with any per-layer scale:
//!   the scale is folded into the layer's requantization multiplier.
//! - **Biases** are `i32` in the accumulator's scale (weight scale × input scale).
//! - **Accumulation** is exact, in `i64`: at most 4096 products of at most 2^30 each plus
//!   a bias, so `|acc| < 2^43`.
//! - **Requantization** maps an accumulator to an `i16` with a multiplier `mult` in
//!   `1..=65535` and a right shift `shift` in `0..=47`:
//!   `q = saturate_i16((acc * mult + 2^(shift-1)) >> shift)` (no rounding term when
//!   `shift` is 0). The `>>` is arithmetic (floor), so ties round towards +infinity
//!   ("round half up": 2.5 -> 3, -2.5 -> -2). `|acc * mult| < 2^59`, so nothing
//!   overflows before the final saturation, and that saturation is never silent to the
//!   caller: it clamps to `-32768..=32767`.
//!
//! Pure code: only `core`; `tools/pure` builds it for host tests and `nnctl`.

/// The largest weight magnitude; -32768 is excluded so that SIMD pair sums
/// (`vpmaddwd`) cannot overflow `i32`.
pub const WEIGHT_MAX: i16 = i16::MAX;

/// The largest number of inputs or outputs of a layer.
pub const MAX_DIM: usize = 4096;

/// The largest requantization shift (keeps `acc * mult` below 2^59 before rounding).
pub const MAX_SHIFT: u8 = 47;

/// Saturates an `i64` to `i16`.
#[inline]
pub fn saturate_i16(v: i64) -> i16 {
    if v > i64::from(i16::MAX) {
        i16::MAX
    } else if v < i64::from(i16::MIN) {
        i16::MIN
    } else {
        // PANIC: in range by the two tests above.
        i16::try_from(v).unwrap_or(0)
    }
}

/// A requantization step: the real multiplier `mult / 2^shift`.
///
/// # Invariants
///
/// `1 <= mult <= 65535` and `shift <= MAX_SHIFT` (checked by [`Requant::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    mult: u32,
    shift: u8,
}

impl Requant {
    /// The identity: `mult = 1`, `shift = 0`.
    pub const IDENTITY: Requant = Requant { mult: 1, shift: 0 };

    /// Returns the step, or `None` if `mult` or `shift` is out of range.
    pub fn new(mult: u32, shift: u8) -> Option<Self> {
        (1..=65535).contains(&mult).then_some(())?;
        (shift <= MAX_SHIFT).then_some(Self { mult, shift })
    }

    /// The multiplier.
    pub fn mult(self) -> u32 {
        self.mult
    }

    /// The shift.
    pub fn shift(self) -> u8 {
        self.shift
    }

    /// Applies the step to an accumulator (see the module documentation).
    ///
    /// Every accumulator of a layer is below 2^43 in magnitude, and for those below 2^47
    /// `acc * mult + 2^(shift-1)` cannot overflow (`2^47 * 65535 + 2^46 < 2^63`): the
    /// product, the rounding term and the shift are computed directly (a few
    /// instructions, once per output of every layer). Larger accumulators take the
    /// saturating path; both give what [`Requant::apply_saturating`] gives.
    #[inline]
    pub fn apply(self, acc: i64) -> i16 {
        if acc.unsigned_abs() < 1 << 47 {
            // `shift <= 47`: the rounding term is `2^(shift-1)`, or 0 for shift 0.
            let half = (1i64 << self.shift) >> 1;
            saturate_i16((acc * i64::from(self.mult) + half) >> self.shift)
        } else {
            self.apply_saturating(acc)
        }
    }

    /// [`Requant::apply`] for any accumulator, by saturating arithmetic.
    #[inline]
    pub fn apply_saturating(self, acc: i64) -> i16 {
        let p = acc.saturating_mul(i64::from(self.mult));
        let r = if self.shift == 0 {
            p
        } else {
            p.saturating_add(1i64 << (self.shift - 1)) >> self.shift
        };
        saturate_i16(r)
    }

    /// The step closest to the real multiplier `m` (> 0), with `mult` normalised to 16
    /// significant bits where the shift range allows; `None` if `m` cannot be expressed.
    ///
    /// Host side only (the kernel never touches floating point).
    #[cfg(not(CONFIG_RUST))]
    pub fn from_real(m: f64) -> Option<Self> {
        if m.is_nan() || m <= 0.0 || m.is_infinite() {
            return None;
        }
        let mut shift: i32 = 0;
        let mut scaled = m;
        while scaled < 32768.0 && shift < i32::from(MAX_SHIFT) {
            scaled *= 2.0;
            shift += 1;
        }
        while scaled >= 65535.5 && shift > 0 {
            scaled /= 2.0;
            shift -= 1;
        }
        let mult = round_half_up(scaled);
        if !(1.0..=65535.0).contains(&mult) {
            return None;
        }
        // CAST: `mult` is a whole number in 1..=65535 (checked above): exact.
        let mult = mult as u32;
        // `shift` is in 0..=MAX_SHIFT: it fits.
        Self::new(mult, u8::try_from(shift).ok()?)
    }
}

/// Rounds half up (ties towards +infinity), as requantization does.
#[cfg(not(CONFIG_RUST))]
pub fn round_half_up(x: f64) -> f64 {
    // CAST: truncates towards zero on purpose (and saturates); rebuild floor(x + 0.5)
    // without libm.
    let base = (x as i64) as f64;
    let f = x - base;
    let floor = if f < 0.0 { base - 1.0 } else { base };
    let frac = x - floor;
    if frac >= 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

/// The exact dot product of a weight row and an input vector, plus a bias.
///
/// This is the reference every other path (SIMD) must match bit for bit.
#[inline]
pub fn dot(weights: &[i16], input: &[i16], bias: i32) -> i64 {
    let mut acc = i64::from(bias);
    for (w, x) in weights.iter().zip(input) {
        acc += i64::from(i32::from(*w) * i32::from(*x));
    }
    acc
}
