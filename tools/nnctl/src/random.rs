// SPDX-License-Identifier: GPL-2.0

//! `nnctl random` and `nnctl inputs`: reproducible random networks and input lines for
//! the host-versus-kernel bit-identity test. The generator is SplitMix64, written here so
//! that a seed gives the same files with every build.

use nn_pure::activation::{Activation, SQUASH_OUT_FRAC};
use nn_pure::fixed::{Requant, MAX_DIM, MAX_SHIFT};
use nn_pure::format::Format;
use nn_pure::model::MAX_LAYERS;
use nn_pure::writer::LayerSpec;

use crate::Result;

/// SplitMix64.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `1/n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// A random network with `dims` (inputs, then each layer's outputs). `activations` has one
/// entry per layer, or one for all, or none (random per layer); `formats` likewise, none
/// being `16x16` for all (whose draws are those of a model from before the formats: a
/// seed gives the same file).
///
/// Weights are drawn at a random magnitude per layer (full range down to 16, with some
/// ±32767 extremes), biases likewise (some at the i32 limits), and the requantization
/// maps a typical accumulator somewhere between 2^10 and 2^16, so that some outputs
/// saturate.
pub fn random_model(
    seed: u64,
    dims: &[usize],
    activations: &[Activation],
    formats: &[Format],
    input_frac: Option<u8>,
) -> Result<(u8, Vec<LayerSpec>)> {
    if dims.len() < 2 || dims.len() > MAX_LAYERS + 1 {
        return Err(format!(
            "--dims needs 2 to {} sizes (inputs, then each layer's outputs)",
            MAX_LAYERS + 1
        ));
    }
    if let Some(d) = dims.iter().find(|&&d| d == 0 || d > MAX_DIM) {
        return Err(format!("--dims: {d} is not in 1..={MAX_DIM}"));
    }
    let n_layers = dims.len() - 1;
    if !(activations.is_empty() || activations.len() == 1 || activations.len() == n_layers) {
        return Err(format!(
            "--activations: {} given, the network has {n_layers} layers (give 1 or \
             {n_layers})",
            activations.len()
        ));
    }
    if !(formats.is_empty() || formats.len() == 1 || formats.len() == n_layers) {
        return Err(format!(
            "--formats: {} given, the network has {n_layers} layers (give 1 or {n_layers})",
            formats.len()
        ));
    }
    if input_frac.is_some_and(|f| f > 15) {
        return Err("--input-frac must be in 0..=15".into());
    }
    let mut rng = Rng::new(seed);
    let input_frac = input_frac.unwrap_or_else(|| rng.below(16) as u8);
    let mut layers = Vec::with_capacity(n_layers);
    for k in 0..n_layers {
        let (inputs, outputs) = (dims[k], dims[k + 1]);
        let activation = match activations {
            [] => Activation::from_code(rng.below(4) as u8).unwrap_or(Activation::Linear),
            [a] => *a,
            all => all[k],
        };
        let format = match formats {
            [] => Format::F16x16,
            [f] => *f,
            all => all[k],
        };
        let (top, magnitudes) = match format {
            Format::F16x16 => (32767, [32767, 8192, 1024, 16]),
            Format::F16x8 | Format::F8x8 => (127, [127, 64, 16, 4]),
        };
        // 8x8: a random input shift (the inputs, typically 2^14, narrowed to 8 bits).
        let in_shift = match format {
            Format::F8x8 => rng.below(16) as u8,
            _ => 0,
        };
        let wmax: i64 = magnitudes[rng.below(4) as usize];
        let weights: Vec<i16> = (0..inputs * outputs)
            .map(|_| {
                if rng.one_in(50) {
                    if rng.one_in(2) {
                        top
                    } else {
                        -top
                    }
                } else {
                    rng.range(-wmax, wmax) as i16
                }
            })
            .collect();
        // A typical |accumulator| for inputs of typical size 2^14 (narrowed: at most 127).
        let x = match format {
            Format::F8x8 => (16384.0 / f64::from(1u32 << in_shift)).clamp(1.0, 127.0),
            _ => 16384.0,
        };
        let typical = (inputs as f64).sqrt() * wmax as f64 / 2.0 * x;
        let bmax = typical.min(f64::from(i32::MAX)) as i64;
        let bias: Vec<i32> = (0..outputs)
            .map(|_| match rng.below(40) {
                0 => i32::MAX,
                1 => i32::MIN,
                2 => 0,
                _ => rng.range(-bmax, bmax) as i32,
            })
            .collect();
        let target = f64::from(1u32 << rng.range(10, 16));
        let requant = match Requant::from_real(target / typical) {
            // Perturb the multiplier's low bits; sometimes use a tiny multiplier.
            Some(r) if rng.one_in(8) => {
                Requant::new(rng.range(1, 255) as u32, r.shift().saturating_sub(8)).unwrap_or(r)
            }
            Some(r) => {
                let m = (i64::from(r.mult()) + rng.range(-200, 200)).clamp(1, 65535);
                Requant::new(m as u32, r.shift()).unwrap_or(r)
            }
            None => Requant::new(1, MAX_SHIFT).unwrap_or(Requant::IDENTITY),
        };
        let out_frac = if activation.output_frac().is_some() {
            SQUASH_OUT_FRAC
        } else {
            rng.below(16) as u8
        };
        layers.push(LayerSpec {
            inputs,
            outputs,
            activation,
            out_frac,
            requant,
            format,
            in_shift,
            weights,
            bias,
        });
    }
    Ok((input_frac, layers))
}

