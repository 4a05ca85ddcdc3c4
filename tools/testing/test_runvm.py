# SPDX-License-Identifier: GPL-2.0
# Host tests of tools/testing/run-vm's reading of the kernel log (run by tools/testing/check).

import importlib.machinery
import importlib.util
import pathlib
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
_loader = importlib.machinery.SourceFileLoader("run_vm", str(HERE / "run-vm"))
_spec = importlib.util.spec_from_loader("run_vm", _loader)
run_vm = importlib.util.module_from_spec(_spec)
_loader.exec_module(run_vm)

BOOT = "[    0.000000] Linux version 7.3.4\n[    1.000000] run-vm: running the command\n"


class KernelProblemsTests(unittest.TestCase):
    def test_clean_log_has_no_problem(self):
        self.assertEqual(run_vm.kernel_problems(BOOT), [])

    def test_injected_fault_is_not_a_problem(self):
        log = BOOT + "[    2.0] FAULT_INJECTION: forcing a failure.\n"
        self.assertEqual(run_vm.kernel_problems(log), [])

    def test_leak_is_a_problem(self):
        log = BOOT + "[    9.0] kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)\n"
        self.assertTrue(run_vm.kernel_problems(log))

    def test_kmemleak_disabling_itself_is_a_problem(self):
        # What mm/kmemleak.c prints when its metadata allocation fails (kmemleak_disable).
        log = (BOOT + "[    5.0] kmemleak: Cannot allocate a kmemleak_object structure\n"
               "[    5.0] kmemleak: Kernel memory leak detector disabled\n")
        found = run_vm.kernel_problems(log)
        self.assertIn("[    5.0] kmemleak: Kernel memory leak detector disabled", found)

    def test_kmemleak_unreadable_at_the_end_is_a_problem(self):
        for when in ("first", "end"):
            log = BOOT + f"[    9.0] run-vm: kmemleak unavailable at the {when} scan\n"
            self.assertTrue(run_vm.kernel_problems(log), when)

    def test_init_reports_an_unavailable_kmemleak(self):
        # /init prints the line that kernel_problems() matches, at both ends.
        self.assertEqual(run_vm.INIT.count('echo "run-vm: kmemleak unavailable at the'), 4)
        for line in run_vm.INIT.splitlines():
            if "run-vm: kmemleak unavailable" in line:
                msg = line.split('"')[1]
                self.assertTrue(run_vm.kernel_problems(BOOT + "[ 9.0] " + msg + "\n"), msg)


class KmemleakExpectedTests(unittest.TestCase):
    def test_config_read(self):
        with tempfile.TemporaryDirectory() as tmp:
            kdir = pathlib.Path(tmp)
            self.assertFalse(run_vm.kernel_has_kmemleak(kdir))
            (kdir / ".config").write_text("CONFIG_HAVE_DEBUG_KMEMLEAK=y\n"
                                          "# CONFIG_DEBUG_KMEMLEAK is not set\n")
            self.assertFalse(run_vm.kernel_has_kmemleak(kdir))
            (kdir / ".config").write_text("CONFIG_DEBUG_KMEMLEAK=y\n")
            self.assertTrue(run_vm.kernel_has_kmemleak(kdir))


if __name__ == "__main__":
    unittest.main()
