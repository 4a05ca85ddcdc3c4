# SPDX-License-Identifier: GPL-2.0
# The interface fuzzer: random sequences of opens, whole and partial writes, reads at
# odd offsets and sizes, closes and removes over every file of the debugfs tree (and the
# module's run-time parameters), from several tasks at once, with lines from a grammar of
# the real commands, mutated, and random bytes (tools/testing/guest/nn-fuzz.c); the debug
# kernel's sanitizers watch (KASAN, lockdep, kmemleak, ...). Then every network removed,
# the module answering as the host does, unloaded, and nothing leaked.
# timeout: 400
#
# NN_FUZZ_SECONDS: how long the tasks fuzz (60; make check-full: 600 on 2 nodes), at most
# the script's limit (400 s times NN_TIMEOUT_SCALE) less 220 s. NN_FUZZ_SEED: the seed
# (default: from the clock); it is printed first, with the command that replays the run.
# NN_FUZZ_TASKS: the tasks (4). NN_FUZZ_LOG: a directory where each task writes every
# operation it makes (task-N.log; slow over 9p, for replaying a failure by hand).
# NN_FUZZ_FAULTS=N: while the tasks fuzz, every N-th allocation with the module's code on
# the stack fails (failslab and fail_page_alloc, any task; off by default), so that the
# error paths run under the same concurrency; ENOMEM is then an answer of every file.
#
# The module is loaded with small memory limits (8 MiB a network, 64 MiB in all; the
# fuzzer writes the parameters only within them), so that no write can ask the guest
# for more memory than it has. The fuzzer itself checks every call (allowed errnos per
# file, whole writes, sane reads, snapshots, removal) and reads the kernel log while it
# runs; each kind of finding is a case here, and so is whether each writable file took
# whole writes (the grammar reached its code past the parsers) and each file was read.
plan 15

D=$NN_DEBUGFS
P=$NN_PARAMS
KL=/sys/kernel/debug/kmemleak
T=/tmp/fuzz
rm -rf $T && mkdir -p $T
limit=$((400 * ${NN_TIMEOUT_SCALE:-1}))
secs=${NN_FUZZ_SECONDS:-60}
if [ "$secs" -gt $((limit - 220)) ]; then
	echo "fuzz: NN_FUZZ_SECONDS=$secs does not fit the script's $limit s: $((limit - 220)) s"
	secs=$((limit - 220))
fi
seed=${NN_FUZZ_SEED:-$((((${SRANDOM:-$RANDOM} << 31) ^ ${EPOCHREALTIME/./} ^ RANDOM) & 0x7fffffffffffffff))}
tasks=${NN_FUZZ_TASKS:-4}
nodes=$(expand_list "$(</sys/devices/system/node/online)" | wc -l)
echo "fuzz: seed $seed, $secs s, $tasks tasks"
echo "fuzz: replay in a guest of this topology ($nodes nodes: tools/testing/run-vm --nodes" \
	"$nodes for a uniform one): \"NN_NO_KUNIT=1 NN_FUZZ_SEED=$seed NN_FUZZ_SECONDS=$secs" \
	"NN_FUZZ_TASKS=$tasks${NN_FUZZ_FAULTS:+ NN_FUZZ_FAULTS=$NN_FUZZ_FAULTS}" \
	"/nn/tools/testing/guest/run-tests 89-fuzz.sh\""

nn_load neural_max_network_mb=8 neural_max_total_mb=64 || bail loads "insmod failed"
slab0=$(nn_slab_counts)
fw_path=$(</sys/module/firmware_class/parameters/path)
printf '%s' $NN_DATA/firmware >/sys/module/firmware_class/parameters/path
# What kmemleak would report now is not this script's: scanned and cleared first.
[ -w $KL ] && echo scan >$KL && echo clear >$KL

