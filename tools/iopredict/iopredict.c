// SPDX-License-Identifier: GPL-2.0
/*
 * iopredict: attaches iopredict.bpf.c to the block layer's tracepoints for one device
 * and prints one CSV line per completed I/O: its LinnOS features, its real latency and
 * what the network predicted.
 *
 * usage: iopredict [--no-predict] [--stats] [--seconds S] DEVICE NETWORK_ID INPUT_FRAC
 *
 *   DEVICE       the block device (/dev/nullb0)
 *   NETWORK_ID   the neural_network network to ask (2 outputs: fast, slow); a model
 *                swapped in with `nnctl replace` is used from the next I/O on
 *   INPUT_FRAC   its input format's fractional bits (the digits are passed as
 *                digit << INPUT_FRAC)
 *   --no-predict the hook without the prediction (what the prediction costs)
 *   --seconds S  stop after S seconds (else at SIGINT or SIGTERM)
 *   --stats      the kernel's BPF run-time statistics on while attached; at the end, on
 *                standard error, one line per program: "bpf NAME runs N ns T" (the
 *                calls and the nanoseconds spent in them: under qemu -icount shift=0,
 *                guest instructions)
 *
 * Output: a header line, then latency_ns,pending,lat1..lat4 (us, newest first),
 * pend1..pend4,ret,predicted,write,bytes,out0,out1 (the network's two outputs, raw
 * fixed point: slow when out1 > out0),arrival_ns (CLOCK_MONOTONIC). At the end, on standard error: the I/Os seen
 * and the records lost (ring buffer full, too many I/Os in flight).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "iopredict.h"
#include "iopredict.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_record(void *ctx, void *data, size_t len)
{
	const struct iop_record *r = data;
	int k;

	(void)ctx;
	if (len < sizeof(*r))
		return 0;
	printf("%llu,%u", (unsigned long long)r->latency_ns, r->pending);
	for (k = 0; k < HISTORY; k++)
		printf(",%u", r->lat_us[k]);
	for (k = 0; k < HISTORY; k++)
		printf(",%u", r->pend[k]);
	printf(",%d,%u,%u,%u,%d,%d,%llu\n", r->ret, r->predicted, r->write, r->bytes, r->out[0],
	       r->out[1], (unsigned long long)r->arrival_ns);
	return 0;
}

/* "bpf NAME runs N ns T" for each of the skeleton's programs, on standard error. */
static void print_stats(struct iopredict *skel)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) {
			fprintf(stderr, "iopredict: %s: no program info: %s\n",
				bpf_program__name(prog), strerror(errno));
			continue;
		}
		fprintf(stderr, "bpf %s runs %llu ns %llu\n", bpf_program__name(prog),
			(unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-predict", no_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "stats", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct ring_buffer *rb = NULL;
	struct iopredict *skel;
	struct timespec t0, t;
	struct stat st;
	double seconds = 0;
	int opt, predict = 1, stats = 0, stats_fd = -1, err, k;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'n')
			predict = 0;
		else if (opt == 's')
			seconds = atof(optarg);
		else if (opt == 't')
			stats = 1;
		else
			return 2;
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: iopredict [--no-predict] [--stats] [--seconds S] DEVICE NETWORK_ID INPUT_FRAC\n");
		return 2;
	}
	if (stat(argv[optind], &st) || !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "iopredict: %s: not a block device\n", argv[optind]);
		return 1;
	}
	skel = iopredict__open();
	if (!skel) {
		fprintf(stderr, "iopredict: cannot open the BPF program: %s\n", strerror(errno));
		return 1;
	}
	/* The kernel's dev_t: MINORBITS is 20. */
	skel->rodata->target_dev = (major(st.st_rdev) << 20) | minor(st.st_rdev);
	skel->rodata->network_id = strtoul(argv[optind + 1], NULL, 10);
	skel->rodata->input_frac = strtoul(argv[optind + 2], NULL, 10);
	skel->rodata->predict_on = predict;
	if (stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0) {
			err = stats_fd;
			fprintf(stderr, "iopredict: cannot turn the BPF statistics on: %s\n",
				strerror(-err));
			goto out;
		}
	}
	err = iopredict__load(skel);
	if (!err)
		err = iopredict__attach(skel);
	if (err) {
		fprintf(stderr, "iopredict: cannot load or attach the BPF program: %s\n",
			strerror(-err));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.records), on_record, NULL, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "iopredict: cannot open the ring buffer: %s\n", strerror(errno));
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("latency_ns,pending");
	for (k = 1; k <= HISTORY; k++)
		printf(",lat%d", k);
	for (k = 1; k <= HISTORY; k++)
		printf(",pend%d", k);
	printf(",ret,predicted,write,bytes,out0,out1,arrival_ns\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "iopredict: polling: %s\n", strerror(-err));
			break;
		}
		fflush(stdout);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (seconds > 0 &&
		    (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >= seconds)
			break;
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	fprintf(stderr, "iopredict: %llu I/Os seen, %llu records lost (ring full), %llu not tracked (map full)\n",
		(unsigned long long)skel->bss->seen, (unsigned long long)skel->bss->lost_ring,
		(unsigned long long)skel->bss->lost_map);
	if (!skel->bss->seen)
		fprintf(stderr, "iopredict: the device is %u:%u (kernel dev_t %#x); the last bio seen was for %#x\n",
			major(st.st_rdev), minor(st.st_rdev), skel->rodata->target_dev,
			skel->bss->last_dev);
	if (stats)
		print_stats(skel);
	err = 0;
out:
	if (stats_fd >= 0)
		close(stats_fd);
	ring_buffer__free(rb);
	iopredict__destroy(skel);
	return err ? 1 : 0;
}
