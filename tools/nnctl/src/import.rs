// SPDX-License-Identifier: GPL-2.0

//! ONNX import: the chain of dense layers from the graph's input to its output.
//!
//! Supported (the "ONNX subset" of Documentation/neural_network/nnctl.rst):
//!
//! - `Gemm` (`alpha`, `beta`, `transB`; not `transA`) and `MatMul` with a weight
//!   initializer, optionally followed by `Add` of a bias initializer;
//! - `Relu`, `Sigmoid`, `Tanh` right after a dense layer (a dense layer without one is
//!   linear);
//! - no-ops: `Identity`, `Dropout` (inference), `Cast` to a float type, `Flatten` with
//!   axis 1, `Reshape` to `[D]`, `[n, D]` or `[0 or 1, -1]`;
//! - a final `Softmax` or `LogSoftmax` (dropped: it does not change the arg-max);
//! - branches that turn the scores into labels (`ArgMax`, `ArgMin`, `TopK`, `ZipMap`,
//!   `ArrayFeatureExtractor`, `LabelEncoder` and everything after them) are ignored.
//!
//! Tensors come from initializers or `Constant` nodes, as float or double, in `raw_data`
//! or the typed fields. Anything else is an error that names the operator or tensor.

use std::collections::HashMap;

use nn_pure::activation::Activation;
use nn_pure::fixed::MAX_DIM;
use nn_pure::model::MAX_LAYERS;
use onnx_protobuf::{GraphProto, Message, ModelProto, NodeProto, TensorProto};

use crate::float::{FloatLayer, FloatNet};
use crate::Result;

/// What the import found, and what it left out.
#[derive(Debug)]
pub struct Imported {
    /// The network.
    pub net: FloatNet,
    /// Notes for the user: ignored branches, dropped operators.
    pub notes: Vec<String>,
}

// TensorProto.DataType values.
const FLOAT: i32 = 1;
const INT32: i32 = 6;
const INT64: i32 = 7;
const DOUBLE: i32 = 11;
const FLOAT16: i32 = 10;
const BFLOAT16: i32 = 16;

/// Operators whose branch only builds labels from the scores: ignored.
const LABEL_OPS: &[&str] = &[
    "ArgMax",
    "ArgMin",
    "TopK",
    "ZipMap",
    "ArrayFeatureExtractor",
    "LabelEncoder",
];

/// Parses an ONNX model file's bytes.
pub fn import(bytes: &[u8]) -> Result<Imported> {
    let model = ModelProto::parse_from_bytes(bytes)
        .map_err(|e| format!("not an ONNX model (protobuf: {e})"))?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| "the ONNX model has no graph".to_string())?;
    import_graph(graph)
}

fn node_name(n: &NodeProto) -> String {
    if n.name.is_empty() {
        format!("{} -> {}", n.op_type, n.output.first().map_or("?", |s| s))
    } else {
        format!("{} '{}'", n.op_type, n.name)
    }
}

fn attr_i(n: &NodeProto, name: &str, default: i64) -> i64 {
    n.attribute
        .iter()
        .find(|a| a.name == name)
        .map_or(default, |a| a.i)
}

fn attr_f(n: &NodeProto, name: &str, default: f64) -> f64 {
    n.attribute
        .iter()
        .find(|a| a.name == name)
        .map_or(default, |a| f64::from(a.f))
}

fn element_count(t: &TensorProto) -> Result<usize> {
    t.dims.iter().try_fold(1usize, |acc, &d| {
        usize::try_from(d)
            .ok()
            .and_then(|d| acc.checked_mul(d))
            .ok_or_else(|| format!("tensor '{}' has a bad dimension {d}", t.name))
    })
}

fn not_external(t: &TensorProto) -> Result<()> {
    if t.data_location.value() == 1 || !t.external_data.is_empty() {
        return Err(format!(
            "tensor '{}' is stored in external data: not supported (save the model with \
             its weights inside)",
            t.name
        ));
    }
    Ok(())
}

