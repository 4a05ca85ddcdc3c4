// SPDX-License-Identifier: GPL-2.0
/*
 * The exported symbols of include/linux/neural_network.h (kernel-doc there). Each checks
 * its context, and for every network handed out takes a reference on this module
 * (given back by neural_network_destroy()), then calls rust/api.rs.
 */
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/neural_network.h>

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
