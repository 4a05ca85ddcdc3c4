// SPDX-License-Identifier: GPL-2.0
/*
 * Node-placed memory for neural_network. The Rust allocators of this kernel cannot ask
 * for __GFP_THISNODE (the bind policy needs it) nor __GFP_RETRY_MAYFAIL, and cannot say
 * where a page landed, so rust/numa/mem.rs wraps these functions instead.
 */

#include <linux/cache.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "mem_helper.h"

/*
 * Zeroed memory on @node (NUMA_NO_NODE: anywhere): kmalloc_node for small sizes,
 * vmalloc on the node's pages beyond (kvmalloc_node). Every array starts on a cache
 * line: a size under a page is rounded up to a power of two of at least a cache line,
 * which kmalloc aligns naturally; from a page up, kmalloc's power-of-two caches, the page
 * allocator and vmalloc all return page-aligned memory. With @this_node_only the allocation fails rather
 * than fall back to another node. __GFP_RETRY_MAYFAIL: when memory is short the
 * allocation fails (every caller turns that into -ENOMEM) rather than invoke the OOM
 * killer; __GFP_NOWARN: that failure is handled, so no allocation-failure report.
 */
void *nn_alloc_node(size_t size, int node, bool this_node_only)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;

	if (this_node_only && node != NUMA_NO_NODE)
		gfp |= __GFP_THISNODE;
	if (size < PAGE_SIZE)
		size = max_t(size_t, roundup_pow_of_two(size), L1_CACHE_BYTES);
	return kvmalloc_node(size, gfp, node);
}

void nn_free(const void *p)
{
	kvfree(p);
}

/* The node of the page that holds @p (kmalloc or vmalloc memory). */
int nn_mem_node(const void *p)
{
	struct page *page;

	if (!p)
		return NUMA_NO_NODE;
	page = is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p);
	return page ? page_to_nid(page) : NUMA_NO_NODE;
}

/* L1_CACHE_BYTES, which is a macro. */
size_t nn_cache_line_bytes(void)
{
	return L1_CACHE_BYTES;
}

int nn_numa_node_id(void)
{
	return numa_node_id();
}
