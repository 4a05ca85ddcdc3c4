# SPDX-License-Identifier: GPL-2.0
# /sys/kernel/debug/neural_network/numa_info agrees with /sys/devices/system/node.
plan 8

nn_load || bail loads "insmod failed"
info=$(cat $NN_DEBUGFS/numa_info)
echo "$info" | sed 's/^/numa_info: /'
sysnode=/sys/devices/system/node

field() { sed -n "s/^$1: \{0,1\}//p" <<<"$info"; }

[ "$(field nodes_online)" = "$(cat $sysnode/online)" ] && pass nodes_online ||
	fail nodes_online "'$(field nodes_online)' vs '$(cat $sysnode/online)'"
[ "$(field nodes_with_memory)" = "$(cat $sysnode/has_memory)" ] && pass nodes_with_memory ||
	fail nodes_with_memory "'$(field nodes_with_memory)' vs '$(cat $sysnode/has_memory)'"
[ "$(field nodes_with_cpus)" = "$(cat $sysnode/has_cpu)" ] && pass nodes_with_cpus ||
	fail nodes_with_cpus "'$(field nodes_with_cpus)' vs '$(cat $sysnode/has_cpu)'"

# Per node: cpulist, MemTotal exactly, MemFree within 8 MiB (it moves), distance row.
bad_cpus= bad_total= bad_free= bad_dist=
for n in $(online_nodes); do
	# Every node has a cpus line, empty for a node without CPUs.
	grep -q "^node $n cpus:" <<<"$info" &&
		[ "$(field "node $n cpus")" = "$(cat $sysnode/node$n/cpulist)" ] || bad_cpus+=" $n"
	total=$(awk '/MemTotal/ {print $4}' $sysnode/node$n/meminfo)
	free=$(awk '/MemFree/ {print $4}' $sysnode/node$n/meminfo)
	[ "$(field "node $n mem_total_kb")" = "$total" ] || bad_total+=" $n"
	got_free=$(field "node $n mem_free_kb")
	[ -n "$got_free" ] && [ $(( got_free > free ? got_free - free : free - got_free )) -le 8192 ] ||
		bad_free+=" $n"
	row=$(sed -n "/^distances:/,\$p" <<<"$info" | grep -E "^ *$n:" | cut -d: -f2 | xargs)
	[ "$row" = "$(xargs <$sysnode/node$n/distance)" ] || bad_dist+=" $n"
done
[ -z "$bad_cpus" ] && pass node_cpulists || fail node_cpulists "nodes$bad_cpus differ"
[ -z "$bad_total" ] && pass node_mem_total || fail node_mem_total "nodes$bad_total differ"
[ -z "$bad_free" ] && pass node_mem_free || fail node_mem_free "nodes$bad_free differ by > 8 MiB"
[ -z "$bad_dist" ] && pass distance_matrix || fail distance_matrix "rows of nodes$bad_dist differ"

# The header row of the matrix lists exactly the online nodes.
header=$(sed -n '/^distances:/{n;p}' <<<"$info" | sed 's/^node//' | xargs)
[ "$header" = "$(online_nodes | xargs)" ] && pass distance_header ||
	fail distance_header "'$header'"
nn_unload
