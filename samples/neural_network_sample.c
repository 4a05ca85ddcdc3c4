// SPDX-License-Identifier: GPL-2.0
/*
 * neural_network_sample: an in-kernel caller of neural_network's API
 * (include/linux/neural_network.h), as a driver would use it.
 *
 * At load it reads the topology, loads a model blob and checks its answer against the
 * host's, replaces the model (neural_network_replace()) and checks it again, creates a
 * network on the best node for its CPU, predicts a batch and checks
 * it row by row, migrates the network to another node with memory and re-places it
 * under another policy, checking that the answers did not change; reads the topology
 * and the network's stats (neural_get_numa_info(), neural_get_numa_stats()), runs
 * batches (neural_batch_*) on the network's node and on each node, against single
 * predictions, sets a CPU mask and a node mask, trains the network (the loss falls), and
 * tries each function's error paths. Each check logs "neural_network_sample: ok NAME" or "neural_network_sample:
 * FAIL NAME: WHY", then a last line "neural_network_sample: N checks, F failed"
 * (tools/testing/guest/tests/80-api.sh reads them). The network and a batch of it are
 * held until the sample is unloaded, so that while it is loaded, rmmod neural_network
 * fails (EWOULDBLOCK, the kernel's answer for a module in use).
 * The load fails (-EINVAL) if a check failed, after destroying the network.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/neural_network.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sample_check.h"
#include "sample_model.h"

#define INPUTS 4
#define HIDDEN 8
#define OUTPUTS 2
#define ROWS 32

static struct neural_network *held;
static struct neural_batch *held_batch;

/* Q3.12 inputs of row @r: a spread of values in (-8, 8). */
static void fill(s16 *in)
{
	int i;

	for (i = 0; i < ROWS * INPUTS; i++)
		in[i] = (s16)((i * 2654435761u) >> 16) / 8;
}

/* The batch, and each of its rows alone: the same answers. */
static int predict_checked(struct neural_network *nn, const s16 *in, s16 *out)
{
	s16 one[OUTPUTS];
	int r, err;

	err = neural_network_predict(nn, in, ROWS * INPUTS, out, ROWS * OUTPUTS);
	if (err)
		return err;
	for (r = 0; r < ROWS; r++) {
		err = neural_network_predict(nn, in + r * INPUTS, INPUTS, one, OUTPUTS);
		if (err)
			return err;
		if (memcmp(one, out + r * OUTPUTS, sizeof(one)))
			return -EIO;
	}
	return 0;
}

static void topology(void)
{
	int n = neural_get_numa_node_count(), node, d, mem = 0, best;

	check(n == num_online_nodes(), "node_count_is_the_online_nodes", "count", n);
	for_each_online_node(node) {
		d = neural_get_numa_distance(node, node);
		if (d != 10)
			check(false, "distance_to_itself_is_10", "distance", d);
		mem += neural_numa_node_has_memory(node) == 1;
	}
	check(mem == num_node_state(N_MEMORY), "nodes_with_memory_counted", "count", mem);
	best = neural_find_best_numa_node();
	check(best >= 0 && neural_numa_node_has_memory(best) == 1, "best_node_has_memory",
	      "node", best);
	pr_info("topology: %d node(s), %d with memory, best node for CPU %d: %d\n", n, mem,
		raw_smp_processor_id(), best);
}

