// SPDX-License-Identifier: GPL-2.0
/*
 * The exported symbols of include/linux/neural_network.h (kernel-doc there). Each checks
 * its context, and for every network and batch handed out takes a reference on this
 * module (given back by neural_network_destroy() and neural_batch_destroy()), then
 * calls the nn_api_* function of rust/api/ffi.rs (the C edge of rust/api/).
 */
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/neural_network.h>
#include <linux/nodemask.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "api_helper.h"

struct neural_network *__neural_network_init(unsigned int inputs, unsigned int hidden,
					     unsigned int outputs, int node,
					     const char *owner)
{
	void *nn;
	int err;

	might_sleep();
	err = nn_api_init(inputs, hidden, outputs, node, owner, &nn);
	if (err)
		return ERR_PTR(err);
	__module_get(THIS_MODULE);
	return nn;
}
EXPORT_SYMBOL_GPL(__neural_network_init);

struct neural_network *__neural_network_load(const void *blob, size_t len, const char *owner)
{
	void *nn;
	int err;

	might_sleep();
	err = nn_api_load(blob, len, owner, &nn);
	if (err)
		return ERR_PTR(err);
	__module_get(THIS_MODULE);
	return nn;
}
EXPORT_SYMBOL_GPL(__neural_network_load);

void neural_network_destroy(struct neural_network *nn)
{
	might_sleep();
	if (IS_ERR_OR_NULL(nn))
		return;
	nn_api_destroy(nn);
	module_put(THIS_MODULE);
}
EXPORT_SYMBOL_GPL(neural_network_destroy);

int neural_network_replace(struct neural_network *nn, const void *blob, size_t len)
{
	might_sleep();
	if (IS_ERR_OR_NULL(nn))
		return -EINVAL;
	return nn_api_replace(nn, blob, len);
}
EXPORT_SYMBOL_GPL(neural_network_replace);

int neural_network_predict(struct neural_network *nn, const s16 *input, size_t n_in,
			   s16 *output, size_t n_out)
{
	might_sleep();
	if (IS_ERR_OR_NULL(nn))
		return -EINVAL;
	return nn_api_predict(nn, input, n_in, output, n_out);
}
EXPORT_SYMBOL_GPL(neural_network_predict);

/* No might_sleep(): this one is for atomic context (rust/network/atomic.rs). */
int neural_network_predict_atomic(struct neural_network *nn, const s16 *input, size_t n_in,
				  s16 *output, size_t n_out)
{
	if (IS_ERR_OR_NULL(nn))
		return -EINVAL;
	return nn_api_predict_atomic(nn, input, n_in, output, n_out);
}
EXPORT_SYMBOL_GPL(neural_network_predict_atomic);

int neural_network_get_dims(struct neural_network *nn, unsigned int *inputs,
			    unsigned int *outputs, unsigned int *in_frac,
			    unsigned int *out_frac)
{
	might_sleep();
	if (IS_ERR_OR_NULL(nn))
		return -EINVAL;
	return nn_api_get_dims(nn, inputs, outputs, in_frac, out_frac);
}
EXPORT_SYMBOL_GPL(neural_network_get_dims);

int neural_get_numa_node(struct neural_network *nn)
{
	might_sleep();
	if (IS_ERR_OR_NULL(nn))
		return -EINVAL;
	return nn_api_get_numa_node(nn);
}
EXPORT_SYMBOL_GPL(neural_get_numa_node);

static int set_placement(struct neural_network *nn, int which, int value)
{
	might_sleep();
	if (IS_ERR_OR_NULL(nn))
		return -EINVAL;
	return nn_api_set_placement(nn, which, value);
}

int neural_set_numa_node(struct neural_network *nn, int node)
{
	return set_placement(nn, NN_API_SET_NODE, node);
}
EXPORT_SYMBOL_GPL(neural_set_numa_node);

int neural_set_numa_policy(struct neural_network *nn, int policy)
{
	return set_placement(nn, NN_API_SET_POLICY, policy);
}
EXPORT_SYMBOL_GPL(neural_set_numa_policy);

int neural_migrate_numa_node(struct neural_network *nn, int node)
{
	return set_placement(nn, NN_API_MIGRATE, node);
}
EXPORT_SYMBOL_GPL(neural_migrate_numa_node);

int neural_get_numa_node_count(void)
{
	might_sleep();
	return nn_api_node_count();
}
EXPORT_SYMBOL_GPL(neural_get_numa_node_count);

int neural_get_numa_distance(int from, int to)
{
	might_sleep();
	return nn_api_distance(from, to);
}
EXPORT_SYMBOL_GPL(neural_get_numa_distance);

