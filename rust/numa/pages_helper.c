// SPDX-License-Identifier: GPL-2.0
/*
 * Page-interleaved arrays for neural_network: single pages taken each from a chosen
 * node and mapped contiguously with vmap(), as MPOL_INTERLEAVE would spread them, but
 * with the nodes chosen by the caller and every page's node known. rust/numa/pages.rs
 * does the bookkeeping; these wrap the macros and inlines it cannot call.
 */

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "pages_helper.h"

/*
 * Room for @n page pointers, zeroed. Same flags as every allocation of the module:
 * a failure is -ENOMEM for the caller, never the OOM killer nor a warning.
 */
struct page **nn_page_array_alloc(size_t n)
{
	return kvcalloc(n, sizeof(struct page *),
			GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
}

void nn_page_array_free(struct page **pages)
{
	kvfree(pages);
}

/*
 * One zeroed page on @node, or (without @this_node_only) on the nearest node with
 * memory. A node that is not online gets no page: alloc_pages_node() would warn.
 */
struct page *nn_page_alloc(int node, bool this_node_only)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;

	if (node < 0 || node >= MAX_NUMNODES || !node_online(node))
		return NULL;
	if (this_node_only)
		gfp |= __GFP_THISNODE;
	return alloc_pages_node(node, gfp, 0);
}

void nn_page_free(struct page *page)
{
	__free_page(page);
}

int nn_page_node(const struct page *page)
{
	return page_to_nid(page);
}

/* The @n pages of @pages mapped contiguously in the kernel's vmalloc space, or NULL. */
void *nn_vmap(struct page **pages, unsigned int n)
{
	return vmap(pages, n, VM_MAP, PAGE_KERNEL);
}

void nn_vunmap(const void *addr)
{
	vunmap(addr);
}

unsigned long nn_totalram_pages(void)
{
	return totalram_pages();
}
