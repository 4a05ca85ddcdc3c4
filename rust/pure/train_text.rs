// SPDX-License-Identifier: GPL-2.0

//! The lines written to `network_<id>/train` ([`TrainLine::parse`]): a sample, the input
//! numbers, a `:`, then the target outputs, as decimals (`0 1 : 1`), or a setting that
//! holds for the rest of the open file:
//!
//! ```text
//! epochs N    passes over the samples of each write (1 to 100000; default 1)
//! rate R      learning rate, a decimal in (0, 8) (default 1)
//! batch B     samples per gradient update (at least 1; default 1)
//! ```
//!
//! A line of exactly two words (ASCII whitespace between) whose first is `epochs`,
//! `rate` or `batch` is a setting ([`Setting::parse`]); any other line is a sample
//! ([`parse_sample`]). The inputs are read at the network's input format as
//! `decimal::parse_line` reads them (a number beyond the format is refused), the targets
//! at its output format as `decimal::parse_line_saturating` does (beyond it: its nearest
//! end, so 1 means a sigmoid's largest output); a sample must give exactly as many of
//! each as the network has. `epochs` and `batch` are numbers as `str::parse` reads them;
//! `rate` a decimal read in Q3.12 (`decimal::parse_q`), then widened to the Q8.24 of
//! `train::apply`.
//!
//! [`TrainError`] says what is wrong; its `Display` is the text the kernel logs after
//! `network_<id>/train: line <n>: `. The `Display` of a [`Setting`] writes a line that
//! parses back to it.
//!
//! Pure code: only `core`; no allocation, no panic on any input.

use core::fmt;

use super::decimal::{
    self,
    DecimalError, //
};
use super::train::{
    LR_FRAC,
    LR_ONE,
    MAX_EPOCHS, //
};

/// The fractional bits of the rate as written (Q3.12).
const RATE_FRAC: u8 = 12;

/// The settings of an open `train` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrainSettings {
    /// Passes over the samples of each write (`1..=MAX_EPOCHS`).
    pub epochs: u32,
    /// The learning rate in Q8.24 (`train::LR_FRAC`), above 0 and below 8.
    pub lr: u32,
    /// Samples per gradient update (at least 1).
    pub batch: usize,
}

impl TrainSettings {
    /// The settings of a file just opened: 1 epoch, rate 1, batch 1.
    pub const DEFAULT: TrainSettings = TrainSettings {
        epochs: 1,
        lr: LR_ONE,
        batch: 1,
    };

    /// Applies a setting line.
    pub fn set(&mut self, s: Setting) {
        match s {
            Setting::Epochs(e) => self.epochs = e,
            Setting::Rate(lr) => self.lr = lr,
            Setting::Batch(b) => self.batch = b,
        }
    }
}

/// A setting line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// `epochs N`, `1..=MAX_EPOCHS`.
    Epochs(u32),
    /// `rate R`: the rate in Q8.24, a multiple of 2^12 (from Q3.12) in `1..8 * 2^24`.
    Rate(u32),
    /// `batch B`, at least 1.
    Batch(usize),
}

/// Why a `train` line is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrainError {
    /// Not UTF-8.
    NotText,
    /// `epochs` is not in `1..=100000`.
    Epochs,
    /// `batch` is not a number of at least 1.
    Batch,
    /// `rate` is not a decimal in (0, 8).
    Rate,
    /// A sample without a `:`.
    NoColon,
    /// An input that is not a number, or out of the input format's range.
    Inputs(DecimalError),
    /// A target that is not a number.
    Targets(DecimalError),
    /// Not as many inputs as the network has.
    InputCount,
    /// Not as many targets as the network has.
    TargetCount,
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrainError::NotText => "not text",
            TrainError::Epochs => "epochs must be in 1..=100000",
            TrainError::Batch => "batch must be at least 1",
            TrainError::Rate => "rate must be a decimal in (0, 8)",
            TrainError::NoColon => "expected 'inputs : targets'",
            TrainError::Inputs(e) | TrainError::Targets(e) => e.reason(),
            TrainError::InputCount => "wrong number of inputs",
            TrainError::TargetCount => "wrong number of targets",
        })
    }
}

