# SPDX-License-Identifier: GPL-2.0
# The guest side of the I/O latency experiment (tools/iopredict/experiment runs it with
# run-vm --exchange DIR; Documentation/neural_network/iopredict.rst). Run with bash.
#
#   guest.sh ROUNDS SECONDS
#
# 1. A null_blk device, /dev/iop, whose latency varies (see DEVICE below), and the
#    module with one serving network (31 inputs, 2 outputs: fast, slow): model 0, the
#    host's random one of that shape (/xchg/model-0.nnm), until the first trained model
#    arrives.
# 2. The workload (fio, for the whole run): 4 KiB random reads, and a neighbour on the
#    other device in bursts.
# 3. nn-iopredict attached to the device's tracepoints: every I/O's features, the
#    network's answer and its real latency, one CSV line each (/tmp/io.csv).
# 4. Rounds 0..ROUNDS-1, each SECONDS of I/O: the round's records go to
#    /xchg/records-R.csv (then records-R.ready); the host trains a model on them and
#    writes /xchg/model-(R+1).nnm (then model-(R+1).ready), which replaces the serving
#    network's model (nnctl replace) while the I/O runs. The I/Os completed between a
#    round's end and the swap (served by the old model, during training) are counted,
#    not kept.
# 5. The hook's cost: COST_SECONDS (SECONDS, at most 5) more of the same I/O with the
#    hook but without the prediction (nn-iopredict --no-predict), then the BPF programs' run counts and
#    times of both (bpf_stats: under qemu -icount shift=0 a guest nanosecond is one
#    instruction).
# 6. Everything unloaded: the loader, the device, the module.
#
# /xchg/summary.txt gets one "key value" line per fact; /xchg/guest.log the narrative.
# Exits non-zero on any failure (the host reports it).
set -u
. /nn/tools/testing/guest/lib.sh
# The module is built with its KUnit suites: keep them from running at the load.
kunit=/sys/module/kunit/parameters/filter_glob
[ ! -w $kunit ] || printf "not_in_the_experiment" >$kunit

ROUNDS=${1:?rounds}
SECONDS_PER_ROUND=${2:?seconds}
# The cost phase: thousands of calls are enough for a mean.
COST_SECONDS=$((${SECONDS_PER_ROUND%.*} < 5 ? ${SECONDS_PER_ROUND%.*} : 5))
[ "$COST_SECONDS" -ge 1 ] || COST_SECONDS=1
X=/xchg
D=$NN_DEBUGFS
NNCTL=$(nn_nnctl)
# Fixed for every model: the loader encodes each digit as digit << INPUT_FRAC, so every
# model swapped in must read its inputs with these fractional bits (the host compiles
# with nnctl compile --input-frac 11; 9 << 11 fits an i16).
INPUT_FRAC=11

say() { echo "iopredict: $*" | tee -a $X/guest.log; }
fact() { echo "$1 $2" >>$X/summary.txt; }
die() { say "FAILED: $*"; fact failed "$*"; exit 1; }
: >$X/guest.log
: >$X/summary.txt

# DEVICE: two null_blk devices that share one tag set (shared_tags): /dev/iop, whose
# reads are predicted, and /dev/iopn, a neighbour's. Completions come from a timer
# (irqmode 2) after COMPLETION_NS; the shared set has DEPTH tags (the kernel parameter
# null_blk.hw_queue_depth, which experiment.py passes), and while both devices are busy
# blk-mq gives each a fair share of them (half). A read of /dev/iop waits for a tag when
# its device's share is taken: more often while the neighbour's bursts run, which its
# own device's pending count does not show (the neighbour is another device) but the
# latencies of its last completions do: the case LinnOS made for learning (a device's
# hidden internal state), on a stock kernel.
COMPLETION_NS=2000000
DEPTH=$(</sys/module/null_blk/parameters/hw_queue_depth)
for name in iop iopn; do
	err=$(nn_nullb $name irqmode=2 completion_nsec=$COMPLETION_NS shared_tags=1 size=256) ||
		die "$err (CONFIG_BLK_DEV_NULL_BLK, configfs)"
done
say "devices /dev/iop and /dev/iopn (the neighbour's): null_blk, timer completions after $((COMPLETION_NS / 1000)) us, $DEPTH tags shared"
fact completion_us $((COMPLETION_NS / 1000))
fact depth $DEPTH

