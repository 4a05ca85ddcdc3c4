# SPDX-License-Identifier: GPL-2.0
"""Tests of the pure parts of tools/testing/check: the lists of guest scripts and KUnit
suites, where each script runs, how a guest's output is judged, the module's other builds
and how a build is judged, and the self-test's own judging (which must fail for a harness
that reports everything red, or nothing)."""

import importlib.machinery
import importlib.util
import pathlib
import subprocess
import tempfile
import unittest
from unittest import mock

HERE = pathlib.Path(__file__).resolve().parent
_loader = importlib.machinery.SourceFileLoader("nn_check", str(HERE / "check"))
_spec = importlib.util.spec_from_loader("nn_check", _loader)
check = importlib.util.module_from_spec(_spec)
_loader.exec_module(check)


def tally():
    return check.Tally(echo=False)


def failed(t):
    return dict(t.failed)


# What run-tests prints for the self-test's planted run, and what run-vm adds on stderr.
PLANTED_OUT = """\
ok 1 - plant-hang: starts
not ok 2 - plant-hang: finishes within its 5 s # timed out (status 124)
# plant-hang: 16 s
ok 3 - plant-missing: first
ok 4 - plant-missing: second
not ok 5 - plant-missing: reports the 3 cases of its plan # reported 2
# plant-missing: 1 s
ok 6 - plant-fail: a passing case
not ok 7 - plant-fail: a planted failing case # planted by the self-test
# plant-fail: 1 s
ok 8 - plant-warn: the planted module's init warns and fails
# plant-warn: 2 s
ok 9 - control-pass: a passing case
ok 10 - control-pass: a passing command
# control-pass: 1 s
# guest: 6 passed, 4 failed
"""
PLANTED_ERR = """\
run-vm: booting 1 node (tcg) for: NN_NO_KUNIT=1 ...
run-vm: the kernel reported a problem:
  | [   50.1] WARNING: CPU: 0 PID: 80 at nn_selftest_warn.c:14 nn_selftest_warn_init+0x1/0x20 [nn_selftest_warn]
"""
CLEAN_OUT = """\
ok 1 - control-pass: a passing case
ok 2 - control-pass: a passing command
# control-pass: 1 s
# guest: 2 passed, 0 failed
"""


def guest_result(name, out, err, rc):
    scripts = [f"{check.SELFTEST_DIR}/{s}" for s in check.SELFTEST_RUNS[name]]
    t = check.judge_guest(name, scripts, out, err, rc, False)
    return t, [], 1.0, subprocess.CompletedProcess([], rc, out, err)


class ScriptList(unittest.TestCase):
    def test_the_repository_lists_agree(self):
        t = tally()
        check.check_script_list(t)
        check.check_kunit_list(t)
        self.assertEqual(t.failed, [])

    def test_every_script_in_exactly_one_2node_guest(self):
        runs = {name: scripts for name, _, scripts, _ in
                check.guest_runs(check.CHECK_TOPOLOGIES, False)}
        first, second = set(runs["2node"]), set(runs["2node-b"])
        self.assertFalse(first & second)
        full_only = {s for s, where in check.SCRIPTS.items() if where == "full"}
        self.assertEqual(first | second, set(check.SCRIPTS) - full_only)
        self.assertEqual(set(runs), set(check.CHECK_RUNS))

    def test_full_only_scripts_run_in_check_full(self):
        t = tally()
        check.check_script_list(t, {"10-a.sh": "full", "20-b.sh": "2node"},
                                ["10-a.sh", "20-b.sh"])
        self.assertEqual(t.failed, [])
        runs = {name: scripts for name, _, scripts, _ in
                check.guest_runs(["2node", "1node"], False,
                                 {"10-a.sh": "full", "20-b.sh": "2node"})}
        self.assertEqual(runs, {"2node": ["20-b.sh"], "2node-b": [], "1node": []})
        runs = {name: scripts for name, _, scripts, _ in
                check.guest_runs(["2node", "1node"], True,
                                 {"10-a.sh": "full", "20-b.sh": "2node"})}
        self.assertEqual(runs, {"2node": ["10-a.sh", "20-b.sh"], "2node-long": [],
                                "1node": ["10-a.sh", "20-b.sh"]})

    def test_full_2node_keeps_the_long_loops_apart(self):
        runs = {name: (scripts, cycles) for name, _, scripts, cycles in
                check.guest_runs(["2node"], True)}
        self.assertEqual(runs["2node-long"],
                         (sorted(check.FULL_LONG_2NODE), check.LOAD_CYCLES_FULL_2NODE))
        self.assertEqual(sorted(runs["2node"][0] + runs["2node-long"][0]), sorted(check.SCRIPTS))

    def test_topology_runs_follow_the_table(self):
        runs = {name: scripts for name, _, scripts, _ in
                check.guest_runs(["2node", "1node"], False,
                                 {"10-a.sh": "2node 1node", "20-b.sh": "2node-b"})}
        self.assertEqual(runs, {"2node": ["10-a.sh"], "2node-b": ["20-b.sh"], "1node": ["10-a.sh"]})

    def test_full_runs_every_listed_script_everywhere(self):
        for _, _, scripts, cycles in check.guest_runs(["4node", "1node"], True):
            self.assertEqual(scripts, sorted(check.SCRIPTS))
            self.assertEqual(cycles, check.LOAD_CYCLES_FULL)

    def test_a_place_must_be_one_2node_guest_and_known_runs(self):
        for where in ("2node 2node-b", "1node", "2node 5node", ""):
            t = tally()
            check.check_script_list(t, {"10-a.sh": where}, ["10-a.sh"])
            self.assertIn("harness: guest script 10-a.sh has a place in make check", failed(t), where)

    def test_kunit_suite_without_cases_fails(self):
        t = tally()
        check.check_kunit_list(t, ["nn_a"], {"nn_a": []})
        self.assertIn("harness: kunit suite nn_a has cases", failed(t))

    def test_kunit_suite_not_listed_fails(self):
        t = tally()
        check.check_kunit_list(t, ["nn_a"], {"nn_a": ["x"], "nn_new": ["y"]})
        self.assertIn("harness: kunit suite nn_new is in check's list", failed(t))


