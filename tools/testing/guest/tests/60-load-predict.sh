# SPDX-License-Identifier: GPL-2.0
# Loading models through debugfs `load`, predicting through `network_<id>/predict`,
# removing through `remove`; every bad input fails with its errno, a reason in the log,
# and leaves networks, results and counters as they were.
# timeout: 600
plan 27

nn_load || bail loads "insmod failed"
D=$NN_DEBUGFS
SAMPLE=/nn/rust/kunit/testdata/sample.nnm

[ "$(cat $D/load)" = none ] && pass load_reads_none_at_first || fail load_reads_none_at_first "$(cat $D/load)"

log_mark_as load_logs_the_id
id=$(nn_load_model $SAMPLE)
[ "$id" = 0 ] && [ -d $D/network_0 ] && pass load_creates_network_0 || fail load_creates_network_0 "id '$id'"
defer_case load_logs_the_id "load: loaded network_0 (2 layers, 3 inputs, 2 outputs" ""
config=$(cat $D/network_0/config)
echo "$config" | sed 's/^/config: /'
grep -qx "input: 3 frac 8" <<<"$config" && grep -qx "layers: 2" <<<"$config" &&
	grep -q "^layer 1: 4 -> 2 sigmoid out_frac 15" <<<"$config" &&
	pass config_shows_the_model || fail config_shows_the_model
crc=$(sed -n 's/^origin: loaded crc32 //p' <<<"$config")
# The blob's checksum field (its last 4 bytes, little-endian): the CRC-32 of the rest.
[ "$crc" = "0x$(tail -c 4 $SAMPLE | od -An -tx4 | tr -d ' ')" ] &&
	pass config_crc_is_the_blobs || fail config_crc_is_the_blobs "$crc"

# Predictions equal the host's (nnctl eval) byte for byte.
nn_predict 0 <$NN_DATA/sample.in >/tmp/sample.out
cmp -s /tmp/sample.out $NN_DATA/sample.expected && pass predict_matches_host ||
	fail predict_matches_host "$(diff /tmp/sample.out $NN_DATA/sample.expected | head -5)"
# Another open file reads the last writer's results.
cat $D/network_0/predict | cmp -s - $NN_DATA/sample.expected && pass predict_readers_see_last_writer ||
	fail predict_readers_see_last_writer
# A last line without a newline runs at close; lines split across writes join up.
{ printf '1 -0.5 '; sleep 0.2; printf '0.25\n0 0'; sleep 0.2; printf ' 0'; } >$D/network_0/predict
head -2 $NN_DATA/sample.expected | cmp -s - $D/network_0/predict && pass predict_joins_split_lines ||
	fail predict_joins_split_lines "$(cat $D/network_0/predict)"
stats=$(cat $D/network_0/stats)
[ "$(sed -n 's/^predictions: //p' <<<"$stats")" = 6 ] && pass stats_count_predictions ||
	fail stats_count_predictions "$stats"

