# SPDX-License-Identifier: GPL-2.0
# The I/O latency predictor's machinery (tools/iopredict; the experiment itself, with
# models trained on the I/O, is `make iopredict`): on a null_blk device, the BPF program
# on the block tracepoints asks the serving network about every I/O, and its loader
# (nn-iopredict) writes one record per I/O. Every read issued is recorded, once, with
# no record lost; every answer is the host's (nnctl eval --raw on the record's own
# features, as the program encodes them) for the model serving when the I/O arrived:
# model A before the swap, model B after, one of the two while `nnctl replace` swaps B
# in during the I/O; the predictions are counted in the network's atomic_predictions
# and the swap in replacements; an -EAGAIN (the atomic path refusing to wait) is
# counted, never a wrong answer. The hook without the prediction (--no-predict) asks
# nothing. The loader's BPF statistics count one call a read. Then everything unloads.
# timeout: 600

D=$NN_DEBUGFS
A=$NN_DATA/io-a.nnm
B=$NN_DATA/io-b.nnm
FRAC=11
STREAMS=4
READS=40
plan 10

err=$(nn_nullb iop irqmode=2 completion_nsec=100000 hw_queue_depth=2 submit_queues=1 size=64) &&
	pass device_made || bail device_made "$err"

nn_load || bail loads "insmod failed"
id=$(nn_load_model $A) || bail load_a "load failed"
NNCTL=$(nn_nnctl)

# attach FILE ARGS...: the loader (nn_iopredict_attach), its pid in $loader.
attach() {
	nn_iopredict_attach "$1" "$id" $FRAC "${@:2}" || return 1
	loader=$NN_IOP_PID
}
# reads PHASE [N]: STREAMS streams of N (default READS) direct 4 KiB reads at once, each
# at its own offset; waits for them.
reads() {
	local s pids=()
	for ((s = 0; s < STREAMS; s++)); do
		/usr/bin/dd if=/dev/iop of=/dev/null bs=4k count=${2:-$READS} \
			skip=$((($1 * STREAMS + s) * 1000 % 16000)) iflag=direct status=none &
		pids+=($!)
	done
	wait "${pids[@]}"
}
# wait_lines FILE N: until FILE has N lines (the loader prints what it reads from the
# ring buffer every 100 ms), at most 30 s.
wait_lines() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		nn_sleep 0.1
	done
	return 1
}
stats0=$(nn_kv $D/network_$id/stats atomic_predictions)
attach /tmp/io.csv --stats || bail attached "$(cat /tmp/io.csv.err)"
reads 0
wait_lines /tmp/io.csv $((1 + STREAMS * READS))
a_end=$(wc -l </tmp/io.csv)
# The swap while reads run: rounds of STREAMS x 10 reads go on until three rounds after
# the swap (at most 100 rounds), which comes once 40 reads of them are recorded.
rm -f /tmp/io.swapped
(
	i=0 after=0
	while [ $after -lt 3 ] && [ $i -lt 100 ]; do
		reads $((i + 100)) 10
		i=$((i + 1))
		[ -e /tmp/io.swapped ] && after=$((after + 1))
	done
	echo $i >/tmp/io.rounds
) &
phase=$!
wait_lines /tmp/io.csv $((a_end + 40))
"$NNCTL" replace "$id" $B && pass swap_while_io_runs || fail swap_while_io_runs "nnctl replace failed"
: >/tmp/io.swapped
wait $phase
swap_reads=$(($(cat /tmp/io.rounds) * STREAMS * 10))
wait_lines /tmp/io.csv $((a_end + swap_reads))
s_end=$(wc -l </tmp/io.csv)
reads 2
wait_lines /tmp/io.csv $((s_end + STREAMS * READS))
kill -INT $loader
wait $loader
status=$?
stats1=$(nn_kv $D/network_$id/stats atomic_predictions)
issued=$((2 * STREAMS * READS + swap_reads))
recs=$(($(wc -l </tmp/io.csv) - 1))
echo "$recs records for $issued reads; model A until line $a_end, the swap until $s_end"
grep -q "$issued I/Os seen, 0 records lost (ring full), 0 not tracked (map full)" /tmp/io.csv.err &&
	[ "$status" = 0 ] && [ "$recs" = "$issued" ] && pass every_read_recorded_once ||
	fail every_read_recorded_once "status $status, $recs records: $(tr '\n' '|' </tmp/io.csv.err)"

