# SPDX-License-Identifier: GPL-2.0
# Every malformed blob of tools/testing/models/malformed/ is rejected through `load` with
# a reason in the log; none creates a network; the module stays healthy (a good model
# still loads and predicts afterwards, and kmemleak/KASAN watch the whole run).
plan 4

nn_load || bail loads "insmod failed"
D=$NN_DEBUGFS
M=/nn/tools/testing/models/malformed
total=0 bad=
# Write every blob first, each after a mark in the kernel log, and read the log once at
# the end (a dmesg of the debug kernel's log costs seconds under TCG).
declare -A status
while read -r file reason; do
	[ -f "$M/$file" ] || { bad+=" $file(missing)"; continue; }
	echo "nn-malformed-mark $file" >/dev/kmsg
	status[$file]=$(write_status $D/load <"$M/$file")
done <$M/EXPECTED
# The first rejection after each blob's mark (and before the next blob's), for every blob
# in one awk: a process for each blob would cost a minute under TCG.
declare -A got
while IFS=$'\t' read -r file reason; do
	got[$file]=$reason
done < <(dmesg | awk '
	NF >= 2 && $(NF - 1) == "nn-malformed-mark" { cur = $NF; next }
	cur != "" && sub(/.*load: model rejected: /, "") { print cur "\t" $0; cur = "" }')
while read -r file reason; do
	[ -n "${status[$file]+set}" ] || continue
	st=${status[$file]}
	total=$((total + 1))
	g=${got[$file]-}
	# The streaming loader judges the length from the header before the whole blob is
	# in, so length errors may be named by it ("truncated", "longer than its declared",
	# "larger than 128 MiB") rather than by the parser's reason.
	case $g in
	"$reason"* | truncated* | "longer than its declared"* | "larger than 128 MiB"*) ;;
	*) bad+=" $file(reason '$g', expected '$reason')"; continue ;;
	esac
	case $g in
	# Cut short: found at close (the write succeeded), or at once when the header
	# itself declares too short a blob.
	truncated*) [ "$st" = ok ] || [ "$st" = "Invalid argument" ] ||
		bad+=" $file(truncated: write said '$st')" ;;
	"larger than 128 MiB"*) [ "$st" = "Invalid argument" ] || [ "$st" = "File too large" ] ||
		bad+=" $file(write said '$st')" ;;
	*) [ "$st" = "Invalid argument" ] || bad+=" $file(write said '$st')" ;;
	esac
	echo "$file: $st: $g"
done <$M/EXPECTED
[ "$total" -ge 20 ] && [ -z "$bad" ] && pass "all_${total}_malformed_rejected" ||
	fail malformed_rejected "of $total:$bad"
[ "$(network_count)" = 0 ] && [ "$(cat $D/load)" = none ] && pass no_network_created ||
	fail no_network_created "$(ls $D)"
id=$(nn_load_model /nn/rust/kunit/testdata/sample.nnm)
nn_predict "$id" <$NN_DATA/sample.in | cmp -s - $NN_DATA/sample.expected &&
	pass healthy_after_malformed || fail healthy_after_malformed "id '$id'"
check unload nn_unload