int neural_numa_node_has_memory(int node)
{
	might_sleep();
	return nn_api_has_memory(node);
}
EXPORT_SYMBOL_GPL(neural_numa_node_has_memory);

int neural_find_best_numa_node(void)
{
	might_sleep();
	return nn_api_best_node();
}
EXPORT_SYMBOL_GPL(neural_find_best_numa_node);

int neural_network_train(struct neural_network *nn, const s16 *inputs, size_t n_in,
			 const s16 *targets, size_t n_targets, unsigned int epochs, u32 lr,
			 unsigned int batch, struct neural_train_report *report)
{
	BUILD_BUG_ON(sizeof(*report) != NN_API_TRAIN_REPORT * sizeof(u64));
	might_sleep();
	if (IS_ERR_OR_NULL(nn))
		return -EINVAL;
	return nn_api_train(nn, inputs, n_in, targets, n_targets, epochs, lr, batch,
			    report ? &report->samples : NULL);
}
EXPORT_SYMBOL_GPL(neural_network_train);

struct neural_batch *neural_batch_create_numa(struct neural_network *nn,
					      unsigned int max_inputs, int node)
{
	void *batch;
	int err;

	might_sleep();
	if (IS_ERR_OR_NULL(nn))
		return ERR_PTR(-EINVAL);
	err = nn_api_batch_create(nn, max_inputs, node, &batch);
	if (err)
		return ERR_PTR(err);
	__module_get(THIS_MODULE);
	return batch;
}
EXPORT_SYMBOL_GPL(neural_batch_create_numa);

struct neural_batch *neural_batch_create(struct neural_network *nn, unsigned int max_inputs)
{
	return neural_batch_create_numa(nn, max_inputs, NUMA_NO_NODE);
}
EXPORT_SYMBOL_GPL(neural_batch_create);

int neural_batch_process(struct neural_batch *batch, const s16 *input, size_t n_in,
			 s16 *output, size_t n_out)
{
	might_sleep();
	if (IS_ERR_OR_NULL(batch))
		return -EINVAL;
	return nn_api_batch_process(batch, input, n_in, output, n_out);
}
EXPORT_SYMBOL_GPL(neural_batch_process);

void neural_batch_destroy(struct neural_batch *batch)
{
	might_sleep();
	if (IS_ERR_OR_NULL(batch))
		return;
	nn_api_batch_destroy(batch);
	module_put(THIS_MODULE);
}
EXPORT_SYMBOL_GPL(neural_batch_destroy);

int neural_set_numa_nodemask(struct neural_network *nn, const nodemask_t *nodes)
{
	might_sleep();
	if (IS_ERR_OR_NULL(nn) || !nodes)
		return -EINVAL;
	return nn_api_set_nodemask(nn, nodes->bits, MAX_NUMNODES);
}
EXPORT_SYMBOL_GPL(neural_set_numa_nodemask);

int neural_set_cpu_affinity(struct neural_network *nn, const struct cpumask *mask)
{
	might_sleep();
	if (IS_ERR_OR_NULL(nn))
		return -EINVAL;
	return nn_api_set_cpus(nn, mask);
}
EXPORT_SYMBOL_GPL(neural_set_cpu_affinity);

int neural_get_numa_info(struct neural_numa_info *info)
{
	int err;

	might_sleep();
	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	err = nn_api_numa_info(info->online.bits, info->with_memory.bits,
			       info->with_cpus.bits, info->mem_total_kib, info->mem_free_kib,
			       MAX_NUMNODES);
	if (err)
		return err;
	info->nr_online_nodes = nodes_weight(info->online);
	info->nr_nodes_with_memory = nodes_weight(info->with_memory);
	info->nr_nodes_with_cpus = nodes_weight(info->with_cpus);
	return 0;
}
EXPORT_SYMBOL_GPL(neural_get_numa_info);

int neural_get_numa_stats(struct neural_network *nn, struct neural_numa_stats *stats)
{
	int err;

	BUILD_BUG_ON(offsetof(struct neural_numa_stats, node_bytes) !=
		     NN_API_COUNTERS * sizeof(u64));
	might_sleep();
	if (IS_ERR_OR_NULL(nn) || !stats)
		return -EINVAL;
	memset(stats, 0, sizeof(*stats));
	err = nn_api_numa_stats(nn, &stats->predictions, stats->node_bytes, MAX_NUMNODES,
				&stats->cpus, &stats->cpus_explicit);
	if (err) {
		memset(stats, 0, sizeof(*stats));
		return err;
	}
	stats->node = nn_api_get_numa_node(nn);
	return 0;
}
EXPORT_SYMBOL_GPL(neural_get_numa_stats);
