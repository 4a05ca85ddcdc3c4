# SPDX-License-Identifier: GPL-2.0
# A network's config and stats files, and the prediction cache behind them: config reads
# back every setting and takes one command per line (cache_timeout, simd, migrate, cpus),
# every line checked before any applies, so a write with one bad line changes nothing;
# the cache answers a repeated single input exactly as the miss did, lets entries
# expire, is emptied by a migration (its table then on the new node), stays off at
# timeout 0 and is bypassed by batches; simd 0 sends every layer of the network to the
# scalar path; stats times the predictions. (KUnit neural_network_atomic checks the
# cache's bound and its emptying by training.)
# timeout: 300

D=$NN_DEBUGFS
SAMPLE=/nn/rust/kunit/testdata/sample.nnm
mapfile -t MEM < <(expand_list "$(</sys/devices/system/node/has_memory)")

st() { nn_kv $D/network_$ID/stats "$1"; }
cf() { nn_kv $D/network_$ID/config "$1"; }
# layer0_node: the node of layer 0's weights, from config.
layer0_node() {
	local line
	while IFS= read -r line; do
		if [[ $line == "layer 0: "* ]]; then
			line=${line#* node }
			echo "${line%% *}"
			return 0
		fi
	done <$D/network_$ID/config
}
# one LINE: predicts one input line, prints the result line.
one() { echo "$1" | nn_predict $ID; }
# cfg_write TEXT: writes TEXT (printf %b) to config in one write; prints ok or the error.
cfg_write() { printf '%b' "$1" | write_status $D/network_$ID/config; }

plan 24

nn_load neural_cache_timeout_ms=60000 neural_simd_threshold=1 || bail loads "insmod failed"
ID=$(nn_load_model $SAMPLE) || bail model_loads "load failed"

missing=
for k in owner policy node nodes cpus avoid_cpu0 cache_timeout simd layers bytes; do
	cf $k >/dev/null || missing+="$k "
done
[ -z "$missing" ] && pass config_reads_back_every_setting || fail config_reads_back_every_setting "missing: $missing"
[ "$(cf cache_timeout)" = "60000 ms (neural_cache_timeout_ms)" ] && [ "$(cf simd)" = 1 ] &&
	pass config_shows_the_parameter_defaults ||
	fail config_shows_the_parameter_defaults "cache_timeout '$(cf cache_timeout)', simd '$(cf simd)'"

missing=
for k in predictions batches infer_ns_total infer_ns_avg infer_ns_max simd_layers scalar_layers \
	atomic_predictions atomic_eagain cache_hits cache_misses cache_evictions cache_invalidated \
	cache_entries cache_bytes cache_node train_steps migrations; do
	st $k >/dev/null || missing+="$k "
done
[ -z "$missing" ] && pass stats_has_every_counter || fail stats_has_every_counter "missing: $missing"

# The cache: a miss, then a hit with the same answer, the host's.
mapfile -t IN <$NN_DATA/sample.in
mapfile -t WANT <$NN_DATA/sample.expected
a=$(one "${IN[0]}")
b=$(one "${IN[0]}")
[ "$a" = "${WANT[0]}" ] && [ "$b" = "$a" ] && [ "$(st cache_misses)" = 1 ] && [ "$(st cache_hits)" = 1 ] &&
	pass cache_hit_returns_what_the_miss_computed ||
	fail cache_hit_returns_what_the_miss_computed "'$a' '$b' (want '${WANT[0]}'), misses $(st cache_misses) hits $(st cache_hits)"
n0=$(layer0_node)
[ "$(st cache_entries)" = "1 of 256" ] && [ "$(st cache_node)" = "$n0" ] && [ "$(st cache_bytes)" -gt 0 ] &&
	pass cache_table_on_the_weights_node ||
	fail cache_table_on_the_weights_node "entries '$(st cache_entries)', node '$(st cache_node)' (layer 0 on $n0), bytes $(st cache_bytes)"
# A batch of two lines is computed, not looked up.
two=$(printf '%s\n%s\n' "${IN[0]}" "${IN[0]}" | nn_predict $ID)
[ "$two" = "${WANT[0]}"$'\n'"${WANT[0]}" ] && [ "$(st cache_hits)" = 1 ] && [ "$(st cache_misses)" = 1 ] &&
	pass batches_bypass_the_cache || fail batches_bypass_the_cache "hits $(st cache_hits), misses $(st cache_misses)"

# Expiry: a timeout of 200 ms.
[ "$(cfg_write 'cache_timeout 200\n')" = ok ] && [ "$(cf cache_timeout)" = "200 ms (set)" ] &&
	pass config_sets_cache_timeout || fail config_sets_cache_timeout "$(cf cache_timeout)"
h=$(st cache_hits)
one "${IN[1]}" >/dev/null
nn_sleep 1
c=$(one "${IN[1]}")
[ "$c" = "${WANT[1]}" ] && [ "$(st cache_hits)" = "$h" ] && pass cache_entries_expire ||
	fail cache_entries_expire "hits $h -> $(st cache_hits), answer '$c'"

# A migration: new layers, an empty cache on their node.
[ "$(cfg_write 'cache_timeout default\n')" = ok ] && [ "$(cf cache_timeout)" = "60000 ms (neural_cache_timeout_ms)" ] &&
	pass config_cache_timeout_default || fail config_cache_timeout_default "$(cf cache_timeout)"
one "${IN[2]}" >/dev/null
one "${IN[2]}" >/dev/null
h=$(st cache_hits)
to=${MEM[${#MEM[@]} - 1]}
[ "$to" = "$n0" ] && to=${MEM[0]}
m=$(st migrations)
[ "$(cfg_write "migrate $to\n")" = ok ] && [ "$(st migrations)" = $((m + 1)) ] && pass migrate_by_config ||
	fail migrate_by_config "migrations $m -> $(st migrations)"
c=$(one "${IN[2]}")
[ "$c" = "${WANT[2]}" ] && [ "$(st cache_hits)" = "$h" ] && [ "$(st cache_entries)" = "1 of 256" ] &&
	[ "$(st cache_node)" = "$to" ] && pass migration_empties_the_cache_onto_the_new_node ||
	fail migration_empties_the_cache_onto_the_new_node "hits $h -> $(st cache_hits), entries '$(st cache_entries)', node $(st cache_node) (to $to)"

# Timeout 0: off, the table freed, nothing looked up.
[ "$(cfg_write 'cache_timeout 0\n')" = ok ] && [ "$(st cache_bytes)" = 0 ] && pass cache_timeout_0_frees_the_table ||
	fail cache_timeout_0_frees_the_table "bytes $(st cache_bytes)"
m=$(st cache_misses)
one "${IN[2]}" >/dev/null
[ "$(st cache_misses)" = "$m" ] && [ "$(st cache_bytes)" = 0 ] && pass cache_off_looks_nothing_up ||
	fail cache_off_looks_nothing_up "misses $m -> $(st cache_misses)"

# simd 0: every layer scalar (the vector path needs AVX2 and the self-check).
vec=0
grep -qx "features: avx2" $D/simd && grep -qx "selfcheck: passed" $D/simd && vec=1
s0=$(st simd_layers) c0=$(st scalar_layers)
one "${IN[3]}" >/dev/null
s1=$(st simd_layers) c1=$(st scalar_layers)
[ "$(cfg_write 'simd 0\n')" = ok ] && [ "$(cf simd)" = 0 ] && pass config_sets_simd || fail config_sets_simd "$(cf simd)"
one "${IN[3]}" >/dev/null
s2=$(st simd_layers) c2=$(st scalar_layers)
if [ $vec = 1 ]; then
	[ $s1 -gt $s0 ] && [ $c1 = $c0 ] && [ $s2 = $s1 ] && [ $c2 -gt $c1 ] && pass simd_0_runs_every_layer_scalar ||
		fail simd_0_runs_every_layer_scalar "simd $s0 $s1 $s2, scalar $c0 $c1 $c2"
else
	[ $s2 = 0 ] && [ $c2 -gt $c1 ] && pass simd_0_runs_every_layer_scalar ||
		fail simd_0_runs_every_layer_scalar "no vector path: simd $s2, scalar $c0 $c1 $c2"
fi
tot=$(st infer_ns_total) avg=$(st infer_ns_avg) max=$(st infer_ns_max) p=$(st predictions)
[ "$tot" -gt 0 ] && [ "$avg" = $((tot / p)) ] && [ "$max" -le "$tot" ] && [ "$max" -gt 0 ] &&
	pass stats_time_the_predictions || fail stats_time_the_predictions "total $tot avg $avg max $max predictions $p"

# Several lines: all checked, then all applied.
cpu=0
[ "$(cfg_write 'simd 1\n\ncache_timeout 1234\navoid_cpu0 1\n')" = ok ] && [ "$(cf simd)" = 1 ] &&
	[ "$(cf cache_timeout)" = "1234 ms (set)" ] && [ "$(cf avoid_cpu0)" = 1 ] &&
	pass config_applies_every_line || fail config_applies_every_line "simd $(cf simd), cache_timeout $(cf cache_timeout), avoid_cpu0 $(cf avoid_cpu0)"
before=$(<$D/network_$ID/config)
m=$(st migrations)
bad_config() {
	local name=$1 text=$2 reason=$3 s verdict=
	log_mark_as "$name"
	s=$(cfg_write "$text")
	if [ "$s" != "Invalid argument" ]; then
		verdict="write gave '$s'"
	elif [ "$(<$D/network_$ID/config)" != "$before" ] || [ "$(st migrations)" != "$m" ]; then
		verdict="config or migrations changed"
	fi
	defer_case "$name" "network_$ID/config: $reason" "$verdict"
}
bad_config config_bad_last_line_changes_nothing "simd 0\nmigrate $n0\ncache_timeout 5\nbogus 1\n" "line 4: expected policy"
bad_config config_cache_timeout_over_an_hour "cache_timeout 3600001\n" "line 1: cache_timeout takes 0 to 3600000"
bad_config config_cache_timeout_not_a_number "simd 0\ncache_timeout soon\n" "line 2: cache_timeout takes 0 to 3600000"
bad_config config_simd_2 "simd 2\n" "line 1: simd takes 0 or 1"
bad_config config_key_twice_on_a_line "simd 0 simd 1\n" "line 1: a key given twice"
bad_config config_only_blank_lines "\n\n" "expected policy"
judge_deferred

check unload nn_unload
