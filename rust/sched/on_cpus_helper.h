/* SPDX-License-Identifier: GPL-2.0 */
/* Work run on chosen CPUs, for neural_network (rust/sched/on_cpus.rs declares the same). */
#ifndef NN_ON_CPUS_HELPER_H
#define NN_ON_CPUS_HELPER_H

#include <linux/types.h>

int nn_on_cpus_init(void);
void nn_on_cpus_exit(void);
int nn_run_on_cpus(unsigned int n, const unsigned int *cpus, void (*fn)(void *arg),
		   void *const *args);

#endif /* NN_ON_CPUS_HELPER_H */