class KunitSubset(unittest.TestCase):
    SUITES = {"neural_network_simd": ["a"], "neural_network_alloc": ["b"],
              "neural_network_train": ["c"]}

    def test_leaves_out_the_cpu_suites_and_keeps_the_rest(self):
        glob, keep = check.kunit_subset(self.SUITES, ["neural_network_simd"])
        self.assertEqual(glob, "neural_network_[!s]*")
        self.assertEqual(keep, {"neural_network_alloc": ["b"], "neural_network_train": ["c"]})

    def test_the_real_suites_have_such_a_glob(self):
        glob, keep = check.kunit_subset(check.kunit_expected(), check.KUNIT_2NODE_ONLY)
        self.assertTrue(keep)
        for suite in check.KUNIT_2NODE_ONLY:
            self.assertNotIn(suite, keep)

    def test_a_first_letter_shared_with_a_kept_suite_is_refused(self):
        suites = {**self.SUITES, "neural_network_sched": ["d"]}
        with self.assertRaises(ValueError):
            check.kunit_subset(suites, ["neural_network_simd"])
        with self.assertRaises(ValueError):
            check.kunit_subset(self.SUITES, [])

    def test_judged_against_the_subset(self):
        out = ("# kunit-begin neural_network_alloc\n    ok 1 b\nok 1 neural_network_alloc\n"
               "# kunit-end neural_network_alloc\n")
        t = tally()
        check.parse_kunit(out, "g", t, {"neural_network_alloc": ["b"]})
        self.assertEqual(failed(t), {})
        self.assertEqual(len(t.passed), 1)


class JudgeGuest(unittest.TestCase):
    def test_clean(self):
        t = check.judge_guest("g", ["/x/control-pass.sh"], CLEAN_OUT, "", 0, False)
        self.assertEqual(t.failed, [])
        self.assertEqual(len(t.passed), 5)

    def test_script_without_time_line(self):
        out = "ok 1 - a: x\n# guest: 1 passed, 0 failed\n"
        t = check.judge_guest("g", ["a.sh"], out, "", 0, False)
        self.assertIn("no '# a: S s' line", failed(t)["g: a ran and reported"])

    def test_script_without_cases(self):
        out = "ok 1 - a: x\n# a: 1 s\n# b: 1 s\n# guest: 1 passed, 0 failed\n"
        t = check.judge_guest("g", ["a.sh", "b.sh"], out, "", 0, False)
        self.assertIn("no case from it", failed(t)["g: b ran and reported"])
        self.assertNotIn("g: a ran and reported", failed(t))

    def test_no_summary_and_lost_cases(self):
        t = check.judge_guest("g", [], "ok 1 - a: x\n", "", 0, False)
        self.assertIn("g: the guest's runner finished", failed(t))
        t = check.judge_guest("g", [], "# guest: 2 passed, 0 failed\n", "", 0, False)
        self.assertIn("g: every case the runner counted reached the host", failed(t))

    def test_kernel_problem_and_timeout(self):
        t = check.judge_guest("g", [], "# guest: 0 passed, 0 failed\n", PLANTED_ERR, 125, False)
        self.assertIn(f"g: {check.KERNEL_CASE}", failed(t))
        t = check.judge_guest("g", [], "# guest: 0 passed, 0 failed\n", "", 124, False)
        self.assertIn("(timed out)", failed(t)["g: guest exits with status 0"])
        self.assertNotIn(f"g: {check.KERNEL_CASE}", failed(t))


