# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest test scripts (sourced by run-tests; bash).
#
# A script first declares how many cases it will report with `plan N`, then reports each
# case with `pass NAME` or `fail NAME REASON`, or lets `check NAME COMMAND...` do it from
# the command's status. Names are unique in a script; run-tests prefixes them with the
# script's name. A script that reports fewer or more cases than its plan, exits with a
# status other than 0, or runs past its time limit (a `# timeout: S` line in its header,
# default 300 s) fails in run-tests. `bail NAME REASON` reports a failed case and ends
# the script (its missing cases then fail it too).

# The module: run-vm's archive puts it in the guest's RAM (/lib/modules/.../extra/), and
# loading it from there is seconds faster than over 9p from /nn under TCG.
if [ -z "${NN_KO:-}" ]; then
	NN_KO=/lib/modules/$(uname -r)/extra/neural_network.ko
	[ -f "$NN_KO" ] || NN_KO=/nn/neural_network.ko
	export NN_KO
fi
NN_DEBUGFS=/sys/kernel/debug/neural_network
NN_PARAMS=/sys/module/neural_network/parameters
# The static helpers of build/guest, copied once into the guest's RAM: started from /nn
# (9p, uncached) each costs over a second under TCG, from tmpfs a fifth of that.
NN_HELPERS=/run/nn-helpers
if [ ! -e $NN_HELPERS/.copied ] && [ -x /nn/build/guest/nn-stress-predict ]; then
	mkdir -p $NN_HELPERS && cp /nn/build/guest/nn-[a-z]* $NN_HELPERS/ && : >$NN_HELPERS/.copied
fi
[ -x $NN_HELPERS/nn-fuzz ] || NN_HELPERS=/nn/build/guest
NN_INSMOD=$NN_HELPERS/nn-insmod

plan() { echo "@@plan $1"; }
pass() { echo "@@case ok $1"; }
fail() { echo "@@case fail $1 # ${2:-failed}"; }
bail() { fail "$@"; exit 1; }

# check NAME COMMAND...: passes if COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "command failed: $*"; fi
}

# Whether the module is loaded (bash builtins only: a fork costs about a second under TCG
# with the debug kernel, and run-tests asks this around every script).
nn_loaded() {
	local name _
	while read -r name _; do
		[ "$name" = neural_network ] && return 0
	done </proc/modules
	return 1
}

# nn_load [PARAM=VALUE...]: loads the module, prints nothing, fails with the errno name.
nn_load() {
	local out
	out=$("$NN_INSMOD" "$NN_KO" "$@") || { echo "$out" >&2; return 1; }
}

nn_unload() { /busybox/rmmod neural_network; }

# nn_unload_all: leaves no neural_network (nor its sample) loaded, whatever a failed case
# left behind.
nn_unload_all() {
	local name _
	while read -r name _; do
		[ "$name" = neural_network_sample ] && /busybox/rmmod neural_network_sample
	done </proc/modules
	nn_loaded && /busybox/rmmod neural_network
	! nn_loaded
}

# Marks the kernel log so that `log_since_mark` shows only what came after.
log_mark() { NN_LOG_MARK="nn-test-mark-$RANDOM-$RANDOM"; echo "$NN_LOG_MARK" >/dev/kmsg; }
log_since_mark() { dmesg | sed -n "/$NN_LOG_MARK/,\$p" | tail -n +2; }

# The same for many cases at a cost of one read: a dmesg of the debug kernel's log costs
# seconds under TCG. `log_mark_as NAME` before each case (NAME without spaces), then
# `log_read` once, then `log_part NAME` prints what the kernel logged after NAME's mark
# and before the next mark.
log_mark_as() { echo "nn-test-mark $1" >/dev/kmsg; }
log_read() { NN_LOG=$(dmesg); }
log_part() {
	awk -v n="$1" '$(NF - 1) == "nn-test-mark" { if (on) exit; on = ($NF == n); next } on' \
		<<<"$NN_LOG"
}

