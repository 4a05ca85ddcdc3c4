# SPDX-License-Identifier: GPL-2.0
# Fault injection at every allocation of `create` and `load` (failslab and
# fail_page_alloc by fail-nth, sleeping and order-0 allocations included): each write
# that meets a failure fails with ENOMEM, and leaves nothing behind: no network, no byte
# held in numa_stats, no allocation counted for it, the slab caches' objects as before,
# and no leak (run-vm's kmemleak scan after the run). Under replicate too, where a
# network makes a copy per node.
# timeout: 900
plan 7

nn_load || bail loads "insmod failed"
D=$NN_DEBUGFS
SAMPLE=/nn/rust/kunit/testdata/sample.nnm
FAILNTH=$NN_HELPERS/nn-failnth
nn_fault_inject_on

# buffers LINE: how many buffers a network made from LINE has (memory_map lines).
buffers() {
	local id
	echo "$1" >$D/create && read -r id <$D/create
	mapfile -t MM <$D/memory_map
	echo $((${#MM[@]} - 1))
	echo "$id" >$D/remove
}

slab0=$(nn_slab_counts)

# run NAME FILE INPUT BUFFERS: fails every allocation of writing INPUT to FILE in turn;
# the allocations counted in numa_stats grow by BUFFERS per network made, no more.
run() {
	local name=$1 file=$2 input=$3 per=$4 out rc a0 a1 made
	a0=$(($(nn_numa_stat allocations_local) + $(nn_numa_stat allocations_remote)))
	out=$($FAILNTH "$file" "$input" $D/remove)
	rc=$?
	a1=$(($(nn_numa_stat allocations_local) + $(nn_numa_stat allocations_remote)))
	echo "$name: $out" | tr '\n' ' '
	echo
	made=$(sed -n 's/.* succeeded \([0-9]*\) .*/\1/p' <<<"$out")
	injected=$(sed -n 's/.* injected \([0-9]*\) .*/\1/p' <<<"$out")
	[ "$rc" = 0 ] && [ "${injected:-0}" -gt 10 ] && [ -n "$made" ] &&
		[ $((a1 - a0)) = $((made * per)) ] && pass "$name" ||
		fail "$name" "rc $rc, $out, allocations $a0 -> $a1 for $made networks of $per buffers"
}

echo "8 16 4 relu linear seed=1" >/tmp/create.txt
run create_fails_cleanly_at_every_allocation $D/create /tmp/create.txt \
	"$(buffers "8 16 4 relu linear seed=1")"
# Replicate over the nodes with room (16 MiB free): a copy per node, and a node that boot
# filled (the 16-node machine's node 0) would refuse every copy, injected or not.
rep=$(nn_nodes_with_room 16384 | paste -sd,)
echo "8 16 4 relu linear seed=1 policy=replicate nodes=$rep" >/tmp/create-rep.txt
run replicate_fails_cleanly_at_every_allocation $D/create /tmp/create-rep.txt \
	"$(buffers "8 16 4 relu linear seed=1 policy=replicate nodes=$rep")"
echo "512 512 4 relu linear seed=1 policy=interleave" >/tmp/create-il.txt
run interleave_fails_cleanly_at_every_allocation $D/create /tmp/create-il.txt \
	"$(buffers "512 512 4 relu linear seed=1 policy=interleave")"
cat $SAMPLE >$D/load && read -r id <$D/load && mapfile -t MM <$D/memory_map &&
	echo "$id" >$D/remove
run load_fails_cleanly_at_every_allocation $D/load $SAMPLE $((${#MM[@]} - 1))

nn_fault_inject_off

[ "$(network_count)" = 0 ] && [ "$(nn_numa_stat bytes)" = 0 ] && [ "$(nn_numa_stat pages)" = 0 ] &&
	pass nothing_held_after || fail nothing_held_after "$(network_count) networks, $(nn_numa_stat bytes) bytes"
slab1=$(nn_slab_counts)
[ "$slab1" = "$slab0" ] && pass slab_objects_as_before || fail slab_objects_as_before "$slab0 -> $slab1"
nn_unload && ! nn_loaded && pass unloads || fail unloads
