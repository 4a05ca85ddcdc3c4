// SPDX-License-Identifier: GPL-2.0

//! Creating a network from a topology: its number formats ([`Plan`]), a deterministic
//! random number generator ([`Rng`]) and Xavier (Glorot) uniform initialisation
//! ([`fill_xavier`]).
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
//! biases are 0. The generator is xoshiro256** (Blackman and Vigna), its state seeded
//! from a `u64` by SplitMix64: the kernel seeds it from `get_random_u64()`, tests from a
//! fixed seed, which makes a created network reproducible bit for bit.
//!
//! No allocation, no floating point, no panics: the caller allocates every buffer.
//! Pure code: only `core`.

use crate::activation::Activation;
use crate::fixed::{Requant, MAX_DIM, WEIGHT_MAX};

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
                // PANIC: i < 17, fits u8.
                return Err(PlanError::BadDim(i as u8));
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

/// SplitMix64: the generator that expands a seed into xoshiro's state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// xoshiro256** 1.0 (David Blackman and Sebastiano Vigna, 2018): 256 bits of state,
/// period 2^256 - 1, passes BigCrush; not cryptographic (it need not be).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is four successive SplitMix64 outputs from `seed`
    /// (the seeding its authors recommend). Every seed is valid.
    pub fn from_seed(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        // SplitMix64 is a bijection of its counter, so four successive outputs are
        // never all zero; keep the guard anyway, the all-zero state is a fixed point.
        Self::from_state(s).unwrap_or(Self {
            s: [1, 0, 0, 0x9e37_79b9_7f4a_7c15],
        })
    }

    /// A generator with this exact state; `None` for the all-zero state.
    pub fn from_state(s: [u64; 4]) -> Option<Self> {
        (s != [0; 4]).then_some(Self { s })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = self.s;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s1 << 17;
        let s2 = s2 ^ s0;
        let s3 = s3 ^ s1;
        let s1 = s1 ^ s2;
        let s0 = s0 ^ s3;
        let s2 = s2 ^ t;
        let s3 = s3.rotate_left(45);
        self.s = [s0, s1, s2, s3];
        result
    }

    /// The next 32 random bits (the high half of [`Rng::next_u64`]).
    pub fn next_u32(&mut self) -> u32 {
        // PANIC: none; the shift leaves 32 bits.
        (self.next_u64() >> 32) as u32
    }

    /// A uniform integer in `0..n`, exactly (Lemire's multiply-and-reject);
    /// 0 when `n` is 0.
    pub fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let mut m = u64::from(self.next_u32()) * u64::from(n);
        // The low 32 bits.
        let mut low = m as u32;
        if low < n {
            // 2^32 mod n: the values of `low` below it would bias the result.
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                m = u64::from(self.next_u32()) * u64::from(n);
                low = m as u32;
            }
        }
        // PANIC: none; m < 2^32 * n, so m >> 32 < n fits u32.
        (m >> 32) as u32
    }
}

/// `n / d` for `d > 0` by shift-and-subtract, without a 64-bit division instruction
/// (32-bit kernels have none); `u64::MAX` when `d` is 0. For rare calls only.
pub fn div_u64(n: u64, d: u32) -> u64 {
    if d == 0 {
        return u64::MAX;
    }
    let d = u64::from(d);
    let mut q = 0u64;
    let mut r = 0u64;
    for bit in (0..64).rev() {
        // r < d < 2^32 before the shift: no overflow.
        r = (r << 1) | ((n >> bit) & 1);
        if r >= d {
            r -= d;
            q |= 1 << bit;
        }
    }
    q
}

/// The integer square root, `floor(sqrt(n))`, exactly (digit by digit).
pub fn isqrt(n: u64) -> u64 {
    let mut rem = n;
    let mut root = 0u64;
    let mut bit = 1u64 << 62;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
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
    Ok(i16::try_from(l.min(WEIGHT_MAX as u64)).unwrap_or(WEIGHT_MAX))
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
