// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF program that asks neural_network for a prediction: look the network up by id,
 * predict one input vector on the module's atomic path, release it. A raw tracepoint
 * program that its loader (nn_bpf_predict.c) runs through BPF_PROG_TEST_RUN, with the
 * request in the one element of the map nn_args: in task context with preemption off,
 * or on another CPU from the IPI that runs it there (hardirq). The same three calls work
 * from the other tracing programs, kprobes, tc, XDP and struct_ops.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "neural_network.bpf.h"
#include "nn_predict.h"

#define ENOENT 2
#define E2BIG 7

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nn_predict_args);
} nn_args SEC(".maps");

SEC("raw_tp")
int nn_predict(void *ctx)
{
	struct bpf_neural_network *nn;
	struct nn_predict_args *args;
	__u32 zero = 0, n_in, n_out;

	args = bpf_map_lookup_elem(&nn_args, &zero);
	if (!args)
		return 0;
	n_in = args->n_in;
	n_out = args->n_out;
	if (n_in > NN_PREDICT_MAX_VALUES || n_out > NN_PREDICT_MAX_VALUES) {
		args->ret = -E2BIG;
		return 0;
	}
	nn = bpf_neural_network_acquire(args->id);
	if (!nn) {
		args->ret = -ENOENT;
		return 0;
	}
	args->inputs = nn->inputs;
	args->outputs = nn->outputs;
	/* No input: a query of the network's lengths. */
	args->ret = n_in ? bpf_neural_network_predict(nn, args->input, n_in * sizeof(__s16),
						      args->output, n_out * sizeof(__s16)) : 0;
	bpf_neural_network_release(nn);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
