// SPDX-License-Identifier: GPL-2.0

//! The gate: which layers run the vector kernel. Pure decisions, shared with the host
//! (`nnctl` and `make bench` pick paths by these very functions).
//!
//! A layer runs the vector kernel when the CPU has the features and the load-time
//! self-check passed ([`Gate::usable`]), `neural_enable_simd` is on ([`Gate::enabled`]),
//! and its rows are at least [`Gate::threshold`] values long: the row length is what the
//! kernel's speed depends on (a row costs its passes of 16 values, the last one padded,
//! against the scalar path's one product per value). The threshold is `neural_simd_threshold`, or for 0 (auto) the break-even the
//! self-check measured ([`break_even`]), or never if the vector kernel never won.
//!
//! Only `core`: the host crate builds this file too.

use crate::pure::activation::Activation;
use crate::pure::fixed::Requant;
use crate::pure::format::Weights;
use crate::pure::forward::DenseLayer;

/// The row lengths the self-check compares and times, and `make bench` sweeps.
pub const SIZES: [usize; 9] = [8, 16, 32, 48, 64, 96, 128, 256, 1024];

/// Rows of the layer the self-check (and `make bench`, the same way) times at each
/// length of [`SIZES`].
pub const TIMED_ROWS: usize = 16;

/// The layer the break-even is timed on: [`TIMED_ROWS`] rows of `n` values from the
/// start of `weights`, linear, requantized by the identity; `None` if `weights` is
/// shorter.
pub fn timed_layer<'a>(
    n: usize,
    weights: &'a [i16],
    bias: &'a [i32; TIMED_ROWS],
) -> Option<DenseLayer<'a>> {
    Some(DenseLayer {
        inputs: n,
        outputs: TIMED_ROWS,
        activation: Activation::Linear,
        requant: Requant::IDENTITY,
        weights: Weights::Wide(weights.get(..TIMED_ROWS.checked_mul(n)?)?),
        bias,
    })
}

/// What decides the path of a layer, read once per prediction (or batch chunk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    /// The CPU has the features and the self-check found the kernels equal.
    pub usable: bool,
    /// `neural_enable_simd`.
    pub enabled: bool,
    /// The least row length that runs the vector kernel (`usize::MAX`: none).
    pub threshold: usize,
}

impl Gate {
    /// A gate that sends every layer to the scalar path.
    pub const SCALAR: Self = Self {
        usable: false,
        enabled: false,
        threshold: usize::MAX,
    };

    /// The gate for threshold parameter `param` (0 = auto: `break_even`).
    pub fn new(usable: bool, enabled: bool, param: usize, break_even: Option<usize>) -> Self {
        Self {
            usable,
            enabled,
            threshold: resolve(param, break_even),
        }
    }

    /// Whether a layer with rows of `inputs` values runs the vector kernel.
    pub fn layer(&self, inputs: usize) -> bool {
        self.usable && self.enabled && inputs >= self.threshold
    }

    /// Whether `layer` runs the vector kernel of its format (`avx2.rs` for `16x16`,
    /// `avx2_w8.rs` for the 8-bit formats): its rows are long enough ([`Gate::layer`]).
    /// The threshold is the 16x16 kernels' break-even for every format.
    pub fn picks(&self, layer: &DenseLayer<'_>) -> bool {
        self.layer(layer.inputs)
    }

    /// Whether any of the layers with these row lengths runs the vector kernel (then a
    /// prediction takes the FPU, once for all its layers).
    pub fn any(&self, inputs: impl IntoIterator<Item = usize>) -> bool {
        inputs.into_iter().any(|n| self.layer(n))
    }
}

/// The threshold in force for parameter `param`: itself, or for 0 the break-even
/// (`usize::MAX`, never, if there is none).
pub fn resolve(param: usize, break_even: Option<usize>) -> usize {
    match param {
        0 => break_even.unwrap_or(usize::MAX),
        p => p,
    }
}

/// The break-even of timed runs `(row length, scalar ns, vector ns)` in increasing row
/// length: the least length from which the vector kernel was at least as fast at every
/// length measured, or `None` if it lost at the longest.
pub fn break_even(samples: &[(usize, u64, u64)]) -> Option<usize> {
    let mut best = None;
    for &(n, scalar, vector) in samples.iter().rev() {
        if vector > scalar {
            break;
        }
        best = Some(n);
    }
    best
}
