// SPDX-License-Identifier: GPL-2.0
/*
 * Atomic predictions of neural_network (rust/network/atomic.rs): preempt_disable() and
 * interrupt_context_level() are macros and inlines over the preempt count, so neither
 * has a Rust binding.
 */

#include <linux/preempt.h>
#include <linux/smp.h>

#include "atomic_helper.h"

/*
 * Disables preemption (in any context; it nests) and returns the context level: 0 task,
 * 1 softirq, 2 hardirq, 3 NMI. Each call is undone by one nn_atomic_exit().
 */
int nn_atomic_enter(void)
{
	preempt_disable();
	return interrupt_context_level();
}

void nn_atomic_exit(void)
{
	preempt_enable();
}

/* The CPU, between nn_atomic_enter() and nn_atomic_exit(). */
unsigned int nn_atomic_cpu(void)
{
	return smp_processor_id();
}

#ifdef CONFIG_NEURAL_NETWORK_KUNIT_TEST
#include <linux/bottom_half.h>

/* The KUnit suite's atomic context (rust/kunit/atomic.rs): bottom halves and preemption off. */
void nn_kunit_atomic_begin(void)
{
	local_bh_disable();
	preempt_disable();
}

void nn_kunit_atomic_end(void)
{
	preempt_enable();
	local_bh_enable();
}
#endif
