#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An independent oracle of neural_network's inference: the model format, the input and
output text and the fixed-point forward pass, written a second time, in Python and
numpy's integer arithmetic, from the documentation alone (fixed-point.rst,
model-format.rst and nnctl.rst's "Decimal text"), not from rust/.

    oracle.py eval MODEL INPUTS [--strict]     what `nnctl eval` prints, computed here
    oracle.py compare MODEL INPUTS EXPECTED... the oracle's lines against files
    oracle.py check-model MODEL...             accept or reject, with the reason
    oracle.py cases OUTDIR                     writes the edge-case models and inputs
    oracle.py float MODEL INPUTS... [--onnx F] the fixed-point outputs against real
                                               arithmetic, within the documented bound
    oracle.py activation-error                 the tables' error against exp/tanh

Every step of the exact path is integer arithmetic (Python ints, numpy int64 where the
documentation bounds the values well inside it); the only real numbers are in the
activation tables' construction (decimal, 60 digits) and in the `float` command.

Where the documentation left something to guess, the guess is marked "DOC:"; each was
then checked against nnctl and the documentation fixed (testing.rst, "Independent
oracle", lists them).
"""

import argparse
import dataclasses
import decimal
import fractions
import math
import pathlib
import re
import struct
import sys
import zlib

import numpy as np

# --- model-format.rst -------------------------------------------------------------------

MAGIC = b"NNMF"
VERSIONS = (1, 2)
HEADER = struct.Struct("<4sHHHBBII12s")   # magic version header_len n_layers input_frac
                                          # flags input_dim total_len reserved
LAYER = struct.Struct("<IIBBBBI")         # inputs outputs activation out_frac shift
                                          # reserved mult
LAYER2 = struct.Struct("<BBH")            # version 2 only: format in_shift reserved
FORMATS = ("16x16", "16x8", "8x8")        # fixed-point.rst, "Layer formats"
MAX_IN_SHIFT = 15
CHECKSUM = struct.Struct("<I")
MAX_LAYERS = 16
MAX_DIM = 4096
MAX_BLOB = 128 << 20
MAX_FRAC = 15
MAX_SHIFT = 47
MAX_MULT = 65535
ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")
I16_MIN, I16_MAX = -(1 << 15), (1 << 15) - 1
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1
WEIGHT_MIN = -32767                       # -32768 is refused (fixed-point.rst, "Values")
I8_MIN, I8_MAX = -128, 127                # -128 is refused as an 8-bit weight
SQUASH_IN_FRAC = 12                       # sigmoid and tanh read Q3.12 ...
SQUASH_OUT_FRAC = 15                      # ... and write Q0.15


class ModelError(ValueError):
    """A blob the parser must reject: `kind` names which check of model-format.rst's
    "Checks" refused it (truncated, too long, magic, version, header length, layers,
    dimension, frac, reserved, length, inputs, activation, requant, format, payload, weight,
    checksum), the message says more."""

    def __init__(self, kind, detail):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclasses.dataclass
class Layer:
    inputs: int
    outputs: int
    activation: str
    out_frac: int
    shift: int
    mult: int
    weights: np.ndarray      # int64, (outputs, inputs), row-major as in the blob
    biases: np.ndarray       # int64, (outputs,)
    format: str = "16x16"    # fixed-point.rst, "Layer formats"
    in_shift: int = 0        # 8x8: the shift that narrows each input

    @property
    def pre_frac(self):
        """The fractional bits of the requantized value z (before the activation)."""
        return SQUASH_IN_FRAC if self.activation in ("sigmoid", "tanh") else self.out_frac


@dataclasses.dataclass
class Model:
    input_frac: int
    input_dim: int
    layers: list

    @property
    def output_frac(self):
        return self.layers[-1].out_frac


def parse_model(blob):
    """Parses and checks a .nnm blob (model-format.rst, "Layout" and "Checks", in the
    order the latter lists them: the first failing check names the reason).

    DOC: model-format.rst listed the checks but not their order; the guess (the table's
    size before total_len) named truncated-in-table.nnm otherwise than the module's
    parser, and the documentation now gives the order."""
    n = len(blob)
    if n > MAX_BLOB:
        raise ModelError("too long", f"longer than 128 MiB ({n} bytes)")
    if n < HEADER.size + CHECKSUM.size:
        raise ModelError("truncated", "shorter than a header and a checksum")
    magic, version, header_len, n_layers, input_frac, flags, input_dim, total_len, \
        reserved = HEADER.unpack_from(blob, 0)
    if magic != MAGIC:
        raise ModelError("magic", "not NNMF")
    if version not in VERSIONS:
        raise ModelError("version", f"version {version}")
    entry = LAYER.size + (LAYER2.size if version == 2 else 0)
    if header_len != HEADER.size:
        raise ModelError("header length", f"header length {header_len}")
    if not 1 <= n_layers <= MAX_LAYERS:
        raise ModelError("layers", f"{n_layers} layers")
    if input_frac > MAX_FRAC:
        raise ModelError("frac", f"input_frac {input_frac}")
    if flags or any(reserved):
        raise ModelError("reserved", "a reserved header byte is not zero")
    if not 1 <= input_dim <= MAX_DIM:
        raise ModelError("dimension", f"input_dim {input_dim}")
    if total_len != n:
        raise ModelError("length", f"total_len {total_len}, blob {n} bytes")
    table_end = HEADER.size + entry * n_layers
    if n < table_end + CHECKSUM.size:
        raise ModelError("truncated", "shorter than its layer table and a checksum")

    entries, end, prev = [], table_end, input_dim
    for i in range(n_layers):
        at = HEADER.size + entry * i
        inputs, outputs, act, out_frac, shift, res, mult = LAYER.unpack_from(blob, at)
        if not 1 <= inputs <= MAX_DIM or not 1 <= outputs <= MAX_DIM:
            raise ModelError("dimension", f"layer {i}: dimension {inputs}x{outputs}")
        if inputs != prev:
            raise ModelError("inputs", f"layer {i}: {inputs} inputs, "
                             f"the previous outputs are {prev}")
        if act >= len(ACTIVATIONS):
            raise ModelError("activation", f"layer {i}: unknown activation {act}")
        if out_frac > MAX_FRAC:
            raise ModelError("frac", f"layer {i}: out_frac {out_frac}")
        if ACTIVATIONS[act] in ("sigmoid", "tanh") and out_frac != SQUASH_OUT_FRAC:
            raise ModelError("frac", f"layer {i}: out_frac {out_frac} after "
                             f"{ACTIVATIONS[act]}")
        if res:
            raise ModelError("reserved", f"layer {i}: a reserved byte is not zero")
        if shift > MAX_SHIFT or not 1 <= mult <= MAX_MULT:
            raise ModelError("requant", f"layer {i}: mult {mult}, shift {shift}")
        fmt, in_shift, res2 = 0, 0, 0
        if version == 2:
            fmt, in_shift, res2 = LAYER2.unpack_from(blob, at + LAYER.size)
            if fmt >= len(FORMATS):
                raise ModelError("format", f"layer {i}: unknown format {fmt}")
            if in_shift > MAX_IN_SHIFT or (in_shift and FORMATS[fmt] != "8x8"):
                raise ModelError("format", f"layer {i}: in_shift {in_shift} in "
                                 f"{FORMATS[fmt]}")
            if res2:
                raise ModelError("reserved", f"layer {i}: a reserved byte is not zero")
        width = 2 if FORMATS[fmt] == "16x16" else 1
        entries.append((inputs, outputs, ACTIVATIONS[act], out_frac, shift, mult,
                        FORMATS[fmt], in_shift, width))
        end += width * inputs * outputs + 4 * outputs
        if end > n - CHECKSUM.size:
            raise ModelError("payload", f"layer {i}: its weights and biases pass the "
                             "checksum")
        prev = outputs
    if end != n - CHECKSUM.size:
        raise ModelError("payload", f"payload of {n - table_end - CHECKSUM.size} bytes, "
                         f"the table implies {end - table_end}")
    (crc,) = CHECKSUM.unpack_from(blob, end)
    if zlib.crc32(blob[:end]) != crc:
        raise ModelError("checksum", "CRC mismatch")

    layers, off = [], table_end
    for i, (inputs, outputs, act, out_frac, shift, mult, fmt, in_shift, width) in \
            enumerate(entries):
        w = np.frombuffer(blob, "<i2" if width == 2 else "i1", inputs * outputs,
                          off).astype(np.int64)
        off += width * inputs * outputs
        b = np.frombuffer(blob, "<i4", outputs, off).astype(np.int64)
        off += 4 * outputs
        if (w == (I16_MIN if width == 2 else I8_MIN)).any():
            raise ModelError("weight", f"layer {i}: a weight of "
                             f"{I16_MIN if width == 2 else I8_MIN}")
        layers.append(Layer(inputs, outputs, act, out_frac, shift, mult,
                            w.reshape(outputs, inputs), b, fmt, in_shift))
    return Model(input_frac, input_dim, layers)


def encode_model(model):
    """The .nnm blob of `model` (the inverse of parse_model, which checks the result)."""
    # Version 1 where every layer is 16x16, as nnctl writes (model-format.rst).
    version = 1 if all(ly.format == "16x16" for ly in model.layers) else 2
    body = bytearray()
    for ly in model.layers:
        body += LAYER.pack(ly.inputs, ly.outputs, ACTIVATIONS.index(ly.activation),
                           ly.out_frac, ly.shift, 0, ly.mult)
        if version == 2:
            body += LAYER2.pack(FORMATS.index(ly.format), ly.in_shift, 0)
    for ly in model.layers:
        body += np.asarray(ly.weights, "<i2" if ly.format == "16x16" else "i1").tobytes()
        body += np.asarray(ly.biases, "<i4").tobytes()
    total = HEADER.size + len(body) + CHECKSUM.size
    blob = HEADER.pack(MAGIC, version, HEADER.size, len(model.layers), model.input_frac,
                       0, model.input_dim, total, bytes(12)) + body
    blob += CHECKSUM.pack(zlib.crc32(blob))
    parse_model(blob)
    return blob


# --- nnctl.rst, "Decimal text" ----------------------------------------------------------

# [+-]? DIGITS* ('.' DIGITS*)? with at least one digit; ASCII digits only.
NUMBER = re.compile(r"[+-]?([0-9]*)(?:\.([0-9]*))?", re.ASCII)
# nnctl eval's blanks: ASCII whitespace (space, tab, CR, form feed; LF ends a line).
BLANKS = " \t\r\f"
SEPARATORS = re.compile(r"[ \t\r\f]+")


class InputError(ValueError):
    """A number or line that nnctl eval refuses; the message is the reason, as
    nnctl.rst names it."""


def parse_q(text, frac, strict=False):
    """The i16 nearest text * 2^frac, ties towards +infinity: (q, saturated?)."""
    if not text:
        raise InputError("empty number")
    m = NUMBER.fullmatch(text)
    if not m:
        raise InputError("bad character in number")   # syntax is judged first
    if not (m.group(1) or m.group(2)):
        raise InputError("no digits in number")
    if "." not in text:
        q = int(text) << frac      # an integer: exact, and the common case made fast
    else:
        # fractions.Fraction reads the (checked) decimal exactly, however many digits.
        q = math.floor(fractions.Fraction(text) * (1 << frac) + fractions.Fraction(1, 2))
    if I16_MIN <= q <= I16_MAX:
        return q, False
    if strict:
        raise InputError("number out of range for the input format")
    return (I16_MIN if q < 0 else I16_MAX), True


def input_lines(text):
    """(line number, line) of an INPUTS text worth reading: lines end at LF (a CR
    before it dropped); blank lines and those whose first non-blank is '#' skipped."""
    for no, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        rest = line.lstrip(BLANKS)
        if rest and not rest.startswith("#"):
            yield no, line


def tokens(line):
    """The numbers of a line: separated by blanks and/or commas, at most one comma
    between two numbers (nnctl.rst, nnctl eval).

    DOC: nnctl.rst said "separated by commas and/or whitespace" and "lines starting with
    #": the guess (any run of commas and Unicode whitespace one separator, '#' in the
    first column only) differed from nnctl on empty fields, vertical tabs and indented
    comments; the documentation now says what nnctl does, and so does this."""
    fields = line.split(",")
    out = []
    for field in fields:
        words = [w for w in SEPARATORS.split(field) if w]
        if len(fields) > 1 and not words:
            raise InputError("empty field between commas")
        out += words
    return out


def read_inputs(path, model, strict=False):
    """The input rows of an `nnctl eval` INPUTS file: (int64 array (rows, dim), how many
    numbers saturated)."""
    data = sys.stdin.buffer.read() if str(path) == "-" else pathlib.Path(path).read_bytes()
    # Anything but ASCII is a bad character; invalid UTF-8 is shown as U+FFFD.
    rows, clipped = [], 0
    for no, line in input_lines(data.decode("utf-8", "replace")):
        try:
            words = tokens(line)
        except InputError as e:
            raise InputError(f"{path}:{no}: {e}") from None
        row = []
        for k, word in enumerate(words, 1):
            try:
                q, sat = parse_q(word, model.input_frac, strict)
            except InputError as e:
                raise InputError(f"{path}:{no}: number {k} ('{word}'): {e}") from None
            row.append(q)
            clipped += sat
        if len(row) != model.input_dim:
            raise InputError(f"{path}:{no}: {len(row)} numbers, "
                             f"the model takes {model.input_dim}")
        rows.append(row)
    return np.array(rows, np.int64).reshape(len(rows), model.input_dim), clipped


# |q| * 5^frac < 2^15 * 5^15 < 10^16: 30 digits hold every output exactly.
OUTPUT_CONTEXT = decimal.Context(prec=30)


def format_q(q, frac):
    """q / 2^frac written exactly in its shortest form ('0', '-0.5', '3', '0.25')."""
    # q * 5^frac / 10^frac is q / 2^frac exactly; normalize() drops trailing zeros.
    d = decimal.Decimal(int(q) * 5 ** frac).scaleb(-frac, OUTPUT_CONTEXT)
    return format(d.normalize(OUTPUT_CONTEXT), "f")


def output_line(values, frac):
    """The line predict prints: the outputs, then 'class K', K the first largest."""
    words = [format_q(v, frac) for v in values]
    return " ".join(words) + f" class {int(np.argmax(values))}"


def q_name(frac):
    return f"Q{15 - frac}.{frac}"


# --- fixed-point.rst --------------------------------------------------------------------

def requantize(acc, mult, shift):
    """saturate_i16((acc * mult + 2^(shift-1)) >> shift), or saturate_i16(acc * mult)."""
    p = acc * mult                       # |acc * mult| < 2^59: exact in int64
    if shift:
        p = (p + (1 << (shift - 1))) >> shift   # numpy's >> on int64 is arithmetic
    return np.clip(p, I16_MIN, I16_MAX)


def _table(f):
    """257 points round_half_up(f(k/32) * 32768), capped at 32767, k = 0..256."""
    ctx = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP)
    pts = []
    for k in range(257):
        v = f(decimal.Decimal(k) / 32, ctx) * 32768
        pts.append(min(I16_MAX, int(v.to_integral_value(context=ctx))))
    return pts


def _sigmoid_dec(x, ctx):
    return ctx.divide(1, ctx.add(1, ctx.exp(-x)))


def _tanh_dec(x, ctx):
    e = ctx.exp(-2 * x)
    return ctx.divide(ctx.subtract(1, e), ctx.add(1, e))


SIGMOID_POINTS = _table(_sigmoid_dec)
TANH_POINTS = _table(_tanh_dec)


def squash(z, points, odd, rounding="half-up"):
    """The interpolated table at Q3.12 inputs z (any int64 array), Q0.15 out.

    DOC: fixed-point.rst said "a table of 257 points f(k/32) ... interpolated linearly"
    but not how the interpolation rounds, nor that the Q3.12 input's |z| >> 7 is the
    point and its low 7 bits the position between two points. Guessed: |z| = 128 k + r,
    f = T[k] + (T[k+1] - T[k]) * r / 128 rounded half up (as everything else), and for
    z < 0: 32768 - f (sigmoid, 1 - s(x) with 1 = 32768) or -f (tanh). Right: it is what
    the module computes, and gives the documented errors (activation-error)."""
    t = np.array(points + [points[-1]], np.int64)   # |z| = 32768 (z = -32768): T[256]
    u = np.abs(z.astype(np.int64))
    k, r = u >> 7, u & 127
    num = t[k] * 128 + (t[k + 1] - t[k]) * r
    f = (num + 64) >> 7 if rounding == "half-up" else num >> 7
    if odd:
        return np.where(z < 0, -f, f)
    return np.where(z < 0, 32768 - f, f)


def activate(z, activation):
    """The layer's output from its requantized value z."""
    if activation == "linear":
        return z
    if activation == "relu":
        return np.maximum(z, 0)
    if activation == "sigmoid":
        return squash(z, SIGMOID_POINTS, odd=False)
    return squash(z, TANH_POINTS, odd=True)