/* The model of rust/kunit/testdata/sample.nnm: its answer for one input is the host's. */
static void known_model(void)
{
	static const u8 junk[16] = "not a model";
	static const s16 input[3] = { 256, -128, 64 };
	unsigned int in_dim = 0, out_dim = 0;
	struct neural_network *nn;
	s16 out[2] = { 0x5a5a, 0x5a5a };
	int err;

	BUILD_BUG_ON(ARRAY_SIZE(sample_output) != ARRAY_SIZE(out));
	nn = neural_network_load(sample_model, sizeof(sample_model));
	check(!IS_ERR(nn), "load_a_model_blob", "error", PTR_ERR_OR_ZERO(nn));
	if (IS_ERR(nn))
		return;
	err = neural_network_get_dims(nn, &in_dim, &out_dim, NULL, NULL);
	check(!err && in_dim == ARRAY_SIZE(input) && out_dim == ARRAY_SIZE(out),
	      "loaded_dims_are_the_models", "inputs", in_dim);
	err = neural_network_predict(nn, input, ARRAY_SIZE(input), out, ARRAY_SIZE(out));
	check(!err && !memcmp(out, sample_output, sizeof(out)), "loaded_model_gives_the_hosts_answer",
	      "first output", out[0]);
	err = neural_network_train(nn, input, ARRAY_SIZE(input), out, ARRAY_SIZE(out), 1,
				   NEURAL_LR_ONE, 1, NULL);
	check(err == -EINVAL, "train_loaded_network_einval", "got", err);
	/* The same model again: the same answer, from the new layers. */
	memset(out, 0x5a, sizeof(out));
	err = neural_network_replace(nn, sample_model, sizeof(sample_model));
	if (!err)
		err = neural_network_predict(nn, input, ARRAY_SIZE(input), out, ARRAY_SIZE(out));
	check(!err && !memcmp(out, sample_output, sizeof(out)),
	      "replaced_model_gives_the_hosts_answer", "error", err);
	err = neural_network_replace(nn, junk, sizeof(junk));
	check(err == -EINVAL, "replace_junk_einval", "got", err);
	err = neural_network_replace(nn, NULL, 64);
	check(err == -EINVAL, "replace_null_blob_einval", "got", err);
	err = neural_network_replace(NULL, sample_model, sizeof(sample_model));
	check(err == -EINVAL, "replace_null_network_einval", "got", err);
	neural_network_destroy(nn);
}

static void bad_arguments(struct neural_network *nn)
{
	static const u8 junk[16] = "not a model";
	struct neural_network *bad;
	s16 in[INPUTS] = {}, out[OUTPUTS];

	bad = neural_network_init(0, HIDDEN, OUTPUTS);
	check(PTR_ERR(bad) == -EINVAL, "init_zero_inputs_einval", "got", PTR_ERR(bad));
	bad = neural_network_init(INPUTS, 5000, OUTPUTS);
	check(PTR_ERR(bad) == -EINVAL, "init_too_wide_einval", "got", PTR_ERR(bad));
	bad = neural_network_init_numa(INPUTS, HIDDEN, OUTPUTS, MAX_NUMNODES);
	check(PTR_ERR(bad) == -EINVAL, "init_node_out_of_range_einval", "got", PTR_ERR(bad));
	bad = neural_network_load(NULL, 64);
	check(PTR_ERR(bad) == -EINVAL, "load_null_einval", "got", PTR_ERR(bad));
	bad = neural_network_load(junk, sizeof(junk));
	check(PTR_ERR(bad) == -EINVAL, "load_junk_einval", "got", PTR_ERR(bad));
	/* The sample model has 3 inputs, this network INPUTS. */
	check(neural_network_replace(nn, sample_model, sizeof(sample_model)) == -EINVAL,
	      "replace_other_widths_einval", "", 0);
	check(neural_network_predict(NULL, in, INPUTS, out, OUTPUTS) == -EINVAL,
	      "predict_null_network_einval", "", 0);
	check(neural_network_predict(nn, NULL, INPUTS, out, OUTPUTS) == -EINVAL,
	      "predict_null_input_einval", "", 0);
	check(neural_network_predict(nn, in, INPUTS - 1, out, OUTPUTS) == -EINVAL,
	      "predict_short_input_einval", "", 0);
	check(neural_network_predict(nn, in, INPUTS, out, OUTPUTS + 1) == -EINVAL,
	      "predict_wrong_output_length_einval", "", 0);
	check(neural_network_predict(nn, in, INPUTS, in, OUTPUTS) == -EINVAL,
	      "predict_overlapping_arrays_einval", "", 0);
	check(neural_migrate_numa_node(nn, MAX_NUMNODES) == -EINVAL,
	      "migrate_node_out_of_range_einval", "", 0);
	check(neural_set_numa_policy(nn, 5) == -EINVAL, "unknown_policy_einval", "", 0);
	check(neural_get_numa_distance(-1, 0) == -EINVAL, "distance_bad_node_einval", "", 0);
	check(neural_numa_node_has_memory(MAX_NUMNODES) == -EINVAL,
	      "has_memory_bad_node_einval", "", 0);
	check(neural_get_numa_node(NULL) == -EINVAL, "get_node_null_einval", "", 0);
	neural_network_destroy(NULL);
	neural_network_destroy(ERR_PTR(-ENOMEM));
}

