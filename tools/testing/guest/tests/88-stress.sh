# SPDX-License-Identifier: GPL-2.0
# Stress with torn-read detection: predictions from every path at once, each checked
# exactly, while everything about the network changes.
# timeout: 1200
#
# Two models A and B of one interface answer each of 256 rows differently (stress-*, made
# by tools/testing/models/build-stress). tools/testing/kmod/nn_stress.ko loads A as its
# network N1, replaces it A <-> B every few milliseconds, and predicts on it from one
# thread per CPU (process), a batch thread (batch), a timer (softirq) and a hard hrtimer
# (hardirq), checking every answer (nn_stress.c). Meanwhile a debugfs writer per CPU
# (nn-stress-predict, pinned) predicts on N1 through its predict file, and another on N2,
# a debugfs-loaded copy of A that this script replaces A <-> B through its replace file;
# and a loop changes, round after round: N1's and N2's placement (migrate, policy and
# node changes, node lists), evacuations, CPU masks, the cache on and off, SIMD off and
# on; creates, trains and removes another network; and reads every debugfs file.
#
# Every answer must be A's or B's for its row ("wrong": 0), and, when no replacement ran
# during the prediction, the model's in force ("stale": 0). The run goes on until at
# least NN_STRESS_PREDICTIONS answers are checked (make check 10,000; check-full
# 1,000,000), every path has checked answers and answers that overlapped a replacement
# (counted by the generation, not assumed), and the change loop has done NN_STRESS_ROUNDS
# full rounds while predictions ran (make check 1, each change made once while
# predicting; check-full and the default 2). Prints the figures per path.
plan 18

D=$NN_DEBUGFS
P=/sys/module/nn_stress/parameters
KMOD=/nn/tools/testing/kmod/nn_stress.ko
TARGET=${NN_STRESS_PREDICTIONS:-20000}
ROUNDS=${NN_STRESS_ROUNDS:-2}
# The script's own deadline for the figures, before run-tests' limit kills it.
DEADLINE=$((SECONDS + 1100 * ${NN_TIMEOUT_SCALE:-1}))
CHECKER=$NN_HELPERS/nn-stress-predict
A=$NN_DATA/stress-a.nnm
B=$NN_DATA/stress-b.nnm
ROWS=$NN_DATA/stress.in
EA=$NN_DATA/stress-a.expected
EB=$NN_DATA/stress-b.expected
T=/tmp/stress
rm -rf $T && mkdir -p $T && : >$T/rounds

nn_load || bail loads "insmod failed"
slab0=$(nn_slab_counts)
fw_path=$(cat /sys/module/firmware_class/parameters/path)
printf '%s' $NN_DATA/firmware >/sys/module/firmware_class/parameters/path
out=$("$NN_INSMOD" $KMOD) && pass stress_module_loads_and_model_a_answers_as_the_host ||
	bail stress_module_loads_and_model_a_answers_as_the_host "insmod nn_stress: $out"
