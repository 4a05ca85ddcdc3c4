// SPDX-License-Identifier: GPL-2.0

//! `nnctl eval` and `nnctl info`: a parsed model run and shown with the module's code.

use std::fmt::Write as _;

use nn_pure::batch::{self, Shape};
use nn_pure::decimal::{parse_q, parse_q_saturating, write_outputs, DecimalError};
use nn_pure::format::Format;
use nn_pure::gated::Gated;
use nn_pure::model::{crc32, LayerDesc, Model};
use nn_pure::owned::OwnedWeights;
use nn_pure::simd::gate::Gate;

use crate::text::{lines, tokens};
use crate::{qformat, Result};

/// A model's layers, copied out of the blob.
pub struct Loaded {
    /// The input vector's length.
    pub input_dim: usize,
    /// Its fractional bits.
    pub input_frac: u8,
    /// Layer descriptions, weights and biases.
    pub layers: Vec<(LayerDesc, OwnedWeights, Vec<i32>)>,
}

/// Parses a model blob with the module's parser.
pub fn load(name: &str, blob: &[u8]) -> Result<Loaded> {
    let m = Model::parse(blob).map_err(|e| format!("{name}: invalid model: {}", e.reason()))?;
    Ok(Loaded {
        input_dim: m.input_dim(),
        input_frac: m.input_frac(),
        layers: m
            .layers()
            .map(|l| (l, OwnedWeights::from_model(&m, &l), m.biases(&l).collect()))
            .collect(),
    })
}

impl Loaded {
    /// The last layer's output format.
    pub fn output_frac(&self) -> u8 {
        self.layers.last().map_or(0, |(l, _, _)| l.out_frac)
    }

    /// Runs the network on a quantized input vector.
    pub fn forward(&self, input: &[i16]) -> Result<Vec<i16>> {
        let mut x = input.to_vec();
        for (l, w, b) in &self.layers {
            let layer = l.dense(w.view(), b);
            let mut y = vec![0i16; l.outputs];
            layer.forward(&x, &mut y).map_err(|_| {
                format!("input of {} values, the model takes {}", x.len(), l.inputs)
            })?;
            x = y;
        }
        Ok(x)
    }
}

/// The path `nnctl eval` runs the layers by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// The scalar reference (`DenseLayer::forward`), layer by layer.
    Scalar,
    /// The module's batch driver and AVX2 kernels behind its gate with every layer sent
    /// to them (`neural_simd_threshold=1`): `rust/simd/avx2.rs` on the host.
    Simd,
}

impl Loaded {
    /// Runs the network on a quantized input vector by the module's AVX2 path.
    ///
    /// # Errors
    ///
    /// This CPU has no AVX2, or the input does not fit the model.
    pub fn forward_simd(&self, input: &[i16]) -> Result<Vec<i16>> {
        if !avx2() {
            return Err("--simd: this CPU has no AVX2".into());
        }
        let shape = Shape::of(self.layers.iter().map(|(l, _, _)| (l.inputs, l.outputs)))
            .ok_or("the model has no layers")?;
        let mut scratch = vec![0i16; shape.scratch_len()];
        let mut y = vec![0i16; shape.output_dim];
        // SAFETY: the CPU has AVX2 (checked above).
        let mut runner = unsafe { Gated::new(Gate::new(true, true, 1, None)) };
        let layer = |i: usize| self.layers.get(i).map(|(l, w, b)| l.dense(w.view(), b));
        batch::forward(shape, layer, input, &mut y, &mut scratch, &mut runner).map_err(|_| {
            format!(
                "input of {} values, the model takes {}",
                input.len(),
                self.input_dim
            )
        })?;
        Ok(y)
    }
}

/// Whether this CPU has AVX2 (the vector path's kernels need it).
fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("avx2");
    #[cfg(not(target_arch = "x86_64"))]
    return false;
}

/// How input numbers are read: decimals, out-of-range ones as the module's `predict`
/// file does by default (`Saturate`) or in its strict mode (`neural_strict_input=1`); or
/// the fixed-point values themselves (`Raw`: integers -32768..32767, as a caller of the
/// exported API or a BPF program passes them), in which case the outputs are printed raw
/// too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inputs {
    /// A number beyond the input format saturates to its nearest end, and is counted.
    Saturate,
    /// A number beyond the input format is an error.
    Strict,
    /// Each number is an input's fixed-point value, an integer -32768..32767.
    Raw,
}

