/* SPDX-License-Identifier: GPL-2.0 */
/*
 * neural_network: the API for other kernel code.
 *
 * A network made here is one of the module's networks: it shows under
 * /sys/kernel/debug/neural_network/network_<id>/ like any other, with its owner (the
 * calling module's KBUILD_MODNAME) in config, and only its owner destroys it. Each
 * network handed out holds a reference on neural_network until destroyed: while a
 * caller holds one, rmmod neural_network fails (EWOULDBLOCK, the kernel's answer for a
 * module in use). Documentation/neural_network/api.rst is the guide.
 *
 * Numbers are the network's fixed point: an input value v stands for v / 2^in_frac, an
 * output value for v / 2^out_frac (neural_network_get_dims()).
 *
 * Context: every function but neural_network_predict_atomic() may sleep (process
 * context, no spinlock held); each checks it with might_sleep(). Errors are negative errnos, or ERR_PTR() for the functions
 * that return a network; a bad argument is -EINVAL and changes nothing.
 */
#ifndef _LINUX_NEURAL_NETWORK_H
#define _LINUX_NEURAL_NETWORK_H

#include <linux/numa.h>
#include <linux/types.h>

/* An opaque handle on a network. */
struct neural_network;

/* The placement policies, as the neural_numa_policy parameter numbers them. */
enum neural_numa_policy {
	NEURAL_NUMA_LOCAL = 0,
	NEURAL_NUMA_INTERLEAVE = 1,
	NEURAL_NUMA_PREFERRED = 2,
	NEURAL_NUMA_BIND = 3,
	NEURAL_NUMA_REPLICATE = 4,
};

struct neural_network *__neural_network_init(unsigned int inputs, unsigned int hidden,
					     unsigned int outputs, int node,
					     const char *owner);
struct neural_network *__neural_network_load(const void *blob, size_t len,
					     const char *owner);

/**
 * neural_network_init() - Create a trainable network.
 * @inputs: length of an input vector, 1 to 4096.
 * @hidden: width of the hidden layer, 1 to 4096.
 * @outputs: length of an output vector, 1 to 4096.
 *
 * The network is [@inputs, @hidden, @outputs], ReLU then linear, Xavier-initialised
 * from the kernel's RNG, placed by the module parameters (neural_numa_policy and
 * friends). Inputs and outputs are Q3.12 (12 fractional bits).
 *
 * Context: Process context; may sleep.
 * Return: the network, or ERR_PTR(-EINVAL) for a size out of range, -EFBIG or -ENOSPC
 * over a memory limit of the module, -ENOMEM.
 */
#define neural_network_init(inputs, hidden, outputs) \
	__neural_network_init(inputs, hidden, outputs, NUMA_NO_NODE, KBUILD_MODNAME)

/**
 * neural_network_init_numa() - Create a trainable network on a node.
 * @inputs: length of an input vector, 1 to 4096.
 * @hidden: width of the hidden layer, 1 to 4096.
 * @outputs: length of an output vector, 1 to 4096.
 * @node: the node its memory should be on (policy preferred: the nearest node with
 *        room when @node has none; neural_get_numa_node() says where it went), or
 *        NUMA_NO_NODE for the module's placement.
 *
 * As neural_network_init() otherwise.
 *
 * Context: Process context; may sleep.
 * Return: the network, or ERR_PTR(-EINVAL) also for a node that is not online.
 */
#define neural_network_init_numa(inputs, hidden, outputs, node) \
	__neural_network_init(inputs, hidden, outputs, node, KBUILD_MODNAME)

/**
 * neural_network_load() - Create a network from a model blob.
 * @blob: the model (Documentation/neural_network/model-format.rst), for example from
 *        request_firmware(); the module copies what it needs.
 * @len: its length in bytes, at most 64 MiB.
 *
 * Placed by the module parameters.
 *
 * Context: Process context; may sleep.
 * Return: the network, or ERR_PTR(-EINVAL) for a NULL or malformed blob (the reason
 * goes to the kernel log), -EFBIG or -ENOSPC over a memory limit, -ENOMEM.
 */
#define neural_network_load(blob, len) __neural_network_load(blob, len, KBUILD_MODNAME)

/**
 * neural_network_destroy() - Remove a network and free its memory.
 * @nn: a network from neural_network_init(), neural_network_init_numa() or
 *      neural_network_load(); NULL or an ERR_PTR() does nothing.
 *
 * Its debugfs directory goes at once; files held open there keep the memory until
 * closed. @nn must not be used again.
 *
 * Context: Process context; may sleep.
 */
void neural_network_destroy(struct neural_network *nn);

/**
 * neural_network_predict() - Run input vectors through a network.
 * @nn: the network.
 * @input: @n_in values: one or more input vectors, one after the other.
 * @n_in: a positive multiple of the input length.
 * @output: room for @n_out values.
 * @n_out: (@n_in / input length) times the output length.
 *
 * The two arrays must be aligned and must not overlap (-EINVAL otherwise); @nn must
 * not be destroyed meanwhile (the caller's to ensure, as for every function here).
 *
 * Runs on the calling CPU, in that CPU's scratch memory (nothing is allocated), with
 * the SIMD path where the module's gate allows it; counted in the network's stats.
 *
 * Context: Process context; may sleep (it waits for a training step in progress).
 * Return: 0, or -EINVAL for a NULL pointer, lengths that do not fit the network, or
 * arrays misaligned or overlapping (nothing is written).
 */
int neural_network_predict(struct neural_network *nn, const s16 *input, size_t n_in,
			   s16 *output, size_t n_out);

