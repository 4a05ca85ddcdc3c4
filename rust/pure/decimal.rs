// SPDX-License-Identifier: GPL-2.0

//! Decimal text to and from the fixed-point activations, in integer arithmetic.
//!
//! The kernel's debugfs `predict` file and `nnctl eval` both use these functions, so both
//! read the same numbers from the same text and print the same line, bit for bit.
//!
//! # Reading: [`parse_q`], [`parse_line`]
//!
//! A number is `[+-]? digits* ('.' digits*)?` with at least one digit (`5`, `-0.25`,
//! `+.5`, `3.` are numbers; `.`, `-`, `1e3`, `0x10`, `1.2.3` are not). Its value `x` is
//! converted to the `i16` nearest `x * 2^frac`, ties rounded towards +infinity ("round
//! half up", as requantization rounds): `q = floor(x * 2^frac + 1/2)`. A result outside
//! `-32768..=32767` is an error ([`parse_q`], [`parse_line`]: the `predict` file's strict
//! mode), or saturates to the nearest end of that range ([`parse_q_saturating`],
//! [`parse_line_clipping`], which also counts how many did: `predict`'s default).
//!
//! The conversion is exact for any number of digits. With the integer part `I` and the
//! fraction digits `0.d1 d2 ... dn` = `F`, and `M = 2^(frac + 1)`, the fraction is
//! multiplied by `M` as in schoolbook multiplication, from the last digit to the first
//! (`t = dk * M + carry`, digit `t % 10`, carry `t / 10`), keeping only the final carry
//! `P = floor(F * M)` and whether any product digit was non-zero (`F * M` not an
//! integer). Then `A = I * M + P` and `2 * |x| * 2^frac = A + r` with `0 <= r < 1`, so
//! `q = (A + 1) >> 1` for a positive `x`, and for a negative one `q = floor((1 - A) / 2)`
//! if `r = 0`, else `floor(-A / 2)`. Everything fits in `u64`: integer parts above 2^20
//! are out of range for any `frac` and rejected before multiplying.
//!
//! # Writing: [`write_q`], [`write_outputs`]
//!
//! `q / 2^frac` always has a finite decimal expansion (at most `frac` fraction digits);
//! [`write_q`] writes it exactly and in its shortest form: no trailing zeros, no trailing
//! `.`, `0` for zero, a leading `-` for negatives (`-0.5`). Reading that text back at the
//! same `frac` gives `q` again (the host tests check every `i16` at every `frac`).
//!
//! [`write_outputs`] writes the `predict` line: the outputs separated by single spaces,
//! then ` class <k>` with `k` the index of the largest output (the first on ties), then a
//! newline: `0.25 -0.5 0.75 class 2\n`.
//!
//! Pure code: only `core`, no floating point.

use core::fmt;

use super::forward::argmax;

/// The largest number of fractional bits of an `i16` activation.
pub const MAX_FRAC: u8 = 15;

/// Integer parts above this are out of range for every `frac` (`|q| <= 32768`).
const INT_LIMIT: u64 = 1 << 20;

/// Why a number or a line was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalError {
    /// An empty token.
    Empty,
    /// A sign or a `.` without any digit.
    NoDigits,
    /// A character that cannot be part of a number here (a letter, a second `.`, a sign
    /// after the start, a control character, ...).
    BadChar,
    /// The nearest `i16` of `x * 2^frac` is outside `-32768..=32767`.
    OutOfRange,
    /// `frac` is above 15.
    BadFrac,
    /// More numbers on the line than the output buffer holds.
    TooMany,
}