class GuestEnv(unittest.TestCase):
    """What each guest's command line asks of its long loops."""

    def command(self, run_name, topo, cycles):
        done = subprocess.CompletedProcess([], 0, "", "")
        with tempfile.TemporaryDirectory() as tmp, \
                mock.patch.object(check, "REPO", pathlib.Path(tmp)), \
                mock.patch.object(check.subprocess, "run", return_value=done) as run:
            check.guest_run(run_name, topo, ["89-fuzz.sh"], cycles, False)
        return run.call_args[0][0][-1]

    def test_fuzz_seconds_a_minute_in_make_check_ten_in_check_full_on_2_nodes(self):
        self.assertEqual(check.FUZZ_SECONDS_CHECK, 60)
        self.assertGreaterEqual(check.FUZZ_SECONDS_FULL, 600)
        self.assertIn(f"NN_FUZZ_SECONDS={check.FUZZ_SECONDS_CHECK} ",
                      self.command("2node", "2node", check.LOAD_CYCLES_CHECK))
        self.assertIn(f"NN_FUZZ_SECONDS={check.FUZZ_SECONDS_FULL} ",
                      self.command("2node-long", "2node", check.LOAD_CYCLES_FULL_2NODE))
        self.assertIn(f"NN_FUZZ_SECONDS={check.FUZZ_SECONDS_CHECK} ",
                      self.command("4node", "4node", check.LOAD_CYCLES_FULL))
        self.assertIn("89-fuzz.sh", check.FULL_LONG_2NODE)

    def test_lifetime_and_hotplug_rounds_halved_in_make_check_whole_in_check_full(self):
        quick = self.command("2node", "2node", check.LOAD_CYCLES_CHECK)
        for knob, value in (("NN_LIFETIME_ROUNDS", check.LIFETIME_ROUNDS_CHECK),
                            ("NN_LIFETIME_RACE_CYCLES", check.LIFETIME_RACE_CYCLES_CHECK),
                            ("NN_HOTPLUG_ROUNDS", check.HOTPLUG_ROUNDS_CHECK)):
            self.assertIn(f"{knob}={value} ", quick)
            self.assertGreaterEqual(value, 2)
            # check-full leaves them unset: the scripts' own rounds.
            self.assertNotIn(knob, self.command("2node", "2node", check.LOAD_CYCLES_FULL))

    def test_stress_one_round_in_make_check_two_in_check_full(self):
        self.assertIn(f"NN_STRESS_ROUNDS={check.STRESS_ROUNDS_CHECK} ",
                      self.command("2node", "2node", check.LOAD_CYCLES_CHECK))
        self.assertEqual(check.STRESS_ROUNDS_CHECK, 1)
        # check-full leaves it unset: the script's own two rounds.
        self.assertNotIn("NN_STRESS_ROUNDS", self.command("2node", "2node",
                                                          check.LOAD_CYCLES_FULL))

    def test_big_model_two_policies_in_make_check_all_in_check_full(self):
        quick = self.command("2node", "2node", check.LOAD_CYCLES_CHECK)
        self.assertIn(f"NN_SCALE_POLICIES='{check.SCALE_POLICIES_CHECK}' ", quick)
        self.assertEqual(check.SCALE_POLICIES_CHECK.split(), ["interleave", "replicate"])
        # check-full leaves it unset: 69-scale's default is every policy.
        self.assertNotIn("NN_SCALE_POLICIES", self.command("2node", "2node",
                                                            check.LOAD_CYCLES_FULL))

    def test_fault_sweep_quick_in_make_check_whole_in_check_full(self):
        self.assertIn("NN_FAULT_QUICK=1 ", self.command("2node-b", "2node",
                                                        check.LOAD_CYCLES_CHECK))
        self.assertNotIn("NN_FAULT_QUICK", self.command("2node", "2node", check.LOAD_CYCLES_FULL))

    def test_variants_smoke_in_the_1node_guest_of_make_check(self):
        runs = [(n, t, s, c, True) for n, t, s, c in check.guest_runs(check.CHECK_TOPOLOGIES,
                                                                        False)]
        jobs = check.with_variants(runs, False)
        self.assertEqual(len(jobs), len(runs))
        one = [j for j in jobs if j[0] == "1node"]
        self.assertEqual(one[0][2][-1], check.VARIANTS_SMOKE)
        self.assertEqual(sum(check.VARIANTS_SMOKE in j[2] for j in jobs), 1)
        # check-full, or no 1-node guest: a guest of their own.
        self.assertEqual(check.with_variants(runs, True)[-1], check.VARIANTS_JOB)
        two = [j for j in runs if j[0] != "1node"]
        self.assertEqual(check.with_variants(two, False), [*two, check.VARIANTS_JOB])


