// SPDX-License-Identifier: GPL-2.0
/*
 * neural_network_atomic: an in-kernel caller that may not sleep, as the block I/O
 * submission path or the network stack is: neural_network_predict_atomic() from a
 * timer (softirq), a hard hrtimer (hardirq) and a section under a spinlock with
 * interrupts off, while process context migrates the network back and forth.
 *
 * At load it loads a model blob (the one neural_network_sample loads), computes the
 * answers for ROWS inputs with neural_network_predict() (process context), then asks
 * the same inputs from each atomic context and checks every answer is the same, bit for
 * bit, and that each context's error paths give -EINVAL. A periodic timer keeps
 * predicting while the network is migrated between nodes: every one of its predictions
 * must succeed (a re-placement never makes it wait) with the same answers. Each check
 * logs "neural_network_atomic: ok NAME" or "neural_network_atomic: FAIL NAME: WHY",
 * then "neural_network_atomic: N checks, F failed" (tools/testing/guest/tests/
 * 81-atomic.sh reads them). The network is destroyed before the load returns; the load
 * fails (-EINVAL) if a check failed. Run under a kernel with lockdep and
 * CONFIG_DEBUG_ATOMIC_SLEEP, any sleeping call from these contexts is reported.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/neural_network.h>
#include <linux/nodemask.h>
#include <linux/spinlock.h>
#include <linux/timer.h>

#include "sample_check.h"
#include "sample_model.h"

#define INPUTS 3
#define OUTPUTS 2
#define ROWS 16


/* What one atomic context saw. */
struct run {
	struct neural_network *nn;
	const s16 *in;
	const s16 *want;
	int errors;		/* predictions that failed */
	int first_error;
	int mismatches;		/* answers unlike process context's */
	int bad_args;		/* error paths that did not give -EINVAL */
	bool in_softirq, in_hardirq;
	atomic_t rounds;	/* the periodic timer's rounds */
	bool periodic;
	bool stop;
	struct completion done;
};

/* Every row from this context, and the error paths; never sleeps. */
static void predict_all(struct run *r)
{
	s16 out[OUTPUTS];
	int i, err;

	for (i = 0; i < ROWS; i++) {
		err = neural_network_predict_atomic(r->nn, &r->in[i * INPUTS], INPUTS, out, OUTPUTS);
		if (err) {
			if (!r->errors++)
				r->first_error = err;
			continue;
		}
		if (memcmp(out, &r->want[i * OUTPUTS], sizeof(out)))
			r->mismatches++;
	}
	if (neural_network_predict_atomic(NULL, r->in, INPUTS, out, OUTPUTS) != -EINVAL)
		r->bad_args++;
	if (neural_network_predict_atomic(r->nn, r->in, INPUTS - 1, out, OUTPUTS) != -EINVAL)
		r->bad_args++;
	if (neural_network_predict_atomic(r->nn, r->in, INPUTS, out, OUTPUTS + 1) != -EINVAL)
		r->bad_args++;
	if (neural_network_predict_atomic(r->nn, NULL, INPUTS, out, OUTPUTS) != -EINVAL)
		r->bad_args++;
}

static struct run *timer_run;

static void on_timer(struct timer_list *t)
{
	struct run *r = timer_run;

	r->in_softirq = in_serving_softirq();
	predict_all(r);
	if (r->periodic && !READ_ONCE(r->stop)) {
		atomic_inc(&r->rounds);
		mod_timer(t, jiffies + 1);
		return;
	}
	complete(&r->done);
}

static struct run *hrtimer_run;

static enum hrtimer_restart on_hrtimer(struct hrtimer *t)
{
	struct run *r = hrtimer_run;

	r->in_hardirq = in_hardirq();
	predict_all(r);
	complete(&r->done);
	return HRTIMER_NORESTART;
}

static void run_init(struct run *r, struct neural_network *nn, const s16 *in, const s16 *want)
{
	memset(r, 0, sizeof(*r));
	r->nn = nn;
	r->in = in;
	r->want = want;
	atomic_set(&r->rounds, 0);
	init_completion(&r->done);
}

static void check_run(struct run *r, const char *ctx)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_answers_equal_process_context", ctx);
	check(!r->errors && !r->mismatches, name,
	      r->errors ? "a prediction failed" : "answers differ",
	      r->errors ? r->first_error : r->mismatches);
	snprintf(name, sizeof(name), "%s_bad_arguments_einval", ctx);
	check(!r->bad_args, name, "an error path did not give -EINVAL", r->bad_args);
}

static struct timer_list timer;
static struct hrtimer hrtimer;
static DEFINE_SPINLOCK(lock);

