// SPDX-License-Identifier: GPL-2.0
/*
 * nn_api_fault: one call of neural_network's exported API per write, in the writer's
 * task, so that fail-nth on that task (tools/testing/guest/nn-faultsweep) fails each
 * allocation of each export in turn (tests/19-api-fault.sh).
 *
 * /sys/kernel/debug/nn_api_fault/
 *   blob   write a model blob (kept for "setup", "load" and "replace"; not swept)
 *   call   write a command; the write returns the call's errno, or the length:
 *
 *     setup            load NET from the blob, create TNET ([2, 4, 1]) and a batch of
 *                      64 inputs on NET (not swept: the state the others work on)
 *     teardown         destroy them
 *     init             neural_network_init(8, 16, 4), then destroy what it made
 *     init_numa N      neural_network_init_numa(8, 16, 4, N), the same
 *     load             neural_network_load(blob), the same
 *     replace          neural_network_replace(NET, blob)
 *     predict          neural_network_predict(NET): one input vector of zeros
 *     batch_create     neural_batch_create(NET, 64), then destroy it
 *     batch_process    neural_batch_process() of 64 input vectors of zeros
 *     set_node N       neural_set_numa_node(NET, N)
 *     set_policy P     neural_set_numa_policy(NET, P)
 *     set_nodemask     neural_set_numa_nodemask(NET, every node with memory)
 *     migrate N        neural_migrate_numa_node(NET, N)
 *     set_cpus         neural_set_cpu_affinity(NET, every online CPU)
 *     train            neural_network_train(TNET): XOR, 2 epochs
 *     numa_info        neural_get_numa_info()
 *     numa_stats       neural_get_numa_stats(NET)
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/neural_network.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#define BATCH_ROWS 64
#define MAX_BLOB (1 << 20)

static struct dentry *dir;
static DEFINE_MUTEX(lock);
static void *blob;
static size_t blob_len;
static struct neural_network *net, *tnet;
static struct neural_batch *batch;
static unsigned int in_dim, out_dim;
/* Inputs and outputs of a batch (the biggest call): 64 vectors of up to 4096 values. */
static s16 *xs, *ys;

static void teardown(void)
{
	neural_batch_destroy(batch);
	batch = NULL;
	neural_network_destroy(net);
	net = NULL;
	neural_network_destroy(tnet);
	tnet = NULL;
}

static int setup(void)
{
	int err;

	teardown();
	if (!blob)
		return -EINVAL;
	net = neural_network_load(blob, blob_len);
	if (IS_ERR(net)) {
		err = PTR_ERR(net);
		net = NULL;
		return err;
	}
	err = neural_network_get_dims(net, &in_dim, &out_dim, NULL, NULL);
	if (err)
		goto fail;
	if (in_dim > 4096 || out_dim > 4096) {
		err = -EINVAL;
		goto fail;
	}
	tnet = neural_network_init(2, 4, 1);
	if (IS_ERR(tnet)) {
		err = PTR_ERR(tnet);
		tnet = NULL;
		goto fail;
	}
	batch = neural_batch_create(net, BATCH_ROWS);
	if (IS_ERR(batch)) {
		err = PTR_ERR(batch);
		batch = NULL;
		goto fail;
	}
	return 0;
fail:
	teardown();
	return err;
}

static int need(void *p)
{
	return p ? 0 : -ENOENT;
}

