// SPDX-License-Identifier: GPL-2.0

//! Creating a network from a topology: its number formats ([`Plan`]) and Xavier (Glorot)
//! uniform initialisation ([`fill_xavier`]), drawn from the deterministic generator of
//! [`super::rng`].
//!
//! A created network is described by its dimensions `[in, h1, ..., out]` (2 to 17
//! entries, each 1..=4096) and one [`Activation`] per layer. Its formats are fixed
//! (Documentation/neural_network/fixed-point.rst, "Created networks"):
//!
//! - the network's input is Q3.12 ([`INPUT_FRAC`]);
//! - weights are Q3.12 ([`WEIGHT_FRAC`], `-8 < w < 8`), biases are in the accumulator's
//!   scale (`weight_frac + input_frac` fractional bits);
//! - every layer requantizes its accumulator to Q3.12 ([`PRE_FRAC`]) with `mult = 1` and
//!   `shift = weight_frac + input_frac - 12`, an exact change of scale: relu and linear
//!   layers output that Q3.12 value, sigmoid and tanh layers take it as their Q3.12
//!   input and output Q0.15; the next layer's input format is this layer's output
//!   format, so a layer after sigmoid or tanh has `shift = 15` instead of 12.
//!
//! Weights are drawn uniformly from the integers in `[-L, L]`,
//! `L = floor(sqrt(6 / (in + out)) * 2^weight_frac)` (integer square root, exact), and
//! biases are 0. The generator ([`Rng`]) is seeded by the kernel from `get_random_u64()`
//! and by tests from a fixed seed, which makes a created network reproducible bit for bit.
//!
//! No allocation, no floating point, no panics: the caller allocates every buffer.
//! Pure code: only `core`.

use super::activation::Activation;
use super::fixed::{Requant, MAX_DIM, WEIGHT_MAX};
use super::int::{div_u64, isqrt};
use super::num::saturating_u8;
use super::rng::Rng;

/// The most layers a network has (as in the model format).
pub const MAX_LAYERS: usize = 16;
/// Fractional bits of a created network's input (Q3.12).
pub const INPUT_FRAC: u8 = 12;
/// Fractional bits of a created network's weights (Q3.12: `-8 < w < 8`).
pub const WEIGHT_FRAC: u8 = 12;
/// Fractional bits every layer of a created network requantizes to (Q3.12): the output
/// of relu and linear layers, the input of sigmoid and tanh.
pub const PRE_FRAC: u8 = 12;

/// Why a topology or a buffer was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// Fewer than 2 or more than 17 dimensions (1 to 16 layers).
    DimCount,
    /// The dimension at this index is 0 or above 4096.
    BadDim(u8),
    /// Not exactly one activation per layer (`dims.len() - 1`).
    ActivationCount,
    /// A fractional-bit count above 15.
    BadFrac,
    /// A buffer's length differs from the layer's shape.
    Shape,
}

impl PlanError {
    /// A short reason, for logs and `nnctl`.
    pub fn reason(self) -> &'static str {
        match self {
            PlanError::DimCount => "need 2 to 17 dimensions (1 to 16 layers)",
            PlanError::BadDim(_) => "a dimension is not in 1..=4096",
            PlanError::ActivationCount => "need one activation per layer",
            PlanError::BadFrac => "fractional bits above 15",
            PlanError::Shape => "buffer length differs from the layer's shape",
        }
    }
}

/// One layer of a created network: its shape and number formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerPlan {
    /// Inputs.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
    /// Activation.
    pub activation: Activation,
    /// Fractional bits of the input (the network's input or the previous `out_frac`).
    pub input_frac: u8,
    /// Fractional bits of the weights; biases have `weight_frac + input_frac`.
    pub weight_frac: u8,
    /// Fractional bits of the requantized value, before the activation.
    pub pre_frac: u8,
    /// Fractional bits of the output (after the activation), as in the model format.
    pub out_frac: u8,
    /// Requantization: `mult = 1`, `shift = weight_frac + input_frac - pre_frac`.
    pub requant: Requant,
}

impl LayerPlan {
    const EMPTY: LayerPlan = LayerPlan {
        inputs: 0,
        outputs: 0,
        activation: Activation::Linear,
        input_frac: 0,
        weight_frac: 0,
        pre_frac: 0,
        out_frac: 0,
        requant: Requant::IDENTITY,
    };

    /// The number of weights, `inputs * outputs` (at most 2^24).
    pub fn weight_count(&self) -> usize {
        self.inputs.saturating_mul(self.outputs)
    }

    /// Fractional bits of the biases (the accumulator's scale).
    pub fn bias_frac(&self) -> u8 {
        self.weight_frac.saturating_add(self.input_frac)
    }

    /// The layer's requantization for these formats: `mult = 1` and
    /// `shift = weight_frac + input_frac - pre_frac`; `None` if the shift would be
    /// negative or above 47.
    pub fn unit_requant(input_frac: u8, weight_frac: u8, pre_frac: u8) -> Option<Requant> {
        let shift = input_frac.checked_add(weight_frac)?.checked_sub(pre_frac)?;
        Requant::new(1, shift)
    }
}

/// The formats of a network created from a topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    layers: [LayerPlan; MAX_LAYERS],
    n_layers: usize,
}