# sample_checks MODULE PREFIX CHECK...: the verdicts of a sample module that logs
# "MODULE: ok CHECK" or "MODULE: FAIL CHECK: WHY" per check and then "MODULE: N checks,
# F failed" (samples/): a case PREFIX_CHECK for each CHECK, and one that it ran exactly
# these checks and no other; from the log `log_read` read last. Cases: $# - 2 + 1.
sample_checks() {
	local module=$1 prefix=$2 c failures summary
	local -A ok=()
	shift 2
	while read -r c; do
		[ -n "$c" ] && ok[$c]=1
	done < <(sed -n "s/^\[[ 0-9.]*\] $module: ok //p" <<<"$NN_LOG")
	failures=$(grep "$module: FAIL" <<<"$NN_LOG" | head -n3 | tr '\n' '|')
	for c; do
		[ -n "${ok[$c]:-}" ] && pass "${prefix}_$c" ||
			fail "${prefix}_$c" "not logged as ok; ${failures:-no FAIL line}"
	done
	summary=$(sed -n "s/^\[[ 0-9.]*\] $module: \([0-9]* checks, [0-9]* failed\)\$/\1/p" <<<"$NN_LOG")
	[ "$summary" = "$# checks, 0 failed" ] && pass ${prefix}_ran_every_check_and_no_other ||
		fail ${prefix}_ran_every_check_and_no_other "'$summary', expected $# checks"
}

# defer_case NAME TEXT VERDICT: a case, marked with `log_mark_as NAME` before it ran, whose
# other checks gave VERDICT (empty if they passed) and whose part of the log must contain
# the fixed string TEXT. `judge_deferred` reads the log once and reports every deferred
# case, in order.
NN_DEFERRED=()
defer_case() { NN_DEFERRED+=("$1"$'\x1f'"$2"$'\x1f'"$3"); }
judge_deferred() {
	local entry name text verdict
	local -A found=()
	log_read
	# One awk over the whole log for every case (no process a case): the entries come
	# first on its input, then the log; it prints the names whose part holds their text.
	while read -r name; do
		found[$name]=1
	done < <(
		{
			for entry in "${NN_DEFERRED[@]}"; do printf '%s\n' "$entry"; done
			echo "@@log"
			printf '%s\n' "$NN_LOG"
		} | awk -F '\x1f' '
			!inlog && $0 == "@@log" { inlog = 1; FS = " "; next }
			!inlog { text[$1] = $2; next }
			$(NF - 1) == "nn-test-mark" { cur = $NF; next }
			cur != "" && !(cur in seen) && index($0, text[cur]) { seen[cur] = 1; print cur }'
	)
	for entry in "${NN_DEFERRED[@]}"; do
		IFS=$'\x1f' read -r name text verdict <<<"$entry"
		if [ -n "$verdict" ]; then
			fail "$name" "$verdict"
		elif [ -z "${found[$name]:-}" ]; then
			fail "$name" "the log lacks '$text': $(log_part "$name" | tail -n2 | tr '\n' '|')"
		else
			pass "$name"
		fi
	done
	NN_DEFERRED=()
}

# nn_reject NAME REASON PARAM=VALUE...: insmod must fail with EINVAL and leave nothing;
# REASON is a fixed string the log must contain (a deferred case: `judge_deferred`
# checks it, in one log read).
nn_reject() {
	local name=$1 reason=$2 out verdict=
	shift 2
	log_mark_as "$name"
	out=$("$NN_INSMOD" "$NN_KO" "$@")
	if [ "$out" != "errno=EINVAL" ]; then
		verdict="insmod $* gave '$out', expected errno=EINVAL"
		nn_unload_all 2>/dev/null
	elif nn_loaded || [ -e $NN_DEBUGFS ]; then
		verdict="something was left behind"
	fi
	defer_case "$name" "neural_network: $reason" "$verdict"
}

online_nodes() {
	# Expands /sys/devices/system/node/online (a cpulist) into one id a line.
	expand_list "$(cat /sys/devices/system/node/online)"
}