def narrow(x, s):
    """An 8x8 layer's inputs narrowed to i8 (fixed-point.rst, "Layer formats")."""
    if s > 0:
        x = (x + (1 << (s - 1))) >> s
    return np.clip(x, I8_MIN, I8_MAX)


def forward_layer(layer, x):
    """One dense layer on rows x (int64, (rows, inputs)): act(requant(W x + b))."""
    if layer.format == "8x8":
        x = narrow(x, layer.in_shift)
    # |acc| < 2^43 (fixed-point.rst): numpy's int64 matmul is exact there.
    acc = x @ layer.weights.T + layer.biases
    return activate(requantize(acc, layer.mult, layer.shift), layer.activation)


def forward(model, x):
    for layer in model.layers:
        x = forward_layer(layer, x)
    return x


def eval_lines(model, x):
    return [output_line(row, model.output_frac) for row in forward(model, x)]


# --- commands ---------------------------------------------------------------------------

def load_model(path):
    return parse_model(pathlib.Path(path).read_bytes())


def saturation_note(model, clipped):
    """nnctl eval's last stderr line when input numbers saturated (nnctl.rst)."""
    return (f"nnctl: eval: {clipped} input numbers beyond {q_name(model.input_frac)} "
            "saturated")


def cmd_eval(args):
    model = load_model(args.model)
    x, clipped = read_inputs(args.inputs, model, args.strict)
    sys.stdout.write("".join(line + "\n" for line in eval_lines(model, x)))
    if clipped:
        print(saturation_note(model, clipped), file=sys.stderr)
    return 0


