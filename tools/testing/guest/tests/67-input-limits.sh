# SPDX-License-Identifier: GPL-2.0
# Input limits of predict, train and load (admin-guide.rst, "Limits"): oversized writes
# fail with EFBIG or EINVAL and a reason before anything is allocated for their rows; a
# killed writer stops promptly (predict keeps nothing, train stops at a whole step); a
# wrong model header fails at its first bytes; inputs beyond the input format saturate
# (counted, logged once, as nnctl eval computes them) unless neural_strict_input=1. Every
# reject leaves every network and counter as it was, and the log has no WARN or
# allocation failure.
# timeout: 900
plan 18

nn_load || bail loads "insmod failed"
D=$NN_DEBUGFS
SAMPLE=/nn/rust/kunit/testdata/sample.nnm

# Each case writes a mark to the kernel log; the log is read once, at the end (a dmesg
# costs seconds under TCG), and each case's lines are those after its mark.
declare -A why want
cases=()
mark() { cases+=("$1"); echo "nn-limits-mark $1" >/dev/kmsg; echo "$SECONDS s: $1"; }
# note NAME PROBLEM: a problem found in case NAME (empty: none).
note() { [ -z "$2" ] || why[$1]+="${why[$1]:+; }$2"; }

# write_one FILE SRC: SRC in a single write(2); prints "ok" or the error text.
write_one() {
	local err size
	size=$(stat -c %s "$2")
	if err=$(dd if="$2" of="$1" bs="$size" count=1 status=none 2>&1); then
		echo ok
	else
		echo "${err##*: }"
	fi
}
# The state a reject must leave alone: every network and its counters.
snap() {
	local n
	for n in $D/network_*; do
		echo "$n"
		cat "$n/stats"
	done
}
stat_of() { sed -n "s/^$2: //p" $D/network_$1/stats; }

id0=$(nn_load_model $SAMPLE)
echo "1 4096 linear seed=1" >$D/create && id1=$(cat $D/create)
echo "64 512 512 64 relu relu linear seed=2" >$D/create && id2=$(cat $D/create)
echo "16 32 16 tanh linear seed=7" >$D/create && id3=$(cat $D/create)
echo "16 32 16 tanh linear seed=7" >$D/create && id4=$(cat $D/create)
[ "$id0 $id1 $id2 $id3 $id4" = "0 1 2 3 4" ] || bail networks "ids '$id0 $id1 $id2 $id3 $id4'"
echo "networks: 0 sample (3 -> 2), 1 [1, 4096], 2 [64, 512, 512, 64], 3 and 4 [16, 32, 16]"

# 1. The issue's case: 16 MiB of "0\n" on a 1 -> 4096 network would be 8 Mi rows of 4096
# outputs (64 GiB); refused for the results' size before any row is checked or run.
yes 0 | head -c $((16 << 20)) >/tmp/zeros
before=$(snap)
mark predict_8M_rows_of_4096_efbig
st=$(write_one $D/network_$id1/predict /tmp/zeros)
[ "$st" = "File too large" ] || note predict_8M_rows_of_4096_efbig "write gave '$st'"
[ "$(snap)" = "$before" ] || note predict_8M_rows_of_4096_efbig "a network or counter changed"
want[predict_8M_rows_of_4096_efbig]="network_$id1: predict: the results of 8388608 rows would pass the 64 MiB"
rm -f /tmp/zeros

# 2. Many rows of a wide network run in chunks and give what each row gives alone.
mark predict_wide_rows_in_chunks
one=$(echo 0.5 | nn_predict $id1)
p0=$(stat_of $id1 predictions) b0=$(stat_of $id1 batches)
# 4 rows of 4096 outputs a chunk: 41 rows are 11 chunks, the last one short.
yes 0.5 | head -n 41 >/tmp/wide.in
nn_predict $id1 </tmp/wide.in >/tmp/wide.out
lines=$(wc -l </tmp/wide.out) distinct=$(sort -u /tmp/wide.out | wc -l)
first=$(head -n1 /tmp/wide.out)
[ "$lines" = 41 ] && [ "$distinct" = 1 ] && [ "$first" = "$one" ] ||
	note predict_wide_rows_in_chunks "$lines lines, $distinct distinct, first is one row's: $([ "$first" = "$one" ] && echo yes || echo no)"
[ "$(stat_of $id1 predictions)" = $((p0 + 41)) ] && [ "$(stat_of $id1 batches)" = $((b0 + 1)) ] ||
	note predict_wide_rows_in_chunks "stats: $(stat_of $id1 predictions) predictions, $(stat_of $id1 batches) batches"
