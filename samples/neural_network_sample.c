// SPDX-License-Identifier: GPL-2.0
/*
 * neural_network_sample: an in-kernel caller of neural_network's API
 * (include/linux/neural_network.h), as a driver would use it.
 *
 * At load it reads the topology, loads a model blob and checks its answer against the
 * host's, creates a network on the best node for its CPU, predicts a batch and checks
 * it row by row, migrates the network to another node with memory and re-places it
 * under another policy, checking that the answers did not change, and tries each
 * function's error paths. Each check logs "neural_network_sample: ok NAME" or "neural_network_sample:
 * FAIL NAME: WHY", then a last line "neural_network_sample: N checks, F failed"
 * (tools/testing/guest/tests/80-api.sh reads them). The network is held until the
 * sample is unloaded, so that while it is loaded, rmmod neural_network fails with EBUSY.
 * The load fails (-EINVAL) if a check failed, after destroying the network.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/neural_network.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sample_model.h"

#define INPUTS 4
#define HIDDEN 8
#define OUTPUTS 2
#define ROWS 32

static struct neural_network *held;
static unsigned int checks, failed;

static void check(bool ok, const char *name, const char *why, long value)
{
	checks++;
	if (ok) {
		pr_info("ok %s\n", name);
	} else {
		failed++;
		pr_err("FAIL %s: %s (%ld)\n", name, why, value);
	}
}

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
	bad_arguments(nn);
	err = 0;
out:
	kfree(in);
	kfree(out);
	kfree(again);
	pr_info("%u checks, %u failed\n", checks, failed);
	if (err || failed) {
		neural_network_destroy(held);
		held = NULL;
		return err ?: -EINVAL;
	}
	return 0;
}

static void __exit sample_exit(void)
{
	neural_network_destroy(held);
	pr_info("destroyed its network\n");
}

module_init(sample_init);
module_exit(sample_exit);
MODULE_DESCRIPTION("An in-kernel caller of the neural_network API");
MODULE_LICENSE("GPL");
