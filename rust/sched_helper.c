// SPDX-License-Identifier: GPL-2.0
/*
 * Long loops of neural_network (rust/sched.rs): cond_resched() is a macro and
 * fatal_signal_pending() an inline over current, so neither has a Rust binding.
 */

#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "sched_helper.h"

/* Training loops and long predict writes call this between rows. */
void nn_cond_resched(void)
{
	cond_resched();
}

/* Whether the current task has a fatal signal pending (rust/sched.rs stops with EINTR). */
bool nn_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}
