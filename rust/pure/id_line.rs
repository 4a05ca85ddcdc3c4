// SPDX-License-Identifier: GPL-2.0

//! The line of `remove` (a network id) and `evacuate` (a node id): one decimal id
//! ([`parse_id`]), at most [`ID_LINE_MAX`] bytes with the whitespace around it (`echo`'s
//! newline).
//!
//! Pure code: only `core`; no allocation, no panic on any input.

/// The longest write to `remove` or `evacuate`, in bytes.
pub const ID_LINE_MAX: usize = 32;

/// Why an id line is refused (the kernel logs `<file>: expected <what>` for each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdError {
    /// Not UTF-8.
    NotText,
    /// Only whitespace.
    Empty,
    /// A character other than a decimal digit once the surrounding whitespace is trimmed
    /// (a sign, a letter, whitespace inside).
    NotDecimal,
    /// Above `u32::MAX`.
    TooLarge,
}

/// Reads a decimal id (of a network, or of a node for `evacuate`): ASCII digits only,
/// surrounding whitespace (Unicode's, as `str::trim` trims it) allowed.
///
/// # Errors
///
/// [`IdError`].
pub fn parse_id(b: &[u8]) -> Result<u32, IdError> {
    let s = core::str::from_utf8(b)
        .map_err(|_| IdError::NotText)?
        .trim();
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(IdError::NotDecimal);
    }
    s.parse().map_err(|_| IdError::TooLarge)
}
