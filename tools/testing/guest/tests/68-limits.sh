# SPDX-License-Identifier: GPL-2.0
# Memory limits and concurrent creation. A network over neural_max_network_mb is refused
# with EFBIG, one that would take all networks over neural_max_total_mb with ENOSPC, one
# that the machine has no memory available for with ENOMEM (not the OOM killer), each with its
# reason in the log, before anything is made: no id taken, every network, counter and
# the bytes in use as they were. The bytes counted are what the networks allocate, and
# a removed network's bytes return when its last open file closes. Concurrent loaders
# and creators each read back the id of the network their own write created.
# timeout: 900
plan 17

nn_load || bail loads "insmod failed"
D=$NN_DEBUGFS
P=$NN_PARAMS
SAMPLE=/nn/rust/kunit/testdata/sample.nnm
echo "nn-limits-start" >/dev/kmsg

# nr_cpu_ids: one more than the highest possible CPU (each has a scratch buffer).
possible=$(cat /sys/devices/system/cpu/possible)
ncpu=$((${possible##*[-,]} + 1))
# The RAM the automatic limits are fractions of: MemTotal of every online node.
ram=$(($(awk '/MemTotal/ { s += $4 } END { print s }' /sys/devices/system/node/node*/meminfo) * 1024))

# footprint TRAINABLE IN OUT [IN OUT...]: the bytes of the arrays of a network with those
# layers, as admin-guide.rst counts them: weights 2 and biases 4 bytes; created networks
# 8 more per weight and 20 more per output; scratch, per possible CPU, 28 bytes per
# output of the widest layer and 28 per input of the layer with the most inputs (rounded
# up to a multiple of 16): 16 of a batch's scratch, 12 of the atomic predictions'.
footprint() {
	local train=$1 sum=0 maxw=0 maxi=0 i o pw po
	shift
	if [ "$train" = 1 ]; then pw=10 po=24; else pw=2 po=4; fi
	while [ $# -ge 2 ]; do
		i=$1 o=$2
		shift 2
		sum=$((sum + i * o * pw + o * po))
		[ "$o" -gt "$maxw" ] && maxw=$o
		[ "$i" -gt "$maxi" ] && maxi=$i
	done
	echo $((sum + ncpu * 28 * (maxw + (maxi + 15) / 16 * 16)))
}
mem() { sed -n "s/^$1: //p" $D/memory; }
limits() { echo "$1" >$P/neural_max_network_mb && echo "$2" >$P/neural_max_total_mb; }

# What a refused creation must leave as it was: the files and networks, every network's
# config and counters, the bytes in use and the last id read back.
snapshot() {
	local n
	ls $D
	for n in $D/network_*; do cat $n/config $n/stats; done
	cat $D/memory $D/load
}

# refused NAME WANT PATTERN FILE < INPUT: one write of INPUT to FILE fails with the error
# text WANT and leaves snapshot unchanged; then (judged at the end, from one read of the
# log: a dmesg costs seconds under TCG) the log after the case's mark has PATTERN.
declare -A patterns
judged=()
refused() {
	local name=$1 want=$2 pattern=$3 file=$4 before st after
	before=$(snapshot)
	echo "nn-limits-case $name" >/dev/kmsg
	st=$(write_status "$file")
	after=$(snapshot)
	echo "$name: $st"
	if [ "$st" != "$want" ]; then
		fail "$name" "write said '$st', expected '$want'"
	elif [ "$after" != "$before" ]; then
		fail "$name" "changed: $(diff <(echo "$before") <(echo "$after") | head -5)"
	else
		patterns[$name]=$pattern
		judged+=("$name")
	fi
}

# Two networks to keep unchanged: a loaded one (0) and a created one (1).
a=$(nn_load_model $SAMPLE)
echo "2 4 1 tanh sigmoid seed=1" >$D/create && b=$(cat $D/create)
[ "$a" = 0 ] && [ "$b" = 1 ] && pass two_networks || bail two_networks "ids '$a' '$b'"

want_net=$((ram / 4)) want_total=$((ram / 2))
[ "$(mem max_network_bytes)" = $want_net ] && [ "$(mem max_total_bytes)" = $want_total ] &&
	pass automatic_limits_are_a_quarter_and_half_of_ram ||
	fail automatic_limits_are_a_quarter_and_half_of_ram "$(cat $D/memory) (RAM $ram)"

fa=$(footprint 0 3 4 4 2) fb=$(footprint 1 2 4 4 1)
ba=$(sed -n 's/^bytes: //p' $D/network_0/config)
bb=$(sed -n 's/^bytes: //p' $D/network_1/config)
[ "$ba" = "$fa" ] && [ "$bb" = "$fb" ] && [ "$(mem used_bytes)" = $((fa + fb)) ] &&
	[ "$(mem networks)" = 2 ] && pass bytes_in_use_are_the_networks_arrays ||
	fail bytes_in_use_are_the_networks_arrays "config $ba $bb, expected $fa $fb; $(cat $D/memory)"

# Per network: EFBIG.
limits 1 0
refused create_over_network_limit_efbig "File too large" \
	"create: network needs $(footprint 1 512 512) bytes, over the limit of 1048576 bytes per network (neural_max_network_mb=1)" \
	$D/create <<<"512 512 linear"
refused load_over_network_limit_efbig "File too large" \
	"load: network needs $(footprint 0 1024 600) bytes, over the limit of 1048576 bytes per network (neural_max_network_mb=1)" \
	$D/load <$NN_DATA/limits-big.nnm
# The issue's case: 17 sizes of 4096 with gradients, about 2.5 GiB, under the defaults.
limits 0 0
big="$(printf '4096 %.0s' {1..17})$(printf 'relu %.0s' {1..16})"
refused default_limit_refuses_17_layers_of_4096 "File too large" \
	"create: network needs $(footprint 1 $(printf '4096 4096 %.0s' {1..16})) bytes, over the limit of $want_net bytes per network (neural_max_network_mb=0)" \
	$D/create <<<"$big"

# In all: ENOSPC, counting what the networks hold.
limits 0 1
fc=$(footprint 1 256 256)
echo "256 256 linear" >$D/create && c=$(cat $D/create)
used=$(mem used_bytes)
[ "$c" = 2 ] && [ "$used" = $((fa + fb + fc)) ] && pass create_within_total_limit ||
	fail create_within_total_limit "id '$c', $used bytes used, expected $((fa + fb + fc))"
refused create_over_total_limit_enospc "No space left on device" \
	"create: network needs $fc bytes, but $used of the 1048576 bytes all networks may take are in use (neural_max_total_mb=1)" \
	$D/create <<<"256 256 linear"

# A removed network's memory is freed, and its bytes given back, at its last close.
exec {fd}<$D/network_2/config
echo 2 >$D/remove
[ ! -e $D/network_2 ] && [ "$(mem used_bytes)" = "$used" ] && [ "$(mem networks)" = 2 ] &&
	pass open_file_keeps_a_removed_networks_bytes ||
	fail open_file_keeps_a_removed_networks_bytes "$(cat $D/memory)"
exec {fd}<&-
[ "$(mem used_bytes)" = $((fa + fb)) ] && pass last_close_gives_the_bytes_back ||
	fail last_close_gives_the_bytes_back "$(cat $D/memory)"
# The refusals took no id: the next network is 3.
echo "256 256 linear" >$D/create && d=$(cat $D/create)
[ "$d" = 3 ] && pass refused_creations_take_no_id || fail refused_creations_take_no_id "id '$d'"
echo 3 >$D/remove

# No memory for it: ENOMEM with the reason, before anything is allocated (no OOM
# killer, no minutes of reclaim), no id taken: the 17 layers of 4096 pass the memory the
# machine has available.
limits 1048576 1048576
refused no_memory_enomem "Cannot allocate memory" \
	"create: network needs $(footprint 1 $(printf '4096 4096 %.0s' {1..16})) bytes, but only " \
	$D/create <<<"$big"
limits 0 0
echo "2 2 linear" >$D/create && e=$(cat $D/create)
[ "$e" = 4 ] && pass enomem_takes_no_id || fail enomem_takes_no_id "id '$e'"

# Concurrent loaders, each through its own open file, read back their own network: its
# config has the CRC-32 of the blob it wrote.
# crc_of BLOB: what origin shows of it, its checksum field (the CRC-32 of the rest).
crc_of() { echo "0x$(tail -c 4 "$1" | od -An -tx4 | tr -d ' ')"; }
load_own() {
	local fd id
	exec {fd}<>$D/load || return 1
	cat "$1" >&$fd || { exec {fd}>&-; return 1; }
	id=$(cat <&$fd)
	exec {fd}>&-
	echo "$1 $id"
}
models=($SAMPLE $NN_DATA/random-r1.nnm $NN_DATA/random-r2.nnm $NN_DATA/random-r3.nnm
	$NN_DATA/random-r4.nnm $NN_DATA/random-r5.nnm $NN_DATA/digits/digits.nnm)
: >/tmp/loaders.out
for round in 1 2; do
	for m in "${models[@]}"; do load_own "$m" >>/tmp/loaders.out & done
	wait
done
bad= n=0
declare -A seen
while read -r m id; do
	n=$((n + 1))
	[ -n "${seen[$id]+set}" ] && bad+=" id $id twice;"
	seen[$id]=1
	got=$(sed -n 's/^origin: loaded crc32 //p' $D/network_$id/config 2>/dev/null)
	[ "$got" = "$(crc_of "$m")" ] || bad+=" $(basename "$m") read $id (crc '$got');"
done </tmp/loaders.out
[ "$n" = 14 ] && [ -z "$bad" ] && pass concurrent_loaders_read_their_own_ids ||
	fail concurrent_loaders_read_their_own_ids "$n loads:$bad"

# The same for create: each creator reads the id of its own topology.
create_own() {
	local fd id
	exec {fd}<>$D/create || return 1
	echo "2 $1 1 tanh sigmoid" >&$fd || { exec {fd}>&-; return 1; }
	id=$(cat <&$fd)
	exec {fd}>&-
	echo "$1 $id"
}
: >/tmp/creators.out
for w in $(seq 10 19); do create_own "$w" >>/tmp/creators.out & done
wait
bad= n=0
while read -r w id; do
	n=$((n + 1))
	[ -n "${seen[$id]+set}" ] && bad+=" id $id twice;"
	seen[$id]=1
	grep -q "^layer 0: 2 -> $w " $D/network_$id/config 2>/dev/null || bad+=" width $w read $id;"
done </tmp/creators.out
[ "$n" = 10 ] && [ -z "$bad" ] && pass concurrent_creators_read_their_own_ids ||
	fail concurrent_creators_read_their_own_ids "$n creates:$bad"

# One read of the whole run's log: each refusal's reason after its mark; no OOM, no
# allocation-failure report, no warning anywhere.
log=$(dmesg | sed -n '/nn-limits-start/,$p')
for name in "${judged[@]}"; do
	got=$(awk -v n="$name" '$(NF - 1) == "nn-limits-case" { on = ($NF == n); next } on' <<<"$log")
	echo "$name: $(grep -m1 "neural_network: " <<<"$got")"
	grep -qF -- "${patterns[$name]}" <<<"$got" && pass "$name" ||
		fail "$name" "no '${patterns[$name]}' in the log after its mark: $got"
done
problems=$(grep -iE 'oom|out of memory|page allocation failure|vmalloc error|WARNING|BUG:|Call Trace' <<<"$log")
[ -z "$problems" ] && pass kernel_log_clean || fail kernel_log_clean "$(head -5 <<<"$problems")"
check unload nn_unload
