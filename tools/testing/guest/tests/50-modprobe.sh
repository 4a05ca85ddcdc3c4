# SPDX-License-Identifier: GPL-2.0
# The administrator's path: modprobe with parameters, modprobe -r.
plan 3

if modprobe neural_network neural_numa_policy=1 neural_cache_timeout_ms=5000; then
	p="$(cat $NN_PARAMS/neural_numa_policy) $(cat $NN_PARAMS/neural_cache_timeout_ms)"
	[ "$p" = "1 5000" ] && pass modprobe_with_params || fail modprobe_with_params "got '$p'"
	modprobe -r neural_network && ! nn_loaded && pass modprobe_remove || fail modprobe_remove
else
	fail modprobe_with_params "modprobe failed"
fi
if modprobe neural_network neural_numa_policy=7 2>/dev/null; then
	fail modprobe_rejects_bad_policy "it loaded"
	modprobe -r neural_network
else
	! nn_loaded && pass modprobe_rejects_bad_policy || fail modprobe_rejects_bad_policy
fi
