# SPDX-License-Identifier: GPL-2.0
# BPF programs call the engine: samples/bpf/nn_predict.bpf.c (a raw tracepoint program,
# run by its loader nn-bpf-predict through BPF_PROG_TEST_RUN) looks a network up by id
# with bpf_neural_network_acquire(), predicts one vector with
# bpf_neural_network_predict() and releases it. Its answers must be the host's (nnctl
# eval --raw) bit for bit on four random networks (every format) and the digits model,
# in task context and from an IPI on the other CPU (hardirq); each prediction is counted
# in the network's atomic_predictions like any other; bad lengths and ids give the
# kfuncs' errors; a network removed while a program predicts from it answers until it
# goes, then is not found; a loaded program that calls the kfuncs keeps the module
# loaded.
# timeout: 600

D=$NN_DEBUGFS
BPF=$NN_HELPERS/nn-bpf-predict
OBJ=/nn/build/guest/nn_predict.bpf.o
NETS=(r1 r4 f2 f3 digits)
plan $((9 + 2 * ${#NETS[@]}))

log_mark
nn_load || bail loads "insmod failed"
log_since_mark | grep -q "BPF kfuncs registered: bpf_neural_network_acquire" &&
	pass kfuncs_registered_at_load ||
	fail kfuncs_registered_at_load "$(log_since_mark | grep -i bpf | head -2 | tr '\n' '|')"
[ -s /sys/kernel/btf/neural_network ] && pass module_has_btf ||
	fail module_has_btf "no /sys/kernel/btf/neural_network"

# The host's answers, bit for bit, counted in the network's statistics: from the
# loader's CPU (task context, preemption off) and from an IPI on the other CPU.
for name in "${NETS[@]}"; do
	blob=$NN_DATA/random-$name.nnm
	[ "$name" = digits ] && blob=$NN_DATA/digits/digits.nnm
	id=$(nn_load_model "$blob") || { fail "${name}_answers" "load failed"; continue; }
	rows=$(wc -l <$NN_DATA/bpf-$name.raw)
	for how in task hardirq; do
		opt=()
		[ $how = hardirq ] && opt=(--cpu 1)
		before=$(nn_kv $D/network_$id/stats atomic_predictions)
		if "$BPF" "${opt[@]}" "$OBJ" "$id" <$NN_DATA/bpf-$name.raw >/tmp/bpf.out 2>/tmp/bpf.err &&
			cmp -s /tmp/bpf.out $NN_DATA/bpf-$name.raw-expected; then
			after=$(nn_kv $D/network_$id/stats atomic_predictions)
			[ $((after - before)) = "$rows" ] &&
				pass "${name}_${rows}_answers_identical_and_counted_$how" ||
				fail "${name}_answers_$how" "atomic_predictions $before -> $after for $rows rows"
		else
			fail "${name}_answers_$how" "$(head -3 /tmp/bpf.err | tr '\n' '|') $(diff /tmp/bpf.out $NN_DATA/bpf-$name.raw-expected | head -3 | tr '\n' '|')"
		fi
	done
done
r1=$(nn_load_model $NN_DATA/random-r1.nnm) || bail load_r1 "load failed"

# Errors: a vector of the wrong length is refused (-EINVAL) and counts nothing; a
# network that does not exist is not found (the loader's query).
before=$(nn_kv $D/network_$r1/stats atomic_predictions)
out=$(printf '1 2 3\n1 2 3 4 5 6 7 8 9\n1 2 3 4 5 6 7 8\n' | "$BPF" "$OBJ" "$r1" 2>&1)
status=$?
after=$(nn_kv $D/network_$r1/stats atomic_predictions)
[ "$status" = 1 ] && [ "$(sed -n 1,2p <<<"$out" | tr '\n' ' ')" = "error -22 error -22 " ] &&
	[ "$(wc -l <<<"$out")" = 3 ] && [ $((after - before)) = 1 ] &&
	pass wrong_lengths_einval_and_uncounted ||
	fail wrong_lengths_einval_and_uncounted "status $status, '$(tr '\n' '|' <<<"$out")', counted $((after - before))"
out=$("$BPF" "$OBJ" 999999 </dev/null 2>&1)
status=$?
[ "$status" = 1 ] && grep -q "network 999999: No such file or directory" <<<"$out" &&
	pass unknown_id_not_found || fail unknown_id_not_found "status $status: $out"

# A network removed while a program predicts from it over and over (--until-gone),
# once the first answer is out: every line is the host's answer until one "not found"
# (-ENOENT), the last. KASAN watches the entry's memory.
id=$(nn_load_model $NN_DATA/random-r4.nnm) || bail load_r4 "load failed"
"$BPF" --until-gone "$OBJ" "$id" <$NN_DATA/bpf-r4.raw >/tmp/bpf-race.out 2>/tmp/bpf-race.err &
pid=$!
for i in $(seq 100); do [ -s /tmp/bpf-race.out ] && break; nn_sleep 0.2; done
echo "$id" >$D/remove
wait $pid
status=$?
# The expected lines, cycled as the loader cycles its input.
verdict=$(awk -v wantfile=$NN_DATA/bpf-r4.raw-expected '
	BEGIN { while ((getline line < wantfile) > 0) want[n++] = line }
	{ lines++; if ($0 == want[(NR - 1) % n]) ok++; else if ($0 == "error -2") enoent++; else bad++ }
	END { printf "%d %d %d %d", ok, enoent, bad, (lines == ok + 1 && $0 == "error -2") }' /tmp/bpf-race.out)
read -r ok enoent bad last_enoent <<<"$verdict"
echo "removed while predicting: $ok answers, then $enoent not found"
[ "$status" = 0 ] && [ "$ok" -gt 0 ] && [ "$enoent" = 1 ] && [ "$bad" = 0 ] &&
	[ "$last_enoent" = 1 ] && pass removed_while_predicting ||
	fail removed_while_predicting "status $status; $ok answers, $enoent not found, $bad wrong; $(head -2 /tmp/bpf-race.err | tr '\n' '|')"
[ ! -e $D/network_$id ] && pass removed_network_gone || fail removed_network_gone "still there"

# A loaded program that calls the kfuncs holds the module: rmmod fails (EWOULDBLOCK)
# while the loader waits on its input, and succeeds once it is gone.
rm -f /tmp/bpf-hold && mkfifo /tmp/bpf-hold
"$BPF" "$OBJ" "$r1" </tmp/bpf-hold >/tmp/bpf-hold.out 2>&1 &
pid=$!
exec {hold}>/tmp/bpf-hold
head -1 $NN_DATA/bpf-r1.raw >&$hold
for i in $(seq 100); do [ -s /tmp/bpf-hold.out ] && break; nn_sleep 0.2; done
if /busybox/rmmod neural_network 2>/tmp/rmmod.err; then
	fail program_holds_the_module "rmmod succeeded while a program used the kfuncs"
	exec {hold}>&-
	wait $pid
	nn_load
else
	[[ "$(cat /tmp/rmmod.err)" == *"Resource temporarily unavailable"* ]] &&
		[ "$(cat /tmp/bpf-hold.out)" = "$(head -1 $NN_DATA/bpf-r1.raw-expected)" ] &&
		pass program_holds_the_module ||
		fail program_holds_the_module "rmmod: '$(cat /tmp/rmmod.err)'; answer '$(cat /tmp/bpf-hold.out)'"
	exec {hold}>&-
	wait $pid
fi
check loader_exits_cleanly [ "$(wc -l </tmp/bpf-hold.out)" = 1 ]
rm -f /tmp/bpf-*
check unload nn_unload