static void info_and_stats(struct neural_network *nn, const s16 *in, s16 *again)
{
	struct neural_numa_stats *s0, *s1;
	struct neural_numa_info *info;
	bool mem_ok = true;
	u64 sum = 0;
	int node, err;

	info = kzalloc_obj(*info, GFP_KERNEL);
	s0 = kzalloc_obj(*s0, GFP_KERNEL);
	s1 = kzalloc_obj(*s1, GFP_KERNEL);
	if (!info || !s0 || !s1) {
		check(false, "info_and_stats_memory", "ENOMEM", 0);
		goto out;
	}
	err = neural_get_numa_info(info);
	check(!err && info->nr_online_nodes == neural_get_numa_node_count() &&
	      nodes_equal(info->online, node_states[N_ONLINE]),
	      "numa_info_agrees_with_the_node_count", "nodes", info->nr_online_nodes);
	for_each_node_state(node, N_MEMORY)
		mem_ok &= info->mem_total_kib[node] > 0 &&
			  info->mem_free_kib[node] <= info->mem_total_kib[node];
	check(!err && mem_ok && info->nr_nodes_with_memory == num_node_state(N_MEMORY) &&
	      nodes_equal(info->with_memory, node_states[N_MEMORY]) &&
	      nodes_equal(info->with_cpus, node_states[N_CPU]),
	      "numa_info_nodes_with_memory", "nodes", info->nr_nodes_with_memory);
	pr_info("numa_info: %u node(s) online, %u with memory, %u with CPUs\n",
		info->nr_online_nodes, info->nr_nodes_with_memory, info->nr_nodes_with_cpus);
	check(neural_get_numa_info(NULL) == -EINVAL, "numa_info_null_einval", "", 0);

	err = neural_get_numa_stats(nn, s0);
	if (!err)
		err = predict_checked(nn, in, again);
	if (!err)
		err = neural_get_numa_stats(nn, s1);
	check(!err && s1->predictions == s0->predictions + 2 * ROWS &&
	      s1->batches == s0->batches + ROWS + 1 &&
	      s1->local + s1->cross_node == s1->predictions,
	      "numa_stats_count_the_predictions", "predictions",
	      (long)(s1->predictions - s0->predictions));
	check(!err && s1->node == neural_get_numa_node(nn), "numa_stats_node_is_the_networks",
	      "node", s1->node);
	for (node = 0; node < MAX_NUMNODES; node++)
		sum += s1->node_bytes[node];
	check(!err && s1->bytes > 0 && sum == s1->bytes, "numa_stats_bytes_by_node", "bytes",
	      (long)s1->bytes);
	pr_info("numa_stats: %llu predictions in %llu calls, %llu local, %llu bytes, node %d\n",
		s1->predictions, s1->batches, s1->local, s1->bytes, s1->node);
	check(neural_get_numa_stats(NULL, s0) == -EINVAL, "numa_stats_null_network_einval", "", 0);
	check(neural_get_numa_stats(nn, NULL) == -EINVAL, "numa_stats_null_stats_einval", "", 0);
out:
	kfree(info);
	kfree(s0);
	kfree(s1);
}

/* @b's answers for @rows rows of @in are @want's. */
static int batch_gives(struct neural_batch *b, const s16 *in, unsigned int rows,
		       const s16 *want)
{
	s16 *got;
	int err;

	got = kmalloc_array(rows * OUTPUTS, sizeof(*got), GFP_KERNEL);
	if (!got)
		return -ENOMEM;
	err = neural_batch_process(b, in, rows * INPUTS, got, rows * OUTPUTS);
	if (!err && memcmp(got, want, rows * OUTPUTS * sizeof(*got)))
		err = -EIO;
	kfree(got);
	return err;
}

