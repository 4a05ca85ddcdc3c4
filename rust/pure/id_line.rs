// SPDX-License-Identifier: GPL-2.0

//! The line of `remove` (a network id) and `evacuate` (a node id): one decimal id
//! ([`parse_id`]).
//!
//! Pure code: only `core`.

/// Parses a decimal id (of a network, or of a node for `evacuate`), surrounding
/// whitespace allowed.
pub fn parse_id(b: &[u8]) -> Option<u32> {
    let s = core::str::from_utf8(b).ok()?.trim();
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
