/* SPDX-License-Identifier: GPL-2.0 */
/*
 * neural_network: the API for other kernel code.
 *
 * A network made here is one of the module's networks: it shows under
 * /sys/kernel/debug/neural_network/network_<id>/ like any other, with its owner (the
 * calling module's KBUILD_MODNAME) in config, and only its owner destroys it. Each
 * network and each batch (struct neural_batch) handed out holds a reference on
 * neural_network until destroyed: while a caller holds one, rmmod neural_network fails
 * (EWOULDBLOCK, the kernel's answer for a module in use).
 * Documentation/neural_network/api.rst is the guide.
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

#include <linux/cpumask_types.h>
#include <linux/nodemask_types.h>
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
 * neural_network_replace() - Replace a network's model, while it serves.
 * @nn: the network (made by this module: its owner's to replace).
 * @blob: the new model (Documentation/neural_network/model-format.rst); the module
 *        copies what it needs.
 * @len: its length in bytes, at most 64 MiB.
 *
 * The new model must have the network's input and output lengths and formats
 * (neural_network_get_dims()); its hidden layers may differ. Its layers are placed by
 * the network's placement in force and published in one step: every prediction,
 * neural_network_predict_atomic() included, is answered wholly by the old model or
 * wholly by the new one (the rows of one call to neural_network_predict() or
 * neural_batch_process() may be split between them, each row wholly by one); the old
 * model is freed once no prediction reads it. The handle, the placement, the CPU mask
 * and the counters stay; the prediction cache is emptied; the network's "replacements"
 * count (network_<id>/stats) goes up. The network becomes what the new model is: a
 * loaded model, so a network made by neural_network_init() is no longer trainable
 * (neural_network_train() returns -EINVAL). A training call in progress is waited for.
 *
 * The new model's whole size is charged against the memory limits before anything is
 * allocated (old and new count together until the swap). On any error nothing changed:
 * the old model still serves.
 *
 * Context: Process context; may sleep.
 * Return: 0, or -EINVAL for a NULL @nn or @blob, a malformed blob, or other input or
 * output lengths or formats (the reason goes to the kernel log), -EFBIG or -ENOSPC over
 * a memory limit, -ENOMEM.
 */
int neural_network_replace(struct neural_network *nn, const void *blob, size_t len);

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
 * Runs on the calling CPU, in that CPU's scratch memory, with the SIMD path where the
 * module's gate allows it; counted in the network's stats. It allocates nothing but,
 * once, the prediction cache's table: a one-input call that finds the cache on and no
 * table makes it (after creation, a re-placement, or the cache switched back on).
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

/* Training: the limits neural_network_train() enforces (as network_<id>/train does). */
#define NEURAL_TRAIN_MAX_EPOCHS		100000
/* The most values (@n_in + @n_targets) of one call: 4 Mi, 8 MiB of arrays. */
#define NEURAL_TRAIN_MAX_VALUES		(4U << 20)
/* A learning rate of 1.0 in Q8.24; a rate is in (0, 8.0): 1 to 8 * NEURAL_LR_ONE - 1. */
#define NEURAL_LR_ONE			(1U << 24)
#define NEURAL_LR_MAX			(8U * NEURAL_LR_ONE - 1)

/**
 * struct neural_train_report - What a call to neural_network_train() did.
 * @samples: samples per epoch (@n_in / input length).
 * @epochs: epochs run.
 * @first_loss: mean squared error per output over the first epoch, in real units
 *              times 2^30 (as network_<id>/train's loss_first, before its scaling).
 * @last_loss: the same over the last epoch.
 */
struct neural_train_report {
	u64 samples;
	u64 epochs;
	u64 first_loss;
	u64 last_loss;
};

/**
 * neural_network_train() - Train a created network with SGD.
 * @nn: a network from neural_network_init() or neural_network_init_numa() (a loaded
 *      network is not trainable: -EINVAL).
 * @inputs: @n_in values: the samples' input vectors, one after the other.
 * @n_in: a positive multiple of the input length.
 * @targets: @n_targets values: each sample's target output vector, in the output
 *           format.
 * @n_targets: (@n_in / input length) times the output length; @n_in + @n_targets at
 *             most NEURAL_TRAIN_MAX_VALUES.
 * @epochs: passes over the samples, 1 to NEURAL_TRAIN_MAX_EPOCHS.
 * @lr: the learning rate in Q8.24 (NEURAL_LR_ONE is 1.0), 1 to NEURAL_LR_MAX.
 * @batch: samples per gradient update, at least 1 (1: plain SGD; the gradients are
 *         also applied at the end of each pass).
 * @report: filled with what the call did on success, if not NULL.
 *
 * As a write to network_<id>/train does, with its limits: backpropagation over the
 * network's own training memory; nothing is allocated for the samples, which are read
 * where they are. Predictions wait while it runs; counted in the network's
 * train_steps (neural_get_numa_stats()). It yields the CPU at bounded intervals.
 *
 * Context: Process context; may sleep (for as long as the training takes).
 * Return: 0; -EINVAL for a NULL or misaligned pointer, lengths that do not fit the
 * network or pass the limit, @epochs, @lr or @batch out of range, or a loaded network
 * (nothing is changed); -EINTR if a fatal signal came (the weights are those of the
 * last gradient step applied; @report is not filled).
 */
