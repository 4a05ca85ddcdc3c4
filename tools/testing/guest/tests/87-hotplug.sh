# SPDX-License-Identifier: GPL-2.0
# timeout: 1200
# CPU hotplug: a CPU K (not the writer's, not CPU 0) taken offline and back, round after
# round, while batches run in the background on three networks (one whose default mask
# is K's node's CPUs, one with the mask "cpus K", one with K and another CPU: O, a CPU
# that is neither K nor the writer's, or the writer's on a machine of 2 CPUs), while
# single rows are written by a process that pins itself to K before each (a network with
# its cache off: every row runs in a CPU's scratch). Every answer must be the host's
# (nnctl eval's, build/guest/data/*.expected) and every write must succeed: a batch
# whose mask has no online CPU runs on the writer's CPU. After each step cpu_affinity
# must tell the truth: the default mask follows K's node's CPUs, explicit masks stay as
# set, K's line ends in "offline" while it is. A foreground network with the mask
# "cpus K" shows where its batches ran (the writer's CPU while K is offline, K after);
# "cpus K" while K is offline is refused; a network made while K is offline has K's
# scratch and predicts on K once it is back. The counters add up, and (with a third CPU
# O to tell apart) batch chunks never run outside the mask but on the writer's CPU. Then everything is removed: no bytes
# in numa_stats, the slab caches' objects as before; the module unloads. The rounds, the
# writes and the writes under way when a step began are printed as counted figures.
# NN_HOTPLUG_ROUNDS sets the rounds (default 4).

D=$NN_DEBUGFS
ROUNDS=${NN_HOTPLUG_ROUNDS:-4}
HP=/tmp/hotplug
SYS=/sys/devices/system

