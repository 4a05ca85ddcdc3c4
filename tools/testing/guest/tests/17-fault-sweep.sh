# SPDX-License-Identifier: GPL-2.0
# timeout: 1700
# Every allocation of every user-facing operation (the writes that act, and a read of
# every readable file of the tree and of a network: nn-faultsweep -R) failed on purpose,
# one at a time, and after EACH failure: the errno is ENOMEM and nothing changed (tools/testing/guest/
# nn-faultsweep.c: the network list, each network's config and stats, numa_stats,
# memory_map, memory, cpu_affinity and the slab caches' objects compared with the
# snapshot taken before the sweep). Only allocations with the module's code on the stack
# are counted and failed (the stack filter: nn_fault_module_only), so N counts the
# module's allocations (and what the kernel allocates for it), not open(2)'s.
#
# Two ways of choosing the N-th call:
#   task   fail-nth of the writing task: everything the write does in its own task;
#   slab,  failslab / fail_page_alloc with probability 100, times 1 and interval C+N,
#   page   no task filter: the N-th call of any task, so the work items that run a
#          batch's chunks on other CPUs (rust/sched/on_cpus_helper.c, rust/network/
#          rounds.rs) are reached too. nn-faultsweep keeps C, the kernel's running
#          count of such calls, exact (its header says how).
#
# What each sweep must show, besides "nothing changed" and ENOMEM after every failure:
#   - the sweep ended in a success with nothing injected (every allocation reached:
#     N-1 calls were failed, then the N-th attempt ran to completion);
#   - injected = N - 1 (nn-faultsweep's "attempts", fewer in a strided sweep): each
#     attempt before the last met its failure (the operation's allocations are the
#     same every time);
#   - an operation that made buffers (numa_stats' allocations_local +
#     allocations_remote grew in its last, successful, attempt) met at least one
#     failure (in the task and slab modes: small buffers are slab objects, and the
#     page mode meets a page call only when a slab runs out); and with failslab and fail_page_alloc together (create_1 swept in the
#     slab and the page mode), at least as many failures as buffers, each buffer
#     being at least one call of either (the threshold derived from the operation, not
#     a constant). fail-nth alone reaches fewer: some buffers are made off the
#     writer's task. An operation that allocates nothing reports "calls 1 injected 0"
#     and passes: that is a figure, not a failure.
#   - the module's C allocation helpers (rust/numa/*_helper.c, rust/sched/
#     on_cpus_helper.c) each reached: with the stack filter narrowed to the helper's
#     own code (its kallsyms range), an operation makes at least one call there
#     (nn-faultsweep -T), and failing the first of them is clean. Their allocations
#     are __GFP_NOWARN, so failslab's verbose stacks (tools/testing/fault-sites) never
#     show them: this is how they are shown reached.
# Counters of failures move on a failure by design: migration_failures (config's
# re-placements, evacuate) and evacuations (every evacuate request) are accounted (-a:
# at most 1 per failed attempt), not compared. request_firmware() reports a failed
# allocation of its own as ENOENT (it tries the next firmware path), which load_firmware
# passes on: allowed there (-e 2).
# Leaks: run-vm's kmemleak scan after the run, which fails the run if kmemleak disabled
# itself.
# NN_FAULT_QUICK=1 (make check): 5 of the 12 config commands (a move, the interleave
# policy, a CPU mask, the cache, the SIMD switch; the other moves and masks take the
# same paths), the slab and page modes on predict_batch and create_1 only, bench's
# first 4 allocations, not 8 (an absorbed failure runs the benchmark: seconds under
# TCG), and the calls of the creations and loads strided (nn-faultsweep -s: the first
# 16, then every 4th, every 8th for the interleaved network's page loop, then each of
# the last ones); check-full sweeps everything.
quick=${NN_FAULT_QUICK:-0}
# make check's sweeps of the operations of about a hundred calls (create, load,
# load_firmware): the first 16, every 4th, the last ones.
QUICK_STRIDE=()
[ "$quick" = 1 ] && QUICK_STRIDE=(-s 16:4)
plan $([ "$quick" = 1 ] && echo 28 || echo 41)
# phase NAME: the guest seconds since the last mark, to see where the script's time goes.
PHASE_AT=$SECONDS
phase() {
	echo "# phase $1: $((SECONDS - PHASE_AT)) s"
	PHASE_AT=$SECONDS
}