impl Plan {
    /// Plans the network `dims = [in, h1, ..., out]` with `activations[i]` for layer `i`.
    ///
    /// # Errors
    ///
    /// [`PlanError`] if there are not 2..=17 dimensions, a dimension is not in
    /// 1..=4096, or there is not one activation per layer.
    pub fn new(dims: &[usize], activations: &[Activation]) -> Result<Self, PlanError> {
        if dims.len() < 2 || dims.len() > MAX_LAYERS + 1 {
            return Err(PlanError::DimCount);
        }
        for (i, &d) in dims.iter().enumerate() {
            if d == 0 || d > MAX_DIM {
                // i < 17: it fits.
                return Err(PlanError::BadDim(saturating_u8(i)));
            }
        }
        if activations.len() != dims.len() - 1 {
            return Err(PlanError::ActivationCount);
        }
        let mut layers = [LayerPlan::EMPTY; MAX_LAYERS];
        let mut input_frac = INPUT_FRAC;
        for ((slot, pair), &activation) in layers.iter_mut().zip(dims.windows(2)).zip(activations) {
            let pre_frac = activation.input_frac().unwrap_or(PRE_FRAC);
            let out_frac = activation.output_frac().unwrap_or(pre_frac);
            // 12 + 12 - 12 or 12 + 15 - 12: always in range.
            let requant = LayerPlan::unit_requant(input_frac, WEIGHT_FRAC, pre_frac)
                .ok_or(PlanError::BadFrac)?;
            let &[inputs, outputs] = pair else {
                // `windows(2)` yields slices of exactly 2 elements.
                return Err(PlanError::DimCount);
            };
            *slot = LayerPlan {
                inputs,
                outputs,
                activation,
                input_frac,
                weight_frac: WEIGHT_FRAC,
                pre_frac,
                out_frac,
                requant,
            };
            input_frac = out_frac;
        }
        Ok(Self {
            layers,
            n_layers: activations.len(),
        })
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[LayerPlan] {
        self.layers.get(..self.n_layers).unwrap_or(&[])
    }

    /// The number of layers (1..=16).
    pub fn n_layers(&self) -> usize {
        self.n_layers
    }

    /// The input vector's length.
    pub fn input_dim(&self) -> usize {
        self.layers().first().map_or(0, |l| l.inputs)
    }

    /// The input vector's fractional bits ([`INPUT_FRAC`]).
    pub fn input_frac(&self) -> u8 {
        INPUT_FRAC
    }

    /// The output vector's length.
    pub fn output_dim(&self) -> usize {
        self.layers().last().map_or(0, |l| l.outputs)
    }

    /// The output vector's fractional bits.
    pub fn output_frac(&self) -> u8 {
        self.layers().last().map_or(0, |l| l.out_frac)
    }
}

/// The Xavier (Glorot) uniform limit in weight units:
/// `floor(sqrt(6 / (inputs + outputs)) * 2^weight_frac)`, capped at 32767.
///
/// # Errors
///
/// [`PlanError::BadDim`] if `inputs` or `outputs` is not in 1..=4096,
/// [`PlanError::BadFrac`] if `weight_frac` is above 15.
pub fn xavier_limit(inputs: usize, outputs: usize, weight_frac: u8) -> Result<i16, PlanError> {
    if inputs == 0 || inputs > MAX_DIM {
        return Err(PlanError::BadDim(0));
    }
    if outputs == 0 || outputs > MAX_DIM {
        return Err(PlanError::BadDim(1));
    }
    if weight_frac > 15 {
        return Err(PlanError::BadFrac);
    }
    // 6 * 2^(2 * weight_frac) <= 6 * 2^30 and inputs + outputs <= 8192: no overflow.
    let fan = u32::try_from(inputs + outputs).map_err(|_| PlanError::BadDim(0))?;
    let l = isqrt(div_u64(6u64 << (2 * u32::from(weight_frac)), fan));
    let max = u64::from(WEIGHT_MAX.unsigned_abs());
    Ok(i16::try_from(l.min(max)).unwrap_or(WEIGHT_MAX))
}

/// Fills `weights` (`outputs * inputs`, row-major) with integers drawn uniformly from
/// `[-L, L]`, `L = xavier_limit(inputs, outputs, weight_frac)`.
///
/// # Errors
///
/// As [`xavier_limit`], and [`PlanError::Shape`] if `weights.len()` is not
/// `inputs * outputs` (nothing is written).
pub fn fill_xavier(
    weights: &mut [i16],
    inputs: usize,
    outputs: usize,
    weight_frac: u8,
    rng: &mut Rng,
) -> Result<(), PlanError> {
    let limit = xavier_limit(inputs, outputs, weight_frac)?;
    if Some(weights.len()) != inputs.checked_mul(outputs) {
        return Err(PlanError::Shape);
    }
    // 0 <= limit <= 32767: 2 * limit + 1 <= 65535.
    let limit = u32::from(limit.unsigned_abs());
    for w in weights.iter_mut() {
        let v = i64::from(rng.below(2 * limit + 1)) - i64::from(limit);
        // PANIC: none; -32767 <= v <= 32767.
        *w = i16::try_from(v).unwrap_or(0);
    }
    Ok(())
}

/// Initialises one planned layer: Xavier weights ([`fill_xavier`]) and zero biases.
///
/// # Errors
///
/// [`PlanError::Shape`] if `weights` is not `inputs * outputs` long or `bias` not
/// `outputs` long (nothing is written); otherwise as [`fill_xavier`].
pub fn init_layer(
    layer: &LayerPlan,
    weights: &mut [i16],
    bias: &mut [i32],
    rng: &mut Rng,
) -> Result<(), PlanError> {
    if bias.len() != layer.outputs {
        return Err(PlanError::Shape);
    }
    fill_xavier(weights, layer.inputs, layer.outputs, layer.weight_frac, rng)?;
    bias.fill(0);
    Ok(())
}
