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

NN_KO=${NN_KO:-/nn/neural_network.ko}
NN_DEBUGFS=/sys/kernel/debug/neural_network
NN_PARAMS=/sys/module/neural_network/parameters
NN_INSMOD=/nn/build/guest/nn-insmod

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

nn_loaded() { grep -q '^neural_network ' /proc/modules; }

# nn_load [PARAM=VALUE...]: loads the module, prints nothing, fails with the errno name.
nn_load() {
	local out
	out=$("$NN_INSMOD" "$NN_KO" "$@") || { echo "$out" >&2; return 1; }
}

nn_unload() { /busybox/rmmod neural_network; }

# nn_unload_all: leaves no neural_network loaded, whatever a failed case left behind.
nn_unload_all() { nn_loaded && /busybox/rmmod neural_network; ! nn_loaded; }

# Marks the kernel log so that `log_since_mark` shows only what came after.
log_mark() { NN_LOG_MARK="nn-test-mark-$RANDOM-$RANDOM"; echo "$NN_LOG_MARK" >/dev/kmsg; }
log_since_mark() { dmesg | sed -n "/$NN_LOG_MARK/,\$p" | tail -n +2; }

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

# network_count: how many network_<id> directories exist.
network_count() { ls -d $NN_DEBUGFS/network_* 2>/dev/null | wc -l; }
