// SPDX-License-Identifier: GPL-2.0
/*
 * nn-bpf-predict: loads nn_predict.bpf.o (which calls neural_network's kfuncs) and runs
 * it once for each line of standard input, through BPF_PROG_TEST_RUN.
 *
 * usage: nn-bpf-predict [--cpu N] [--until-gone] OBJECT ID
 *
 * Each input line is one input vector of network ID as its fixed-point values
 * (integers -32768..32767, what `nnctl eval --raw` reads); each output line is the
 * output vector the same way, or "error N" with the kfunc's negative errno. First the
 * program queries the network's lengths (a run without input).
 *
 *   --cpu N        run the program on CPU N: from the IPI that BPF_F_TEST_RUN_ON_CPU
 *                  sends there (hardirq context) when N is not the loader's own CPU
 *                  (the loader pins itself elsewhere); else on the loader's CPU with
 *                  preemption off
 *   --until-gone   read all the lines, then go over them again and again until the
 *                  network is gone: the last line is "error -2" (-ENOENT)
 *
 * Exit status: 0; 1 if a line gave an error (but the last with --until-gone) or the
 * program could not be loaded or run (the reason on standard error); 2 for bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nn_predict.h"

static int prog_fd, map_fd, on_cpu = -1;

/* One run of the program on *args; -1 (with a message) if it could not run. */
static int run(struct nn_predict_args *args)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	__u32 zero = 0;
	int err;

	if (on_cpu >= 0) {
		opts.flags = BPF_F_TEST_RUN_ON_CPU;
		opts.cpu = on_cpu;
	}
	if (bpf_map_update_elem(map_fd, &zero, args, BPF_ANY) ||
	    (err = bpf_prog_test_run_opts(prog_fd, &opts)) ||
	    bpf_map_lookup_elem(map_fd, &zero, args)) {
		fprintf(stderr, "nn-bpf-predict: running the program: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* The numbers of one line into args->input; -1 (with a message) for a bad line. */
static int parse_line(const char *line, unsigned long no, struct nn_predict_args *args)
{
	const char *p = line;
	char *end;
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

/* Pins the loader to a CPU other than `cpu`, so that the program runs from an IPI. */
static int pin_elsewhere(int cpu)
{
	cpu_set_t set;
	int n = libbpf_num_possible_cpus(), c;

	for (c = 0; c < n; c++) {
		if (c == cpu)
			continue;
		CPU_ZERO(&set);
		CPU_SET(c, &set);
		if (!sched_setaffinity(0, sizeof(set), &set))
			return 0;
	}
	fprintf(stderr, "nn-bpf-predict: no CPU but %d to run on\n", cpu);
	return -1;
}

/* What predict_line() returns when the line or the run failed. */
#define FAILED INT_MIN

/* Runs one line and prints its answer: 0, the kfunc's negative errno (printed as
 * "error N"), or FAILED if the line or the run failed (with a message). */
static int predict_line(unsigned long id, __u32 outputs, const char *line, unsigned long no)
{
	struct nn_predict_args args;

	memset(&args, 0, sizeof(args));
	args.id = id;
	args.n_out = outputs;
	if (parse_line(line, no, &args) || run(&args))
		return FAILED;
	if (args.ret) {
		printf("error %d\n", args.ret);
		return args.ret;
	}
	for (__u32 k = 0; k < outputs; k++)
		printf(k ? " %d" : "%d", args.output[k]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "until-gone", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct nn_predict_args args;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	unsigned long no = 0, id, i, n_lines = 0;
	char **lines = NULL, buf[8192];
	int opt, until_gone = 0, status = 0, err;
	__u32 outputs;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'c')
			on_cpu = atoi(optarg);
		else if (opt == 'u')
			until_gone = 1;
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: nn-bpf-predict [--cpu N] [--until-gone] OBJECT ID < lines\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	id = strtoul(argv[optind + 1], NULL, 10);
	if (on_cpu >= 0 && pin_elsewhere(on_cpu))
		return 1;

	obj = bpf_object__open_file(argv[optind], NULL);
	if (!obj) {
		fprintf(stderr, "nn-bpf-predict: cannot open %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "nn-bpf-predict: cannot load %s: %s\n", argv[optind], strerror(-err));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "nn_predict");
	map = bpf_object__find_map_by_name(obj, "nn_args");
	if (!prog || !map) {
		fprintf(stderr, "nn-bpf-predict: %s lacks nn_predict or nn_args\n", argv[optind]);
		return 1;
	}
	prog_fd = bpf_program__fd(prog);
	map_fd = bpf_map__fd(map);

	memset(&args, 0, sizeof(args));
	args.id = id;
	if (run(&args))
		return 1;
	if (args.ret) {
		fprintf(stderr, "nn-bpf-predict: network %lu: %s\n", id, strerror(-args.ret));
		return 1;
	}
	outputs = args.outputs;
	if (outputs > NN_PREDICT_MAX_VALUES) {
		fprintf(stderr, "nn-bpf-predict: network %lu has %u outputs, over %d\n", id,
			outputs, NN_PREDICT_MAX_VALUES);
		return 1;
	}

	/* Each line as it comes; with --until-gone, kept for the rounds after. */
	while (fgets(buf, sizeof(buf), stdin)) {
		no++;
		if (until_gone) {
			char **more = realloc(lines, (n_lines + 1) * sizeof(*lines));

			if (!more || !(more[n_lines] = strdup(buf))) {
				fprintf(stderr, "nn-bpf-predict: out of memory\n");
				return 1;
			}
			lines = more;
			n_lines++;
		}
		err = predict_line(id, outputs, buf, no);
		if (err == -ENOENT && until_gone)
			goto out;
		if (err)
			status = 1;
		if (err == FAILED)
			return 1;
	}
	for (i = 0; until_gone && n_lines; i = (i + 1) % n_lines) {
		err = predict_line(id, outputs, lines[i], i + 1);
		if (err == -ENOENT)
			break;
		if (err)
			status = 1;
		if (err == FAILED)
			return 1;
	}
out:
	bpf_object__close(obj);
	return status;
}