/* A network's answers, one row at a time, into @out. */
static int singles(struct neural_network *nn, const s16 *in, unsigned int rows, s16 *out)
{
	unsigned int r;
	int err;

	for (r = 0; r < rows; r++) {
		err = neural_network_predict(nn, in + r * INPUTS, INPUTS, out + r * OUTPUTS,
					     OUTPUTS);
		if (err)
			return err;
	}
	return 0;
}

static void batch_checks(struct neural_network *nn, const s16 *in, s16 *want)
{
	struct neural_numa_stats *s0, *s1;
	struct neural_network *nn2;
	struct neural_batch *b, *bad;
	s16 *big, *got = NULL;
	int node, err, worst = 0;

	s0 = kzalloc_obj(*s0, GFP_KERNEL);
	s1 = kzalloc_obj(*s1, GFP_KERNEL);
	big = kcalloc((ROWS + 1) * (INPUTS + OUTPUTS), sizeof(*big), GFP_KERNEL);
	if (!s0 || !s1 || !big) {
		check(false, "batch_memory", "ENOMEM", 0);
		goto out;
	}
	got = big + (ROWS + 1) * INPUTS;

	/* On the network's node: the batch gives what 32 single predictions give. */
	err = singles(nn, in, ROWS, want);
	b = neural_batch_create(nn, ROWS);
	check(!IS_ERR(b), "batch_create_on_the_networks_node", "error", PTR_ERR_OR_ZERO(b));
	if (IS_ERR(b))
		goto out;
	held_batch = b;
	if (!err)
		err = neural_get_numa_stats(nn, s0);
	if (!err)
		err = neural_batch_process(b, in, ROWS * INPUTS, got, ROWS * OUTPUTS);
	if (!err && memcmp(got, want, ROWS * OUTPUTS * sizeof(*got)))
		err = -EIO;
	check(!err, "batch_of_32_is_32_single_predictions", "error", err);
	err = err ?: neural_get_numa_stats(nn, s1);
	check(!err && s1->predictions == s0->predictions + ROWS &&
	      s1->batches == s0->batches + 1, "batch_counted_once", "batches",
	      (long)(s1->batches - s0->batches));
	err = batch_gives(b, in + 3 * INPUTS, 5, want + 3 * OUTPUTS);
	check(!err, "batch_of_fewer_rows", "error", err);
	err = batch_gives(b, in + 7 * INPUTS, 1, want + 7 * OUTPUTS);
	check(!err, "batch_of_one_row", "error", err);

	/* On each node with memory: the same answers. */
	for_each_node_state(node, N_MEMORY) {
		bad = neural_batch_create_numa(nn, ROWS, node);
		err = IS_ERR(bad) ? PTR_ERR(bad) : batch_gives(bad, in, ROWS, want);
		neural_batch_destroy(bad);
		if (err)
			worst = err;
	}
	check(!worst, "batch_on_each_node_same_answers", "error", worst);

	/* A batch keeps its network: destroyed, it still serves the batch. */
	nn2 = neural_network_init(INPUTS, HIDDEN, OUTPUTS);
	err = PTR_ERR_OR_ZERO(nn2);
	if (!err) {
		bad = neural_batch_create(nn2, 4);
		err = singles(nn2, in, 4, got);
		if (IS_ERR(bad))
			err = PTR_ERR(bad);
		neural_network_destroy(nn2);
		if (!err)
			err = batch_gives(bad, in, 4, got);
		neural_batch_destroy(bad);
	}
	check(!err, "batch_works_after_its_network_is_destroyed", "error", err);

	bad = neural_batch_create(NULL, ROWS);
	check(PTR_ERR(bad) == -EINVAL, "batch_create_null_network_einval", "got", PTR_ERR(bad));
	bad = neural_batch_create(nn, 0);
	check(PTR_ERR(bad) == -EINVAL, "batch_create_zero_inputs_einval", "got", PTR_ERR(bad));
	bad = neural_batch_create(nn, NEURAL_BATCH_MAX_INPUTS + 1);
	check(PTR_ERR(bad) == -EINVAL, "batch_create_over_the_bound_einval", "got", PTR_ERR(bad));
	bad = neural_batch_create_numa(nn, ROWS, MAX_NUMNODES);
	err = PTR_ERR(bad);
	node = first_unset_node(node_states[N_ONLINE]);
	if (err == -EINVAL && node < MAX_NUMNODES) {
		bad = neural_batch_create_numa(nn, ROWS, node);
		err = PTR_ERR(bad);
	}
	check(err == -EINVAL, "batch_create_bad_node_einval", "got", err);
	check(neural_batch_process(NULL, in, INPUTS, got, OUTPUTS) == -EINVAL,
	      "batch_process_null_batch_einval", "", 0);
	check(neural_batch_process(b, NULL, INPUTS, got, OUTPUTS) == -EINVAL,
	      "batch_process_null_input_einval", "", 0);
	check(neural_batch_process(b, big, (ROWS + 1) * INPUTS, got, (ROWS + 1) * OUTPUTS) ==
	      -EINVAL, "batch_process_over_max_inputs_einval", "", 0);
	check(neural_batch_process(b, in, INPUTS + 1, got, OUTPUTS) == -EINVAL,
	      "batch_process_partial_vector_einval", "", 0);
	check(neural_batch_process(b, in, INPUTS, got, OUTPUTS + 1) == -EINVAL,
	      "batch_process_wrong_output_length_einval", "", 0);
	check(neural_batch_process(b, big, 2 * INPUTS, big + 1, 2 * OUTPUTS) == -EINVAL,
	      "batch_process_overlapping_arrays_einval", "", 0);
	neural_batch_destroy(NULL);
	neural_batch_destroy(ERR_PTR(-EINVAL));
out:
	kfree(s0);
	kfree(s1);
	kfree(big);
}

