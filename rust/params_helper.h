/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module parameters of neural_network: the values Rust reads (rust/params.rs mirrors
 * these constants and declares the getters).
 */
#ifndef NN_PARAMS_HELPER_H
#define NN_PARAMS_HELPER_H

#include <linux/types.h>

#define NN_POLICY_LOCAL		0
#define NN_POLICY_INTERLEAVE	1
#define NN_POLICY_PREFERRED	2
#define NN_POLICY_BIND		3
#define NN_POLICY_REPLICATE	4

/* neural_numa_nodes: a node list of at most this many bytes ("" = every node with memory). */
#define NN_NODELIST_MAX		255

#define NN_CACHE_TIMEOUT_DEFAULT_MS	1000
#define NN_CACHE_TIMEOUT_MAX_MS		3600000

/* neural_simd_threshold: 0 (automatic) to the widest row a layer can have (MAX_DIM). */
#define NN_SIMD_THRESHOLD_MAX		4096

/* neural_max_network_mb and neural_max_total_mb: 0 (automatic) to 1 TiB. */
#define NN_MEM_LIMIT_MAX_MB		1048576

/* neural_max_networks: the most networks alive at once, 1 to 65536 (default 1024). */
#define NN_MAX_NETWORKS_DEFAULT		1024
#define NN_MAX_NETWORKS_MAX		65536

int nn_param_numa_policy(void);
int nn_param_default_numa_node(void);
size_t nn_param_numa_nodes(char *buf, size_t size);
bool nn_param_enable_simd(void);
unsigned int nn_param_simd_threshold(void);
unsigned int nn_param_cache_timeout_ms(void);
bool nn_param_strict_input(void);
unsigned int nn_param_max_network_mb(void);
unsigned int nn_param_max_total_mb(void);
unsigned int nn_param_max_networks(void);

#endif /* NN_PARAMS_HELPER_H */
