# SPDX-License-Identifier: GPL-2.0
"""The oracle against real arithmetic (oracle.py float): the fixed-point outputs of a
model against the same network in float64 (its own weights read as real numbers) or
against the float model it was compiled from (ONNX, run by onnx's reference evaluator),
within the bound fixed-point.rst states ("Error against real arithmetic"). Floats live
here only: the exact path (oracle.py) has none."""

import numpy as np

from oracle import I16_MAX, I16_MIN


# fixed-point.rst, "Activations": the tables' largest error, asserted by the host tests.
ACT_ERR_LSB = {"linear": 0.0, "relu": 0.0, "sigmoid": 1.5, "tanh": 4.0}
ACT_LIPSCHITZ = {"linear": 1.0, "relu": 1.0, "sigmoid": 0.25, "tanh": 1.0}


def real_activation(z, activation):
    if activation == "linear":
        return z
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return np.tanh(z)


def real_layers(model):
    """Each layer as real numbers: (W, b, pre_frac), with z = W x + b the real value the
    requantization rounds (weights and biases times mult / 2^shift, at the input and
    output scales)."""
    out, in_frac = [], model.input_frac
    for ly in model.layers:
        scale = ly.mult * 2.0 ** (-ly.shift - ly.pre_frac)
        # An 8x8 layer multiplies its input narrowed by in_shift: in_frac - in_shift
        # fractional bits (fixed-point.rst, "Layer formats").
        x_frac = in_frac - (ly.in_shift if ly.format == "8x8" else 0)
        out.append((ly.weights * (scale * 2.0 ** x_frac), ly.biases * scale, ly.pre_frac))
        in_frac = ly.out_frac
    return out


def error_bound(model, x_real, x_q, float_layers=None, unit=2.0 ** -53):
    """The reference outputs and the documented bound on the fixed-point outputs'
    distance to them, per row and output (fixed-point.rst, "Error against real
    arithmetic").

    x_real: the real inputs, (rows, dim), and x_q the engine's i16 for them.
    float_layers: [(W_f, b_f, activation)], the float model the fixed-point one was
    compiled from (real units, W_f as (outputs, inputs)); by default the fixed-point
    model's own weights read as real numbers, and the reference then saturates z at
    the format's ends as the engine does. With e the bound on a layer's input (the
    input: its rounding to the input format), per output:

        e_z = sum_i |W - W_f| |x_f| + sum_i max(|W|, |W_f|) e + |b - b_f| + 2^-(p + 1)
        e_y = L e_z, plus the table's error after sigmoid (1.5) and tanh (4 LSB of Q0.15)

    W and b the fixed-point layer's real weights and bias (times mult / 2^shift at the
    input and output scales), p its requantization's fractional bits, L the
    activation's Lipschitz constant (1; 1/4 for sigmoid). Saturation only moves z
    nearer to a reference inside the range, so the bound holds through it wherever the
    reference stays in range. `unit` is the reference's unit roundoff (2^-53 for
    float64, 2^-24 for a float32 model): (n + 2) unit sum |W_f| |x_f| more a layer."""
    saturating = float_layers is None
    fixed_real = real_layers(model)
    if saturating:
        float_layers = [(w, b, ly.activation) for (w, b, _), ly in
                        zip(fixed_real, model.layers)]
    x_f = np.asarray(x_real, np.float64)
    # The input's rounding to the input format (at most half an LSB, or the saturation).
    e = np.abs(x_q * 2.0 ** -model.input_frac - x_f) + unit * np.abs(x_f)
    in_frac = model.input_frac
    with np.errstate(over="ignore"):
        for (w, b, p), (w_f, b_f, act), ly in zip(fixed_real, float_layers, model.layers):
            w_f, b_f = np.asarray(w_f, np.float64), np.asarray(b_f, np.float64)
            if ly.format == "8x8":
                # The narrowing's rounding, half an LSB of the 8-bit format; its
                # saturation, which the reference follows as it follows z's.
                lsb = 2.0 ** (ly.in_shift - in_frac)
                e = e + lsb / 2
                if saturating:
                    x_f = np.clip(x_f, -128 * lsb, 127 * lsb)
            in_frac = ly.out_frac
            z_f = x_f @ w_f.T + b_f
            e_z = (np.abs(x_f) @ np.abs(w - w_f).T + e @ np.maximum(np.abs(w), np.abs(w_f)).T
                   + np.abs(b - b_f) + 2.0 ** -(p + 1)
                   + (ly.inputs + 2) * unit * (np.abs(x_f) @ np.abs(w_f).T + np.abs(b_f)))
            if saturating:
                z_f = np.clip(z_f, I16_MIN * 2.0 ** -p, I16_MAX * 2.0 ** -p)
            x_f = real_activation(z_f, act)
            e = ACT_LIPSCHITZ[act] * e_z + ACT_ERR_LSB[act] / 32768 \
                + 4 * unit * np.abs(x_f)
    # The bound's own float64 evaluation, and the final subtraction.
    return x_f, e * (1 + 2.0 ** -40) + 4 * 2.0 ** -53 * np.abs(x_f)


