/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What rust/api_helper.c calls in rust/api/ffi.rs (its doc comments say what each does).
 */
#ifndef NN_API_HELPER_H
#define NN_API_HELPER_H

#include <linux/types.h>

struct cpumask;

/* nn_api_set_placement()'s @which. */
#define NN_API_SET_NODE		0
#define NN_API_SET_POLICY	1
#define NN_API_MIGRATE		2

int nn_api_init(unsigned int inputs, unsigned int hidden, unsigned int outputs, int node,
		const char *owner, void **out);
int nn_api_load(const void *blob, size_t len, const char *owner, void **out);
void nn_api_destroy(void *nn);
int nn_api_replace(void *nn, const void *blob, size_t len);
int nn_api_predict(void *nn, const s16 *input, size_t n_in, s16 *output, size_t n_out);
int nn_api_predict_atomic(void *nn, const s16 *input, size_t n_in, s16 *output,
			  size_t n_out);
int nn_api_get_dims(void *nn, unsigned int *inputs, unsigned int *outputs,
		    unsigned int *in_frac, unsigned int *out_frac);
int nn_api_get_numa_node(void *nn);
int nn_api_set_placement(void *nn, int which, int value);
int nn_api_node_count(void);
int nn_api_distance(int from, int to);
int nn_api_has_memory(int node);
int nn_api_best_node(void);

/*
 * nn_api_train()'s @report: NULL or struct neural_train_report, whose 4 fields are u64;
 * nn_api_numa_stats()'s @counters: the first NN_API_COUNTERS fields of struct
 * neural_numa_stats, u64 each, predictions to bytes in order (api_helper.c checks both
 * layouts at build time).
 */
#define NN_API_TRAIN_REPORT	4
#define NN_API_COUNTERS		9

int nn_api_train(void *nn, const s16 *inputs, size_t n_in, const s16 *targets,
		 size_t n_targets, unsigned int epochs, u32 lr, unsigned int batch,
		 u64 *report);
int nn_api_batch_create(void *nn, unsigned int max_inputs, int node, void **out);
int nn_api_batch_process(void *batch, const s16 *input, size_t n_in, s16 *output,
			 size_t n_out);
void nn_api_batch_destroy(void *batch);
int nn_api_set_nodemask(void *nn, const unsigned long *bits, unsigned int nr_nodes);
int nn_api_set_cpus(void *nn, const struct cpumask *mask);
int nn_api_numa_info(unsigned long *online, unsigned long *memory, unsigned long *cpus,
		     u64 *total_kib, u64 *free_kib, unsigned int nr_nodes);
int nn_api_numa_stats(void *nn, u64 *counters, u64 *node_bytes, unsigned int nr_nodes,
		      struct cpumask *cpus, u32 *cpus_explicit);

#endif /* NN_API_HELPER_H */