models=(/nn/rust/kunit/testdata/sample.nnm $NN_DATA/random-*.nnm $NN_DATA/replace-*.nnm
	$NN_DATA/stress-a.nnm $NN_DATA/stress-b.nnm $NN_DATA/digits/*.nnm $NN_DATA/edge-*.nnm
	/nn/tools/testing/models/malformed/*.nnm)
opts=()
[ -n "${NN_FUZZ_LOG:-}" ] && mkdir -p "$NN_FUZZ_LOG" && opts+=(-l "$NN_FUZZ_LOG")
# bench (the in-guest benchmark, run at its open) takes about 30 s of a task under TCG:
# opened once in runs of 300 s or more.
bench=
[ "$secs" -ge 300 ] && opts+=(-b) && bench=bench
# Under injection its 2 MiB may be refused (ENOMEM): its read is then not required.
[ "${NN_FUZZ_FAULTS:-0}" != 0 ] && bench=
faults=${NN_FUZZ_FAULTS:-0}
if [ "$faults" != 0 ]; then
	echo "fuzz: every $faults-th allocation of the module fails (NN_FUZZ_FAULTS)"
	opts+=(-F)
	nn_fault_inject_on
	nn_fault_module_only
	for f in failslab fail_page_alloc; do
		echo N >/sys/kernel/debug/$f/task-filter
		echo -1 >/sys/kernel/debug/$f/times
		echo "$faults" >/sys/kernel/debug/$f/interval
		echo 100 >/sys/kernel/debug/$f/probability
	done
fi
$NN_HELPERS/nn-fuzz -s "$seed" -t "$secs" -j "$tasks" -n 8 -p $P "${opts[@]}" $D \
	"${models[@]}" 2>&1 | tee $T/out
rc=${PIPESTATUS[0]}
if [ "$faults" != 0 ]; then
	for f in failslab fail_page_alloc; do
		echo 0 >/sys/kernel/debug/$f/probability
		echo 1 >/sys/kernel/debug/$f/interval
		echo 0 >/sys/kernel/debug/$f/times
	done
	nn_fault_inject_off
fi
printf '%s' "$fw_path" >/sys/module/firmware_class/parameters/path

# The fuzzer's summary lines.
declare -A cat_n accepted opened read_ok
done_line= kmsg_line=
while IFS= read -r line; do
	case $line in
	"nn-fuzz: done: "*) done_line=${line#nn-fuzz: done: } ;;
	"nn-fuzz: kernel log: "*) kmsg_line=${line#nn-fuzz: kernel log: } ;;
	"nn-fuzz: findings by kind:"*)
		read -ra w <<<"${line#*kind:}"
		for ((i = 0; i + 1 < ${#w[@]}; i += 2)); do cat_n[${w[i]}]=${w[i + 1]}; done
		;;
	"nn-fuzz: accepted "*)
		read -ra w <<<"${line#*whole):}"
		for ((i = 0; i + 1 < ${#w[@]}; i += 2)); do accepted[${w[i]}]=${w[i + 1]}; done
		;;
	"nn-fuzz: "[a-z_]*": open ok "*)
		k=${line#nn-fuzz: }
		k=${k%%:*}
		line=${line#*: }
		read -ra w <<<"${line//;/}"
		for ((i = 0; i + 2 < ${#w[@]}; i++)); do
			[ "${w[i]} ${w[i + 1]}" = "open ok" ] && opened[$k]=${w[i + 2]}
			[ "${w[i]} ${w[i + 1]}" = "read ok" ] && read_ok[$k]=$((${read_ok[$k]:-0} + ${w[i + 2]}))
			[ "${w[i]} ${w[i + 1]}" = "pread ok" ] && read_ok[$k]=$((${read_ok[$k]:-0} + ${w[i + 2]}))
		done
		;;
	esac
done <$T/out
read -r _ ops _ findings _ ran <<<"$done_line"
ran=${ran%.*}
[ "$rc" -le 1 ] && [ -n "$done_line" ] && [ "${ops:-0}" -gt 0 ] && [ "${ran:-0}" -ge "$secs" ] &&
	pass fuzzer_ran_its_time || fail fuzzer_ran_its_time "status $rc, '$done_line'"
for c in task errno count text state; do
	case $c in
	task) name=every_task_finished ;;
	errno) name=every_errno_one_the_file_can_give ;;
	count) name=every_call_returned_a_sane_count ;;
	text) name=every_read_text_and_its_open_files_snapshot ;;
	state) name=every_remove_took_its_directory ;;
	esac
	[ -n "${cat_n[$c]:-}" ] && [ "${cat_n[$c]}" = 0 ] && pass $name ||
		fail $name "${cat_n[$c]:-no} findings of kind '$c' (seed $seed; see above)"
done
# The kernel log as the fuzzer read it (run-vm judges the console's as well): records
# were read (the module logs every refused write), none a problem.
read -r records _ <<<"$kmsg_line"
[ "${cat_n[kernel]:-}" = 0 ] && [ "${records:-0}" -gt 0 ] && pass kernel_log_clean_while_fuzzing ||
	fail kernel_log_clean_while_fuzzing "${cat_n[kernel]:-no} problems; '$kmsg_line' (seed $seed)"
missing=
for k in create load load_firmware remove evacuate config predict replace train param; do
	[ "${accepted[$k]:-0}" -gt 0 ] || missing+=" $k"
done
[ -z "$missing" ] && pass every_writable_file_took_whole_writes ||
	fail every_writable_file_took_whole_writes "none taken by:$missing"
missing=
for k in create load report $bench config predict stats train; do
	[ "${read_ok[$k]:-0}" -gt 0 ] || missing+=" $k"
done
for k in load_firmware remove evacuate replace param; do
	[ "${opened[$k]:-0}" -gt 0 ] || missing+=" $k(opened)"
done
[ -z "$missing" ] && pass every_file_opened_and_read || fail every_file_opened_and_read "none:$missing"

# The parameters as loaded, every network removed, nothing held.
for kv in neural_enable_simd=1 neural_simd_threshold=0 neural_cache_timeout_ms=1000 \
	neural_max_network_mb=8 neural_max_total_mb=64 neural_strict_input=0; do
	echo "${kv#*=}" >$P/${kv%%=*}
done
# By id, every id ever given (the last is what load reads), as well as by directory: a
# network whose directory could not be made (debugfs failing is not an error) is removed.
last=$(<$D/load)
if [ "$last" != none ]; then
	for ((i = 0; i <= last; i++)); do echo $i >$D/remove 2>/dev/null; done
fi
nn_remove_all_check "$slab0"
mapfile -t mem <$D/memory
[[ " ${mem[*]} " == *" used_bytes: 0 networks: 0 "* ]] && [ "$(network_count)" = 0 ] &&
	pass memory_used_bytes_zero_after_remove || fail memory_used_bytes_zero_after_remove "${mem[*]}"
# The module still answers as the host does.
id=$(nn_load_model /nn/rust/kunit/testdata/sample.nnm)
nn_predict "$id" <$NN_DATA/sample.in >$T/sample.out
cmp -s $T/sample.out $NN_DATA/sample.expected && pass answers_as_the_host_after ||
	fail answers_as_the_host_after "network '$id': $(head -c 200 $T/sample.out)"
echo "$id" >$D/remove
check unloads nn_unload

# kmemleak, after its 5 s age: what the fuzzing left unreferenced, with the module gone.
if [ -w $KL ]; then
	nn_sleep 6
	if leaks=$(nn_kmemleak_listing); then
		[ -z "$leaks" ] && pass kmemleak_reports_nothing ||
			fail kmemleak_reports_nothing "seed $seed: $(head -n 12 <<<"$leaks" | tr '\n' '|')"
	else
		fail kmemleak_reports_nothing "kmemleak refused a scan"
	fi
else
	fail kmemleak_reports_nothing "no $KL (the debug kernel has kmemleak)"
fi