def compare_one(model_path, inputs, expected):
    """The oracle's lines for (model, inputs) against the file `expected`, and its
    saturation note against `expected`'s .stderr file when there is one: (rows, the
    differences' descriptions)."""
    model = load_model(model_path)
    x, clipped = read_inputs(inputs, model)
    got = eval_lines(model, x)
    want = pathlib.Path(expected).read_text().splitlines()
    diffs = [f"row {i + 1}: oracle '{g}', expected '{w}'"
             for i, (g, w) in enumerate(zip(got, want)) if g != w]
    if len(got) != len(want):
        diffs.append(f"{len(got)} rows, {expected} has {len(want)}")
    stderr = pathlib.Path(expected).with_suffix(".stderr")
    if stderr.exists():
        note = [saturation_note(model, clipped)] if clipped else []
        if stderr.read_text().splitlines()[-1:] != note:
            diffs.append(f"saturated {clipped}, {stderr}: {stderr.read_text().strip()!r}")
    return len(got), diffs


def cmd_compare(args):
    if len(args.files) % 3:
        raise SystemExit("oracle: compare takes MODEL INPUTS EXPECTED triples")
    rows = bad = 0
    for i in range(0, len(args.files), 3):
        n, diffs = compare_one(*args.files[i:i + 3])
        rows += n
        bad += bool(diffs)
        print(f"{args.files[i]}: {n} rows, {len(diffs)} differences")
        for d in diffs[:5]:
            print(f"  {d}")
    print(f"compared {len(args.files) // 3} models, {rows} rows: "
          f"{bad} models differ")
    return 1 if bad else 0


