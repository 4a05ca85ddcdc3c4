# SPDX-License-Identifier: GPL-2.0
"""Tests of tools/bench/peer.py, the onnxruntime peer of `make bench`: its command line,
its timing loop, the line it prints where onnxruntime cannot be imported, and (where the
venv of tools/testing/setup has onnxruntime) one short real run whose lines nn-bench
must be able to read."""

import contextlib
import importlib.util
import io
import json
import os
import pathlib
import subprocess
import sys
import unittest
from unittest import mock

HERE = pathlib.Path(__file__).resolve().parent
PEER = HERE.parent / "bench" / "peer.py"
_spec = importlib.util.spec_from_file_location("nn_bench_peer", PEER)
peer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(peer)


def venv_python():
    """The interpreter nn-bench runs the peer with (src/peer.rs, default_python)."""
    if os.environ.get("NN_PYTHON"):
        return pathlib.Path(os.environ["NN_PYTHON"])
    cache = os.environ.get("NN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "neural_network")
    return pathlib.Path(cache) / "venv" / "bin" / "python"


def has_onnxruntime(python):
    if not python.exists():
        return False
    r = subprocess.run([str(python), "-c", "import numpy, onnx, onnxruntime.quantization"],
                       capture_output=True)
    return r.returncode == 0


class Cases(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(peer.parse_case("4-8-2=4,8,2@1,32"), ("4-8-2", [4, 8, 2], [1, 32]))
        self.assertEqual(peer.parse_case("1024x1024=1024,1024@1"),
                         ("1024x1024", [1024, 1024], [1]))

    def test_malformed(self):
        for bad in ["4,8,2@1", "a=4,8,2", "a=4@1", "a=4,x@1", "a=4,8@", "a=4,0@1",
                    "a=4,8@0", "=4,8@1"]:
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                peer.parse_case(bad)

    def test_command_line_errors_exit_2(self):
        with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit) as e:
            peer.main(["a=4,8"])
        self.assertEqual(e.exception.code, 2)


class Timing(unittest.TestCase):
    def test_median_of_calibrated_runs(self):
        # A clock that advances 10 ns a call of `call` and whose runs differ: the
        # calibration doubles the calls until a run reaches min_ns / 4, then takes 4 times
        # that many per run, and the median run is reported per call.
        now = [0]
        # (The extra time is added at each reading of the clock: none during calibration,
        # then 900 ns in the first run, none in the second, 300 ns in the third.)
        extra = iter([0] * 10 + [0, 900, 0, 0, 0, 300])

        def call():
            now[0] += 10

        def clock():
            now[0] += next(extra, 0)
            return now[0]

        ns = peer.median_ns(call, runs=3, min_ns=400, clock=clock)
        # Calibration: 1, 2, 4, 8, 16 calls (160 ns >= 100 ns); then 64 calls a run.
        self.assertAlmostEqual(ns, 10 + 300 / 64)


class Unavailable(unittest.TestCase):
    def test_one_line_and_status_3(self):
        out = io.StringIO()
        with mock.patch.dict(sys.modules, {"onnxruntime": None}), \
                contextlib.redirect_stdout(out):
            status = peer.main(["--runs", "1", "a=4,8@1"])
        self.assertEqual(status, peer.UNAVAILABLE)
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 1, lines)
        # The first of numpy, onnx, onnxruntime that is missing (onnxruntime at least).
        self.assertRegex(json.loads(lines[0])["unavailable"], "numpy|onnx")


class RealRun(unittest.TestCase):
    def test_short_run(self):
        # The venv of tools/testing/setup has onnxruntime: without it this fails (run
        # `make setup`), rather than skipping itself into green.
        self.assertTrue(has_onnxruntime(venv_python()),
                        f"no onnxruntime in {venv_python()}: run tools/testing/setup")
        r = subprocess.run([str(venv_python()), str(PEER), "--runs", "1", "--min-ms", "1",
                            "t=5,7,3@1,4", "u=9,2@2"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        info, figures = lines[0], lines[1:]
        self.assertEqual(info["peer"], "onnxruntime")
        self.assertEqual(info["threads"], 1)
        got = sorted((f["name"], f["batch"], f["kind"]) for f in figures)
        self.assertEqual(got, sorted([(n, b, k) for n, bs in (("t", (1, 4)), ("u", (2,)))
                                      for b in bs for k in ("fp32", "int8")]))
        for f in figures:
            self.assertGreater(f["ns_per_row"], 0)
            self.assertEqual(f["dims"], [5, 7, 3] if f["name"] == "t" else [9, 2])


if __name__ == "__main__":
    unittest.main()
