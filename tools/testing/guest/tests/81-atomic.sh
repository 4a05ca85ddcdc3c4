# SPDX-License-Identifier: GPL-2.0
# Predictions that never sleep: samples/neural_network_atomic.c calls
# neural_network_predict_atomic() with a spinlock held and interrupts off, from a timer
# (softirq), from a hard hrtimer (hardirq), and from a timer firing every jiffy while
# process context migrates the network between nodes; every answer must equal process
# context's, bit for bit, and every bad argument gives -EINVAL. run-vm fails the run on
# any lockdep report or "sleeping function called from invalid context" (the debug
# kernel has CONFIG_DEBUG_ATOMIC_SLEEP). The stats count the atomic predictions.
# timeout: 300

D=$NN_DEBUGFS
KO=${NN_KO%/*}/neural_network_atomic.ko
[ -f "$KO" ] || KO=/nn/samples/neural_network_atomic.ko
CHECKS=(load_a_model_blob dims_are_the_models process_context_prediction
	irqs_off_spinlock_answers_equal_process_context irqs_off_spinlock_bad_arguments_einval
	timer_runs_in_softirq softirq_answers_equal_process_context softirq_bad_arguments_einval
	hrtimer_runs_in_hardirq hardirq_answers_equal_process_context hardirq_bad_arguments_einval
	migrations_done softirq_during_migrations_answers_equal_process_context
	softirq_during_migrations_bad_arguments_einval)
plan $((${#CHECKS[@]} + 4))

nn_load || bail loads "insmod failed"
out=$("$NN_INSMOD" "$KO") && pass sample_loads || fail sample_loads "insmod $KO: $out"
log_read
sample_checks neural_network_atomic atomic "${CHECKS[@]}"
/busybox/rmmod neural_network_atomic 2>/dev/null
[ "$(network_count)" = 0 ] && pass sample_destroyed_its_network ||
	fail sample_destroyed_its_network "$(network_count) networks left"
check unload nn_unload