/// The exact decimal of `num / 2^k`: `num * 5^k / 10^k`, for `|num| * 5^k < 2^128`.
pub fn exact_decimal(num: i64, k: u32) -> String {
    let n = u128::from(num.unsigned_abs()) * 5u128.pow(k);
    let digits = format!("{n:0>width$}", width = k as usize + 1);
    let (i, f) = digits.split_at(digits.len() - k as usize);
    let f = f.trim_end_matches('0');
    let sign = if num < 0 { "-" } else { "" };
    if f.is_empty() {
        format!("{sign}{i}")
    } else {
        format!("{sign}{i}.{f}")
    }
}

/// The most extra bits below the LSB that [`exact_decimal`] can take at `frac` with a
/// 17-bit numerator: `17 + k + log2(5) * (frac + 1 + k) < 128`.
fn max_extra_bits(frac: u8) -> i64 {
    (95 - 7 * i64::from(frac) / 3) * 3 / 10
}

/// One random number for an input at `frac`: exactly representable, a tie, just off a
/// tie, or with many digits; in assorted spellings (`+`, leading zeros, `.5`, `5.`).
/// Its value always rounds into the i16 range.
pub fn random_number(rng: &mut Rng, frac: u8) -> String {
    let f = u32::from(frac);
    let kmax = max_extra_bits(frac);
    // Stay one step inside the range, so that ties and near-ties round into it.
    let q = rng.range(-32767, 32766);
    let s = match rng.below(6) {
        // Exactly representable.
        0 | 1 => exact_decimal(q, f),
        // A tie: rounds up to q + 1.
        2 => exact_decimal(2 * q + 1, f + 1),
        // Within 2^-k LSB of a tie, either side.
        3 => {
            let k = rng.range(1, kmax) as u32;
            let d = if rng.one_in(2) { 1 } else { -1 };
            exact_decimal(((2 * q + 1) << k) + d, f + 1 + k)
        }
        // Many digits: an exact value with up to `kmax` bits below the LSB.
        4 => {
            let k = rng.range(8, kmax) as u32;
            let r = rng.below(1 << k) as i64;
            exact_decimal((q << k) + r, f + k)
        }
        // Not a dyadic fraction: random digits after the exact value written with `frac`
        // fraction digits, which moves it by less than 10^-frac <= 1 LSB away from zero.
        _ => {
            let s = exact_decimal(q, f);
            let (i, fr) = s.split_once('.').unwrap_or((&s, ""));
            let mut s = format!("{i}.{fr:0<width$}", width = frac as usize);
            for _ in 0..rng.range(1, 40) {
                s.push(char::from(b'0' + rng.below(10) as u8));
            }
            s
        }
    };
    respell(rng, s)
}

fn respell(rng: &mut Rng, s: String) -> String {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b.to_string()),
        None => (false, s),
    };
    let body = match rng.below(8) {
        0 if body.starts_with("0.") => body[1..].to_string(), // ".5"
        1 if !body.contains('.') => format!("{body}."),       // "5."
        2 => format!("00{body}"),                             // leading zeros
        3 if body.contains('.') => format!("{body}000"),      // trailing zeros
        _ => body,
    };
    let sign = if neg {
        "-"
    } else if rng.one_in(6) {
        "+"
    } else {
        ""
    };
    format!("{sign}{body}")
}

/// `count` lines of `dim` random numbers for inputs at `frac`, separated by one space
/// (sometimes several, or a tab).
pub fn random_inputs(seed: u64, count: usize, dim: usize, frac: u8) -> Result<String> {
    if frac > 15 {
        return Err("--frac must be in 0..=15".into());
    }
    if dim == 0 || dim > MAX_DIM {
        return Err(format!("--dim must be in 1..={MAX_DIM}"));
    }
    let mut rng = Rng::new(seed);
    let mut out = String::new();
    for _ in 0..count {
        for i in 0..dim {
            if i > 0 {
                out += match rng.below(20) {
                    0 => "\t",
                    1 => "  ",
                    _ => " ",
                };
            }
            out += &random_number(&mut rng, frac);
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nn_pure::decimal::parse_q;

    #[test]
    fn exact_decimals() {
        assert_eq!(exact_decimal(0, 0), "0");
        assert_eq!(exact_decimal(1, 1), "0.5");
        assert_eq!(exact_decimal(-3, 2), "-0.75");
        assert_eq!(exact_decimal(40, 4), "2.5");
        assert_eq!(exact_decimal(1, 20), "0.00000095367431640625");
        assert_eq!(exact_decimal(-65536, 16), "-1");
    }

    #[test]
    fn random_numbers_always_parse_in_range() {
        for frac in 0..=15u8 {
            let mut rng = Rng::new(u64::from(frac));
            for _ in 0..20_000 {
                let s = random_number(&mut rng, frac);
                assert!(parse_q(s.as_bytes(), frac).is_ok(), "{s} at frac {frac}");
            }
        }
    }

    #[test]
    fn random_models_are_valid_and_reproducible() {
        for seed in 0..50 {
            let (f, l) = random_model(seed, &[5, 7, 3, 2], &[], &[], None).unwrap();
            let blob = nn_pure::writer::write_model(5, f, &l);
            nn_pure::model::Model::parse(&blob).unwrap();
            let (f2, l2) = random_model(seed, &[5, 7, 3, 2], &[], &[], None).unwrap();
            assert_eq!(blob, nn_pure::writer::write_model(5, f2, &l2));
        }
        assert!(random_model(1, &[5], &[], &[], None).is_err());
        assert!(random_model(1, &[5, 0], &[], &[], None).is_err());
        assert!(random_model(1, &[5, 2, 2], &[Activation::Relu; 3], &[], None).is_err());
    }
}
