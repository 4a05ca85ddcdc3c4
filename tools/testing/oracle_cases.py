# SPDX-License-Identifier: GPL-2.0
"""The oracle's edge cases (oracle.py cases): models and inputs built to reach every
saturation and rounding edge of fixed-point.rst's arithmetic and nnctl.rst's decimal
text, written in the model format by oracle.encode_model. Deterministic: the same files
every run. tools/testing/test_oracle.py runs them all through the oracle and `nnctl
eval`; tools/testing/guest-data puts the guest's share of them (the ones not marked
host-only) in build/guest/data, where 62-bit-identical runs them through the module."""

import decimal
import fractions
import math

import numpy as np

from oracle import (ACTIVATIONS, I16_MAX, I16_MIN, I32_MAX, I32_MIN, MAX_MULT, MAX_SHIFT,
                    Layer, Model, format_q)


def _layer(w, b, act, out_frac, shift, mult):
    w = np.asarray(w, np.int64)
    return Layer(w.shape[1], w.shape[0], act, out_frac, shift, mult, w,
                 np.asarray(b, np.int64))


def _identity(n, act, out_frac, shift=0, mult=1):
    """A layer whose output j is requant(x_j): z = x exactly at shift 0 and mult 1."""
    return _layer(np.eye(n, dtype=np.int64), np.zeros(n), act, out_frac, shift, mult)


def _sweep_rows(width=256):
    """Every i16, as rows of `width` integers."""
    return np.arange(I16_MIN, I16_MAX + 1, dtype=np.int64).reshape(-1, width)


def _line(values, frac=0):
    return " ".join(format_q(v, frac) for v in values)


def _dyadic_text(fr):
    """A Fraction whose denominator is a power of two, as an exact decimal."""
    ctx = decimal.Context(prec=120, traps=[decimal.Inexact])
    return format(ctx.divide(fr.numerator, fr.denominator), "f")


# Row 0 of a tie model: 8 inputs at -32768, so acc = -32768 * sum(w) + b reaches any
# target below 8 * 32767 * 32768 + 2^31 in magnitude.
TIE_INPUTS = 8
TIE_LIMIT = TIE_INPUTS * 32767 * 32768 + I32_MAX - 32768
TIE_HALVES = [fractions.Fraction(2 * k + 1, 2) for k in
              (0, 1, 2, 32766, 32767, 40000, -1, -2, -3, -32768, -32769, -32770, -40001)]


