# SPDX-License-Identifier: GPL-2.0
# Training in the kernel: `create` makes a [2, 4, 1] tanh/sigmoid network from a seed,
# `train` runs SGD on XOR until every sample is classified (output > 0.5 for 1), the loss
# falls, and predictions then agree; bad topologies and bad samples change nothing.
plan 13

nn_load || bail loads "insmod failed"
D=$NN_DEBUGFS
echo "2 4 1 tanh sigmoid seed=1" >$D/create && id=$(cat $D/create)
[ -d $D/network_$id ] && [ -e $D/network_$id/train ] && pass create_xor_network ||
	bail create_xor_network "id '$id'"
grep -q "origin: created seed 1" $D/network_$id/config && pass config_shows_seed ||
	fail config_shows_seed
grep -q "train_bytes" $D/network_$id/config && pass config_shows_train_memory ||
	fail config_shows_train_memory

xor() {
	local epochs=$1
	# One write() carries the whole set (the shell's printf may write line by line).
	printf 'epochs %s\nrate 1\n0 0 : 0\n0 1 : 1\n1 0 : 1\n1 1 : 0\n' "$epochs" >/tmp/xor.txt
	cat /tmp/xor.txt >$D/network_$id/train && cat $D/network_$id/train
}
classified() {
	printf '0 0\n0 1\n1 0\n1 1\n' | nn_predict "$id" |
		awk 'BEGIN { want[1] = 0; want[2] = 1; want[3] = 1; want[4] = 0 }
		     { got = ($1 > 0.5) ? 1 : 0; if (got != want[NR]) bad++ }
		     END { exit (NR == 4 && !bad) ? 0 : 1 }'
}
first=$(xor 1)
echo "first epoch: $first"
steps=1
while ! classified && [ $steps -lt 4000 ]; do
	r=$(xor 100) || break
	steps=$((steps + 100))
done
echo "after $steps epochs: $r"
grep -q "^samples 4 " <<<"$r" && pass trains_on_all_4_samples_at_once || fail trains_on_all_4_samples_at_once "$r"
classified && pass "xor_classified_after_${steps}_epochs" || fail xor_classified "$r"
l0=$(sed -n 's/.*loss_first \([0-9.]*\).*/\1/p' <<<"$first")
l1=$(sed -n 's/.*loss_last \([0-9.]*\).*/\1/p' <<<"$r")
awk -v a="$l0" -v b="$l1" 'BEGIN { exit !(a > 0 && b < a / 10) }' &&
	pass "loss_falls_${l0}_to_${l1}" || fail loss_falls "$l0 -> $l1"
steps_stat=$(sed -n 's/^train_steps: //p' $D/network_$id/stats)
[ "$steps_stat" = $((steps * 4)) ] && pass stats_count_train_steps ||
	fail stats_count_train_steps "$steps_stat vs $((steps * 4))"

# Bad input trains nothing.
before=$(cat $D/network_$id/stats)
bad_st=
for bad in '0 1 1\n' '0 1 : 1 0\n' 'epochs 0\n0 0 : 0\n' 'rate -1\n' '0 x : 1\n'; do
	st=$(printf '%b' "$bad" | write_status $D/network_$id/train)
	[ "$st" = "Invalid argument" ] || bad_st+=" '$bad': $st;"
done
[ -z "$bad_st" ] && pass bad_samples_einval || fail bad_samples_einval "$bad_st"
[ "$(cat $D/network_$id/stats)" = "$before" ] && pass bad_samples_change_nothing ||
	fail bad_samples_change_nothing
bad_st=
for bad in "2 4 1 tanh" "2 tanh" "2 0 1 relu relu" "2 4 1 tanh softmax" "5000 2 relu" ""; do
	st=$(echo "$bad" | write_status $D/create)
	[ "$st" = "Invalid argument" ] || bad_st+=" '$bad': $st;"
done
[ -z "$bad_st" ] && pass bad_topologies_einval || fail bad_topologies_einval "$bad_st"
[ "$(network_count)" = 1 ] && pass bad_topologies_create_nothing || fail bad_topologies_create_nothing
# Loaded models have no train file.
lid=$(nn_load_model /nn/rust/kunit/testdata/sample.nnm)
[ ! -e $D/network_$lid/train ] && pass loaded_models_have_no_train_file ||
	fail loaded_models_have_no_train_file
check unload nn_unload