int neural_network_train(struct neural_network *nn, const s16 *inputs, size_t n_in,
			 const s16 *targets, size_t n_targets, unsigned int epochs, u32 lr,
			 unsigned int batch, struct neural_train_report *report);

/* An opaque batch: staging buffers of a network's input and output vectors on a node. */
struct neural_batch;

/*
 * The most input vectors a batch takes: with vectors of at most 4096 values, its two
 * buffers hold at most 16 MiB, the most one write to network_<id>/predict takes.
 */
#define NEURAL_BATCH_MAX_INPUTS		1024

/**
 * neural_batch_create_numa() - Make a batch for a network, on a node.
 * @nn: the network.
 * @max_inputs: the most input vectors one neural_batch_process() takes, 1 to
 *              NEURAL_BATCH_MAX_INPUTS.
 * @node: an online node with memory for the batch's buffers (preferred: the page
 *        allocator's fallback if it has no room), or NUMA_NO_NODE for the network's
 *        node (neural_get_numa_node()).
 *
 * The batch owns an input buffer of @max_inputs input vectors and an output buffer of
 * as many output vectors, allocated once, on @node. It holds a reference on @nn and on
 * neural_network until neural_batch_destroy(): a network destroyed meanwhile leaves
 * debugfs at once but keeps its memory, and keeps serving the batch, until then.
 *
 * Context: Process context; may sleep.
 * Return: the batch, or ERR_PTR(-EINVAL) for a NULL @nn, @max_inputs out of range or
 * a node that is not online or has no memory; ERR_PTR(-ENOMEM).
 */
struct neural_batch *neural_batch_create_numa(struct neural_network *nn,
					      unsigned int max_inputs, int node);

/**
 * neural_batch_create() - Make a batch for a network, on the network's node.
 * @nn: the network.
 * @max_inputs: as for neural_batch_create_numa().
 *
 * neural_batch_create_numa() with NUMA_NO_NODE.
 *
 * Context: Process context; may sleep.
 * Return: as neural_batch_create_numa().
 */
struct neural_batch *neural_batch_create(struct neural_network *nn, unsigned int max_inputs);

/**
 * neural_batch_process() - Run input vectors through a batch's network.
 * @batch: the batch.
 * @input: @n_in values: one or more input vectors, one after the other.
 * @n_in: a positive multiple of the input length, at most the batch's max_inputs
 *        vectors.
 * @output: room for @n_out values.
 * @n_out: (@n_in / input length) times the output length.
 *
 * The vectors are copied into the batch's input buffer, run in chunks spread over the
 * CPUs of the network's mask (the CPUs of the nodes its weights are on, or those
 * neural_set_cpu_affinity() set), each chunk by a worker on its CPU (by the caller if
 * no CPU of the mask is online), as a write of several rows to network_<id>/predict
 * is, while the caller waits; then the outputs
 * are copied from the batch's output buffer to @output. A single vector runs on the
 * calling CPU. Counted in the network's stats once (one batch) when all of it ran.
 * Calls on one batch are serialised.
 *
 * The two arrays must be aligned and must not overlap (-EINVAL otherwise).
 *
 * Context: Process context; may sleep.
 * Return: 0, or -EINVAL for a NULL pointer, lengths that do not fit the network or
 * the batch, or arrays misaligned or overlapping (nothing is written); -ENOMEM;
 * -EINTR if a fatal signal came between two rounds of chunks (nothing is written to
 * @output, nothing counted).
 */
int neural_batch_process(struct neural_batch *batch, const s16 *input, size_t n_in,
			 s16 *output, size_t n_out);

/**
 * neural_batch_destroy() - Free a batch.
 * @batch: a batch from neural_batch_create() or neural_batch_create_numa(); NULL or
 *         an ERR_PTR() does nothing.
 *
 * Gives back its references on its network and on neural_network. @batch must not be
 * used again.
 *
 * Context: Process context; may sleep.
 */
void neural_batch_destroy(struct neural_batch *batch);

/**
 * neural_set_numa_nodemask() - Re-place a network over other nodes, keeping its policy.
 * @nn: the network.
 * @nodes: the node list of its policy (as "nodes LIST" in network_<id>/config): the
 *         nodes interleave spreads over, bind allows, replicate copies to.
 *
 * As neural_set_numa_node() otherwise: the memory moves where the policy in force puts
 * it over @nodes (local and preferred record the list; their memory stays where their
 * node puts it); counted in the network's migrations.
 *
 * Context: Process context; may sleep.
 * Return: 0, -EINVAL for a NULL @nn or @nodes, an empty mask, a node that is not
 * online, or (bind, replicate) a node without memory, or (interleave) a mask with no
 * memory at all (nothing is changed); -ENOMEM, -ENOSPC.
 */