id1=
for c in $D/network_*/config; do
	[ "$(nn_kv "$c" owner)" = nn_stress ] && { id1=${c%/config}; id1=${id1##*_}; }
done
id2=$(nn_load_model $A)
[ -n "$id1" ] && [ -n "$id2" ] && pass networks_made || bail networks_made "N1 '$id1' N2 '$id2'"

cpus=$(expand_list "$(cat /sys/devices/system/cpu/online)")
mem=()
for n in $(expand_list "$(</sys/devices/system/node/has_memory)"); do
	[ "$(nn_free_kib "$n")" -ge 16384 ] && mem+=("$n")
done
memlist=$(IFS=,; echo "${mem[*]}")
echo "stress: N1 network_$id1 (nn_stress's), N2 network_$id2; CPUs $(echo $cpus); nodes with room $memlist; target $TARGET"

# change OP WRITE FILE: one change, counted by kind in $T/ops ("OP ok", or "OP fail
# WHAT > FILE: the shell's error"); none once the figures are in ($T/stop), so that the
# script does not wait out the rest of a round (about 40 s under TCG) for nothing.
change() {
	local op=$1 what=$2 file=$3
	[ -e $T/stop ] && return 0
	if { printf '%s\n' "$what" >"$file"; } 2>$T/err; then
		echo "$op ok"
	else
		echo "$op fail $what > $file: $(<$T/err)"
	fi >>$T/ops
}

# One round of every change, on N1 and N2 in turn; a round done appends to $T/rounds (a
# round cut short by $T/stop does not).
changes() {
	local round=0 net n c f cfg seed id3 files
	while [ ! -e $T/stop ]; do
		round=$((round + 1))
		if cat $B >$D/network_$id2/replace 2>$T/err && cat $A >$D/network_$id2/replace 2>$T/err; then
			echo "replace_debugfs ok" >>$T/ops
		else
			echo "replace_debugfs fail: $(<$T/err)" >>$T/ops
		fi
		# N1 and N2 in turn, a round each.
		for net in $([ $((round % 2)) = 1 ] && echo $id1 || echo $id2); do
			cfg=$D/network_$net/config
			for n in "${mem[@]}"; do change migrate "migrate $n" $cfg; done
			change policy "policy interleave nodes $memlist" $cfg
			change policy "policy replicate nodes $memlist" $cfg
			change policy "policy preferred node ${mem[-1]}" $cfg
			change node "node ${mem[0]}" $cfg
			change nodes "nodes $memlist" $cfg
			change policy "policy local" $cfg
			for c in $cpus; do change cpus "cpus $c" $cfg; done
			change cpus "cpus default" $cfg
			change avoid_cpu0 "avoid_cpu0 1" $cfg
			change avoid_cpu0 "avoid_cpu0 0" $cfg
			change cache "cache_timeout 1000" $cfg
			change cache "cache_timeout 0" $cfg
			change simd "simd 0" $cfg
			change simd "simd 1" $cfg
		done
		if [ ${#mem[@]} -gt 1 ]; then
			for n in "${mem[@]}"; do change evacuate "$n" $D/evacuate; done
		fi
		[ -e $T/stop ] && break
		# Another network made, trained, removed.
		seed=$round
		if echo "8 16 4 relu linear seed=$seed" >$D/create 2>/dev/null && id3=$(cat $D/create); then
			printf 'epochs 2\nrate 0.01\n0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 : 0.5 0 0 1\n-1 0 1 0 -1 0 1 0 : 0 1 0 0\n' \
				>$T/train.txt
			cat $T/train.txt >$D/network_$id3/train 2>$T/err && echo "train ok" >>$T/ops ||
				echo "train fail: $(<$T/err)" >>$T/ops
			# Never skipped by $T/stop (as change would): the network must not outlive
			# the script.
			if echo "$id3" >$D/remove 2>$T/err; then
				echo "remove ok" >>$T/ops
			else
				echo "remove fail $id3 > $D/remove: $(<$T/err)" >>$T/ops
			fi
			echo "create ok" >>$T/ops
		else
			echo "create fail" >>$T/ops
		fi
		[ -e $T/stop ] && break
		# Every readable file of the tree (those of mode 0200 are not: debugfs.rst), by
		# one cat (a fork costs about a second here).
		files=()
		for f in $D/* $D/network_*/*; do
			[ -f "$f" ] || continue
			case $f in */remove|*/evacuate|*/load_firmware|*/replace) continue ;; esac
			files+=("$f")
		done
		cat "${files[@]}" >/dev/null 2>$T/err && echo "read ok" >>$T/ops ||
			echo "read fail: $(<$T/err)" >>$T/ops
		[ -e $T/stop ] || echo "$round $SECONDS" >>$T/rounds
	done
}

# The kernel paths' counters from nn_stress's results: K_checked[path] etc.
declare -A K_checked K_wrong K_stale K_overlapped K_busy K_errors
read_results() {
	local path _c checked _w wrong _s stale _o overlapped _b busy _e errors
	while read -r path _c checked _w wrong _s stale _o overlapped _b busy _e errors; do
		case $path in process|batch|softirq|hardirq) ;; *) continue ;; esac
		K_checked[$path]=$checked K_wrong[$path]=$wrong K_stale[$path]=$stale
		K_overlapped[$path]=$overlapped K_busy[$path]=$busy K_errors[$path]=$errors
	done <"$1"
}

: >$T/ops
changes &
changer=$!
# The change loop's rounds before the predictions start.
nn_sleep 1
rounds0=$(wc -l <$T/rounds 2>/dev/null || echo 0)

# The debugfs writers: one per CPU on N1, pinned; one on N2. Each checks a thirtieth of
# the target, between 300 and 5,000 answers: under TCG a writer answers about 10 rows a
# second beside the kernel's threads, which answer thousands (695,411 in 267 s on 2 nodes,
# 5,013 of them through debugfs): check-full's million gives the cap, 5,000 (about
# 500 s); make check's 10,000 gives 333 (about 35 s, near one round of changes, where
# 1,000 each kept the script a minute past its rounds).
per=$((TARGET / 30))
per=$((per < 300 ? 300 : per > 5000 ? 5000 : per))
writers=()
for c in $cpus; do
	taskset -c "$c" $CHECKER $D/network_$id1/predict $P/generation $ROWS $EA $EB $per 16 $((c + 1)) \
		>$T/w.$c 2>$T/w.$c.err &
	writers+=($!)
done
$CHECKER $D/network_$id2/predict - $ROWS $EA $EB $((per / 2)) 16 99 >$T/w.n2 2>$T/w.n2.err &
writers+=($!)

# Until the figures are in, or the deadline.
done_why=
while :; do
	writers_left=0
	for w in "${writers[@]}"; do [ -d /proc/$w ] && writers_left=$((writers_left + 1)); done
	cat $P/results >$T/results
	read_results $T/results
	total=0 short=
	for p in process batch softirq hardirq; do
		total=$((total + ${K_checked[$p]:-0}))
		[ "${K_overlapped[$p]:-0}" -gt 0 ] || short+=" $p-overlap"
	done
	rounds=$(wc -l <$T/rounds)
	[ $((rounds - rounds0)) -ge $ROUNDS ] || short+=" change-rounds"
	[ $writers_left = 0 ] || short+=" writers($writers_left)"
	[ $total -ge $TARGET ] || short+=" checked($total)"
	[ -z "$short" ] && break
	[ $SECONDS -ge $DEADLINE ] && { done_why="deadline with$short missing"; break; }
	nn_sleep 2
done
rounds1=$(wc -l <$T/rounds)
touch $T/stop
wait $changer
for w in "${writers[@]}"; do wait $w; done
ops_in_window=$((rounds1 - rounds0))
/busybox/rmmod nn_stress
log_read
grep "nn_stress: final" <<<"$NN_LOG" | sed 's/^\[[ 0-9.]*\] nn_stress: final //' >$T/final
read_results $T/final
echo "stress: ${done_why:-targets reached}"
sed 's/^/stress: kernel: /' $T/final

for p in process batch softirq hardirq; do
	if [ -z "${K_checked[$p]:-}" ]; then
		fail ${p}_answers_exact "no final line for $p"
	elif [ "${K_checked[$p]}" -gt 0 ] && [ "${K_wrong[$p]}" = 0 ] && [ "${K_stale[$p]}" = 0 ] &&
		[ "${K_errors[$p]}" = 0 ]; then
		pass ${p}_answers_exact
	else
		fail ${p}_answers_exact "checked ${K_checked[$p]} wrong ${K_wrong[$p]} stale ${K_stale[$p]} errors ${K_errors[$p]}"
	fi
done
over=
for p in process batch softirq hardirq; do over+=" $p ${K_overlapped[$p]:-none}"; done
[ -z "$done_why" ] && pass kernel_predictions_overlapped_replacements ||
	fail kernel_predictions_overlapped_replacements "overlapped:$over; $done_why"

# The debugfs writers.
dsum=0 dwrong=0 dstale=0 dover=0 derr=
for f in $T/w.*; do
	case $f in *.err) continue ;; esac
	read -r _ c _ w _ s _ o _ <"$f" || { derr+=" ${f##*/}: $(head -c 200 $f.err)"; continue; }
	echo "stress: debugfs ${f##*/w.}: $(cat "$f")"
	[ -s $f.err ] && echo "stress: debugfs ${f##*/w.}: $(head -c 300 $f.err)"
	dsum=$((dsum + c)) dwrong=$((dwrong + w)) dstale=$((dstale + s)) dover=$((dover + o))