unset one first
rm -f /tmp/wide.in /tmp/wide.out

# 3. A killed predict writer stops within seconds and keeps nothing (30000 rows of a
# 327680-MAC network would run for minutes under emulation).
yes "$(printf '0.5 %.0s' $(seq 64))" | head -n 30000 >/tmp/long.in
before=$(snap)
mark predict_killed_stops_keeps_nothing
dd if=/tmp/long.in of=$D/network_$id2/predict bs=$(stat -c %s /tmp/long.in) count=1 status=none &
pid=$!
sleep 4
kill -9 $pid 2>/dev/null
t0=${EPOCHREALTIME/./}
wait $pid
rc=$? t=$(((${EPOCHREALTIME/./} - t0) / 1000))
echo "predict writer: status $rc, gone $t ms after SIGKILL"
[ $rc = 137 ] || note predict_killed_stops_keeps_nothing "status $rc: not killed (finished first?)"
[ $t -lt 10000 ] || note predict_killed_stops_keeps_nothing "took $t ms to die"
[ "$(snap)" = "$before" ] || note predict_killed_stops_keeps_nothing "a network or counter changed"
[ "$(cat $D/network_$id2/predict)" = "" ] || note predict_killed_stops_keeps_nothing "results were kept"
want[predict_killed_stops_keeps_nothing]="network_$id2: predict: interrupted by a fatal signal"
rm -f /tmp/long.in

