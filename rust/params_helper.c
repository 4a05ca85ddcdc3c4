// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters of neural_network, registered from C.
 *
 * Rust's module! macro in Linux 7.3 registers parameters with permission 0, so they never
 * appear under /sys/module/neural_network/parameters/. These are registered here with
 * module_param_cb() instead: readable by everyone, and the run-time tunables
 * writable by root. Every value goes through a checking setter, at insmod/modprobe time
 * and on a sysfs write alike: a value out of range is refused with -EINVAL and a log line
 * that names the parameter and the accepted range, and the old value stays. A sysfs write
 * also needs CAP_SYS_ADMIN (nn_param_permitted()), whatever the file's mode lets through.
 *
 * Rust reads the values through the nn_param_*() getters at the bottom (rust/params.rs).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/numa.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "params_helper.h"

static int nn_numa_policy = NN_POLICY_LOCAL;
static int nn_default_numa_node = NUMA_NO_NODE;
static char nn_numa_nodes[NN_NODELIST_MAX + 1];	/* "": every node with memory */
static bool nn_enable_simd = true;
static unsigned int nn_simd_threshold;	/* 0: the break-even measured at load */
static unsigned int nn_cache_timeout_ms = NN_CACHE_TIMEOUT_DEFAULT_MS;
static bool nn_strict_input;
static unsigned int nn_max_network_mb;	/* 0: a quarter of RAM (rust/params.rs) */
static unsigned int nn_max_total_mb;	/* 0: half of RAM */
static unsigned int nn_max_networks = NN_MAX_NETWORKS_DEFAULT;

/*
 * Who may set a parameter. While the module loads (state COMING: the values given to
 * insmod/modprobe, parsed before the module's init), the loader, whom finit_module() has
 * checked for CAP_SYS_MODULE. Once it is live (a sysfs write), a process with
 * CAP_SYS_ADMIN: the file's mode (0644) lets any uid-0 process through, and a root
 * process that dropped the capability, or a container's root, is not an administrator of
 * the machine's networks. Built in, the values come from the command line at boot.
 */
static int nn_param_permitted(const struct kernel_param *kp)
{
	if (capable(CAP_SYS_ADMIN))
		return 0;
#ifdef MODULE
	if (READ_ONCE(THIS_MODULE->state) != MODULE_STATE_LIVE && capable(CAP_SYS_MODULE))
		return 0;
#endif
	pr_notice_ratelimited("parameter '%s' not set: %s[%d] lacks CAP_SYS_ADMIN\n",
			      kp->name, current->comm, task_pid_nr(current));
	return -EPERM;
}

/* The length of @val without the newline that `echo` leaves on sysfs writes. */
static int nn_param_len(const char *val)
{
	return val ? (int)strcspn(val, "\n") : 0;
}

static int nn_param_set_int_range(const char *val, const struct kernel_param *kp,
				  int min, int max, const char *what)
{
	int v;

	if (nn_param_permitted(kp))
		return -EPERM;
	if (kstrtoint(val, 0, &v) || v < min || v > max) {
		pr_err("invalid value '%.*s' for parameter '%s': expected %s\n",
		       nn_param_len(val), val, kp->name, what);
		return -EINVAL;
	}
	WRITE_ONCE(*(int *)kp->arg, v);
	return 0;
}

static int nn_param_set_policy(const char *val, const struct kernel_param *kp)
{
	return nn_param_set_int_range(val, kp, NN_POLICY_LOCAL, NN_POLICY_REPLICATE,
		"0 (local), 1 (interleave), 2 (preferred), 3 (bind) or 4 (replicate)");
}

static int nn_param_set_node(const char *val, const struct kernel_param *kp)
{
	return nn_param_set_int_range(val, kp, NUMA_NO_NODE, MAX_NUMNODES - 1,
		"-1 (none) or a node number below MAX_NUMNODES (" __stringify(MAX_NUMNODES) ")");
}

/*
 * The syntax only (digits, commas and dashes, at most NN_NODELIST_MAX bytes); which nodes
 * exist and have memory is checked when the module initialises (rust/numa/placement.rs).
 */