static int run(char *cmd)
{
	char *arg = strchr(cmd, ' ');
	int n = 0, err;

	if (arg) {
		*arg++ = 0;
		if (kstrtoint(arg, 10, &n))
			return -EINVAL;
	}
	if (!strcmp(cmd, "setup"))
		return setup();
	if (!strcmp(cmd, "teardown")) {
		teardown();
		return 0;
	}
	if (!strcmp(cmd, "init") || !strcmp(cmd, "init_numa") || !strcmp(cmd, "load")) {
		struct neural_network *made;

		if (!strcmp(cmd, "init"))
			made = neural_network_init(8, 16, 4);
		else if (!strcmp(cmd, "init_numa"))
			made = neural_network_init_numa(8, 16, 4, n);
		else
			made = blob ? neural_network_load(blob, blob_len) : ERR_PTR(-ENOENT);
		if (IS_ERR(made))
			return PTR_ERR(made);
		neural_network_destroy(made);
		return 0;
	}
	if (!strcmp(cmd, "numa_info")) {
		struct neural_numa_info *info = kmalloc(sizeof(*info), GFP_KERNEL);

		/* The test's own buffer: its failure is this module's, reported as such. */
		if (!info)
			return -ENOMEM;
		err = neural_get_numa_info(info);
		kfree(info);
		return err;
	}
	err = need(net) ?: need(tnet) ?: need(batch);
	if (err)
		return err;
	if (!strcmp(cmd, "replace"))
		return neural_network_replace(net, blob, blob_len);
	if (!strcmp(cmd, "predict")) {
		memset(xs, 0, in_dim * sizeof(*xs));
		return neural_network_predict(net, xs, in_dim, ys, out_dim);
	}
	if (!strcmp(cmd, "batch_create")) {
		struct neural_batch *b = neural_batch_create(net, BATCH_ROWS);

		if (IS_ERR(b))
			return PTR_ERR(b);
		neural_batch_destroy(b);
		return 0;
	}
	if (!strcmp(cmd, "batch_process")) {
		memset(xs, 0, BATCH_ROWS * in_dim * sizeof(*xs));
		return neural_batch_process(batch, xs, BATCH_ROWS * in_dim, ys,
					    BATCH_ROWS * out_dim);
	}
	if (!strcmp(cmd, "set_node"))
		return neural_set_numa_node(net, n);
	if (!strcmp(cmd, "set_policy"))
		return neural_set_numa_policy(net, n);
	if (!strcmp(cmd, "set_nodemask"))
		return neural_set_numa_nodemask(net, &node_states[N_MEMORY]);
	if (!strcmp(cmd, "migrate"))
		return neural_migrate_numa_node(net, n);
	if (!strcmp(cmd, "set_cpus"))
		return neural_set_cpu_affinity(net, cpu_online_mask);
	if (!strcmp(cmd, "train")) {
		/* XOR in Q3.12: inputs 0 and 1.0, targets likewise. */
		static const s16 in[8] = { 0, 0, 0, 4096, 4096, 0, 4096, 4096 };
		static const s16 want[4] = { 0, 4096, 4096, 0 };

		return neural_network_train(tnet, in, 8, want, 4, 2, NEURAL_LR_ONE, 1, NULL);
	}
	if (!strcmp(cmd, "numa_stats")) {
		struct neural_numa_stats *st = kmalloc(sizeof(*st), GFP_KERNEL);

		if (!st)
			return -ENOMEM;
		err = neural_get_numa_stats(net, st);
		kfree(st);
		return err;
	}
	return -EINVAL;
}

static ssize_t call_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	char cmd[64];
	int err;

	if (len == 0 || len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = 0;
	strim(cmd);
	mutex_lock(&lock);
	err = run(cmd);
	mutex_unlock(&lock);
	return err ?: len;
}

static ssize_t blob_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	void *b;

	if (*ppos || len == 0 || len > MAX_BLOB)
		return -EINVAL;
	b = kvmalloc(len, GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	if (copy_from_user(b, ubuf, len)) {
		kvfree(b);
		return -EFAULT;
	}
	mutex_lock(&lock);
	kvfree(blob);
	blob = b;
	blob_len = len;
	mutex_unlock(&lock);
	*ppos = len;
	return len;
}

static const struct file_operations call_fops = {
	.owner = THIS_MODULE,
	.write = call_write,
};

static const struct file_operations blob_fops = {
	.owner = THIS_MODULE,
	.write = blob_write,
};

static int __init nn_api_fault_init(void)
{
	xs = kvmalloc_array(BATCH_ROWS * 4096, sizeof(*xs), GFP_KERNEL);
	ys = kvmalloc_array(BATCH_ROWS * 4096, sizeof(*ys), GFP_KERNEL);
	if (!xs || !ys) {
		kvfree(xs);
		kvfree(ys);
		return -ENOMEM;
	}
	dir = debugfs_create_dir("nn_api_fault", NULL);
	debugfs_create_file("call", 0200, dir, NULL, &call_fops);
	debugfs_create_file("blob", 0200, dir, NULL, &blob_fops);
	return 0;
}

static void __exit nn_api_fault_exit(void)
{
	debugfs_remove_recursive(dir);
	teardown();
	kvfree(blob);
	kvfree(xs);
	kvfree(ys);
}

module_init(nn_api_fault_init);
module_exit(nn_api_fault_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("neural_network test: one exported call per write, for fault injection");