static void affinity_checks(struct neural_network *nn, const s16 *in, const s16 *want)
{
	struct neural_numa_stats *s;
	cpumask_var_t mask;
	int cpu, err;

	s = kzalloc_obj(*s, GFP_KERNEL);
	if (!s || !zalloc_cpumask_var(&mask, GFP_KERNEL)) {
		kfree(s);
		check(false, "affinity_memory", "ENOMEM", 0);
		return;
	}
	/* The last online CPU alone: batches run there, with the same answers. */
	cpu = cpumask_last(cpu_online_mask);
	cpumask_set_cpu(cpu, mask);
	err = neural_set_cpu_affinity(nn, mask);
	err = err ?: neural_get_numa_stats(nn, s);
	check(!err && s->cpus_explicit && cpumask_equal(&s->cpus, mask), "affinity_sets_the_mask",
	      "error", err);
	err = held_batch ? batch_gives(held_batch, in, ROWS, want) : -ENODEV;
	check(!err, "batch_on_the_cpus_set_same_answers", "error", err);

	cpumask_clear(mask);
	check(neural_set_cpu_affinity(nn, mask) == -EINVAL, "affinity_empty_mask_einval", "", 0);
	check(neural_set_cpu_affinity(NULL, cpu_online_mask) == -EINVAL,
	      "affinity_null_network_einval", "", 0);
	err = neural_get_numa_stats(nn, s);
	check(!err && s->cpus_explicit && cpumask_weight(&s->cpus) == 1 &&
	      cpumask_test_cpu(cpu, &s->cpus), "affinity_refused_changes_nothing", "error", err);

	/*
	 * NULL: the default, the CPUs of the nodes that hold the weights (the nearest node's
	 * for a node without CPUs). Its first layer's node is one of them; the others can be
	 * another node when the policy falls back (local, on a full node).
	 */
	err = neural_set_cpu_affinity(nn, NULL);
	err = err ?: neural_get_numa_stats(nn, s);
	check(!err && !s->cpus_explicit && s->node >= 0 && !cpumask_empty(&s->cpus) &&
	      (!node_state(s->node, N_CPU) || cpumask_subset(cpumask_of_node(s->node), &s->cpus)),
	      "affinity_null_is_the_default", "error", err);
	free_cpumask_var(mask);
	kfree(s);
}