static int nn_param_set_nodes(const char *val, const struct kernel_param *kp)
{
	int len = nn_param_len(val);
	int i;

	if (nn_param_permitted(kp))
		return -EPERM;
	if (len > NN_NODELIST_MAX) {
		pr_err("invalid value for parameter '%s': a node list of at most %d bytes expected\n",
		       kp->name, NN_NODELIST_MAX);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!isdigit(val[i]) && val[i] != ',' && val[i] != '-') {
			pr_err("invalid value '%.*s' for parameter '%s': expected a node list such as 0-3,6\n",
			       len, val, kp->name);
			return -EINVAL;
		}
	}
	memcpy(nn_numa_nodes, val, len);
	nn_numa_nodes[len] = '\0';
	return 0;
}

static int nn_param_get_nodes(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", nn_numa_nodes);
}

/* An unsigned value from @min to @max; @from names the least ("0 (automatic)") and @unit
 * the unit ("MiB") in the log line. */
static int nn_param_set_uint_range(const char *val, const struct kernel_param *kp,
				   unsigned int min, unsigned int max, const char *from,
				   const char *unit)
{
	unsigned int v;

	if (nn_param_permitted(kp))
		return -EPERM;
	if (kstrtouint(val, 0, &v) || v < min || v > max) {
		pr_err("invalid value '%.*s' for parameter '%s': expected %s to %u (%s)\n",
		       nn_param_len(val), val, kp->name, from, max, unit);
		return -EINVAL;
	}
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static int nn_param_set_timeout(const char *val, const struct kernel_param *kp)
{
	return nn_param_set_uint_range(val, kp, 0, NN_CACHE_TIMEOUT_MAX_MS, "0", "milliseconds");
}

static int nn_param_set_threshold(const char *val, const struct kernel_param *kp)
{
	return nn_param_set_uint_range(val, kp, 0, NN_SIMD_THRESHOLD_MAX, "0 (automatic)",
				       "values per row");
}

static int nn_param_set_mb(const char *val, const struct kernel_param *kp)
{
	return nn_param_set_uint_range(val, kp, 0, NN_MEM_LIMIT_MAX_MB, "0 (automatic)", "MiB");
}

static int nn_param_set_networks(const char *val, const struct kernel_param *kp)
{
	return nn_param_set_uint_range(val, kp, 1, NN_MAX_NETWORKS_MAX, "1", "networks");
}

static int nn_param_set_bool(const char *val, const struct kernel_param *kp)
{
	int ret;

	if (nn_param_permitted(kp))
		return -EPERM;
	ret = param_set_bool(val, kp);

	if (ret)
		pr_err("invalid value '%.*s' for parameter '%s': expected 0/1, y/n or on/off\n",
		       nn_param_len(val), val ?: "", kp->name);
	return ret;
}

static const struct kernel_param_ops nn_policy_ops = {
	.set = nn_param_set_policy,
	.get = param_get_int,
};

static const struct kernel_param_ops nn_node_ops = {
	.set = nn_param_set_node,
	.get = param_get_int,
};

static const struct kernel_param_ops nn_nodes_ops = {
	.set = nn_param_set_nodes,
	.get = nn_param_get_nodes,
};

static const struct kernel_param_ops nn_timeout_ops = {
	.set = nn_param_set_timeout,
	.get = param_get_uint,
};

static const struct kernel_param_ops nn_threshold_ops = {
	.set = nn_param_set_threshold,
	.get = param_get_uint,
};

static const struct kernel_param_ops nn_mb_ops = {
	.set = nn_param_set_mb,
	.get = param_get_uint,
};

static const struct kernel_param_ops nn_networks_ops = {
	.set = nn_param_set_networks,
	.get = param_get_uint,
};

static const struct kernel_param_ops nn_bool_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = nn_param_set_bool,
	.get = param_get_bool,
};

module_param_cb(neural_numa_policy, &nn_policy_ops, &nn_numa_policy, 0444);
MODULE_PARM_DESC(neural_numa_policy,
		 "Where network memory goes: 0 local (default), 1 interleave, 2 preferred, 3 bind, "
		 "4 replicate");

module_param_cb(neural_default_numa_node, &nn_node_ops, &nn_default_numa_node, 0444);
MODULE_PARM_DESC(neural_default_numa_node,
		 "Node for the preferred policy, and bind without neural_numa_nodes (-1 = none, the default)");

