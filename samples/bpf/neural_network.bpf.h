/* SPDX-License-Identifier: GPL-2.0 */
/*
 * neural_network's kfuncs, as a BPF program declares them (the module's BTF has the
 * definitions: rust/api/bpf_helper.c; Documentation/neural_network/api.rst, "BPF
 * programs"). libbpf finds them in /sys/kernel/btf/neural_network when the program
 * loads, so the module must be loaded first.
 */
#ifndef NEURAL_NETWORK_BPF_H
#define NEURAL_NETWORK_BPF_H

/* A program built on vmlinux.h has the kernel's types already. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

/*
 * A network as a BPF program holds it: the public fields only (the rest is the
 * module's), read through BTF relocations.
 */
struct bpf_neural_network {
	__u32 id;
	__u32 inputs;	/* values in an input vector */
	__u32 outputs;	/* values in an output vector */
} __attribute__((preserve_access_index));

/* The network with that id, or NULL; give it back with bpf_neural_network_release(). */
extern struct bpf_neural_network *bpf_neural_network_acquire(__u32 id) __ksym;

/*
 * One input vector (input__sz bytes: nn->inputs s16 values) into output (nn->outputs
 * values), without sleeping. 0, -EINVAL (sizes, alignment), -EAGAIN (training, NMI,
 * scratch busy).
 */
extern int bpf_neural_network_predict(struct bpf_neural_network *nn, const __s16 *input,
				      __u32 input__sz, __s16 *output, __u32 output__sz) __ksym;

extern void bpf_neural_network_release(struct bpf_neural_network *nn) __ksym;

#endif /* NEURAL_NETWORK_BPF_H */
