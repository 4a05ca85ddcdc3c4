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
# 2. The workload (fio, for the whole run): 4 KiB random reads, and a neighbour that
#    writes 256 KiB blocks in bursts.
# 3. nn-iopredict attached to the device's tracepoints: every I/O's features, the
#    network's answer and its real latency, one CSV line each (/tmp/io.csv).
# 4. Rounds 0..ROUNDS-1, each SECONDS of I/O: the round's records go to
#    /xchg/records-R.csv (then records-R.ready); the host trains a model on them and
#    writes /xchg/model-(R+1).nnm (then model-(R+1).ready), which replaces the serving
#    network's model (nnctl replace) while the I/O runs. The I/Os completed between a
#    round's end and the swap (served by the old model, during training) are counted,
#    not kept.
# 5. The hook's cost: SECONDS more of the same I/O with the hook but without the
#    prediction (nn-iopredict --no-predict), then the BPF programs' run counts and
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
X=/xchg
D=$NN_DEBUGFS
IOP=$NN_HELPERS/nn-iopredict
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

# DEVICE: null_blk, completions from a timer (irqmode 2) after COMPLETION_NS, at most
# DEPTH requests in the device (hw_queue_depth: the rest wait for a tag), its bandwidth
# capped at MBPS MB/s (null_blk's throttle: past a millisecond's budget, requests wait
# for the next tick). A 4 KiB read is fast alone, slow behind other reads (queueing), and
# slower still while the neighbour's 256 KiB writes eat the bandwidth.
COMPLETION_NS=200000 DEPTH=4 MBPS=40
mount -t configfs none /sys/kernel/config 2>/dev/null
dev=/sys/kernel/config/nullb/iop
mkdir $dev || die "no null_blk configfs (CONFIG_BLK_DEV_NULL_BLK, configfs)"
for kv in irqmode=2 completion_nsec=$COMPLETION_NS hw_queue_depth=$DEPTH submit_queues=1 \
	size=256 mbps=$MBPS power=1; do
	echo "${kv#*=}" >$dev/"${kv%%=*}" || die "null_blk: $kv refused"
done
[ -b /dev/iop ] || die "no /dev/iop"
# One bio per request (the completion hook finds the arrival by the request's bio), no
# scheduler between the queue and the device.
echo 2 >/sys/block/iop/queue/nomerges
echo none >/sys/block/iop/queue/scheduler
say "device /dev/iop: null_blk, timer completions after $((COMPLETION_NS / 1000)) us, $DEPTH requests at a time, $MBPS MB/s"
fact completion_us $((COMPLETION_NS / 1000))
fact depth $DEPTH
fact mbps $MBPS

nn_load || die "insmod neural_network failed"
id=$(nn_load_model $X/model-0.nnm) || die "loading model 0 failed"
say "serving network $id: 31-256-2, random weights (model 0) until the first trained model arrives"

# The workload, for the whole run (stopped at the end). Its own output is not needed.
cat >/tmp/io.fio <<EOF
[global]
filename=/dev/iop
direct=1
ioengine=libaio
time_based=1
runtime=100000
randrepeat=1
[reads]
rw=randread
bs=4k
iodepth=4
numjobs=2
rate_iops=150
rate_process=poisson
[neighbour]
rw=write
bs=256k
iodepth=8
thinktime=1500000
thinktime_blocks=24
thinktime_iotime=1500000
EOF
fio --output=/tmp/fio.out /tmp/io.fio &
fio_pid=$!

# attach FILE ARGS...: starts the loader writing to FILE and waits for its header line
# (attaching takes seconds under emulation); the loader's pid in $loader.
attach() {
	local out=$1 i
	shift
	"$IOP" "$@" /dev/iop "$id" $INPUT_FRAC >"$out" 2>"$out.err" &
	loader=$!
	for ((i = 0; i < 300; i++)); do
		[ -s "$out" ] && return 0
		kill -0 $loader 2>/dev/null || break
		sleep 0.1
	done
	die "the loader did not attach: $(cat "$out.err")"
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
fact replacements "$(awk '$1 == "replacements" {print $2}' $D/network_$id/stats)"
fact atomic_predictions "$(awk '$1 == "atomic_predictions" {print $2}' $D/network_$id/stats)"
cp $D/network_$id/stats $X/network-stats.txt
# The loader's --stats lines: "bpf on_queue runs N ns T".
grep "^bpf " /tmp/io.csv.err | sed 's/^bpf /predict_/' >>$X/summary.txt

# The hook without the prediction, on the same I/O.
attach /tmp/nopredict.csv --stats --no-predict
sleep "$SECONDS_PER_ROUND"
kill -INT $loader
wait $loader || die "the loader (--no-predict) failed: $(cat /tmp/nopredict.csv.err)"
grep "^bpf " /tmp/nopredict.csv.err | sed 's/^bpf /nopredict_/' >>$X/summary.txt
fact nopredict_ios $(($(lines /tmp/nopredict.csv) - 1))

kill $fio_pid
wait $fio_pid 2>/dev/null
echo 0 >$dev/power && rmdir $dev || die "the device did not go away"
nn_unload || die "rmmod neural_network failed"
! nn_loaded || die "the module is still loaded"
say "everything unloaded"
fact done 1
