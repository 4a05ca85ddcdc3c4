# SPDX-License-Identifier: GPL-2.0
"""The independent oracle (oracle.py, written from the documentation alone) against
nnctl eval, which runs the module's own rust/pure code, and against the files the guest
holds the module to (build/guest/data/*.expected): bit for bit, on random networks, on
the edge cases of oracle_cases.py, on the digits model; the model checks on malformed
and mutated blobs; the input text's errors; and the float model within the documented
bound (testing.rst, "Independent oracle").

The oracle needs numpy (and onnx for the float model): it runs in the venv of
tools/testing/setup ($NN_CACHE_DIR/venv, or NN_PYTHON), whatever interpreter runs these
tests. Without that venv the tests fail (make check runs tools/testing/setup first)."""

import itertools
import json
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zlib

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
ORACLE = HERE / "oracle.py"
GUEST_DATA = REPO / "build" / "guest" / "data"
MALFORMED = HERE / "models" / "malformed"
SAMPLE = REPO / "rust" / "kunit" / "testdata" / "sample.nnm"

# nnctl's reasons (the module's parser's, as models/malformed/EXPECTED lists them) and
# the oracle's names for the same checks.
REASON_KIND = {
    "truncated": "truncated",
    "larger than 128 MiB": "too long",
    "bad magic (not an NNMF model)": "magic",
    "unsupported version": "version",
    "bad header length": "header length",
    "layer count not in 1..=16": "layers",
    "a dimension is not in 1..=4096": "dimension",
    "bad fractional bits": "frac",
    "reserved field not zero": "reserved",
    "declared length differs from blob length": "length",
    "layer inputs differ from previous outputs": "inputs",
    "unknown activation": "activation",
    "requantization multiplier or shift out of range": "requant",
    "payload size differs from the layer table": "payload",
    "weight -32768 or -128 (outside -32767..=32767 or -127..=127)": "weight",
    "unknown layer format or bad input shift": "format",
    "checksum mismatch": "checksum",
}


# Runs oracle.main on each argument list read from stdin (JSON), in one interpreter:
# [[status, stdout, stderr], ...] on stdout.
DRIVER = """
import contextlib, io, json, sys
sys.path.insert(0, sys.argv[1])
import oracle
results = []
for argv in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = oracle.main(argv)
    results.append([status, out.getvalue(), err.getvalue()])
json.dump(results, sys.stdout)
"""


def oracle_python():
    """An interpreter that has numpy: NN_PYTHON, the venv of tools/testing/setup, or
    this one."""
    cache = os.environ.get("NN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "neural_network")
    for py in (os.environ.get("NN_PYTHON"), os.path.join(cache, "venv", "bin", "python"),
               sys.executable):
        if py and os.path.exists(py) and subprocess.run(
                [py, "-c", "import numpy"], capture_output=True).returncode == 0:
            return py
    return None


def build_nnctl():
    """target/release/nnctl, built (or found up to date) by cargo."""
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "nnctl",
                    "--manifest-path", str(REPO / "Cargo.toml")], check=True)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    return target / "release" / "nnctl"


def guest_data_specs():
    """The random networks of tools/testing/guest-data: (name, seed, frac, dims, acts,
    count[, formats]), read from the script so that both make the same files."""
    text = (HERE / "guest-data").read_text()
    block = re.search(r"random_nets=\((.*?)\n\)", text, re.S).group(1)
    return [tuple(m.split()) for m in re.findall(r'"([^"]+)"', block)]