impl Setting {
    /// Reads a setting line; `Ok(None)` if the line is not one (a sample, then).
    ///
    /// # Errors
    ///
    /// [`TrainError::NotText`] for a line that is not UTF-8 (sample or not);
    /// [`TrainError::Epochs`], [`TrainError::Batch`], [`TrainError::Rate`] for a setting
    /// out of range.
    pub fn parse(line: &[u8]) -> Result<Option<Setting>, TrainError> {
        let text = core::str::from_utf8(line).map_err(|_| TrainError::NotText)?;
        let mut words = text.split_ascii_whitespace();
        let (Some(key), Some(value), None) = (words.next(), words.next(), words.next()) else {
            return Ok(None);
        };
        let setting = match key {
            "epochs" => Setting::Epochs(
                value
                    .parse()
                    .ok()
                    .filter(|e| (1..=MAX_EPOCHS).contains(e))
                    .ok_or(TrainError::Epochs)?,
            ),
            "batch" => Setting::Batch(
                value
                    .parse()
                    .ok()
                    .filter(|&b| b >= 1)
                    .ok_or(TrainError::Batch)?,
            ),
            "rate" => {
                // Q3.12 from the text, then to the Q8.24 of `train::apply`.
                let q = decimal::parse_q(value.as_bytes(), RATE_FRAC)
                    .ok()
                    .and_then(|q| u16::try_from(q).ok())
                    .filter(|&q| q > 0)
                    .ok_or(TrainError::Rate)?;
                Setting::Rate(u32::from(q) << (LR_FRAC - RATE_FRAC))
            }
            _ => return Ok(None),
        };
        Ok(Some(setting))
    }
}

/// The setting as a line: `epochs N`, `batch B`, `rate R` (exact, as `decimal::write_q`
/// writes the Q3.12 rate).
impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Setting::Epochs(e) => write!(f, "epochs {e}"),
            Setting::Batch(b) => write!(f, "batch {b}"),
            Setting::Rate(lr) => {
                let q = i16::try_from(lr >> (LR_FRAC - RATE_FRAC)).map_err(|_| fmt::Error)?;
                f.write_str("rate ")?;
                decimal::write_q(f, q, RATE_FRAC)
            }
        }
    }
}

/// Reads a sample line into `inputs` (at `input_frac`) and `targets` (at `output_frac`,
/// saturating), which must be as long as the network's input and output vectors.
///
/// # Errors
///
/// [`TrainError::NoColon`], [`TrainError::Inputs`], [`TrainError::InputCount`],
/// [`TrainError::Targets`], [`TrainError::TargetCount`], the first that applies in that
/// order. `inputs` and `targets` may be partly written on error.
pub fn parse_sample(
    line: &[u8],
    input_frac: u8,
    output_frac: u8,
    inputs: &mut [i16],
    targets: &mut [i16],
) -> Result<(), TrainError> {
    let colon = line
        .iter()
        .position(|&c| c == b':')
        .ok_or(TrainError::NoColon)?;
    let (x, t) = line.split_at(colon);
    // `t` starts with the colon.
    let t = t.get(1..).unwrap_or(&[]);
    let parsed = decimal::parse_line(x, input_frac, inputs).map_err(TrainError::Inputs)?;
    if parsed != inputs.len() {
        return Err(TrainError::InputCount);
    }
    let parsed =
        decimal::parse_line_saturating(t, output_frac, targets).map_err(TrainError::Targets)?;
    if parsed != targets.len() {
        return Err(TrainError::TargetCount);
    }
    Ok(())
}

/// What a `train` line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrainLine {
    /// A setting.
    Setting(Setting),
    /// A sample, read into the caller's buffers.
    Sample,
}

impl TrainLine {
    /// Reads a line: a setting ([`Setting::parse`]), else a sample ([`parse_sample`]).
    ///
    /// # Errors
    ///
    /// As [`Setting::parse`], then as [`parse_sample`].
    pub fn parse(
        line: &[u8],
        input_frac: u8,
        output_frac: u8,
        inputs: &mut [i16],
        targets: &mut [i16],
    ) -> Result<TrainLine, TrainError> {
        if let Some(s) = Setting::parse(line)? {
            return Ok(TrainLine::Setting(s));
        }
        parse_sample(line, input_frac, output_frac, inputs, targets)?;
        Ok(TrainLine::Sample)
    }
}
