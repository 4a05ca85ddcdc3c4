/* SPDX-License-Identifier: GPL-2.0 */
/* Node-placed memory for neural_network (rust/numa/mem.rs declares the same). */
#ifndef NN_MEM_HELPER_H
#define NN_MEM_HELPER_H

#include <linux/types.h>

void *nn_alloc_node(size_t size, int node, bool this_node_only);
void nn_free(const void *p);
int nn_mem_node(const void *p);
size_t nn_cache_line_bytes(void);
int nn_numa_node_id(void);

#endif /* NN_MEM_HELPER_H */
