# SPDX-License-Identifier: GPL-2.0
# NUMA placement, verified from memory_map's measured pages: every policy puts every
# buffer where it says (local, bind and preferred on each node with room, interleave
# round-robin and page by page, a full copy per node for replicate, whose predictions
# from a CPU of each node are bit-identical and read that node's copy); bind to a node
# without memory or offline is refused, bind to a node too small or full fails with ENOMEM
# and lands nothing anywhere, preferred to a memoryless or full node falls back to the
# nearest node with room by distance and counts it; numa_stats agrees with memory_map; the module's slab caches
# are listed and their objects come back when every network is removed.
# timeout: 600

D=$NN_DEBUGFS
P=$NN_PARAMS
mapfile -t MEM < <(expand_list "$(</sys/devices/system/node/has_memory)")
mapfile -t CPUN < <(expand_list "$(</sys/devices/system/node/has_cpu)")
mapfile -t ONLINE < <(online_nodes)
memless=
for n in "${ONLINE[@]}"; do
	[[ " ${MEM[*]} " == *" $n "* ]] || { memless=$n; break; }
done
offline=$((ONLINE[-1] + 1))
# The nodes with memory that have room (16 MiB free) for the small networks below, and
# the full ones (under 1 MiB free: a booted 16-node guest of 96 MiB nodes has some).
ROOM=() FULL=()
for n in "${MEM[@]}"; do
	f=$(nn_free_kib "$n")
	((f >= 16384)) && ROOM+=("$n")
	((f < 1024)) && FULL+=("$n")
