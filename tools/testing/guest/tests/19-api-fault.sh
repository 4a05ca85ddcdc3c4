# SPDX-License-Identifier: GPL-2.0
# timeout: 900
# Every allocation of every exported function failed on purpose, one at a time
# (include/linux/neural_network.h, driven by tools/testing/kmod/nn_api_fault.ko: one
# call per write to its debugfs file, in the writer's task, so that nn-faultsweep's
# fail-nth reaches it): after each failure the call returns -ENOMEM and nothing
# changed (17-fault-sweep.sh's snapshot: the networks, their config and stats,
# numa_stats, memory_map, the slab caches). Only calls with neural_network's code on
# the stack are failed (the test module's own are not). A function that allocates
# nothing reports "calls 1 injected 0". Its networks are made and destroyed by the test
# module ("setup", "teardown", not swept); what "init", "load" and "batch_create" make,
# the test module destroys at once: nothing may be left after a failure either.
# NN_FAULT_QUICK=1 (make check): the calls of the functions that make a network (init,
# init_numa, load, replace: 40 to 85 calls, most of them one loop's per layer) strided as
# 17-fault-sweep's creations (nn-faultsweep -s 16:4: the first 16, every 4th, then each of
# the last ones); check-full fails every call.
quick=${NN_FAULT_QUICK:-0}
plan 20

nn_load || bail loads "insmod failed"
D=$NN_DEBUGFS
A=/sys/kernel/debug/nn_api_fault
SWEEP=$NN_HELPERS/nn-faultsweep
out=$("$NN_INSMOD" /nn/tools/testing/kmod/nn_api_fault.ko) && [ -w $A/call ] ||
	bail api_module_loads "$out"
cat /nn/rust/kunit/testdata/sample.nnm >$A/blob && echo setup >$A/call &&
	[ "$(network_count)" = 2 ] && pass api_module_loads ||
	bail api_module_loads "setup: $(network_count) networks"
# The first and last nodes with memory and 16 MiB free (the 16-node machine's node 0 is
# nearly full after boot: a migration there fails without an injection).
nodes=()
for n in $(expand_list "$(</sys/devices/system/node/has_memory)"); do
	[ "$(nn_free_kib "$n")" -ge 16384 ] && nodes+=("$n")
done
n0=${nodes[0]} n1=${nodes[-1]}
nn_fault_inject_on
nn_fault_module_only

SUMMARY=()
i=0
for cmd in init "init_numa $n1" load replace predict batch_create batch_process \
	"set_policy 1" set_nodemask "set_policy 0" "set_node $n1" "migrate $n0" "migrate $n1" \
	set_cpus train numa_info numa_stats; do
	i=$((i + 1))
	echo "$cmd" >/tmp/api$i.txt
	t0=$SECONDS
	stride=()
	[ "$quick" = 1 ] && case $cmd in init* | load | replace) stride=(-s 16:4) ;; esac
	out=$($SWEEP -a migration_failures "${stride[@]}" $A/call /tmp/api$i.txt)
	rc=$?
	last=${out##*$'\n'}
	read -r _ calls _ inj _ _ _ _ _ _ _ _ _ attempts _ <<<"$last"
	name=api_${cmd// /_}
	SUMMARY+=("$name: $last, $((SECONDS - t0)) s")
	echo "$name: ${out//$'\n'/; }"
	# Each attempt met its failure: injected = attempts, = calls - 1 unless strided.
	[[ $last == calls* ]] && [ "$rc" = 0 ] && [ "$inj" = "$attempts" ] &&
		{ [ ${#stride[@]} != 0 ] || [ "$inj" = $((calls - 1)) ]; } &&
		pass "$name" ||
		fail "$name" "rc $rc, $out"
done

nn_fault_any_stack
nn_fault_inject_off
echo "# summary"
for s in "${SUMMARY[@]}"; do echo "#   $s"; done
echo teardown >$A/call && /busybox/rmmod nn_api_fault && [ "$(network_count)" = 0 ] &&
	[ "$(nn_numa_stat bytes)" = 0 ] && pass nothing_held_after ||
	fail nothing_held_after "$(network_count) networks, $(nn_numa_stat bytes) bytes"
nn_unload && ! nn_loaded && pass unloads || fail unloads