/**
 * neural_network_predict_atomic() - Run one input vector, without sleeping.
 * @nn: the network.
 * @input: one input vector.
 * @n_in: the input length.
 * @output: room for one output vector.
 * @n_out: the output length.
 *
 * For callers that may not sleep: a softirq, a hardirq handler, a section with
 * preemption or bottom halves disabled, or under a spinlock (the block I/O submission
 * path, the network stack). It takes no sleeping lock and allocates nothing: the
 * weights in force are read under SRCU, the scratch is this CPU's own for the context
 * level (task, softirq, hardirq; preemption is disabled meanwhile), the FPU is used only
 * where irq_fpu_usable() allows (else the scalar path, the same bits). A re-placement or
 * migration never makes it wait: it answers from the weights in force, old or new. The
 * prediction cache (neural_cache_timeout_ms) is looked up first and filled after.
 * Counted in the network's stats (atomic_predictions).
 *
 * The checks of neural_network_predict() apply; @nn must not be destroyed meanwhile.
 *
 * Context: Any context but NMI. Does not sleep.
 * Return: 0; -EINVAL for a NULL pointer, lengths that are not one vector's, arrays
 * misaligned or overlapping (nothing is written); -EAGAIN while a training call holds
 * the weights (neural_network_train() or the train file: the answer would be of weights
 * half changed; the caller falls back to its own heuristic), or in NMI.
 */
int neural_network_predict_atomic(struct neural_network *nn, const s16 *input, size_t n_in,
				  s16 *output, size_t n_out);

/**
 * neural_network_get_dims() - The shape of a network's vectors.
 * @nn: the network.
 * @inputs: set to the length of an input vector, if not NULL.
 * @outputs: set to the length of an output vector, if not NULL.
 * @in_frac: set to the fractional bits of an input value, if not NULL.
 * @out_frac: set to the fractional bits of an output value, if not NULL.
 *
 * Context: Process context; may sleep.
 * Return: 0, or -EINVAL for a NULL @nn.
 */
int neural_network_get_dims(struct neural_network *nn, unsigned int *inputs,
			    unsigned int *outputs, unsigned int *in_frac,
			    unsigned int *out_frac);

/**
 * neural_get_numa_node() - Where a network is.
 * @nn: the network.
 *
 * Context: Process context; may sleep.
 * Return: the node its memory went to (of the first page of its first layer's
 * weights; memory_map in debugfs has every page), else the node of its placement;
 * NUMA_NO_NODE if neither; -EINVAL for a NULL @nn.
 */
int neural_get_numa_node(struct neural_network *nn);

/**
 * neural_set_numa_node() - Give a network another node, keeping its policy.
 * @nn: the network.
 * @node: the node (as "node N" in network_<id>/config).
 *
 * Under preferred the memory moves to @node; under the other policies the node is
 * recorded and the memory goes where the policy puts it (local: the creating CPU's
 * node; interleave, bind and replicate: their node list; neural_set_numa_policy() or
 * neural_migrate_numa_node() change those).
 *
 * The new memory is made and filled first, then published; predictions go on
 * meanwhile and never see a half-moved network. A failure leaves it as it was.
 *
 * Context: Process context; may sleep (it waits until no prediction reads the old
 * memory).
 * Return: 0, -EINVAL for a NULL @nn or a node the policy cannot use, -ENOMEM.
 */
int neural_set_numa_node(struct neural_network *nn, int node);

/**
 * neural_set_numa_policy() - Re-place a network under another policy.
 * @nn: the network.
 * @policy: an enum neural_numa_policy; its node and nodes come from the module
 *          parameters (as "policy NAME" in network_<id>/config).
 *
 * As neural_set_numa_node() otherwise.
 *
 * Context: Process context; may sleep.
 * Return: 0, -EINVAL for a NULL @nn, an unknown policy or one the parameters' nodes
 * cannot serve, -ENOMEM.
 */
int neural_set_numa_policy(struct neural_network *nn, int policy);

/**
 * neural_migrate_numa_node() - Move all of a network's memory to one node.
 * @nn: the network.
 * @node: an online node with memory; the network is then bound to it (as "migrate N"
 *        in network_<id>/config).
 *
 * As neural_set_numa_node() otherwise; counted in the network's and numa_stats'
 * migrations.
 *
 * Context: Process context; may sleep.
 * Return: 0, -EINVAL for a NULL @nn or a node that is offline or has no memory,
 * -ENOMEM when @node has no room (the network stays where it was).
 */
int neural_migrate_numa_node(struct neural_network *nn, int node);

/**
 * neural_get_numa_node_count() - How many NUMA nodes are online.
 *
 * Context: Any context that may sleep.
 * Return: the count (1 on a machine without NUMA).
 */
int neural_get_numa_node_count(void);

/**
 * neural_get_numa_distance() - The firmware's distance between two nodes.
 * @from: an online node.
 * @to: an online node.
 *
 * Context: Any context that may sleep.
 * Return: the distance (10 for a node to itself), or -EINVAL if a node is not online.
 */
int neural_get_numa_distance(int from, int to);

/**
 * neural_numa_node_has_memory() - Whether a node has memory.
 * @node: an online node.
 *
 * Context: Any context that may sleep.
 * Return: 1 or 0, or -EINVAL if @node is not online.
 */
int neural_numa_node_has_memory(int node);

/**
 * neural_find_best_numa_node() - Where a network made now should go.
 *
 * For the calling CPU: the nearest node (by distance from the CPU's node) among
 * those with memory and at least 16 MiB free, the one with the most free memory among
 * equally near ones; if no node has 16 MiB free, the one with the most.
 *
 * Context: Process context; may sleep.
 * Return: the node (-ENODEV if no node has memory, which a booted machine does not
 * show).
 */
int neural_find_best_numa_node(void);

#endif /* _LINUX_NEURAL_NETWORK_H */
