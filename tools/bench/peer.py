#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The peer of `make bench`: onnxruntime on the networks nn-bench times, one thread.

    peer.py [--runs N] [--min-ms M] [--seed S] CASE...

CASE is NAME=D0,D1,...,Dn@B1,B2,...: a network of dense layers D0 -> D1 -> ... -> Dn,
each MatMul + Add + Relu (the layers of nn-bench's networks are all ReLU), timed at each
batch Bi. For each network the script builds a float32 ONNX model with the `onnx`
package (fixed random weights from --seed), checks its answers against numpy, quantizes
a copy with onnxruntime.quantization.quantize_dynamic (int8 weights, inputs quantized at
run time), and times both with onnxruntime's CPU provider on one thread
(intra_op_num_threads=1, inter_op_num_threads=1, sequential execution), called from
Python as a user would: `session.run` with a numpy array, so the call's overhead in
Python and in onnxruntime's binding (a few microseconds) is in every figure. Each figure
is the median of --runs runs of at least --min-ms each, after a warm-up, per input row,
as nn-bench times its own.

Output, on standard output, one JSON object a line (JSON Lines; nn-bench reads them,
tools/bench/src/peer.rs):

    {"peer": "onnxruntime", "version": "1.32.0", "python": "3.11.7", ...}
    {"name": "4-8-2", "dims": [4, 8, 2], "batch": 1, "kind": "fp32", "ns_per_row": 5712.4}
    {"name": "4-8-2", "dims": [4, 8, 2], "batch": 1, "kind": "int8", "ns_per_row": 9301.0}
    ...

or, where numpy, onnx or onnxruntime cannot be imported, the one line

    {"unavailable": "No module named 'onnxruntime'"}

and exit status 3. Exit status 2 for a malformed command line, 1 for any other failure.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time

UNAVAILABLE = 3


def parse_case(text):
    """NAME=D0,D1,...@B1,B2 -> (name, [dims], [batches]); ValueError if malformed."""
    name, sep, rest = text.partition("=")
    dims_text, sep2, batches_text = rest.partition("@")
    if not name or not sep or not sep2:
        raise ValueError(f"case '{text}': want NAME=D0,D1,...@B1,B2")
    try:
        dims = [int(d) for d in dims_text.split(",")]
        batches = [int(b) for b in batches_text.split(",")]
    except ValueError:
        raise ValueError(f"case '{text}': widths and batches are whole numbers") from None
    if len(dims) < 2 or min(dims) < 1 or not batches or min(batches) < 1:
        raise ValueError(f"case '{text}': at least two widths, and widths and batches above 0")
    return name, dims, batches


def median_ns(call, runs, min_ns, clock=time.perf_counter_ns):
    """Nanoseconds per call of `call`: the median of `runs` runs of at least `min_ns`
    each, the calls per run calibrated first (as nn-bench's median_ns)."""
    reps = 1
    while True:
        t = clock()
        for _ in range(reps):
            call()
        if clock() - t >= min_ns / 4:
            break
        reps *= 2
    reps *= 4
    samples = []
    for _ in range(runs):
        t = clock()
        for _ in range(reps):
            call()
        samples.append((clock() - t) / reps)
    samples.sort()
    return samples[len(samples) // 2]


def make_weights(dims, seed):
    """Fixed random weights and biases (He-scaled, so that the ReLU layers neither vanish
    nor blow up; no denormal float32 on the way)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    layers = []
    for i, o in zip(dims, dims[1:]):
        w = (rng.standard_normal((i, o)) * (2.0 / i) ** 0.5).astype(np.float32)
        b = (rng.standard_normal(o) * 0.1).astype(np.float32)
        layers.append((w, b))
    return layers


def build_model(dims, layers):
    """A float32 ONNX model: input "x" [N, D0], then MatMul + Add + Relu per layer."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    prev = "x"
    for k, (w, b) in enumerate(layers):
        inits += [numpy_helper.from_array(w, f"w{k}"), numpy_helper.from_array(b, f"b{k}")]
        out = "y" if k == len(layers) - 1 else f"h{k}"
        nodes += [
            helper.make_node("MatMul", [prev, f"w{k}"], [f"m{k}"]),
            helper.make_node("Add", [f"m{k}", f"b{k}"], [f"a{k}"]),
            helper.make_node("Relu", [f"a{k}"], [out]),
        ]
        prev = out
    graph = helper.make_graph(
        nodes, "nn_bench",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", dims[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", dims[-1]])],
        inits)
    # Opset 17 and IR 8: what onnxruntime 1.15 and later all load.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="nn-bench peer.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def reference(x, layers):
    """The float model in numpy (float32 as onnxruntime computes it)."""
    import numpy as np

    for w, b in layers:
        x = np.maximum(x @ w + b, np.float32(0))
    return x


def session(path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def run(args):
    try:
        import numpy as np
        import onnx
        import onnxruntime as ort
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as e:
        print(json.dumps({"unavailable": str(e)}), flush=True)
        return UNAVAILABLE

    import logging
    logging.getLogger().setLevel(logging.ERROR)
    ort.set_default_logger_severity(3)
    print(json.dumps({
        "peer": "onnxruntime",
        "version": ort.__version__,
        "onnx": onnx.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "provider": "CPUExecutionProvider",
        "threads": 1,
        "runs": args.runs,
        "min_ms": args.min_ms,
    }), flush=True)
    min_ns = args.min_ms * 1_000_000
    with tempfile.TemporaryDirectory(prefix="nn-bench-peer-") as tmp:
        for n, (name, dims, batches) in enumerate(args.cases):
            layers = make_weights(dims, args.seed + n)
            fp32 = os.path.join(tmp, f"{n}-fp32.onnx")
            int8 = os.path.join(tmp, f"{n}-int8.onnx")
            onnx.save(build_model(dims, layers), fp32)
            quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8)
            rng = np.random.default_rng(args.seed + 1000 + n)
            for kind, path in (("fp32", fp32), ("int8", int8)):
                sess = session(path)
                for batch in batches:
                    x = rng.uniform(-1, 1, (batch, dims[0])).astype(np.float32)
                    feed = {"x": x}
                    y = sess.run(None, feed)[0]
                    if y.shape != (batch, dims[-1]):
                        raise RuntimeError(f"{name} {kind}: output shape {y.shape}")
                    if kind == "fp32" and not np.allclose(y, reference(x, layers),
                                                          rtol=1e-3, atol=1e-4):
                        raise RuntimeError(f"{name}: onnxruntime and numpy disagree")
                    for _ in range(10):
                        sess.run(None, feed)
                    ns = median_ns(lambda: sess.run(None, feed), args.runs, min_ns)
                    print(json.dumps({"name": name, "dims": dims, "batch": batch,
                                      "kind": kind, "ns_per_row": round(ns / batch, 1)}),
                          flush=True)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=15, help="timed runs per figure (median)")
    p.add_argument("--min-ms", type=int, default=20, help="least time of one timed run")
    p.add_argument("--seed", type=int, default=0xbe4c, help="seed of weights and inputs")
    p.add_argument("cases", nargs="+", metavar="CASE", help="NAME=D0,D1,...@B1,B2")
    args = p.parse_args(argv)
    try:
        args.cases = [parse_case(c) for c in args.cases]
    except ValueError as e:
        p.error(str(e))
    if args.runs < 1 or args.min_ms < 0:
        p.error("--runs above 0, --min-ms not below 0")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
