# SPDX-License-Identifier: GPL-2.0
# Out-of-range or inconsistent parameters: insmod fails with EINVAL, the log names the
# parameter, and nothing is left behind (no module, no debugfs directory).

n_online=$(online_nodes | wc -l)
first_offline=$(( $(online_nodes | tail -n1) + 1 ))

reject() {
	local name=$1 param=$2
	shift 2
	local out
	log_mark
	out=$("$NN_INSMOD" "$NN_KO" "$@")
	if [ "$out" != "errno=EINVAL" ]; then
		fail "$name" "insmod $* gave '$out', expected errno=EINVAL"
		nn_unload_all 2>/dev/null
	elif nn_loaded || [ -e $NN_DEBUGFS ]; then
		fail "$name" "something was left behind"
	elif ! log_since_mark | grep -q "$param"; then
		fail "$name" "the log does not name $param"
	else
		pass "$name"
	fi
}

reject policy_too_big neural_numa_policy neural_numa_policy=4
reject policy_negative neural_numa_policy neural_numa_policy=-1
reject policy_not_a_number neural_numa_policy neural_numa_policy=interleave
reject policy_empty neural_numa_policy neural_numa_policy=
reject node_below_minus_one neural_default_numa_node neural_default_numa_node=-2
reject node_at_max_numnodes neural_default_numa_node neural_default_numa_node=64
reject node_huge neural_default_numa_node neural_default_numa_node=99999999999
reject node_offline neural_default_numa_node neural_default_numa_node=$first_offline
reject preferred_without_node neural_default_numa_node neural_numa_policy=2
reject bind_without_node neural_default_numa_node neural_numa_policy=3
reject timeout_too_big neural_cache_timeout_ms neural_cache_timeout_ms=3600001
reject timeout_negative neural_cache_timeout_ms neural_cache_timeout_ms=-1
reject simd_not_bool neural_enable_simd neural_enable_simd=maybe

# bind to a node without memory cannot place anything there.
memless=$(comm -23 <(online_nodes | sort) \
	<(expand_list "$(cat /sys/devices/system/node/has_memory)" | sort) | head -n1)
if [ -n "$memless" ]; then
	reject bind_to_memoryless_node neural_default_numa_node \
		neural_numa_policy=3 neural_default_numa_node=$memless
fi

# After all the refusals, a good load still works.
check loads_after_refusals nn_load neural_numa_policy=1
nn_unload_all
