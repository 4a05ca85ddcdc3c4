# SPDX-License-Identifier: GPL-2.0
# Lifetime: what outlives what.
#
# 1. rmmod with debugfs files open. debugfs's proxy open takes a reference on the owning
#    module (the file_operations' owner) for each open file, so `rmmod neural_network`
#    is refused (EWOULDBLOCK, busybox: "Resource temporarily unavailable") while any is
#    open, refcnt counting exactly one per open file; the open files keep working
#    (a load blob finished through an fd held across the refusal creates its network);
#    once they are closed rmmod succeeds.
# 2. A network's directory removed while its files are held open: the network leaves the
#    registry at once (networks 0), its memory stays (numa_stats bytes, memory's
#    used_bytes) until the last open file closes, reads and writes on the held fds give
#    EIO (debugfs refuses calls into a removed file), a partial line pending in predict
#    runs at close on the removed network without harm, and the bytes go back to 0.
# 3. A network removed while a big multi-row predict write runs (the batch engine's
#    rounds on the workers): debugfs_remove waits for the write in flight, so a write
#    seen inside the kernel (/proc/PID/syscall: blocked in write(1, ...)) when the
#    remove came completes; the results are then unreadable (EIO) and nothing is left.
#    How many rounds really overlapped is printed, not asserted (timing decides it).
#    A control round without the remove checks the big write's answers bit for bit.
# 4. API callers creating and destroying their networks (the C sample, the atomic
#    sample whose timers predict in softirq and hardirq) while debugfs predictions on
#    other networks run and are checked bit for bit, and while debugfs networks are
#    loaded and removed around them.
# 5. An API network's files held open while its owner (the C sample) destroys it and is
#    unloaded: the sample goes, the held files give EIO, the network's memory stays
#    until they close (a pending line runs then), and is freed.
# 6. rmmod tried while a reader opens and reads debugfs files over and over: refused,
#    or the unload goes through and the reader meets ENXIO, ENOENT or EIO, nothing else.
# Leaks: run-vm's kmemleak scans; the memory counters are checked here.
# timeout: 900
plan 36