# Bad input: -EINVAL, a named reason, nothing changes.
before=$(cat $D/network_0/predict)
# The log is judged at the end, in one read (judge_deferred).
bad_predict() {
	local name=$1 input=$2 reason=$3 st verdict=
	log_mark_as "$name"
	st=$(printf '%b' "$input" | write_status $D/network_0/predict)
	if [ "$st" != "Invalid argument" ]; then
		verdict="write gave '$st'"
	elif [ "$(cat $D/network_0/predict)" != "$before" ] || [ "$(cat $D/network_0/stats)" != "$stats" ]; then
		verdict="results or stats changed"
	fi
	defer_case "$name" "network_0: predict: $reason" "$verdict"
}
bad_predict predict_too_few_numbers '1 2\n' 'line 1: 2 numbers, the network takes 3'
bad_predict predict_too_many_numbers '1 2 3 4\n' 'line 1: too many numbers'
bad_predict predict_bad_line_after_good '1 2 3\n0 0 0\n1 x 2\n' 'line 3: '
bad_predict predict_not_a_number '1 2 abc\n' 'line 1: '
bad_predict predict_exponent '1e3 2 3\n' 'line 1: '
# Out of the input format (Q7.8 here): refused only in strict mode.
echo 1 >$NN_PARAMS/neural_strict_input
bad_predict predict_out_of_range_strict '200 0 0\n' 'line 1: number out of range for the input format Q7.8'
echo 0 >$NN_PARAMS/neural_strict_input
bad_predict predict_empty_token '1 - 3\n' 'line 1: '
# By default it saturates to the nearest end of the format, and is counted.
sat=$(echo '200 0 0' | nn_predict 0)
end=$(echo '127.99609375 0 0' | nn_predict 0)
clipped=$(sed -n 's/^inputs_clipped: //p' $D/network_0/stats)
[ -n "$sat" ] && [ "$sat" = "$end" ] && [ "$clipped" = 1 ] && pass predict_out_of_range_saturates ||
	fail predict_out_of_range_saturates "'$sat' vs '$end', inputs_clipped '$clipped'"

# Bad blobs: nothing is created, the id count does not move.
n_before=$(network_count)
st=$(echo "not a model at all, just some text" | write_status $D/load)
[ "$st" = "Invalid argument" ] && pass load_bad_magic_einval || fail load_bad_magic_einval "$st"
log_mark_as load_truncated_logged_at_close
head -c 100 $SAMPLE | write_status $D/load >/dev/null
defer_case load_truncated_logged_at_close "load: model rejected: truncated (100 of 132 bytes)" ""
{ cat $SAMPLE; printf x; } >/tmp/trailing.nnm
st=$(write_status $D/load </tmp/trailing.nnm)
[ "$st" = "Invalid argument" ] && pass load_trailing_byte_einval || fail load_trailing_byte_einval "$st"
[ "$(network_count)" = "$n_before" ] && [ "$(cat $D/load)" = 0 ] && pass load_rejects_change_nothing ||
	fail load_rejects_change_nothing "$(ls $D)"
id=$(nn_load_model $SAMPLE)
[ "$id" = 1 ] && pass load_ids_count_up || fail load_ids_count_up "id '$id'"

# Remove: by id; unknown or malformed ids fail.
check remove_network_0 sh -c "echo 0 >$D/remove && [ ! -e $D/network_0 ]"
st=$(echo 0 | write_status $D/remove)
[ "$st" = "No such file or directory" ] && pass remove_unknown_enoent || fail remove_unknown_enoent "$st"
st=$(echo 1x | write_status $D/remove)
[ "$st" = "Invalid argument" ] && [ -d $D/network_1 ] && pass remove_garbage_einval ||
	fail remove_garbage_einval "$st"
# A network removed while its predict file is open: the directory goes at once, the open
# file fails writes and reads with EIO (debugfs cuts removed files off), and closing it
# frees the network (admin-guide.rst, "remove"; kmemleak checks the freeing).
exec 7<>$D/network_1/predict
echo 1 >$D/remove
gone=no
[ ! -e $D/network_1 ] && gone=yes
wrote=$( (printf '1 -0.5 0.25\n' >&7) 2>&1)
read_back=$( (cat <&7) 2>&1)
exec 7>&-
if [ $gone != yes ]; then
	fail remove_while_open "network_1 still listed after remove"
elif [[ $wrote != *"Input/output error"* ]] || [[ $read_back != *"Input/output error"* ]]; then
	fail remove_while_open "write gave '$wrote', read gave '$read_back'; expected EIO for both"
else
	pass remove_while_open
fi

judge_deferred

# Unload with networks still loaded frees them (kmemleak checks after the run).
nn_load_model $SAMPLE >/dev/null && nn_load_model $SAMPLE >/dev/null
check unload_with_networks nn_unload