impl DecimalError {
    /// A short reason, for logs and `nnctl`.
    pub fn reason(self) -> &'static str {
        match self {
            DecimalError::Empty => "empty number",
            DecimalError::NoDigits => "no digits in number",
            DecimalError::BadChar => "bad character in number",
            DecimalError::OutOfRange => "number out of range for the input format",
            DecimalError::BadFrac => "fractional bits above 15",
            DecimalError::TooMany => "too many numbers",
        }
    }
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// Reads one decimal number as the `i16` nearest `x * 2^frac`, ties up.
///
/// # Errors
///
/// [`DecimalError::Empty`], [`DecimalError::NoDigits`], [`DecimalError::BadChar`] for
/// text that is not a number (see the module documentation),
/// [`DecimalError::OutOfRange`] if the result does not fit an `i16`, and
/// [`DecimalError::BadFrac`] if `frac > 15`.
pub fn parse_q(s: &[u8], frac: u8) -> Result<i16, DecimalError> {
    if s.is_empty() {
        return Err(DecimalError::Empty);
    }
    let (negative, body) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    let (int_digits, frac_digits) = match body.iter().position(|&c| c == b'.') {
        // PANIC: `dot < body.len()`, so both ranges are in bounds.
        Some(dot) => (&body[..dot], &body[dot + 1..]),
        None => (body, &body[body.len()..]),
    };
    // Syntax first, so that "99999x" is a bad character rather than out of range.
    if !int_digits.iter().chain(frac_digits).all(u8::is_ascii_digit) {
        return Err(DecimalError::BadChar);
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(DecimalError::NoDigits);
    }
    if frac > MAX_FRAC {
        return Err(DecimalError::BadFrac);
    }

    let mut int: u64 = 0;
    for &c in int_digits {
        int = int * 10 + u64::from(c - b'0');
        if int > INT_LIMIT {
            return Err(DecimalError::OutOfRange);
        }
    }
    // M = 2^(frac + 1) <= 2^16: `t` stays below 10 * 2^16.
    let m: u64 = 1 << (frac + 1);
    let mut carry: u64 = 0;
    let mut inexact = false;
    for &c in frac_digits.iter().rev() {
        let t = u64::from(c - b'0') * m + carry;
        let digit = t % 10;
        inexact |= digit != 0;
        carry = t / 10;
    }
    // A = I * M + P <= 2^20 * 2^16 + 2^16: no overflow, and it fits i64.
    let a = i64::try_from(int * m + carry).map_err(|_| DecimalError::OutOfRange)?;
    let q = if !negative {
        (a + 1) >> 1
    } else if inexact {
        (-a) >> 1
    } else {
        (1 - a) >> 1
    };
    i16::try_from(q).map_err(|_| DecimalError::OutOfRange)
}

/// Reads a line of numbers separated by spaces or tabs into `out`, each as [`parse_q`]
/// reads it; returns how many were read (0 for a blank line).
///
/// A trailing `"\n"`, `"\r\n"` or `"\r"` is ignored. The caller compares the count with
/// the number of inputs it wants.
///
/// # Errors
///
/// The first number's [`DecimalError`], or [`DecimalError::TooMany`] if there are more
/// numbers than `out.len()`. `out` may be partly written on error.
pub fn parse_line(line: &[u8], frac: u8, out: &mut [i16]) -> Result<usize, DecimalError> {
    parse_line_with(line, frac, out, parse_q)
}

/// As [`parse_q`], but a number beyond the format's range gives the nearest end of it
/// (`-32768` or `32767`): for training targets, where 1.0 for a sigmoid output in Q0.15
/// means its largest value.
///
/// # Errors
///
/// As [`parse_q`], except [`DecimalError::OutOfRange`].
pub fn parse_q_saturating(s: &[u8], frac: u8) -> Result<i16, DecimalError> {
    match parse_q(s, frac) {
        Err(DecimalError::OutOfRange) => Ok(nearest_end(s)),
        r => r,
    }
}

/// The end of the `i16` range nearest to a number that is beyond it: `-32768` for a
/// negative one, `32767` for a positive one.
fn nearest_end(s: &[u8]) -> i16 {
    if s.first() == Some(&b'-') {
        i16::MIN
    } else {
        i16::MAX
    }
}

