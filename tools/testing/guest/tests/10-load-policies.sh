# SPDX-License-Identifier: GPL-2.0
# Load and unload with each placement policy; the parameters read back as given and the
# log names the policy.
plan 6

last_node=$(online_nodes | tail -n1)
mem_node=$(expand_list "$(cat /sys/devices/system/node/has_memory)" | tail -n1)

# try_policy NAME POLICY NODE [CASE]: loads, checks, unloads; the log line is checked at
# the end, in one log read.
try_policy() {
	local policy_name=$1 policy=$2 node=$3 case=${4:-$1} args verdict=
	args=(neural_numa_policy=$policy)
	[ "$node" = -1 ] || args+=(neural_default_numa_node=$node)
	log_mark_as "$case"
	if ! nn_load "${args[@]}"; then
		defer_case "$case" "" "insmod ${args[*]} failed"
		return
	fi
	local got_p got_n
	got_p=$(cat $NN_PARAMS/neural_numa_policy)
	got_n=$(cat $NN_PARAMS/neural_default_numa_node)
	if [ "$got_p" != "$policy" ] || [ "$got_n" != "$node" ]; then
		verdict="parameters read back as policy=$got_p node=$got_n"
	elif [ ! -r $NN_DEBUGFS/numa_info ]; then
		verdict="no debugfs numa_info"
	elif ! nn_unload; then
		verdict="rmmod failed"
	elif nn_loaded || [ -e $NN_DEBUGFS ]; then
		verdict="module or debugfs directory still there after rmmod"
	fi
	nn_unload_all 2>/dev/null
	defer_case "$case" "neural_network: loaded: policy $policy_name" "$verdict"
}

try_policy local 0 -1
try_policy interleave 1 -1
try_policy preferred 2 "$last_node"
try_policy bind 3 "$mem_node"
try_policy replicate 4 -1
# local and interleave also accept a node (it is reported, not required).
try_policy local 0 "$last_node" local_with_node

judge_deferred
