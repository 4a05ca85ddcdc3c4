#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Train a small MLP on scikit-learn's digits and export it for nnctl.

Usage: train_digits.py OUTDIR

The data set is sklearn.datasets.load_digits() (1797 8x8 images, shipped with
scikit-learn: nothing is downloaded). Pixels (0..16) are divided by 16, so the inputs
are in [0, 1] and exact in binary. A stratified split (seed 0) keeps 25% for testing;
an MLPClassifier (one hidden layer of 64 relu units, random_state 0) is trained on the
rest and exported with skl2onnx (zipmap off). Writes to OUTDIR:

  digits.onnx                 the float model
  digits-calib.csv            the training inputs, one comma-separated row per line
  digits-test.txt             the test inputs, space-separated, one vector per line,
                              exactly as the module's predict file receives them
  digits-labels.txt           the test labels, one per line
  digits-float-pred.txt       the float model's predicted class per test row
  digits-float-accuracy.txt   "CORRECT TOTAL PERCENT" of the float model on the test rows

The exported graph is checked against scikit-learn with onnx's reference evaluator.
Everything is deterministic: the same versions give the same files.
"""

import os
import sys

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

SEED = 0
HIDDEN = (64,)


def fmt(v):
    """The shortest decimal that reads back as the same float ("0", "0.5625", "1")."""
    return np.format_float_positional(float(v), trim="-")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: train_digits.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, stratify=y, random_state=SEED
    )

    clf = MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        activation="relu",
        alpha=1e-4,
        max_iter=1000,
        random_state=SEED,
    )
    clf.fit(x_train, y_train)
    pred = clf.predict(x_test)
    correct = int((pred == y_test).sum())
    total = len(y_test)

    model = to_onnx(
        clf,
        x_train[:1],
        options={id(clf): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    onnx.checker.check_model(model)
    path = os.path.join(out, "digits.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())

    # The exported graph must predict what scikit-learn predicts.
    sess = ReferenceEvaluator(model)
    label, proba = sess.run(None, {model.graph.input[0].name: x_test})
    if not np.array_equal(np.asarray(label).ravel(), pred) or not np.allclose(
        proba, clf.predict_proba(x_test), atol=1e-5
    ):
        sys.exit("train_digits.py: the ONNX graph disagrees with scikit-learn")

    with open(os.path.join(out, "digits-calib.csv"), "w") as f:
        for row in x_train:
            f.write(",".join(fmt(v) for v in row) + "\n")
    with open(os.path.join(out, "digits-test.txt"), "w") as f:
        for row in x_test:
            f.write(" ".join(fmt(v) for v in row) + "\n")
    with open(os.path.join(out, "digits-labels.txt"), "w") as f:
        f.writelines(f"{int(v)}\n" for v in y_test)
    with open(os.path.join(out, "digits-float-pred.txt"), "w") as f:
        f.writelines(f"{int(v)}\n" for v in pred)
    with open(os.path.join(out, "digits-float-accuracy.txt"), "w") as f:
        f.write(f"{correct} {total} {100.0 * correct / total:.2f}\n")

    print(
        f"train_digits.py: {len(x_train)} training rows, {total} test rows, "
        f"hidden {HIDDEN}, {clf.n_iter_} iterations; float accuracy "
        f"{correct}/{total} = {100.0 * correct / total:.2f}%"
    )


if __name__ == "__main__":
    main()