/// A float tensor's values as `f64`.
pub fn floats(t: &TensorProto) -> Result<Vec<f64>> {
    not_external(t)?;
    let n = element_count(t)?;
    let v: Vec<f64> = match t.data_type {
        FLOAT if !t.raw_data.is_empty() => t
            .raw_data
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        FLOAT => t.float_data.iter().map(|&x| f64::from(x)).collect(),
        DOUBLE if !t.raw_data.is_empty() => t
            .raw_data
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
        DOUBLE => t.double_data.clone(),
        FLOAT16 | BFLOAT16 => {
            return Err(format!(
                "tensor '{}' is 16-bit float: not supported (export in float32)",
                t.name
            ))
        }
        d => {
            return Err(format!(
                "tensor '{}' has data type {d}, not float or double",
                t.name
            ))
        }
    };
    if v.len() != n {
        return Err(format!(
            "tensor '{}' holds {} values, its shape {:?} says {n}",
            t.name,
            v.len(),
            t.dims
        ));
    }
    if let Some(x) = v.iter().find(|x| !x.is_finite()) {
        return Err(format!("tensor '{}' holds a non-finite value {x}", t.name));
    }
    Ok(v)
}

/// An integer tensor's values (shapes of `Reshape`).
pub fn ints(t: &TensorProto) -> Result<Vec<i64>> {
    not_external(t)?;
    let n = element_count(t)?;
    let v: Vec<i64> = match t.data_type {
        INT64 if !t.raw_data.is_empty() => t
            .raw_data
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
        INT64 => t.int64_data.clone(),
        INT32 if !t.raw_data.is_empty() => t
            .raw_data
            .chunks_exact(4)
            .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        INT32 => t.int32_data.iter().map(|&x| i64::from(x)).collect(),
        d => {
            return Err(format!(
                "tensor '{}' has data type {d}, not an integer",
                t.name
            ))
        }
    };
    if v.len() != n {
        return Err(format!(
            "tensor '{}' holds {} values, its shape says {n}",
            t.name,
            v.len()
        ));
    }
    Ok(v)
}

/// A dense layer being assembled: weights seen, bias and activation maybe not yet.
struct Pending {
    inputs: usize,
    outputs: usize,
    weights: Vec<f64>,
    bias: Vec<f64>,
    has_bias_add: bool,
}

impl Pending {
    fn finish(self, activation: Activation) -> FloatLayer {
        FloatLayer {
            inputs: self.inputs,
            outputs: self.outputs,
            activation,
            weights: self.weights,
            bias: self.bias,
        }
    }
}

/// A bias of `outputs` values, or one value broadcast; shapes `[n]`, `[1, n]`, `[1]`, `[]`.
fn bias_values(t: &TensorProto, outputs: usize, what: &str) -> Result<Vec<f64>> {
    if t.dims.iter().rev().skip(1).any(|&d| d != 1) {
        return Err(format!(
            "{what}: bias '{}' has shape {:?}, expected [{outputs}] or [1, {outputs}]",
            t.name, t.dims
        ));
    }
    let v = floats(t)?;
    match v.len() {
        1 => Ok(vec![v[0]; outputs]),
        n if n == outputs => Ok(v),
        n => Err(format!(
            "{what}: bias '{}' has {n} values, the layer has {outputs} outputs",
            t.name
        )),
    }
}

fn check_dim(d: i64, what: &str) -> Result<usize> {
    usize::try_from(d)
        .ok()
        .filter(|&d| (1..=MAX_DIM).contains(&d))
        .ok_or_else(|| format!("{what}: dimension {d} is not in 1..={MAX_DIM}"))
}