done
room_list=$(IFS=,; echo "${ROOM[*]}")
echo "nodes with memory: ${MEM[*]}; with room: ${ROOM[*]}; full: ${FULL[*]:-none}"
# Two more cases on a machine with a memoryless node, two on one with a full node.
extra=0
[ -n "$memless" ] && extra=$((extra + 2))
[ ${#FULL[@]} -gt 0 ] && extra=$((extra + 2))
plan $((15 + extra))

nn_load || bail loads "insmod failed"

slab0=$(nn_slab_counts)
[[ $slab0 == *neural_layer:* && $slab0 == *neural_scratch:* && $slab0 == *neural_replica:* ]] &&
	pass slab_caches_listed || fail slab_caches_listed "slabinfo has: $slab0"

# create LINE [CPU]: sets ID to the new network's id, or ERR to the error text; with
# CPU, the write runs pinned to that CPU (a process more; without, a builtin).
create_write() {
	if [ -n "${2:-}" ]; then
		taskset -c "$2" bash -c 'echo "$1" >"$2"' _ "$1" $D/create
	else
		echo "$1" >$D/create
	fi
}
create() {
	ID= ERR=
	if { create_write "$@"; } 2>/tmp/nn-create-err; then
		read -r ID <$D/create
	else
		read -r ERR </tmp/nn-create-err
		ERR=${ERR##*: }
	fi
}

# layers ID: LINES = network ID's memory_map lines of layer buffers (not scratch).
layers() {
	local l
	mapfile -t MM <$D/memory_map
	LINES=()
	for l in "${MM[@]}"; do
		[[ $l == "$1 layer"* ]] && LINES+=("$l")
	done
}

# all_on ID NODE: every layer buffer of ID is wholly on NODE, as intended; prints what
# is not.
all_on() {
	local l net part kind bytes pages want got bad=
	layers "$1"
	[ ${#LINES[@]} -gt 0 ] || { echo "no lines"; return 1; }
	for l in "${LINES[@]}"; do
		read -r net part kind bytes pages want got <<<"$l"
		[ "$got" = "$2:$pages" ] && [ "$want" = "$2" ] || bad+="[$l] "
	done
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

# near_fallback FROM ID: every layer buffer of ID was intended for FROM and is wholly on
# FROM or on a node no farther from it than the nearest node with room (the order a
# preferred fallback tries); sets BAD to what is not, and NEAR to that nearest node.
near_fallback() {
	local from=$1 l net part kind bytes pages want got g best= bad= dist m
	read -ra dist </sys/devices/system/node/node$from/distance
	for m in "${ROOM[@]}"; do
		[ "$m" = "$from" ] && continue
		if [ -z "$best" ] || ((dist[m] < best)); then best=${dist[m]} NEAR=$m; fi
	done
	layers "$2"
	BAD="no lines"
	[ ${#LINES[@]} -gt 0 ] || return 1
	for l in "${LINES[@]}"; do
		read -r net part kind bytes pages want got <<<"$l"
		g=${got%%:*}
		[ "$want" = "$from" ] && [ "$got" = "$g:$pages" ] &&
			{ [ "$g" = "$from" ] || ((dist[g] <= best)); } || bad+="[$l] "
	done
	BAD=$bad
	[ -z "$bad" ]
}

# Local: on the creating CPU's node, every page as intended. The network is created
# from a CPU of a node with room (a booted 16-node guest's node 0 can be too low for
# the page allocator to take from it, and then local rightly falls back).
# If no node with CPUs and memory has room, local must fall back as preferred does.
home=
for n in "${CPUN[@]}"; do
	[[ " ${ROOM[*]} " == *" $n "* ]] && { home=$n; break; }
done
[ -n "$home" ] || home=${CPUN[0]}
read -r cpus </sys/devices/system/node/node$home/cpulist
create "8 16 4 relu linear policy=local seed=1" "${cpus%%[-,]*}"
if [[ " ${ROOM[*]} " == *" $home "* ]]; then
	r=$(all_on "$ID" "$home") && pass local_on_one_node_with_memory ||
		fail local_on_one_node_with_memory "home $home ${ERR}: $r"
else
	near_fallback "$home" "$ID" && pass local_on_one_node_with_memory ||
		fail local_on_one_node_with_memory "home $home without room ${ERR}: $BAD"
fi

# Bind and preferred to each node with room.
bad=
for n in "${ROOM[@]}"; do
	create "8 16 4 relu linear policy=bind nodes=$n"
	r=$(all_on "$ID" "$n") || bad+=" bind $n ($ERR): $r;"
	create "8 16 4 relu linear policy=preferred node=$n"
	r=$(all_on "$ID" "$n") || bad+=" preferred $n ($ERR): $r;"
done
[ -z "$bad" ] && pass bind_and_preferred_on_each_node || fail bind_and_preferred_on_each_node "$bad"

# A full node: bind fails with ENOMEM and lands nothing; preferred falls back to the
# nearest node with room by distance, and counts it.
if [ ${#FULL[@]} -gt 0 ]; then
	full=${FULL[-1]}
	mapfile -t before_map <$D/memory_map
	# 2 MiB of weights: whole pages, which a full node does not have.
	create "1024 1024 4 relu linear policy=bind nodes=$full"
	mapfile -t after_map <$D/memory_map
	[ "$ERR" = "Cannot allocate memory" ] && [ -z "$ID" ] &&
		[ "${before_map[*]}" = "${after_map[*]}" ] && pass "bind_full_node_${full}_enomem" ||
		fail bind_full_node_enomem "node $full: id '$ID' err '$ERR'"
	f0=$(nn_numa_stat fallbacks)
	create "1024 1024 4 relu linear policy=preferred node=$full"
	f1=$(nn_numa_stat fallbacks)
	near_fallback "$full" "$ID" && ((f1 > f0)) &&
		pass "preferred_full_node_${full}_falls_back_near_${NEAR}" ||
		fail preferred_full_node_falls_back "node $full, nearest with room $NEAR ($ERR): $BAD fallbacks $f0 -> $f1"
fi

# Interleave, small layers: layer i of network id whole on node (id + i) mod n.
create "8 8 8 8 8 relu relu relu linear policy=interleave nodes=$room_list"
bad=
layers "$ID"
for l in "${LINES[@]}"; do
	read -r net part kind bytes pages want got <<<"$l"
	[[ $kind == weights ]] || continue
	i=${part#layer}
	n=${ROOM[$(((ID + i) % ${#ROOM[@]}))]}
	[ "$got" = "$n:$pages" ] || bad+="[$l want $n] "
done
[ -z "$bad" ] && pass interleave_layers_round_robin || fail interleave_layers_round_robin "$bad"

# Interleave, a layer of 512 KiB of weights: its 128 pages round the nodes with room,
# page k on the ((ID + k) mod n)-th (rust/numa/placement.rs), so counts that differ by at
# most one. A page whose node is below its watermark when asked comes from the page
# allocator's next node instead (pages.rs: not exact): a fallback, which numa_stats
# counts. It happened on the 16-node machine, whose node 1 takes what its nearly full
# node 0 cannot (node 1's ten pages on node 2); so with a counted fallback, every page
# not on its node must be on another.
f0=$(nn_numa_stat fallbacks)
create "512 512 4 relu linear policy=interleave nodes=$room_list"
f1=$(nn_numa_stat fallbacks)
layers "$ID"
r="no layer0 weights"
for l in "${LINES[@]}"; do
	read -r net part kind bytes pages want got <<<"$l"
	[[ $part == layer0 && $kind == weights ]] || continue
	declare -A expect=() have=() both=()
	for ((k = 0; k < pages; k++)); do
		n=${ROOM[$(((ID + k) % ${#ROOM[@]}))]}
		expect[$n]=$((${expect[$n]:-0} + 1))
		both[$n]=1
	done
	IFS=, read -ra parts <<<"$got"
	for p in "${parts[@]}"; do
		have[${p%:*}]=${p#*:}
		both[${p%:*}]=1
	done
	# Pages short of their node and over on another (equal when every page is counted).
	short=0 over=0
	for n in "${!both[@]}"; do
		d=$((${have[$n]:-0} - ${expect[$n]:-0}))
		((d < 0)) && short=$((short - d))
		((d > 0)) && over=$((over + d))
	done
	if [ "$pages" != 128 ]; then
		r="[$l] $pages pages"
	elif ((short == 0 && over == 0)); then
		r=ok
	elif ((f1 > f0 && short == over)); then
		r=ok
		echo "interleave pages: $short fell back ($got), fallbacks $f0 -> $f1"
	else
		r="[$l] $short pages short of their node, $over over, fallbacks $f0 -> $f1"
	fi
	unset expect have both
done
[ "$r" = ok ] && pass interleave_pages_spread_evenly || fail interleave_pages_spread_evenly "$r"

# Replicate: a copy of every layer's weights and biases on every node with memory, each
# wholly on its node.
create "8 16 4 relu linear policy=replicate nodes=$room_list seed=2"
rep=$ID
layers "$rep"
declare -A copies=()
bad=
for l in "${LINES[@]}"; do
	read -r net part kind bytes pages want got <<<"$l"
	case $kind in
	weights | weights_replica) copies[$part]+="$want " ;;
	esac
	[ "$got" = "$want:$pages" ] || bad+="[$l] "
done
for part in layer0 layer1; do
	sorted=$(printf '%s\n' ${copies[$part]} | sort -n | tr '\n' ' ')
	[ "$sorted" = "${ROOM[*]} " ] || bad+=" $part copies on '${copies[$part]}';"
done
[ -z "$bad" ] && pass replicate_copy_on_every_node || fail replicate_copy_on_every_node "$bad"

# Predictions from a CPU of each node with CPUs are bit-identical, and each reads the
# copy of its node (or of the nearest node with memory).
input="0.5 -0.25 1 0 0.125 -1 0.75 0.5"
bad= want=
for n in "${CPUN[@]}"; do
	read -r cpus </sys/devices/system/node/node$n/cpulist
	cpu=${cpus%%[-,]*}
	out=$(taskset -c "$cpu" bash -c 'exec 3<>"$1"; echo "$2" >&3; cat <&3' _ \
		$D/network_$rep/predict "$input")
	[ -n "$out" ] || bad+=" cpu $cpu: no output;"
	[ -z "$want" ] && want=$out
	[ "$out" = "$want" ] || bad+=" cpu $cpu (node $n): '$out' vs '$want';"
done
reads=$(sed -n 's/^copy_reads: //p' $D/network_$rep/stats)
# One node with room: one copy, so no copy table and no copy_reads (the UMA fast path).
if [ ${#ROOM[@]} -eq 1 ]; then
	[ -z "$reads" ] || bad+=" one copy, yet copy_reads '$reads';"
fi
# Every node with CPUs and a copy read its own copy (with two copies or more).
for n in "${CPUN[@]}"; do
	[ ${#ROOM[@]} -gt 1 ] || break
	[[ " ${ROOM[*]} " == *" $n "* ]] || continue
	[[ ",$reads," == *",$n:"[1-9]* ]] || bad+=" node $n's copy unread ($reads);"
done
[ -z "$bad" ] && pass replicate_bit_identical_from_each_node ||
	fail replicate_bit_identical_from_each_node "$bad"

# An offline node is refused.
create "8 16 4 relu linear policy=bind nodes=$offline"
[ "$ERR" = "Invalid argument" ] && [ -z "$ID" ] && pass bind_offline_einval ||
	fail bind_offline_einval "id '$ID' err '$ERR'"

if [ -n "$memless" ]; then
	log_mark_as bind_memoryless_einval
	create "8 16 4 relu linear policy=bind nodes=$memless"
	defer_case bind_memoryless_einval "node $memless has no memory" \
		"$([ "$ERR" = "Invalid argument" ] && [ -z "$ID" ] || echo "id '$ID' err '$ERR'")"
	# Preferred to it: the nearest node with memory by distance.
	f0=$(nn_numa_stat fallbacks)
	create "8 16 4 relu linear policy=preferred node=$memless"
	f1=$(nn_numa_stat fallbacks)
	near_fallback "$memless" "$ID" && ((f1 > f0)) &&
		pass "preferred_memoryless_falls_back_near_${NEAR}" ||
		fail preferred_memoryless_falls_back "want near $NEAR ($ERR): $BAD fallbacks $f0 -> $f1"
fi

# Bind to a node smaller than the network: ENOMEM, and nothing anywhere changes.
echo 1048576 >$P/neural_max_network_mb
echo 1048576 >$P/neural_max_total_mb
n=${MEM[0]}
mapfile -t before_map <$D/memory_map
mapfile -t before_stats <$D/numa_stats
# Three layers of 4096 x 4096 with training memory: 480 MiB, more than any test node.
create "4096 4096 4096 4096 relu relu linear policy=bind nodes=$n"
mapfile -t after_map <$D/memory_map
mapfile -t after_stats <$D/numa_stats
[ "$ERR" = "Cannot allocate memory" ] && [ -z "$ID" ] &&
	[ "${before_map[*]}" = "${after_map[*]}" ] && [ "${before_stats[*]}" = "${after_stats[*]}" ] &&
	pass bind_full_node_enomem_nothing_lands ||
	fail bind_full_node_enomem_nothing_lands "id '$ID' err '$ERR'"
echo 0 >$P/neural_max_network_mb
echo 0 >$P/neural_max_total_mb

# numa_stats holds what memory_map lists: the bytes of every buffer, node by node.
declare -A per_node=()
total=0
mapfile -t MM <$D/memory_map
for l in "${MM[@]:1}"; do
	read -r net part kind bytes pages want got <<<"$l"
	total=$((total + bytes))
	IFS=, read -ra parts <<<"$got"
	for p in "${parts[@]}"; do
		per_node[${p%:*}]=$((${per_node[${p%:*}]:-0} + ${p#*:}))
	done
done
mapfile -t NS <$D/numa_stats
bad=
for l in "${NS[@]}"; do
	case $l in
	"bytes: "*) [ "${l#bytes: }" = "$total" ] || bad+=" bytes ${l#bytes: } vs $total;" ;;
	"node "*)
		read -r _ node _ _ _ pages _ <<<"$l"
		[ "$pages" = "${per_node[$node]:-0}" ] || bad+=" node $node pages $pages vs ${per_node[$node]:-0};"
		;;
	esac
done
[ -z "$bad" ] && [ "$total" -gt 0 ] && pass numa_stats_agree_with_memory_map ||
	fail numa_stats_agree_with_memory_map "$bad"
[[ ${MM[0]} == "# network part kind bytes pages want got" ]] && pass memory_map_header ||
	fail memory_map_header "${MM[0]}"

# config shows the policy and mask in force.
grep -q "^policy: replicate" $D/network_$rep/config && grep -q "^nodes: " $D/network_$rep/config &&
	pass config_shows_policy_and_nodes || fail config_shows_policy_and_nodes

# Every network removed: no bytes held, the caches' objects as at the start.
nn_remove_all_check "$slab0"

nn_unload && ! nn_loaded && pass unloads || fail unloads
judge_deferred
