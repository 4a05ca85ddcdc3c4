# SPDX-License-Identifier: GPL-2.0
# CPU affinity: a network's CPU mask is by default the CPUs of the nodes its weights are
# on (the nearest CPUs for weights on a node without any) and follows a migration; `cpus
# LIST` in config sets it exactly, `avoid_cpu0 1` takes CPU 0 out of the default. A batch
# written to predict runs its chunks only on CPUs of the mask, even when the writer's CPU
# is not one of them (cpu_affinity's per-CPU counts), with answers bit-identical to
# nnctl eval's; a single prediction runs on the writer's CPU. Bad commands get EINVAL,
# a reason in the log, and change nothing; a failed write counts nothing.
# timeout: 600

D=$NN_DEBUGFS
BLOB=$NN_DATA/random-r3.nnm
IN=${BLOB%.nnm}.in
EXPECTED=${BLOB%.nnm}.expected
ROWS=$(wc -l <"$IN")
mapfile -t CPUS < <(expand_list "$(</sys/devices/system/cpu/online)")
mapfile -t MEM < <(expand_list "$(</sys/devices/system/node/has_memory)")
mapfile -t CPUN < <(expand_list "$(</sys/devices/system/node/has_cpu)")
# A node with memory and no CPUs (the asymmetric machine's node 1), if any.
cpuless=
for n in "${MEM[@]}"; do
	[[ " ${CPUN[*]} " == *" $n "* ]] || { cpuless=$n; break; }