class Oracle(unittest.TestCase):
    """Everything is made once, in a temporary directory, by setUpClass."""

    @classmethod
    def setUpClass(cls):
        cls.py = oracle_python()
        if cls.py is None:
            raise AssertionError("no Python with numpy: run tools/testing/setup")
        cls.nnctl = build_nnctl()
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="nn-oracle-"))
        cls.random = cls.make_random(cls.tmp / "random")
        cls.edge = cls.make_edge(cls.tmp / "edge")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- the cases ---------------------------------------------------------------------

    @classmethod
    def nn(cls, *args, **kw):
        return subprocess.run([str(cls.nnctl), *map(str, args)], capture_output=True,
                              text=True, **kw)

    @classmethod
    def eval_expected(cls, blob, inputs, expected=None):
        # nnctl eval's lines in `expected` (BLOB.expected), its saturation note in the
        # .stderr file beside it: a triple for the oracle's compare.
        expected = expected or blob.with_suffix(".expected")
        r = cls.nn("eval", blob, inputs)
        assert r.returncode == 0, r.stderr
        expected.write_text(r.stdout)
        if r.stderr:
            expected.with_suffix(".stderr").write_text(r.stderr)
        return [blob, inputs, expected]

    @classmethod
    def make_random(cls, out):
        # guest-data's random networks (the same files), and 24 more: 1 to 6 layers of
        # 1 to 48, drawn activations and formats, 40 input rows each.
        out.mkdir()
        specs = [(f"gd-{g[0]}", *g[1:6], g[6] if len(g) > 6 else None)
                 for g in guest_data_specs()]
        rng = random.Random(22)
        for k in range(24):
            dims = [rng.randint(1, 48) for _ in range(rng.randint(2, 7))]
            # Half of them of the 8-bit formats too (fixed-point.rst, "Layer formats").
            formats = None if k % 2 else ",".join(
                rng.choice(("16x16", "16x8", "8x8")) for _ in dims[1:])
            specs.append((f"r{k}", 2200 + k, rng.randint(0, 15),
                          ",".join(map(str, dims)), None, 40, formats))
        triples = []
        for name, seed, frac, dims, acts, count, formats in specs:
            blob = out / f"{name}.nnm"
            r = cls.nn("random", "--seed", seed, "--dims", dims, "--input-frac", frac,
                       "-o", blob, *(["--activations", acts] if acts else []),
                       *(["--formats", formats] if formats else []))
            assert r.returncode == 0, r.stderr
            r = cls.nn("inputs", "--seed", seed, "--count", count,
                       "--dim", dims.split(",")[0], "--frac", frac)
            (out / f"{name}.in").write_text(r.stdout)
            triples += cls.eval_expected(blob, out / f"{name}.in")
        return triples

    @classmethod
    def make_edge(cls, out):
        # Every edge case of oracle_cases.py, host-only ones included.
        r = subprocess.run([cls.py, ORACLE, "cases", out], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        triples = []
        for blob in sorted(out.glob("*.nnm")):
            triples += cls.eval_expected(blob, blob.with_suffix(".in"))
        return triples

    def oracle(self, *args):
        return subprocess.run([self.py, ORACLE, *map(str, args)], capture_output=True,
                              text=True)

    def oracle_many(self, argvs):
        # [(status, stdout, stderr)] of each oracle command line, run in one process.
        r = subprocess.run([self.py, "-c", DRIVER, HERE], capture_output=True, text=True,
                           input=json.dumps([[str(a) for a in argv] for argv in argvs]))
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        return [tuple(x) for x in json.loads(r.stdout)]

    def assert_compare(self, triples, at_least):
        r = self.oracle("compare", *triples)
        summary = r.stdout.strip().splitlines()[-1:]
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-2000:])
        m = re.match(r"compared (\d+) models, (\d+) rows: 0 models differ", summary[0])
        self.assertTrue(m, summary)
        self.assertGreaterEqual(int(m.group(1)), at_least)

    # --- bit for bit -------------------------------------------------------------------

    def test_random_networks_match_nnctl_eval(self):
        self.assert_compare(self.random, 32)

    def test_edge_cases_match_nnctl_eval(self):
        # Lines and, where inputs saturate, nnctl's count of them on stderr.
        self.assert_compare(self.edge, 100)
        self.assertTrue(list((self.tmp / "edge").glob("*.stderr")))

    def test_guest_data_matches_expected(self):
        # The lines the guest holds the module to (62-bit-identical, 84-replace,
        # 88-stress, 85-nnctl, the digits): matching them is matching the module.
        d = GUEST_DATA
        if not (d / "random-r1.expected").exists() or not list(d.glob("edge-*.expected")):
            # A fresh clone (make check runs the host tests before make guest): made here.
            r = subprocess.run([HERE / "guest-data"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, f"tools/testing/guest-data: {r.stderr[-2000:]}")
        triples = []
        for exp in sorted(d.glob("*.expected")):
            blob = d / f"{exp.stem}.nnm"
            inputs = d / f"{exp.stem}.in"
            if exp.stem.startswith("sample"):
                blob = SAMPLE
            elif exp.stem.startswith(("replace-", "stress-")):
                inputs = d / f"{exp.stem.split('-')[0]}.in"
            triples += [blob, inputs, exp]
        triples += [d / "digits/digits.nnm", d / "digits/digits-test.txt",
                    d / "digits/digits-host.txt"]
        self.assert_compare(triples, 12)

    def test_digits_matches_nnctl_eval(self):
        d = self.digits()
        triples = []
        for rows in ("digits-test.txt", "digits-calib.csv"):
            triples += self.eval_expected(d / "digits.nnm", d / rows,
                                          d / f"{rows}.expected")
        self.assert_compare(triples, 2)

    def digits(self):
        # The digits model: the guest's, or one built here (tools/testing/models).
        d = GUEST_DATA / "digits"
        formats = ("digits-16x8.nnm", "digits-8x8.nnm")
        if all((d / f).exists() for f in ("digits.onnx", "digits.nnm", *formats)):
            own = self.tmp / "digits"
            if not own.exists():
                shutil.copytree(d, own)
            return own
        own = self.tmp / "digits"
        if not (own / "digits.nnm").exists():
            r = subprocess.run([HERE / "models" / "build-digits", own], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 0, f"build-digits failed: {r.stderr[-500:]}")
        return own

    # --- the model checks --------------------------------------------------------------

    def check_models(self, paths):
        # {path: the oracle's kind of rejection, or 'ok'}.
        r = self.oracle("check-model", *paths)
        kinds = {}
        for line in r.stdout.splitlines():
            path, _, verdict = line.partition(": ")
            kinds[path] = verdict.split(": ")[1] if verdict.startswith("rejected") else "ok"
        return kinds

    def test_malformed_models_are_rejected_for_the_documented_reason(self):
        expected = {}
        for line in (MALFORMED / "EXPECTED").read_text().splitlines():
            name, reason = line.split(" ", 1)
            expected[str(MALFORMED / name)] = REASON_KIND[reason]
        self.assertEqual(self.check_models(sorted(expected)), expected)

    def test_mutated_models_agree_with_nnctl_info(self):
        # Every truncation of two models, and single-byte changes of their header and
        # layer table and of some weights, with the CRC left or made right again: the
        # oracle accepts what the module's parser accepts and names the same check.
        out = self.tmp / "mutated"
        out.mkdir()
        blobs = [SAMPLE.read_bytes(), (self.tmp / "random" / "r0.nnm").read_bytes()]
        paths = []
        for b, blob in enumerate(blobs):
            table_end = 32 + 16 * blob[8]
            payload = range(table_end, len(blob), max(1, (len(blob) - table_end) // 24))
            variants = [blob[:n] for n in [*range(table_end + 8), *payload]]
            variants.append(blob + b"\0")
            for at in [*range(table_end), *payload[:-1]]:
                for v in {0, 0xFF, blob[at] ^ 1, blob[at] ^ 0x80}:
                    body = bytearray(blob)
                    body[at] = v
                    variants.append(bytes(body))
                    body[-4:] = zlib.crc32(bytes(body[:-4])).to_bytes(4, "little")
                    variants.append(bytes(body))
            for k, v in enumerate(variants):
                p = out / f"m{b}-{k}.nnm"
                p.write_bytes(v)
                paths.append(p)
        ours = self.check_models(paths)
        self.assertEqual(len(ours), len(paths))
        differ = []
        for p in paths:
            r = self.nn("info", p)
            theirs = "ok" if r.returncode == 0 else \
                REASON_KIND.get(r.stderr.strip().rsplit("invalid model: ", 1)[-1], r.stderr)
            if ours[str(p)] != theirs:
                differ.append(f"{p.name}: oracle {ours[str(p)]}, nnctl {theirs}")
        self.assertEqual(differ, [], f"{len(differ)} of {len(paths)} differ")
        self.assertGreater(sum(v == "ok" for v in ours.values()), 10)

    # --- the input text ----------------------------------------------------------------

    def test_input_text_is_read_as_nnctl_eval_reads_it(self):
        # Lines nnctl.rst describes, good and bad: the same outputs, or the same error
        # (FILE:LINE: ...), with and without --strict.
        lines = ["  # an indented comment\n1 2 3", "1,2,3", "1, 2 ,3", "1,,2,3", "1 2 3,",
                 ",1 2 3", "1\v2\f3", "1\r2 3", "1 2 3 # c", ". 1 2", "- 1 2", "+. 1 2",
                 "1e3 1 2", "0x10 1 2", "1.2.3 1 2", "99999x 1 2", "+-1 2 3", "1 2",
                 "1 2 3 4", "1 2 x 4", "200 1 2", "inf 1 2", "1 2 3\n\n#x\n4 5", "\f1 2 3",
                 "1 ,, 2 3", ", ,", "1 2 3\r\n-1 -2 -3\r\n", "127.998046875 -128.001953125 0",
                 "-128.001953124 127.998046876 0", "\u0661 2 3"]
        out = self.tmp / "text"
        out.mkdir()
        runs = []
        for k, text in enumerate(lines):
            p = out / f"t{k}.in"
            p.write_bytes((text + "\n").encode())
            runs += [(text, ["eval", SAMPLE, p]), (text, ["eval", SAMPLE, p, "--strict"])]
        ours = self.oracle_many([argv for _, argv in runs])
        differ = []
        for (text, argv), (status, stdout, stderr) in zip(runs, ours):
            a = self.nn(*argv)
            got = (status, stdout, stderr.replace("oracle: ", "nnctl: ", 1))
            if (a.returncode, a.stdout, a.stderr) != got:
                differ.append(f"{text!r} {argv[3:]}: nnctl {a.returncode} {a.stdout!r} "
                              f"{a.stderr!r}, oracle {got}")
        self.assertEqual(differ, [])

    # --- against real arithmetic -------------------------------------------------------

    def test_activation_tables_have_the_documented_error(self):
        # fixed-point.rst: 1.25 LSB (sigmoid) and 3.77 LSB (tanh) at most, monotonic and
        # exactly symmetric, for the interpolation the oracle does.
        r = self.oracle("activation-error")
        got = dict(re.findall(r"^(\w+) half-up: max error ([\d.]+) LSB, monotonic True, "
                              r"symmetric True$", r.stdout, re.M))
        self.assertEqual({k: round(float(v), 2) for k, v in got.items()},
                         {"sigmoid": 1.25, "tanh": 3.77}, r.stdout)

    def test_digits_within_the_bound_of_the_onnx_float_model(self):
        d = self.digits()
        # In each format (guest-data compiles the 8-bit ones).
        for model, rows in itertools.product(
                ("digits.nnm", "digits-16x8.nnm", "digits-8x8.nnm"),
                ("digits-test.txt", "digits-calib.csv")):
            r = self.oracle("float", d / model, d / rows, "--onnx", d / "digits.onnx")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(" 0 over the bound", r.stdout)
            n = int(re.search(r"agreement with the float model: (\d+)/", r.stdout).group(1))
            self.assertEqual(re.search(r"/(\d+) rows", r.stdout).group(1), str(n), r.stdout)

    def test_networks_within_the_bound_of_real_arithmetic(self):
        # The random networks and the edge cases (but the sweeps: every i16, which the
        # bit-exact tests cover) against their own weights in float64.
        pairs = []
        for i in range(0, len(self.random), 3):
            pairs += self.random[i:i + 2]
        for i in range(0, len(self.edge), 3):
            if not re.match(r"edge-(act|half|outfrac)", self.edge[i].name):
                pairs += self.edge[i:i + 2]
        r = self.oracle("float", *pairs)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-2000:])
        self.assertEqual(r.stdout.count(" 0 over the bound"), len(pairs) // 2)


if __name__ == "__main__":
    unittest.main()
