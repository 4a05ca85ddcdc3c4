// SPDX-License-Identifier: GPL-2.0
/*
 * nn_stress: predictions checked exactly while the model is replaced under them.
 *
 * At load it requests three firmware files (module parameters model_a, model_b, rows;
 * tools/testing/guest-data makes them): two models A and B of one interface, and a table
 * of input rows with A's and B's exact answers, computed on the host by nnctl eval, that
 * differ on every row. It loads A with neural_network_load() (the network is this
 * module's: "owner: nn_stress" in its config) and checks every row against A's answers
 * in process context (the load fails with -EINVAL if one differs). Then, until rmmod:
 *
 *   - a thread replaces the model A -> B -> A ... (neural_network_replace()), every
 *     swap_us to 2 * swap_us microseconds;
 *   - one thread per online CPU, bound to it, predicts 1 to 4 rows per call with
 *     neural_network_predict() ("process");
 *   - one thread runs 8 to 32 rows per call through a batch (neural_batch_process():
 *     chunks on the CPUs of the network's mask, "batch");
 *   - a timer predicts 4 rows every jiffy with neural_network_predict_atomic() in
 *     softirq ("softirq"), and a hard hrtimer 2 rows every 2 ms in hardirq ("hardirq").
 *
 * Every answer must be A's or B's for its row, exactly ("wrong" otherwise: a torn read,
 * a half-replaced model). A generation counter makes the check stronger: it is odd while
 * a replacement runs and even with the model in force known; an answer whose prediction
 * began and ended in the same even generation must be that model's ("stale" otherwise:
 * the old model answering after the replacement returned). A prediction during which the
 * generation moved overlapped a replacement and is counted as such ("overlapped"): the
 * evidence that the swaps happened under the predictions. Atomic predictions refused
 * with -EAGAIN are counted ("busy"), as are other errors ("errors").
 *
 * Read-only parameters: "generation" ("G M": the generation, then the model in force, 0
 * for A and 1 for B; G is odd when unknown), which tools/testing/guest/nn-stress-predict
 * reads around each debugfs prediction for the same check, and "results" (one line per
 * path, "PATH checked N wrong W stale S overlapped O busy B errors E", then
 * "replacements R failures F generation G", "contexts softirq S/T hardirq H/T"). At
 * rmmod the final results go to the kernel log ("nn_stress: final ..."), and the
 * network is destroyed. tools/testing/guest/tests/88-stress.sh drives it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/firmware.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/neural_network.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>

static char *model_a = "neural_network/stress-a.nnm";
module_param(model_a, charp, 0444);
MODULE_PARM_DESC(model_a, "firmware name of model A (loaded first)");
static char *model_b = "neural_network/stress-b.nnm";
module_param(model_b, charp, 0444);
MODULE_PARM_DESC(model_b, "firmware name of model B");
static char *rows = "neural_network/stress-rows.bin";
module_param(rows, charp, 0444);
MODULE_PARM_DESC(rows, "firmware name of the rows with A's and B's answers");
static unsigned int swap_us = 2000;
module_param(swap_us, uint, 0444);
MODULE_PARM_DESC(swap_us, "pause between two replacements, in microseconds (at least)");

/* The rows file: a header, then the inputs, A's answers and B's answers (s16, LE). */
struct rows_header {
	char magic[4];		/* "NNSR" */
	__le32 version;		/* 1 */
	__le32 rows, inputs, outputs;
};

#define MAX_ROWS 4096
#define MAX_DIM 256
#define BATCH_MAX 32

enum path { PROCESS, BATCH, SOFTIRQ, HARDIRQ, PATHS };
static const char *const path_name[PATHS] = { "process", "batch", "softirq", "hardirq" };

struct counts {
	atomic_long_t checked, wrong, stale, overlapped, busy, errors;
};

