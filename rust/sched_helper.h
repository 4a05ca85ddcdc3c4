/* SPDX-License-Identifier: GPL-2.0 */
/* Long loops of neural_network (rust/sched.rs declares the same). */
#ifndef NN_SCHED_HELPER_H
#define NN_SCHED_HELPER_H

#include <linux/types.h>

void nn_cond_resched(void);
bool nn_fatal_signal_pending(void);

#endif /* NN_SCHED_HELPER_H */