expand_list() {
	local part lo hi
	local IFS=,
	for part in $1; do
		[ -n "$part" ] || continue
		lo=${part%-*}
		hi=${part#*-}
		seq "$lo" "$hi"
	done
}

NN_DATA=/nn/build/guest/data

# write_status FILE: copies stdin to FILE in one open; prints "ok" or the error text
# (e.g. "Invalid argument").
write_status() {
	local err
	if err=$(cat 2>&1 >"$1"); then
		echo ok
	else
		echo "${err##*: }"
	fi
}

# nn_load_model BLOB: loads a model through debugfs, prints its id.
nn_load_model() {
	cat "$1" >$NN_DEBUGFS/load && cat $NN_DEBUGFS/load
}

# nn_predict ID < INPUTS: one open file writes the inputs and reads back its own results.
nn_predict() {
	local f=$NN_DEBUGFS/network_$1/predict
	exec {fd}<>"$f" || return 1
	cat >&$fd || { exec {fd}>&-; return 1; }
	cat <&$fd
	exec {fd}>&-
}

# nn_answers ID FILE: as nn_predict, FILE's rows, the answers in the array NN_GOT (one
# line each; empty when the file does not open). Builtins and one `cat`: a process costs
# 0.1 to 0.3 s under TCG.
nn_answers() {
	local fd
	NN_GOT=()
	exec {fd}<>"$NN_DEBUGFS/network_$1/predict" || return 1
	cat "$2" >&$fd && mapfile -t NN_GOT <&$fd
	exec {fd}>&-
}

# network_count: how many network_<id> directories exist.
network_count() { ls -d $NN_DEBUGFS/network_* 2>/dev/null | wc -l; }

# nn_slab_counts: the active objects of the module's slab caches, "name:count ...".
nn_slab_counts() {
	local name active rest out= f
	# Freed objects wait in per-CPU caches, where slabinfo counts them as active; a
	# shrink gives them back to their slabs first.
	for f in /sys/kernel/slab/neural_*/shrink; do echo 1 >"$f"; done
	while read -r name active rest; do
		[[ $name == neural_* ]] && out+="$name:$active "
	done </proc/slabinfo
	echo "$out"
}

# nn_free_kib NODE: the node's MemFree (bash builtins only).
nn_free_kib() {
	local a b c d kib rest
	while read -r a b c d kib rest; do
		[ "$c" = MemFree: ] && { echo "$d"; return; }
	done </sys/devices/system/node/node$1/meminfo
}

# nn_nodes_with_room KIB: the nodes with memory that have at least KIB free, one per line:
# where replicas and migrations go when a node that boot filled (the 16-node machine's
# node 0) would refuse them.
nn_nodes_with_room() {
	local n
	for n in $(expand_list "$(</sys/devices/system/node/has_memory)"); do
		[ "$(nn_free_kib "$n")" -ge "$1" ] && echo "$n"
	done
	return 0
}

# nn_drain_quarantine: empties KASAN's quarantine of freed slab objects, which holds up to
# a 32nd of the machine's memory (24 MiB with 2 nodes of 384 MiB) away from MemFree until
# it is evicted: shrinking a cache (its sysfs `shrink`, kmem_cache_shrink) takes its
# objects out of the quarantine (mm/kasan/generic.c, kasan_cache_shrink). A no-op without
# KASAN or SLUB's sysfs.
nn_drain_quarantine() {
	local f
	for f in /sys/kernel/slab/*/shrink; do
		[ -w "$f" ] && echo 1 >"$f" 2>/dev/null
	done
	return 0
}

# nn_fault_inject_on: failslab and fail_page_alloc, armed by /proc/thread-self/fail-nth
# (nn-failnth), fail sleeping and order-0 allocations too, quietly (NN_FAULT_VERBOSE=2:
# a stack in the kernel log for every failure injected, from which the host's
# tools/testing/fault-sites maps the allocation sites reached).
# nn_fault_inject_off: sleeping allocations are left alone again.
nn_fault_inject_on() {
	local f F=/sys/kernel/debug
	for f in failslab fail_page_alloc; do
		echo N >$F/$f/ignore-gfp-wait
		echo "${NN_FAULT_VERBOSE:-0}" >$F/$f/verbose
		# Every stack, not 10 in 5 s (the default rate limit of the verbose stacks).
		echo 0 >$F/$f/verbose_ratelimit_interval_ms
	done
	echo N >$F/fail_page_alloc/ignore-gfp-highmem
	echo 0 >$F/fail_page_alloc/min-order
}
nn_fault_inject_off() {
	local f
	for f in failslab fail_page_alloc; do echo Y >/sys/kernel/debug/$f/ignore-gfp-wait; done
}

# nn_module_text: "START END" (hex) of the loaded module's code: from its lowest text
# symbol in /proc/kallsyms to 8 KiB past its highest (the last function's end; the next
# module's code starts pages further). /sys/module/neural_network/sections/.text plus
# coresize gives the same start and a longer range (it counts the data too).
nn_module_text() {
	local -a t
	mapfile -t t < <(grep ' [tT] .*\[neural_network\]$' /proc/kallsyms | sort)
	[ ${#t[@]} -gt 0 ] || return 1
	printf '0x%s %#x\n' "${t[0]%% *}" $((0x${t[-1]%% *} + 0x2000))
}

# nn_fault_module_only: failslab and fail_page_alloc count and fail only calls with the
# module's code on the stack (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER), for fail-nth
# and for probability alike: the VFS's allocations for open(2) and write(2) are left
# alone. Never kmemleak's own metadata (its __alloc_object on the stack: the reject
# range), which every slab allocation makes and which falls back to kmemleak's pool:
# failing it tests kmemleak, not the module, and an empty pool disables kmemleak.
# nn_fault_any_stack: every call again (kmemleak's metadata still left alone).
nn_fault_module_only() {
	local f lo hi
	read -r lo hi <<<"$(nn_module_text)"
	nn_fault_stack_range "$lo" "$hi"
}
nn_fault_any_stack() { nn_fault_stack_range 0 0xffffffffffffffff; }
# nn_fault_stack_range START END: calls with an address in [START, END) on the stack.
nn_fault_stack_range() {
	local f ka
	mapfile -t ka < <(grep -A1 ' __alloc_object$' /proc/kallsyms)
	for f in failslab fail_page_alloc; do
		echo "$1" >/sys/kernel/debug/$f/require-start
		echo "$2" >/sys/kernel/debug/$f/require-end
		echo "0x${ka[0]%% *}" >/sys/kernel/debug/$f/reject-start
		echo "0x${ka[1]%% *}" >/sys/kernel/debug/$f/reject-end
	done
}

# nn_sleep SECONDS: sleeps without a process (a fork costs about a second here): a read
# that times out on a FIFO that nobody writes (made once per shell).
nn_sleep() {
	if [ -z "${NN_SLEEP_FD:-}" ]; then
		[ -p /tmp/nn-sleep.$$ ] || mkfifo /tmp/nn-sleep.$$ || return 1
		exec {NN_SLEEP_FD}<>/tmp/nn-sleep.$$
	fi
	read -rt "$1" -u "$NN_SLEEP_FD"
	return 0
}

# nn_kv FILE KEY: the value of "KEY: value" in FILE (bash builtins only: forks are slow).
nn_kv() {
	local k line
	while IFS= read -r line; do
		k=${line%%: *}
		[ "$k" = "$2" ] && { echo "${line#*: }"; return 0; }
	done <"$1"
	return 1
}

# nn_nnctl: the path of nnctl, copied into the guest's RAM once (not read over 9p at
# every start, as with the static helpers).
nn_nnctl() {
	local ram=/run/nn-nnctl
	[ -x $ram ] || cp /nn/target/release/nnctl $ram 2>/dev/null || ram=/nn/target/release/nnctl
	echo $ram
}

# nn_numa_stat NAME: a top-level counter of numa_stats (bash builtins only).
nn_numa_stat() {
	local l ns
	mapfile -t ns <$NN_DEBUGFS/numa_stats
	for l in "${ns[@]}"; do
		[[ $l == "$1: "* ]] && { echo "${l#*: }"; return; }
	done
}

# nn_remove_all_check SLAB0: removes every network, then reports two cases: numa_stats
# holds no byte and no page (numa_stats_empty_after_remove), and the slab caches' active
# objects are SLAB0, an earlier nn_slab_counts (slab_objects_return).
nn_remove_all_check() {
	local d slab1
	for d in $NN_DEBUGFS/network_*; do [ -d "$d" ] && echo "${d##*_}" >$NN_DEBUGFS/remove; done
	mapfile -t NS <$NN_DEBUGFS/numa_stats
	[[ " ${NS[*]} " == *" bytes: 0 pages: 0 "* ]] && pass numa_stats_empty_after_remove ||
		fail numa_stats_empty_after_remove "${NS[*]}"
	slab1=$(nn_slab_counts)
	[ "$slab1" = "$1" ] && pass slab_objects_return || fail slab_objects_return "$1 -> $slab1"
}

# nn_iopredict_attach FILE ID FRAC [ARGS...]: starts the I/O predictor's loader
# (tools/iopredict, nn-iopredict ARGS /dev/iop ID FRAC) writing its records to FILE and
# its report to FILE.err, and waits for its header line (attaching takes seconds under
# emulation), at most 30 s; its pid in NN_IOP_PID. Fails if it exited or never attached.
nn_iopredict_attach() {
	local out=$1 id=$2 frac=$3 i
	shift 3
	$NN_HELPERS/nn-iopredict "$@" /dev/iop "$id" "$frac" >"$out" 2>"$out.err" &
	NN_IOP_PID=$!
	for ((i = 0; i < 300; i++)); do
		[ -s "$out" ] && return 0
		kill -0 $NN_IOP_PID 2>/dev/null || return 1
		nn_sleep 0.1
	done
	return 1
}

# nn_nullb NAME ATTR=VALUE...: makes the null_blk device /dev/NAME through configfs
# (mounted here if it is not) with the given attributes, in order, then powers it on and
# sets its queue for the I/O predictor: one bio per request (nomerges 2: the completion
# hook finds the arrival by the request's bio) and no scheduler. Prints what was
# refused and fails if anything was, or if /dev/NAME did not appear.
nn_nullb() {
	local name=$1 kv dev=/sys/kernel/config/nullb/$1
	shift
	grep -q " /sys/kernel/config " /proc/mounts || mount -t configfs none /sys/kernel/config
	mkdir $dev || { echo "null_blk $name: no configfs directory"; return 1; }
	for kv in "$@" power=1; do
		echo "${kv#*=}" >$dev/"${kv%%=*}" || { echo "null_blk $name: $kv refused"; return 1; }
	done
	[ -b /dev/$name ] || { echo "null_blk $name: no /dev/$name"; return 1; }
	echo 2 >/sys/block/$name/queue/nomerges && echo none >/sys/block/$name/queue/scheduler ||
		{ echo "null_blk $name: queue settings refused"; return 1; }
}

# nn_nullb_remove NAME...: powers off and removes each null_blk device nn_nullb made.
nn_nullb_remove() {
	local name
	for name; do
		echo 0 >/sys/kernel/config/nullb/$name/power && rmdir /sys/kernel/config/nullb/$name ||
			{ echo "null_blk $name: did not go away"; return 1; }
	done
}

# nn_kmemleak_listing: what kmemleak still lists after the rule of run-vm's end scans
# (testing.rst, "run-vm"): two scans, then while the listing is not empty up to three
# more 6 s apart (a scan can list objects whose pointers it did not see and that are
# freed soon after; a leaked object is never freed). Prints the last listing (empty: no
# leak); fails if kmemleak refused a scan.
nn_kmemleak_listing() {
	local kl=/sys/kernel/debug/kmemleak listing again
	echo scan >$kl && echo scan >$kl && listing=$(<$kl) || return 1
	for again in 1 2 3; do
		[ -z "$listing" ] && break
		nn_sleep 6
		echo scan >$kl && listing=$(<$kl) || return 1
	done
	[ -z "$listing" ] || echo "$listing"
}
