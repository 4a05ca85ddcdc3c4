# SPDX-License-Identifier: GPL-2.0
# timeout: 900
# Host and kernel compute the same bits: random networks (nnctl random: 1 to 16 layers,
# every activation, saturating requantization) on random inputs (nnctl inputs: exact and
# inexact decimals) give exactly the lines `nnctl eval` printed on the host.
# Every layer runs the SIMD path (neural_simd_threshold=1), so the kernel's AVX2 kernel is
# held to the host's scalar reference; 45-simd compares the two paths in the guest.
# The oracle's edge cases (edge-*: tools/testing/oracle_cases.py) too: every saturation
# and rounding edge, inputs at and beyond the format's ends, 4096-input layers (make
# check: the first NN_EDGE_ROWS rows of each, 32; check-full: every row, 530,000
# outputs, about 4 minutes of TCG).
# One case a network, and three more.
nets_all="$(ls $NN_DATA/random-*.nnm $NN_DATA/edge-*.nnm 2>/dev/null)"
plan $(( $(echo "$nets_all" | wc -l) + 4 ))
n_edge=$(grep -c '/edge-' <<<"$nets_all")
[ "$n_edge" -ge 40 ] && pass oracle_edge_cases_present ||
	fail oracle_edge_cases_present "$n_edge edge-*.nnm in $NN_DATA (tools/testing/guest-data makes 53)"

nn_load neural_numa_policy=1 neural_simd_threshold=1 || bail loads "insmod failed"
D=$NN_DEBUGFS
inputs=0 nets=0
# Builtins where they do the work (a process costs 0.1 to 0.3 s under TCG): two `cat`s a
# network, the blob into load and the rows into predict.
for blob in $nets_all; do
	name=${blob##*/}
	name=${name%.nnm}
	in=${blob%.nnm}.in
	if ! cat "$blob" >$D/load; then
		fail "$name" "load failed"
		continue
	fi
	read -r id <$D/load
	if [[ $name == edge-* ]] && [ -n "${NN_EDGE_ROWS:-}" ]; then
		# make check: the first NN_EDGE_ROWS rows of each edge case (one line a row
		# in both files); check-full: all of them.
		mapfile -n "$NN_EDGE_ROWS" rows <"$in"
		printf '%s' "${rows[@]}" >/tmp/rows.in
		in=/tmp/rows.in
		mapfile -t -n "$NN_EDGE_ROWS" want <"${blob%.nnm}.expected"
	else
		mapfile -t want <"${blob%.nnm}.expected"
	fi
	nn_answers $id "$in"
	for ((i = 0; i < ${#want[@]}; i++)); do
		[ "${NN_GOT[i]:-}" = "${want[i]}" ] || break
	done
	if [ $i = ${#want[@]} ] && [ ${#NN_GOT[@]} = ${#want[@]} ]; then
		inputs=$((inputs + i)) nets=$((nets + 1))
		pass "${name}_${i}_inputs_identical"
	elif [ $i -lt ${#want[@]} ]; then
		fail "$name" "row $((i + 1)) of ${#want[@]} (${#NN_GOT[@]} answers): '${NN_GOT[i]:-}', want '${want[i]}'"
	else
		fail "$name" "${#NN_GOT[@]} answers for ${#want[@]} rows"
	fi
done
rm -f /tmp/rows.in
echo "bit-identical: $inputs inputs over $nets networks"
[ "$inputs" -ge 1000 ] && [ "$nets" -ge 4 ] && pass at_least_1000_inputs_over_4_networks ||
	fail at_least_1000_inputs_over_4_networks "$inputs inputs, $nets networks"
simd=$(sed -n 's/^simd_layers: //p' $D/simd)
[ "${simd:-0}" -ge "$inputs" ] && pass every_prediction_ran_simd_layers ||
	fail every_prediction_ran_simd_layers "simd_layers '$simd' for $inputs inputs"
check unload nn_unload
