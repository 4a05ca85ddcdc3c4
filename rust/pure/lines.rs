// SPDX-License-Identifier: GPL-2.0

//! The lines of a write to `predict` or `train`, numbered as their log lines name them,
//! blank ones skipped ([`numbered_lines`]).
//!
//! Pure code: only `core`.

/// The lines of `text` (as `debugfs/text.rs`'s `Taken::lines` holds them) that are not
/// blank, each with its number, `first_line` being the number of the first.
pub fn numbered_lines(
    text: &[u8],
    first_line: usize,
) -> impl Iterator<Item = (usize, &[u8])> + Clone {
    text.split(|&c| c == b'\n')
        .enumerate()
        .filter(|(_, line)| !is_blank(line))
        .map(move |(i, line)| (first_line + i, line))
}

/// Whether a line holds only whitespace.
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|c| matches!(c, b' ' | b'\t' | b'\r'))
}
