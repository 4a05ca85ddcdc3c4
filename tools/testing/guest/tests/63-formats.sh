# SPDX-License-Identifier: GPL-2.0
# The 8-bit layer formats (fixed-point.rst, "Layer formats"; model format version 2) in
# the module: random networks of 16x8 and 8x8 layers and one that mixes all three, and
# the digits model compiled in both 8-bit formats, loaded under the local, interleave and
# replicate policies, answer exactly the lines nnctl eval printed on the host (single
# rows and batches); each layer's config line names its format; memory_map shows one
# byte a weight (replicas too) and `memory` counts it; a network moved to another node
# still answers the same; a 16x16 network hot-swapped to an 8x8 model of its widths
# answers as that model, and back.
# timeout: 900

D=$NN_DEBUGFS
MODELS="$NN_DATA/random-f1 $NN_DATA/random-f2 $NN_DATA/random-f3 $NN_DATA/digits/digits-16x8 $NN_DATA/digits/digits-8x8"
# Each model's layer formats, as guest-data made them (digits: two layers).
declare -A FORMATS=(
	[random-f1]="16x8 16x8 16x8"
	[random-f2]="8x8 8x8"
	[random-f3]="16x8 8x8 16x16 8x8"
	[digits-16x8]="16x8 16x8"
	[digits-8x8]="8x8 8x8"
)
mapfile -t MEM < <(expand_list "$(</sys/devices/system/node/has_memory)")
# The nodes with room (16 MiB free): the replicas and the migration go there, since a node
# that boot filled (the 16-node machine's node 0) refuses them.
mapfile -t ROOM < <(nn_nodes_with_room 16384)
room=$(IFS=,; echo "${ROOM[*]}")
plan 23

# paths NAME: the inputs of NAME and the lines the host printed for them, in IN and WANT.
paths() {
	case $1 in
	digits-*) IN=$NN_DATA/digits/digits-test.txt WANT=$NN_DATA/digits/$1.expected ;;
	*) IN=$NN_DATA/$1.in WANT=$NN_DATA/$1.expected ;;
	esac
}