/// As [`parse_line`], with [`parse_q_saturating`] for each number.
///
/// # Errors
///
/// As [`parse_line`], except [`DecimalError::OutOfRange`].
pub fn parse_line_saturating(
    line: &[u8],
    frac: u8,
    out: &mut [i16],
) -> Result<usize, DecimalError> {
    parse_line_with(line, frac, out, parse_q_saturating)
}

/// How [`parse_line_clipping`] read a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clipped {
    /// Numbers read.
    pub count: usize,
    /// Of those, numbers beyond the format's range, saturated to its nearest end.
    pub clipped: usize,
}

/// As [`parse_line_saturating`] (a number beyond the format's range saturates, as a
/// quantized engine's input does), also counting the numbers that saturated: what the
/// `predict` file and `nnctl eval` read by default.
///
/// # Errors
///
/// As [`parse_line`], except [`DecimalError::OutOfRange`].
pub fn parse_line_clipping(
    line: &[u8],
    frac: u8,
    out: &mut [i16],
) -> Result<Clipped, DecimalError> {
    let mut clipped = 0;
    let count = parse_line_with(line, frac, out, |s, frac| match parse_q(s, frac) {
        Err(DecimalError::OutOfRange) => {
            clipped += 1;
            Ok(nearest_end(s))
        }
        r => r,
    })?;
    Ok(Clipped { count, clipped })
}

fn parse_line_with(
    line: &[u8],
    frac: u8,
    out: &mut [i16],
    mut parse: impl FnMut(&[u8], u8) -> Result<i16, DecimalError>,
) -> Result<usize, DecimalError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut n = 0;
    for token in line
        .split(|&c| c == b' ' || c == b'\t')
        .filter(|t| !t.is_empty())
    {
        let slot = out.get_mut(n).ok_or(DecimalError::TooMany)?;
        *slot = parse(token, frac)?;
        n += 1;
    }
    Ok(n)
}

/// Writes the exact value of `q / 2^frac` in its shortest decimal form.
///
/// # Errors
///
/// The writer's error, or [`fmt::Error`] (nothing written) if `frac > 15`.
pub fn write_q<W: fmt::Write>(w: &mut W, q: i16, frac: u8) -> fmt::Result {
    if frac > MAX_FRAC {
        return Err(fmt::Error);
    }
    let a = u32::from(q.unsigned_abs());
    let mask = (1u32 << frac) - 1;
    if q < 0 {
        w.write_char('-')?;
    }
    write!(w, "{}", a >> frac)?;
    let mut rem = a & mask;
    if rem != 0 {
        w.write_char('.')?;
    }
    // rem < 2^15, so rem * 10 < 2^19. Each step leaves rem a multiple of one more power
    // of two, so the loop ends after at most `frac` digits, the last one non-zero.
    while rem != 0 {
        rem *= 10;
        // rem < 10 * 2^frac: one decimal digit.
        let digit = char::from_digit(rem >> frac, 10).ok_or(fmt::Error)?;
        w.write_char(digit)?;
        rem &= mask;
    }
    Ok(())
}

/// Writes the `predict` line: the outputs as [`write_q`] writes them, separated by
/// single spaces, then ` class <k>` (`k` = [`argmax`] of the outputs) and `\n`.
///
/// # Errors
///
/// The writer's error, or [`fmt::Error`] (nothing written) if `outputs` is empty or
/// `frac > 15`.
pub fn write_outputs<W: fmt::Write>(w: &mut W, outputs: &[i16], frac: u8) -> fmt::Result {
    let class = argmax(outputs).ok_or(fmt::Error)?;
    if frac > MAX_FRAC {
        return Err(fmt::Error);
    }
    for (i, &q) in outputs.iter().enumerate() {
        if i > 0 {
            w.write_char(' ')?;
        }
        write_q(w, q, frac)?;
    }
    writeln!(w, " class {class}")
}
