/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What rust/api_helper.c calls in rust/api.rs (its doc comments say what each does).
 */
#ifndef NN_API_HELPER_H
#define NN_API_HELPER_H

#include <linux/types.h>

/* nn_api_set_placement()'s @which. */
#define NN_API_SET_NODE		0
#define NN_API_SET_POLICY	1
#define NN_API_MIGRATE		2

int nn_api_init(unsigned int inputs, unsigned int hidden, unsigned int outputs, int node,
		const char *owner, void **out);
int nn_api_load(const void *blob, size_t len, const char *owner, void **out);
void nn_api_destroy(void *nn);
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

#endif /* NN_API_HELPER_H */