done
[ -z "$derr" ] && [ $dsum -gt 0 ] && [ $dwrong = 0 ] && [ $dstale = 0 ] &&
	pass debugfs_answers_exact ||
	fail debugfs_answers_exact "checked $dsum wrong $dwrong stale $dstale;$derr"
read -r _ c _ w _ s _ o _ <$T/w.n2 2>/dev/null
[ -s $T/w.n2 ] && [ "$c" -gt 0 ] && [ "$w" = 0 ] && pass debugfs_replaced_network_answers_exact ||
	fail debugfs_replaced_network_answers_exact "$(cat $T/w.n2 $T/w.n2.err 2>&1 | head -c 300)"
[ $dover -gt 0 ] && pass debugfs_predictions_overlapped_replacements ||
	fail debugfs_predictions_overlapped_replacements "0 of $dsum"

read -r _ _ sti stt _ hi ht <<<"$(grep '^contexts' $T/final | tr '/' ' ')"
[ -n "$stt" ] && [ "$stt" -gt 0 ] && [ "$sti" = "$stt" ] && [ "$ht" -gt 0 ] && [ "$hi" = "$ht" ] &&
	pass atomic_paths_ran_in_softirq_and_hardirq ||
	fail atomic_paths_ran_in_softirq_and_hardirq "$(grep '^contexts' $T/final)"