def cmd_check_model(args):
    bad = 0
    for path in args.models:
        try:
            m = load_model(path)
            print(f"{path}: ok, {len(m.layers)} layers, {m.input_dim} inputs "
                  f"{q_name(m.input_frac)}")
        except ModelError as e:
            print(f"{path}: rejected: {e}")
            bad += 1
    return 1 if bad else 0


def cmd_cases(args):
    import oracle_cases
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for name, model, lines, guest in oracle_cases.edge_cases():
        if args.guest and not guest:
            continue
        (out / f"edge-{name}.nnm").write_bytes(encode_model(model))
        (out / f"edge-{name}.in").write_text("".join(line + "\n" for line in lines))
        n += 1
    print(f"{n} edge cases in {out}")
    return 0


def real_inputs(path):
    """The rows of an INPUTS file as real numbers (float64 of the exact decimals)."""
    text = pathlib.Path(path).read_bytes().decode("utf-8", "replace")
    return np.array([[float(fractions.Fraction(w)) for w in tokens(line)]
                     for _, line in input_lines(text)], np.float64)


def cmd_float(args):
    """The fixed-point outputs against real arithmetic, within the documented bound."""
    import oracle_real
    if len(args.files) % 2 or (args.onnx and len(args.files) != 2):
        raise SystemExit("oracle: float takes MODEL INPUTS pairs (one with --onnx)")
    bad = 0
    for i in range(0, len(args.files), 2):
        model = load_model(args.files[i])
        x_q, _ = read_inputs(args.files[i + 1], model)
        x_real = real_inputs(args.files[i + 1])
        y = forward(model, x_q) * 2.0 ** -model.output_frac    # exact in float64
        if args.onnx:
            ref, bound = oracle_real.error_bound(model, x_real, x_q,
                                                 oracle_real.onnx_layers(args.onnx),
                                                 unit=2.0 ** -24)
            ref = oracle_real.onnx_scores(args.onnx, x_real)
            what = f"{args.onnx} (onnx.reference, float32)"
        else:
            ref, bound = oracle_real.error_bound(model, x_real, x_q)
            what = "its weights in float64"
        err = np.abs(y - ref)
        over = int((err > bound).sum())
        bad += bool(over)
        at = err.argmax()
        print(f"{args.files[i]} against {what}: {err.size} outputs, largest error "
              f"{err.flat[at]:.3g} (its bound {bound.flat[at]:.3g}), largest bound "
              f"{bound.max():.3g}, {over} over the bound")
        if args.onnx:
            agree = int((np.argmax(y, 1) == np.argmax(ref, 1)).sum())
            print(f"  arg-max agreement with the float model: {agree}/{len(ref)} rows")
    return 1 if bad else 0


