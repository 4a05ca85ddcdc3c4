# SPDX-License-Identifier: GPL-2.0
# The exported API from an in-kernel caller: samples/neural_network_sample.c calls each
# function (include/linux/neural_network.h), its error paths too, and logs a line per
# check; its network shows in debugfs with its owner, cannot be removed through debugfs
# (EBUSY, with the reason), holds a reference on neural_network (refcnt), as its batch
# does, and keeps it from unloading (EWOULDBLOCK) until the sample goes, which frees both.
# timeout: 300

D=$NN_DEBUGFS
SAMPLE_KO=${NN_KO%/*}/neural_network_sample.ko
[ -f "$SAMPLE_KO" ] || SAMPLE_KO=/nn/samples/neural_network_sample.ko
mapfile -t MEM < <(expand_list "$(</sys/devices/system/node/has_memory)")
# The sample's checks, by the name each logs ("neural_network_sample: ok NAME").
CHECKS=(node_count_is_the_online_nodes nodes_with_memory_counted best_node_has_memory
	load_a_model_blob loaded_dims_are_the_models loaded_model_gives_the_hosts_answer
	replaced_model_gives_the_hosts_answer replace_junk_einval replace_null_blob_einval
	replace_null_network_einval replace_other_widths_einval
	init_numa_on_the_node_asked_for dims_as_created set_node_to_its_own_node
	batch_of_32_is_each_row_alone same_answers_under_policy_local
	init_zero_inputs_einval init_too_wide_einval init_node_out_of_range_einval
	load_null_einval load_junk_einval predict_null_network_einval predict_null_input_einval
	predict_short_input_einval predict_wrong_output_length_einval predict_overlapping_arrays_einval
	migrate_node_out_of_range_einval unknown_policy_einval distance_bad_node_einval
	has_memory_bad_node_einval get_node_null_einval
	train_loaded_network_einval
	numa_info_agrees_with_the_node_count numa_info_nodes_with_memory numa_info_null_einval
	numa_stats_count_the_predictions numa_stats_node_is_the_networks numa_stats_bytes_by_node
	numa_stats_null_network_einval numa_stats_null_stats_einval
	batch_create_on_the_networks_node batch_of_32_is_32_single_predictions batch_counted_once
	batch_of_fewer_rows batch_of_one_row batch_on_each_node_same_answers
	batch_works_after_its_network_is_destroyed batch_create_null_network_einval
	batch_create_zero_inputs_einval batch_create_over_the_bound_einval batch_create_bad_node_einval
	batch_process_null_batch_einval batch_process_null_input_einval
	batch_process_over_max_inputs_einval batch_process_partial_vector_einval
	batch_process_wrong_output_length_einval batch_process_overlapping_arrays_einval
	affinity_sets_the_mask batch_on_the_cpus_set_same_answers affinity_empty_mask_einval
	affinity_null_network_einval affinity_refused_changes_nothing affinity_null_is_the_default
	nodemask_moves_the_weights nodemask_null_network_einval nodemask_null_mask_einval
	nodemask_empty_einval nodemask_offline_node_einval nodemask_refused_changes_nothing
	train_lowers_the_loss train_counts_its_steps train_changes_the_answers
	train_null_network_einval train_null_inputs_einval train_null_targets_einval
	train_partial_input_einval train_wrong_target_length_einval train_epochs_out_of_range_einval
	train_rate_out_of_range_einval train_zero_batch_einval train_misaligned_input_einval
	train_over_the_value_limit_einval refused_training_changes_nothing)
if [ ${#MEM[@]} -ge 2 ]; then
	CHECKS+=(migrate_to_another_node same_answers_after_migration)
else
	CHECKS+=(migrate_to_its_own_node)
fi
# A memoryless online node is refused in a bind node mask.
mapfile -t ONLINE < <(expand_list "$(</sys/devices/system/node/online)")
[ ${#ONLINE[@]} -gt ${#MEM[@]} ] && CHECKS+=(nodemask_memoryless_node_einval)
plan $((${#CHECKS[@]} + 8))

nn_load || bail loads "insmod failed"
ref0=$(</sys/module/neural_network/refcnt)
# A failed check fails the sample's load: its lines are reported either way.
out=$("$NN_INSMOD" "$SAMPLE_KO") && pass sample_loads || fail sample_loads "insmod $SAMPLE_KO: $out"

log_read
sample_checks neural_network_sample sample "${CHECKS[@]}"
grep -q "^neural_network_sample " /proc/modules || bail sample_stays_loaded "its load failed"

# One reference for the sample's use of the symbols, one for the network it holds, one
# for the batch it holds.
ref=$(</sys/module/neural_network/refcnt)
[ "$ref" = $((ref0 + 3)) ] && pass network_and_batch_hold_a_module_reference ||
	fail network_and_batch_hold_a_module_reference "refcnt $ref0 -> $ref, expected $((ref0 + 3))"

# Its network, like any other in debugfs, owned by the sample.
dirs=($D/network_*)
id=${dirs[0]##*_}
[ ${#dirs[@]} = 1 ] && grep -qx "owner: neural_network_sample" $D/network_$id/config &&
	pass network_shows_its_owner || fail network_shows_its_owner "${dirs[*]}: $(grep owner $D/network_$id/config)"

log_mark_as debugfs_remove_refused
st=$(echo "$id" | write_status $D/remove)
[ "$st" = "Device or resource busy" ] && [ -d $D/network_$id ] || st="remove gave '$st'"
defer_case debugfs_remove_refused "network_$id belongs to module neural_network_sample" \
	"$([ "$st" = "Device or resource busy" ] || echo "$st")"
judge_deferred

err=$(/busybox/rmmod neural_network 2>&1)
nn_loaded && [[ $err == *"Resource temporarily unavailable"* ]] &&
	pass rmmod_refused_while_the_sample_holds_a_network ||
	fail rmmod_refused_while_the_sample_holds_a_network "rmmod: $err"

b0=$(nn_numa_stat bytes)
/busybox/rmmod neural_network_sample && [ "$(network_count)" = 0 ] && [ "$(nn_numa_stat bytes)" = 0 ] &&
	[ "$(</sys/module/neural_network/refcnt)" = "$ref0" ] &&
	pass sample_unload_destroys_its_network ||
	fail sample_unload_destroys_its_network "$(network_count) networks, bytes $b0 -> $(nn_numa_stat bytes), refcnt $(</sys/module/neural_network/refcnt)"
check unload nn_unload