static void nodemask_checks(struct neural_network *nn)
{
	struct neural_numa_stats *s0, *s1;
	int home, target, node, err;
	nodemask_t m;

	s0 = kzalloc_obj(*s0, GFP_KERNEL);
	s1 = kzalloc_obj(*s1, GFP_KERNEL);
	if (!s0 || !s1) {
		check(false, "nodemask_memory", "ENOMEM", 0);
		goto out;
	}
	/*
	 * Bound to the first node with memory that has room, then its list set to the last
	 * other one that has room: it moves. A full node refuses with -ENOMEM and changes
	 * nothing (a booted machine can have one: its boot allocations filled it), so each
	 * is tried in turn.
	 */
	home = NUMA_NO_NODE;
	err = -ENODEV;
	for_each_node_state(node, N_MEMORY) {
		err = neural_migrate_numa_node(nn, node);
		if (err != -ENOMEM) {
			home = node;
			break;
		}
	}
	err = err ?: neural_get_numa_stats(nn, s0);
	target = home;
	for (node = nr_node_ids - 1; !err && node >= 0; node--) {
		if (node == home || !node_state(node, N_MEMORY))
			continue;
		nodes_clear(m);
		node_set(node, m);
		err = neural_set_numa_nodemask(nn, &m);
		if (err != -ENOMEM) {
			target = node;
			break;
		}
		err = 0;
	}
	if (!err && target == home) {
		/* One node with room: the list set to it alone (a re-placement there). */
		nodes_clear(m);
		node_set(home, m);
		err = neural_set_numa_nodemask(nn, &m);
	}
	err = err ?: neural_get_numa_stats(nn, s1);
	check(!err && s1->node == target && neural_get_numa_node(nn) == target &&
	      s1->migrations == s0->migrations + 1, "nodemask_moves_the_weights", "error", err);
	pr_info("nodemask: bound to node %d, then nodes %d: weights on node %d\n", home, target,
		s1->node);

	check(neural_set_numa_nodemask(NULL, &m) == -EINVAL, "nodemask_null_network_einval", "",
	      0);
	check(neural_set_numa_nodemask(nn, NULL) == -EINVAL, "nodemask_null_mask_einval", "", 0);
	nodes_clear(m);
	check(neural_set_numa_nodemask(nn, &m) == -EINVAL, "nodemask_empty_einval", "", 0);
	node = first_unset_node(node_states[N_ONLINE]);
	if (node < MAX_NUMNODES) {
		node_set(node, m);
		err = neural_set_numa_nodemask(nn, &m);
	} else {
		err = -EINVAL;	/* every possible node is online: nothing to refuse */
	}
	check(err == -EINVAL, "nodemask_offline_node_einval", "got", err);
	for_each_online_node(node) {
		if (node_state(node, N_MEMORY))
			continue;
		nodes_clear(m);
		node_set(node, m);
		err = neural_set_numa_nodemask(nn, &m);
		check(err == -EINVAL, "nodemask_memoryless_node_einval", "got", err);
		break;
	}
	err = neural_get_numa_stats(nn, s0);
	check(!err && s0->node == target && s0->migrations == s1->migrations &&
	      s0->migration_failures == s1->migration_failures,
	      "nodemask_refused_changes_nothing", "error", err);
out:
	kfree(s0);
	kfree(s1);
}

#define SAMPLES 8
#define EPOCHS 200

