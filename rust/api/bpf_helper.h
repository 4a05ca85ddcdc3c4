/* SPDX-License-Identifier: GPL-2.0 */
/* BPF kfuncs of neural_network: between rust/api/bpf_helper.c and rust/api/bpf.rs, which
 * declares the same. */
#ifndef NN_BPF_HELPER_H
#define NN_BPF_HELPER_H

#include <linux/types.h>

/* The longest vectors a BPF program may pass: the kfunc copies them through buffers on
 * its stack (api.rst, "BPF programs"). */
#define NN_BPF_MAX_INPUTS 256
#define NN_BPF_MAX_OUTPUTS 64

/* In bpf_helper.c, called from Rust. */
int nn_bpf_register(void);
int nn_bpf_publish(const void *net, u32 id, u32 inputs, u32 outputs, void **out);
void nn_bpf_unpublish(void *entry);

/* In rust/api/bpf.rs, called from the kfuncs. */
int nn_bpf_predict(const void *net, const s16 *input, size_t n_in, s16 *output, size_t n_out);

#endif /* NN_BPF_HELPER_H */
