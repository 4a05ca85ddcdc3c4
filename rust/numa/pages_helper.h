/* SPDX-License-Identifier: GPL-2.0 */
/* Page-interleaved arrays for neural_network (rust/numa/pages.rs declares the same). */
#ifndef NN_PAGES_HELPER_H
#define NN_PAGES_HELPER_H

#include <linux/types.h>

struct page;

struct page **nn_page_array_alloc(size_t n);
void nn_page_array_free(struct page **pages);
struct page *nn_page_alloc(int node, bool this_node_only);
void nn_page_free(struct page *page);
int nn_page_node(const struct page *page);
void *nn_vmap(struct page **pages, unsigned int n);
void nn_vunmap(const void *addr);
unsigned long nn_totalram_pages(void);

#endif /* NN_PAGES_HELPER_H */
