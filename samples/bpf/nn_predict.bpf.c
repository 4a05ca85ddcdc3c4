// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF program that asks neural_network for a prediction: look the network up by id,
 * predict one input vector on the module's atomic path, release it. A syscall program,
 * run by its loader (nn_bpf_predict.c) through BPF_PROG_TEST_RUN with the input in its
 * context; the same three calls work from tracing, tc, XDP and struct_ops programs.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "neural_network.bpf.h"
#include "nn_predict.h"

#define ENOENT 2
#define E2BIG 7

SEC("syscall")
int nn_predict(struct nn_predict_args *args)
{
	struct bpf_neural_network *nn;
	__u32 n_in = args->n_in, n_out = args->n_out;

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
	args->ret = bpf_neural_network_predict(nn, args->input, n_in * sizeof(__s16),
					       args->output, n_out * sizeof(__s16));
	bpf_neural_network_release(nn);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
