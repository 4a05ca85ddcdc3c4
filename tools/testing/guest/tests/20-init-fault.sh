# SPDX-License-Identifier: GPL-2.0
# timeout: 900
# Module init under fault injection: every allocation made in the module's init
# (calls with the kernel's do_init_module() on the stack: the stack filter on its
# kallsyms range, so the module loader's own allocations before init, which are the
# kernel's, are not counted) failed in turn by fail-nth on the loading task
# (nn-faultsweep, finit_module(2)). After each failure: ENOMEM, the module not loaded,
# no debugfs directory, no neural_* slab cache (nn-faultsweep's snapshot: all absent
# before, all absent after), and no leak (run-vm's kmemleak scan after the run).
# Only the last attempt, which reaches every allocation, loads the module. (The count
# of a plain load, printed first, may differ from the sweep's by the slab refills of
# either: it is a figure, not a bound.)
plan 4

nn_loaded && bail starts_unloaded "the module is loaded"
pass starts_unloaded
SWEEP=$NN_HELPERS/nn-faultsweep
nn_fault_inject_on
mapfile -t r < <(grep -A1 ' do_init_module$' /proc/kallsyms)
lo=0x${r[0]%% *} hi=0x${r[1]%% *}
nn_fault_stack_range "$lo" "$hi"
printf 'neural_numa_policy=0' >/tmp/init-params
t0=$SECONDS
out=$($SWEEP -T "$NN_KO" /tmp/init-params)
echo "module init: $out calls under do_init_module ($lo-$hi), $((SECONDS - t0)) s"
total=${out#total }
[ "${total:-0}" -ge 1 ] 2>/dev/null && ! nn_loaded && pass init_allocates ||
	fail init_allocates "$out"
t0=$SECONDS
out=$($SWEEP "$NN_KO" /tmp/init-params)
rc=$?
last=${out##*$'\n'}
read -r _ calls _ inj _ <<<"$last"
echo "module init sweep: ${out//$'\n'/; }, $((SECONDS - t0)) s"
[ "$rc" = 0 ] && [ "$inj" = $((calls - 1)) ] && [ "$inj" -ge 1 ] && nn_loaded &&
	pass init_fails_cleanly_at_every_allocation ||
	fail init_fails_cleanly_at_every_allocation "rc $rc, $out, $total calls counted"
nn_fault_any_stack
nn_fault_inject_off
nn_unload && ! nn_loaded && pass unloads || fail unloads
