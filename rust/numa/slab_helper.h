/* SPDX-License-Identifier: GPL-2.0 */
/* Slab caches for neural_network (rust/numa/slab.rs declares the same). */
#ifndef NN_SLAB_HELPER_H
#define NN_SLAB_HELPER_H

#include <linux/types.h>

struct kmem_cache;

struct kmem_cache *nn_slab_create(const char *name, unsigned int size, unsigned int align);
size_t nn_slab_max_size(void);
void nn_slab_destroy(struct kmem_cache *cache);
void *nn_slab_alloc(struct kmem_cache *cache, int node, bool this_node_only);
void nn_slab_free(struct kmem_cache *cache, void *obj);
int nn_slab_obj_node(const void *obj);

#endif /* NN_SLAB_HELPER_H */