nn_load || bail loads "insmod failed"
phase module_load
D=$NN_DEBUGFS
SWEEP=$NN_HELPERS/nn-faultsweep
DATA=$NN_DATA
nn_fault_inject_on
nn_fault_module_only
read -r s0 _ </sys/module/neural_network/sections/.text
read -r cs </sys/module/neural_network/coresize
echo "module code $(nn_module_text) (kallsyms); .text $s0, coresize $cs"

# global_on / global_off: failslab and fail_page_alloc fail by probability (armed by
# nn-faultsweep's times and interval), any task, with the module's code on the stack.
global_on() {
	local f
	for f in failslab fail_page_alloc; do
		echo 0 >/sys/kernel/debug/$f/times
		echo N >/sys/kernel/debug/$f/task-filter
		echo 100 >/sys/kernel/debug/$f/probability
	done
}
global_off() {
	local f
	for f in failslab fail_page_alloc; do
		echo 0 >/sys/kernel/debug/$f/probability
		echo 0 >/sys/kernel/debug/$f/times
		echo 1 >/sys/kernel/debug/$f/interval
	done
}

# buffers ID: memory_map lines of network ID.
buffers() {
	local l n=0
	while read -r l; do [[ $l == "$1 "* ]] && n=$((n + 1)); done <$D/memory_map
	echo $n
}

