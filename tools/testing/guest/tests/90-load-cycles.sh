# SPDX-License-Identifier: GPL-2.0
# NN_LOAD_CYCLES (default 100) load/unload cycles with every policy in turn, each with a
# network loaded when the module goes. Leaks are caught by kmemleak, which run-vm scans
# after the command (a leak fails the whole run). Under TCG with the debug kernel a cycle
# costs ~4 s: `make check` runs 8 on each of its topologies, `make check-full` 100 on
# every topology (tools/testing/check, LOAD_CYCLES_*).
# timeout: 900
plan 2

node=$(expand_list "$(cat /sys/devices/system/node/has_memory)" | tail -n1)
ok=0
cycles=${NN_LOAD_CYCLES:-100}
for i in $(seq 1 "$cycles"); do
	policy=$((i % 4))
	nn_load neural_numa_policy=$policy neural_default_numa_node=$node || break
	cat $NN_DEBUGFS/numa_info >/dev/null || break
	# A network alive at unload: its memory (on the policy's nodes) must be freed too.
	cat /nn/rust/kunit/testdata/sample.nnm >$NN_DEBUGFS/load || break
	nn_unload || break
	ok=$i
done
[ "$ok" = "$cycles" ] && pass "load_unload_${cycles}_cycles" ||
	fail "load_unload_${cycles}_cycles" "stopped at cycle $((ok + 1))"
! nn_loaded && [ ! -e $NN_DEBUGFS ] && pass nothing_left_after_cycles || fail nothing_left_after_cycles
