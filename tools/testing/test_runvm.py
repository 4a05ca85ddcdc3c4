# SPDX-License-Identifier: GPL-2.0
# Host tests of tools/testing/run-vm's reading of the kernel log (run by tools/testing/check).

import importlib.machinery
import importlib.util
import pathlib
import shutil
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
_loader = importlib.machinery.SourceFileLoader("run_vm", str(HERE / "run-vm"))
_spec = importlib.util.spec_from_loader("run_vm", _loader)
run_vm = importlib.util.module_from_spec(_spec)
_loader.exec_module(run_vm)

BOOT = "[    0.000000] Linux version 7.3.4\n[    1.000000] run-vm: running the command\n"


# The test kernel's known WARNING (run-vm's KNOWN_KERNEL_WARNING), as a 2026-12-06 run of
# 20-init-fault printed it (registers left out).
DL_SERVER_WARNING = """\
[  165.017795] WARNING: kernel/time/hrtimer.c:1098 at hrtimer_forward+0x10b/0x1d0, CPU#1: swapper/1/0
[  165.017795] Modules linked in: [last unloaded: neural_network(O)]
[  165.017795] CPU: 1 UID: 0 PID: 0 Comm: swapper/1 Tainted: G           O     N  7.3.4 #1 PREEMPTLAZY
[  165.017795] RIP: 0010:hrtimer_forward+0x10b/0x1d0
[  165.017795] Call Trace:
[  165.017795]  <IRQ>
[  165.017795]  dl_task_timer+0x658/0x9a0
[  165.017795]  ? find_later_rq+0x5b0/0x5b0
[  165.017795]  __hrtimer_run_queues+0x2da/0x800
[  165.017795]  hrtimer_run_queues+0x22e/0x2f0
[  165.017795]  </IRQ>
[  165.017795]  <TASK>
[  165.017795]  ? do_idle+0xdb/0x250
[  165.017795]  </TASK>
[  165.017795] ---[ end trace 0000000000000000 ]---
"""


class KernelProblemsTests(unittest.TestCase):
    def test_known_kernel_warning_is_noted_not_a_problem(self):
        log = BOOT + DL_SERVER_WARNING
        self.assertEqual(run_vm.kernel_problems(log), [])
        self.assertEqual(len(run_vm.known_kernel_warnings(log)), 1)

    def test_known_warning_in_another_form_is_a_problem(self):
        # Another first frame, a frame of a module, or no end to the block: counted.
        for changed in (DL_SERVER_WARNING.replace(" dl_task_timer+", " other_timer+"),
                        DL_SERVER_WARNING.replace("? do_idle+0xdb/0x250",
                                                  "nn_x+0x1/0x2 [neural_network]"),
                        DL_SERVER_WARNING.replace("---[ end trace", "(cut)")):
            log = BOOT + changed
            self.assertTrue(run_vm.kernel_problems(log))
            self.assertEqual(run_vm.known_kernel_warnings(log), [])

    def test_another_warning_is_a_problem(self):
        log = BOOT + DL_SERVER_WARNING.replace("kernel/time/hrtimer.c:1098 at hrtimer_forward",
                                               "mm/slub.c:1 at kfree")
        self.assertTrue(run_vm.kernel_problems(log))

    def test_clean_log_has_no_problem(self):
        self.assertEqual(run_vm.kernel_problems(BOOT), [])

    def test_injected_fault_is_not_a_problem(self):
        log = BOOT + "[    2.0] FAULT_INJECTION: forcing a failure.\n"
        self.assertEqual(run_vm.kernel_problems(log), [])

    def test_leak_is_a_problem(self):
        # The listing /init prints after its end scans.
        log = BOOT + "unreferenced object 0xffff8880076200e0 (size 32):\n"
        self.assertTrue(run_vm.kernel_problems(log))

    def test_a_scans_count_alone_is_not_a_problem(self):
        # A scan's count of objects that the next scan found referenced or freed (the
        # listing, which /init prints, is then empty).
        log = BOOT + "[    9.0] kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)\n"
        self.assertEqual(run_vm.kernel_problems(log), [])

    def test_init_rescans_a_listing_before_the_verdict(self):
        # Two scans, then the listing; while it is not empty, up to three more scans 6 s
        # apart; only a listing that outlives them reaches the console.
        end = run_vm.INIT[run_vm.INIT.index("scanning kmemleak"):]
        body = end[end.index("rescan() {"):end.index("\n    }\n", end.index("rescan() {"))]
        self.assertIn("for again in 1 2 3; do", body)
        self.assertLess(body.index("sleep 6"), body.index("echo scan > $kl"))
        self.assertIn("[ -s /tmp/kmemleak ] || return 0", body)
        self.assertTrue(body.rstrip().endswith("/busybox/cat /tmp/kmemleak > /dev/ttyS0"))
        self.assertIn("echo scan > $kl && echo scan > $kl && /busybox/cat $kl > /tmp/kmemleak &&\n"
                      "        { [ ! -s /tmp/kmemleak ] || rescan; }", end)

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


class ExchangeTests(unittest.TestCase):
    @staticmethod
    def archive_files(modules=(), **kw):
        import gzip
        import subprocess
        with tempfile.TemporaryDirectory() as tmp:
            dest = pathlib.Path(tmp) / "cmd.cpio.gz"
            run_vm.command_initramfs("true", list(modules), dest, **kw)
            listing = subprocess.run(["cpio", "-t", "--quiet"], input=gzip.decompress(dest.read_bytes()),
                                     capture_output=True, check=True).stdout.decode()
        return set(listing.split())

    def test_modules_in_the_archive_under_the_release(self):
        with tempfile.TemporaryDirectory() as tmp:
            ko = pathlib.Path(tmp) / "neural_network.ko"
            ko.write_bytes(b"\x7fELF")
            files = self.archive_files(modules=[str(ko)], release="7.3.4")
        self.assertIn("lib/modules/7.3.4/extra/neural_network.ko", files)
        if shutil.which("depmod"):
            self.assertIn("lib/modules/7.3.4/modules.dep", files)
        self.assertNotIn("lib", self.archive_files())

    def test_marker_only_with_an_exchange_directory(self):
        self.assertIn("run-vm/exchange", self.archive_files(exchange=True))
        self.assertNotIn("run-vm/exchange", self.archive_files())

    def test_init_mounts_xchg_uncached_only_when_asked(self):
        lines = run_vm.INIT.splitlines()
        mount = [ln for ln in lines if "xchg /xchg" in ln]
        self.assertEqual(len(mount), 1)
        self.assertNotIn("cache=", mount[0])
        guard = lines.index(mount[0]) - 2
        self.assertIn("/run-vm/exchange", lines[guard])


if __name__ == "__main__":
    unittest.main()
