// SPDX-License-Identifier: GPL-2.0
/*
 * BPF programs call the engine: the kfuncs of neural_network (Documentation/
 * neural_network/api.rst, "BPF programs"), and the table of networks they reach by id.
 *
 * The kfuncs, the type they hand out and their BTF id sets live in C: the module's BTF
 * is made from its C objects only (pahole --lang_exclude=rust), so a Rust function
 * could not be a kfunc. Each calls rust/api/bpf.rs for the work.
 *
 * Every network of the registry is published here by id while it exists (its Published
 * attachment, rust/api/bpf.rs): nn_bpf_publish() when it is created, nn_bpf_unpublish()
 * before it goes. A BPF program acquires one by id and releases it in the same run (the
 * verifier sees to that); only programs that cannot sleep may (nn_bpf_filter()), so a
 * program holds an entry for one short run at most.
 *
 * - acquire: under rcu_read_lock(), the entry is looked up in the xarray and its count
 *   taken with atomic_inc_not_zero(); it never sleeps and never allocates.
 * - release: the count is put with release ordering, and nothing else: no wakeup, no
 *   lock, no freeing, so it is safe wherever a program runs (under a runqueue lock, in
 *   NMI).
 * - unpublish: the entry leaves the xarray and the publisher's count is put; while a
 *   program still holds one, unpublish sleeps a millisecond at a time until it is
 *   released. The entry itself is freed after a grace period (kfree_rcu()): an acquire
 *   that found it just before it left reads a count of zero, not freed memory.
 *
 * So the network (the Published attachment holds a reference on it) outlives every
 * prediction a BPF program makes through an entry.
 *
 * A program's vectors may be memory that others write meanwhile (a map value another
 * CPU or an mmap()ed array changes): the kfunc copies the input in, and the output out,
 * through buffers of its own, so that the engine (and its prediction cache) sees one
 * vector throughout.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "bpf_helper.h"

/**
 * struct bpf_neural_network - A network as a BPF program holds it.
 * @id: the network's id (network_<id>/ in debugfs).
 * @inputs: the length of an input vector, in s16 values.
 * @outputs: the length of an output vector, in s16 values.
 *
 * Handed out by bpf_neural_network_acquire(), given back by
 * bpf_neural_network_release(). A program may read the public fields.
 */
struct bpf_neural_network {
	u32 id;
	u32 inputs;
	u32 outputs;
	/* private: */
	atomic_t refs;
	struct rcu_head rcu;
	/* The network (rust/api/bpf.rs), alive while this entry is published or held. */
	const void *net;
};

/* The published networks by id. Its lock (the xarray's own) is taken by publish and
 * unpublish only, in process context; acquire reads under RCU. */
static DEFINE_XARRAY(nn_bpf_networks);

int nn_bpf_publish(const void *net, u32 id, u32 inputs, u32 outputs, void **out)
{
	struct bpf_neural_network *b;
	int err;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->id = id;
	b->inputs = inputs;
	b->outputs = outputs;
	b->net = net;
	atomic_set(&b->refs, 1);
	err = xa_insert(&nn_bpf_networks, id, b, GFP_KERNEL);
	if (err) {
		kfree(b);
		return err;
	}
	*out = b;
	return 0;
}

void nn_bpf_unpublish(void *entry)
{
	struct bpf_neural_network *b = entry;

	might_sleep();
	xa_erase(&nn_bpf_networks, b->id);
	/* Fully ordered; the acquire read pairs with release's put. */
	if (atomic_dec_return(&b->refs))
		while (atomic_read_acquire(&b->refs))
			msleep(1);
	kfree_rcu(b, rcu);
}

__bpf_kfunc_start_defs();

/**
 * bpf_neural_network_acquire() - Look up a network by id.
 * @id: the network's id.
 *
 * Context: Any context. Does not sleep.
 * Return: the network, to give back with bpf_neural_network_release() in the same
 * program run; NULL if no network has that id (never made, removed, or being removed).
 */
__bpf_kfunc struct bpf_neural_network *bpf_neural_network_acquire(u32 id)
{
	struct bpf_neural_network *b;

	rcu_read_lock();
	b = xa_load(&nn_bpf_networks, id);
	if (b && !atomic_inc_not_zero(&b->refs))
		b = NULL;
	rcu_read_unlock();
	return b;
}

