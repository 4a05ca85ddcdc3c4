# SPDX-License-Identifier: GPL-2.0
# /sys/kernel/debug/neural_network/numa_info agrees with /sys/devices/system/node.
#
# Written with bash builtins only (read, [[ =~ ]]), no process a node: a fork and exec
# costs about a second under TCG with the debug kernel, and 16 nodes made the first
# version of this script take minutes.

plan 8

nn_load || bail loads "insmod failed"
info=$(<$NN_DEBUGFS/numa_info)
echo "$info" | sed 's/^/numa_info: /'
sysnode=/sys/devices/system/node

# norm VAR TEXT: VAR = TEXT with its whitespace squeezed (no subshell).
norm() {
	local -a words
	read -r -a words <<<"$2"
	printf -v "$1" '%s' "${words[*]}"
}

# The fields of numa_info: field[name] for "name: value" lines, dist[n] for the matrix.
declare -A field dist
header=
in_matrix=0
while IFS= read -r line; do
	if [ $in_matrix = 1 ]; then
		if [[ $line =~ ^node\ +(.*)$ ]]; then
			norm header "${BASH_REMATCH[1]}"
		elif [[ $line =~ ^\ *([0-9]+):\ *(.*)$ ]]; then
			norm row "${BASH_REMATCH[2]}"
			dist[${BASH_REMATCH[1]}]=$row
		fi
	elif [ "$line" = distances: ]; then
		in_matrix=1
	elif [[ $line =~ ^([^:]+):\ ?(.*)$ ]]; then
		field[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
	fi
done <<<"$info"

same() { # same NAME SYSFS-FILE
	local want
	read -r want <"$sysnode/$2"
	[ "${field[$1]-missing}" = "$want" ] && pass "$1" || fail "$1" "'${field[$1]-missing}' vs '$want'"
}
same nodes_online online
same nodes_with_memory has_memory
same nodes_with_cpus has_cpu

# Per node: a cpus line with the cpulist (empty for a node without CPUs), MemTotal
# exactly, MemFree within 8 MiB (it moves), the distance row.
read -r online <$sysnode/online
bad_cpus= bad_total= bad_free= bad_dist= nodes=()
for n in $(expand_list "$online"); do
	nodes+=("$n")
	read -r cpus <$sysnode/node$n/cpulist
	[ "${field[node $n cpus]-missing}" = "$cpus" ] || bad_cpus+=" $n"
	total= free=
	while read -r _ _ key val _; do
		case $key in
		MemTotal:) total=$val ;;
		MemFree:) free=$val ;;
		esac
	done <$sysnode/node$n/meminfo
	[ "${field[node $n mem_total_kb]-missing}" = "$total" ] || bad_total+=" $n"
	got_free=${field[node $n mem_free_kb]-}
	[[ $got_free =~ ^[0-9]+$ ]] &&
		[ $(( got_free > free ? got_free - free : free - got_free )) -le 8192 ] ||
		bad_free+=" $n"
	read -r row <$sysnode/node$n/distance
	norm row "$row"
	[ "${dist[$n]-missing}" = "$row" ] || bad_dist+=" $n"
done
[ -z "$bad_cpus" ] && pass node_cpulists || fail node_cpulists "nodes$bad_cpus differ or lack the line"
[ -z "$bad_total" ] && pass node_mem_total || fail node_mem_total "nodes$bad_total differ"
[ -z "$bad_free" ] && pass node_mem_free || fail node_mem_free "nodes$bad_free differ by > 8 MiB"
[ -z "$bad_dist" ] && pass distance_matrix || fail distance_matrix "rows of nodes$bad_dist differ"

# The header row of the matrix lists exactly the online nodes, and there is no other row.
[ "$header" = "${nodes[*]}" ] && [ ${#dist[@]} = ${#nodes[@]} ] &&
	pass distance_header || fail distance_header "'$header', ${#dist[@]} rows"
nn_unload