done
# Nodes with memory, CPUs and room (16 MiB free), for the migrations: a node that boot
# filled (the 16-node machine's node 0) refuses them with ENOMEM.
mapfile -t ROOMY < <(nn_nodes_with_room 16384)
BOTH=()
for n in "${ROOMY[@]}"; do [[ " ${CPUN[*]} " == *" $n "* ]] && BOTH+=("$n"); done
plan $((12 + (${#BOTH[@]} >= 2 ? 1 : 0) + (${#cpuless} > 0 ? 1 : 0)))

[ ${#CPUS[@]} -ge 2 ] || bail cpus "needs 2 online CPUs, has ${#CPUS[@]}"
# The writer: this shell (and what it starts), on the first online CPU.
W=${CPUS[0]}
taskset -pc "$W" $$ >/dev/null || bail pin "taskset -pc $W failed"
OTHERS=("${CPUS[@]:1}")
others_list=$(IFS=,; echo "${OTHERS[*]}")
echo "writer on CPU $W; the others: $others_list; cpu-less node: ${cpuless:-none}"

nn_load || bail loads "insmod failed"

# node_cpus NODE...: the CPUs of the nodes, sorted, one per line.
node_cpus() {
	local n
	for n in "$@"; do expand_list "$(</sys/devices/system/node/node$n/cpulist)"; done | sort -n -u
}
# nearest_cpu_node NODE: the node with CPUs nearest to NODE (NODE itself if it has CPUs;
# the lowest id among equals), as the module picks a default mask.
nearest_cpu_node() {
	local i n best= bd= dist online
	read -ra dist <"/sys/devices/system/node/node$1/distance"
	mapfile -t online < <(expand_list "$(</sys/devices/system/node/online)")
	for i in "${!online[@]}"; do
		n=${online[i]}
		[[ " ${CPUN[*]} " == *" $n "* ]] || continue
		if [ -z "$bd" ] || [ "${dist[i]}" -lt "$bd" ]; then best=$n bd=${dist[i]}; fi
	done
	echo "$best"
}
# default_cpus NODE: the default mask of weights on NODE, one CPU per line.
default_cpus() { node_cpus "$(nearest_cpu_node "$1")"; }
# mask_field ID K: field K of network ID's line in cpu_affinity ("network_N cpus LIST
# SOURCE ..."). mask_of ID: its mask, one CPU per line. src_of ID: where it comes from
# (default or cpus).
mask_field() {
	local l f
	while read -r l; do
		[[ $l == "network_$1 cpus "* ]] || continue
		read -ra f <<<"$l"
		echo "${f[$2]}"
		return
	done <$D/cpu_affinity
}
mask_of() { expand_list "$(mask_field "$1" 2)"; }
# flat: lines as one comma-separated list, for a failure's message.
flat() { tr '\n' , | sed 's/,$//'; }
src_of() { mask_field "$1" 3; }
# counts_of ID: "cpu:predictions:chunks" for each CPU line of network ID in cpu_affinity.
counts_of() {
	local l f on=
	while read -r l; do
		if [[ $l == network_* ]]; then
			[[ $l == "network_$1 "* ]] && on=1 || on=
			continue
		fi
		[ -n "$on" ] || continue
		read -ra f <<<"$l"
		echo "${f[1]}:${f[3]}:${f[5]}"
	done <$D/cpu_affinity
}
# count ID CPU predictions|chunks: one count of one CPU.
count() {
	local e c p k
	for e in $(counts_of "$1"); do
		IFS=: read -r c p k <<<"$e"
		[ "$c" = "$2" ] || continue
		[ "$3" = predictions ] && echo "$p" || echo "$k"
		return
	done
	echo 0
}
# weight_nodes ID: the nodes memory_map shows the weights and biases of ID on.
weight_nodes() {
	local l net part kind bytes pages want got p
	while read -r net part kind bytes pages want got; do
		[ "$net" = "$1" ] || continue
		case $kind in weights | bias | weights_replica | bias_replica) ;; *) continue ;; esac
		IFS=, read -ra l <<<"$got"
		for p in "${l[@]}"; do echo "${p%:*}"; done
	done <$D/memory_map | sort -n -u
}
# weights_default_cpus ID: the default mask of ID, from where memory_map shows its
# weights: each node's CPUs, or the nearest CPUs for a node without any (the weights
# that fell back from a full node may be spread over both kinds).
weights_default_cpus() {
	local n
	for n in $(weight_nodes "$1"); do default_cpus "$n"; done | sort -n -u
}
config() { echo "$2" >$D/network_$1/config; }
# batch ID [OUT]: writes all of $IN in one write() through one open file; its results
# go to OUT (/tmp/batch.out).
SIZE=$(stat -c %s "$IN")
batch() {
	local f=$D/network_$1/predict fd
	exec {fd}<>"$f" || return 1
	dd if="$IN" bs="$SIZE" count=1 status=none >&$fd || { exec {fd}>&-; return 1; }
	cat <&$fd >"${2:-/tmp/batch.out}"
	exec {fd}>&-
}
snap() { cat $D/cpu_affinity $D/network_$1/config $D/network_$1/stats; }

id=$(nn_load_model "$BLOB") || bail load "load failed"

# The default: the CPUs of the weights' nodes, in cpu_affinity and in config.
want=$(weights_default_cpus "$id")
got=$(mask_of "$id")
[ -n "$want" ] && [ "$got" = "$want" ] && [ "$(src_of "$id")" = default ] &&
	grep -q "^cpus: .* default$" $D/network_$id/config &&
	pass default_mask_is_the_cpus_of_the_weights_nodes ||
	fail default_mask_is_the_cpus_of_the_weights_nodes "want [$(flat <<<"$want")], got [$(flat <<<"$got")] ($(src_of "$id"))"

# A batch from CPU W, on a mask without W: every chunk runs on the others.
config "$id" "cpus $others_list" || bail set_cpus "cpus $others_list refused"
got=$(mask_of "$id")
[ "$got" = "$(printf '%s\n' "${OTHERS[@]}")" ] && [ "$(src_of "$id")" = cpus ] &&
	pass cpus_list_sets_the_mask || fail cpus_list_sets_the_mask "got [$got] ($(src_of "$id"))"

before_p=$(count "$id" "$W" predictions) before_k=$(count "$id" "$W" chunks)
p0=0 k0=0
for c in "${OTHERS[@]}"; do
	p0=$((p0 + $(count "$id" "$c" predictions))) k0=$((k0 + $(count "$id" "$c" chunks)))
done
batch "$id" || bail batch "the batch write failed"
p1=0 k1=0
for c in "${OTHERS[@]}"; do
	p1=$((p1 + $(count "$id" "$c" predictions))) k1=$((k1 + $(count "$id" "$c" chunks)))
done
echo "batch of $ROWS rows: the others ran $((p1 - p0)) rows in $((k1 - k0)) chunks"
[ "$(count "$id" "$W" predictions)" = "$before_p" ] && [ "$(count "$id" "$W" chunks)" = "$before_k" ] &&
	[ $((p1 - p0)) = "$ROWS" ] && [ $((k1 - k0)) -ge ${#OTHERS[@]} ] &&
	pass batch_chunks_run_only_on_the_mask ||
	fail batch_chunks_run_only_on_the_mask "$(counts_of "$id" | tr '\n' ' ')"
[ "$(</tmp/batch.out)" = "$(<"$EXPECTED")" ] && pass batch_answers_equal_nnctl_eval ||
	fail batch_answers_equal_nnctl_eval "$(diff /tmp/batch.out "$EXPECTED" | head -3 | tr '\n' '|')"

# One row runs on the writer's CPU, mask or not.
p0=$(count "$id" "$W" predictions) k0=$(count "$id" "$W" chunks)
head -n 1 "$IN" >$D/network_$id/predict
[ "$(count "$id" "$W" predictions)" = $((p0 + 1)) ] && [ "$(count "$id" "$W" chunks)" = "$k0" ] &&
	pass single_prediction_runs_on_the_writers_cpu ||
	fail single_prediction_runs_on_the_writers_cpu "$(counts_of "$id" | tr '\n' ' ')"

# Bad commands: EINVAL, a reason, nothing changed.
before=$(snap "$id")
bad=
log_mark
for cmd in "cpus 100000" "cpus abc" "cpus 3-1" "cpus" "avoid_cpu0 2" "cpus 0 cpus 1"; do
	r=$(echo "$cmd" | write_status $D/network_$id/config)
	[ "$r" = "Invalid argument" ] || bad+=" [$cmd]: $r;"
done
log=$(log_since_mark)
for why in "cpus 100000: a CPU id is not below nr_cpu_ids" "cpus abc: not a cpulist" \
	"cpus 3-1: not a cpulist" "a key without a value" "avoid_cpu0 takes 0 or 1" "a key given twice"; do
	grep -qF -- "network_$id/config: line 1: $why" <<<"$log" || bad+=" no log line '$why';"
done
[ "$(snap "$id")" = "$before" ] || bad+=" something changed;"
[ -z "$bad" ] && pass bad_cpus_commands_einval_and_change_nothing ||
	fail bad_cpus_commands_einval_and_change_nothing "$bad"

# A write that fails (a bad line) counts nothing anywhere.
before=$(snap "$id")
r=$(printf '1 2\n' | write_status $D/network_$id/predict)
[ "$r" = "Invalid argument" ] && [ "$(snap "$id")" = "$before" ] &&
	pass failed_write_counts_nothing || fail failed_write_counts_nothing "$r"

# Back to the default; it follows a migration; an explicit mask does not.
config "$id" "cpus default"
[ "$(mask_of "$id")" = "$(weights_default_cpus "$id")" ] && [ "$(src_of "$id")" = default ] &&
	pass cpus_default_goes_back || fail cpus_default_goes_back "[$(mask_of "$id" | flat)] ($(src_of "$id"))"
if [ ${#BOTH[@]} -ge 2 ]; then
	from=$(weight_nodes "$id" | head -n1)
	to=${BOTH[0]}
	[ "$to" = "$from" ] && to=${BOTH[1]}
	r=$(echo "migrate $to" | write_status $D/network_$id/config)
	[ "$r" = ok ] && [ "$(mask_of "$id")" = "$(node_cpus "$to")" ] && pass default_mask_follows_a_migration ||
		fail default_mask_follows_a_migration "to $to ($r): [$(mask_of "$id" | flat)], want [$(node_cpus "$to" | flat)]"
fi
config "$id" "cpus $W"
r=$(echo "migrate ${BOTH[0]:-0}" | write_status $D/network_$id/config)
[ "$r" = ok ] && [ "$(mask_of "$id")" = "$W" ] && [ "$(src_of "$id")" = cpus ] &&
	pass explicit_mask_stays_through_a_migration ||
	fail explicit_mask_stays_through_a_migration "migrate ${BOTH[0]:-0} ($r): [$(mask_of "$id" | flat)] ($(src_of "$id"))"

# avoid_cpu0: the default without CPU 0, unless CPU 0 is the only CPU it has. The
# weights go to a node whose default mask holds CPU 0: CPU 0's own node, or else a node
# without CPUs nearest to it; the first of them that takes the network (a node that boot
# filled refuses with ENOMEM and changes nothing: the 16-node machine's node 0).
n0= def0=
for n in "${MEM[@]}"; do
	d=$(default_cpus "$n")
	grep -qx 0 <<<"$d" || continue
	[ "$(echo "migrate $n" | write_status $D/network_$id/config)" = ok ] || continue
	n0=$n def0=$d
	break
done
config "$id" "cpus default avoid_cpu0 1"
want=$(grep -vx 0 <<<"$def0")
[ -n "$want" ] || want=0
[ -n "$n0" ] && [ "$(mask_of "$id")" = "$want" ] && grep -q "^avoid_cpu0: 1$" $D/network_$id/config &&
	pass avoid_cpu0_leaves_cpu0_out_of_the_default ||
	fail avoid_cpu0_leaves_cpu0_out_of_the_default "node ${n0:-none took it}: [$(mask_of "$id" | flat)], want [$(flat <<<"$want")]"
config "$id" "avoid_cpu0 0"
[ -n "$n0" ] && [ "$(mask_of "$id")" = "$def0" ] && pass avoid_cpu0_off_puts_it_back ||
	fail avoid_cpu0_off_puts_it_back "[$(mask_of "$id" | flat)], want [$(flat <<<"$def0")]"

# Weights on a node without CPUs: the CPUs of the nearest node with CPUs.
if [ -n "$cpuless" ]; then
	config "$id" "migrate $cpuless"
	best=$(nearest_cpu_node "$cpuless")
	[ "$(mask_of "$id")" = "$(node_cpus "$best")" ] &&
		pass cpuless_node_gets_the_nearest_cpus ||
		fail cpuless_node_gets_the_nearest_cpus "node $cpuless: [$(mask_of "$id" | flat)], nearest with CPUs $best"
fi

# Two writers at once, two batches of 100 rows each, while the mask changes under them.
config "$id" "cpus default"
head -n 100 "$IN" >/tmp/aff.in
head -n 100 "$EXPECTED" >/tmp/aff.expected
IN=/tmp/aff.in SIZE=$(stat -c %s /tmp/aff.in)
for j in 1 2; do
	(
		for k in 1 2; do
			batch "$id" /tmp/batch.$j && [ "$(</tmp/batch.$j)" = "$(</tmp/aff.expected)" ] ||
				{ echo fail >/tmp/aff.$j; exit; }
		done
		echo ok >/tmp/aff.$j
	) &
done
for m in "cpus $others_list" "cpus default" "cpus $W"; do config "$id" "$m"; done
wait
[ "$(cat /tmp/aff.1 /tmp/aff.2)" = "ok"$'\n'"ok" ] && pass concurrent_batches_equal_nnctl_eval ||
	fail concurrent_batches_equal_nnctl_eval "$(cat /tmp/aff.1 /tmp/aff.2 | tr '\n' ' ')"