def onnx_layers(path):
    """The dense layers of an ONNX MLP as [(W, b, activation)], for the digits model's
    shape of graph: MatMul or Gemm, then Add, then Relu, Sigmoid or Tanh, ...; a final
    Softmax dropped (nnctl.rst, "The ONNX subset", for the subset; these few lines read
    only what skl2onnx writes for an MLPClassifier or MLPRegressor)."""
    import onnx
    from onnx import numpy_helper
    g = onnx.load(str(path)).graph
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            init[n.output[0]] = numpy_helper.to_array(n.attribute[0].t).astype(np.float64)
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    layers, cur = [], g.input[0].name
    acts = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}
    while True:
        # Follow the chain: the one consumer of cur that is part of the dense chain.
        nodes = [n for n in consumers.get(cur, []) if n.op_type in
                 ("MatMul", "Gemm", "Add", "Relu", "Sigmoid", "Tanh", "Identity", "Cast",
                  "Flatten", "Reshape", "Softmax")]
        if not nodes:
            break
        n = nodes[0]
        if n.op_type == "MatMul":
            layers.append([init[n.input[1]], np.zeros(init[n.input[1]].shape[1]),
                           "linear"])
        elif n.op_type == "Gemm":
            a = {x.name: x for x in n.attribute}
            w = init[n.input[1]]
            w = w.T if a.get("transB") and a["transB"].i else w
            alpha = a["alpha"].f if "alpha" in a else 1.0
            beta = a["beta"].f if "beta" in a else 1.0
            b = init[n.input[2]] * beta if len(n.input) > 2 else np.zeros(w.shape[1])
            layers.append([w * alpha, np.broadcast_to(b, w.shape[1]).copy(), "linear"])
        elif n.op_type == "Add":
            other = n.input[1] if n.input[0] == cur else n.input[0]
            layers[-1][1] = layers[-1][1] + np.broadcast_to(init[other].reshape(-1),
                                                            layers[-1][1].shape)
        elif n.op_type in acts:
            layers[-1][2] = acts[n.op_type]
        elif n.op_type == "Softmax":
            break
        cur = n.output[0]
    # ONNX's MatMul is x @ W (inputs x outputs): as (outputs, inputs).
    return [(w.T, b, act) for w, b, act in layers]


def onnx_scores(path, x):
    """The ONNX model's outputs before a final Softmax, by onnx's reference evaluator
    (the float model; nnctl.rst: the compiled model outputs the scores before it)."""
    import onnx
    from onnx.reference import ReferenceEvaluator
    model = onnx.load(str(path))
    g = model.graph
    soft = [n for n in g.node if n.op_type == "Softmax"]
    name = soft[0].input[0] if soft else g.output[0].name
    ev = ReferenceEvaluator(model)
    (scores,) = ev.run([name], {g.input[0].name: np.asarray(x, np.float32)})
    return np.asarray(scores, np.float64)


