# SPDX-License-Identifier: GPL-2.0
# Many CPUs predict on one network at once: one job per online CPU, pinned there, each
# with its own open predict file, all on the same network; every job must get exactly
# the host's results, and the counters must add up.
plan 3

nn_load || bail loads "insmod failed"
blob=$NN_DATA/random-r4.nnm
id=$(nn_load_model $blob) || bail load "load failed"
cpus=$(expand_list "$(cat /sys/devices/system/cpu/online)")
rounds=3 jobs=0
for cpu in $cpus; do
	(
		for r in $(seq $rounds); do
			taskset -c "$cpu" bash -c ". /nn/tools/testing/guest/lib.sh; nn_predict $id" \
				<${blob%.nnm}.in >/tmp/conc.$cpu.$r
		done
	) &
	jobs=$((jobs + 1))
done
wait
bad=
for cpu in $cpus; do
	for r in $(seq $rounds); do
		cmp -s /tmp/conc.$cpu.$r ${blob%.nnm}.expected || bad+=" cpu$cpu/round$r"
	done
done
[ -z "$bad" ] && pass "${jobs}_cpus_predict_concurrently" || fail concurrent_results "$bad"
n=$(wc -l <${blob%.nnm}.expected)
want=$((n * jobs * rounds))
got=$(sed -n 's/^predictions: //p' $NN_DEBUGFS/network_$id/stats)
[ "$got" = "$want" ] && pass counters_add_up || fail counters_add_up "$got, expected $want"
check unload nn_unload