# The host's answers for each record's features: the inputs the program built (each
# digit << FRAC: pending 3 digits, the 4 latencies 4 each, the 4 pendings 3 each).
awk -F, -v one=$((1 << FRAC)) 'NR > 1 {
	line = ""
	put($2, 3); for (k = 3; k <= 6; k++) put($k, 4); for (k = 7; k <= 10; k++) put($k, 3)
	print substr(line, 2)
}
function put(v, n,   d, i, s, cap) {
	cap = n == 3 ? 999 : 9999
	if (v > cap) v = cap
	s = ""
	for (i = 0; i < n; i++) { d = v % 10; v = int(v / 10); s = " " d * one s }
	line = line s
}' /tmp/io.csv >/tmp/io.raw
"$NNCTL" eval --raw $A /tmp/io.raw >/tmp/io.a || fail eval_a "nnctl eval failed"
"$NNCTL" eval --raw $B /tmp/io.raw >/tmp/io.b || fail eval_b "nnctl eval failed"
# Per record: its outputs ("o0 o1"), and which model gave them.
verdict=$(awk -F, -v a_end=$a_end -v s_end=$s_end '
	FILENAME == "/tmp/io.a" { wa[FNR] = $0; next }
	FILENAME == "/tmp/io.b" { wb[FNR] = $0; next }
	FNR == 1 { next }
	{
		i = FNR - 1; got = $15 " " $16
		if ($11 == -11) { eagain++; next }
		if ($11 != 0) { bad++; next }
		if (($12 == 1) != ($16 > $15)) { bad++; next }
		isa = got == wa[i]; isb = got == wb[i]
		if (FNR <= a_end) { if (isa) a++; else bad++ }
		else if (FNR <= s_end) { if (isa) sa++; else if (isb) sb++; else bad++ }
		else { if (isb) b++; else bad++ }
	}
	END { printf "%d %d %d %d %d %d", a, sa, sb, b, eagain, bad }' /tmp/io.a /tmp/io.b /tmp/io.csv)
read -r na nsa nsb nb eagain bad <<<"$verdict"
echo "answers: $na from A, $nsa from A and $nsb from B during the swap, $nb from B; $eagain EAGAIN, $bad wrong"
[ "$bad" = 0 ] && [ "$na" = $((a_end - 1)) ] && [ "$nb" = $((recs + 1 - s_end)) ] &&
	[ $((na + nsa + nsb + nb + eagain)) = "$recs" ] && pass answers_are_the_hosts_for_the_model_serving ||
	fail answers_are_the_hosts_for_the_model_serving "$verdict ($(paste -d' ' /tmp/io.raw /tmp/io.a | head -1))"
[ "$nsb" -gt 0 ] && [ "$nb" -gt 0 ] && pass swapped_model_answers_while_io_runs ||
	fail swapped_model_answers_while_io_runs "$nsb answers from B during the swap, $nb after"
[ $((stats1 - stats0)) = $((recs - eagain)) ] && pass predictions_counted_in_stats ||
	fail predictions_counted_in_stats "atomic_predictions $stats0 -> $stats1, $((recs - eagain)) answers"
[ "$(nn_kv $D/network_$id/stats replacements)" = 1 ] && pass swap_counted ||
	fail swap_counted "replacements $(nn_kv $D/network_$id/stats replacements)"
# The loader's statistics: a call of on_queue per read, of on_complete per completion.
# "bpf NAME runs N ns T"
read -r _ _ _ q_runs _ q_ns < <(grep "^bpf on_queue " /tmp/io.csv.err)
read -r _ _ _ c_runs _ _ < <(grep "^bpf on_complete " /tmp/io.csv.err)
echo "on_queue: $q_runs calls, $((q_ns / (q_runs ? q_runs : 1))) ns each (emulated)"
[ "$q_runs" = "$issued" ] && [ "$c_runs" -ge "$issued" ] && [ "$q_ns" -gt 0 ] &&
	pass bpf_stats_count_every_call || fail bpf_stats_count_every_call "$(tr '\n' '|' </tmp/io.csv.err)"

# The hook without the prediction: records with ret -ENOENT (asked nothing), nothing
# counted.
stats0=$(nn_kv $D/network_$id/stats atomic_predictions)
attach /tmp/np.csv --no-predict || bail attached_no_predict "$(cat /tmp/np.csv.err)"
reads 3
wait_lines /tmp/np.csv $((1 + STREAMS * READS))
kill -INT $loader
wait $loader
n=$(awk -F, 'NR > 1 && $11 == -2 && $12 == 0 { n++ } END { print n + 0 }' /tmp/np.csv)
[ "$n" = $((STREAMS * READS)) ] && [ "$(wc -l </tmp/np.csv)" = $((n + 1)) ] &&
	[ "$(nn_kv $D/network_$id/stats atomic_predictions)" = "$stats0" ] &&
	pass no_predict_asks_nothing || fail no_predict_asks_nothing "$n of $(wc -l </tmp/np.csv) records; $(tr '\n' '|' </tmp/np.csv.err)"

nn_nullb_remove iop && nn_unload && ! nn_loaded && pass unloads ||
	fail unloads "device or module still there"
rm -f /tmp/io.* /tmp/np.*