static void train_checks(struct neural_network *nn, const s16 *in)
{
	struct neural_train_report r = {};
	s16 t[SAMPLES * OUTPUTS], before[SAMPLES * OUTPUTS], after[SAMPLES * OUTPUTS];
	struct neural_numa_stats *s0, *s1;
	const size_t n_in = SAMPLES * INPUTS, n_t = SAMPLES * OUTPUTS;
	const u32 lr = NEURAL_LR_ONE / 16;
	size_t big;
	int i, err;

	s0 = kzalloc_obj(*s0, GFP_KERNEL);
	s1 = kzalloc_obj(*s1, GFP_KERNEL);
	if (!s0 || !s1) {
		check(false, "train_memory", "ENOMEM", 0);
		goto out;
	}
	/* Targets a small network learns: (x0 + x1) / 2 and x2 - x3 / 2. */
	for (i = 0; i < SAMPLES; i++) {
		const s16 *x = in + i * INPUTS;

		t[i * OUTPUTS] = (x[0] + x[1]) / 2;
		t[i * OUTPUTS + 1] = x[2] - x[3] / 2;
	}
	err = singles(nn, in, SAMPLES, before);
	err = err ?: neural_get_numa_stats(nn, s0);
	err = err ?: neural_network_train(nn, in, n_in, t, n_t, EPOCHS, lr, 1, &r);
	err = err ?: neural_get_numa_stats(nn, s1);
	check(!err && r.last_loss < r.first_loss, "train_lowers_the_loss", "error", err);
	pr_info("train: %llu samples, %llu epochs, loss %llu -> %llu (2^-30)\n", r.samples,
		r.epochs, r.first_loss, r.last_loss);
	check(!err && r.samples == SAMPLES && r.epochs == EPOCHS &&
	      s1->train_steps == s0->train_steps + SAMPLES * EPOCHS,
	      "train_counts_its_steps", "steps", (long)(s1->train_steps - s0->train_steps));
	err = err ?: singles(nn, in, SAMPLES, after);
	check(!err && memcmp(before, after, sizeof(after)), "train_changes_the_answers", "error",
	      err);

	check(neural_network_train(NULL, in, n_in, t, n_t, 1, lr, 1, NULL) == -EINVAL,
	      "train_null_network_einval", "", 0);
	check(neural_network_train(nn, NULL, n_in, t, n_t, 1, lr, 1, NULL) == -EINVAL,
	      "train_null_inputs_einval", "", 0);
	check(neural_network_train(nn, in, n_in, NULL, n_t, 1, lr, 1, NULL) == -EINVAL,
	      "train_null_targets_einval", "", 0);
	check(neural_network_train(nn, in, n_in - 1, t, n_t, 1, lr, 1, NULL) == -EINVAL,
	      "train_partial_input_einval", "", 0);
	check(neural_network_train(nn, in, n_in, t, n_t - 1, 1, lr, 1, NULL) == -EINVAL,
	      "train_wrong_target_length_einval", "", 0);
	check(neural_network_train(nn, in, n_in, t, n_t, 0, lr, 1, NULL) == -EINVAL &&
	      neural_network_train(nn, in, n_in, t, n_t, NEURAL_TRAIN_MAX_EPOCHS + 1, lr, 1,
				   NULL) == -EINVAL, "train_epochs_out_of_range_einval", "", 0);
	check(neural_network_train(nn, in, n_in, t, n_t, 1, 0, 1, NULL) == -EINVAL &&
	      neural_network_train(nn, in, n_in, t, n_t, 1, NEURAL_LR_MAX + 1, 1, NULL) == -EINVAL,
	      "train_rate_out_of_range_einval", "", 0);
	check(neural_network_train(nn, in, n_in, t, n_t, 1, lr, 0, NULL) == -EINVAL,
	      "train_zero_batch_einval", "", 0);
	check(neural_network_train(nn, (const s16 *)((const char *)in + 1), n_in, t, n_t, 1, lr,
				   1, NULL) == -EINVAL, "train_misaligned_input_einval", "", 0);
	/* Past the value limit: refused before a value is read. */
	big = NEURAL_TRAIN_MAX_VALUES / (INPUTS + OUTPUTS) + 1;
	check(neural_network_train(nn, in, big * INPUTS, t, big * OUTPUTS, 1, lr, 1, NULL) ==
	      -EINVAL, "train_over_the_value_limit_einval", "", 0);
	err = neural_get_numa_stats(nn, s0);
	err = err ?: singles(nn, in, SAMPLES, before);
	check(!err && s0->train_steps == s1->train_steps && !memcmp(before, after, sizeof(after)),
	      "refused_training_changes_nothing", "error", err);
out:
	kfree(s0);
	kfree(s1);
}