# 4. A killed trainer stops at a whole step: network 4, trained from the same seed on
# exactly as many steps, has the same weights (predicts the same), and no report is left.
awk 'BEGIN { for (i = 0; i < 100; i++) { s = ""; for (j = 0; j < 16; j++) s = s sprintf("%.3f ", ((i * 7 + j * 13) % 17) / 17 - 0.5); t = ""; for (j = 0; j < 16; j++) t = t sprintf(" %.3f", ((i * 5 + j * 3) % 11) / 11 - 0.5); print s ":" t } }' >/tmp/set.txt
{ echo "epochs 100000"; cat /tmp/set.txt; } >/tmp/train-long.txt
others=$(for n in 0 1 2 4; do cat $D/network_$n/stats; done)
mark train_killed_stops_at_a_whole_step
dd if=/tmp/train-long.txt of=$D/network_$id3/train bs=$(stat -c %s /tmp/train-long.txt) count=1 status=none &
pid=$!
# Killed once training is under way (a whole epoch applied), not while the write is
# still read and checked: a fixed sleep was too short when the machine was slow.
for ((w = 0; w < 600; w++)); do
	steps=
	while read -r l; do [[ $l == "train_steps: "* ]] && steps=${l#*: }; done <$D/network_$id3/stats
	[ "${steps:-0}" -gt 0 ] && break
	nn_sleep 0.1
done
kill -9 $pid 2>/dev/null
t0=${EPOCHREALTIME/./}
wait $pid
rc=$? t=$(((${EPOCHREALTIME/./} - t0) / 1000))
k=$(stat_of $id3 train_steps)
echo "trainer: status $rc, gone $t ms after SIGKILL, $k steps applied"
[ $rc = 137 ] || note train_killed_stops_at_a_whole_step "status $rc: not killed (finished first?)"
[ $t -lt 10000 ] || note train_killed_stops_at_a_whole_step "took $t ms to die"
[ "$(cat $D/network_$id3/train)" = none ] || note train_killed_stops_at_a_whole_step "a report was left: $(cat $D/network_$id3/train)"
[ "$(for n in 0 1 2 4; do cat $D/network_$n/stats; done)" = "$others" ] ||
	note train_killed_stops_at_a_whole_step "another network's counters changed"
want[train_killed_stops_at_a_whole_step]="network_$id3: train: interrupted by a fatal signal; the weights are those of the last whole step"
# Replay k steps on network 4: k / 100 epochs of the set, then its first k % 100 samples.
e=$((k / 100)) r=$((k % 100))
[ $e -gt 0 ] && { echo "epochs $e"; cat /tmp/set.txt; } >/tmp/replay1.txt &&
	write_one $D/network_$id4/train /tmp/replay1.txt >/dev/null
[ $r -gt 0 ] && { echo "epochs 1"; head -n $r /tmp/set.txt; } >/tmp/replay2.txt &&
	write_one $D/network_$id4/train /tmp/replay2.txt >/dev/null
probe=$(cut -d: -f1 /tmp/set.txt | head -n 5)
a=$(nn_predict $id3 <<<"$probe") b=$(nn_predict $id4 <<<"$probe")
[ "$k" -gt 0 ] && [ "$(stat_of $id4 train_steps)" = "$k" ] && [ -n "$a" ] && [ "$a" = "$b" ] ||
	note train_killed_stops_at_a_whole_step "after $k steps: replay has $(stat_of $id4 train_steps) steps; predictions $([ "$a" = "$b" ] && echo agree || echo differ)"
rm -f /tmp/train-long.txt /tmp/replay*.txt

# 5. 4 MiB of "0\n" to train on a 1 -> 4096 network would have been 2 Mi samples of 4097
# values (16 GiB) allocated before any line was read: now the first line fails it.
yes 0 | head -c $((4 << 20)) >/tmp/zeros
before=$(snap)
mark train_4MiB_of_bad_lines_einval
st=$(write_one $D/network_$id1/train /tmp/zeros)
[ "$st" = "Invalid argument" ] || note train_4MiB_of_bad_lines_einval "write gave '$st'"
[ "$(snap)" = "$before" ] || note train_4MiB_of_bad_lines_einval "a network or counter changed"
want[train_4MiB_of_bad_lines_einval]="network_$id1: train: line 1: expected 'inputs : targets'"
# And well-formed samples past the 4 MiB a train write may have: EFBIG.
{ yes "0 : $(printf '0 %.0s' $(seq 4096))" | head -n 520; } >/tmp/big-train.txt
mark train_write_above_4MiB_efbig
st=$(write_one $D/network_$id1/train /tmp/big-train.txt)
[ "$st" = "File too large" ] || note train_write_above_4MiB_efbig "write gave '$st' ($(stat -c %s /tmp/big-train.txt) bytes)"
[ "$(snap)" = "$before" ] || note train_write_above_4MiB_efbig "a network or counter changed"
want[train_write_above_4MiB_efbig]="network_$id1: train: a write of $(stat -c %s /tmp/big-train.txt) bytes passes the 4 MiB limit"
rm -f /tmp/zeros /tmp/big-train.txt

# 6. load judges the header as its bytes arrive.
n_before=$(network_count)
mark load_bad_magic_at_4_bytes
st=$(printf 'NNMX' | write_status $D/load)
[ "$st" = "Invalid argument" ] || note load_bad_magic_at_4_bytes "write gave '$st'"
want[load_bad_magic_at_4_bytes]="load: model rejected: bad magic"
mark load_bad_version_at_6_bytes
st=$(printf 'NNMF\003\000' | write_status $D/load)
[ "$st" = "Invalid argument" ] || note load_bad_version_at_6_bytes "write gave '$st'"
want[load_bad_version_at_6_bytes]="load: model rejected: unsupported version"
mark load_65MiB_of_zeros_einval_at_once
st=$(dd if=/dev/zero of=$D/load bs=65M count=1 status=none 2>&1) && st=ok || st=${st##*: }
[ "$st" = "Invalid argument" ] || note load_65MiB_of_zeros_einval_at_once "write gave '$st'"
want[load_65MiB_of_zeros_einval_at_once]="load: model rejected: bad magic"
mark load_header_split_across_writes
{ head -c 5 $SAMPLE; sleep 0.2; head -c 20 $SAMPLE | tail -c 15; sleep 0.2; tail -c +21 $SAMPLE; } >$D/load
id5=$(cat $D/load)
[ "$id5" = 5 ] && [ "$(network_count)" = $((n_before + 1)) ] ||
	note load_header_split_across_writes "id '$id5', $(network_count) networks (had $n_before)"
nn_predict "$id5" <$NN_DATA/sample.in | cmp -s - $NN_DATA/sample.expected ||
	note load_header_split_across_writes "its predictions differ from the host's"
echo 5 >$D/remove

# 7. Inputs beyond the input format (sample.nnm: Q7.8).
mark predict_saturates_like_nnctl
c0=$(stat_of $id0 inputs_clipped)
nn_predict $id0 <$NN_DATA/sample-clip.in | cmp -s - $NN_DATA/sample-clip.expected ||
	note predict_saturates_like_nnctl "results differ from nnctl eval's"
host=$(sed -n 's/^nnctl: eval: \([0-9]*\) input numbers beyond Q7.8 saturated$/\1/p' $NN_DATA/sample-clip.stderr)
c1=$(stat_of $id0 inputs_clipped)
[ -n "$host" ] && [ "$c1" = $((c0 + host)) ] ||
	note predict_saturates_like_nnctl "inputs_clipped $c0 -> $c1, nnctl counted '$host'"
want[predict_saturates_like_nnctl]="network_$id0: predict: line 1: an input beyond the input format Q7.8 saturated"
mark predict_clipping_logged_once
sat=$(printf '0 0 500\n-300 1 1\n' | nn_predict $id0)
end=$(printf '0 0 127.99609375\n-128 1 1\n' | nn_predict $id0)
[ -n "$sat" ] && [ "$sat" = "$end" ] || note predict_clipping_logged_once "'$sat' vs '$end'"
[ "$(stat_of $id0 inputs_clipped)" = $((c1 + 2)) ] ||
	note predict_clipping_logged_once "inputs_clipped $(stat_of $id0 inputs_clipped), expected $((c1 + 2))"
before=$(snap)
mark predict_bad_line_after_clipped_counts_nothing
st=$(printf '200 0 0\n1 x 2\n' | write_status $D/network_$id0/predict)
[ "$st" = "Invalid argument" ] || note predict_bad_line_after_clipped_counts_nothing "write gave '$st'"
[ "$(snap)" = "$before" ] || note predict_bad_line_after_clipped_counts_nothing "a network or counter changed"
want[predict_bad_line_after_clipped_counts_nothing]="network_$id0: predict: line 2: bad character in number"
mark strict_input_parameter_0644_default_off
[ "$(stat -c %a $NN_PARAMS/neural_strict_input)" = 644 ] && [ "$(cat $NN_PARAMS/neural_strict_input)" = N ] ||
	note strict_input_parameter_0644_default_off "mode $(stat -c %a $NN_PARAMS/neural_strict_input), value $(cat $NN_PARAMS/neural_strict_input)"
echo 1 >$NN_PARAMS/neural_strict_input
mark predict_strict_mode_einval
st=$(printf '1 2 3\n200 0 0\n' | write_status $D/network_$id0/predict)
[ "$st" = "Invalid argument" ] || note predict_strict_mode_einval "write gave '$st'"
[ "$(snap)" = "$before" ] || note predict_strict_mode_einval "a network or counter changed"
want[predict_strict_mode_einval]="network_$id0: predict: line 2: number out of range for the input format Q7.8 (neural_strict_input=1 refuses it)"
st=$(echo '127.99609375 -128 0' | write_status $D/network_$id0/predict)
[ "$st" = ok ] || note predict_strict_mode_einval "in-range ends refused: '$st'"
echo 0 >$NN_PARAMS/neural_strict_input
mark strict_off_saturates_again
st=$(echo '200 0 0' | write_status $D/network_$id0/predict)
[ "$st" = ok ] || note strict_off_saturates_again "write gave '$st'"

# 8. Everything else is as it was: network 0 still predicts as the host does.
mark healthy_after_all
nn_predict $id0 <$NN_DATA/sample.in | cmp -s - $NN_DATA/sample.expected ||
	note healthy_after_all "network 0's predictions differ from the host's"
mark end

# The log, once: each case's reason, no WARN, BUG or allocation failure anywhere. One
# awk splits it by mark; the checks are bash matches (a process costs a second or more
# under TCG).
rm -rf /tmp/nnlog && mkdir /tmp/nnlog
dmesg | awk '/nn-limits-mark / { f = "/tmp/nnlog/" $NF; next } f { print > f }'
echo "$SECONDS s: log read"
problem='WARNING:|BUG:|allocation failure|Call Trace'
for c in "${cases[@]}"; do
	[ "$c" = end ] && continue
	s=
	[ -f "/tmp/nnlog/$c" ] && s=$(</tmp/nnlog/$c)
	if [ -n "${want[$c]:-}" ] && [[ $s != *"${want[$c]}"* ]]; then
		note "$c" "log lacks '${want[$c]}': ${s: -200}"
	fi
	if [[ $s =~ $problem ]]; then
		note "$c" "kernel log has '${BASH_REMATCH[0]}'"
	fi
	# The first saturation on network 0 is logged, and only that one.
	sat="network_$id0: predict: line "*" saturated to its nearest end"
	case $c in
	predict_saturates_like_nnctl)
		n=0
		while IFS= read -r l; do [[ $l == *$sat* ]] && n=$((n + 1)); done <<<"$s"
		[ $n = 1 ] || note "$c" "$n saturation lines" ;;
	predict_clipping_logged_once)
		[[ $s == *$sat* ]] && note "$c" "logged again" ;;
	esac
	[ -z "${why[$c]:-}" ] && pass "$c" || fail "$c" "${why[$c]}"
done
rm -rf /tmp/nnlog
check unload nn_unload