def _tie_model(shift, mult):
    """One layer at (shift, mult) whose outputs, for row 0, are three accumulators
    around each value of acc * mult / 2^shift in TIE_HALVES (x.5: exact ties where the
    shift and mult allow, the nearest integers otherwise), both signs, the i16 ends."""
    accs = set()
    for h in TIE_HALVES:
        a = h * (1 << shift) / mult
        for t in {math.floor(a), math.ceil(a)}:
            for d in (-1, 0, 1):
                if abs(t + d) <= TIE_LIMIT:
                    accs.add(t + d)
    w, b = [], []
    for acc in sorted(accs):
        total = -round(fractions.Fraction(acc, 32768))   # sum(w): -32768 * total ~ acc
        total = max(-TIE_INPUTS * 32767, min(TIE_INPUTS * 32767, total))
        q, r = divmod(total, TIE_INPUTS)
        w.append([q + 1] * r + [q] * (TIE_INPUTS - r))
        b.append(acc + 32768 * total)
        assert I32_MIN <= b[-1] <= I32_MAX
    model = Model(0, TIE_INPUTS, [_layer(w, b, "linear", 0, shift, mult)])
    rows = [[I16_MIN] * TIE_INPUTS, [0] * TIE_INPUTS, [I16_MAX] * TIE_INPUTS,
            [1] * TIE_INPUTS, [-1, 1] * (TIE_INPUTS // 2)]
    return model, [_line(r) for r in rows]


def edge_cases():
    """Models and input lines built to reach each saturation and rounding edge of the
    documented arithmetic: yields (name, Model, [input line, ...], guest), `guest`
    false for the host-only ones (sweeps the guest's time budget cannot afford)."""
    sweep = _sweep_rows()

    # 1. Every i16 as a Q3.12 z through sigmoid and tanh: every table point and every
    #    position between two, both signs, -8 (z = -32768), 0.
    for act in ("sigmoid", "tanh"):
        yield f"act-{act}", Model(0, 256, [_identity(256, act, 15)]), \
            [_line(r) for r in sweep], True

    # 2. z = round(x / 2) for every i16 x: every tie of shift 1, both signs, through
    #    every activation (relu's breakpoint at 0, the squashes' at each table point).
    for act in ACTIVATIONS:
        frac = 15 if act in ("sigmoid", "tanh") else 0
        yield f"half-{act}", Model(0, 256, [_identity(256, act, frac, 1)]), \
            [_line(r) for r in sweep], True

    # 3. Every i16 written at every out_frac (the output text; class ties among equal
    #    values do not occur here, see 6).
    for f in range(16):
        yield f"outfrac{f:02d}", Model(0, 256, [_identity(256, "linear", f)]), \
            [_line(r) for r in sweep], f in (0, 15)

    # 4. Requantization ties at every shift 0..47: mult 1 (2^(shift-32) above 32, for
    #    the ties to stay reachable), and 2^15 and 65535 (no exact ties: the integers
    #    either side of x.5) at a few shifts.
    guest_shifts = (0, 1, 2, 15, 16, 31, 32, 33, 46, 47)
    for s in range(48):
        yield f"tie-s{s:02d}-m1", *_tie_model(s, 1 if s <= 32 else 1 << (s - 32)), \
            s in guest_shifts
    for s in (16, 24, 31, 32, 33, 40, 46, 47):
        yield f"tie-s{s:02d}-m32768", *_tie_model(s, 1 << 15), s in guest_shifts
    for s in (0, 1, 15, 16, 31, 32, 33, 47):
        yield f"tie-s{s:02d}-m65535", *_tie_model(s, MAX_MULT), s in guest_shifts

    # 5. The largest layer (4096 inputs), every weight +-32767, inputs at the i16 ends,
    #    biases at the i32 ends: |acc| up to 2^42 + 2^31, acc * 65535 near 2^58; and
    #    (1, 27): 4096 * 32767 * 32768 / 2^27 = 32767 exactly, (1, 28): 16383.5, a tie.
    n = 4096
    alt = np.where(np.arange(n) % 2 == 0, 1, -1)
    w = np.stack([np.full(n, 32767), np.full(n, -32767), 32767 * alt, np.ones(n),
                  np.full(n, 32767), np.full(n, -32767)])
    b = [I32_MAX, I32_MIN, 0, 0, I32_MIN, I32_MAX]
    rows = [np.full(n, I16_MAX), np.full(n, I16_MIN), alt * I16_MAX,
            np.where(alt > 0, I16_MIN, I16_MAX), np.zeros(n, np.int64),
            np.random.default_rng(22).integers(I16_MIN, I16_MAX + 1, n)]
    lines = [_line(r) for r in rows]
    for mult, shift in ((MAX_MULT, MAX_SHIFT), (MAX_MULT, 0), (1, 27), (1, 28), (3, 29)):
        yield f"wide-m{mult}-s{shift}-linear", \
            Model(0, n, [_layer(w, b, "linear", 7, shift, mult)]), lines, True
    for mult, shift in ((MAX_MULT, 0), (1, 28)):
        for act in ("relu", "sigmoid", "tanh"):
            frac = 15 if act != "relu" else 7
            yield f"wide-m{mult}-s{shift}-{act}", \
                Model(0, n, [_layer(w, b, act, frac, shift, mult)]), lines, True

    # 6. The input text: the format's ends, half an LSB beyond them (saturated or not:
    #    -32768.5 LSB rounds to -32768), far beyond, ties of the input rounding both
    #    signs and values 2^-40 LSB either side, assorted spellings; identity layers
    #    print q back. Two equal largest outputs: class is the first.
    for in_frac in (0, 1, 8, 12, 14, 15):
        lsb = fractions.Fraction(1, 1 << in_frac)
        lo, hi, e = I16_MIN * lsb, I16_MAX * lsb, lsb / 2 ** 40
        vals = [lo, hi, lo - lsb / 2, hi + lsb / 2, lo - 1000, hi + 1000, lsb / 2,
                -lsb / 2, 3 * lsb / 2, -3 * lsb / 2, lsb / 2 - e, -lsb / 2 - e,
                hi + lsb / 2 - e, lo - lsb / 2 + e, lo - lsb / 2 - e, 0]
        spelt = [_dyadic_text(v) for v in vals]
        lines = [" ".join(spelt), " ".join(reversed(spelt)),
                 " ".join(["+.5", "5.", "-0", "+0.000", "007.50", "-0000.5", "1", "-1",
                           "0.49999999999999999999999999999999999999", "-.5",
                           "0.50000000000000000000000000000000000001", "+1.",
                           "-0.5000000000000000000000000000000000000001", ".0", "0.",
                           "-00"]),
                 " ".join(["3"] * 16), " ".join(["-1", "2", "-3", "2"] * 4)]
        yield f"inputs-frac{in_frac:02d}", \
            Model(in_frac, 16, [_identity(16, "linear", in_frac)]), lines, True

    # 7. Deep and saturating: 16 layers, every activation in turn, large weights (a fifth
    #    at each end), biases anywhere in i32, random formats, mult and shift: outputs
    #    pinned at the ends and released again.
    for seed in range(4):
        r = np.random.default_rng(100 + seed)
        dims = [int(v) for v in r.integers(1, 24, 17)]
        layers = []
        for i in range(16):
            act = ACTIVATIONS[(i + seed) % 4]
            frac = 15 if act in ("sigmoid", "tanh") else int(r.integers(0, 16))
            wl = r.integers(-32767, 32768, (dims[i + 1], dims[i]))
            wl[r.random(wl.shape) < 0.2] = 32767
            wl[r.random(wl.shape) < 0.2] = -32767
            bl = r.integers(I32_MIN, I32_MAX + 1, dims[i + 1])
            layers.append(_layer(wl, bl, act, frac, int(r.integers(0, 48)),
                                 int(r.integers(1, MAX_MULT + 1))))
        in_frac = int(r.integers(0, 16))
        xs = r.integers(I16_MIN, I16_MAX + 1, (64, dims[0]))
        xs[0], xs[1] = I16_MIN, I16_MAX
        yield f"deep{seed}", Model(in_frac, dims[0], layers), \
            [_line(x, in_frac) for x in xs], True


