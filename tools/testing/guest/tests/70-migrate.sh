# SPDX-License-Identifier: GPL-2.0
# Re-placement while serving: `migrate N` in network_<id>/config moves every page of a
# network to node N (memory_map shows it) while one job per CPU predicts on it in a loop:
# no prediction is lost and every answer is bit-identical to nnctl eval's; `policy`,
# `node` and `nodes` re-place too; bad commands give EINVAL with the reason and change
# nothing; fault injection at every allocation of a re-placement fails cleanly with the
# old placement serving, counted, nothing leaked; `evacuate` empties a node of every
# network not bound to it; cross-node predictions are counted as worked out by hand
# (weights on one node, predictions from a CPU of another) and stay at zero under
# replicate.
# timeout: 900

D=$NN_DEBUGFS
FAILNTH=$NN_HELPERS/nn-failnth
BLOB=$NN_DATA/random-r4.nnm
IN=${BLOB%.nnm}.in
EXPECTED=${BLOB%.nnm}.expected
mapfile -t MEM < <(expand_list "$(</sys/devices/system/node/has_memory)")
mapfile -t CPUN < <(expand_list "$(</sys/devices/system/node/has_cpu)")
mapfile -t ONLINE < <(online_nodes)
memless=
for n in "${ONLINE[@]}"; do
	[[ " ${MEM[*]} " == *" $n "* ]] || { memless=$n; break; }
done
# Nodes with room (16 MiB free) for the small networks below; of those, the ones with
# CPUs too (for the cross-node cases).
ROOM=() BOTH=()
for n in "${MEM[@]}"; do
	(($(nn_free_kib "$n") >= 16384)) || continue
	ROOM+=("$n")
	[[ " ${CPUN[*]} " == *" $n "* ]] && BOTH+=("$n")