/**
 * bpf_neural_network_predict() - One input vector through a network, without sleeping.
 * @nn: a network from bpf_neural_network_acquire().
 * @input: the input vector, @nn->inputs s16 values.
 * @input__sz: the size of @input in bytes (the verifier checks it against the memory).
 * @output: where the output vector goes, @nn->outputs s16 values.
 * @output__sz: the size of @output in bytes.
 *
 * The atomic path of neural_network_predict_atomic(): the weights in force (a model
 * replacement or a migration never makes it wait), this CPU's scratch, counted in the
 * network's atomic_predictions.
 *
 * Context: Any context but NMI. Does not sleep.
 * Return: 0; -EINVAL for sizes that are not one vector's; -E2BIG for a network of more
 * than NN_BPF_MAX_INPUTS inputs or NN_BPF_MAX_OUTPUTS outputs (nothing is written
 * either way); -EAGAIN while a training call holds the weights, in NMI, or when this
 * CPU's scratch for the context level is in use.
 */
__bpf_kfunc int bpf_neural_network_predict(struct bpf_neural_network *nn, const s16 *input,
					   u32 input__sz, s16 *output, u32 output__sz)
{
	s16 in[NN_BPF_MAX_INPUTS], out[NN_BPF_MAX_OUTPUTS];
	size_t n_in = input__sz / sizeof(s16), n_out = output__sz / sizeof(s16);
	int err;

	if (input__sz % sizeof(s16) || output__sz % sizeof(s16) || n_in != nn->inputs ||
	    n_out != nn->outputs)
		return -EINVAL;
	if (n_in > NN_BPF_MAX_INPUTS || n_out > NN_BPF_MAX_OUTPUTS)
		return -E2BIG;
	memcpy(in, input, input__sz);
	err = nn_bpf_predict(nn->net, in, n_in, out, n_out);
	if (!err)
		memcpy(output, out, output__sz);
	return err;
}

/**
 * bpf_neural_network_release() - Give back a network from bpf_neural_network_acquire().
 * @nn: the network.
 *
 * Context: Any context. Does not sleep.
 */
__bpf_kfunc void bpf_neural_network_release(struct bpf_neural_network *nn)
{
	/* Orders the program's use of the entry before the count unpublish waits on. */
	atomic_dec_return_release(&nn->refs);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(nn_bpf_kfunc_ids)
BTF_ID_FLAGS(func, bpf_neural_network_acquire, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_neural_network_predict)
BTF_ID_FLAGS(func, bpf_neural_network_release, KF_RELEASE)
BTF_KFUNCS_END(nn_bpf_kfunc_ids)

/*
 * Only programs that cannot sleep: one that could would hold an entry, and make
 * unpublish (a debugfs remove, neural_network_destroy()) wait, for as long as it slept.
 */
static int nn_bpf_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&nn_bpf_kfunc_ids, kfunc_id))
		return 0;
	return prog->sleepable ? -EACCES : 0;
}

static const struct btf_kfunc_id_set nn_bpf_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &nn_bpf_kfunc_ids,
	.filter = nn_bpf_filter,
};

/* The program types that may call the kfuncs (those that cannot sleep): tracing
 * (tp_btf, fentry/fexit, raw and classic tracepoints, perf events, LSM), kprobes, tc,
 * XDP and struct_ops. */
static const enum bpf_prog_type nn_bpf_prog_types[] = {
	BPF_PROG_TYPE_TRACING,	 BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_SCHED_CLS,
	BPF_PROG_TYPE_XDP,	 BPF_PROG_TYPE_STRUCT_OPS,
};

int nn_bpf_register(void)
{
	int i, err;

	if (!IS_ENABLED(CONFIG_BPF_SYSCALL) || !IS_ENABLED(CONFIG_DEBUG_INFO_BTF_MODULES)) {
		pr_info("BPF kfuncs absent: the kernel has no BPF syscall or no module BTF (CONFIG_BPF_SYSCALL, CONFIG_DEBUG_INFO_BTF_MODULES)\n");
		return 0;
	}
#if IS_ENABLED(CONFIG_DEBUG_INFO_BTF_MODULES)
	/* (With CONFIG_MODULE_ALLOW_BTF_MISMATCH a module whose BTF did not match the
	 * kernel's loads without it, and registering returns 0 after a warning of its own.) */
	if (!THIS_MODULE->btf_data_size) {
		pr_info("BPF kfuncs absent: this module was built without BTF (pahole and the kernel's vmlinux are needed at build time)\n");
		return 0;
	}
#endif
	for (i = 0; i < ARRAY_SIZE(nn_bpf_prog_types); i++) {
		err = register_btf_kfunc_id_set(nn_bpf_prog_types[i], &nn_bpf_kfunc_set);
		if (err) {
			pr_err("cannot register the BPF kfuncs: error %d\n", err);
			return err;
		}
	}
	pr_info("BPF kfuncs registered: bpf_neural_network_acquire, _predict, _release\n");
	return 0;
}
