// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA topology queries for neural_network that are macros or static inlines in C and so
 * have no Rust binding: node iteration, a node's CPU mask and its memory counters.
 * rust/numa/topology.rs wraps each of these in a safe function.
 */

#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/topology.h>
#include <linux/vmstat.h>

#include "topology_helper.h"

/* The first node after @node (-1 for the first) in node_states[@state], or MAX_NUMNODES. */
int nn_next_node(int state, int node)
{
	return next_node(node, node_states[state]);
}

bool nn_node_state(int node, int state)
{
	return node_state(node, state);
}

unsigned int nn_max_numnodes(void)
{
	return MAX_NUMNODES;
}

unsigned int nn_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

bool nn_cpu_in_node(unsigned int cpu, int node)
{
	return cpumask_test_cpu(cpu, cpumask_of_node(node));
}

int nn_cpu_to_node(unsigned int cpu)
{
	return cpu_to_node(cpu);
}

bool nn_cpu_online(unsigned int cpu)
{
	return cpu_online(cpu);
}

int nn_node_distance(int from, int to)
{
	return node_distance(from, to);
}

/*
 * The same sums as si_meminfo_node(), which /sys/devices/system/node/nodeN/meminfo
 * reports as MemTotal and MemFree, but si_meminfo_node() is not exported to modules.
 */
void nn_node_meminfo(int node, unsigned long *total_pages, unsigned long *free_pages)
{
	pg_data_t *pgdat = NODE_DATA(node);
	unsigned long total = 0, free = 0;
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *zone = &pgdat->node_zones[i];

		total += zone_managed_pages(zone);
		free += zone_page_state(zone, NR_FREE_PAGES);
	}
	*total_pages = total;
	*free_pages = free;
}

unsigned long nn_page_size(void)
{
	return PAGE_SIZE;
}