static int __init sample_init(void)
{
	unsigned int in_dim = 0, out_dim = 0, in_frac = 0, out_frac = 0;
	struct neural_network *nn;
	s16 *in, *out, *again;
	int best, node, home, other = NUMA_NO_NODE, err;

	topology();
	known_model();
	best = neural_find_best_numa_node();
	nn = neural_network_init_numa(INPUTS, HIDDEN, OUTPUTS, best);
	if (IS_ERR(nn)) {
		pr_err("FAIL init_numa: error %ld\n", PTR_ERR(nn));
		return PTR_ERR(nn);
	}
	held = nn;
	node = neural_get_numa_node(nn);
	check(node == best, "init_numa_on_the_node_asked_for", "node", node);
	err = neural_network_get_dims(nn, &in_dim, &out_dim, &in_frac, &out_frac);
	check(!err && in_dim == INPUTS && out_dim == OUTPUTS && in_frac == 12 && out_frac == 12,
	      "dims_as_created", "error", err);
	err = neural_set_numa_node(nn, node);
	check(!err && neural_get_numa_node(nn) == node, "set_node_to_its_own_node", "error", err);

	in = kmalloc_array(ROWS * INPUTS, sizeof(*in), GFP_KERNEL);
	out = kmalloc_array(ROWS * OUTPUTS, sizeof(*out), GFP_KERNEL);
	again = kmalloc_array(ROWS * OUTPUTS, sizeof(*again), GFP_KERNEL);
	if (!in || !out || !again) {
		err = -ENOMEM;
		goto out;
	}
	fill(in);
	err = predict_checked(nn, in, out);
	check(!err, "batch_of_32_is_each_row_alone", "error", err);
	pr_info("network on node %d: %u inputs (frac %u), %u outputs (frac %u); row 0 -> %d %d\n",
		node, in_dim, in_frac, out_dim, out_frac, out[0], out[1]);

	/*
	 * To another node with memory: the first that has room (a full node refuses with
	 * -ENOMEM and the network stays where it was).
	 */
	home = neural_get_numa_node(nn);
	err = -ENODEV;
	for_each_node_state(node, N_MEMORY) {
		if (node == home)
			continue;
		other = node;
		err = neural_migrate_numa_node(nn, node);
		if (err != -ENOMEM)
			break;
		if (neural_get_numa_node(nn) != home)
			check(false, "failed_migration_stays_put", "node", neural_get_numa_node(nn));
	}
	if (other != NUMA_NO_NODE) {
		check(!err && neural_get_numa_node(nn) == other, "migrate_to_another_node",
		      "error", err);
		err = predict_checked(nn, in, again);
		check(!err && !memcmp(out, again, ROWS * OUTPUTS * sizeof(*out)),
		      "same_answers_after_migration", "error", err);
		pr_info("migrated to node %d\n", other);
	} else {
		err = neural_migrate_numa_node(nn, neural_get_numa_node(nn));
		check(!err, "migrate_to_its_own_node", "error", err);
	}
	err = neural_set_numa_policy(nn, NEURAL_NUMA_LOCAL);
	if (!err)
		err = predict_checked(nn, in, again);
	check(!err && !memcmp(out, again, ROWS * OUTPUTS * sizeof(*out)),
	      "same_answers_under_policy_local", "error", err);
	info_and_stats(nn, in, again);
	batch_checks(nn, in, again);
	affinity_checks(nn, in, again);
	nodemask_checks(nn);
	train_checks(nn, in);
	bad_arguments(nn);
	err = 0;
out:
	kfree(in);
	kfree(out);
	kfree(again);
	pr_info("%u checks, %u failed\n", checks, failed);
	if (err || failed) {
		neural_batch_destroy(held_batch);
		held_batch = NULL;
		neural_network_destroy(held);
		held = NULL;
		return err ?: -EINVAL;
	}
	return 0;
}

static void __exit sample_exit(void)
{
	neural_batch_destroy(held_batch);
	neural_network_destroy(held);
	pr_info("destroyed its batch and its network\n");
}

module_init(sample_init);
module_exit(sample_exit);
MODULE_DESCRIPTION("An in-kernel caller of the neural_network API");
MODULE_LICENSE("GPL");
