# SPDX-License-Identifier: GPL-2.0
# Scale: the network cap is a parameter (neural_max_networks), NN_SCALE_NETWORKS networks
# alive at once (make check 300, past the old fixed cap of 256; check-full 1,000:
# each predicted, every one in memory_map and counted in numa_stats and memory,
# all removed), and a model of 64 MiB of weights in 16 layers loaded under each policy,
# predicted bit for bit against the host, migrated and removed, with the memory limits
# enforced at that size. NN_SCALE_POLICIES: the policies the big model is loaded under
# (all five; make check: interleave and replicate, the page arrays and the two copies,
# about 30 s of TCG each; the others place whole layers as 15-placement's do).
# timeout: 1800
#
# The 1,000 networks are made by `create` with seeds 1 to 10 in turn: networks of one
# seed have the same weights, so each one's answer must be the first of its seed's (a
# network reading another's memory answers differently). memory_map must grow exactly
# linearly: its lines with N networks are 1 + N times one network's. The reads of
# memory_map and numa_stats are timed (printed; under `run-vm --icount` the guest's
# nanoseconds are instructions), not judged.
POLICIES=(${NN_SCALE_POLICIES:-local interleave preferred bind replicate})
plan $((14 + ${#POLICIES[@]}))

D=$NN_DEBUGFS
P=$NN_PARAMS
N=${NN_SCALE_NETWORKS:-1000}
BIG=$NN_DATA/scale-64m.nnm
T=/tmp/scale
rm -rf $T && mkdir -p $T

nn_load || bail loads "insmod failed"
[ "$(cat $P/neural_max_networks)" = 1024 ] && pass cap_is_a_parameter_of_1024 ||
	fail cap_is_a_parameter_of_1024 "$(cat $P/neural_max_networks 2>&1)"

# mk ID_VAR LINE: a network from a `create` line, its id in $ID_VAR (builtins only).
mk() {
	local -n out=$1
	out=
	printf '%s\n' "$2" >$D/create 2>$T/err || return 1
	read -r out <$D/create
}
# ask ID: one row through an open predict file, the answer in $ANSWER (builtins only, no
# subshell: a fork costs about 0.3 s under TCG).
ask() {
	local fd
	ANSWER=
	exec {fd}<>$D/network_$1/predict || return 1
	printf '0.5 -0.25 1 2\n' >&$fd && read -r ANSWER <&$fd
	exec {fd}>&-
}

# The cap: lowered to 3, a fourth creation is refused with ENOSPC and the reason, and
# nothing changes; lowered below the count, it refuses creations only; raised, it admits.
echo 3 >$P/neural_max_networks
ids=()
for s in 1 2 3; do mk id "4 8 2 relu linear seed=$s" && ids+=($id); done
log_mark
before=$(ls $D; cat $D/memory)
if mk id "4 8 2 relu linear seed=4"; then
	fail cap_refuses_with_enospc_and_reason "a fourth network was made ($id)"
elif ! grep -q "No space left" $T/err; then
	fail cap_refuses_with_enospc_and_reason "$(<$T/err)"
elif ! log_since_mark | grep -q "cannot create a network: 3 exist already (neural_max_networks=3)"; then
	fail cap_refuses_with_enospc_and_reason "log: $(log_since_mark | tail -2)"
elif [ "$before" != "$(ls $D; cat $D/memory)" ]; then
	fail cap_refuses_with_enospc_and_reason "something changed"
else
	pass cap_refuses_with_enospc_and_reason
fi
echo 1 >$P/neural_max_networks
[ $(network_count) = 3 ] && ! mk id "4 8 2 relu linear seed=4" && pass cap_below_the_count_refuses_only ||
	fail cap_below_the_count_refuses_only "$(network_count) networks"
echo 4 >$P/neural_max_networks
mk id "4 8 2 relu linear seed=4" && ids+=($id) && [ $(network_count) = 4 ] && pass cap_raised_admits ||
	fail cap_raised_admits "$(<$T/err)"
for id in "${ids[@]}"; do echo $id >$D/remove; done
echo 1024 >$P/neural_max_networks

# One network's memory_map lines: the unit of the linearity check.
mk id "4 8 2 relu linear seed=1" || bail one_network "$(<$T/err)"
per=$(($(grep -c "^$id " $D/memory_map)))
echo $id >$D/remove

# timed FILE: reads FILE once; prints "BYTES MICROSECONDS".
timed() {
	local t0=$EPOCHREALTIME bytes
	bytes=$(wc -c <"$1")
	local t1=$EPOCHREALTIME
	echo "$bytes $(( (${t1/./} - ${t0/./}) ))"
}

# N networks.
t0=$SECONDS
ids=() bad=
for ((i = 0; i < N; i++)); do
	if mk id "4 8 2 relu linear seed=$((i % 10 + 1))"; then ids+=($id); else bad="network $i: $(<$T/err)"; break; fi
done
echo "scale: $N networks made in $((SECONDS - t0)) s"
[ -z "$bad" ] && [ $(network_count) = $N ] && pass networks_${N}_alive || fail networks_${N}_alive "${bad:-$(network_count) directories}"

# Each predicted; each answers as the first network of its seed.
t0=$SECONDS
declare -A first
bad=0 asked=0
for ((i = 0; i < ${#ids[@]}; i++)); do
	ask ${ids[$i]} || { bad=$((bad + 1)); continue; }
	a=$ANSWER
	asked=$((asked + 1))
	s=$((i % 10))
	if [ -z "$a" ]; then bad=$((bad + 1))
	elif [ -z "${first[$s]:-}" ]; then first[$s]=$a
	elif [ "$a" != "${first[$s]}" ]; then bad=$((bad + 1)); echo "# network ${ids[$i]}: '$a', its seed's first '${first[$s]}'"; fi
done
echo "scale: $asked networks predicted in $((SECONDS - t0)) s"
distinct=$(printf '%s\n' "${first[@]}" | sort -u | wc -l)
[ $bad = 0 ] && [ $asked = $N ] && [ $distinct -ge 2 ] && pass every_network_answers_as_its_seed ||
	fail every_network_answers_as_its_seed "$bad wrong of $asked; $distinct distinct answers of 10 seeds"

# Every network in memory_map, linearly; counted in numa_stats and memory.
cat $D/memory_map >$T/map
lines=$(($(wc -l <$T/map)))
listed=$(awk 'NR > 1 { print $1 }' $T/map | sort -u | wc -l)
[ $listed = $N ] && [ $lines = $((1 + N * per)) ] && pass memory_map_lists_every_network_linearly ||
	fail memory_map_lists_every_network_linearly "$listed networks, $lines lines (want $((1 + N * per)): $per per network)"
grep -qx "networks: $N" $D/numa_stats && pass numa_stats_counts_them ||
	fail numa_stats_counts_them "$(grep networks $D/numa_stats)"
grep -qx "networks: $N" $D/memory && pass memory_counts_them || fail memory_counts_them "$(grep networks $D/memory)"
for f in memory_map numa_stats cpu_affinity; do
	read -r bytes us < <(timed $D/$f)
	echo "scale: $f with $N networks: $bytes bytes, read in $us us of guest time"
done

t0=$SECONDS
bad=
for id in "${ids[@]}"; do echo $id >$D/remove || bad+=" $id"; done
echo "scale: $N networks removed in $((SECONDS - t0)) s"
[ -z "$bad" ] && [ $(network_count) = 0 ] && grep -qx "used_bytes: 0" $D/memory && pass all_removed ||
	fail all_removed "refused:$bad; $(network_count) left; $(grep used $D/memory)"

# The 64 MiB model: under each policy, in a module loaded with it.
[ -f $BIG ] && [ $(stat -c %s $BIG) -gt $((64 << 20)) ] && pass big_model_present ||
	bail big_model_present "$BIG"
nn_unload || bail unloads_before_the_big_model
# The nodes with memory, roomiest first.
# nodes_by_room: "FREE_KIB NODE" of each node with memory, the roomiest first.
nodes_by_room() {
	local n
	for n in $(expand_list "$(</sys/devices/system/node/has_memory)"); do echo "$(nn_free_kib $n) $n"; done | sort -rn
}
roomy=()
while read -r kib n; do roomy+=($n); done < <(nodes_by_room)
two=${roomy[0]}${roomy[1]:+,${roomy[1]}}
# The blob is buffered where its writer runs (load's buffer goes anywhere, the local node
# first), beside the network until it is made: it is written from a CPU of the roomiest
# node that has CPUs.
wcpu= wfree=-1
for c in $(expand_list "$(</sys/devices/system/cpu/online)"); do
	for l in /sys/devices/system/cpu/cpu$c/node*; do
		n=${l##*node}
		f=$(nn_free_kib $n)
		[ "$f" -gt $wfree ] && { wcpu=$c wfree=$f; }
	done
done
echo "scale: nodes by room: ${roomy[*]}; the blob written from CPU $wcpu"
for policy in "${POLICIES[@]}"; do
	case $policy in
	local) args=(neural_numa_policy=0) ;;
	interleave) args=(neural_numa_policy=1) ;;
	preferred) args=(neural_numa_policy=2 neural_default_numa_node=${roomy[0]}) ;;
	bind) args=(neural_numa_policy=3 neural_numa_nodes=$two) ;;
	replicate) args=(neural_numa_policy=4 neural_numa_nodes=$two) ;;
	*)
		fail "big_model_${policy}" "no such policy (NN_SCALE_POLICIES)"
		continue
		;;
	esac
	# The page cache (the 64 MiB blob read over 9p, the earlier policies' reads) can hold
	# the room a node-bound allocation needs, which does not reclaim it: dropped first.
	sync; echo 3 >/proc/sys/vm/drop_caches
	# The limits the guest's RAM would set are below a replicated 64 MiB: raised, the
	# machine's available memory still checked.
	if ! nn_load "${args[@]}" neural_max_network_mb=1024 neural_max_total_mb=1024; then
		fail "big_model_${policy}" "insmod ${args[*]} failed"
		continue
	fi
	free=$(nodes_by_room | tr '\n' ' ')
	t0=$SECONDS
	id=
	taskset -c $wcpu /busybox/cat $BIG 2>$T/err >$D/load && read -r id <$D/load
	t1=$SECONDS
	if [ -z "$id" ]; then
		fail "big_model_${policy}" "load: $(<$T/err); $(dmesg | tail -2); free KiB, node: $free"
		nn_unload
		continue
	fi
	got=$(nn_predict $id <$NN_DATA/scale-64m.in | md5sum)
	want=$(md5sum <$NN_DATA/scale-64m.expected)
	held=$(awk -v id=$id '$1 == id { b += $4 } END { print b }' $D/memory_map)
	sync; echo 3 >/proc/sys/vm/drop_caches
	# To the node with the most room now, or the next if the layers lie wholly there.
	to=
	while read -r kib n; do
		[ -z "$to" ] && [ "$(awk -v id=$id -v n=$n '$1 == id && $2 ~ /^layer/ && $7 != n ":" $5' $D/memory_map | wc -l)" != 0 ] && to=$n
	done < <(nodes_by_room)
	to=${to:-${roomy[0]}}
	moved=ok
	free=$(nodes_by_room | tr '\n' ' ')
	echo "migrate $to" >$D/network_$id/config 2>$T/err ||
		moved="migrate $to: $(<$T/err); free KiB, node: $free"
	got2=$(nn_predict $id <$NN_DATA/scale-64m.in | md5sum)
	where=$(awk -v id=$id '$1 == id { print $7 }' $D/memory_map | sort -u | tr '\n' ' ')
	# The layers' buffers (the per-CPU scratch stays with its CPU, as in 70-migrate).
	elsewhere=$(awk -v id=$id -v to=$to '$1 == id && $2 ~ /^layer/ && $7 != to ":" $5' $D/memory_map | wc -l)
	echo "scale: $policy: loaded in $((t1 - t0)) s, $held bytes; after migrate $to on: $where"
	echo $id >$D/remove
	freed=$(grep used_bytes $D/memory)
	nn_unload && unloaded=1 || unloaded=0
	if [ "$got" != "$want" ]; then
		fail "big_model_${policy}" "answers differ from the host's"
	elif [ $held -lt $((64 << 20)) ]; then
		fail "big_model_${policy}" "memory_map shows $held bytes"
	elif [ "$moved" != ok ] || [ "$got2" != "$want" ] || [ "$elsewhere" != 0 ]; then
		fail "big_model_${policy}" "$moved; answers after $( [ "$got2" = "$want" ] && echo same || echo differ); pages on $where"
	elif [ "$freed" != "used_bytes: 0" ] || [ $unloaded = 0 ]; then
		fail "big_model_${policy}" "after removal $freed; unloaded $unloaded"
	else
		pass "big_model_${policy}"
	fi
done

# The limits at that size: the per-network limit (EFBIG) and the total (ENOSPC), each
# named in the log; nothing made.
nn_load neural_max_network_mb=64 || bail loads_with_limits
st=$(write_status $D/load <$BIG)
[ "$st" = "File too large" ] && [ $(network_count) = 0 ] && grep -qx "used_bytes: 0" $D/memory &&
	pass big_model_over_network_limit_efbig || fail big_model_over_network_limit_efbig "$st"
echo 1024 >$P/neural_max_network_mb && echo 64 >$P/neural_max_total_mb
st=$(write_status $D/load <$BIG)
[ "$st" = "No space left on device" ] && [ $(network_count) = 0 ] && grep -qx "used_bytes: 0" $D/memory &&
	pass big_model_over_total_limit_enospc || fail big_model_over_total_limit_enospc "$st"
nn_unload && pass unloads || fail unloads