class ParseKunit(unittest.TestCase):
    def test_case_not_in_source_and_suite_not_in_source(self):
        text = (check._ktap("nn_plant_a", [("case_one", "ok"), ("case_two", "ok"), ("extra", "ok")])
                + check._ktap("nn_plant_b", [("case_three", "ok")])
                + check._ktap("nn_other", [("z", "ok")]))
        t = check._kunit(text)
        self.assertIn("reported, but not in the source", failed(t)["plant: kunit nn_plant_a.extra"])
        self.assertIn("no such suite", failed(t)["plant: kunit nn_other"])

    def test_skipped_case(self):
        text = (check._ktap("nn_plant_a", [("case_one", "ok"), ("case_two # SKIP", "ok")])
                + check._ktap("nn_plant_b", [("case_three", "ok")]))
        t = check._kunit(text)
        self.assertEqual(failed(t)["plant: kunit nn_plant_a.case_two"], "skipped")


class Builds(unittest.TestCase):
    def test_every_combination_of_the_options_but_the_guests(self):
        built = {tuple(options) for _, options in check.build_variants()}
        numa = [(), ("CONFIG_NEURAL_NETWORK_NUMA=n",), ("CONFIG_NEURAL_NETWORK_NUMA_DEBUG=y",)]
        kunit = [("CONFIG_NEURAL_NETWORK_KUNIT_TEST=n",), ("CONFIG_NEURAL_NETWORK_KUNIT_TEST=y",)]
        every = {n + k for n in numa for k in kunit}
        self.assertEqual(built, every - {tuple(check.GUEST_BUILD)})
        self.assertEqual(len(built), 5)

    def test_variant_names(self):
        self.assertEqual(check.variant_name(["CONFIG_NEURAL_NETWORK_NUMA=n",
                                             "CONFIG_NEURAL_NETWORK_KUNIT_TEST=y"]),
                         "numa-n-kunit-test-y")
        names = [name for name, _ in check.build_variants()]
        self.assertEqual(len(names), len(set(names)))

    def test_every_build_in_its_own_directory_outside_the_tree(self):
        jobs = check.build_jobs()
        names = [name for name, *_ in jobs]
        self.assertEqual(len(names), len(set(names)))
        outs = [out for _, _, out, _ in jobs if out is not None]
        self.assertEqual(len(outs), len(set(outs)))
        for name, args, out, strict in jobs:
            if args[0] in ("modules", "clippy"):
                # The guests load the tree's own build: every other build has its OUTDIR,
                # the directory that is emptied before it, under build/variants/.
                self.assertIn(f"OUTDIR={out}", args, name)
                self.assertEqual(out.parent, check.VARIANTS_DIR, name)
                self.assertTrue(strict, name)
            else:
                self.assertEqual(args, ["rustfmtcheck"])
                self.assertIsNone(out)
        self.assertIn(["clippy", "CONFIG_NEURAL_NETWORK_KUNIT_TEST=y"],
                      [args[:2] for _, args, _, _ in jobs])
        self.assertEqual(len(jobs), len(check.build_variants()) + 2)

    def test_warning_and_error_lines(self):
        text = """\
  RUSTC [M] rust/neural_network_main.o
warning: unused import: `kernel::prelude`
error[E0425]: cannot find value `x` in this scope
rust/numa/mem_helper.c:3:1: error: unknown type name 'foo'
  CC [M]  rust/warning_helper.o
ERROR: modpost: "neural_network_load" [samples/neural_network_sample.ko] undefined!
make[2]: *** [scripts/Makefile.build:200: rust/neural_network_main.o] Error 1
"""
        self.assertEqual(check.build_problems(text), [
            "warning: unused import: `kernel::prelude`",
            "error[E0425]: cannot find value `x` in this scope",
            "rust/numa/mem_helper.c:3:1: error: unknown type name 'foo'",
            'ERROR: modpost: "neural_network_load" [samples/neural_network_sample.ko] undefined!'])

    def test_judge_build(self):
        self.assertEqual(check.judge_build(0, check._BUILD_OUT, True), (True, ""))
        ok, why = check.judge_build(2, "make: *** No rule to make target\n", True)
        self.assertFalse(ok)
        self.assertIn("make exited 2", why)
        ok, why = check.judge_build(0, "warning: x is never used\n", True, "l.log")
        self.assertEqual((ok, why), (False, "1 warning or error line(s): warning: x is never "
                                            "used; see l.log"))
        # rustfmt's own notices do not fail it; its exit status does.
        self.assertTrue(check.judge_build(0, "Warning: can't set `x`\n", False)[0])
        self.assertFalse(check.judge_build(1, "Diff in rust/a.rs at line 3:\n", False)[0])


