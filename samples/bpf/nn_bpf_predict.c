// SPDX-License-Identifier: GPL-2.0
/*
 * nn-bpf-predict: loads nn_predict.bpf.o (which calls neural_network's kfuncs) and runs
 * it once for each line of standard input, through BPF_PROG_TEST_RUN.
 *
 * usage: nn-bpf-predict OBJECT ID
 *
 * Each input line is one input vector of network ID as its fixed-point values
 * (integers -32768..32767, what `nnctl eval --raw` reads); each output line is the
 * output vector the same way, or "error N" with the kfunc's negative errno. The
 * network's lengths come from a first run with empty vectors (which the kfunc refuses,
 * -EINVAL, after acquire showed them). Exit status: 0, or 1 if a line gave an error or
 * the program could not be loaded or run (the reason on standard error).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nn_predict.h"

static int run(int prog_fd, struct nn_predict_args *args)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(*args));
	int err;

	err = bpf_prog_test_run_opts(prog_fd, &opts);
	if (err) {
		fprintf(stderr, "nn-bpf-predict: BPF_PROG_TEST_RUN: %s\n", strerror(-err));
		return -1;
	}
	return 0;
}

/* The numbers of one line into args->input; -1 (with a message) for a bad line. */
static int parse_line(char *line, unsigned long no, struct nn_predict_args *args)
{
	char *p = line, *end;
	long v;

	args->n_in = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			return 0;
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < SHRT_MIN || v > SHRT_MAX) {
			fprintf(stderr, "nn-bpf-predict: line %lu: not an integer in -32768..32767\n", no);
			return -1;
		}
		if (args->n_in == NN_PREDICT_MAX_VALUES) {
			fprintf(stderr, "nn-bpf-predict: line %lu: more than %d values\n", no,
				NN_PREDICT_MAX_VALUES);
			return -1;
		}
		args->input[args->n_in++] = (__s16)v;
		p = end;
	}
}

int main(int argc, char **argv)
{
	struct nn_predict_args args;
	struct bpf_object *obj;
	struct bpf_program *prog;
	unsigned long no = 0, id;
	__u32 outputs;
	char line[8192];
	int prog_fd, status = 0, err;

	if (argc != 3) {
		fprintf(stderr, "usage: nn-bpf-predict OBJECT ID < input lines\n");
		return 2;
	}
	id = strtoul(argv[2], NULL, 10);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "nn-bpf-predict: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "nn-bpf-predict: cannot load %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "nn_predict");
	if (!prog) {
		fprintf(stderr, "nn-bpf-predict: no program nn_predict in %s\n", argv[1]);
		return 1;
	}
	prog_fd = bpf_program__fd(prog);

	memset(&args, 0, sizeof(args));
	args.id = id;
	if (run(prog_fd, &args))
		return 1;
	if (args.ret != -EINVAL) {
		fprintf(stderr, "nn-bpf-predict: network %lu: %s\n", id,
			args.ret ? strerror(-args.ret) : "empty vectors were accepted");
		return 1;
	}
	outputs = args.outputs;
	if (outputs > NN_PREDICT_MAX_VALUES) {
		fprintf(stderr, "nn-bpf-predict: network %lu has %u outputs, over %d\n", id,
			outputs, NN_PREDICT_MAX_VALUES);
		return 1;
	}

	while (fgets(line, sizeof(line), stdin)) {
		no++;
		memset(&args, 0, sizeof(args));
		args.id = id;
		args.n_out = outputs;
		if (parse_line(line, no, &args))
			return 1;
		if (run(prog_fd, &args))
			return 1;
		if (args.ret) {
			printf("error %d\n", args.ret);
			status = 1;
			continue;
		}
		for (__u32 i = 0; i < outputs; i++)
			printf(i ? " %d" : "%d", args.output[i]);
		printf("\n");
	}
	bpf_object__close(obj);
	return status;
}
