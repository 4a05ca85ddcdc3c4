// SPDX-License-Identifier: GPL-2.0

//! The panel layout of an 8-bit layer's weights: the order in which the module stores
//! them, so that the panel kernels (`simd/panel_w8.rs`) read sixteen rows at once with no
//! sum across lanes.
//!
//! A layer of an 8-bit format with at least [`ROWS`] rows of [`MIN_INPUTS`] to
//! [`MAX_INPUTS`] inputs ([`fits`]) is stored as `outputs / 16` panels of 16 rows, then the rows left
//! over (fewer than 16) row-major. A panel holds its rows' weights input pair by input
//! pair: for pair `q` (inputs `2q` and `2q + 1`), 32 bytes, row `r`'s two weights at
//! `2r` and `2r + 1`; for an odd row length the last input alone, 16 bytes, row `r`'s
//! weight at `r`. So a panel is `16 * n` bytes, and the layer's bytes are those of the
//! row-major array, in another order: every count of memory (footprint, `memory_map`,
//! the placement checks, `replicate`'s copies) is the same.
//!
//! Why these bounds. The kernels keep a row's sum in one `i32` lane: every product is
//! below `2^22` in magnitude (`127 * 32768`), so rows of up to 496 inputs stay below
//! `2^31`, as the short-row kernel's do. A layer of fewer than 16 rows has no panel.
//!
//! Pure code: only `core`.

use super::format::Format;

/// Rows a panel.
pub const ROWS: usize = 16;

/// The shortest row of a layer stored in panels: one pass of the vector kernels, as
/// the short-row kernel's (shorter rows stay with the other kernels, the 8x8 format's
/// byte kernels among them).
pub const MIN_INPUTS: usize = 16;

/// The longest row of a layer stored in panels: `496 * 2^22 < 2^31`.
pub const MAX_INPUTS: usize = 496;

/// Whether a layer of `format` with `outputs` rows of `inputs` values is stored in
/// panels.
pub fn fits(format: Format, outputs: usize, inputs: usize) -> bool {
    format != Format::F16x16 && outputs >= ROWS && (MIN_INPUTS..=MAX_INPUTS).contains(&inputs)
}

/// The rows in panels of a layer of `outputs` rows stored in panels: the whole panels.
pub const fn panel_rows(outputs: usize) -> usize {
    outputs / ROWS * ROWS
}

/// The storage order of a layer of `format` with `outputs` rows of `inputs` values: for
/// each stored position in turn, the row-major index of the weight stored there (in
/// panels where [`fits`], else the row-major order itself). How the module, `nnctl`, the
/// benchmark and the checks lay out a layer.
pub fn order(format: Format, outputs: usize, inputs: usize) -> impl Iterator<Item = usize> {
    let panels = fits(format, outputs, inputs);
    (0..outputs * inputs).map(move |s| {
        if panels {
            source(inputs, outputs, s)
        } else {
            s
        }
    })
}

/// Where row `r`'s weight `i` is stored, in a layer of rows of `n` values stored in
/// panels (`r` below its outputs, `i` below `n`). (The host's tests check [`source`] by
/// it; the module reads the panels by their strides.)
#[cfg_attr(CONFIG_RUST, expect(dead_code))]
pub fn at(n: usize, outputs: usize, r: usize, i: usize) -> usize {
    if r >= panel_rows(outputs) {
        return r * n + i;
    }
    let base = r / ROWS * ROWS * n;
    let rr = r % ROWS;
    let q = i / 2;
    if i + 1 == n && n % 2 == 1 {
        base + q * 2 * ROWS + rr
    } else {
        base + q * 2 * ROWS + rr * 2 + i % 2
    }
}

/// The row-major index of the weight stored at `s`, in a layer of rows of `n` values
/// stored in panels: the inverse of [`at`].
pub fn source(n: usize, outputs: usize, s: usize) -> usize {
    let size = ROWS * n;
    if n == 0 || s >= panel_rows(outputs) * n {
        return s;
    }
    let (p, o) = (s / size, s % size);
    let pairs = n / 2;
    let (rr, i) = if o < pairs * 2 * ROWS {
        let (q, k) = (o / (2 * ROWS), o % (2 * ROWS));
        (k / 2, 2 * q + k % 2)
    } else {
        (o - pairs * 2 * ROWS, n - 1)
    };
    (p * ROWS + rr) * n + i
}