class SelfTest(unittest.TestCase):
    def test_host_plants_pass(self):
        for ok, name, why in check.selftest_host():
            self.assertTrue(ok, f"{name}: {why}")

    def test_host_self_test_fails_for_an_all_red_harness(self):
        def red(*args, **kw):
            t = tally()
            t.add(False, "plant: everything", "red")
            return t
        with mock.patch.object(check, "judge_guest", red):
            results = {name: ok for ok, name, _ in check.selftest_host()}
        self.assertFalse(results["selftest: a guest run whose scripts all reported stays green"])

    def test_host_self_test_fails_for_an_all_green_harness(self):
        with mock.patch.object(check, "parse_kunit", lambda *a, **kw: None):
            results = {name: ok for ok, name, _ in check.selftest_host()}
        self.assertFalse(results["selftest: a planted failing KUnit case turns the run red"])
        self.assertFalse(results["selftest: a planted missing KUnit case turns the run red"])

    def test_guest_plants_judged(self):
        red = guest_result("selftest", PLANTED_OUT, PLANTED_ERR, 125)
        clean = guest_result("selftest-clean", CLEAN_OUT, "", 0)
        for ok, name, why in check.selftest_guest(red, clean):
            self.assertTrue(ok, f"{name}: {why}")

    def test_guest_self_test_fails_when_a_plant_stays_green(self):
        # The WARN not caught (run-vm exited with run-tests' 1) and the hang not seen.
        out = PLANTED_OUT.replace("not ok 2 - plant-hang: finishes within its 5 s # timed out (status 124)",
                                  "ok 2 - plant-hang: finishes within its 5 s")
        out = out.replace("6 passed, 4 failed", "7 passed, 3 failed")
        red = guest_result("selftest", out, "", 1)
        clean = guest_result("selftest-clean", CLEAN_OUT, "", 0)
        results = {name: ok for ok, name, _ in check.selftest_guest(red, clean)}
        self.assertFalse(results["selftest: a planted hang turns the run red (a timeout; the "
                                 "scripts after it still run)"])
        self.assertFalse(results["selftest: a planted kernel WARN turns the run red (a kernel "
                                 "problem from run-vm)"])
        self.assertFalse(results["selftest: the planted run fails where planted and nowhere else"])
        self.assertTrue(results["selftest: a planted missing case turns the run red"])

    def test_guest_self_test_fails_when_the_control_is_red(self):
        red = guest_result("selftest", PLANTED_OUT, PLANTED_ERR, 125)
        clean = guest_result("selftest-clean", PLANTED_OUT, PLANTED_ERR, 125)
        results = {name: ok for ok, name, _ in check.selftest_guest(red, clean)}
        self.assertFalse(results["selftest: a clean control run stays green"])

    def test_planted_scripts_outside_tests(self):
        for scripts in check.SELFTEST_RUNS.values():
            for s in scripts:
                self.assertTrue((HERE / "guest" / "selftest" / s).is_file(), s)
                self.assertFalse((HERE / "guest" / "tests" / s).exists(), s)


if __name__ == "__main__":
    unittest.main()