done
room_list=$(IFS=,; echo "${ROOM[*]}")
echo "nodes with room: ${ROOM[*]}; with CPUs too: ${BOTH[*]}; memoryless: ${memless:-none}"
A=${ROOM[0]}
B=${ROOM[1]:-$A}
extra=0
[ -n "$memless" ] && extra=$((extra + 1))
if [ ${#ROOM[@]} -ge 2 ]; then extra=$((extra + 3)); else extra=$((extra + 1)); fi
if [ ${#BOTH[@]} -ge 2 ]; then extra=$((extra + 4)); else extra=$((extra + 1)); fi
plan $((16 + extra))

nn_load || bail loads "insmod failed"

# net_stat ID KEY: a line of network_<ID>/stats. node_stat NODE KEY: a field of NODE's
# numa_stats line.
net_stat() {
	local l s
	mapfile -t s <$D/network_$1/stats
	for l in "${s[@]}"; do [[ $l == "$2: "* ]] && { echo "${l#*: }"; return; }; done
}
node_stat() {
	local l ns f
	mapfile -t ns <$D/numa_stats
	for l in "${ns[@]}"; do
		[[ $l == "node $1 "* ]] || continue
		read -ra f <<<"$l"
		for ((i = 2; i + 1 < ${#f[@]}; i += 2)); do
			[ "${f[i]}" = "$2" ] && { echo "${f[i + 1]}"; return; }
		done
	done
}
# all_on ID NODE: every layer buffer of ID is wholly on NODE; prints what is not.
all_on() {
	local l net part kind bytes pages want got bad= n=0
	mapfile -t MM <$D/memory_map
	for l in "${MM[@]}"; do
		[[ $l == "$1 layer"* ]] || continue
		n=$((n + 1))
		read -r net part kind bytes pages want got <<<"$l"
		[ "$got" = "$2:$pages" ] || bad+="[$l] "
	done
	((n > 0)) || { echo "no lines"; return 1; }
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}
# none_on ID NODE: no page of a layer buffer of ID is on NODE; prints what is.
none_on() {
	local l net part kind bytes pages want got p bad= n=0
	mapfile -t MM <$D/memory_map
	for l in "${MM[@]}"; do
		[[ $l == "$1 layer"* ]] || continue
		n=$((n + 1))
		read -r net part kind bytes pages want got <<<"$l"
		IFS=, read -ra ps <<<"$got"
		for p in "${ps[@]}"; do [ "${p%:*}" = "$2" ] && bad+="[$l] "; done
	done
	((n > 0)) || { echo "no lines"; return 1; }
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}
config() { echo "$2" >$D/network_$1/config; }
# same_as_expected FILE [EXPECTED]: one cmp (a `$(<file)` forks a subshell, about 0.5 s
# under TCG with the debug kernel).
same_as_expected() { cmp -s "$1" "${2:-$EXPECTED}"; }

id=$(nn_load_model $BLOB) || bail load "load failed"

# Migrate to every node with room, in turn.
bad= moves=0
for n in "${ROOM[@]}" "$A"; do
	if config "$id" "migrate $n" 2>/tmp/mig-err; then
		moves=$((moves + 1))
		r=$(all_on "$id" "$n") || bad+=" node $n: $r;"
	else
		bad+=" migrate $n: $(</tmp/mig-err);"
	fi
done
[ -z "$bad" ] && grep -q "^policy: bind" $D/network_$id/config &&
	grep -q "^node: $A\$" $D/network_$id/config &&
	pass migrate_moves_every_page_to_each_node || fail migrate_moves_every_page_to_each_node "$bad"

# One job per online CPU (at most 4) predicts in a loop, each pinned to its CPU, while
# the network moves between A and B: at least 6 moves, and on until every job is done.
# Batches of the first 40 rows (the whole file's 300 rows of 64 numbers cost a minute a
# round in the debug guest, mostly parsing): each still spans several moves.
ROWS=40
head -n $ROWS $IN >/tmp/mig.in
head -n $ROWS $EXPECTED >/tmp/mig.expected
mapfile -t CPUS < <(expand_list "$(</sys/devices/system/cpu/online)")
CPUS=("${CPUS[@]:0:4}")
rounds=4 pids=()
for cpu in "${CPUS[@]}"; do
	(
		for r in $(seq $rounds); do
			taskset -c "$cpu" bash -c ". /nn/tools/testing/guest/lib.sh; nn_predict $id" \
				</tmp/mig.in >/tmp/mig.$cpu.$r
		done
	) &
	pids+=($!)
done
during=0 failed=
alive() { local p; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while alive || ((during < 6)); do
	for n in "$B" "$A"; do
		config "$id" "migrate $n" 2>/dev/null && during=$((during + 1)) || failed+=" $n"
		nn_sleep 0.3
	done
done
wait
bad=
for cpu in "${CPUS[@]}"; do
	for r in $(seq $rounds); do
		same_as_expected /tmp/mig.$cpu.$r /tmp/mig.expected || bad+=" cpu$cpu/round$r"
	done
done
echo "migrations while predicting: $during (failed:${failed:- none})"
[ -z "$bad" ] && [ -z "$failed" ] && pass answers_during_migration_bit_identical ||
	fail answers_during_migration_bit_identical "differ:$bad; failed moves:$failed"
want=$((ROWS * ${#CPUS[@]} * rounds))
got=$(net_stat "$id" predictions)
[ "$got" = "$want" ] && pass no_prediction_lost || fail no_prediction_lost "$got, expected $want"
m=$(net_stat "$id" migrations)
[ "$m" = $((moves + during)) ] && [ "$(nn_numa_stat migrations)" = "$m" ] &&
	[ "$(net_stat "$id" migrated_bytes)" -gt 0 ] && [ "$(net_stat "$id" migration_failures)" = 0 ] &&
	pass migrations_counted || fail migrations_counted "migrations $m (expected $((moves + during))), numa_stats $(nn_numa_stat migrations)"
all_on "$id" "$A" >/dev/null && pass memory_on_last_node_after_moves ||
	fail memory_on_last_node_after_moves "$(all_on "$id" "$A")"

# policy, node and nodes re-place too.
bad=
config "$id" "policy preferred node $B" && r=$(all_on "$id" "$B") || bad+=" preferred $B: $r;"
config "$id" "node $A" && r=$(all_on "$id" "$A") || bad+=" node $A: $r;"
grep -q "^policy: preferred" $D/network_$id/config || bad+=" policy not kept by node;"
config "$id" "policy=bind nodes=$B" && r=$(all_on "$id" "$B") || bad+=" bind $B: $r;"
config "$id" "nodes $A" && r=$(all_on "$id" "$A") || bad+=" nodes $A: $r;"
grep -q "^policy: bind" $D/network_$id/config && grep -q "^nodes: $A\$" $D/network_$id/config ||
	bad+=" config: $(grep -E '^(policy|nodes):' $D/network_$id/config | tr '\n' ' ')"
config "$id" "policy interleave nodes $room_list" || bad+=" interleave;"
grep -q "^policy: interleave" $D/network_$id/config || bad+=" not interleave;"
same_as_expected <(nn_predict "$id" </tmp/mig.in) /tmp/mig.expected || bad+=" answers differ;"
config "$id" "migrate $A" || bad+=" back to $A;"
[ -z "$bad" ] && pass policy_node_nodes_re_place || fail policy_node_nodes_re_place "$bad"

# Bad commands: EINVAL, the reason in the log, nothing changed or counted.
before=$(<$D/network_$id/config)
f0=$(net_stat "$id" migration_failures) m0=$(net_stat "$id" migrations)
bad_command() {
	local name=$1 reason=$2 cmd=$3 st verdict=
	log_mark_as "$name"
	st=$(echo "$cmd" | write_status $D/network_$id/config)
	[ "$st" = "Invalid argument" ] || verdict="'$cmd' gave $st"
	[ "$(<$D/network_$id/config)" = "$before" ] || verdict+=" config changed"
	[ "$(net_stat "$id" migration_failures)" = "$f0" ] && [ "$(net_stat "$id" migrations)" = "$m0" ] ||
		verdict+=" counters changed"
	defer_case "$name" "$reason" "$verdict"
}
bad_command bad_policy_refused "unknown policy" "policy bogus"
bad_command node_out_of_range_refused "node 100000 is out of range" "migrate 100000"
bad_command unknown_key_refused "expected policy NAME" "frobnicate 1"
bad_command key_without_value_refused "a key without a value" "migrate"
bad_command migrate_with_more_refused "migrate N stands alone" "migrate $A node $A"
[ -n "$memless" ] && bad_command migrate_memoryless_refused "node $memless has no memory" "migrate $memless"
judge_deferred

# Fault injection at every allocation of a re-placement: each fails with ENOMEM, the
# old placement keeps serving, the failure is counted, nothing is held or leaked.
nn_fault_inject_on
echo "migrate $A" >/tmp/mig-cmd
b0=$(nn_numa_stat bytes) slab0=$(nn_slab_counts) f0=$(net_stat "$id" migration_failures)
out=$($FAILNTH $D/network_$id/config /tmp/mig-cmd -)
rc=$?
nn_fault_inject_off
echo "fault injection: $out" | tr '\n' ' '
echo
injected=$(sed -n 's/.* injected \([0-9]*\) .*/\1/p' <<<"$out")
enomem=$(sed -n 's/^errno Cannot allocate memory \([0-9]*\)$/\1/p' <<<"$out")
f1=$(net_stat "$id" migration_failures)
[ "$rc" = 0 ] && [ "${injected:-0}" -gt 10 ] && [ "$f1" -gt "$f0" ] && [ $((f1 - f0)) -le "${enomem:-0}" ] &&
	pass re_placement_fails_cleanly_at_every_allocation ||
	fail re_placement_fails_cleanly_at_every_allocation "rc $rc, $out, failures $f0 -> $f1"
r=$(all_on "$id" "$A")
on_a=$?
same_as_expected <(nn_predict "$id" </tmp/mig.in) /tmp/mig.expected && [ $on_a = 0 ] && [ "$(nn_numa_stat bytes)" = "$b0" ] &&
	[ "$(nn_slab_counts)" = "$slab0" ] && pass old_placement_serves_after_faults ||
	fail old_placement_serves_after_faults "$r; bytes $b0 -> $(nn_numa_stat bytes); slabs $slab0 -> $(nn_slab_counts)"

# Evacuation: X's networks move off it, except the one bound to X alone.
X=$A
create() { echo "$1" >$D/create && read -r ID <$D/create; }
create "8 16 4 relu linear seed=1 policy=preferred node=$X" && p=$ID
create "8 16 4 relu linear seed=2 policy=bind nodes=$X" && b=$ID
create "600 600 4 relu linear seed=3 policy=interleave nodes=$room_list" && i=$ID
create "8 16 4 relu linear seed=4 policy=replicate nodes=$room_list" && rp=$ID
e0=$(nn_numa_stat evacuations)
# The deferred case's name marks the log before the write.
if [ ${#ROOM[@]} -ge 2 ]; then log_mark_as evacuate_leaves_networks_bound_to_node; else log_mark_as evacuate_one_node_leaves_everything; fi
st=$(echo "$X" | write_status $D/evacuate)
if [ ${#ROOM[@]} -ge 2 ]; then
	bad=
	for n in $p $i $rp; do r=$(none_on "$n" "$X") || bad+=" network_$n: $r;"; done
	[ "$st" = ok ] && [ -z "$bad" ] && pass evacuate_moves_every_network_off_node ||
		fail evacuate_moves_every_network_off_node "$st:$bad"
	r=$(all_on "$b" "$X") && r=$(all_on "$id" "$X") &&
		defer_case evacuate_leaves_networks_bound_to_node "network_$b may only be on node $X" "" ||
		defer_case evacuate_leaves_networks_bound_to_node "left in place" "$r"
	[ "$(nn_numa_stat evacuations)" = $((e0 + 1)) ] && [ "$(net_stat "$p" migrations)" = 1 ] &&
		grep -q "^policy: preferred" $D/network_$p/config && pass evacuation_counted ||
		fail evacuation_counted "evacuations $e0 -> $(nn_numa_stat evacuations), network_$p migrations $(net_stat "$p" migrations)"
else
	bad=
	for n in $p $b $i $rp; do r=$(all_on "$n" "$X") || bad+=" network_$n: $r;"; done
	[ "$st" = ok ] && [ -z "$bad" ] &&
		defer_case evacuate_one_node_leaves_everything "left in place, 0 failed" "" ||
		defer_case evacuate_one_node_leaves_everything "left in place" "$st:$bad"
fi
judge_deferred
st=$(echo "$((ONLINE[-1] + 1))" | write_status $D/evacuate)
[ "$st" = "Invalid argument" ] && pass evacuate_offline_node_refused || fail evacuate_offline_node_refused "$st"
for n in $p $b $i $rp; do echo "$n" >$D/remove; done

# Cross-node accounting: weights on node c1, predictions from a CPU of node c0. Single
# predictions (a write of one row each) run on the writer's CPU; a batch runs on the
# network's mask, the CPUs of the weights' node (71-cpu-affinity), so it is local.
printf '0.5 -0.25 1 0 0.125 -1 2 0.75\n%.0s' $(seq 10) >/tmp/x8.in
cpu_of() { local c; read -r c </sys/devices/system/node/node$1/cpulist; echo "${c%%[-,]*}"; }
predict_on() {
	taskset -c "$1" bash -c 'while read -r l; do echo "$l" >$0; done' $D/network_$2/predict </tmp/x8.in
}
if [ ${#BOTH[@]} -ge 2 ]; then
	c0=${BOTH[0]} c1=${BOTH[1]}
	create "8 16 4 relu linear seed=5 policy=bind nodes=$c1" && x=$ID
	n0=$(node_stat "$c0" cross_node)
	predict_on "$(cpu_of "$c0")" "$x"
	[ "$(net_stat "$x" cross_node)" = 10 ] && [ "$(net_stat "$x" local)" = 0 ] &&
		[ "$(node_stat "$c0" cross_node)" = $((n0 + 10)) ] && pass cross_node_counted_by_hand ||
		fail cross_node_counted_by_hand "cross_node $(net_stat "$x" cross_node) local $(net_stat "$x" local), node $c0: $n0 -> $(node_stat "$c0" cross_node)"
	predict_on "$(cpu_of "$c1")" "$x"
	[ "$(net_stat "$x" cross_node)" = 10 ] && [ "$(net_stat "$x" local)" = 10 ] &&
		pass local_counted_on_weights_node ||
		fail local_counted_on_weights_node "cross_node $(net_stat "$x" cross_node) local $(net_stat "$x" local)"
	taskset -c "$(cpu_of "$c0")" bash -c ". /nn/tools/testing/guest/lib.sh; nn_predict $x" </tmp/x8.in >/dev/null
	[ "$(net_stat "$x" cross_node)" = 10 ] && [ "$(net_stat "$x" local)" = 20 ] &&
		pass batch_from_another_node_runs_on_the_weights_node ||
		fail batch_from_another_node_runs_on_the_weights_node "cross_node $(net_stat "$x" cross_node) local $(net_stat "$x" local)"
	both_list=$(IFS=,; echo "${BOTH[*]}")
	config "$x" "policy replicate nodes $both_list"
	for c in "${BOTH[@]}"; do predict_on "$(cpu_of "$c")" "$x"; done
	[ "$(net_stat "$x" cross_node)" = 10 ] && [ "$(net_stat "$x" local)" = $((20 + 10 * ${#BOTH[@]})) ] &&
		pass replicate_never_cross_node ||
		fail replicate_never_cross_node "cross_node $(net_stat "$x" cross_node) local $(net_stat "$x" local)"
	echo "$x" >$D/remove
else
	c=${BOTH[0]:-${CPUN[0]}}
	create "8 16 4 relu linear seed=5" && x=$ID
	predict_on "$(cpu_of "$c")" "$x"
	[ "$(net_stat "$x" cross_node)" = 0 ] && [ "$(net_stat "$x" local)" = 10 ] &&
		pass one_node_predictions_local ||
		fail one_node_predictions_local "cross_node $(net_stat "$x" cross_node) local $(net_stat "$x" local)"
	echo "$x" >$D/remove
fi

echo "$id" >$D/remove
[ "$(network_count)" = 0 ] && [ "$(nn_numa_stat bytes)" = 0 ] && pass nothing_held_after ||
	fail nothing_held_after "$(network_count) networks, $(nn_numa_stat bytes) bytes"
check unload nn_unload
