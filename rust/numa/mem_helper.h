/* SPDX-License-Identifier: GPL-2.0 */
/* Node-placed memory for neural_network (rust/node_mem.rs declares the same). */
#ifndef NN_MEM_H
#define NN_MEM_H

#include <linux/types.h>

void *nn_alloc_node(size_t size, int node, bool this_node_only);
void nn_free(const void *p);
int nn_mem_node(const void *p);
int nn_numa_node_id(void);
void nn_cond_resched(void);
bool nn_fatal_signal_pending(void);

#endif /* NN_MEM_H */
