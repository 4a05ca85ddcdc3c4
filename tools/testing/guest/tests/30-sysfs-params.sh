# SPDX-License-Identifier: GPL-2.0
# The parameters under /sys/module/neural_network/parameters/: present, with the right
# modes and defaults; the run-time tunables (SIMD, cache timeout, memory limits, strict
# input) are writable and checked.
plan 36

nn_load || bail loads "insmod failed"

mode() { stat -c %a "$NN_PARAMS/$1"; }
for p in neural_numa_policy neural_default_numa_node; do
	[ "$(mode $p)" = 444 ] && pass "${p}_read_only" || fail "${p}_read_only" "mode $(mode $p)"
done
for p in neural_enable_simd neural_simd_threshold neural_cache_timeout_ms neural_max_network_mb \
	neural_max_total_mb neural_strict_input neural_max_networks; do
	[ "$(mode $p)" = 644 ] && pass "${p}_writable" || fail "${p}_writable" "mode $(mode $p)"
done

defaults="$(cat $NN_PARAMS/neural_numa_policy) $(cat $NN_PARAMS/neural_default_numa_node)"
defaults+=" $(cat $NN_PARAMS/neural_enable_simd) $(cat $NN_PARAMS/neural_simd_threshold)"
defaults+=" $(cat $NN_PARAMS/neural_cache_timeout_ms)"
defaults+=" $(cat $NN_PARAMS/neural_max_network_mb) $(cat $NN_PARAMS/neural_max_total_mb)"
defaults+=" $(cat $NN_PARAMS/neural_strict_input) $(cat $NN_PARAMS/neural_max_networks)"
[ "$defaults" = "0 -1 Y 0 1000 0 0 N 1024" ] && pass defaults || fail defaults "got '$defaults'"

# Writes that must work.
echo 0 >$NN_PARAMS/neural_enable_simd && [ "$(cat $NN_PARAMS/neural_enable_simd)" = N ] &&
	echo 1 >$NN_PARAMS/neural_enable_simd && [ "$(cat $NN_PARAMS/neural_enable_simd)" = Y ] &&
	pass simd_toggles || fail simd_toggles
echo 4096 >$NN_PARAMS/neural_simd_threshold && grep -qx "threshold: 4096 (set)" $NN_DEBUGFS/simd &&
	echo 0 >$NN_PARAMS/neural_simd_threshold && grep -q "(auto)$" $NN_DEBUGFS/simd &&
	pass simd_threshold_writes || fail simd_threshold_writes "$(grep threshold $NN_DEBUGFS/simd)"
echo 1 >$NN_PARAMS/neural_strict_input && [ "$(cat $NN_PARAMS/neural_strict_input)" = Y ] &&
	echo 0 >$NN_PARAMS/neural_strict_input && [ "$(cat $NN_PARAMS/neural_strict_input)" = N ] &&
	pass strict_input_toggles || fail strict_input_toggles
echo 250 >$NN_PARAMS/neural_cache_timeout_ms &&
	[ "$(cat $NN_PARAMS/neural_cache_timeout_ms)" = 250 ] &&
	pass timeout_writes || fail timeout_writes
echo 64 >$NN_PARAMS/neural_max_network_mb && echo 1048576 >$NN_PARAMS/neural_max_total_mb &&
	[ "$(cat $NN_PARAMS/neural_max_network_mb) $(cat $NN_PARAMS/neural_max_total_mb)" = "64 1048576" ] &&
	grep -qx "max_network_bytes: $((64 << 20))" $NN_DEBUGFS/memory &&
	grep -qx "max_total_bytes: $((1048576 << 20))" $NN_DEBUGFS/memory &&
	pass memory_limits_write || fail memory_limits_write "$(cat $NN_DEBUGFS/memory)"

# Writes that must be refused with EINVAL and change nothing.
refuse_write() {
	local name=$1 param=$2 value=$3 before err
	before=$(cat "$NN_PARAMS/$param")
	err=$( (printf '%s' "$value" >"$NN_PARAMS/$param") 2>&1 )
	if [ $? = 0 ]; then
		fail "$name" "writing '$value' succeeded"
	elif ! grep -q "Invalid argument" <<<"$err"; then
		fail "$name" "expected EINVAL, got: $err"
	elif [ "$(cat "$NN_PARAMS/$param")" != "$before" ]; then
		fail "$name" "value changed to $(cat "$NN_PARAMS/$param")"
	else
		pass "$name"
	fi
}
refuse_write timeout_write_too_big neural_cache_timeout_ms 3600001
refuse_write timeout_write_garbage neural_cache_timeout_ms soon
refuse_write simd_write_garbage neural_enable_simd perhaps
refuse_write simd_threshold_too_big neural_simd_threshold 4097
refuse_write simd_threshold_garbage neural_simd_threshold wide
refuse_write network_limit_too_big neural_max_network_mb 1048577
refuse_write network_limit_negative neural_max_network_mb -1
refuse_write total_limit_garbage neural_max_total_mb lots
refuse_write strict_input_write_garbage neural_strict_input sometimes
refuse_write networks_limit_zero neural_max_networks 0
refuse_write networks_limit_too_big neural_max_networks 65537

# The placement parameters are fixed once loaded.
before=$(cat $NN_PARAMS/neural_numa_policy)
if (echo 1 >$NN_PARAMS/neural_numa_policy) 2>/dev/null; then
	fail policy_not_writable "the write succeeded"
elif [ "$(cat $NN_PARAMS/neural_numa_policy)" != "$before" ]; then
	fail policy_not_writable "the value changed"
else
	pass policy_not_writable
fi

# modinfo describes every parameter.
for p in neural_numa_policy neural_default_numa_node neural_enable_simd neural_simd_threshold \
	neural_cache_timeout_ms neural_max_network_mb neural_max_total_mb neural_strict_input \
	neural_max_networks; do
	modinfo -F parm "$NN_KO" | grep -q "^$p:" && pass "modinfo_describes_$p" ||
		fail "modinfo_describes_$p"
done
nn_unload
