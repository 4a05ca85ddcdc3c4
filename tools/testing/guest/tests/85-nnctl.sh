# SPDX-License-Identifier: GPL-2.0
# nnctl's administrator commands against the real module (nnctl.rst, "Administering the
# module"): load (one write, the id read back from the same open file, --policy through
# config), predict (the host's nnctl eval lines exactly, EINVAL for a bad line), stats
# (the file's every field, aligned; every network side by side), status (numa_info and
# numa_stats per node), map (memory_map per network and node, the per-node sums those of
# numa_stats; --svg), config (read as is; a valid write of two commands in one write; an
# invalid one refused with EINVAL and nothing changed), a missing network, and after
# rmmod the "module is not loaded" error. Each nnctl is a process (about a second under
# TCG with the debug kernel): few of them.
# timeout: 300

D=$NN_DEBUGFS
BLOB=$NN_DATA/random-r1.nnm
IN=${BLOB%.nnm}.in
EXPECTED=${BLOB%.nnm}.expected
rows=250
NNCTL=$(nn_nnctl)
mapfile -t MEM < <(expand_list "$(</sys/devices/system/node/has_memory)")
# Where `migrate` sends the network: the last node with memory (node 0 on one node).
B=${MEM[-1]}
plan 16

out=$("$NNCTL" --version 2>&1) && [[ $out == "nnctl "* ]] && pass runs_in_the_guest ||
	bail runs_in_the_guest "$NNCTL --version: $out"

nn_load || bail loads "insmod failed"

# load: the id back from the same open file.
id=$("$NNCTL" load $BLOB 2>/tmp/nnctl.err) && [ -d $D/network_$id ] &&
	grep -qx "id: $id" $D/network_$id/config && pass load_prints_the_new_id ||
	bail load_prints_the_new_id "'$id' $(</tmp/nnctl.err)"

# predict: the host's lines, bit for bit.
"$NNCTL" predict "$id" $IN >/tmp/nnctl.out 2>/tmp/nnctl.err && cmp -s /tmp/nnctl.out $EXPECTED &&
	pass predict_prints_the_hosts_lines ||
	fail predict_prints_the_hosts_lines "$(head -c 300 /tmp/nnctl.err; cmp /tmp/nnctl.out $EXPECTED 2>&1)"

# A bad line: EINVAL, nothing ran.
if "$NNCTL" predict "$id" - <<<"1 2" >/tmp/nnctl.out 2>/tmp/nnctl.err; then
	fail predict_bad_line_is_einval "exit 0: $(</tmp/nnctl.out)"
else
	grep -q "predict: write: Invalid argument (EINVAL): an input line was refused" /tmp/nnctl.err &&
		pass predict_bad_line_is_einval || fail predict_bad_line_is_einval "$(</tmp/nnctl.err)"
fi

# stats ID: every line of the file, aligned (squeezing the spaces gives the file back).
"$NNCTL" stats "$id" >/tmp/nnctl.out 2>/tmp/nnctl.err && tr -s ' ' </tmp/nnctl.out >/tmp/nnctl.sq &&
	cmp -s /tmp/nnctl.sq $D/network_$id/stats && grep -q "^predictions: *$rows\$" /tmp/nnctl.out &&
	pass stats_shows_every_field ||
	fail stats_shows_every_field "$(head -c 300 /tmp/nnctl.err /tmp/nnctl.out)"

# config ID: the file as it is.
cp $D/network_$id/config /tmp/nnctl.config
"$NNCTL" config "$id" >/tmp/nnctl.out 2>/tmp/nnctl.err && cmp -s /tmp/nnctl.out /tmp/nnctl.config &&
	pass config_prints_the_file || fail config_prints_the_file "$(head -c 300 /tmp/nnctl.err)"

# Two commands in one write.
if "$NNCTL" config "$id" "migrate $B" "cpus 0" 2>/tmp/nnctl.err; then
	grep -qx "policy: bind" $D/network_$id/config && grep -qx "node: $B" $D/network_$id/config &&
		grep -qx "cpus: 0 cpus" $D/network_$id/config && pass config_writes_commands_in_one_write ||
		fail config_writes_commands_in_one_write "$(tr '\n' '|' <$D/network_$id/config)"
else
	fail config_writes_commands_in_one_write "$(</tmp/nnctl.err)"
fi

# An invalid command among valid ones: EINVAL, the reason in the log, nothing changed.
cp $D/network_$id/config /tmp/nnctl.config
log_mark_as config_invalid_write_is_einval_and_changes_nothing
if "$NNCTL" config "$id" "migrate 0" "frobnicate 1" 2>/tmp/nnctl.err; then
	verdict="exit 0"
