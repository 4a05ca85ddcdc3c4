#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The I/O latency experiment, end to end: LinnOS's loop on a stock kernel.

usage: experiment.py [--rounds N] [--seconds S] [--percentile P] [--no-icount]
                     [--depth D] [--out DIR] [--timeout T]

Boots a 1-node guest (tools/testing/run-vm --exchange OUT/xchg) that runs
tools/iopredict/guest.sh: a null_blk device whose latency varies, fio on it, the BPF
predictor attached to the block tracepoints, asking a neural_network network about
every I/O. While the guest runs, this side trains: after each round it reads the
round's records (every I/O's LinnOS features, the network's answer, the real latency),
trains an MLP (scikit-learn, LinnOS's 31-256-2) on every round so far, exports it
(skl2onnx), compiles it (nnctl compile --input-frac 11 --output-frac 9: the formats of
every model, as a replacement must keep them) and hands it to the guest, which
swaps it into the serving network (nnctl replace) while the I/O runs. Round r >= 1 is
served by the model trained on rounds 0..r-1, and is scored against:

- the real latencies: an I/O is slow when its latency is above the P-th percentile
  (default 90) of round 0's reads, a threshold fixed once;
- the heuristic "slow if more than K I/Os are pending at arrival", K the best on the
  same training rounds (the heuristic gets the same data as the model);
- "always fast", the accuracy of saying nothing.

Reads are scored (LinnOS predicts reads; the neighbour's writes are predicted too and
counted apart). The model's answers are the kernel's own, as the records carry them;
the float model's answers on the same rows are given beside them (how often the 16-bit
kernel and the float model agree).