def cmd_activation_error(args):
    """The interpolated tables against f64 over every Q3.12 input, in LSB of Q0.15, as
    fixed-point.rst reports them (1.25 and 3.77 LSB), for each way of rounding the
    interpolation the documentation leaves open: half up matches."""
    z = np.arange(I16_MIN, I16_MAX + 1)
    x = z / 4096.0
    for name, pts, odd, f in (("sigmoid", SIGMOID_POINTS, False,
                               lambda v: 1 / (1 + np.exp(-v))),
                              ("tanh", TANH_POINTS, True, np.tanh)):
        for rounding in ("half-up", "floor"):
            r = squash(z, pts, odd, rounding)
            err = np.abs(r - f(x) * 32768).max()
            mono = bool((np.diff(r) >= 0).all())
            # r(z) and r(-z) for z = -32767..32767 (r[1:] reversed is r at -z).
            pair = r[1:] + r[1:][::-1]
            sym = bool((pair == (0 if odd else 32768)).all())
            print(f"{name} {rounding}: max error {err:.4f} LSB, monotonic {mono}, "
                  f"symmetric {sym}")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("eval", help="print what nnctl eval prints")
    p.add_argument("model")
    p.add_argument("inputs")
    p.add_argument("--strict", action="store_true")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("compare", help="the oracle's lines against EXPECTED files")
    p.add_argument("files", nargs="+", metavar="MODEL INPUTS EXPECTED")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("check-model", help="accept or reject models, with the reason")
    p.add_argument("models", nargs="+")
    p.set_defaults(func=cmd_check_model)
    p = sub.add_parser("cases", help="write the edge-case models and inputs")
    p.add_argument("outdir")
    p.add_argument("--guest", action="store_true",
                   help="only the cases the guest runs too (not the host-only sweeps)")
    p.set_defaults(func=cmd_cases)
    p = sub.add_parser("float", help="against real arithmetic, within the bound")
    p.add_argument("files", nargs="+", metavar="MODEL INPUTS")
    p.add_argument("--onnx", help="the float model the .nnm was compiled from")
    p.set_defaults(func=cmd_float)
    p = sub.add_parser("activation-error", help="the tables' error against f64")
    p.set_defaults(func=cmd_activation_error)
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except (ModelError, InputError) as e:
        print(f"oracle: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    # oracle_cases and oracle_real import this file as `oracle`: one module, not two.
    sys.modules["oracle"] = sys.modules[__name__]
    sys.exit(main())
