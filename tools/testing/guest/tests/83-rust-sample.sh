# SPDX-License-Identifier: GPL-2.0
# The exported API from a Rust caller: samples/neural_network_rust.rs, through the Rust
# binding include/rust/neural_network.rs, requests the sample model with
# request_firmware(), creates a network on the best node, batch-predicts, predicts under
# a spinlock, migrates, re-places, sets a CPU mask, trains, reads the stats, and tries
# the error paths (NULL through the raw functions); it logs a line per check. Its network
# shows in debugfs with its owner and keeps neural_network from unloading until the
# sample goes, which frees the network and the batch (its faux device went with the
# firmware request).
# timeout: 300

D=$NN_DEBUGFS
KO=${NN_KO%/*}/neural_network_rust.ko
[ -f "$KO" ] || KO=/nn/samples/neural_network_rust.ko
mapfile -t MEM < <(expand_list "$(</sys/devices/system/node/has_memory)")
mapfile -t ONLINE < <(expand_list "$(</sys/devices/system/node/online)")
# The sample's checks, by the name each logs ("neural_network_rust: ok NAME").
CHECKS=(node_count_is_numa_infos distance_to_itself_is_10 has_memory_agrees_with_numa_info
	best_node_has_memory request_the_model firmware_is_the_sample_model
	load_the_firmware_model loaded_dims_are_the_models loaded_model_gives_the_hosts_answer
	loaded_model_picks_the_hosts_class train_loaded_network_einval
	replaced_model_gives_the_hosts_answer replace_junk_einval replace_other_widths_einval
	init_numa_on_the_best_node network_is_on_the_node_asked_for dims_as_created
	batch_on_the_networks_node batch_of_32_is_each_row_alone
	batch_on_each_node_same_answers
	predict_atomic_under_a_spinlock_is_the_same same_answers_after_migration
	stats_count_the_migration interleave_over_the_nodes_with_memory
	same_answers_under_interleave policy_local same_answers_under_policy_local
	migrate_back_to_the_best_node affinity_sets_the_mask
	batch_on_the_cpu_set_same_answers affinity_none_is_the_default train_lowers_the_loss
	train_counts_its_steps train_changes_the_answers numa_stats_add_up
	init_zero_inputs_einval init_too_wide_einval init_node_out_of_range_einval
	load_empty_einval load_junk_einval predict_short_input_einval
	predict_wrong_output_length_einval predict_atomic_two_vectors_einval
	migrate_node_out_of_range_einval set_node_negative_einval distance_bad_node_einval
	has_memory_bad_node_einval batch_zero_inputs_einval batch_over_the_bound_einval
	batch_bad_node_einval batch_over_max_inputs_einval nodemask_empty_einval
	nodemask_out_of_range_einval affinity_empty_mask_einval train_zero_epochs_einval
	train_zero_rate_einval train_rate_over_max_einval train_zero_batch_einval
	train_short_targets_einval predict_null_network_einval predict_null_input_einval
	predict_atomic_null_output_einval get_node_null_einval numa_info_null_einval
	numa_stats_null_stats_einval batch_process_null_batch_einval nodemask_null_mask_einval
	init_null_owner_einval refused_calls_change_nothing)
if [ ${#MEM[@]} -ge 2 ]; then
	CHECKS+=(migrate_to_another_node)
else
	CHECKS+=(migrate_to_its_own_node)
fi
plan $((${#CHECKS[@]} + 8))

nn_load || bail loads "insmod failed"
ref0=$(</sys/module/neural_network/refcnt)
# The firmware loader finds neural_network/sample.nnm under the guest's data.
old_path=$(</sys/module/firmware_class/parameters/path)
printf '%s' $NN_DATA/firmware >/sys/module/firmware_class/parameters/path
out=$("$NN_INSMOD" "$KO") && pass sample_loads || fail sample_loads "insmod $KO: $out"
printf '%s' "$old_path" >/sys/module/firmware_class/parameters/path

log_read
sample_checks neural_network_rust rust "${CHECKS[@]}"
grep -q "^neural_network_rust " /proc/modules || bail sample_stays_loaded "its load failed"
# What it saw of the topology is what sysfs says.
topo=$(sed -n 's/^\[[ 0-9.]*\] neural_network_rust: topology: \([0-9]*\) node(s), \([0-9]*\) with memory.*/\1 \2/p' <<<"$NN_LOG")
[ "$topo" = "${#ONLINE[@]} ${#MEM[@]}" ] && pass topology_is_sysfs ||
	fail topology_is_sysfs "sample saw '$topo', sysfs '${#ONLINE[@]} ${#MEM[@]}'"

# One reference for the symbols, one for the network, one for the batch.
ref=$(</sys/module/neural_network/refcnt)
[ "$ref" = $((ref0 + 3)) ] && pass network_and_batch_hold_a_module_reference ||
	fail network_and_batch_hold_a_module_reference "refcnt $ref0 -> $ref, expected $((ref0 + 3))"
dirs=($D/network_*)
[ ${#dirs[@]} = 1 ] && grep -qx "owner: neural_network_rust" ${dirs[0]}/config &&
	pass network_shows_its_owner || fail network_shows_its_owner "${dirs[*]}: $(grep owner ${dirs[0]}/config)"

err=$(/busybox/rmmod neural_network 2>&1)
nn_loaded && [[ $err == *"Resource temporarily unavailable"* ]] &&
	pass rmmod_refused_while_the_sample_holds_a_network ||
	fail rmmod_refused_while_the_sample_holds_a_network "rmmod: $err"

# Its faux device lived only for the firmware request.
dev=$([ -d /sys/devices/faux/neural_network_rust ] && echo present || echo absent)
err=$(/busybox/rmmod neural_network_rust 2>&1)
[ -z "$err" ] && [ $dev = absent ] &&
	[ "$(network_count)" = 0 ] && [ "$(nn_numa_stat bytes)" = 0 ] &&
	[ "$(</sys/module/neural_network/refcnt)" = "$ref0" ] &&
	pass sample_unload_frees_network_and_batch ||
	fail sample_unload_frees_network_and_batch "rmmod '$err', device $dev before, $(network_count) networks, bytes $(nn_numa_stat bytes), refcnt $(</sys/module/neural_network/refcnt)"
check unload nn_unload