D=$NN_DEBUGFS
REFCNT=/sys/module/neural_network/refcnt
SAMPLE=$NN_DATA/sample
# The model of sample.in and sample.expected (4 inputs), copied into RAM.
cp /nn/rust/kunit/testdata/sample.nnm /tmp/lt-sample.nnm
SAMPLE_NNM=/tmp/lt-sample.nnm
SAMPLE_KO=${NN_KO%/*}/neural_network_sample.ko
[ -f "$SAMPLE_KO" ] || SAMPLE_KO=/nn/samples/neural_network_sample.ko
ATOMIC_KO=${NN_KO%/*}/neural_network_atomic.ko
[ -f "$ATOMIC_KO" ] || ATOMIC_KO=/nn/samples/neural_network_atomic.ko

# err_of COMMAND...: runs COMMAND (stderr captured); prints "ok" or the error's text.
err_of() {
	local e
	if e=$("$@" 2>&1 >/dev/null); then echo ok; else echo "${e##*: }"; fi
}
read_fd() { cat <&"$1"; }
write_fd() { echo "$2" >&"$1"; }
# blob_rest FD: the sample blob after its first 20 bytes, written to FD.
blob_rest() { tail -c +21 $SAMPLE_NNM >&"$1"; }
mem_used() { nn_kv $D/memory used_bytes; }
# kv_fd FD KEY: nn_kv on a file already open (not opened again, as /dev/fd/N would be).
kv_fd() {
	local line
	while IFS= read -r line; do
		[ "${line%%: *}" = "$2" ] && { echo "${line#*: }"; return 0; }
	done <&"$1"
	return 1
}
# load_own BLOB: loads a model through one open file of load and reads back the id that
# this file created (a new open file reads the last created by anyone).
load_own() {
	local lf id
	exec {lf}<>$D/load || return 1
	cat "$1" >&$lf && read -r id <&$lf
	exec {lf}>&-
	[ -n "$id" ] && echo "$id"
}

# ---- 1. rmmod with debugfs files open ----
nn_load || bail loads "insmod failed"
ref0=$(<$REFCNT)
id=$(nn_load_model $SAMPLE_NNM) || bail load_sample "load failed"
fds=()
for f in numa_info numa_stats memory_map memory simd bench cpu_affinity; do
	exec {fd}<$D/$f && fds+=($fd)
done
for f in create remove evacuate load_firmware; do
	exec {fd}>$D/$f && fds+=($fd)
done
exec {load_fd}<>$D/load && fds+=($load_fd)
# A model blob cut after 20 bytes: the load waits for the rest.
head -c 20 $SAMPLE_NNM >&$load_fd
exec {pred_fd}<>$D/network_$id/predict && fds+=($pred_fd)
cat $SAMPLE.in >&$pred_fd
exec {conf_fd}<$D/network_$id/config && fds+=($conf_fd)
exec {stats_fd}<$D/network_$id/stats && fds+=($stats_fd)
exec {repl_fd}>$D/network_$id/replace && fds+=($repl_fd)
head -c 20 $SAMPLE_NNM >&$repl_fd
n_open=${#fds[@]}
ref=$(<$REFCNT)
[ "$n_open" = 16 ] && [ "$ref" = $((ref0 + n_open)) ] &&
	pass each_open_file_holds_one_module_reference ||
	fail each_open_file_holds_one_module_reference "$n_open files open, refcnt $ref0 -> $ref"
st=$(err_of nn_unload)
[ "$st" = "Resource temporarily unavailable" ] && nn_loaded && [ -d $D/network_$id ] &&
	pass rmmod_refused_ewouldblock_while_files_open ||
	fail rmmod_refused_ewouldblock_while_files_open "rmmod: '$st'; loaded: $(nn_loaded && echo yes || echo no)"
[ "$(<$REFCNT)" = "$ref" ] && pass refused_rmmod_leaves_refcnt ||
	fail refused_rmmod_leaves_refcnt "refcnt $ref -> $(<$REFCNT)"
# The open files still answer, with what they answered before.
out=$(read_fd $pred_fd)
[ "$out" = "$(<$SAMPLE.expected)" ] && pass held_predict_reads_its_results ||
	fail held_predict_reads_its_results "got '$out'"
[ "$(kv_fd $stats_fd predictions)" = 4 ] && pass held_stats_reads ||
	fail held_stats_reads "predictions not 4"
first=$(head -n1 <&$conf_fd)
[ "$first" = "id: $id" ] && pass held_config_reads || fail held_config_reads "first line '$first'"
first=$(head -n1 <&${fds[0]})
[[ $first == nodes_online:* ]] && pass held_numa_info_reads || fail held_numa_info_reads "first line '$first'"
# The rest of the blob through the held load file: a network is made.
blob_rest $load_fd
id2=$(read_fd $load_fd)
[ -n "$id2" ] && [ "$id2" != "$id" ] && [ -d $D/network_$id2 ] && [ "$(network_count)" = 2 ] &&
	pass held_load_finishes_its_blob || fail held_load_finishes_its_blob "load read '$id2', $(network_count) networks"
# The held remove file removes it.
st=$(err_of write_fd "${fds[8]}" "$id2")
[ "$st" = ok ] && [ ! -e $D/network_$id2 ] && pass held_remove_removes ||
	fail held_remove_removes "remove: $st"
for fd in "${fds[@]}"; do exec {fd}>&-; done
[ "$(<$REFCNT)" = "$ref0" ] && pass closing_gives_the_references_back ||
	fail closing_gives_the_references_back "refcnt $(<$REFCNT), expected $ref0"

# ---- 2. a network's directory removed while its files are held open ----
echo "2 4 1 tanh sigmoid seed=7" >$D/create && tid=$(cat $D/create) || bail create "create failed"
used0=$(mem_used)
exec {pred_fd}<>$D/network_$id/predict
# Three whole lines and a last one without its newline: it runs at close.
printf '%s' "$(<$SAMPLE.in)" >&$pred_fd
exec {conf_fd}<$D/network_$id/config
exec {stats_fd}<$D/network_$id/stats
exec {repl_fd}>$D/network_$id/replace
head -c 20 $SAMPLE_NNM >&$repl_fd
exec {train_fd}<>$D/network_$tid/train
printf '0 0 : 0\n1 1 : 0' >&$train_fd
ref=$(<$REFCNT)
st=$(echo "$id" 2>&1 >$D/remove) && st=ok
st2=$(echo "$tid" 2>&1 >$D/remove) && st2=ok
[ "$st" = ok ] && [ "$st2" = ok ] && [ "$(network_count)" = 0 ] && [ ! -e $D/network_$id ] &&
	[ "$(nn_kv $D/memory networks)" = 0 ] && pass remove_with_files_held_open ||
	fail remove_with_files_held_open "remove: $st, $st2; $(network_count) directories"
# Held files of a removed network: EIO, for reads and writes alike.
got=
got+=" $(err_of read_fd $pred_fd)"
got+=" $(err_of write_fd $pred_fd '0.5 0.5 0.5 0.5')"
got+=" $(err_of read_fd $conf_fd)"
got+=" $(err_of read_fd $stats_fd)"
got+=" $(err_of blob_rest $repl_fd)"
got+=" $(err_of read_fd $train_fd)"
got+=" $(err_of write_fd $train_fd '1 0 : 1')"
want=$(printf ' Input/output error%.0s' 1 2 3 4 5 6 7)
[ "$got" = "$want" ] && pass removed_networks_held_files_give_eio ||
	fail removed_networks_held_files_give_eio "got:$got"
# Until they close, the network's memory is held (and counted), and the module pinned.
b=$(nn_numa_stat bytes) u=$(mem_used)
[ "${b:-0}" -gt 0 ] && [ "$u" = "$used0" ] && [ "$(nn_numa_stat networks)" = 0 ] &&
	pass held_files_keep_the_memory_until_closed ||
	fail held_files_keep_the_memory_until_closed "numa_stats bytes $b, used_bytes $u (before $used0)"
st=$(err_of nn_unload)
[ "$st" = "Resource temporarily unavailable" ] && [ "$(<$REFCNT)" = "$ref" ] &&
	pass rmmod_refused_with_removed_networks_files_open ||
	fail rmmod_refused_with_removed_networks_files_open "rmmod: '$st', refcnt $(<$REFCNT) ($ref)"
log_mark
exec {pred_fd}>&- {conf_fd}>&- {stats_fd}>&- {repl_fd}>&- {train_fd}>&-
[ "$(nn_numa_stat bytes)" = 0 ] && [ "$(nn_numa_stat pages)" = 0 ] && [ "$(mem_used)" = 0 ] &&
	[ "$(<$REFCNT)" = "$ref0" ] && pass memory_freed_when_the_last_file_closes ||
	fail memory_freed_when_the_last_file_closes "numa_stats bytes $(nn_numa_stat bytes), used_bytes $(mem_used), refcnt $(<$REFCNT)"
check rmmod_after_the_files_closed nn_unload
! nn_loaded && [ ! -e $D ] && pass nothing_left_after_rmmod || fail nothing_left_after_rmmod

# ---- 3. a network removed while a big batch write runs ----
nn_load || bail reload "insmod failed"
BLOB=$NN_DATA/random-r4
K=${NN_LIFETIME_COPIES:-4}
for ((i = 0; i < K; i++)); do cat $BLOB.in; done >/tmp/lt-big.in
for ((i = 0; i < K; i++)); do cat $BLOB.expected; done >/tmp/lt-big.expected
SIZE=$(stat -c %s /tmp/lt-big.in)
ROWS=$(wc -l </tmp/lt-big.expected)
# Control: the same write, not removed: every answer the host's.
cid=$(nn_load_model $BLOB.nnm) || bail load_big "load failed"
t0=${EPOCHREALTIME/./}
exec {fd}<>$D/network_$cid/predict
dd if=/tmp/lt-big.in bs=$SIZE count=1 status=none >&$fd
cat <&$fd >/tmp/lt-big.out
exec {fd}>&-
t=$(((${EPOCHREALTIME/./} - t0) / 1000))
echo "a write of $ROWS rows ($SIZE bytes) and its read: $t ms"
cmp -s /tmp/lt-big.out /tmp/lt-big.expected && [ "$(nn_kv $D/network_$cid/stats predictions)" = "$ROWS" ] &&
	pass big_write_gives_the_hosts_answers || fail big_write_gives_the_hosts_answers "results or count differ"
echo "$cid" >$D/remove
rm -f /tmp/lt-big.out
ROUNDS=${NN_LIFETIME_ROUNDS:-4}
mkfifo /tmp/lt-go
overlaps=0 bad=
for ((r = 1; r <= ROUNDS; r++)); do
	rid=$(nn_load_model $BLOB.nnm) || { bad+=" round$r:load"; break; }
	rm -f /tmp/lt-pid /tmp/lt-wst
	(
		exec {wfd}<>$D/network_$rid/predict || exit 1
		dd if=/tmp/lt-big.in bs=$SIZE count=1 status=none >&$wfd 2>/tmp/lt-dderr &
		echo $! >/tmp/lt-pid
		wait $!
		echo $? >/tmp/lt-wst
		read -r _ </tmp/lt-go
		e=$(cat <&$wfd 2>&1 >/tmp/lt-rout) && e=ok
		echo "${e##*: }" >/tmp/lt-rst
		exec {wfd}>&-
	) &
	wpid=$!
	for ((w = 0; w < 600; w++)); do [ -s /tmp/lt-pid ] && break; nn_sleep 0.05; done
	ddpid=$(</tmp/lt-pid)
	# Wait until dd is blocked inside its write(1, ...) (the rows running on the workers),
	# or gone.
	seen=no
	for ((w = 0; w < 1200; w++)); do
		read -r sc </proc/$ddpid/syscall 2>/dev/null || break
		[[ $sc == "1 0x1 "* ]] && { seen=yes; break; }
		nn_sleep 0.02
	done
	t0=${EPOCHREALTIME/./}
	st=$(echo "$rid" 2>&1 >$D/remove) && st=ok
	t=$(((${EPOCHREALTIME/./} - t0) / 1000))
	echo go >/tmp/lt-go
	wait $wpid
	wst=$(</tmp/lt-wst) rst=$(</tmp/lt-rst)
	echo "round $r: writer seen inside write: $seen; write status $wst; read: $rst; remove: $st, returned after $t ms"
	[ $seen = yes ] && overlaps=$((overlaps + 1))
	[ "$st" = ok ] || bad+=" round$r:remove:$st"
	# Seen inside the write: it completes (removal waits for it). Not seen: it finished
	# before, or (never seen in 24 s) the remove may have come first: EIO.
	if [ $seen = yes ] || [ "$wst" = 0 ]; then
		[ "$wst" = 0 ] || bad+=" round$r:write:$wst:$(</tmp/lt-dderr)"
	else
		grep -q "Input/output error" /tmp/lt-dderr || bad+=" round$r:write:$wst:$(</tmp/lt-dderr)"
	fi
	# The read came after the remove returned: the file is gone.
	[ "$rst" = "Input/output error" ] || bad+=" round$r:read:$rst"
	[ "$(network_count)" = 0 ] && [ "$(nn_numa_stat bytes)" = 0 ] && [ "$(mem_used)" = 0 ] ||
		bad+=" round$r:memory:$(nn_numa_stat bytes)/$(mem_used)"
done
rm -f /tmp/lt-go /tmp/lt-big.in /tmp/lt-rout
echo "removals overlapping a running batch write: $overlaps of $ROUNDS"
[ -z "$bad" ] && pass remove_during_big_write_completes_or_eio_nothing_left ||
	fail remove_during_big_write_completes_or_eio_nothing_left "$bad"
check unload_after_removals nn_unload

# ---- 4. API callers come and go while debugfs predicts on other networks ----
nn_load || bail reload2 "insmod failed"
P=$NN_DATA/random-r3 C=$NN_DATA/random-r2
pid_net=$(nn_load_model $P.nnm) || bail load_predicted "load failed"
rm -f /tmp/lt-stop /tmp/lt-pred /tmp/lt-churn
# Predictions on a network of its own, each checked bit for bit.
(
	# At least one round, however late the samples start or end.
	while :; do
		if nn_predict $pid_net <$P.in >/tmp/lt-pred.out && cmp -s /tmp/lt-pred.out $P.expected; then
			echo ok >>/tmp/lt-pred
		else
			echo bad >>/tmp/lt-pred
		fi
		[ -e /tmp/lt-stop ] && break
	done
) &
ppid=$!
# Networks loaded, predicted once and removed around the samples.
(
	while :; do
		c=
		c=$(load_own $C.nnm) && out=$(head -n3 $C.in | nn_predict $c) &&
			[ "$out" = "$(head -n3 $C.expected)" ] && echo "$c" >$D/remove &&
			echo ok >>/tmp/lt-churn || { echo bad >>/tmp/lt-churn; [ -n "$c" ] && echo "$c" >$D/remove; }
		[ -e /tmp/lt-stop ] && break
	done
) &
cpid=$!
SAMPLE_LOADS=${NN_LIFETIME_SAMPLE_LOADS:-3}
sample_bad= atomic_bad=
dmesg -c >/dev/null
for ((i = 1; i <= SAMPLE_LOADS; i++)); do
	out=$("$NN_INSMOD" "$SAMPLE_KO") || sample_bad+=" load$i:$out"
	/busybox/rmmod neural_network_sample 2>/dev/null || sample_bad+=" rmmod$i"
	out=$("$NN_INSMOD" "$ATOMIC_KO") || atomic_bad+=" load$i:$out"
	/busybox/rmmod neural_network_atomic 2>/dev/null || atomic_bad+=" rmmod$i"
done
touch /tmp/lt-stop
wait $ppid $cpid
log_read
s_ok=$(grep -c "neural_network_sample: [0-9]* checks, 0 failed" <<<"$NN_LOG")
a_ok=$(grep -c "neural_network_atomic: [0-9]* checks, 0 failed" <<<"$NN_LOG")
p_ok=$(grep -c ok /tmp/lt-pred) p_bad=$(grep -c bad /tmp/lt-pred)
c_ok=$(grep -c ok /tmp/lt-churn) c_bad=$(grep -c bad /tmp/lt-churn)
echo "sample loads $SAMPLE_LOADS (clean $s_ok), atomic loads $SAMPLE_LOADS (clean $a_ok); predictions checked: $p_ok exact, $p_bad wrong; debugfs load/predict/remove cycles: $c_ok ok, $c_bad bad"
[ -z "$sample_bad" ] && [ "$s_ok" = "$SAMPLE_LOADS" ] && pass sample_loads_clean_every_time ||
	fail sample_loads_clean_every_time "$sample_bad; $s_ok clean summaries"
[ -z "$atomic_bad" ] && [ "$a_ok" = "$SAMPLE_LOADS" ] && pass atomic_sample_loads_clean_every_time ||
	fail atomic_sample_loads_clean_every_time "$atomic_bad; $a_ok clean summaries"
[ "$p_ok" -ge 1 ] && [ "$p_bad" = 0 ] && pass predictions_beside_the_samples_exact ||
	fail predictions_beside_the_samples_exact "$p_ok exact, $p_bad wrong"
[ "$c_ok" -ge 1 ] && [ "$c_bad" = 0 ] && pass debugfs_networks_come_and_go_beside_the_samples ||
	fail debugfs_networks_come_and_go_beside_the_samples "$c_ok ok, $c_bad bad"
[ "$(network_count)" = 1 ] && [ -d $D/network_$pid_net ] && pass only_the_predicted_network_left ||
	fail only_the_predicted_network_left "$(ls $D)"
[ "$(nn_kv $D/network_$pid_net/stats predictions)" = $((p_ok * $(wc -l <$P.expected))) ] &&
	pass predicted_networks_counters_add_up ||
	fail predicted_networks_counters_add_up "$(nn_kv $D/network_$pid_net/stats predictions) predictions"
[ "$(<$REFCNT)" = "$ref0" ] && pass samples_gave_their_references_back ||
	fail samples_gave_their_references_back "refcnt $(<$REFCNT)"
rm -f /tmp/lt-stop /tmp/lt-pred /tmp/lt-pred.out /tmp/lt-churn

# ---- 5. an API network's files held open while its owner destroys it and goes ----
out=$("$NN_INSMOD" "$SAMPLE_KO") || bail sample_load "insmod $SAMPLE_KO: $out"
aid=
for d in $D/network_*; do
	[ "$(nn_kv $d/config owner)" = neural_network_sample ] && aid=${d##*_}
done
[ -n "$aid" ] || bail sample_network "no network of neural_network_sample"
exec {pred_fd}<>$D/network_$aid/predict
# A whole line and one without its newline, which runs at close.
printf '0.5 0.25 -0.5 1\n0.5 0.25 -0.5 1' >&$pred_fd
exec {stats_fd}<$D/network_$aid/stats
exec {conf_fd}<$D/network_$aid/config
before=$(nn_numa_stat bytes)
/busybox/rmmod neural_network_sample && ! [ -e $D/network_$aid ] &&
	[ "$(network_count)" = 1 ] && pass owner_unloads_with_its_networks_files_open ||
	fail owner_unloads_with_its_networks_files_open "rmmod or removal failed: $(network_count) networks"
got="$(err_of read_fd $pred_fd) $(err_of read_fd $stats_fd) $(err_of read_fd $conf_fd)"
got+=" $(err_of write_fd $pred_fd '1 1 1 1')"
[ "$got" = "Input/output error Input/output error Input/output error Input/output error" ] &&
	pass gone_owners_network_files_give_eio || fail gone_owners_network_files_give_eio "got: $got"
b=$(nn_numa_stat bytes) p_bytes=$(nn_kv $D/network_$pid_net/config bytes)
[ "${b:-0}" -gt "$p_bytes" ] && [ "$(<$REFCNT)" = $((ref0 + 3)) ] &&
	pass gone_owners_network_held_by_its_files ||
	fail gone_owners_network_held_by_its_files "numa_stats bytes $b (the predicted network's $p_bytes; with the sample $before), refcnt $(<$REFCNT)"
exec {pred_fd}>&- {stats_fd}>&- {conf_fd}>&-
[ "$(<$REFCNT)" = "$ref0" ] && [ "$(nn_numa_stat bytes)" -le "$p_bytes" ] &&
	pass gone_owners_network_freed_when_closed ||
	fail gone_owners_network_freed_when_closed "refcnt $(<$REFCNT), numa_stats bytes $(nn_numa_stat bytes)"
echo "$pid_net" >$D/remove
[ "$(nn_numa_stat bytes)" = 0 ] && [ "$(mem_used)" = 0 ] && pass all_bytes_back_to_zero ||
	fail all_bytes_back_to_zero "numa_stats bytes $(nn_numa_stat bytes), used_bytes $(mem_used)"
check unload_last nn_unload
! nn_loaded && [ ! -e $D ] && pass nothing_left_at_the_end || fail nothing_left_at_the_end

# ---- 6. rmmod racing readers that open and read debugfs files over and over ----
# A reader (bash builtins, no process a read) opens numa_info and network_0/stats in
# turn while rmmod is tried: an open file refuses the unload (EWOULDBLOCK); an open
# during the unload meets ENXIO (the module is going), ENOENT (the file is gone) or, a
# read after the file's removal, EIO. Any other answer fails, as would debugfs's
# warning of an owner that did not clean up (run-vm's log check). After some tries the
# reader stops and rmmod must succeed.
RACE_CYCLES=${NN_LIFETIME_RACE_CYCLES:-6}
race_bad= refusals=0 unloaded_under_reader=0
declare -A seen=()
for ((c = 1; c <= RACE_CYCLES; c++)); do
	nn_load || { race_bad+=" cycle$c:insmod"; break; }
	nn_load_model $SAMPLE_NNM >/dev/null || { race_bad+=" cycle$c:load"; break; }
	rm -f /tmp/lt-stop6 /tmp/lt-start6 /tmp/lt-seen6
	(
		declare -A n=()
		files=($D/numa_info $D/network_0/stats) k=0
		while [ ! -e /tmp/lt-stop6 ]; do
			f=${files[k++ % 2]}
			if { IFS= read -r line <"$f"; } 2>/tmp/lt-e6; then
				case $line in
				nodes_online:* | predictions:*) what=ok ;;
				*) what="bad line '$line'" ;;
				esac
				[ -e /tmp/lt-start6 ] || echo >/tmp/lt-start6
			else
				what=$(</tmp/lt-e6)
				what=${what##*: }
				[ -n "$what" ] || what=empty
			fi
			n[$what]=$((${n[$what]:-0} + 1))
		done
		for w in "${!n[@]}"; do echo "${n[$w]} $w"; done >/tmp/lt-seen6
	) &
	rpid=$!
	for ((w = 0; w < 600; w++)); do [ -e /tmp/lt-start6 ] && break; nn_sleep 0.05; done
	for ((t = 0; t < 5; t++)); do
		st=$(/busybox/rmmod neural_network 2>&1) && { unloaded_under_reader=$((unloaded_under_reader + 1)); break; }
		if [[ $st == *"Resource temporarily unavailable" ]]; then
			refusals=$((refusals + 1))
		else
			race_bad+=" cycle$c:rmmod:$st"
		fi
	done
	touch /tmp/lt-stop6
	wait $rpid
	nn_loaded && { nn_unload || race_bad+=" cycle$c:final-rmmod"; }
	while read -r count what; do
		seen[$what]=$((${seen[$what]:-0} + count))
		case $what in
		ok | "No such file or directory" | "No such device or address" | "Input/output error") ;;
		*) race_bad+=" cycle$c:reader:$what" ;;
		esac
	done </tmp/lt-seen6
done
rm -f /tmp/lt-stop6 /tmp/lt-start6 /tmp/lt-seen6 /tmp/lt-e6
summary=
for w in "${!seen[@]}"; do summary+=" $w: ${seen[$w]};"; done
echo "rmmod under readers: $RACE_CYCLES cycles, $unloaded_under_reader unloaded while the reader ran, $refusals refused (EWOULDBLOCK); the reader's answers:$summary"
[ -z "$race_bad" ] && [ "${seen[ok]:-0}" -ge "$RACE_CYCLES" ] && pass rmmod_racing_readers_refused_or_clean ||
	fail rmmod_racing_readers_refused_or_clean "$race_bad; ${seen[ok]:-0} reads ok"
! nn_loaded && [ ! -e $D ] && pass nothing_left_after_the_races || fail nothing_left_after_the_races