# bexpand LIST: a cpulist or nodelist, one id per line into the array named by $2 (bash
# builtins only: the main loop starts no process).
bexpand() {
	local -n out=$2
	local part lo hi i
	out=()
	for part in ${1//,/ }; do
		lo=${part%-*} hi=${part#*-}
		for ((i = lo; i <= hi; i++)); do out+=("$i"); done
	done
}

read -r online <$SYS/cpu/online
bexpand "$online" CPUS
W=${CPUS[0]}
# K: the last online CPU that can go offline on a node with memory (A's weights move
# there: a node without memory, as on the asymmetric machine, refuses them); O: another,
# neither W nor K.
read -r has_memory <$SYS/node/has_memory
bexpand "$has_memory" MEMNODES
K= NODEK=
for ((i = ${#CPUS[@]} - 1; i > 0; i--)); do
	[ -w $SYS/cpu/cpu${CPUS[i]}/online ] || continue
	for d in $SYS/cpu/cpu${CPUS[i]}/node*; do n=${d##*node}; done
	[[ " ${MEMNODES[*]} " == *" $n "* ]] && { K=${CPUS[i]} NODEK=$n; break; }
done
O=
for c in "${CPUS[@]}"; do [ "$c" != "$W" ] && [ "$c" != "$K" ] && { O=$c; break; }; done
plan $((14 + (${#O} > 0 ? 1 : 0)))
[ -n "$K" ] || bail cpus "needs a hotpluggable online CPU besides CPU $W on a node with memory; online: $online"
# The other CPU of C's mask: O, or on 2 CPUs the writer's.
OC=${O:-$W}
echo "writer on CPU $W; CPU $K (node $NODEK) goes offline and back; C's mask CPUs $OC and $K;" \
	"$ROUNDS rounds${O:+; CPU $O tells the mask apart from the writer}"

# Whatever happens, K comes back online for the scripts after this one.
trap 'echo 1 >$SYS/cpu/cpu$K/online 2>/dev/null; touch $HP/stop' EXIT
rm -rf $HP && mkdir -p $HP
taskset -pc "$W" $$ >/dev/null || bail pin "taskset -pc $W failed"
nn_load || bail loads "insmod failed"
slab0=$(nn_slab_counts)

# The networks: A default mask on K's node; B "cpus K"; C "cpus OC,K"; E "cpus K" for the
# foreground; S single rows pinned to K, cache off.
# load VAR DATA: loads DATA's model, its id into VAR (a bail in $(...) would not report).
load() {
	local id
	id=$(nn_load_model "$NN_DATA/$2.nnm") && [ -n "$id" ] || bail "load_$1" "loading $2 failed"
	printf -v "$1" %s "$id"
}
load A random-r1
load B random-r2
load C random-r3
load E random-r5
load S random-r5
echo "migrate $NODEK" >$D/network_$A/config || bail migrate "migrate $NODEK refused"
echo "cpus $K" >$D/network_$B/config || bail mask_b "cpus $K refused"
echo "cpus $OC,$K" >$D/network_$C/config || bail mask_c "cpus $OC,$K refused"
echo "cpus $K" >$D/network_$E/config || bail mask_e "cpus $K refused"
echo "cache_timeout 0" >$D/network_$S/config || bail cache_s "cache_timeout 0 refused"
if ((OC < K)); then ((K == OC + 1)) && MASK_C="$OC-$K" || MASK_C="$OC,$K"; else
	((OC == K + 1)) && MASK_C="$K-$OC" || MASK_C="$K,$OC"; fi

# parse_affinity: cpu_affinity into MASK[id], SRC[id] and LINE[id.cpu] (the CPU line's
# words after "cpu N"), and BADLINE for a line of neither form.
declare -A MASK SRC LINE
parse_affinity() {
	local l f id=
	MASK=() SRC=() LINE=() BADLINE=
	mapfile -t AFF <$D/cpu_affinity
	for l in "${AFF[@]}"; do
		read -ra f <<<"$l"
		if [[ ${f[0]} == network_* && ${f[1]} == cpus && ${#f[@]} == 6 ]]; then
			id=${f[0]#network_} MASK[$id]=${f[2]} SRC[$id]=${f[3]}
		elif [[ -n $id && ${f[0]} == cpu && ${f[2]} == predictions && ${f[4]} == chunks ]]; then
			LINE[$id.${f[1]}]="${f[*]:2}"
		else
			BADLINE+="[$l]"
		fi
	done
}
# count ID CPU predictions|chunks: from the last parse_affinity (0 without a line).
count() {
	local f
	read -ra f <<<"${LINE[$1.$2]:-predictions 0 chunks 0}"
	[ "$3" = predictions ] && echo "${f[1]}" || echo "${f[3]}"
}
# default_mask_of_nodek: the cpulist a default mask of weights on K's node must show now:
# the node's CPUs, or those of the nearest node with CPUs (the lowest id among equals).
default_mask_of_nodek() {
	local cl hc dist n best= bd=
	read -r cl <$SYS/node/node$NODEK/cpulist
	if [ -n "$cl" ]; then echo "$cl"; return; fi
	read -r hc <$SYS/node/has_cpu
	read -ra dist <$SYS/node/node$NODEK/distance
	bexpand "$hc" HC
	for n in "${HC[@]}"; do # node ids are dense on these guests: distance index = id
		if [ -z "$bd" ] || [ "${dist[n]}" -lt "$bd" ]; then best=$n bd=${dist[n]}; fi
	done
	read -r cl <$SYS/node/node$best/cpulist
	echo "$cl"
}
# check_text STEP: cpu_affinity after a step against the machine's state; appends to
# TEXT_BAD.
check_text() {
	local id c st want_a on
	read -r on <$SYS/cpu/online
	bexpand "$on" ONL
	parse_affinity
	[ -z "$BADLINE" ] || TEXT_BAD+=" $1: unparsed $BADLINE;"
	want_a=$(default_mask_of_nodek)
	[ "${MASK[$A]}/${SRC[$A]}" = "$want_a/default" ] ||
		TEXT_BAD+=" $1: A ${MASK[$A]}/${SRC[$A]}, want $want_a/default;"
	[ "${MASK[$B]}/${SRC[$B]}" = "$K/cpus" ] || TEXT_BAD+=" $1: B ${MASK[$B]}/${SRC[$B]};"
	[ "${MASK[$C]}/${SRC[$C]}" = "$MASK_C/cpus" ] || TEXT_BAD+=" $1: C ${MASK[$C]}/${SRC[$C]};"
	[ "${MASK[$E]}/${SRC[$E]}" = "$K/cpus" ] || TEXT_BAD+=" $1: E ${MASK[$E]}/${SRC[$E]};"
	for id in $A $B $C $E $S; do
		# Every online CPU has a line, without "offline".
		for c in "${ONL[@]}"; do
			[[ -n ${LINE[$id.$c]:-} && ${LINE[$id.$c]} != *offline ]] ||
				TEXT_BAD+=" $1: network_$id cpu $c online: [${LINE[$id.$c]:-none}];"
		done
		# K offline: its line, if it has one, says so, and it has one if it has counts.
		if [[ " ${ONL[*]} " != *" $K "* ]]; then
			st=${LINE[$id.$K]:-}
			[[ -z $st || $st == *" offline" ]] || TEXT_BAD+=" $1: network_$id cpu $K: [$st];"
		fi
	done
}
# batch_e: the foreground batch on E (all of random-r5 in one write()), its answers
# checked; prints nothing, appends to E_BAD.
E_IN=$NN_DATA/random-r5.in E_EXP=$(<$NN_DATA/random-r5.expected)
E_SIZE=$(stat -c %s $E_IN) E_ROWS=$(wc -l <$E_IN)
batch_e() {
	local fd out
	exec {fd}<>$D/network_$E/predict
	if dd if=$E_IN bs=$E_SIZE count=1 status=none >&$fd 2>$HP/e.err; then
		IFS= read -r -d '' out <&$fd
		[ "${out%$'\n'}" = "$E_EXP" ] || E_BAD+=" $1: answers differ;"
	else
		E_BAD+=" $1: write failed: $(<$HP/e.err);"
	fi
	exec {fd}>&-
}

# The background writers. Each keeps "N busy" or "N idle" in $HP/NAME.state (N: writes
# done), and on stop writes "writes wrong failed" to $HP/NAME.done and its failures to
# $HP/NAME.bad.
batch_job() { # NAME ID DATA
	local name=$1 id=$2 in=$NN_DATA/$3.in exp size n=0 wrong=0 failed=0 fd out
	exp=$(<$NN_DATA/$3.expected) size=$(stat -c %s $in)
	while [ ! -e $HP/stop ]; do
		echo "$n busy" >$HP/$name.state
		exec {fd}<>$D/network_$id/predict
		if dd if=$in bs=$size count=1 status=none >&$fd 2>$HP/$name.err; then
			IFS= read -r -d '' out <&$fd
			[ "${out%$'\n'}" = "$exp" ] || { wrong=$((wrong + 1)); echo "write $n: answers differ" >>$HP/$name.bad; }
		else
			failed=$((failed + 1))
			echo "write $n: $(<$HP/$name.err)" >>$HP/$name.bad
		fi
		exec {fd}>&-
		n=$((n + 1))
		echo "$n idle" >$HP/$name.state
	done
	echo "$n $wrong $failed" >$HP/$name.done
}
single_job() { # pins itself to K before each row; rows of random-r5 in turn
	local n=0 wrong=0 failed=0 pinned=0 refused=0 i fd out ins exps
	mapfile -t ins <$NN_DATA/random-r5.in
	mapfile -t exps <$NN_DATA/random-r5.expected
	while [ ! -e $HP/stop ]; do
		i=$((n % ${#ins[@]}))
		if taskset -pc $K $BASHPID >/dev/null 2>&1; then
			pinned=$((pinned + 1))
		else
			refused=$((refused + 1))
		fi
		echo "$n busy" >$HP/S.state
		exec {fd}<>$D/network_$S/predict
		if echo "${ins[i]}" >&$fd 2>$HP/S.err; then
			IFS= read -r -d '' out <&$fd
			[ "${out%$'\n'}" = "${exps[i]}" ] || { wrong=$((wrong + 1)); echo "row $n: differs" >>$HP/S.bad; }
		else
			failed=$((failed + 1))
			echo "row $n: $(<$HP/S.err)" >>$HP/S.bad
		fi
		exec {fd}>&-
		n=$((n + 1))
		echo "$n idle" >$HP/S.state
	done
	echo "$n $wrong $failed $pinned $refused" >$HP/S.done
}
JOBS=(A B C S)
batch_job A $A random-r1 &
batch_job B $B random-r2 &
batch_job C $C random-r3 &
single_job &

# job_state NAME: sets JN (writes done) and JB (1 while a write is under way); a state
# file caught between its truncation and its write reads as not yet known (JN=-1).
job_state() {
	local n s
	read -r n s <$HP/$1.state 2>/dev/null
	if [ -n "$s" ]; then JN=$n; [ "$s" = busy ] && JB=1 || JB=0; else JN=-1 JB=0; fi
}
# wait_progress: until every job has finished a write since the last call (the steps
# interleave with writes whatever the speed of either).
declare -A SEEN
for j in "${JOBS[@]}"; do SEEN[$j]=0; done
wait_progress() {
	local j
	for j in "${JOBS[@]}"; do
		while job_state $j; ((JN <= SEEN[$j])); do nn_sleep 0.2; done
		SEEN[$j]=$JN
	done
}
# step 0|1 NAME: K offline (0) or online (1); counts the writes under way as it began
# (INFLIGHT) and those that ended while it ran (ENDED).
INFLIGHT=0 ENDED=0 STEP_BAD= STEPS=0
declare -A BEFORE
step() {
	local j st
	for j in "${JOBS[@]}"; do
		job_state $j
		BEFORE[$j]=$JN
		INFLIGHT=$((INFLIGHT + JB))
	done
	if echo "$1" >$SYS/cpu/cpu$K/online; then
		read -r st <$SYS/cpu/cpu$K/online
		[ "$st" = "$1" ] || STEP_BAD+=" $2: cpu$K/online reads $st;"
		STEPS=$((STEPS + 1))
	else
		STEP_BAD+=" $2: echo $1 >cpu$K/online failed;"
	fi
	for j in "${JOBS[@]}"; do
		job_state $j
		((BEFORE[$j] >= 0 && JN > BEFORE[$j])) && ENDED=$((ENDED + JN - BEFORE[$j]))
	done
}

TEXT_BAD= E_BAD= E_OFF_BAD= E_ON_BAD= EINVAL_BAD= MADE_BAD=
E_OFF=0 E_ON=0
check_text start
for ((r = 1; r <= ROUNDS; r++)); do
	wait_progress
	step 0 "round $r offline"
	check_text "round $r offline"
	# E ran on K in the round before: K has counts, so a line, marked offline.
	((r == 1)) || [[ ${LINE[$E.$K]:-} == *" offline" ]] ||
		TEXT_BAD+=" round $r offline: network_$E cpu $K: [${LINE[$E.$K]:-none}];"
	# E's mask has no online CPU: its batch runs on the writer's CPU.
	pw=$(count $E $W predictions) kw=$(count $E $W chunks)
	pk=$(count $E $K predictions) kk=$(count $E $K chunks)
	batch_e "round $r offline"
	parse_affinity
	[ "$(count $E $W predictions)" = $((pw + E_ROWS)) ] && [ "$(count $E $K predictions)" = "$pk" ] &&
		[ "$(count $E $K chunks)" = "$kk" ] && E_OFF=$((E_OFF + 1)) ||
		E_OFF_BAD+=" round $r: W $pw -> $(count $E $W predictions), K $pk/$kk -> $(count $E $K predictions)/$(count $E $K chunks);"
	# "cpus K" while K is offline: EINVAL, the mask as it was.
	((r == 1)) && log_mark_as cpus_offline_cpu_einval
	if echo "cpus $K" 2>/dev/null >$D/network_$E/config; then
		EINVAL_BAD+=" round $r: cpus $K accepted;"
	fi
	((r == 1)) && log_mark_as after_einval
	# A network made while K is offline: its K scratch is there (memory_map).
	if ((r == 1)); then
		load M random-r5
		grep -q "^$M cpu$K scratch " $D/memory_map || MADE_BAD+=" no cpu$K scratch in memory_map;"
	fi
	wait_progress
	step 1 "round $r online"
	check_text "round $r online"
	pk=$(count $E $K predictions) kk=$(count $E $K chunks) pw=$(count $E $W predictions)
	batch_e "round $r online"
	parse_affinity
	[ "$(count $E $K predictions)" = $((pk + E_ROWS)) ] && [ "$(count $E $K chunks)" -gt "$kk" ] &&
		[ "$(count $E $W predictions)" = "$pw" ] && E_ON=$((E_ON + 1)) ||
		E_ON_BAD+=" round $r: K $pk/$kk -> $(count $E $K predictions)/$(count $E $K chunks), W $pw -> $(count $E $W predictions);"
	echo "round $r: $SECONDS s; writes under way as a step began so far: $INFLIGHT, ended while one ran: $ENDED"
done
touch $HP/stop
wait
echo "$ROUNDS rounds, $STEPS hotplug steps of CPU $K; writes under way as a step began: $INFLIGHT;" \
	"writes that ended while a step ran: $ENDED"

# The network made while K was offline predicts on K, with K's scratch.
parse_affinity
p0=$(count $M $K predictions)
taskset -pc $K $$ >/dev/null || MADE_BAD+=" taskset -pc $K failed;"
out=$(head -n 3 $NN_DATA/random-r5.in | tail -n 1 | nn_predict $M)
taskset -pc $W $$ >/dev/null
parse_affinity
[ "$out" = "$(sed -n 3p $NN_DATA/random-r5.expected)" ] || MADE_BAD+=" answer differs: $out;"
[ "$(count $M $K predictions)" = $((p0 + 1)) ] || MADE_BAD+=" cpu $K predictions $p0 -> $(count $M $K predictions);"
[ -z "$MADE_BAD" ] && pass network_made_while_offline_has_k_scratch_and_predicts_on_k ||
	fail network_made_while_offline_has_k_scratch_and_predicts_on_k "$MADE_BAD"

[ -z "$STEP_BAD" ] && [ "$STEPS" = $((2 * ROUNDS)) ] && pass hotplug_steps_succeed ||
	fail hotplug_steps_succeed "$STEPS steps;$STEP_BAD"
[ -z "$TEXT_BAD" ] && pass cpu_affinity_tells_each_step || fail cpu_affinity_tells_each_step "$TEXT_BAD"

# Each writer: every write succeeded and gave the host's answers.
declare -A WRITES
for j in A B C; do
	read -r n wrong failed <$HP/$j.done
	WRITES[$j]=$n
	echo "network $j: $n batch writes, $wrong wrong, $failed failed"
done
read -r n wrong failed pinned refused <$HP/S.done
WRITES[S]=$n
echo "network S: $n single rows, $wrong wrong, $failed failed; pinned to CPU $K before $pinned" \
	"of them, refused (CPU $K offline) before $refused"
job_verdict() {
	local n wrong failed
	read -r n wrong failed _ <$HP/$1.done
	[ "$n" -gt 0 ] && [ "$wrong" = 0 ] && [ "$failed" = 0 ] && return 0
	echo "$n writes, $wrong wrong, $failed failed: $(head -n 3 $HP/$1.bad 2>/dev/null | tr '\n' '|')"
	return 1
}
v=$(job_verdict A) && pass batches_exact_default_mask_on_ks_node || fail batches_exact_default_mask_on_ks_node "$v"
v=$(job_verdict B) && pass batches_exact_mask_k || fail batches_exact_mask_k "$v"
v=$(job_verdict C) && pass batches_exact_mask_o_and_k || fail batches_exact_mask_o_and_k "$v"
v=$(job_verdict S) && pass single_rows_exact_pinned_to_k || fail single_rows_exact_pinned_to_k "$v"

# The counters: every row counted once, on some CPU. With a third CPU O: B's rows on K
# or the writer's CPU, never on O; C's on O or K, never on the writer's CPU.
parse_affinity
bad=
rows_of() { wc -l <$NN_DATA/$1.in; }
sum_of() {
	local s=0 k
	for k in "${!LINE[@]}"; do
		[[ $k == "$1."* ]] && s=$((s + $(count "$1" "${k#*.}" predictions)))
	done
	echo $s
}
for e in "A $A random-r1" "B $B random-r2" "C $C random-r3" "S $S random-r5"; do
	read -r j id data <<<"$e"
	[ $j = S ] && want=${WRITES[S]} || want=$((WRITES[$j] * $(rows_of $data)))
	got=$(sum_of $id) st=$(nn_kv $D/network_$id/stats predictions)
	[ "$got" = "$want" ] && [ "$st" = "$want" ] || bad+=" $j: cpu_affinity $got, stats $st, want $want;"
	echo "network $j per CPU:$(for k in "${!LINE[@]}"; do [[ $k == "$id."* ]] && printf ' [cpu %s %s]' "${k#*.}" "${LINE[$k]}"; done)"
done
[ -z "$bad" ] && pass counts_add_up || fail counts_add_up "$bad"
if [ -n "$O" ]; then
	bad=
	[ "$(count $B $O predictions)/$(count $B $O chunks)" = 0/0 ] || bad+=" B ran on CPU $O: ${LINE[$B.$O]};"
	[ "$(count $C $W predictions)/$(count $C $W chunks)" = 0/0 ] || bad+=" C ran on CPU $W: ${LINE[$C.$W]};"
	[ -z "$bad" ] && pass chunks_stay_on_the_mask_or_the_writer ||
		fail chunks_stay_on_the_mask_or_the_writer "$bad"
fi

[ -z "$E_OFF_BAD$E_BAD" ] && [ "$E_OFF" = "$ROUNDS" ] && pass batch_with_mask_offline_runs_on_the_writer ||
	fail batch_with_mask_offline_runs_on_the_writer "$E_OFF of $ROUNDS;$E_OFF_BAD$E_BAD"
[ -z "$E_ON_BAD$E_BAD" ] && [ "$E_ON" = "$ROUNDS" ] && pass batch_with_mask_back_online_runs_on_k ||
	fail batch_with_mask_back_online_runs_on_k "$E_ON of $ROUNDS;$E_ON_BAD$E_BAD"
defer_case cpus_offline_cpu_einval "network_$E/config: line 1: cpus $K: no CPU of the list is online" "$EINVAL_BAD"

# Every network removed: no bytes held, the caches' objects as at the start.
nn_remove_all_check "$slab0"
nn_unload && ! nn_loaded && pass unloads || fail unloads
judge_deferred
