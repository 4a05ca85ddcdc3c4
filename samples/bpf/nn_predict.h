/* SPDX-License-Identifier: GPL-2.0 */
/* What nn_predict.bpf.c and its loader, nn_bpf_predict.c, share. */
#ifndef NN_PREDICT_H
#define NN_PREDICT_H

#include <linux/types.h>

/* The longest vector the sample passes (the module's own limit is larger). */
#define NN_PREDICT_MAX_VALUES 256

/* One run of the nn_predict program: the loader writes the request into the map nn_args,
 * runs the program, and reads the answer back. */
struct nn_predict_args {
	__u32 id;	/* in: the network */
	__u32 n_in;	/* in: values in input (0: only query the lengths) */
	__u32 n_out;	/* in: values to write in output */
	__s32 ret;	/* out: 0 or a negative errno */
	__u32 inputs;	/* out: the network's input length, as acquire showed it */
	__u32 outputs;	/* out: its output length */
	__s16 input[NN_PREDICT_MAX_VALUES];
	__s16 output[NN_PREDICT_MAX_VALUES];
};

#endif /* NN_PREDICT_H */