module_param_cb(neural_numa_nodes, &nn_nodes_ops, &nn_numa_nodes, 0444);
MODULE_PARM_DESC(neural_numa_nodes,
		 "Node list for interleave, bind and replicate, such as 0-3,6 (default: every node "
		 "with memory)");

module_param_cb(neural_enable_simd, &nn_bool_ops, &nn_enable_simd, 0644);
MODULE_PARM_DESC(neural_enable_simd,
		 "Use the SIMD inference path where it pays (default 1; writable at run time)");

module_param_cb(neural_simd_threshold, &nn_threshold_ops, &nn_simd_threshold, 0644);
MODULE_PARM_DESC(neural_simd_threshold,
		 "Least row length (a layer's inputs) that runs the SIMD path (default 0: the "
		 "break-even measured at load; max " __stringify(NN_SIMD_THRESHOLD_MAX)
		 "; writable at run time)");

module_param_cb(neural_cache_timeout_ms, &nn_timeout_ops, &nn_cache_timeout_ms, 0644);
MODULE_PARM_DESC(neural_cache_timeout_ms,
		 "Prediction cache entry lifetime in ms, 0 disables the cache (default "
		 __stringify(NN_CACHE_TIMEOUT_DEFAULT_MS) ", max "
		 __stringify(NN_CACHE_TIMEOUT_MAX_MS) "; writable at run time; "
		 "a network's config cache_timeout overrides it)");

module_param_cb(neural_max_network_mb, &nn_mb_ops, &nn_max_network_mb, 0644);
MODULE_PARM_DESC(neural_max_network_mb,
		 "Most memory one network may take, in MiB (default 0: a quarter of RAM; max "
		 __stringify(NN_MEM_LIMIT_MAX_MB) "; writable at run time)");

module_param_cb(neural_max_total_mb, &nn_mb_ops, &nn_max_total_mb, 0644);
MODULE_PARM_DESC(neural_max_total_mb,
		 "Most memory all networks together may take, in MiB (default 0: half of RAM; max "
		 __stringify(NN_MEM_LIMIT_MAX_MB) "; writable at run time)");

module_param_cb(neural_max_networks, &nn_networks_ops, &nn_max_networks, 0644);
MODULE_PARM_DESC(neural_max_networks,
		 "Most networks alive at once (default " __stringify(NN_MAX_NETWORKS_DEFAULT)
		 ", 1 to " __stringify(NN_MAX_NETWORKS_MAX) "; writable at run time: lowered "
		 "below the count, it refuses creations until removals bring the count under it)");

module_param_cb(neural_strict_input, &nn_bool_ops, &nn_strict_input, 0644);
MODULE_PARM_DESC(neural_strict_input,
		 "predict refuses an input beyond the network's input format with EINVAL instead "
		 "of saturating it (default 0; writable at run time)");

int nn_param_numa_policy(void)
{
	return READ_ONCE(nn_numa_policy);
}

int nn_param_default_numa_node(void)
{
	return READ_ONCE(nn_default_numa_node);
}

/* Copies neural_numa_nodes into @buf (NUL-terminated); returns its length. */
size_t nn_param_numa_nodes(char *buf, size_t size)
{
	ssize_t n = strscpy(buf, nn_numa_nodes, size);

	return n < 0 ? 0 : n;
}

bool nn_param_enable_simd(void)
{
	return READ_ONCE(nn_enable_simd);
}

unsigned int nn_param_simd_threshold(void)
{
	return READ_ONCE(nn_simd_threshold);
}

unsigned int nn_param_cache_timeout_ms(void)
{
	return READ_ONCE(nn_cache_timeout_ms);
}

bool nn_param_strict_input(void)
{
	return READ_ONCE(nn_strict_input);
}

unsigned int nn_param_max_network_mb(void)
{
	return READ_ONCE(nn_max_network_mb);
}

unsigned int nn_param_max_total_mb(void)
{
	return READ_ONCE(nn_max_total_mb);
}

unsigned int nn_param_max_networks(void)
{
	return READ_ONCE(nn_max_networks);
}