nn_load || die "insmod neural_network failed"
id=$(nn_load_model $X/model-0.nnm) || die "loading model 0 failed"
say "serving network $id: 31-256-2, random weights (model 0) until the first trained model arrives"

# The workload, for the whole run (stopped at the end): Poisson arrivals of 4 KiB random
# reads on /dev/iop, RATE a second from each of 2 jobs; the neighbour's 4 KiB reads on
# /dev/iopn, as many at a time as it may (iodepth 32), for a second every 3 s.
RATE=600
cat >/tmp/io.fio <<EOF
[global]
direct=1
ioengine=libaio
time_based=1
runtime=100000
randrepeat=1
bs=4k
rw=randread
[reads]
filename=/dev/iop
iodepth=32
numjobs=2
rate_iops=$RATE
rate_process=poisson
[neighbour]
filename=/dev/iopn
iodepth=32
thinktime=2s
thinktime_iotime=1s
EOF
fact rate_per_job $RATE
fio --eta=never --output=/tmp/fio.out /tmp/io.fio &
fio_pid=$!

# attach FILE ARGS...: the loader (nn_iopredict_attach), its pid in $loader.
attach() {
	nn_iopredict_attach "$1" "$id" $INPUT_FRAC "${@:2}" ||
		die "the loader did not attach: $(cat "$1.err")"
	loader=$NN_IOP_PID
}
# lines FILE: its line count.
lines() { wc -l <"$1"; }

attach /tmp/io.csv --stats
say "BPF program attached to block_bio_queue and block_rq_complete"
header=$(head -n1 /tmp/io.csv)
from=2
swap_lost=0
for ((r = 0; r < ROUNDS; r++)); do
	sleep "$SECONDS_PER_ROUND"
	to=$(lines /tmp/io.csv)
	{ echo "$header"; sed -n "${from},${to}p" /tmp/io.csv; } >$X/records-$r.csv
	: >$X/records-$r.ready
	n=$((to - from + 1))
	say "round $r: $n I/Os recorded"
	fact "round${r}_ios" $n
	[ $r = $((ROUNDS - 1)) ] && break
	# The host trains and compiles model r+1 from what it has seen; the I/O goes on.
	for ((i = 0; i < 6000; i++)); do
		[ -e $X/model-$((r + 1)).ready ] && break
		[ -e $X/host-failed ] && die "the host failed: $(cat $X/host-failed)"
		sleep 0.1
	done
	[ -e $X/model-$((r + 1)).ready ] || die "no model $((r + 1)) from the host in 600 s"
	"$NNCTL" replace "$id" $X/model-$((r + 1)).nnm || die "nnctl replace of model $((r + 1)) failed"
	from=$(($(lines /tmp/io.csv) + 1))
	swap_lost=$((swap_lost + from - 1 - to))
	say "model $((r + 1)) swapped in while the I/O ran ($((from - 1 - to)) I/Os completed meanwhile, served by model $r)"
done
kill -INT $loader
wait $loader || die "the loader failed: $(cat /tmp/io.csv.err)"
cat /tmp/io.csv.err >>$X/guest.log
fact during_training $swap_lost
fact replacements "$(nn_kv $D/network_$id/stats replacements)"
fact atomic_predictions "$(nn_kv $D/network_$id/stats atomic_predictions)"
cp $D/network_$id/stats $X/network-stats.txt
# The loader's --stats lines: "bpf on_queue runs N ns T".
grep "^bpf " /tmp/io.csv.err | sed 's/^bpf /predict_/' >>$X/summary.txt

# The hook without the prediction, on the same I/O.
attach /tmp/nopredict.csv --stats --no-predict
sleep "$COST_SECONDS"
kill -INT $loader
wait $loader || die "the loader (--no-predict) failed: $(cat /tmp/nopredict.csv.err)"
grep "^bpf " /tmp/nopredict.csv.err | sed 's/^bpf /nopredict_/' >>$X/summary.txt
fact nopredict_ios $(($(lines /tmp/nopredict.csv) - 1))

kill $fio_pid
wait $fio_pid 2>/dev/null
err=$(nn_nullb_remove iop iopn) || die "$err"
nn_unload || die "rmmod neural_network failed"
! nn_loaded || die "the module is still loaded"
say "everything unloaded"
fact done 1