static struct {
	const struct firmware *fw[3];
	const s16 *in, *ans[2];		/* ans[0]: A's, ans[1]: B's */
	u32 rows, inputs, outputs;
	struct neural_network *nn;
	/* Odd while a replacement runs; even: model `cur` serves. */
	atomic_long_t gen;
	int cur;
	bool stop;
	atomic_long_t replacements, failures;
	int first_failure;
	struct counts c[PATHS];
	/* Where the first wrong answer was, for the log. */
	atomic_t first_wrong_reported;
	atomic_long_t softirq_ticks, softirq_in_softirq, hardirq_ticks, hardirq_in_hardirq;
	struct task_struct *swapper, *batcher;
	struct task_struct **workers;
	unsigned int n_workers;
	struct timer_list timer;
	struct hrtimer hrtimer;
} st;

/* Reads the generation and the model in force (release/acquire against swap()). */
static long gen_begin(int *cur)
{
	long g = atomic_long_read_acquire(&st.gen);

	*cur = READ_ONCE(st.cur);
	return g;
}

static long gen_end(void)
{
	smp_rmb();	/* the prediction's reads before the generation's */
	return atomic_long_read(&st.gen);
}

/* One answer of row `row`, predicted between generations g1 and g2 (model m at g1). */
static void check_answer(enum path p, const s16 *out, u32 row, long g1, int m, long g2)
{
	size_t bytes = st.outputs * sizeof(s16);
	bool is_a = !memcmp(out, &st.ans[0][row * st.outputs], bytes);
	bool is_b = !memcmp(out, &st.ans[1][row * st.outputs], bytes);
	struct counts *c = &st.c[p];

	atomic_long_inc(&c->checked);
	if (g1 != g2)
		atomic_long_inc(&c->overlapped);
	if (!is_a && !is_b) {
		atomic_long_inc(&c->wrong);
		if (!atomic_xchg(&st.first_wrong_reported, 1))
			pr_err("%s: row %u answered neither A's nor B's (first value %d, A %d, B %d)\n",
			       path_name[p], row, out[0], st.ans[0][row * st.outputs],
			       st.ans[1][row * st.outputs]);
	} else if (g1 == g2 && !(g1 & 1) && !(m ? is_b : is_a)) {
		atomic_long_inc(&c->stale);
		if (!atomic_xchg(&st.first_wrong_reported, 1))
			pr_err("%s: row %u answered by model %c in generation %ld of model %c\n",
			       path_name[p], row, is_a ? 'A' : 'B', g1, m ? 'B' : 'A');
	}
}

static void count_error(enum path p, int err)
{
	atomic_long_inc(err == -EAGAIN ? &st.c[p].busy : &st.c[p].errors);
}

/*
 * A row number below n from a caller's xorshift32 state (the kernel's get_random_u32()
 * takes a local lock, which hardirq context may not).
 */
static u32 pick(u32 *state, u32 n)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x % n;
}

/* Atomic predictions of `n` random rows, one call each (softirq, hardirq). */
static void predict_atomic_rows(enum path p, u32 *state, unsigned int n)
{
	s16 out[MAX_DIM];
	unsigned int i;

	for (i = 0; i < n; i++) {
		u32 row = pick(state, st.rows);
		long g1, g2;
		int m, err;

		g1 = gen_begin(&m);
		err = neural_network_predict_atomic(st.nn, &st.in[row * st.inputs], st.inputs,
						    out, st.outputs);
		g2 = gen_end();
		if (err)
			count_error(p, err);
		else
			check_answer(p, out, row, g1, m, g2);
	}
}

static void on_timer(struct timer_list *t)
{
	static u32 state = 1;

	atomic_long_inc(&st.softirq_ticks);
	if (in_serving_softirq())
		atomic_long_inc(&st.softirq_in_softirq);
	predict_atomic_rows(SOFTIRQ, &state, 4);
	if (!READ_ONCE(st.stop))
		mod_timer(t, jiffies + 1);
}

static enum hrtimer_restart on_hrtimer(struct hrtimer *t)
{
	static u32 state = 2;

