# SPDX-License-Identifier: GPL-2.0
# NN_LOAD_CYCLES (default 100) load/unload cycles with every policy in turn, each with a
# network loaded when the module goes. Leaks are caught by kmemleak, which run-vm scans
# after the command (a leak fails the whole run). `make check` runs 8 on 2 nodes and 4
# on its other topologies, `make check-full` 1000 on 2 nodes and 100 on the others
# (tools/testing/check, LOAD_CYCLES_*).
#
# A cycle is lean, for the 1000: two processes (the insmod helper and rmmod; each costs
# a good part of a second under TCG with the debug kernel), the rest bash builtins:
# numa_info read and checked, the model blob written from a printf format of its bytes
# (made once), the network's directory checked before the unload. Measured on 2 nodes
# (2026-12-06, a shared 2-core host): 1000 cycles in 1389 s (insmod 650 s, rmmod 607 s,
# the rest 130 s), kmemleak clean; in one guest, 40 cycles of the former script (five
# processes a cycle) 97 s, of this one 66 s.
# timeout: 1200
plan 2

node=$(expand_list "$(cat /sys/devices/system/node/has_memory)" | tail -n1)
# The blob as printf escapes: `printf "$blob"` writes its bytes, NULs too, without a
# process (its 124 bytes go in one write).
blob=$(od -An -v -tx1 /nn/rust/kunit/testdata/sample.nnm | tr -d ' \n' | sed 's/../\\x&/g')
ok=0 why= us_load=0 us_work=0 us_unload=0
cycles=${NN_LOAD_CYCLES:-100}
t0=$SECONDS
for ((i = 1; i <= cycles; i++)); do
	policy=$((i % 4))
	t1=${EPOCHREALTIME/./}
	out=$("$NN_INSMOD" "$NN_KO" neural_numa_policy=$policy neural_default_numa_node=$node) ||
		{ why="insmod: $out"; break; }
	t2=${EPOCHREALTIME/./}
	us_load=$((us_load + t2 - t1))
	mapfile -t ni <$NN_DEBUGFS/numa_info
	[[ ${ni[0]} == nodes_online:* ]] || { why="numa_info: '${ni[0]}'"; break; }
	# A network alive at unload: its memory (on the policy's nodes) must be freed too.
	printf "$blob" >$NN_DEBUGFS/load || { why="load failed"; break; }
	[ -d $NN_DEBUGFS/network_0 ] || { why="no network_0"; break; }
	t1=${EPOCHREALTIME/./}
	us_work=$((us_work + t1 - t2))
	nn_unload || { why="rmmod failed"; break; }
	us_unload=$((us_unload + ${EPOCHREALTIME/./} - t1))
	ok=$i
done
echo "$ok cycles in $((SECONDS - t0)) s: insmod $((us_load / 1000)) ms, the cycle's work $((us_work / 1000)) ms, rmmod $((us_unload / 1000)) ms"
[ "$ok" = "$cycles" ] && pass "load_unload_${cycles}_cycles" ||
	fail "load_unload_${cycles}_cycles" "stopped at cycle $((ok + 1)): $why"
! nn_loaded && [ ! -e $NN_DEBUGFS ] && pass nothing_left_after_cycles || fail nothing_left_after_cycles
