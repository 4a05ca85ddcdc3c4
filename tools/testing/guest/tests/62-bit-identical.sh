# SPDX-License-Identifier: GPL-2.0
# Host and kernel compute the same bits: random networks (nnctl random: 1 to 16 layers,
# every activation, saturating requantization) on random inputs (nnctl inputs: exact and
# inexact decimals) give exactly the lines `nnctl eval` printed on the host.
# Every layer runs the SIMD path (neural_simd_threshold=1), so the kernel's AVX2 kernel is
# held to the host's scalar reference; 45-simd compares the two paths in the guest.
# The oracle's edge cases (edge-*: tools/testing/oracle_cases.py) too: every saturation
# and rounding edge, inputs at and beyond the format's ends, 4096-input layers.
# One case a network, and three more.
nets_all="$(ls $NN_DATA/random-*.nnm $NN_DATA/edge-*.nnm 2>/dev/null)"
plan $(( $(echo "$nets_all" | wc -l) + 3 ))

nn_load neural_numa_policy=1 neural_simd_threshold=1 || bail loads "insmod failed"
inputs=0 nets=0
for blob in $nets_all; do
	name=$(basename "$blob" .nnm)
	id=$(nn_load_model "$blob") || { fail "$name" "load failed"; continue; }
	nn_predict "$id" <"${blob%.nnm}.in" >/tmp/$name.out
	if cmp -s /tmp/$name.out "${blob%.nnm}.expected"; then
		n=$(wc -l <"${blob%.nnm}.expected")
		inputs=$((inputs + n)) nets=$((nets + 1))
		pass "${name}_${n}_inputs_identical"
	else
		fail "$name" "$(diff /tmp/$name.out "${blob%.nnm}.expected" | head -4 | tr '\n' '|')"
	fi
	rm -f /tmp/$name.out
done
echo "bit-identical: $inputs inputs over $nets networks"
[ "$inputs" -ge 1000 ] && [ "$nets" -ge 4 ] && pass at_least_1000_inputs_over_4_networks ||
	fail at_least_1000_inputs_over_4_networks "$inputs inputs, $nets networks"
simd=$(sed -n 's/^simd_layers: //p' $NN_DEBUGFS/simd)
[ "${simd:-0}" -ge "$inputs" ] && pass every_prediction_ran_simd_layers ||
	fail every_prediction_ran_simd_layers "simd_layers '$simd' for $inputs inputs"
check unload nn_unload
