/* SPDX-License-Identifier: GPL-2.0 */
/* NUMA topology queries for neural_network (rust/numa/topology.rs declares the same). */
#ifndef NN_TOPOLOGY_HELPER_H
#define NN_TOPOLOGY_HELPER_H

#include <linux/nodemask.h>
#include <linux/types.h>

int nn_next_node(int state, int node);
bool nn_node_state(int node, int state);
unsigned int nn_max_numnodes(void);
unsigned int nn_nr_cpu_ids(void);
bool nn_cpu_in_node(unsigned int cpu, int node);
int nn_cpu_to_node(unsigned int cpu);
bool nn_cpu_online(unsigned int cpu);
int nn_node_distance(int from, int to);
void nn_node_meminfo(int node, unsigned long *total_pages, unsigned long *free_pages);
unsigned long nn_page_size(void);

#endif /* NN_TOPOLOGY_HELPER_H */
