// SPDX-License-Identifier: GPL-2.0
/*
 * Slab caches for neural_network. The kernel crate of 7.3 has no kmem_cache
 * abstraction, kmem_cache_create() is a _Generic macro and kmem_cache_alloc_node() an
 * alloc_hooks() macro, so rust/numa/slab.rs wraps these functions instead.
 */

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/slab.h>

#include "slab_helper.h"

/*
 * A cache of @size-byte objects aligned to at least @align and to the cache line
 * (SLAB_HWCACHE_ALIGN, for objects larger than half a line). SLAB_NO_MERGE: the cache
 * is never merged with another of the same size and flags, so it keeps its own name in
 * /proc/slabinfo and /sys/kernel/slab/ (a merged cache shows only under the name of the
 * cache it joined) and its objects are the module's only. The name is copied.
 * NULL on failure.
 */
struct kmem_cache *nn_slab_create(const char *name, unsigned int size, unsigned int align)
{
	struct kmem_cache_args args = {
		.align = align,
	};

	return kmem_cache_create(name, size, &args, SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE);
}

/* The largest object a cache can hold: kmem_cache_create() refuses more, with a splat. */
size_t nn_slab_max_size(void)
{
	return KMALLOC_MAX_SIZE;
}

void nn_slab_destroy(struct kmem_cache *cache)
{
	kmem_cache_destroy(cache);
}

/*
 * A zeroed object on @node (NUMA_NO_NODE: anywhere), on no other node with
 * @this_node_only. As nn_alloc_node() (mem_helper.c): __GFP_RETRY_MAYFAIL fails rather
 * than invoke the OOM killer, __GFP_NOWARN because every caller handles the failure.
 */
void *nn_slab_alloc(struct kmem_cache *cache, int node, bool this_node_only)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;

	if (this_node_only && node != NUMA_NO_NODE)
		gfp |= __GFP_THISNODE;
	return kmem_cache_alloc_node(cache, gfp, node);
}

void nn_slab_free(struct kmem_cache *cache, void *obj)
{
	kmem_cache_free(cache, obj);
}

/* The node of the page that holds @obj (slab memory is in the direct map). */
int nn_slab_obj_node(const void *obj)
{
	return page_to_nid(virt_to_page(obj));
}
