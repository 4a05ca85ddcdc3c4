# SPDX-License-Identifier: GPL-2.0
# Out-of-range or malformed parameter values: insmod fails with EINVAL, the log gives the
# module's own reason (the parameter, the value and what it accepts, from
# rust/params_helper.c or rust/numa/placement.rs), and nothing is left behind (no module, no
# debugfs directory). None of these depends on the machine's nodes, so `make check` runs
# this script on 2 nodes only; 21-bad-nodes has the cases that name online, offline or
# memoryless nodes, on every topology.
plan 18

policies="expected 0 (local), 1 (interleave), 2 (preferred), 3 (bind) or 4 (replicate)"
nodes="expected -1 (none) or a node number below MAX_NUMNODES"
timeout="expected 0 to 3600000 (milliseconds)"
nn_reject policy_too_big "invalid value '5' for parameter 'neural_numa_policy': $policies" \
	neural_numa_policy=5
nn_reject policy_negative "invalid value '-1' for parameter 'neural_numa_policy': $policies" \
	neural_numa_policy=-1
nn_reject policy_not_a_number \
	"invalid value 'interleave' for parameter 'neural_numa_policy': $policies" \
	neural_numa_policy=interleave
nn_reject policy_empty "invalid value '' for parameter 'neural_numa_policy': $policies" \
	neural_numa_policy=
nn_reject node_below_minus_one \
	"invalid value '-2' for parameter 'neural_default_numa_node': $nodes" \
	neural_default_numa_node=-2
nn_reject node_at_max_numnodes \
	"invalid value '64' for parameter 'neural_default_numa_node': $nodes" \
	neural_default_numa_node=64
nn_reject node_huge \
	"invalid value '99999999999' for parameter 'neural_default_numa_node': $nodes" \
	neural_default_numa_node=99999999999
lists="expected a node list such as 0-3,6"
nn_reject nodes_not_a_list "invalid value 'all' for parameter 'neural_numa_nodes': $lists" \
	neural_numa_nodes=all
nn_reject nodes_reversed_range "neural_numa_nodes=3-1: range 3-1 is reversed" \
	neural_numa_nodes=3-1
nn_reject nodes_out_of_range "neural_numa_nodes=0,64: node 64 is out of range" \
	neural_numa_policy=3 neural_numa_nodes=0,64
nn_reject nodes_too_long "invalid value for parameter 'neural_numa_nodes': a node list of at most 255 bytes expected" \
	neural_numa_nodes=$(printf '0,%.0s' {1..130})0
nn_reject timeout_too_big \
	"invalid value '3600001' for parameter 'neural_cache_timeout_ms': $timeout" \
	neural_cache_timeout_ms=3600001
nn_reject timeout_negative "invalid value '-1' for parameter 'neural_cache_timeout_ms': $timeout" \
	neural_cache_timeout_ms=-1
nn_reject simd_not_bool \
	"invalid value 'maybe' for parameter 'neural_enable_simd': expected 0/1, y/n or on/off" \
	neural_enable_simd=maybe
nn_reject simd_threshold_too_big \
	"invalid value '4097' for parameter 'neural_simd_threshold': expected 0 (automatic) to 4096 (values per row)" \
	neural_simd_threshold=4097
mb="expected 0 (automatic) to 1048576 (MiB)"
nn_reject network_limit_too_big \
	"invalid value '1048577' for parameter 'neural_max_network_mb': $mb" \
	neural_max_network_mb=1048577
nn_reject total_limit_not_a_number "invalid value '1G' for parameter 'neural_max_total_mb': $mb" \
	neural_max_total_mb=1G

judge_deferred

# After all the refusals, a good load still works.
check loads_after_refusals nn_load neural_numa_policy=1
nn_unload_all