/// Reads one input line at the model's input format, as the module's `predict` file does
/// (`decimal::parse_q` per number, saturating unless `mode` is `Strict`), and checks its
/// arity; returns the vector and how many of its numbers saturated.
pub fn parse_input(
    m: &Loaded,
    line: &[u8],
    mode: Inputs,
) -> std::result::Result<(Vec<i16>, usize), String> {
    let toks = tokens(line)?;
    let mut v = Vec::with_capacity(toks.len());
    let mut clipped = 0;
    for (i, t) in toks.iter().enumerate() {
        if mode == Inputs::Raw {
            let q = std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.parse::<i16>().ok())
                .ok_or_else(|| {
                    format!(
                        "number {} ('{}'): not an integer in -32768..32767",
                        i + 1,
                        String::from_utf8_lossy(t)
                    )
                })?;
            v.push(q);
            continue;
        }
        let q = match (parse_q(t, m.input_frac), mode) {
            (Err(DecimalError::OutOfRange), Inputs::Saturate) => {
                clipped += 1;
                parse_q_saturating(t, m.input_frac)
            }
            (r, _) => r,
        }
        .map_err(|e| {
            format!(
                "number {} ('{}'): {}",
                i + 1,
                String::from_utf8_lossy(t),
                e.reason()
            )
        })?;
        v.push(q);
    }
    if v.len() != m.input_dim {
        return Err(format!(
            "{} numbers, the model takes {}",
            v.len(),
            m.input_dim
        ));
    }
    Ok((v, clipped))
}

/// What `nnctl eval` printed, and how many input numbers saturated.
pub struct Evaluated {
    /// One `predict` line per input line.
    pub text: String,
    /// Input numbers beyond the input format, saturated (0 in strict mode).
    pub clipped: usize,
}

/// `nnctl eval`: one `predict` line per input line.
pub fn eval(
    m: &Loaded,
    inputs_name: &str,
    inputs: &[u8],
    mode: Inputs,
    path: Path,
) -> Result<Evaluated> {
    let mut out = String::new();
    let mut clipped = 0;
    let frac = m.output_frac();
    for (no, line) in lines(inputs) {
        let (x, c) = parse_input(m, line, mode).map_err(|e| format!("{inputs_name}:{no}: {e}"))?;
        clipped += c;
        let y = match path {
            Path::Scalar => m.forward(&x),
            Path::Simd => m.forward_simd(&x),
        }
        .map_err(|e| format!("{inputs_name}:{no}: {e}"))?;
        if mode == Inputs::Raw {
            let raw: Vec<String> = y.iter().map(i16::to_string).collect();
            out.push_str(&raw.join(" "));
            out.push('\n');
        } else {
            write_outputs(&mut out, &y, frac)
                .map_err(|_| "cannot format the outputs".to_string())?;
        }
    }
    Ok(Evaluated { text: out, clipped })
}

/// `nnctl info`: the model's header and layers.
pub fn info(name: &str, blob: &[u8]) -> Result<String> {
    let m = load(name, blob)?;
    let mut s = String::new();
    let crc = u32::from_le_bytes(
        blob[blob.len() - 4..]
            .try_into()
            .map_err(|_| "truncated".to_string())?,
    );
    debug_assert_eq!(crc, crc32(&blob[..blob.len() - 4]));
    let _ = writeln!(
        s,
        "{name}: {} bytes, {} layers, checksum ok (crc32 {crc:#010x})",
        blob.len(),
        m.layers.len()
    );
    let _ = writeln!(
        s,
        "input: {} values, {}",
        m.input_dim,
        qformat(m.input_frac)
    );
    let mut in_frac = m.input_frac;
    let (mut nw, mut nb) = (0usize, 0usize);
    for (k, (l, w, b)) in m.layers.iter().enumerate() {
        let r = l.requant;
        let w = w.widened();
        // The format, where it is not the first version's 16x16.
        let format = match l.format {
            Format::F16x16 => String::new(),
            Format::F16x8 => ", format 16x8".to_string(),
            Format::F8x8 => format!(", format 8x8 (inputs narrowed by 2^{})", l.in_shift),
        };
        let _ = writeln!(
            s,
            "layer {k}: {} -> {} {:<7} {} -> {}, requant {}/2^{} (= {:.6e}), weights {}..{}, \
             biases {}..{}{format}",
            l.inputs,
            l.outputs,
            l.activation.name(),
            qformat(in_frac),
            qformat(l.out_frac),
            r.mult(),
            r.shift(),
            f64::from(r.mult()) / 2f64.powi(i32::from(r.shift())),
            w.iter().min().copied().unwrap_or(0),
            w.iter().max().copied().unwrap_or(0),
            b.iter().min().copied().unwrap_or(0),
            b.iter().max().copied().unwrap_or(0),
        );
        nw += w.len();
        nb += b.len();
        in_frac = l.out_frac;
    }
    let _ = writeln!(
        s,
        "output: {} values, {}; {nw} weights, {nb} biases",
        m.layers.last().map_or(0, |(l, _, _)| l.outputs),
        qformat(m.output_frac())
    );
    Ok(s)
}