SUMMARY=()
# sweep NAME MODE FILE INPUT [nn-faultsweep options]: one sweep.
sweep() {
	local name=$1 mode=$2 file=$3 input=$4 out rc calls inj attempts last made t0=$SECONDS
	shift 4
	out=$($SWEEP -m "$mode" "$@" "$file" "$input")
	rc=$?
	last=${out##*$'\n'}
	read -r _ calls _ inj _ _ _ _ _ _ _ _ _ attempts _ <<<"$last"
	made=$(sed -n 's/^buffers //p' <<<"$out")
	SUMMARY+=("$name [$mode]: $last, buffers ${made:-?}, $((SECONDS - t0)) s")
	echo "$name [$mode]: ${out//$'\n'/; }"
	INJ[$name]=$inj
	BUF[$name]=$made
	# A buffer is at least one slab or page call, but a small one is a slab object:
	# in the page mode alone an operation may make no call (a slab page is allocated
	# only when a slab runs out), so that mode has no such floor.
	[[ $last == calls* ]] && [ "$rc" = 0 ] && [ -n "$made" ] &&
		{ [ "$made" = 0 ] || [ "$mode" = page ] || [ "$inj" -ge 1 ]; } &&
		{ [ "$mode" != task ] || [ "$inj" = "$attempts" ]; } && pass "$name" ||
		fail "$name" "rc $rc, $out"
}
declare -A INJ BUF

# --- create, under three policies; load; load_firmware -----------------------------
rep=
for n in $(expand_list "$(</sys/devices/system/node/has_memory)"); do
	[ "$(nn_free_kib "$n")" -ge 16384 ] && rep+=${rep:+,}$n
done
i=0
# The interleaved network: NN_FAULT_INTERLEAVE (make check 256x512x4: 64 pages of weights,
# the smallest first layer that interleave spreads page by page, INTERLEAVE_PAGE_BYTES in
# rust/numa/placement.rs; check-full and the default 512x512x4: 128 pages, 742 calls).
il=${NN_FAULT_INTERLEAVE:-512x512x4}
for line in "8 16 4 relu linear seed=1" "${il//x/ } relu linear seed=1 policy=interleave" \
	"8 16 4 relu linear seed=1 policy=replicate nodes=$rep"; do
	i=$((i + 1))
	echo "$line" >/tmp/create$i.txt
	# make check: the interleaved network's hundreds of calls (a page each, one loop)
	# strided by 8 past the first 16, the others by 4 (QUICK_STRIDE); the last calls
	# swept whole (nn-faultsweep -s).
	stride=("${QUICK_STRIDE[@]}")
	[ "$quick" = 1 ] && [ $i = 2 ] && stride=(-s 16:8)
	sweep create_$i task $D/create /tmp/create$i.txt -r $D/remove "${stride[@]}"
done
phase creates

SAMPLE=/nn/rust/kunit/testdata/sample.nnm
sweep load task $D/load $SAMPLE -r $D/remove "${QUICK_STRIDE[@]}"

old_path=$(</sys/module/firmware_class/parameters/path)
printf '%s' $DATA/firmware >/sys/module/firmware_class/parameters/path
echo sample.nnm >/tmp/fw.txt
sweep load_firmware task $D/load_firmware /tmp/fw.txt -r $D/remove -i $D/load -e 2 \
	"${QUICK_STRIDE[@]}"
phase loads

# --- replace, train, predict ---------------------------------------------------------
cat $DATA/replace-a.nnm >$D/load && read -r rid <$D/load
sweep replace task $D/network_$rid/replace $DATA/replace-b.nnm

echo "2 4 1 tanh sigmoid seed=1" >$D/create && read -r tid <$D/create
printf 'epochs 3\nrate 1\n0 0 : 0\n0 1 : 1\n1 0 : 1\n1 1 : 0\n' >/tmp/xor.txt
sweep train task $D/network_$tid/train /tmp/xor.txt

cat $DATA/random-r1.nnm >$D/load && read -r pid <$D/load
read -r row <$DATA/random-r1.in
echo "$row" >/tmp/row.txt
sweep predict_row task $D/network_$pid/predict /tmp/row.txt
sweep predict_batch task $D/network_$pid/predict $DATA/random-r1.in
phase replace_train_predict

# --- every config command, evacuate (on the replace network) ----------------------
# The first and last nodes with 16 MiB free ($rep, above): the 16-node machine's node 0
# is nearly full after boot, and bind there fails without an injection.
n0=${rep%%,*} n1=${rep##*,}
c=0
cmds=("migrate $n1" "policy interleave nodes $rep" "policy preferred node $n0" "node $n1"
	"policy bind nodes $n0" "nodes $n1" "cpus 0" "cpus default" "avoid_cpu0 1"
	"cache_timeout 500" "cache_timeout 0" "simd 0")
[ "$quick" = 1 ] && cmds=("migrate $n1" "policy interleave nodes $rep" "cpus 0" "cache_timeout 500"
	"simd 0")
for cmd in "${cmds[@]}"; do
	c=$((c + 1))
	echo "$cmd" >/tmp/cfg$c.txt
	sweep "config_${cmd// /_}" task $D/network_$rid/config /tmp/cfg$c.txt -a migration_failures
done
# Evacuate node n1 with every network able to leave it (the replace network was left
# bound to n1 alone).
echo "policy interleave nodes $rep" >$D/network_$rid/config
echo "$n1" >/tmp/evac.txt
sweep evacuate task $D/evacuate /tmp/evac.txt -a evacuations -a migration_failures
phase config_evacuate

# --- reads: every readable file of the tree and of the replace network ------------
# A read builds its text in memory (a snapshot at the first read of an open file):
# each allocation failed gives ENOMEM, or is absorbed (the read succeeds: a kvmalloc
# that falls back to vmalloc), and changes nothing, as a write's. `bench` apart: a read
# of it that gets past its allocations runs the SIMD benchmark (seconds under TCG), so
# only its first 8 allocations (4 with NN_FAULT_QUICK) are failed, one attempt each
# (-f N -k 1), below.
r=0
for f in $D/* $D/network_$rid/*; do
	[ -f "$f" ] && [ "${f##*/}" != bench ] && [ $(($(stat -c %a "$f") / 100 & 4)) = 4 ] ||
		continue
	r=$((r + 1))
	n=${f#$D/}
	out=$($SWEEP -m task -R "$f")
	rc=$?
	last=${out##*$'\n'}
	read -r _ calls _ inj _ <<<"$last"
	SUMMARY+=("read ${n//\//_}: $last")
	echo "read $n: ${out//$'\n'/; }"
	[[ $last == calls* ]] && [ "$rc" = 0 ] && [ "$inj" = $((calls - 1)) ] ||
		READ_BAD+=" $n(rc $rc: $last)"
done
phase reads
for ((n = 1; n <= (quick ? 4 : 8); n++)); do
	out=$($SWEEP -m task -R -f $n -k 1 $D/bench)
	echo "read bench, allocation $n failed: ${out//$'\n'/; }"
	[[ $out == *" injected 1 other 0 changed 0" ]] || READ_BAD+=" bench@$n($out)"
done
phase bench_reads
[ "$r" -ge 10 ] && [ -z "$READ_BAD" ] && pass reads_of_every_file_fail_cleanly ||
	fail reads_of_every_file_fail_cleanly "${READ_BAD:-only $r readable files}"

# --- off the caller's task: batch chunks in work items, every allocation ----------
# The batch's chunks on every CPU (work items on the others than the writer's).
echo "cpus $(</sys/devices/system/cpu/online)" >$D/network_$pid/config
global_on
for m in slab page; do
	sweep predict_batch_$m $m $D/network_$pid/predict $DATA/random-r1.in
	[ "$quick" = 1 ] || sweep predict_row_$m $m $D/network_$pid/predict /tmp/row.txt
	[ "$quick" = 1 ] || sweep train_$m $m $D/network_$tid/train /tmp/xor.txt
	sweep create_1_$m $m $D/create /tmp/create1.txt -r $D/remove
	[ "$quick" = 1 ] ||
		sweep config_migrate_$m $m $D/network_$pid/config /tmp/cfg1.txt -a migration_failures
	echo "migrate $n0" >$D/network_$pid/config
done
phase off_task
global_off
[ $((INJ[create_1_slab] + INJ[create_1_page])) -ge "${BUF[create_1]}" ] &&
	pass create_1_failures_cover_its_buffers ||
	fail create_1_failures_cover_its_buffers "slab ${INJ[create_1_slab]} + page ${INJ[create_1_page]} < ${BUF[create_1]} buffers"

# --- the C helpers, each reached: the stack filter on the helper's code alone -------
# func_range NAME: "START END" of the module's function NAME (to the next symbol). A
# kallsyms line is "ADDR TYPE NAME<tab>[MODULE]": matched by pattern, in the shell (a
# `read <<<` a line took about 25 s of TCG per call over the module's symbols).
mapfile -t KS < <(grep '\[neural_network\]$' /proc/kallsyms | sort)
func_range() {
	local i
	for i in "${!KS[@]}"; do
		if [[ ${KS[i]} == *" $1"$'\t'* ]]; then
			echo "0x${KS[i]%% *} 0x${KS[i + 1]%% *}"
			return 0
		fi
	done
	return 1
}
for spec in "nn_alloc_node create1" "nn_slab_alloc create1" "nn_page_alloc create2" \
	"nn_vmap create2" "nn_run_on_cpus batch"; do
	read -r fn op <<<"$spec"
	case $op in
	create*) args=(-r $D/remove $D/create /tmp/$op.txt) ;;
	batch) args=($D/network_$pid/predict $DATA/random-r1.in) ;;
	esac
	range=$(func_range "$fn") || { fail "site_$fn" "not in kallsyms"; continue; }
	nn_fault_stack_range $range
	total=$($SWEEP -T "${args[@]}")
	if [ "$op" = create2 ] && [ "${rep//[^,]/}" = "" ]; then
		# One node with memory: interleave places each layer whole, no page array is
		# made, and the case asserts that instead.
		echo "site $fn under $op on one node: $total calls"
		[ "$total" = "total 0" ] && pass "site_$fn" ||
			fail "site_$fn" "one node: $total, expected no page array"
		continue
	fi
	out=$($SWEEP -f 1 -k 1 "${args[@]}")
	echo "site $fn ($range) under $op: $total calls; failing the first: $out"
	SUMMARY+=("site $fn under $op: $total calls, first failed: ${out##*$'\n'}")
	[ "${total#total }" -ge 1 ] 2>/dev/null && [[ $out == *" injected 1 other 0 changed 0" ]] &&
		pass "site_$fn" || fail "site_$fn" "$total; $out"
done
phase sites
nn_fault_module_only

printf '%s' "$old_path" >/sys/module/firmware_class/parameters/path
nn_fault_any_stack
nn_fault_inject_off
echo "# summary"
for s in "${SUMMARY[@]}"; do echo "#   $s"; done
for id in $rid $tid $pid; do echo "$id" >$D/remove; done
[ "$(network_count)" = 0 ] && [ "$(nn_numa_stat bytes)" = 0 ] &&
	pass nothing_held_after || fail nothing_held_after "$(network_count) networks, $(nn_numa_stat bytes) bytes"
nn_unload && ! nn_loaded && pass unloads || fail unloads
phase unload