elif ! grep -q "config: write: Invalid argument (EINVAL): the module refused the command and changed nothing" /tmp/nnctl.err; then
	verdict="$(</tmp/nnctl.err)"
elif ! cmp -s /tmp/nnctl.config $D/network_$id/config; then
	verdict="config changed: $(tr '\n' '|' <$D/network_$id/config)"
else
	verdict=
fi
defer_case config_invalid_write_is_einval_and_changes_nothing "network_$id/config: " "$verdict"

# load --policy: the new network re-placed through its config.
id2=$("$NNCTL" load $BLOB --policy interleave 2>/tmp/nnctl.err) &&
	grep -qx "policy: interleave" $D/network_$id2/config && pass load_with_a_policy ||
	fail load_with_a_policy "'$id2' $(</tmp/nnctl.err)"

# stats: both networks side by side.
"$NNCTL" stats >/tmp/nnctl.out 2>/tmp/nnctl.err &&
	grep -q "^ *network $id  *network $id2\$" /tmp/nnctl.out &&
	grep -q "^predictions  *$rows  *0\$" /tmp/nnctl.out && pass stats_of_every_network ||
	fail stats_of_every_network "$(head -c 400 /tmp/nnctl.err /tmp/nnctl.out | tr '\n' '|')"

# status: a column a node; each node's bytes those of numa_stats.
"$NNCTL" status >/tmp/nnctl.status 2>/tmp/nnctl.err
bad=
mapfile -t NS <$D/numa_stats
for l in "${NS[@]}"; do
	[[ $l == "node "* ]] || continue
	read -r _ n _ bytes _ <<<"$l"
	node_bytes[$n]=$bytes
done
read -ra row < <(grep "^  bytes " /tmp/nnctl.status)
mapfile -t ONLINE < <(online_nodes)
k=1
for n in "${ONLINE[@]}"; do
	[ "${row[k]:-}" = "${node_bytes[$n]:-}" ] || bad+=" node $n: '${row[k]:-}' vs '${node_bytes[$n]:-}';"
	k=$((k + 1))
done
grep -q "^ *node 0 .*total\$" /tmp/nnctl.status && grep -q "^  mem_total_kb " /tmp/nnctl.status &&
	grep -q "^  distances:" /tmp/nnctl.status && grep -q "^  max_total_bytes: " /tmp/nnctl.status &&
	[ -z "$bad" ] && pass status_tabulates_the_nodes ||
	fail status_tabulates_the_nodes "$bad $(head -c 300 /tmp/nnctl.err) $(head -n 3 /tmp/nnctl.status | tr '\n' '|')"

# map: a row a network; its node columns add up to numa_stats' per node (the same
# proportional share of every buffer); a bar a network; the SVG.
"$NNCTL" map --svg /tmp/nnctl.svg >/tmp/nnctl.map 2>/tmp/nnctl.err
read -ra tot < <(grep "^total " /tmp/nnctl.map)
read -ra hdr < <(grep "^network  *node " /tmp/nnctl.map)
bad=
for ((k = 1; k + 1 < ${#hdr[@]}; k += 2)); do
	n=${hdr[k + 1]}
	[ "${tot[(k + 1) / 2]:-}" = "${node_bytes[$n]:-}" ] ||
		bad+=" node $n: '${tot[(k + 1) / 2]:-}' vs numa_stats '${node_bytes[$n]:-}';"
done
grep -q "^$id  " /tmp/nnctl.map && grep -q "^network $id2  " /tmp/nnctl.map && [ -z "$bad" ] &&
	pass map_tabulates_and_charts || fail map_tabulates_and_charts "$bad $(head -c 300 /tmp/nnctl.err)"
grep -q "^<svg" /tmp/nnctl.svg && grep -qx "network $id2" /tmp/nnctl.svg && pass map_writes_an_svg ||
	fail map_writes_an_svg "$(head -c 200 /tmp/nnctl.svg)"

# A network that does not exist.
"$NNCTL" stats 999 2>/tmp/nnctl.err && fail no_such_network "exit 0" ||
	{ grep -qx "nnctl: no network 999 (ls $D)" /tmp/nnctl.err && pass no_such_network ||
		fail no_such_network "$(</tmp/nnctl.err)"; }

judge_deferred
check unload nn_unload

# The module gone: the error says so (debugfs is still mounted).
"$NNCTL" status >/tmp/nnctl.out 2>/tmp/nnctl.err && fail not_loaded_error "exit 0" ||
	{ [ "$(</tmp/nnctl.err)" = "nnctl: the neural_network module is not loaded (modprobe neural_network)" ] &&
		pass not_loaded_error || fail not_loaded_error "$(</tmp/nnctl.err)"; }