static int __init atomic_sample_init(void)
{
	static s16 in[ROWS * INPUTS], want[ROWS * OUTPUTS];
	static struct run run;
	struct neural_network *nn;
	unsigned long flags;
	int i, j, err, node, moves = 0, crossed = 0, refused = 0, tries = 0;
	int other = NUMA_NO_NODE;

	for (i = 0; i < ROWS * INPUTS; i++)
		in[i] = (s16)((i * 2654435761u) >> 16) / 8;
	nn = neural_network_load(sample_model, sizeof(sample_model));
	check(!IS_ERR(nn), "load_a_model_blob", "neural_network_load failed", PTR_ERR_OR_ZERO(nn));
	if (IS_ERR(nn))
		goto out;
	{
		unsigned int in_dim = 0, out_dim = 0;

		err = neural_network_get_dims(nn, &in_dim, &out_dim, NULL, NULL);
		check(!err && in_dim == INPUTS && out_dim == OUTPUTS, "dims_are_the_models",
		      "neural_network_get_dims", err ? err : (long)in_dim);
		if (err || in_dim != INPUTS || out_dim != OUTPUTS)
			goto destroy;
	}
	err = neural_network_predict(nn, in, ROWS * INPUTS, want, ROWS * OUTPUTS);
	check(!err, "process_context_prediction", "neural_network_predict failed", err);
	if (err)
		goto destroy;

	/* Process context with a spinlock held and interrupts off. */
	run_init(&run, nn, in, want);
	spin_lock_irqsave(&lock, flags);
	predict_all(&run);
	spin_unlock_irqrestore(&lock, flags);
	check_run(&run, "irqs_off_spinlock");

	/* A timer: softirq. */
	run_init(&run, nn, in, want);
	timer_run = &run;
	timer_setup(&timer, on_timer, 0);
	mod_timer(&timer, jiffies + 1);
	wait_for_completion(&run.done);
	timer_delete_sync(&timer);
	check(run.in_softirq, "timer_runs_in_softirq", "in_serving_softirq() was false", 0);
	check_run(&run, "softirq");

	/* A hard hrtimer: hardirq. */
	run_init(&run, nn, in, want);
	hrtimer_run = &run;
	hrtimer_setup(&hrtimer, on_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	hrtimer_start(&hrtimer, ms_to_ktime(1), HRTIMER_MODE_REL_HARD);
	wait_for_completion(&run.done);
	hrtimer_cancel(&hrtimer);
	check(run.in_hardirq, "hrtimer_runs_in_hardirq", "in_hardirq() was false", 0);
	check_run(&run, "hardirq");

	/*
	 * A timer predicting every jiffy while process context moves the network between
	 * two nodes with memory (or onto its own node, on one node): no prediction fails,
	 * every answer stays the same.
	 *
	 * The two nodes: its own and the first other node with memory that takes it, tried
	 * before the timer starts; if its own node refuses it back, the first two others that
	 * take it. A full node refuses with -ENOMEM and changes nothing, and a booted machine
	 * can have one (its boot allocations filled it: on 16 nodes of 96 MiB, node 0); a
	 * node's free memory can also run out between the probe and a move (other tasks
	 * allocate too: seen on 16 nodes, node 0 taking the probe, then refusing every move),
	 * so a refused move is counted, not failed, when the network stayed where it was, and
	 * a refusal of the other node makes the next node with memory that takes the network
	 * the other one.
	 */
	node = neural_get_numa_node(nn);
	for_each_node_state(i, N_MEMORY) {
		if (i == node || neural_migrate_numa_node(nn, i))
			continue;
		if (other == NUMA_NO_NODE) {
			other = i;
			/* Back to its own node if that has room: the two are found. */
			if (!neural_migrate_numa_node(nn, node))
				break;
			continue;
		}
		node = i; /* its own node is full: the two are other and this one */
		break;
	}
	if (other != NUMA_NO_NODE && neural_get_numa_node(nn) == other) {
		/* No second node took it: it stays where it is, as on one node. */
		node = other;
		other = NUMA_NO_NODE;
	}
	run_init(&run, nn, in, want);
	run.periodic = true;
	timer_run = &run;
	timer_setup(&timer, on_timer, 0);
	mod_timer(&timer, jiffies + 1);
	for (i = 0; i < 6; i++) {
		int to = (other != NUMA_NO_NODE && i % 2 == 0) ? other : node;
		int from = neural_get_numa_node(nn);

		tries++;
		err = neural_migrate_numa_node(nn, to);
		if (!err) {
			moves++, crossed += from != to;
			continue;
		}
		if (err != -ENOMEM || other == NUMA_NO_NODE || neural_get_numa_node(nn) != from)
			break;
		refused++;
		if (to != other)
			continue;
		/* The other node filled up: the next that takes it replaces it. */
		for_each_node_state(j, N_MEMORY) {
			if (j == node || j == other)
				continue;
			tries++;
			err = neural_migrate_numa_node(nn, j);
			if (!err) {
				moves++, crossed++;
				other = j;
				break;
			}
			if (err != -ENOMEM || neural_get_numa_node(nn) != from)
				break;
			refused++;
		}
		if (err && err != -ENOMEM)
			break;
	}
	/* At least a few rounds overlap the moves, and the timer ran after them too. */
	while (atomic_read(&run.rounds) < 4)
		schedule_timeout_uninterruptible(1);
	WRITE_ONCE(run.stop, true);
	wait_for_completion(&run.done);
	timer_delete_sync(&timer);
	pr_info("%d moves between nodes %d and %d (%d to the other node), %d refused for want of memory\n",
		moves, node, other, crossed, refused);
	/* Every move done or refused, and at least one there and one back. */
	check(moves + refused == tries && (other == NUMA_NO_NODE ? moves == 6 : crossed >= 2),
	      "migrations_done", "neural_migrate_numa_node failed", err);
	check_run(&run, "softirq_during_migrations");

destroy:
	neural_network_destroy(nn);
out:
	pr_info("%u checks, %u failed\n", checks, failed);
	return failed ? -EINVAL : 0;
}

static void __exit atomic_sample_exit(void)
{
}

module_init(atomic_sample_init);
module_exit(atomic_sample_exit);
MODULE_DESCRIPTION("neural_network: predictions from softirq and hardirq context");
MODULE_LICENSE("GPL");