	atomic_long_inc(&st.hardirq_ticks);
	if (in_hardirq())
		atomic_long_inc(&st.hardirq_in_hardirq);
	predict_atomic_rows(HARDIRQ, &state, 2);
	if (READ_ONCE(st.stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ms_to_ktime(2));
	return HRTIMER_RESTART;
}

/*
 * Rows [row, row + n) through the network, by neural_network_predict() or a batch, and
 * each answer checked. `in` and `out` are the caller's buffers (a batch's must be its
 * own: aligned, not overlapping).
 */
static void predict_rows(enum path p, struct neural_batch *batch, s16 *in, s16 *out,
			 u32 row, u32 n)
{
	size_t n_in = n * st.inputs, n_out = n * st.outputs;
	long g1, g2;
	u32 i;
	int m, err;

	memcpy(in, &st.in[row * st.inputs], n_in * sizeof(s16));
	g1 = gen_begin(&m);
	if (batch)
		err = neural_batch_process(batch, in, n_in, out, n_out);
	else
		err = neural_network_predict(st.nn, in, n_in, out, n_out);
	g2 = gen_end();
	if (err) {
		count_error(p, err);
		return;
	}
	for (i = 0; i < n; i++)
		check_answer(p, &out[i * st.outputs], row + i, g1, m, g2);
}

/* A thread's loop: `max` rows at most a call; a pause now and then for the guest. */
static int predict_thread(void *data)
{
	struct neural_batch *batch = data;
	enum path p = batch ? BATCH : PROCESS;
	u32 max = batch ? BATCH_MAX : 4, min = batch ? 8 : 1;
	unsigned long iter = 0;
	u32 state = get_random_u32() | 1;
	s16 *in, *out;

	in = kmalloc_array(BATCH_MAX, st.inputs * sizeof(s16), GFP_KERNEL);
	out = kmalloc_array(BATCH_MAX, st.outputs * sizeof(s16), GFP_KERNEL);
	while (!kthread_should_stop()) {
		u32 n = min(st.rows, min + pick(&state, max - min + 1));
		u32 row = pick(&state, st.rows - n + 1);

		if (in && out)
			predict_rows(p, batch, in, out, row, n);
		else
			count_error(p, -ENOMEM);
		/* Room for the guest's other tasks (the debugfs writers, the changes). */
		if (++iter % 4 == 0)
			usleep_range(1000, 2000);
		else
			cond_resched();
	}
	kfree(in);
	kfree(out);
	return 0;
}

/* A -> B -> A ...: the generation is odd while neural_network_replace() runs. */
static int swap_thread(void *unused)
{
	while (!kthread_should_stop()) {
		int next = !st.cur, err;

		atomic_long_inc(&st.gen);
		smp_mb__after_atomic();
		err = neural_network_replace(st.nn, st.fw[next]->data, st.fw[next]->size);
		if (!err) {
			WRITE_ONCE(st.cur, next);
			atomic_long_inc(&st.replacements);
		} else if (atomic_long_inc_return(&st.failures) == 1) {
			st.first_failure = err;
		}
		smp_mb__before_atomic();
		atomic_long_inc(&st.gen);
		usleep_range(swap_us, 2 * swap_us);
	}
	return 0;
}

static int print_results(char *buf, size_t size, const char *prefix)
{
	int len = 0, p;

	for (p = 0; p < PATHS; p++) {
		struct counts *c = &st.c[p];

		len += scnprintf(buf + len, size - len,
				 "%s%s checked %ld wrong %ld stale %ld overlapped %ld busy %ld errors %ld\n",
				 prefix, path_name[p], atomic_long_read(&c->checked),
				 atomic_long_read(&c->wrong), atomic_long_read(&c->stale),
				 atomic_long_read(&c->overlapped), atomic_long_read(&c->busy),
				 atomic_long_read(&c->errors));
	}
	len += scnprintf(buf + len, size - len,
			 "%sreplacements %ld failures %ld (first %d) generation %ld\n", prefix,
			 atomic_long_read(&st.replacements), atomic_long_read(&st.failures),
			 st.first_failure, atomic_long_read(&st.gen));
	len += scnprintf(buf + len, size - len, "%scontexts softirq %ld/%ld hardirq %ld/%ld\n",
			 prefix, atomic_long_read(&st.softirq_in_softirq),
			 atomic_long_read(&st.softirq_ticks),
			 atomic_long_read(&st.hardirq_in_hardirq),
			 atomic_long_read(&st.hardirq_ticks));
	return len;
}

static int results_get(char *buf, const struct kernel_param *kp)
{
	return print_results(buf, PAGE_SIZE, "");
}

static const struct kernel_param_ops results_ops = { .get = results_get };
module_param_cb(results, &results_ops, NULL, 0444);
MODULE_PARM_DESC(results, "the checks so far, one line per path");

static int generation_get(char *buf, const struct kernel_param *kp)
{
	int m;
	long g1 = gen_begin(&m), g2 = gen_end();

	/* A generation that moved while `m` was read: odd, "unknown". */
	return sysfs_emit(buf, "%ld %d\n", g1 == g2 ? g1 : g1 | 1, m);
}

static const struct kernel_param_ops generation_ops = { .get = generation_get };
module_param_cb(generation, &generation_ops, NULL, 0444);
MODULE_PARM_DESC(generation, "\"G M\": the generation (odd: a replacement runs) and the model (0: A, 1: B)");

/* The rows file, checked: sizes within the limits, the length exact. */
static int parse_rows(const struct firmware *fw)
{
	const struct rows_header *h = (const void *)fw->data;
	size_t want;

	if (fw->size < sizeof(*h) || memcmp(h->magic, "NNSR", 4) || le32_to_cpu(h->version) != 1)
		return -EINVAL;
	st.rows = le32_to_cpu(h->rows);
	st.inputs = le32_to_cpu(h->inputs);
	st.outputs = le32_to_cpu(h->outputs);
	if (!st.rows || st.rows > MAX_ROWS || !st.inputs || st.inputs > MAX_DIM ||
	    !st.outputs || st.outputs > MAX_DIM)
		return -EINVAL;
	want = sizeof(*h) + (size_t)st.rows * (st.inputs + 2 * st.outputs) * sizeof(s16);
	if (fw->size != want)
		return -EINVAL;
	st.in = (const s16 *)(h + 1);
	st.ans[0] = st.in + st.rows * st.inputs;
	st.ans[1] = st.ans[0] + st.rows * st.outputs;
	return 0;
}

/* Every row answered by A in process context, as the host said. */
static int check_model_a(void)
{
	s16 out[MAX_DIM];
	unsigned int in_dim = 0, out_dim = 0;
	u32 row;
	int err;

	err = neural_network_get_dims(st.nn, &in_dim, &out_dim, NULL, NULL);
	if (err)
		return err;
	if (in_dim != st.inputs || out_dim != st.outputs) {
		pr_err("model A is %u -> %u, the rows %u -> %u\n", in_dim, out_dim, st.inputs,
		       st.outputs);
		return -EINVAL;
	}
	for (row = 0; row < st.rows; row++) {
		err = neural_network_predict(st.nn, &st.in[row * st.inputs], st.inputs, out,
					     st.outputs);
		if (err)
			return err;
		if (memcmp(out, &st.ans[0][row * st.outputs], st.outputs * sizeof(s16))) {
			pr_err("row %u: model A's answer differs from the host's\n", row);
			return -EINVAL;
		}
		if (!memcmp(out, &st.ans[1][row * st.outputs], st.outputs * sizeof(s16))) {
			pr_err("row %u: A and B answer alike: the rows cannot tell them apart\n", row);
			return -EINVAL;
		}
	}
	return 0;
}

static void stop_all(void)
{
	unsigned int i;

	WRITE_ONCE(st.stop, true);
	timer_shutdown_sync(&st.timer);
	hrtimer_cancel(&st.hrtimer);
	for (i = 0; i < st.n_workers; i++)
		if (st.workers[i])
			kthread_stop(st.workers[i]);
	if (st.batcher)
		kthread_stop(st.batcher);
	if (st.swapper)
		kthread_stop(st.swapper);
	kfree(st.workers);
}

static void release_all(void)
{
	int i;

	neural_network_destroy(st.nn);
	for (i = 0; i < 3; i++)
		release_firmware(st.fw[i]);
}

static struct neural_batch *batch;

static int __init nn_stress_init(void)
{
	const char *names[3] = { model_a, model_b, rows };
	struct task_struct *t;
	unsigned int cpu;
	int i, err;

	for (i = 0; i < 3; i++) {
		err = request_firmware(&st.fw[i], names[i], NULL);
		if (err) {
			pr_err("firmware %s: error %d\n", names[i], err);
			goto release;
		}
	}
	err = parse_rows(st.fw[2]);
	if (err) {
		pr_err("%s: not a rows file of at most %u rows of %u values\n", rows, MAX_ROWS,
		       MAX_DIM);
		goto release;
	}
	st.nn = neural_network_load(st.fw[0]->data, st.fw[0]->size);
	if (IS_ERR(st.nn)) {
		err = PTR_ERR(st.nn);
		st.nn = NULL;
		pr_err("model A: error %d\n", err);
		goto release;
	}
	err = check_model_a();
	if (err)
		goto release;
	batch = neural_batch_create(st.nn, BATCH_MAX);
	if (IS_ERR(batch)) {
		err = PTR_ERR(batch);
		batch = NULL;
		goto release;
	}

	timer_setup(&st.timer, on_timer, 0);
	hrtimer_setup(&st.hrtimer, on_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	st.workers = kcalloc(nr_cpu_ids, sizeof(*st.workers), GFP_KERNEL);
	if (!st.workers) {
		err = -ENOMEM;
		goto destroy_batch;
	}
	st.swapper = kthread_run(swap_thread, NULL, "nn_stress/swap");
	st.batcher = kthread_run(predict_thread, batch, "nn_stress/batch");
	if (IS_ERR(st.swapper) || IS_ERR(st.batcher)) {
		err = IS_ERR(st.swapper) ? PTR_ERR(st.swapper) : PTR_ERR(st.batcher);
		if (IS_ERR(st.swapper))
			st.swapper = NULL;
		if (IS_ERR(st.batcher))
			st.batcher = NULL;
		goto stop;
	}
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		t = kthread_run_on_cpu(predict_thread, NULL, cpu, "nn_stress/%u");
		if (IS_ERR(t)) {
			err = PTR_ERR(t);
			cpus_read_unlock();
			goto stop;
		}
		st.workers[st.n_workers++] = t;
	}
	cpus_read_unlock();
	mod_timer(&st.timer, jiffies + 1);
	hrtimer_start(&st.hrtimer, ms_to_ktime(2), HRTIMER_MODE_REL_HARD);
	pr_info("%u rows of %u -> %u, %u process threads, a batch thread, a timer, an hrtimer; replacing every %u us\n",
		st.rows, st.inputs, st.outputs, st.n_workers, swap_us);
	return 0;

stop:
	stop_all();
destroy_batch:
	neural_batch_destroy(batch);
release:
	release_all();
	return err;
}

static void __exit nn_stress_exit(void)
{
	char *buf;

	stop_all();
	neural_batch_destroy(batch);
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (buf) {
		char *line, *rest = buf;

		print_results(buf, PAGE_SIZE, "final ");
		while ((line = strsep(&rest, "\n")) && *line)
			pr_info("%s\n", line);
		kfree(buf);
	}
	release_all();
}

module_init(nn_stress_init);
module_exit(nn_stress_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("neural_network test: predictions checked exactly while the model is replaced");
MODULE_SOFTDEP("pre: neural_network");
