# SPDX-License-Identifier: GPL-2.0
# Model hot-swap (network_<id>/replace, nnctl replace): a network's model replaced by
# another of the same interface and another hidden shape answers exactly as the host's
# nnctl eval of the new model, through debugfs and through nnctl, and back; the id, the
# placement and the counters stay (predictions keep counting, `replacements` counts the
# swaps); refusals (other widths, a malformed blob, a truncated one, nnctl's) fail with
# EINVAL and a reason in the log and leave config, stats and memory_map as they were.
# (KUnit neural_network_atomic checks atomic predictions, the cache and another owner;
# 80-api and 83-rust-sample the exported neural_network_replace().)
# timeout: 300

D=$NN_DEBUGFS
A=$NN_DATA/replace-a.nnm
B=$NN_DATA/replace-b.nnm
WIDE=$NN_DATA/replace-wide.nnm
BAD=/nn/tools/testing/models/malformed/bad-magic.nnm
IN=$NN_DATA/replace.in
rows=64
NNCTL=$(nn_nnctl)

st() { nn_kv $D/network_$ID/stats "$1"; }
cf() { nn_kv $D/network_$ID/config "$1"; }
# answers MODEL: the network's answers to replace.in are the host's for MODEL.
answers() { nn_predict $ID <$IN >/tmp/replace.out && cmp -s /tmp/replace.out "${1%.nnm}.expected"; }
# snapshot: the network's config, its memory_map lines and its counters.
snapshot() {
	local line
	cat $D/network_$ID/config
	while IFS= read -r line; do
		[[ $line == "$ID "* ]] && echo "$line"
	done <$D/memory_map
	echo "predictions $(st predictions) replacements $(st replacements) migrations $(st migrations)"
}

plan 12

nn_load || bail loads "insmod failed"
ID=$(nn_load_model $A) || bail model_loads "load failed"
answers $A && pass answers_are_model_a || fail answers_are_model_a "$(cmp /tmp/replace.out ${A%.nnm}.expected 2>&1)"
policy=$(cf policy)

log_mark
r=$(write_status $D/network_$ID/replace <$B)
[ "$r" = ok ] && log_since_mark | grep -q "replace: network_$ID: model replaced" &&
	pass replace_file_takes_model_b || fail replace_file_takes_model_b "write: $r"
answers $B && pass answers_switch_exactly_to_model_b ||
	fail answers_switch_exactly_to_model_b "$(cmp /tmp/replace.out ${B%.nnm}.expected 2>&1)"
[ "$(st replacements)" = 1 ] && [ "$(st predictions)" = $((2 * rows)) ] &&
	pass stats_keep_counting_and_count_the_replacement ||
	fail stats_keep_counting_and_count_the_replacement "replacements $(st replacements), predictions $(st predictions)"
# origin: "loaded crc32 X", X model B's checksum field (the CRC-32 of the rest of it).
[ -d $D/network_$ID ] && [ "$(cf id)" = "$ID" ] && [ "$(cf policy)" = "$policy" ] &&
	[ "$(cf origin)" = "loaded crc32 0x$(tail -c 4 $B | od -An -tx4 | tr -d ' ')" ] &&
	pass id_and_placement_stay ||
	fail id_and_placement_stay "id $(cf id), policy $(cf policy), origin $(cf origin)"

# nnctl: back to model A.
"$NNCTL" replace "$ID" $A 2>/tmp/nnctl.err && answers $A && [ "$(st replacements)" = 2 ] &&
	pass nnctl_replace_switches_back ||
	fail nnctl_replace_switches_back "$(head -c 300 /tmp/nnctl.err) replacements $(st replacements)"

# Refusals: nothing changes.
before=$(snapshot)
log_mark
r=$(write_status $D/network_$ID/replace <$WIDE)
[ "$r" = "Invalid argument" ] && log_since_mark | grep -q "replace: network_$ID: widths differ (in 9 out 4, network 8 -> 4)" &&
	pass other_widths_refused_with_the_reason || fail other_widths_refused_with_the_reason "write: $r"
log_mark
r=$(write_status $D/network_$ID/replace <$BAD)
[ "$r" = "Invalid argument" ] && log_since_mark | grep -q "replace: model rejected" &&
	pass malformed_blob_refused || fail malformed_blob_refused "write: $r"
log_mark
r=$(head -c 100 $B | write_status $D/network_$ID/replace)
log_since_mark | grep -q "replace: model rejected: truncated" && pass truncated_blob_refused_at_close ||
	fail truncated_blob_refused_at_close "write: $r"
"$NNCTL" replace "$ID" $WIDE 2>/tmp/nnctl.err && fail nnctl_refusal_explained "exit 0" ||
	{ grep -q "differ from the network's" /tmp/nnctl.err && pass nnctl_refusal_explained ||
		fail nnctl_refusal_explained "$(head -c 300 /tmp/nnctl.err)"; }
after=$(snapshot)
[ "$before" = "$after" ] && pass refusals_change_nothing ||
	fail refusals_change_nothing "$(diff <(echo "$before") <(echo "$after") | head -c 400)"
answers $A && pass still_model_a_after_the_refusals || fail still_model_a_after_the_refusals "answers changed"

echo "$ID" >$D/remove
nn_unload