/// The walk from the input to the output (see the module documentation).
pub fn import_graph(graph: &GraphProto) -> Result<Imported> {
    let mut tensors: HashMap<&str, &TensorProto> = graph
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    for n in &graph.node {
        if n.op_type == "Constant" {
            if let (Some(out), Some(t)) = (
                n.output.first(),
                n.attribute.iter().find(|a| a.name == "value"),
            ) {
                if let Some(t) = t.t.as_ref() {
                    tensors.insert(out.as_str(), t);
                }
            }
        }
    }
    let inputs: Vec<_> = graph
        .input
        .iter()
        .filter(|i| !tensors.contains_key(i.name.as_str()))
        .collect();
    let input = match inputs.as_slice() {
        [one] => *one,
        [] => return Err("the graph has no input".into()),
        many => {
            return Err(format!(
                "the graph has {} inputs ({}): only one input vector is supported",
                many.len(),
                many.iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    };
    // The declared feature count, when the shape gives it.
    let declared = input
        .type_
        .as_ref()
        .filter(|t| t.has_tensor_type())
        .and_then(|t| t.tensor_type().shape.as_ref())
        .and_then(|s| s.dim.last())
        .filter(|d| d.has_dim_value())
        .map(|d| d.dim_value());

    let mut notes = Vec::new();
    let mut layers: Vec<FloatLayer> = Vec::new();
    let mut pending: Option<Pending> = None;
    let mut dim: Option<usize> = match declared {
        Some(d) => Some(check_dim(d, &format!("input '{}'", input.name))?),
        None => None,
    };
    let mut cur: &str = &input.name;
    let mut softmax: Option<String> = None;
    let mut steps = 0usize;

    loop {
        steps += 1;
        if steps > graph.node.len() + 1 {
            return Err("the graph has a cycle".into());
        }
        let consumers: Vec<&NodeProto> = graph
            .node
            .iter()
            .filter(|n| n.input.iter().any(|i| i == cur))
            .collect();
        let (ignored, chain): (Vec<&NodeProto>, Vec<&NodeProto>) = consumers
            .into_iter()
            .partition(|n| LABEL_OPS.contains(&n.op_type.as_str()));
        for n in ignored {
            notes.push(format!(
                "ignored {} on '{cur}' and what follows it (it builds labels from the scores)",
                node_name(n)
            ));
        }
        let n = match chain.as_slice() {
            [] => break,
            [n] => *n,
            many => {
                return Err(format!(
                    "'{cur}' feeds {} operators ({}): only a chain of layers is supported",
                    many.len(),
                    many.iter()
                        .map(|n| node_name(n))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        };
        let what = node_name(n);
        if !(n.domain.is_empty() || n.domain == "ai.onnx") {
            return Err(format!(
                "{what}: operator of domain '{}' is not supported",
                n.domain
            ));
        }
        let op = n.op_type.as_str();
        if softmax.is_some() && !matches!(op, "Identity" | "Cast" | "Dropout") {
            return Err(format!(
                "{what} after {}: only a final Softmax is supported",
                softmax.as_deref().unwrap_or("Softmax")
            ));
        }
        let operand = |k: usize| -> Result<&TensorProto> {
            let name = n
                .input
                .get(k)
                .ok_or_else(|| format!("{what}: missing input {k}"))?;
            tensors
                .get(name.as_str())
                .copied()
                .ok_or_else(|| format!("{what}: input '{name}' is not a constant (initializer)"))
        };
        let first_is_cur = n.input.first().is_some_and(|i| i == cur);
        match op {
            "MatMul" | "Gemm" => {
                if !first_is_cur {
                    return Err(format!(
                        "{what}: the layer input must be its first operand (A), the \
                         weights its second (B)"
                    ));
                }
                if let Some(p) = pending.take() {
                    layers.push(p.finish(Activation::Linear));
                }
                let b = operand(1)?;
                let trans_b = op == "Gemm" && attr_i(n, "transB", 0) != 0;
                if op == "Gemm" && attr_i(n, "transA", 0) != 0 {
                    return Err(format!("{what}: transA = 1 is not supported"));
                }
                if b.dims.len() != 2 {
                    return Err(format!(
                        "{what}: weights '{}' have shape {:?}, not a matrix",
                        b.name, b.dims
                    ));
                }
                let (ins, outs) = if trans_b {
                    (b.dims[1], b.dims[0])
                } else {
                    (b.dims[0], b.dims[1])
                };
                let ins = check_dim(ins, &what)?;
                let outs = check_dim(outs, &what)?;
                if let Some(d) = dim {
                    if d != ins {
                        return Err(format!(
                            "{what}: weights '{}' take {ins} inputs, the previous layer \
                             gives {d}",
                            b.name
                        ));
                    }
                }
                let w = floats(b)?;
                let alpha = if op == "Gemm" {
                    attr_f(n, "alpha", 1.0)
                } else {
                    1.0
                };
                // Row-major [outputs][inputs].
                let mut weights = vec![0.0; ins * outs];
                for o in 0..outs {
                    for i in 0..ins {
                        let v = if trans_b {
                            w[o * ins + i]
                        } else {
                            w[i * outs + o]
                        };
                        weights[o * ins + i] = alpha * v;
                    }
                }
                let mut bias = vec![0.0; outs];
                if op == "Gemm" {
                    if let Some(c) = n.input.get(2).filter(|c| !c.is_empty()) {
                        let t = tensors.get(c.as_str()).copied().ok_or_else(|| {
                            format!("{what}: bias '{c}' is not a constant (initializer)")
                        })?;
                        let beta = attr_f(n, "beta", 1.0);
                        bias = bias_values(t, outs, &what)?
                            .into_iter()
                            .map(|x| beta * x)
                            .collect();
                    }
                }
                if layers.len() >= MAX_LAYERS {
                    return Err(format!(
                        "{what}: more than {MAX_LAYERS} dense layers (the model format's limit)"
                    ));
                }
                if dim.is_none() {
                    notes.push(format!(
                        "input '{}' has no declared size: {ins} from the first layer",
                        input.name
                    ));
                }
                pending = Some(Pending {
                    inputs: ins,
                    outputs: outs,
                    weights,
                    bias,
                    has_bias_add: op == "Gemm",
                });
                dim = Some(outs);
            }
            "Add" => {
                let p = pending.as_mut().ok_or_else(|| {
                    format!("{what}: an Add is supported only as the bias of MatMul or Gemm")
                })?;
                let other = usize::from(first_is_cur);
                let t = operand(other)?;
                let b = bias_values(t, p.outputs, &what)?;
                for (x, y) in p.bias.iter_mut().zip(b) {
                    *x += y;
                }
                p.has_bias_add = true;
            }
            "Relu" | "Sigmoid" | "Tanh" => {
                let p = pending.take().ok_or_else(|| {
                    format!(
                        "{what}: an activation must follow a dense layer (MatMul/Gemm) \
                         directly"
                    )
                })?;
                let a = match op {
                    "Relu" => Activation::Relu,
                    "Sigmoid" => Activation::Sigmoid,
                    _ => Activation::Tanh,
                };
                if !p.has_bias_add {
                    notes.push(format!("{what}: layer without bias (bias 0)"));
                }
                layers.push(p.finish(a));
            }
            "Softmax" | "LogSoftmax" => {
                let axis = attr_i(n, "axis", -1);
                if axis != -1 && axis != 1 {
                    return Err(format!("{what}: axis {axis} (only the last axis)"));
                }
                if let Some(p) = pending.take() {
                    layers.push(p.finish(Activation::Linear));
                }
                notes.push(format!(
                    "dropped the final {what}: it does not change the arg-max; the model \
                     outputs the scores before it"
                ));
                softmax = Some(what.clone());
            }
            "Identity" | "Dropout" => {}
            "Cast" => {
                let to = attr_i(n, "to", 0);
                if !matches!(to, 1 | 10 | 11 | 16) {
                    return Err(format!(
                        "{what}: cast to data type {to}, not a float type: not supported"
                    ));
                }
            }
            "Flatten" => {
                let axis = attr_i(n, "axis", 1);
                if axis != 1 {
                    return Err(format!("{what}: axis {axis} (only 1, a no-op on [N, D])"));
                }
            }
            "Reshape" => {
                let shape = ints(operand(1)?)?;
                let d = dim.and_then(|d| i64::try_from(d).ok());
                let trivial = match shape.as_slice() {
                    [x] => Some(*x) == d,
                    [-1..=1, x] => Some(*x) == d || (*x == -1 && shape[0] != -1),
                    _ => false,
                };
                if !trivial {
                    return Err(format!(
                        "{what}: reshape to {shape:?} is not a no-op on vectors of {}",
                        dim.map_or("unknown size".into(), |d| d.to_string())
                    ));
                }
            }
            _ => {
                return Err(format!("{what}: operator '{op}' is not supported"));
            }
        }
        cur = n
            .output
            .first()
            .ok_or_else(|| format!("{what}: no output"))?;
    }
    if let Some(p) = pending.take() {
        layers.push(p.finish(Activation::Linear));
    }
    if layers.len() > MAX_LAYERS {
        return Err(format!(
            "{} dense layers: more than {MAX_LAYERS} (the model format's limit)",
            layers.len()
        ));
    }
    let first = layers
        .first()
        .ok_or_else(|| "no dense layer (MatMul or Gemm) after the input".to_string())?;
    if !graph.output.iter().any(|o| o.name == cur) {
        notes.push(format!(
            "the chain ends at '{cur}', which is not a graph output"
        ));
    }
    Ok(Imported {
        net: FloatNet {
            input_dim: first.inputs,
            layers,
        },
        notes,
    })
}