Writes OUT/results.md (the table, printed too), OUT/results.json and keeps
OUT/xchg (the records, the models, the guest's log). Exit status 0 when the guest ran
every round and unloaded cleanly, 1 otherwise.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
RUN_VM = REPO / "tools" / "testing" / "run-vm"
NNCTL = REPO / "target" / "release" / "nnctl"

HISTORY = 4
INPUT_FRAC = 11
# Every model's output format: `nnctl replace` keeps the serving network's formats.
OUTPUT_FRAC = 9
HIDDEN = (256,)
EAGAIN = -11
COLUMNS = (["latency_ns", "pending"] + [f"lat{k}" for k in range(1, HISTORY + 1)]
           + [f"pend{k}" for k in range(1, HISTORY + 1)]
           + ["ret", "predicted", "write", "bytes", "out0", "out1", "arrival_ns"])


def log(msg):
    print(f"experiment: {msg}", file=sys.stderr, flush=True)


def read_records(path):
    """The records of one round as a dict of numpy columns."""
    rows = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    if rows.shape[0] and rows.shape[1] != len(COLUMNS):
        raise ValueError(f"{path}: {rows.shape[1]} columns, want {len(COLUMNS)}")
    if not rows.shape[0]:
        rows = np.zeros((0, len(COLUMNS)), dtype=np.int64)
    return {c: rows[:, i] for i, c in enumerate(COLUMNS)}


def digits(v, n):
    """v (capped at 10^n - 1) as n decimal digits, most significant first: LinnOS's
    encoding, as iopredict.bpf.c's put_digits makes it."""
    v = np.minimum(v, 10 ** n - 1)
    return np.stack([(v // 10 ** (n - 1 - d)) % 10 for d in range(n)], axis=1)


def features(rec):
    """The 31 inputs the BPF program gives the network, in its order, as floats."""
    parts = [digits(rec["pending"], 3)]
    parts += [digits(rec[f"lat{k}"], 4) for k in range(1, HISTORY + 1)]
    parts += [digits(rec[f"pend{k}"], 3) for k in range(1, HISTORY + 1)]
    return np.concatenate(parts, axis=1).astype(np.float32)


def merge(recs):
    return {c: np.concatenate([r[c] for r in recs]) for c in COLUMNS}


def best_k(pending, slow):
    """The K for which "slow if pending > K" is right most often on these rows."""
    best, best_acc = 0, -1.0
    for k in range(0, int(pending.max(initial=0)) + 2):
        acc = float(np.mean((pending > k) == slow))
        if acc > best_acc:
            best, best_acc = k, acc
    return best


def rates(pred, slow):
    """Accuracy, false-positive rate (fast I/Os called slow, of the fast) and
    false-negative rate (slow I/Os called fast, of the slow), in percent."""
    pred, slow = np.asarray(pred, bool), np.asarray(slow, bool)
    n, pos, neg = len(slow), int(slow.sum()), int((~slow).sum())
    acc = 100.0 * np.mean(pred == slow) if n else float("nan")
    fpr = 100.0 * np.sum(pred & ~slow) / neg if neg else float("nan")
    fnr = 100.0 * np.sum(~pred & slow) / pos if pos else float("nan")
    return {"accuracy": acc, "fpr": fpr, "fnr": fnr}


def to_onnx_two_outputs(clf):
    """The binary classifier as a chain nnctl compiles, with two outputs (fast, slow).

    scikit-learn's binary MLP ends in one logit z (slow when z > 0); skl2onnx builds its
    two probabilities with a branch (1 - p beside p), which is not a chain. Here the last
    layer gives -z/2 and z/2 instead: the slow output is larger exactly when z > 0, as
    the BPF program asks (out[1] > out[0])."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    (w1, w2), (b1, b2) = clf.coefs_, clf.intercepts_
    w2 = np.concatenate([-w2 / 2, w2 / 2], axis=1)
    b2 = np.concatenate([-b2 / 2, b2 / 2])
    inits = [numpy_helper.from_array(a.astype(np.float32), name)
             for a, name in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h0"]),
             helper.make_node("Add", ["h0", "b1"], ["h1"]),
             helper.make_node("Relu", ["h1"], ["h2"]),
             helper.make_node("MatMul", ["h2", "w2"], ["y0"]),
             helper.make_node("Add", ["y0", "b2"], ["y"])]
    graph = helper.make_graph(
        nodes, "iopredict", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, w1.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


def train(x, y, out, r):
    """Trains model r on (x, y), exports and compiles it to out/model-r.nnm; the float
    classifier."""
    from sklearn.neural_network import MLPClassifier

    # Regularized and stopped early on a tenth of the rows held out: measured on the
    # first runs, the latency-history digits otherwise overfit the rounds trained on
    # (94% right there, 86% on the next round; stopped early, 88% and 90%), and
    # training takes a second or two instead of tens.
    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", alpha=0.1,
                        max_iter=200, early_stopping=True, random_state=r)
    with warnings.catch_warnings():
        # Not converged in max_iter: the model is used as it is, and scored.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    onnx_path = out / f"model-{r}.onnx"
    onnx_path.write_bytes(to_onnx_two_outputs(clf).SerializeToString())
    calib = out / f"calib-{r}.csv"
    np.savetxt(calib, x[:2000], delimiter=",", fmt="%g")
    nnm = out / f"model-{r}.nnm"
    report = subprocess.run([str(NNCTL), "compile", str(onnx_path), "-o", str(nnm),
                             "--calib", str(calib), "--input-frac", str(INPUT_FRAC),
                             "--output-frac", str(OUTPUT_FRAC)],
                            capture_output=True, text=True)
    if report.returncode:
        raise RuntimeError(f"nnctl compile: {report.stderr.strip()}")
    (out / f"compile-{r}.txt").write_text(report.stdout + report.stderr)
    return clf


def sample_lines(rec, threshold, n=4):
    """Up to n slow and n fast reads of a round: what the network said, what happened."""
    ok = (rec["write"] == 0) & (rec["ret"] == 0)
    slow = rec["latency_ns"] > threshold
    picks = list(np.flatnonzero(ok & slow)[:n]) + list(np.flatnonzero(ok & ~slow)[:n])
    lines = []
    for i in sorted(picks):
        hist = " ".join(str(rec[f"lat{k}"][i]) for k in range(1, HISTORY + 1))
        said = "slow" if rec["predicted"][i] else "fast"
        lines.append(f"  pending {rec['pending'][i]:3d}, last latencies {hist:>24} us: "
                     f"predicted {said}, took {rec['latency_ns'][i] / 1000:8.0f} us "
                     f"({'slow' if slow[i] else 'fast'})")
    return lines


def wait_for(path, proc, what):
    while not path.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"the guest ended (status {proc.returncode}) before {what}")
        time.sleep(0.2)


def summary(path):
    facts = {}
    if path.exists():
        for line in path.read_text().splitlines():
            k, _, v = line.partition(" ")
            facts[k] = v
    return facts


def bpf_cost(facts, prefix):
    """(runs, ns per run) of the on_queue program from the loader's --stats line."""
    v = facts.get(f"{prefix}_on_queue", "").split()
    # "runs N ns T"
    if len(v) == 4 and v[0] == "runs" and v[2] == "ns" and int(v[1]):
        return int(v[1]), int(v[3]) / int(v[1])
    return 0, float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="rounds of I/O (at least 2)")
    ap.add_argument("--seconds", type=float, default=15,
                    help="seconds of I/O a round (default 15; the cost phase after the "
                         "rounds takes this long too, at most 5 s)")
    ap.add_argument("--percentile", type=float, default=90,
                    help="slow: above this percentile of round 0's read latencies")
    ap.add_argument("--icount", action=argparse.BooleanOptionalAction, default=True,
                    help="the guest under qemu -icount, time counting instructions (the "
                         "default; --no-icount: the emulator's wall time)")
    ap.add_argument("--depth", type=int, default=8,
                    help="the tags the two null_blk devices share (default 8)")
    ap.add_argument("--out", type=pathlib.Path, default=REPO / "build" / "iopredict")
    ap.add_argument("--timeout", type=int, default=1800, help="the guest's limit, seconds")
    args = ap.parse_args()
    if args.rounds < 2:
        ap.error("--rounds: at least 2 (round 0 collects, round 1 is the first scored)")
    if not NNCTL.exists():
        sys.exit(f"experiment: no {NNCTL}: make nnctl")

    out = args.out
    xchg = out / "xchg"
    if xchg.exists():
        for p in xchg.iterdir():
            p.unlink()
    xchg.mkdir(parents=True, exist_ok=True)
    # Model 0, served until the first trained one: random weights of the same shape and
    # formats (its answers are not scored).
    subprocess.run([str(NNCTL), "random", "--seed", "1", "--dims", f"31,{HIDDEN[0]},2",
                    "--activations", "relu,linear", "--input-frac", str(INPUT_FRAC),
                    "--output-frac", str(OUTPUT_FRAC), "-o", str(xchg / "model-0.nnm")],
                   check=True)
    # null_blk.hw_queue_depth: the tags the two devices share (guest.sh, DEVICE).
    vm = [str(RUN_VM), "--nodes", "1", "--cpus", "2", "--mem-per-node", "512",
          "--timeout", str(args.timeout), "--exchange", str(xchg),
          "--append", f"null_blk.hw_queue_depth={args.depth}"]
    if args.icount:
        vm.append("--icount")
    vm += ["--", f"bash /nn/tools/iopredict/guest.sh {args.rounds} {args.seconds:g}"]
    # The module, the loader and the BPF program for the guest (their reports are
    # shown only if the build fails); run-vm then boots without building.
    build = subprocess.run(["make", "-s", "-C", str(REPO), "guest"], capture_output=True, text=True)
    if build.returncode:
        sys.stderr.write(build.stdout + build.stderr)
        sys.exit("experiment: make guest failed")
    vm.insert(1, "--no-build")
    log(f"booting the guest: {args.rounds} rounds of {args.seconds:g} s"
        f"{' under -icount' if args.icount else ''}")
    proc = subprocess.Popen(vm)

    recs, models, threshold = [], [], None
    try:
        for r in range(args.rounds):
            wait_for(xchg / f"records-{r}.ready", proc, f"round {r}'s records")
            rec = read_records(xchg / f"records-{r}.csv")
            recs.append(rec)
            if threshold is None:
                reads = rec["latency_ns"][rec["write"] == 0]
                if len(reads) < 50:
                    raise RuntimeError(f"round 0 has {len(reads)} reads: too few to learn from")
                threshold = int(np.percentile(reads, args.percentile))
                log(f"slow: above {threshold / 1000:.0f} us (p{args.percentile:g} of round 0's reads)")
            if r == args.rounds - 1:
                break
            data = merge(recs)
            x, y = features(data), data["latency_ns"] > threshold
            if y.all() or not y.any():
                raise RuntimeError("the training rows are all of one class")
            t0 = time.monotonic()
            models.append(train(x, y, xchg, r + 1))
            (xchg / f"model-{r + 1}.ready").touch()
            log(f"model {r + 1}: trained on {len(y)} I/Os ({100 * y.mean():.1f}% slow) "
                f"and compiled in {time.monotonic() - t0:.1f} s")
    except Exception as e:  # noqa: BLE001: any failure here is reported to the guest
        (xchg / "host-failed").write_text(f"{e}\n")
        log(f"FAILED: {e}")
        proc.wait()
        return 1
    status = proc.wait()
    facts = summary(xchg / "summary.txt")
    if status or facts.get("done") != "1":
        log(f"the guest failed (status {status}): {facts.get('failed', 'see its output')}")
        return 1

    # Scoring: round r >= 1, served by model r (trained on rounds < r).
    rows, table = [], []
    for r in range(1, args.rounds):
        rec = recs[r]
        reads = rec["write"] == 0
        ok = rec["ret"] == 0
        train_data = merge(recs[:r])
        train_reads = train_data["write"] == 0
        k = best_k(train_data["pending"][train_reads],
                   train_data["latency_ns"][train_reads] > threshold)
        sel = reads & ok
        slow = rec["latency_ns"][sel] > threshold
        kernel = rec["predicted"][sel] == 1
        heuristic = rec["pending"][sel] > k
        floatp = models[r - 1].predict(features({c: v[sel] for c, v in rec.items()})) == 1
        row = {
            "round": r,
            "ios": int(len(rec["ret"])),
            "reads": int(reads.sum()),
            "scored": int(sel.sum()),
            "eagain": int(np.sum(rec["ret"] == EAGAIN)),
            "other_errors": int(np.sum((rec["ret"] != 0) & (rec["ret"] != EAGAIN))),
            "slow_percent": 100.0 * float(slow.mean()) if len(slow) else float("nan"),
            "model": rates(kernel, slow),
            "k": k,
            "heuristic": rates(heuristic, slow),
            "always_fast": rates(np.zeros_like(slow), slow),
            "kernel_float_agree": 100.0 * float(np.mean(kernel == floatp)) if len(slow) else float("nan"),
            "model_writes": rates(rec["predicted"][~reads & ok] == 1,
                                  rec["latency_ns"][~reads & ok] > threshold),
        }
        rows.append(row)

    def pct(v):
        return "-" if v != v else f"{v:.1f}"

    table.append(f"Slow: a read above {threshold / 1000:.0f} us (p{args.percentile:g} of round 0's reads). "
                 f"Accuracy, false positives (of the fast reads) and false negatives (of the slow), in percent.")
    table.append("")
    table.append("| round | reads scored | slow % | model acc | FP | FN | K | pending > K acc | FP | FN "
                 "| always fast acc | kernel = float % | EAGAIN |")
    table.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for w in rows:
        m, h = w["model"], w["heuristic"]
        table.append(f"| {w['round']} | {w['scored']} | {pct(w['slow_percent'])} | {pct(m['accuracy'])} "
                     f"| {pct(m['fpr'])} | {pct(m['fnr'])} | {w['k']} | {pct(h['accuracy'])} "
                     f"| {pct(h['fpr'])} | {pct(h['fnr'])} | {pct(w['always_fast']['accuracy'])} "
                     f"| {pct(w['kernel_float_agree'])} | {w['eagain']} |")
    runs_p, ns_p = bpf_cost(facts, "predict")
    runs_n, ns_n = bpf_cost(facts, "nopredict")
    unit = "instructions" if args.icount else "ns (emulated: not CPU time; --icount counts instructions)"
    table.append("")
    table.append(f"The hook at I/O arrival (on_queue), per call: {ns_p:,.0f} {unit} with the prediction "
                 f"({runs_p} calls), {ns_n:,.0f} without ({runs_n} calls): the prediction costs "
                 f"{ns_p - ns_n:,.0f}.")
    table.append(f"Models swapped in while the I/O ran: {facts.get('replacements', '?')}; I/Os completed "
                 f"during training (served by the previous model, not scored): "
                 f"{facts.get('during_training', '?')}.")
    table.append("")
    table.append(f"Some reads of round {args.rounds - 1} (the kernel's answer, then the truth):")
    table += sample_lines(recs[-1], threshold)
    text = "\n".join(table) + "\n"
    print(text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(text)
    (out / "results.json").write_text(json.dumps({
        "threshold_ns": threshold, "percentile": args.percentile, "icount": args.icount,
        "rounds": rows, "facts": facts,
        "hook_ns_per_call": {"predict": ns_p, "no_predict": ns_n},
    }, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
