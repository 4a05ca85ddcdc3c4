# SPDX-License-Identifier: GPL-2.0
# The SIMD gate in the running module: the self-check at load, the debugfs `simd` file,
# and every later prediction following neural_enable_simd and neural_simd_threshold as
# they are written at run time, with the same output bits by either path.
# timeout: 600
plan 10

log_mark_as load_logs_the_selfcheck
nn_load || bail loads "insmod failed"
D=$NN_DEBUGFS
S=$D/simd
cat $S | sed 's/^/simd: /'
field() { sed -n "s/^$1: //p" $S; }

# TCG's `-cpu max` has AVX2: the self-check must have run and passed.
[ "$(field features)" = avx2 ] && [ "$(field selfcheck)" = passed ] &&
	pass simd_file_shows_avx2_and_a_passed_selfcheck ||
	fail simd_file_shows_avx2_and_a_passed_selfcheck "$(head -3 $S | tr '\n' '|')"
defer_case load_logs_the_selfcheck "simd: AVX2 self-check passed" ""
rows=$(sed -n '/^  row_len/,$p' $S | tail -n +2 | awk 'NF == 3 && $2 > 0 && $3 > 0' | wc -l)
[ "$rows" = 9 ] && pass selfcheck_timed_nine_row_lengths || fail selfcheck_timed_nine_row_lengths "$rows rows"
even=$(field break_even)
want="never (auto)"
[ "$even" != none ] && want="$even (auto)"
[ "$(field threshold)" = "$want" ] && pass auto_threshold_is_the_break_even ||
	fail auto_threshold_is_the_break_even "threshold '$(field threshold)', break_even '$even'"

# A network of rows of 64 and 128 values, and 8 inputs.
echo "64 128 10 relu linear seed=7" >$D/create && id=$(cat $D/create)
for i in {1..8}; do
	line=
	for j in {1..64}; do
		v=$(( (i * 37 + j * 11) % 199 - 99 ))
		if [ $v -lt 0 ]; then v=-0.$(( -v / 10 ))$(( -v % 10 )); else v=0.$((v / 10))$((v % 10)); fi
		line+="$v "
	done
	echo "${line% }"
done >/tmp/simd.in
counts() { echo "$(field simd_layers) $(field scalar_layers)"; }
# predict_with PARAMS...: sets the parameters, predicts, prints the change of the counts.
predict_with() {
	local p before after
	for p in "$@"; do echo "${p#*=}" >$NN_PARAMS/${p%%=*}; done
	read -r s0 c0 <<<"$(counts)"
	nn_predict $id </tmp/simd.in >/tmp/simd.out.$1
	read -r s1 c1 <<<"$(counts)"
	echo "$((s1 - s0)) $((c1 - c0))"
}
d=$(predict_with neural_simd_threshold=1 neural_enable_simd=1)
[ "$d" = "16 0" ] && pass threshold_1_runs_every_layer_simd || fail threshold_1_runs_every_layer_simd "simd/scalar runs: $d"
d=$(predict_with neural_enable_simd=0)
[ "$d" = "0 16" ] && pass switched_off_at_run_time_every_layer_runs_scalar ||
	fail switched_off_at_run_time_every_layer_runs_scalar "simd/scalar runs: $d"
cmp -s /tmp/simd.out.neural_simd_threshold=1 /tmp/simd.out.neural_enable_simd=0 &&
	[ "$(wc -l </tmp/simd.out.neural_enable_simd=0)" = 8 ] &&
	pass simd_and_scalar_give_the_same_lines ||
	fail simd_and_scalar_give_the_same_lines "$(diff /tmp/simd.out.neural_simd_threshold=1 /tmp/simd.out.neural_enable_simd=0 | head -3 | tr '\n' '|')"
# Rows of 64 below the threshold, rows of 128 at it: one layer each way per input.
d=$(predict_with neural_enable_simd=1 neural_simd_threshold=128)
[ "$d" = "8 8" ] && cmp -s /tmp/simd.out.neural_enable_simd=1 /tmp/simd.out.neural_enable_simd=0 &&
	pass the_threshold_splits_layers_by_row_length ||
	fail the_threshold_splits_layers_by_row_length "simd/scalar runs: $d"
[ "$(field fpu_unusable)" = 0 ] && pass no_fpu_fallback_in_process_context ||
	fail no_fpu_fallback_in_process_context "fpu_unusable $(field fpu_unusable)"

echo 0 >$NN_PARAMS/neural_simd_threshold
judge_deferred
check unload nn_unload
