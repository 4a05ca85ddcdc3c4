# SPDX-License-Identifier: GPL-2.0
# Parameters that name nodes this machine does not have, or cannot use: an offline node
# for neural_default_numa_node or in neural_numa_nodes, preferred or bind without a node,
# bind or replicate to a memoryless node. insmod fails with EINVAL, the log gives the
# module's reason, and nothing is left behind; then a good load works. On every topology
# of `make check` (20-bad-params has the values that do not depend on it).

first_offline=$(( $(online_nodes | tail -n1) + 1 ))
# bind to a node without memory cannot place anything there.
memless=$(comm -23 <(online_nodes | sort) \
	<(expand_list "$(cat /sys/devices/system/node/has_memory)" | sort) | head -n1)
memless_cases=0
[ -n "$memless" ] && memless_cases=2
plan $((5 + memless_cases))

nn_reject node_offline \
	"neural_default_numa_node=$first_offline: node $first_offline is not online" \
	neural_default_numa_node=$first_offline
nn_reject preferred_without_node \
	"neural_numa_policy=2 (preferred) needs neural_default_numa_node set to an online node" \
	neural_numa_policy=2
nn_reject bind_without_node \
	"neural_numa_policy=3 (bind) needs neural_numa_nodes or neural_default_numa_node set to an online node with memory" \
	neural_numa_policy=3
nn_reject nodes_offline \
	"neural_numa_nodes=$first_offline: node $first_offline is offline (neural_numa_policy=1 (interleave))" \
	neural_numa_policy=1 neural_numa_nodes=$first_offline

if [ -n "$memless" ]; then
	nn_reject bind_to_memoryless_node \
		"neural_default_numa_node=$memless: node $memless has no memory, so neural_numa_policy=3 (bind) cannot place anything on it" \
		neural_numa_policy=3 neural_default_numa_node=$memless
	nn_reject replicate_to_memoryless_node \
		"neural_numa_nodes=$memless: node $memless has no memory (neural_numa_policy=4 (replicate))" \
		neural_numa_policy=4 neural_numa_nodes=$memless
fi

judge_deferred

# After all the refusals, a good load still works.
check loads_after_refusals nn_load neural_numa_policy=1
nn_unload_all