int neural_set_numa_nodemask(struct neural_network *nn, const nodemask_t *nodes);

/**
 * neural_set_cpu_affinity() - Choose the CPUs a network's batches run on.
 * @nn: the network.
 * @mask: exactly these CPUs (as "cpus LIST" in network_<id>/config), which must
 *        include an online one; or NULL for the default (as "cpus default"): the CPUs
 *        of the nodes the weights are on, following them when they move.
 *
 * The mask is copied. Single predictions (neural_network_predict()) run on the
 * caller's CPU whatever the mask.
 *
 * Context: Process context; may sleep.
 * Return: 0, -EINVAL for a NULL @nn or a mask with no online CPU (nothing is
 * changed), -ENOMEM.
 */
int neural_set_cpu_affinity(struct neural_network *nn, const struct cpumask *mask);

/**
 * struct neural_numa_info - The machine's NUMA topology, as numa_info in debugfs.
 * @nr_online_nodes: online nodes (neural_get_numa_node_count()).
 * @nr_nodes_with_memory: online nodes with memory.
 * @nr_nodes_with_cpus: online nodes with CPUs.
 * @online: the online nodes.
 * @with_memory: the nodes with memory.
 * @with_cpus: the nodes with CPUs.
 * @mem_total_kib: each online node's MemTotal (nodeN/meminfo), in KiB, by node id; 0
 *                 for other ids.
 * @mem_free_kib: each online node's MemFree, in KiB, by node id; 0 for other ids.
 *
 * A fixed size: 3 nodemask_t and 2 * MAX_NUMNODES u64 (1 KiB with NODES_SHIFT 6, 16
 * KiB with 10): allocate it rather than put it on the stack.
 */
struct neural_numa_info {
	unsigned int nr_online_nodes;
	unsigned int nr_nodes_with_memory;
	unsigned int nr_nodes_with_cpus;
	nodemask_t online;
	nodemask_t with_memory;
	nodemask_t with_cpus;
	u64 mem_total_kib[MAX_NUMNODES];
	u64 mem_free_kib[MAX_NUMNODES];
};

/**
 * neural_get_numa_info() - Read the NUMA topology.
 * @info: filled (every field; what a node lacks is 0).
 *
 * Node states and memory are read live: hotplug shows at the next call.
 *
 * Context: Process context; may sleep.
 * Return: 0, or -EINVAL for a NULL @info.
 */
int neural_get_numa_info(struct neural_numa_info *info);

/**
 * struct neural_numa_stats - A network's counters and where its memory is.
 * @predictions: input vectors predicted (network_<id>/stats: predictions).
 * @batches: calls that predicted them: a neural_network_predict() or a
 *           neural_batch_process() counts 1, whatever its vector count.
 * @local: input vectors predicted on a CPU of the node holding all the weights they
 *         read.
 * @cross_node: input vectors predicted on a CPU of another node.
 * @migrations: re-placements done (set_numa_node, set_numa_policy, migrate_numa_node,
 *              set_numa_nodemask, and their debugfs forms).
 * @migrated_bytes: bytes those re-placements copied.
 * @migration_failures: re-placements that failed (the old placement kept serving).
 * @train_steps: training steps: one per sample and epoch.
 * @bytes: bytes of all its arrays: weights, biases, training memory and the scratch
 *         buffer of every possible CPU (on that CPU's node).
 * @node_bytes: of @bytes, those on each node, by node id (an array's bytes split over
 *              the nodes of its pages in proportion to its pages there).
 * @node: where its weights are, as neural_get_numa_node() says.
 * @cpus_explicit: 1 if neural_set_cpu_affinity() (or "cpus LIST") set @cpus, 0 for
 *                 the default.
 * @cpus: the CPU mask its batches run on now.
 *
 * A fixed size: MAX_NUMNODES u64 and a struct cpumask (NR_CPUS bits) besides the
 * counters: allocate it rather than put it on the stack.
 */
struct neural_numa_stats {
	u64 predictions;
	u64 batches;
	u64 local;
	u64 cross_node;
	u64 migrations;
	u64 migrated_bytes;
	u64 migration_failures;
	u64 train_steps;
	u64 bytes;
	u64 node_bytes[MAX_NUMNODES];
	int node;
	u32 cpus_explicit;
	struct cpumask cpus;
};

/**
 * neural_get_numa_stats() - Read a network's counters and placement.
 * @nn: the network.
 * @stats: filled.
 *
 * Each counter is read on its own (they are atomics, not a snapshot under a lock).
 *
 * Context: Process context; may sleep.
 * Return: 0, -EINVAL for a NULL @nn or @stats, -ENOMEM.
 */
int neural_get_numa_stats(struct neural_network *nn, struct neural_numa_stats *stats);

#endif /* _LINUX_NEURAL_NETWORK_H */
