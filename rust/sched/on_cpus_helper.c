// SPDX-License-Identifier: GPL-2.0
/*
 * Work run on chosen CPUs (rust/sched/on_cpus.rs): the kernel crate's workqueue
 * abstraction of 7.3 queues only on WORK_CPU_UNBOUND, and INIT_WORK() is a macro. This
 * is schedule_on_each_cpu() for a list of CPUs, each with its own argument, on the
 * module's own per-CPU workqueue ("neural_network", visible in
 * /sys/bus/workqueue/devices only for unbound queues; its workers are kworker/N:*).
 */

#include <linux/cpu.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "on_cpus_helper.h"

struct nn_on_cpu_work {
	struct work_struct work;
	void (*fn)(void *arg);
	void *arg;
};

static struct workqueue_struct *nn_wq;

/* At module load, before anything can call nn_run_on_cpus(). */
int nn_on_cpus_init(void)
{
	/* Per-CPU (bound: WQ_PERCPU, which 7.3 wants said) and high priority: a caller
	 * waits for the chunks it queued.
	 */
	nn_wq = alloc_workqueue("neural_network", WQ_PERCPU | WQ_HIGHPRI, 0);
	return nn_wq ? 0 : -ENOMEM;
}

/* At module unload, once nothing can call nn_run_on_cpus() any more. */
void nn_on_cpus_exit(void)
{
	destroy_workqueue(nn_wq);
	nn_wq = NULL;
}

static void nn_on_cpu_fn(struct work_struct *work)
{
	struct nn_on_cpu_work *w = container_of(work, struct nn_on_cpu_work, work);

	w->fn(w->arg);
}

/* Whether a work item may be queued on `cpu`. Called with CPU hotplug held off. */
static bool nn_cpu_usable(unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpu_online(cpu);
}

/* The first CPU of cpus[] that is online, or -1. Called with CPU hotplug held off. */
static int nn_first_online(unsigned int n, const unsigned int *cpus)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (nn_cpu_usable(cpus[i]))
			return cpus[i];
	return -1;
}

/*
 * Runs fn(args[i]) on CPU cpus[i] for each i < n, all at once, and returns when every
 * one has returned: 0, -ENOMEM (nothing ran) or -ENODEV (no workqueue: nothing ran).
 * CPU hotplug is held off meanwhile (cpus_read_lock()), so a CPU online when the calls
 * are queued stays online until they return. The caller chose the CPUs earlier, without
 * that lock: a CPU that went offline since has its call run on another CPU of the list
 * that is online, or, if none is, by the caller itself, here (fn can tell where it runs
 * from smp_processor_id()). A work item is never queued on an offline CPU: the
 * workqueue would run it on any CPU at all. Sleeps: process context only, with no lock
 * held that fn takes.
 */
int nn_run_on_cpus(unsigned int n, const unsigned int *cpus, void (*fn)(void *arg),
		   void *const *args)
{
	struct nn_on_cpu_work *works;
	unsigned int i;
	int cpu, first;

	might_sleep();
	if (!nn_wq)
		return -ENODEV;
	works = kmalloc_array(n, sizeof(*works), GFP_KERNEL);
	if (!works)
		return -ENOMEM;
	cpus_read_lock();
	first = nn_first_online(n, cpus);
	if (first < 0) {
		/* No CPU of the list is online: the caller runs the calls, one by one. */
		cpus_read_unlock();
		for (i = 0; i < n; i++)
			fn(args[i]);
	} else {
		for (i = 0; i < n; i++) {
			INIT_WORK(&works[i].work, nn_on_cpu_fn);
			works[i].fn = fn;
			works[i].arg = args[i];
			cpu = nn_cpu_usable(cpus[i]) ? cpus[i] : first;
			queue_work_on(cpu, nn_wq, &works[i].work);
		}
		for (i = 0; i < n; i++)
			flush_work(&works[i].work);
		cpus_read_unlock();
	}
	kfree(works);
	return 0;
}
