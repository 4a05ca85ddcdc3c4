# SPDX-License-Identifier: GPL-2.0
# The module's other builds, loaded: each variant tools/testing/check built (the list in
# build/variants/smoke.list: "NAME OPTION...", after a line "suites N"), as `make guest` never loads them. For each:
# it loads; its NUMA files are there exactly when CONFIG_NEURAL_NETWORK_NUMA is on; a model
# loaded through debugfs predicts as the host; its KUnit suites, when built in, run (every
# suite of the guests' build) and pass; it unloads. Run by check after the builds: at the
# end of the 1-node guest (make check), in a 2-node guest of its own (check-full).
# timeout: 900
LIST=/nn/build/variants/smoke.list
[ -s $LIST ] || { plan 1; bail variants_listed "no $LIST: check's builds write it"; }
# The first line: "suites N", the KUnit suites of check's KUNIT_SUITES.
{ read -r _ SUITES; mapfile -t variants; } <$LIST
plan $((${#variants[@]} * 5))

D=$NN_DEBUGFS
FILTER=/sys/module/kunit/parameters/filter_glob
for line in "${variants[@]}"; do
	read -r name options <<<"$line"
	ko=/nn/build/variants/$name/neural_network.ko
	kunit=0 numa=1
	[[ " $options " == *" CONFIG_NEURAL_NETWORK_KUNIT_TEST=y "* ]] && kunit=1
	[[ " $options " == *" CONFIG_NEURAL_NETWORK_NUMA=n "* ]] && numa=0
	# run-tests keeps KUnit off during scripts: on for this load when the build has it.
	[ $kunit = 1 ] && printf '*' >$FILTER
	out=$("$NN_INSMOD" $ko 2>&1)
	st=$?
	[ $kunit = 1 ] && printf 'not_during_scripts' >$FILTER
	if [ $st != 0 ]; then
		fail ${name}_loads "$out"
		for c in numa_files predicts_as_the_host kunit unloads; do fail ${name}_$c "not loaded"; done
		continue
	fi
	pass ${name}_loads

	if [ $numa = 1 ] && [ -f $D/numa_info ] && [ -f $D/numa_stats ]; then pass ${name}_numa_files
	elif [ $numa = 0 ] && [ ! -e $D/numa_info ] && [ ! -e $D/numa_stats ]; then pass ${name}_numa_files
	else fail ${name}_numa_files "NUMA $numa: $(ls $D | tr '\n' ' ')"; fi

	id=$(nn_load_model /nn/rust/kunit/testdata/sample.nnm)
	if [ -n "$id" ] && nn_predict $id <$NN_DATA/sample.in >/tmp/variant.out &&
		cmp -s /tmp/variant.out $NN_DATA/sample.expected; then
		pass ${name}_predicts_as_the_host
	else
		fail ${name}_predicts_as_the_host "id '$id'; $(head -c 200 /tmp/variant.out)"
	fi
	[ -n "$id" ] && echo $id >$D/remove

	ran=0 bad=
	for r in /sys/kernel/debug/kunit/neural_network_*/results; do
		[ -f "$r" ] || continue
		ran=$((ran + 1))
		if grep -q "^ *not ok" "$r"; then
			bad+=" $(basename "$(dirname "$r")")"
			# The failing cases and what they printed, for the log.
			grep -B8 "^ *not ok" "$r" | sed "s/^/# $name: /"
		fi
	done
	if [ $kunit = 1 ] && [ $ran = $SUITES ] && [ -z "$bad" ]; then pass ${name}_kunit
	elif [ $kunit = 0 ] && [ $ran = 0 ]; then pass ${name}_kunit
	else fail ${name}_kunit "built with KUnit $kunit: $ran suites ran (want $((kunit * SUITES))), failing:${bad:- none}"; fi

	nn_unload && pass ${name}_unloads || fail ${name}_unloads
done