# same A B: arrays named A and B have the same lines.
same() {
	local -n a=$1 b=$2
	local i
	[ ${#a[@]} = ${#b[@]} ] || return 1
	for ((i = 0; i < ${#a[@]}; i++)); do [ "${a[i]}" = "${b[i]}" ] || return 1; done
}

# formats_of ID: the network's layer formats, from its config ("16x16" where the line
# names none), in FMT.
formats_of() {
	local line out=
	while IFS= read -r line; do
		[[ $line == "layer "* ]] || continue
		if [[ $line =~ \ format\ ([0-9x]+) ]]; then
			out+=" ${BASH_REMATCH[1]}"
		else
			out+=" 16x16"
		fi
		[[ $line == *"format 8x8"* && ! $line =~ \ in_shift\ [0-9]+$ ]] && out+="(no-in_shift)"
	done <$D/network_$1/config
	FMT=${out# }
}

# weight_bytes_ok ID NAME: every weights buffer of memory_map is its layer's weights at
# the format's width (config's "layer i: IN -> OUT"); what differs in WHY.
weight_bytes_ok() {
	local id=$1 i=0 f line dims=() bad=
	read -ra f <<<"${FORMATS[$2]}"
	while IFS= read -r line; do
		[[ $line =~ ^layer\ ([0-9]+):\ ([0-9]+)\ -\>\ ([0-9]+) ]] &&
			dims[${BASH_REMATCH[1]}]=$((BASH_REMATCH[2] * BASH_REMATCH[3]))
	done <$D/network_$id/config
	local n id_ part kind bytes rest
	while read -r id_ part kind bytes rest; do
		[ "$id_" = "$id" ] || continue
		[[ $kind == weights* ]] || continue
		i=${part#layer}
		local w=2
		[ "${f[$i]}" != 16x16 ] && w=1
		[ "$bytes" = $((dims[i] * w)) ] || bad+=" $part/$kind:$bytes!=$((dims[i] * w))"
	done <$D/memory_map
	WHY=$bad
	[ -z "$bad" ]
}

# remove_all NAME: every network removed, and nothing left counted.
remove_all() {
	local d
	for d in $D/network_*; do [ -d "$d" ] && echo "${d##*_}" >$D/remove; done
	[ "$(network_count)" = 0 ] && grep -qx "used_bytes: 0" $D/memory && pass "$1" ||
		fail "$1" "$(network_count) left; $(grep used_bytes $D/memory)"
}

for policy in local interleave replicate; do
	case $policy in
	local) args=(neural_numa_policy=0) ;;
	interleave) args=(neural_numa_policy=1) ;;
	replicate) args=(neural_numa_policy=4 neural_numa_nodes=$room) ;;
	esac
	nn_load "${args[@]}" || bail "loads_$policy" "insmod ${args[*]} failed"
	bad= nets=0 rows=0
	for m in $MODELS; do
		name=${m##*/}
		cat $m.nnm >$D/load || { bad+=" $name:load"; continue; }
		read -r id <$D/load
		paths $name
		mapfile -t want <"$WANT"
		nn_answers $id "$IN" && same NN_GOT want || bad+=" $name:answers"
		# One row at a time too (the single-prediction path).
		mapfile -t -n 3 three <"$IN"
		one=()
		for row in "${three[@]}"; do
			exec {fd}<>$D/network_$id/predict || break
			printf '%s\n' "$row" >&$fd && read -r ans <&$fd && one+=("$ans")
			exec {fd}>&-
		done
		first=("${want[@]:0:3}")
		same one first || bad+=" $name:single"
		formats_of $id
		[ "$FMT" = "${FORMATS[$name]}" ] || bad+=" $name:formats($FMT)"
		weight_bytes_ok $id $name || bad+=" $name:bytes($WHY)"
		nets=$((nets + 1)) rows=$((rows + ${#want[@]}))
	done
	echo "formats: $policy: $nets networks, $rows rows"
	[ -z "$bad" ] && [ $nets = 5 ] && pass "${policy}_answers_formats_and_bytes" ||
		fail "${policy}_answers_formats_and_bytes" "$bad"
	# Copies under replicate on a machine of several nodes, none otherwise.
	n=$(awk '$3 == "weights_replica"' $D/memory_map | wc -l)
	if [ $policy = replicate ] && [ ${#ROOM[@]} -ge 2 ]; then
		[ "$n" -gt 0 ]
	else
		[ "$n" = 0 ]
	fi && pass "${policy}_replicas_as_asked" || fail "${policy}_replicas_as_asked" "$n weights_replica buffers"
	# `memory` counts what the networks hold (`bytes` of each config).
	sum=0
	for c in $D/network_*/config; do [ -e "$c" ] && sum=$((sum + $(nn_kv $c bytes))); done
	[ "$(nn_kv $D/memory used_bytes)" = $sum ] && pass "${policy}_memory_counts_the_bytes" ||
		fail "${policy}_memory_counts_the_bytes" "used $(nn_kv $D/memory used_bytes), networks $sum"
	remove_all "${policy}_all_removed"
	check "${policy}_unloads" nn_unload
done

# Moved and hot-swapped.
nn_load || bail loads
F3=$NN_DATA/random-f3
id=$(nn_load_model $F3.nnm) || bail f3_loads
node=$(awk -v id=$id '$1 == id && $3 == "weights" { split($7, g, ":"); print g[1]; exit }' $D/memory_map)
to=
for n in "${ROOM[@]}"; do [ "$n" != "$node" ] && { to=$n; break; }; done
to=${to:-$node}
r=$(write_status $D/network_$id/config <<<"migrate $to")
where=$(awk -v id=$id '$1 == id && $2 ~ /^layer/ { print $7 }' $D/memory_map | sort -u | tr '\n' ' ')
elsewhere=$(awk -v id=$id -v to=$to '$1 == id && $2 ~ /^layer/ && $7 != to ":" $5' $D/memory_map | wc -l)
nn_predict $id <$F3.in >/tmp/formats.out
[ "$r" = ok ] && cmp -s /tmp/formats.out $F3.expected && [ "$elsewhere" = 0 ] &&
	pass migrated_answers_the_same || fail migrated_answers_the_same "migrate $to: $r; pages on $where"
formats_of $id
[ "$FMT" = "${FORMATS[random-f3]}" ] && pass migrated_keeps_formats ||
	fail migrated_keeps_formats "$FMT"

A=$NN_DATA/replace-a B=$NN_DATA/replace-8x8
id=$(nn_load_model $A.nnm) || bail replace_a_loads
nn_predict $id <$NN_DATA/replace.in | cmp -s - $A.expected && pass model_a_answers ||
	fail model_a_answers
r=$(write_status $D/network_$id/replace <$B.nnm)
nn_predict $id <$NN_DATA/replace.in >/tmp/formats.out
formats_of $id
[ "$r" = ok ] && cmp -s /tmp/formats.out $B.expected && [ "$FMT" = "8x8 8x8" ] &&
	pass replaced_by_8x8_answers_as_it || fail replaced_by_8x8_answers_as_it "replace: $r; formats $FMT"
weight_bytes_ok_8() {
	local bad= id_ part kind bytes rest
	while read -r id_ part kind bytes rest; do
		[ "$id_" = "$id" ] && [ "$kind" = weights ] || continue
		case $part in
		layer0) [ "$bytes" = 160 ] || bad+=" $part:$bytes" ;;
		layer1) [ "$bytes" = 80 ] || bad+=" $part:$bytes" ;;
		esac
	done <$D/memory_map
	[ -z "$bad" ]
}
weight_bytes_ok_8 && pass replaced_layers_one_byte_a_weight || fail replaced_layers_one_byte_a_weight
r=$(write_status $D/network_$id/replace <$A.nnm)
nn_predict $id <$NN_DATA/replace.in >/tmp/formats.out
formats_of $id
[ "$r" = ok ] && cmp -s /tmp/formats.out $A.expected && [ "$FMT" = "16x16 16x16" ] &&
	[ "$(nn_kv $D/network_$id/stats replacements)" = 2 ] &&
	pass replaced_back_to_16x16 || fail replaced_back_to_16x16 "replace: $r; formats $FMT"
remove_all all_removed
check unloads nn_unload
rm -f /tmp/formats.out