read -r _ reps _ rfail _ <<<"$(grep '^replacements' $T/final)"
[ "${reps:-0}" -ge 2 ] && [ "$rfail" = 0 ] && pass replacements_never_failed ||
	fail replacements_never_failed "$(grep '^replacements' $T/final)"
grand=$((total + dsum))
echo "stress: checked $grand answers ($total in the kernel, $dsum through debugfs), wrong $((dwrong)) + kernel's above"
[ $grand -ge $TARGET ] && pass "at_least_${TARGET}_answers_checked" ||
	fail "at_least_${TARGET}_answers_checked" "$grand"

# The changes: every kind made, none failed, ROUNDS full rounds while predictions ran.
declare -A ok_ops fail_ops
while read -r op verdict _; do
	[ "$verdict" = ok ] && ok_ops[$op]=$((${ok_ops[$op]:-0} + 1)) ||
		fail_ops[$op]=$((${fail_ops[$op]:-0} + 1))
done <$T/ops
summary= missing=
for op in replace_debugfs migrate policy node nodes cpus avoid_cpu0 cache simd train remove create read \
	$([ ${#mem[@]} -gt 1 ] && echo evacuate); do
	summary+=" $op ${ok_ops[$op]:-0}"
	[ "${ok_ops[$op]:-0}" -gt 0 ] || missing+=" $op"
done
echo "stress: changes made (all rounds):$summary; rounds while predicting $ops_in_window"
echo "stress: rounds (round, seconds): $(tr '\n' ' ' <$T/rounds)"
[ -z "$missing" ] && [ $ops_in_window -ge $ROUNDS ] && pass every_change_made_while_predicting ||
	fail every_change_made_while_predicting "missing:$missing; rounds $ops_in_window"
failed_ops=$(grep -c " fail" $T/ops)
[ "$failed_ops" = 0 ] && pass no_change_failed ||
	fail no_change_failed "$failed_ops: $(grep ' fail' $T/ops | sort | uniq -c | head -n3 | tr '\n' '|')"

printf '%s' "$fw_path" >/sys/module/firmware_class/parameters/path
echo "$id2" >$D/remove
[ "$(network_count)" = 0 ] && [ "$(nn_numa_stat bytes)" = 0 ] && [ "$(nn_numa_stat pages)" = 0 ] &&
	pass nothing_held_after || fail nothing_held_after "$(network_count) networks, $(nn_numa_stat bytes) bytes"
slab1=$(nn_slab_counts)
[ "$slab1" = "$slab0" ] && pass slab_objects_as_before || fail slab_objects_as_before "$slab0 -> $slab1"
check unloads nn_unload
