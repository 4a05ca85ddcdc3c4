// SPDX-License-Identifier: GPL-2.0
/*
 * nn-fuzz: an interface fuzzer for the module's debugfs tree, in the spirit of syzkaller.
 *
 * usage: nn-fuzz [-s SEED] [-t SECONDS] [-j TASKS] [-T FIRST_TASK] [-n MAX_NETWORKS]
 *                [-o MAX_OPS] [-k RING] [-p PARAMDIR] [-l LOGDIR] [-b] [-F] ROOT [MODEL...]
 *
 * ROOT is /sys/kernel/debug/neural_network; each MODEL a .nnm blob (valid or malformed)
 * used, mutated or not, for `load` and `replace` (blobs over 64 KiB are left out).
 * -p: the module's parameter directory (/sys/module/neural_network/parameters), whose
 * run-time tunables are then written too (bounded: the memory limits stay small).
 * -b: task 0 opens `bench` (which runs the in-guest benchmark) once, early.
 * -F: allocations fail on purpose meanwhile (fault injection): a network's directory may
 * lack a file that debugfs could not make.
 *
 * TASKS processes (default 4) are forked; task i draws from its own PRNG stream,
 * splitmix64 seeded with SEED and i (-T shifts the indices: `-j 1 -T 2` runs task 2's
 * stream alone). Each loops until SECONDS (or MAX_OPS operations) pass, each step one
 * of: open a random file of the tree (the top-level files and each network_N/'s, found
 * by readdir at every step, since networks come and go) with a random access mode and
 * flags into one of 8 slots, kept open across later steps; write to an open slot,
 * whole or in pieces (0 bytes, 1, odd sizes, across the 32-byte header of a blob, up to
 * 128 KiB), by write(2), writev(2) or pwrite(2); read at odd offsets and sizes (lseek
 * with SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, pread(2), offsets up to
 * 2^63-1); a write from or a read into a buffer that runs into an unmapped page; a
 * child that writes to a file the task opened, killed (SIGKILL) 0 to 300 ms later;
 * close; a whole file read and checked; a one-shot open-write-close; a
 * `remove` of a network (more often while more than MAX_NETWORKS, default 12, exist);
 * a parameter written. What is written comes from a grammar of the real commands
 * (create lines with sizes, activations, seed=, policy=, node=, nodes=; config
 * commands; predict rows and train samples of the network's own widths, read from its
 * config; settings; ids of live and dead networks; node ids; firmware names; model
 * blobs truncated, bit-flipped or with a field set to a limit value, their total_len
 * and CRC fixed 3 times in 4), mutated one time in five (bytes flipped, inserted,
 * deleted, duplicated, a token of another grammar spliced in), and random bytes.
 * The work a write asks for is bounded (rows times the network's bytes, epochs times
 * samples), so that no step runs for long under emulation.
 *
 * Checked at every call (a "finding" otherwise):
 *   - a write returns its whole length or fails with an errno that the file's code can
 *     give (EINVAL, ENOMEM, EFBIG, ENOSPC, EBUSY, ENOENT, ... per file; EIO only on a
 *     network's files, whose network may have been removed; EBADF for a file opened
 *     read-only; EINVAL where the file has no write; EFAULT only, and always, from a
 *     buffer that runs into the unmapped page); never a short count (writev may stop
 *     between its pieces, at a piece's end);
 *   - a read returns 0 to its size, or EBADF (opened write-only), EINVAL (no read, or
 *     an offset past 2^63), ENOMEM, EIO on a network's files; the bytes are text
 *     (printable ASCII, tab, newline); what an open file reads is a snapshot: without a
 *     write on that file in between, the same offset gives the same bytes, and a whole
 *     text ends in a newline;
 *   - an open fails only with ENOENT (a network's file, whose network went) or ENOMEM;
 *     lseek only with EINVAL or ENXIO (SEEK_DATA/HOLE past the end), EIO as above;
 *   - `config` starts with "id: N" for network_N; `load` and `create` read "N" or
 *     "none", and a `create` file that made a network an id above every id its task had
 *     seen; after a successful `remove` of N, network_N is gone; a network's file that
 *     gives EIO (held open) or ENOENT (at open) has its directory gone within 10 s of
 *     the last call in flight on its files (at most 50 s), or, for ENOENT, the file
 *     there after all (the open met the directory being made, before its files);
 *   - every task ends (a task killed by a signal, e.g. by an oops in its system call, is
 *     a finding, with the operation it was in).
 *
 * Every operation is logged before it runs in its task's ring (shared memory, so that
 * the parent prints it even for a task that died): on a finding, the seed, the task and
 * its last RING (default 40) operations, then, at the end, every task's last operations
 * merged in time order. -l DIR also writes every operation of task i to DIR/task-i.log.
 * Printed always: the seed first ("nn-fuzz: seed S ..."; the seed also goes to
 * /dev/kmsg), then per file kind and call the counts of successes and of each errno, and
 * a last line "nn-fuzz: done: ops N findings F". Exit status 0 without findings, 1 with,
 * 2 on a usage error. Replay: the same seed, tasks and models run the same streams; the
 * interleaving of the tasks (and so which networks exist when) is the scheduler's, so
 * replay a failure with its seed first, then its task's stream alone (-j 1 -T i).
 *
 * Built static by `make guest`.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TASKS 16
#define RING_MAX 256
#define SLOTS 8
#define MAX_WRITE (128 << 10)
#define READ_BUF (1 << 20)
#define SNAP_MAX (64 << 10)
#define MODEL_MAX (64 << 10)
#define MAX_MODELS 256
#define NET_CACHE 64

/* ---------------------------------------------------------------- random numbers */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

/* True num times in den. */
static int chance(struct rng *r, uint32_t num, uint32_t den)
{
	return below(r, den) < num;
}

static const char *pick(struct rng *r, const char *const *list, size_t n)
{
	return list[below(r, n)];
}
#define PICK(r, list) pick(r, list, sizeof(list) / sizeof(list[0]))

/* A small size, biased to the edges: 0, 1, 2, a few, around a power of two. */
static size_t odd_size(struct rng *r, size_t max)
{
	static const size_t edges[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 31, 32, 33, 35, 36, 37,
					63, 64, 65, 255, 256, 257, 4095, 4096, 4097, 65535,
					65536, 65537 };
	size_t n;

	switch (below(r, 4)) {
	case 0:
		n = edges[below(r, sizeof(edges) / sizeof(edges[0]))];
		break;
	case 1:
		n = below(r, 16);
		break;
	case 2:
		n = below(r, 512);
		break;
	default:
		n = rnd(r) % (max + 1);
		break;
	}
	return n > max ? max : n;
}

/* --------------------------------------------------------------- the shared state */

/* File kinds. */
enum kind {
	K_CREATE,
	K_LOAD,
	K_LOADFW,
	K_REMOVE,
	K_EVACUATE,
	K_REPORT,
	K_BENCH,
	K_CONFIG,
	K_PREDICT,
	K_REPLACE,
	K_STATS,
	K_TRAIN,
	K_PARAM,
	K_OTHER,
	NKINDS
};
static const char *const kind_name[NKINDS] = {
	"create", "load", "load_firmware", "remove", "evacuate", "report", "bench", "config",
	"predict", "replace", "stats", "train", "param", "other",
};

/* Calls. */
enum call { C_OPEN, C_WRITE, C_WRITEV, C_PWRITE, C_READ, C_PREAD, C_LSEEK, C_CLOSE, NCALLS };
static const char *const call_name[NCALLS] = {
	"open", "write", "writev", "pwrite", "read", "pread", "lseek", "close",
};

/* The errnos counted by name; the rest as "other". */
static const int errnos[] = { EINVAL, ENOMEM, EFBIG, ENOSPC, EBUSY, ENOENT, EIO, EBADF,
			      ENXIO, EAGAIN, EINTR, E2BIG, ERANGE, EOVERFLOW, ENODEV, EFAULT,
			      EPERM, EACCES, EEXIST, EISDIR, ENOTDIR, ESPIPE, ETIMEDOUT };
#define NERR (sizeof(errnos) / sizeof(errnos[0]))
static const char *const errno_name[NERR] = {
	"EINVAL", "ENOMEM", "EFBIG", "ENOSPC", "EBUSY", "ENOENT", "EIO", "EBADF", "ENXIO",
	"EAGAIN", "EINTR", "E2BIG", "ERANGE", "EOVERFLOW", "ENODEV", "EFAULT", "EPERM",
	"EACCES", "EEXIST", "EISDIR", "ENOTDIR", "ESPIPE", "ETIMEDOUT",
};

static int errno_index(int e)
{
	size_t i;

	for (i = 0; i < NERR; i++)
		if (errnos[i] == e)
			return (int)i + 1;
	return NERR + 1;
}

static const char *ename(int e)
{
	int i = errno_index(e);
	static char buf[32];

	if (i <= (int)NERR)
		return errno_name[i - 1];
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* What a finding is about. */
enum fcat { F_ERRNO, F_COUNT, F_TEXT, F_STATE, F_TASK, F_KERNEL, NCATS };
static const char *const fcat_name[NCATS] = { "errno", "count", "text", "state", "task",
					       "kernel" };

struct entry {
	uint64_t seq;
	uint64_t ns;
	int done;
	long res;
	int err;
	char what[236];
};

struct task_shared {
	uint64_t ops;
	uint64_t findings;
	/* [kind][call][0: success, 1..NERR: errnos, NERR + 1: other] */
	uint64_t count[NKINDS][NCALLS][NERR + 2];
	/* Writes whose whole content the file took, per kind. */
	uint64_t accepted[NKINDS];
	/* Children that wrote (killed_write), and those killed before they were done. */
	uint64_t forked, killed;
	uint64_t ring_n;
	struct entry ring[RING_MAX];
	int finished;
};

struct shared {
	volatile int print_lock;
	uint64_t findings;
	/* expect_gone: directories that went after a wait; opens that met one being made. */
	uint64_t waited_gone, met_making;
	uint64_t by_cat[NCATS];
	struct task_shared task[MAX_TASKS];
};

static struct shared *sh;

/* ------------------------------------------------------------------ configuration */

static const char *root;
static const char *param_dir;
static const char *log_dir;
static uint64_t seed;
static int seconds = 60, ntasks = 4, first_task, max_nets = 12, ring_len = 40, bench, faults;
static uint64_t max_ops;
static int nnodes = 1, ncpus = 1;
static uint64_t t_start, t_end;
static int kmsg_fd = -1, kmsg_follow;
static uint64_t kmsg_records, kmsg_lost, kmsg_module, kmsg_notes;

struct model {
	unsigned char *b;
	size_t len;
	uint32_t in, out; /* 0: not a readable header */
	int in_frac, out_frac;
	int plausible; /* its length and CRC check out (a malformed model may still) */
	const char *name;
};
static struct model models[MAX_MODELS];
static int nmodels;

/* ------------------------------------------------------------------- the task */

struct slot {
	int fd; /* -1: free */
	enum kind kind;
	int flags;
	int net; /* network id, or -1 for a top-level file */
	char path[160];
	long long pos; /* the file position as far as known; -1: unknown */
	int writes; /* writes since the snapshot was taken */
	int snap_ok;
	/* create: this open file made a network after the task had seen ids up to this
	 * (-1: it made none); writes to it since (each may make another). */
	int created_after;
	int writes_since_create;
	size_t snap_len;
	char *snap;
};

struct net_info {
	int id;
	int known;
	uint32_t in, out;
	int in_frac, out_frac;
	uint64_t bytes;
	int trainable;
};

static struct {
	int id;
	struct rng r;
	struct task_shared *s;
	struct slot slot[SLOTS];
	struct net_info net[NET_CACHE];
	int net_next;
	/* The listing of the tree: top-level files and network ids. */
	char top[64][64];
	int ntop;
	int ids[512];
	int nids;
	int max_seen; /* the highest network id this task has seen */
	char *rbuf;
	char *wbuf;
	int log_fd;
	int bench_at;
	/* This write's content is the grammar's valid choices only (every other write). */
	int clean;
	/* Two pages, the second PROT_NONE: buffers that run into it fault midway. */
	char *trap;
	long page;
	/* A child of killed_write: may die anywhere, so it never takes the print lock. */
	int in_child;
	/* In the warm-up (every kind of write once, valid, at the start). */
	int warm;
} T;

/* An invalid choice of the grammar, num times in den unless the write is clean. */
#define ODD(num, den) (!T.clean && chance(&T.r, num, den))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void lock_print(void)
{
	while (__sync_lock_test_and_set(&sh->print_lock, 1))
		usleep(1000);
}

static void unlock_print(void)
{
	__sync_lock_release(&sh->print_lock);
}

/* Text for a log: printable bytes as they are, the rest escaped, at most max bytes. */
static void escape(char *out, size_t cap, const char *in, size_t len, size_t max)
{
	size_t o = 0, i;

	for (i = 0; i < len && i < max && o + 5 < cap; i++) {
		unsigned char c = in[i];

		if (c == '\n')
			o += snprintf(out + o, cap - o, "\\n");
		else if (c == '\t')
			o += snprintf(out + o, cap - o, "\\t");
		else if (c == '\\' || c == '"')
			o += snprintf(out + o, cap - o, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			out[o++] = c;
		else
			o += snprintf(out + o, cap - o, "\\x%02x", c);
	}
	if (i < len && o + 4 < cap)
		o += snprintf(out + o, cap - o, "...");
	out[o < cap ? o : cap - 1] = 0;
}

/* Logs an operation before it runs; op_end records its result. */
static struct entry *op_begin(const char *fmt, ...)
{
	struct task_shared *s = T.s;
	struct entry *e = &s->ring[s->ring_n % RING_MAX];
	va_list ap;

	e->done = 0;
	e->seq = s->ops;
	e->ns = now_ns() - t_start;
	e->res = 0;
	e->err = 0;
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
	__sync_synchronize();
	s->ring_n++;
	s->ops++;
	return e;
}

static void op_end(struct entry *e, long res, int err)
{
	e->res = res;
	e->err = err;
	__sync_synchronize();
	e->done = 1;
	if (T.log_fd >= 0)
		dprintf(T.log_fd, "%" PRIu64 " %" PRIu64 ".%06" PRIu64 " %s = %ld%s%s\n", e->seq,
			e->ns / 1000000000, e->ns / 1000 % 1000000, e->what, res,
			res < 0 ? " " : "", res < 0 ? ename(err) : "");
}

static void print_entry(int task, const struct entry *e)
{
	printf("nn-fuzz:   task %d op %" PRIu64 " t=%" PRIu64 ".%06" PRIu64 " %s", task, e->seq,
	       e->ns / 1000000000, e->ns / 1000 % 1000000, e->what);
	if (!e->done)
		printf(" (in flight)\n");
	else if (e->res < 0)
		printf(" = -1 %s\n", ename(e->err));
	else
		printf(" = %ld\n", e->res);
}

static void print_ring(int task, struct task_shared *s, int k)
{
	uint64_t n = s->ring_n, i, from = n > (uint64_t)k ? n - k : 0;

	if (n > RING_MAX && from < n - RING_MAX)
		from = n - RING_MAX;
	for (i = from; i < n; i++)
		print_entry(task, &s->ring[i % RING_MAX]);
}

static void finding(enum fcat cat, const char *fmt, ...)
{
	va_list ap;
	uint64_t nth = __sync_add_and_fetch(&T.s->findings, 1);

	__sync_add_and_fetch(&sh->findings, 1);
	__sync_add_and_fetch(&sh->by_cat[cat], 1);
	if (!T.in_child)
		lock_print();
	printf("nn-fuzz: FINDING seed %" PRIu64 " task %d op %" PRIu64 ": ", seed, T.id,
	       T.s->ops - 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (nth <= 3) {
		printf("nn-fuzz: task %d's last %d operations:\n", T.id, ring_len);
		print_ring(T.id, T.s, ring_len);
	}
	fflush(stdout);
	if (!T.in_child)
		unlock_print();
	if (T.log_fd >= 0)
		dprintf(T.log_fd, "FINDING above\n");
}

static void count(enum kind k, enum call c, long res, int err)
{
	T.s->count[k][c][res < 0 ? errno_index(err) : 0]++;
}

/* ------------------------------------------------------------ the tree and its files */

static enum kind kind_of(const char *name, int in_net)
{
	static const struct {
		const char *name;
		enum kind kind;
	} top[] = {
		{ "create", K_CREATE },	  { "load", K_LOAD },	     { "load_firmware", K_LOADFW },
		{ "remove", K_REMOVE },	  { "evacuate", K_EVACUATE }, { "numa_info", K_REPORT },
		{ "numa_stats", K_REPORT }, { "memory_map", K_REPORT }, { "memory", K_REPORT },
		{ "simd", K_REPORT },	  { "cpu_affinity", K_REPORT }, { "bench", K_BENCH },
	}, net[] = {
		{ "config", K_CONFIG }, { "predict", K_PREDICT }, { "replace", K_REPLACE },
		{ "stats", K_STATS },	{ "train", K_TRAIN },
	};
	size_t i;

	if (in_net) {
		for (i = 0; i < sizeof(net) / sizeof(net[0]); i++)
			if (!strcmp(name, net[i].name))
				return net[i].kind;
	} else {
		for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
			if (!strcmp(name, top[i].name))
				return top[i].kind;
	}
	return K_OTHER;
}

/* Reads ROOT's entries: the top-level files and the network ids. */
static void list_tree(void)
{
	DIR *d = opendir(root);
	struct dirent *de;

	T.ntop = 0;
	T.nids = 0;
	if (!d) {
		finding(F_STATE, "opendir %s: %s", root, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		int id;
		char c;

		if (de->d_name[0] == '.')
			continue;
		if (sscanf(de->d_name, "network_%d%c", &id, &c) == 1) {
			if (T.nids < (int)(sizeof(T.ids) / sizeof(T.ids[0])))
				T.ids[T.nids++] = id;
			if (id > T.max_seen)
				T.max_seen = id;
		} else if (T.ntop < 64 && strlen(de->d_name) < 64) {
			strcpy(T.top[T.ntop++], de->d_name);
		}
	}
	closedir(d);
}

/* The names of a network's directory (empty if it went). */
static int list_net(int id, char names[][16], int max)
{
	char path[128];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(path, sizeof(path), "%s/network_%d", root, id);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= 16)
			continue;
		strcpy(names[n++], de->d_name);
	}
	closedir(d);
	return n;
}

static int random_net(void)
{
	return T.nids ? T.ids[below(&T.r, T.nids)] : -1;
}

/* ----------------------------------------------------------------- reads and checks */

static int is_net_kind(enum kind k)
{
	return k == K_CONFIG || k == K_PREDICT || k == K_REPLACE || k == K_STATS ||
	       k == K_TRAIN;
}

static int readable(enum kind k)
{
	return !(k == K_LOADFW || k == K_REMOVE || k == K_EVACUATE || k == K_REPLACE);
}

static int writable(enum kind k)
{
	return !(k == K_REPORT || k == K_BENCH || k == K_STATS || k == K_OTHER);
}

static const char *mode_name(int flags)
{
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return "O_RDONLY";
	case O_WRONLY:
		return "O_WRONLY";
	default:
		return "O_RDWR";
	}
}

/* Checks text read from a file: printable ASCII, tabs and newlines. */
static void check_text(const struct slot *s, const char *b, size_t n, long long at)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = b[i];

		if (!(c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f))) {
			char esc[200];

			escape(esc, sizeof(esc), b + (i > 20 ? i - 20 : 0), n - (i > 20 ? i - 20 : 0),
			       40);
			finding(F_TEXT, "%s: byte 0x%02x at offset %lld is not text: \"%s\"", s->path, c,
				at + (long long)i, esc);
			return;
		}
	}
}

/* A read's bytes against the snapshot the open file had given at those offsets. */
static void check_snapshot(struct slot *s, const char *b, size_t n, long long at)
{
	size_t end;

	if (!s->snap_ok || s->writes || at < 0 || s->kind == K_PARAM)
		return;
	if ((unsigned long long)at >= s->snap_len) {
		if (n)
			finding(F_TEXT, "%s: %zu bytes at offset %lld, past the %zu of its text", s->path,
				n, at, s->snap_len);
		return;
	}
	end = s->snap_len - (size_t)at;
	if (n > end || memcmp(b, s->snap + at, n)) {
		char was[120], now[120];

		escape(was, sizeof(was), s->snap + at, end, 48);
		escape(now, sizeof(now), b, n, 48);
		finding(F_TEXT, "%s: read %zu bytes at offset %lld that differ from what the same open "
			"file read before: \"%s\" then \"%s\"",
			s->path, n, at, was, now);
	}
}

/* Whether an operation of any task is in flight on a file of network_<net>/: its entry
 * in the task's ring not done yet (a child killed midway leaves one behind, which only
 * makes the wait below longer). */
static int in_flight_on(int net)
{
	char pat[32];
	int t, i;

	snprintf(pat, sizeof(pat), "/network_%d/", net);
	for (t = 0; t < MAX_TASKS; t++) {
		const struct task_shared *ts = &sh->task[t];

		for (i = 0; i < RING_MAX; i++)
			if (!ts->ring[i].done && ts->ring[i].what[0] && strstr(ts->ring[i].what, pat))
				return 1;
	}
	return 0;
}

/* A network's file said its network went (EIO from a file held open, ENOENT from an
 * open): its directory must be gone, or go within 10 s of the last call in flight on
 * its files (a remove takes the files away one at a time, each once the calls in
 * flight on it are done: a long train write delays the rest), at most 50 s in all (a
 * task still running 60 s after the deadline is a finding).
 * An ENOENT whose file is there after all met the directory being made (debugfs makes a
 * network's directory, then its files): allowed, and counted. Returns 1: the errno is
 * allowed. */
static int expect_gone(int net, const char *path, int err)
{
	char dir[160];
	struct stat st;
	int i, quiet = 0;

	snprintf(dir, sizeof(dir), "%s/network_%d", root, net);
	for (i = 0; i < 1000 && quiet < 200; i++) {
		if (stat(dir, &st)) {
			if (i)
				__sync_add_and_fetch(&sh->waited_gone, 1);
			return 1;
		}
		if (err == ENOENT && !stat(path, &st)) {
			__sync_add_and_fetch(&sh->met_making, 1);
			return 1;
		}
		quiet = in_flight_on(net) ? 0 : quiet + 1;
		usleep(50000);
	}
	/* With allocations failing on purpose (-F), debugfs may not have made the file. */
	if (faults && err == ENOENT && stat(path, &st))
		return 1;
	finding(F_STATE, "%s gave %s, but %s is still there %d s later (%s)", path, ename(err),
		dir, i / 20, quiet < 200 ? "calls on its files still in flight" :
		"10 s after the last call in flight on its files");
	return 1;
}

/* The allowed errnos of a read. */
static int read_errno_ok(const struct slot *s, int err, int huge)
{
	/* pread(2) refuses a negative offset before it looks at the file. */
	if (err == EINVAL && huge)
		return 1;
	if (s->kind == K_PARAM && err == ESPIPE)
		return 1;
	if ((s->flags & O_ACCMODE) == O_WRONLY)
		return err == EBADF;
	if (err == EINVAL && !readable(s->kind))
		return 1;
	if (err == EIO && is_net_kind(s->kind))
		return expect_gone(s->net, s->path, err);
	if (err == ENOMEM)
		return 1;
	if (s->kind == K_PARAM)
		return err == EINVAL || err == EPERM || err == EACCES;
	return 0;
}

/* Reads the whole text of an open file from offset 0 into its snapshot, and checks it. */
static void read_whole(struct slot *s)
{
	size_t len = 0;
	long n;
	struct entry *e;
	size_t chunk = below(&T.r, 6) == 0 ? 1 + below(&T.r, 200) : READ_BUF;
	int reads = 0, eof = 0;
	char esc[120];

	e = op_begin("lseek fd%d(%s) 0 SEEK_SET", s->fd, s->path);
	n = lseek(s->fd, 0, SEEK_SET);
	op_end(e, n, errno);
	count(s->kind, C_LSEEK, n, errno);
	if (n < 0) {
		if (errno == EIO && is_net_kind(s->kind))
			expect_gone(s->net, s->path, EIO);
		else
			finding(F_ERRNO, "lseek %s to 0: %s", s->path, ename(errno));
		s->pos = -1;
		return;
	}
	s->pos = 0;
	/* To the end, or READ_BUF bytes, or 2000 reads (of small sizes). */
	while (reads++ < 2000) {
		if (len + chunk > READ_BUF)
			chunk = READ_BUF - len;
		if (!chunk)
			break;
		e = op_begin("read fd%d(%s) %zu at %zu", s->fd, s->path, chunk, len);
		n = read(s->fd, T.rbuf + len, chunk);
		op_end(e, n, errno);
		count(s->kind, C_READ, n, errno);
		if (n < 0) {
			if (!read_errno_ok(s, errno, 0))
				finding(F_ERRNO, "read %s (%s): %s", s->path, mode_name(s->flags), ename(errno));
			s->pos = -1;
			return;
		}
		if ((size_t)n > chunk) {
			finding(F_COUNT, "read %s: %ld bytes for a read of %zu", s->path, n, chunk);
			s->pos = -1;
			return;
		}
		if (n == 0) {
			eof = 1;
			break;
		}
		len += n;
		s->pos = (long long)len;
	}
	if ((s->flags & O_ACCMODE) == O_WRONLY) {
		finding(F_COUNT, "read %s opened write-only gave %zu bytes", s->path, len);
		return;
	}
	if (!readable(s->kind) && len) {
		finding(F_COUNT, "read %s, which has no read, gave %zu bytes", s->path, len);
		return;
	}
	if (s->kind == K_PARAM)
		return;
	check_text(s, T.rbuf, len, 0);
	check_snapshot(s, T.rbuf, len, 0);
	if (!eof)
		return;
	if (len && T.rbuf[len - 1] != '\n') {
		escape(esc, sizeof(esc), T.rbuf + (len > 40 ? len - 40 : 0), len > 40 ? 40 : len, 40);
		finding(F_TEXT, "%s: its text of %zu bytes does not end in a newline: ...\"%s\"", s->path,
			len, esc);
	}
	if (s->kind == K_CONFIG && len) {
		int id = -1;

		if (sscanf(T.rbuf, "id: %d\n", &id) != 1 || id != s->net) {
			escape(esc, sizeof(esc), T.rbuf, len, 20);
			finding(F_TEXT, "%s: starts \"%s\", not \"id: %d\"", s->path, esc, s->net);
		}
	}
	if ((s->kind == K_LOAD || s->kind == K_CREATE) && len) {
		size_t i = 0;

		while (i < len && isdigit((unsigned char)T.rbuf[i]))
			i++;
		if (!((i > 0 && i + 1 == len) || (len == 5 && !memcmp(T.rbuf, "none\n", 5)))) {
			escape(esc, sizeof(esc), T.rbuf, len, 40);
			finding(F_TEXT, "%s: reads \"%s\", not an id or none", s->path, esc);
		} else if (s->created_after >= 0 && !s->writes_since_create &&
			   !(i > 0 && atoi(T.rbuf) > s->created_after)) {
			/* Ids count up: the network this file made is newer than any seen. */
			finding(F_STATE, "%s: this open file created a network, but reads \"%.*s\", "
				"not an id above %d, the highest this task had seen", s->path,
				(int)(len - 1), T.rbuf, s->created_after);
		}
	}
	if (!s->snap_ok || s->writes) {
		if (len <= SNAP_MAX) {
			memcpy(s->snap, T.rbuf, len);
			s->snap_len = len;
			s->snap_ok = 1;
			s->writes = 0;
		} else {
			s->snap_ok = 0;
		}
	}
}

/* A read at an odd offset and of an odd size (lseek then read, or pread). */
static void read_odd(struct slot *s)
{
	static const long long offs[] = { 0, 1, 2, 7, 31, 100, 4095, 4096, 65536, 1LL << 31,
					  1LL << 40, (1LL << 62), INT64_MAX - 1, INT64_MAX };
	long long off;
	size_t size = odd_size(&T.r, READ_BUF);
	long n;
	struct entry *e;
	int huge, use_pread = chance(&T.r, 1, 3);

	if (s->snap_ok && chance(&T.r, 1, 2) && s->snap_len)
		off = (long long)below(&T.r, (uint32_t)s->snap_len + 2);
	else
		off = offs[below(&T.r, sizeof(offs) / sizeof(offs[0]))];
	if (chance(&T.r, 1, 20))
		off = -1 - (long long)below(&T.r, 100);
	huge = off < 0 || (unsigned long long)off + size > (unsigned long long)INT64_MAX;
	if (use_pread) {
		e = op_begin("pread fd%d(%s) %zu at %lld", s->fd, s->path, size, off);
		n = pread(s->fd, T.rbuf, size, off);
		op_end(e, n, errno);
		count(s->kind, C_PREAD, n, errno);
	} else {
		int whence = SEEK_SET;
		long long r;

		switch (below(&T.r, 8)) {
		case 0:
			whence = SEEK_CUR;
			break;
		case 1:
			whence = SEEK_END;
			break;
		case 2:
			whence = chance(&T.r, 1, 2) ? SEEK_DATA : SEEK_HOLE;
			break;
		}
		e = op_begin("lseek fd%d(%s) %lld %s", s->fd, s->path, off,
			     whence == SEEK_SET ? "SEEK_SET" : whence == SEEK_CUR ? "SEEK_CUR" :
			     whence == SEEK_END ? "SEEK_END" : whence == SEEK_DATA ? "SEEK_DATA" :
										 "SEEK_HOLE");
		r = lseek(s->fd, off, whence);
		op_end(e, r, errno);
		count(s->kind, C_LSEEK, r, errno);
		if (r < 0) {
			int err = errno;

			if (err == EIO && is_net_kind(s->kind))
				expect_gone(s->net, s->path, err);
			else if (!(err == EINVAL || err == ENXIO ||
				   (s->kind == K_PARAM && err == ESPIPE)))
				finding(F_ERRNO, "lseek %s %lld: %s", s->path, off, ename(err));
			if (err != EINVAL && err != ENXIO)
				s->pos = -1;
			return;
		}
		if (whence == SEEK_SET && r != off)
			finding(F_COUNT, "lseek %s to %lld gave %lld", s->path, off, r);
		off = r;
		s->pos = r;
		huge = (unsigned long long)off + size > (unsigned long long)INT64_MAX;
		e = op_begin("read fd%d(%s) %zu at %lld", s->fd, s->path, size, off);
		n = read(s->fd, T.rbuf, size);
		op_end(e, n, errno);
		count(s->kind, C_READ, n, errno);
	}
	if (n < 0) {
		if (!read_errno_ok(s, errno, huge))
			finding(F_ERRNO, "%s %s %zu at %lld: %s", use_pread ? "pread" : "read", s->path, size,
				off, ename(errno));
		return;
	}
	if ((size_t)n > size) {
		finding(F_COUNT, "read %s: %ld bytes for a read of %zu", s->path, n, size);
		return;
	}
	if (!use_pread && s->pos >= 0)
		s->pos += n;
	if (s->kind == K_PARAM)
		return;
	if (n && ((s->flags & O_ACCMODE) == O_WRONLY || !readable(s->kind))) {
		finding(F_COUNT, "read %s gave %ld bytes where it has no read or was opened write-only",
			s->path, n);
		return;
	}
	check_text(s, T.rbuf, n, off);
	check_snapshot(s, T.rbuf, n, off);
}

/* A read into a buffer that runs into an unmapped page: EFAULT, or at most the bytes
 * that fit before it. */
static void read_trap(struct slot *s)
{
	size_t size = 1 + odd_size(&T.r, 2 * T.page);
	size_t room = below(&T.r, (uint32_t)(size < (size_t)T.page ? size : (size_t)T.page));
	char *p = T.trap + T.page - room;
	struct entry *e;
	long n;

	e = op_begin("read fd%d(%s) %zu into a buffer of %zu mapped bytes", s->fd, s->path, size,
		     room);
	n = read(s->fd, p, size);
	op_end(e, n, errno);
	count(s->kind, C_READ, n, errno);
	if (n < 0) {
		/* At a position past 2^63 - size (or unknown), EINVAL is the VFS's. */
		int huge = s->pos < 0 || (unsigned long long)s->pos + size > (unsigned long long)INT64_MAX;

		if (errno != EFAULT && !read_errno_ok(s, errno, huge))
			finding(F_ERRNO, "read %s of %zu bytes, %zu mapped: %s", s->path, size, room,
				ename(errno));
		return;
	}
	if ((size_t)n > room) {
		finding(F_COUNT, "read %s gave %ld bytes into a buffer of %zu mapped bytes",
			s->path, n, room);
		return;
	}
	if (s->pos >= 0)
		s->pos += n;
	if (s->kind != K_PARAM)
		check_text(s, p, n, -1);
}

/* ------------------------------------------------------------- the network's widths */

static struct net_info *net_info(int id)
{
	struct net_info *ni = NULL;
	char path[160], *line, *save;
	int fd, i;
	long n;
	struct entry *e;

	for (i = 0; i < NET_CACHE; i++)
		if (T.net[i].known && T.net[i].id == id)
			return &T.net[i];
	ni = &T.net[T.net_next++ % NET_CACHE];
	memset(ni, 0, sizeof(*ni));
	ni->id = id;
	snprintf(path, sizeof(path), "%s/network_%d/config", root, id);
	e = op_begin("open %s O_RDONLY (widths)", path);
	fd = open(path, O_RDONLY);
	op_end(e, fd, errno);
	count(K_CONFIG, C_OPEN, fd, errno);
	if (fd < 0) {
		if (errno == ENOENT)
			expect_gone(id, path, errno);
		else if (errno != ENOMEM)
			finding(F_ERRNO, "open %s: %s", path, ename(errno));
		return ni;
	}
	e = op_begin("read fd%d(%s) 4095", fd, path);
	n = read(fd, T.rbuf, 4095);
	op_end(e, n, errno);
	count(K_CONFIG, C_READ, n, errno);
	if (n < 0 && errno == EIO)
		expect_gone(id, path, errno);
	else if (n < 0 && errno != ENOMEM)
		finding(F_ERRNO, "read %s: %s", path, ename(errno));
	e = op_begin("close fd%d(%s)", fd, path);
	i = close(fd);
	op_end(e, i, errno);
	count(K_CONFIG, C_CLOSE, i, errno);
	if (n <= 0)
		return ni;
	T.rbuf[n] = 0;
	for (line = strtok_r(T.rbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int v;
		unsigned long long b;

		int f;

		if (sscanf(line, "input: %u frac %d", &v, &f) == 2)
			ni->in = v, ni->in_frac = f;
		else if (sscanf(line, "output: %u frac %d", &v, &f) == 2)
			ni->out = v, ni->out_frac = f;
		else if (sscanf(line, "bytes: %llu", &b) == 1)
			ni->bytes = b;
		else if (!strncmp(line, "origin: created", 15))
			ni->trainable = 1;
	}
	ni->known = ni->in && ni->out;
	return ni;
}

/* ----------------------------------------------------------------- the grammar */

struct buf {
	char *b;
	size_t len, cap;
};

static void put(struct buf *o, const char *s, size_t n)
{
	if (o->len + n > o->cap)
		n = o->cap - o->len;
	memcpy(o->b + o->len, s, n);
	o->len += n;
}

static void puts_(struct buf *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putf(struct buf *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static const char *const big_numbers[] = {
	"0", "1", "-1", "15", "16", "17", "47", "48", "255", "256", "4096", "4097", "65535",
	"65536", "2147483647", "2147483648", "4294967295", "4294967296", "-2147483648",
	"18446744073709551615", "18446744073709551616", "99999999999999999999999", "007",
	"+1", "1.0", "0x10", "1e3", "", " ", "-0",
};

static void put_node(struct buf *o)
{
	if (ODD(1, 8))
		puts_(o, PICK(&T.r, big_numbers));
	else if (ODD(1, 7))
		putf(o, "%d", nnodes + (int)below(&T.r, 3));
	else
		putf(o, "%d", (int)below(&T.r, nnodes));
}

static void put_nodelist(struct buf *o)
{
	static const char *const odd[] = { "", ",", "0-", "-1", "1-0", "0,,1", "0-63", "64",
					   "0-1,0-1", "a", "0-1-2", "00", "0 1", "65535",
					   "0-4294967295", "0,", ",0" };
	int a, b;

	if (ODD(1, 6)) {
		puts_(o, PICK(&T.r, odd));
		return;
	}
	a = (int)below(&T.r, nnodes);
	b = (int)below(&T.r, nnodes);
	if (a > b) {
		int t = a;

		a = b;
		b = t;
	}
	switch (below(&T.r, 3)) {
	case 0:
		putf(o, "%d", a);
		break;
	case 1:
		putf(o, "%d-%d", a, b);
		break;
	default:
		putf(o, "%d,%d", a, b);
		break;
	}
}

static void put_cpulist(struct buf *o)
{
	static const char *const odd[] = { "", "default", "100000", "0-", "1-0", ",", "0,,1",
					   "4096", "-1", "a", "0-4095", "65536", "default1" };

	if (ODD(1, 5)) {
		puts_(o, PICK(&T.r, odd));
		return;
	}
	switch (below(&T.r, 4)) {
	case 0:
		puts_(o, "default");
		break;
	case 1:
		putf(o, "0-%d", ncpus - 1);
		break;
	case 2:
		putf(o, "%d", (int)below(&T.r, ncpus + 1));
		break;
	default:
		putf(o, "%d,%d", (int)below(&T.r, ncpus), (int)below(&T.r, ncpus));
		break;
	}
}

static const char *const good_policies[] = { "local", "interleave", "preferred", "bind",
					      "replicate" };
static const char *const bad_policies[] = { "Local", "bind2", "", "interleaved", "4" };
static const char *const good_activations[] = { "linear", "relu", "sigmoid", "tanh" };
static const char *const bad_activations[] = { "Relu", "softmax", "", "tanh0" };

static const char *policy(void)
{
	return ODD(1, 8) ? PICK(&T.r, bad_policies) : PICK(&T.r, good_policies);
}

static const char *activation(void)
{
	return ODD(1, 20) ? PICK(&T.r, bad_activations) : PICK(&T.r, good_activations);
}

static void put_sep(struct buf *o)
{
	static const char *const seps[] = { " ", " ", " ", " ", "  ", "\t", " \t ", "\r " };

	puts_(o, PICK(&T.r, seps));
}

/* A create line. */
static void gen_create(struct buf *o)
{
	int layers = ODD(1, 10) ? (int)below(&T.r, 18) : 1 + (int)below(&T.r, 3);
	int i, big = chance(&T.r, 1, 25);
	/* One time in three the widths of a model of the corpus, which replace then takes. */
	const struct model *m = nmodels && (T.warm || chance(&T.r, 1, 3)) ?
				&models[below(&T.r, nmodels)] : NULL;

	for (i = 0; T.warm && i < 64 && m && (!m->in || !m->out || m->in > 256 || m->out > 256 ||
					     m->len < 36 || memcmp(m->b, "NNMF", 4)); i++)
		m = &models[below(&T.r, nmodels)];
	if (m && (!m->in || !m->out || m->in > 256 || m->out > 256))
		m = NULL;
	if (chance(&T.r, 1, 10))
		put_sep(o);
	for (i = 0; i <= layers; i++) {
		if (ODD(1, 40))
			puts_(o, PICK(&T.r, big_numbers));
		else if (m && (i == 0 || i == layers))
			putf(o, "%u", i == 0 ? m->in : m->out);
		else if (big && layers <= 2)
			putf(o, "%u", 1 + below(&T.r, 256));
		else
			putf(o, "%u", 1 + below(&T.r, chance(&T.r, 1, 2) ? 8 : 48));
		put_sep(o);
	}
	for (i = 0; i < layers + (ODD(1, 15) ? (int)below(&T.r, 3) - 1 : 0); i++) {
		puts_(o, activation());
		put_sep(o);
	}
	if (chance(&T.r, 1, 2)) {
		if (ODD(1, 5))
			putf(o, "seed=%s", PICK(&T.r, big_numbers));
		else
			putf(o, "seed=%u", below(&T.r, 1000));
		put_sep(o);
	}
	if (chance(&T.r, 1, 3)) {
		putf(o, "policy=%s", policy());
		put_sep(o);
	}
	if (chance(&T.r, 1, 4)) {
		puts_(o, "node=");
		put_node(o);
		put_sep(o);
	}
	if (chance(&T.r, 1, 4)) {
		puts_(o, "nodes=");
		put_nodelist(o);
	}
	if (chance(&T.r, 7, 8))
		puts_(o, "\n");
}

/* One config command line (without its newline). */
static void gen_config_line(struct buf *o)
{
	int eq = chance(&T.r, 1, 4);
	const char *sp = eq ? "=" : " ";
	int n, i;

	switch (below(&T.r, T.clean ? 9 : 11)) {
	case 0:
	case 1:
		putf(o, "policy%s%s", sp, policy());
		if (chance(&T.r, 1, 2)) {
			putf(o, " node%s", sp);
			put_node(o);
		}
		if (chance(&T.r, 1, 2)) {
			putf(o, " nodes%s", sp);
			put_nodelist(o);
		}
		break;
	case 2:
		putf(o, "node%s", sp);
		put_node(o);
		break;
	case 3:
		putf(o, "nodes%s", sp);
		put_nodelist(o);
		break;
	case 4:
		putf(o, "migrate%s", sp);
		put_node(o);
		if (chance(&T.r, 1, 3)) {
			puts_(o, " cpus ");
			put_cpulist(o);
		}
		if (ODD(1, 8))
			puts_(o, " node 0");
		break;
	case 5:
		putf(o, "cpus%s", sp);
		put_cpulist(o);
		break;
	case 6: {
		static const char *const v[] = { "0", "1", "2", "", "yes", "01", "-1" };

		putf(o, "avoid_cpu0%s%s", sp, !ODD(1, 4) ? (chance(&T.r, 1, 2) ? "0" : "1")
							     : PICK(&T.r, v));
		break;
	}
	case 7: {
		static const char *const v[] = { "0", "1", "250", "1000", "3600000", "default",
						 "3600001", "-1", "99999999999", "defaults", "" };

		putf(o, "cache_timeout%s%s", sp, v[below(&T.r, T.clean ? 6 : 11)]);
		break;
	}
	case 8: {
		static const char *const v[] = { "0", "1", "0", "1", "2", "", "on" };

		putf(o, "simd%s%s", sp, v[below(&T.r, T.clean ? 4 : 7)]);
		break;
	}
	case 9: {
		/* Several keys on a line, some twice. */
		static const char *const keys[] = { "policy bind", "node 0", "nodes 0",
						    "cpus 0", "avoid_cpu0 1", "cache_timeout 0",
						    "simd 1", "migrate 0", "policy", "nodes",
						    "frobnicate 1" };

		n = 1 + (int)below(&T.r, 4);
		for (i = 0; i < n; i++) {
			if (i)
				put_sep(o);
			puts_(o, PICK(&T.r, keys));
		}
		break;
	}
	default: {
		static const char *const odd[] = { "", " ", "policy", "migrate", "help", "#",
						   "policy local policy bind", "node=", "=1",
						   "cpus=default avoid_cpu0=0 cache_timeout=default simd=1" };

		puts_(o, PICK(&T.r, odd));
		break;
	}
	}
}

static void gen_config(struct buf *o)
{
	int n = chance(&T.r, 3, 4) ? 1 : 1 + (int)below(&T.r, 4), i;

	for (i = 0; i < n; i++) {
		if (i)
			puts_(o, chance(&T.r, 1, 10) ? "\r\n" : "\n");
		if (chance(&T.r, 1, 12))
			puts_(o, "\n");
		gen_config_line(o);
	}
	if (chance(&T.r, 5, 6))
		puts_(o, "\n");
}

/* A number as predict or train reads them (decimal, at times not). */
static void put_number(struct buf *o)
{
	static const char *const odd[] = {
		"1e3", "0x10", ".", "-", "+", "1.2.3", "--1", "nan", "inf", "+.5", ".5", "5.",
		"-0", "127.998046875", "-128", "-128.001953125", "32768", "-32769", "1048576",
		"1048577", "0.0000000000000000000000000001",
		"12345678901234567890123456789012345678901234567890",
		"0.49999999999999999999999999", "3.00390625", "1,5", "١",
	};

	/* Clean: small numbers, within every input format but Q0.15 (train refuses a number
	 * beyond the input format; created networks take Q3.12). */
	switch (ODD(1, 10) ? 0 : T.clean ? 9 : 1 + below(&T.r, 9)) {
	case 0:
		puts_(o, PICK(&T.r, odd));
		break;
	case 1:
		putf(o, "%d", (int)below(&T.r, 401) - 200);
		break;
	case 2:
		putf(o, "%s%u.%0*u", chance(&T.r, 1, 2) ? "-" : "", below(&T.r, 8),
		     (int)(1 + below(&T.r, 9)), below(&T.r, 1000000000));
		break;
	default:
		putf(o, "%s%u.%u", chance(&T.r, 1, 3) ? "-" : "", below(&T.r, 2),
		     below(&T.r, 1000));
		break;
	}
}

static void put_numbers(struct buf *o, uint32_t n)
{
	static const char *const seps[] = { " ", " ", " ", "\t", "  ", ",", ", ", " ,", ",,",
					    "\v" };
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (i)
			puts_(o, ODD(1, 30) ? PICK(&T.r, seps) : " ");
		put_number(o);
	}
}

static uint32_t near_count(uint32_t n)
{
	if (T.clean)
		return n;
	switch (below(&T.r, 12)) {
	case 0:
		return n + 1;
	case 1:
		return n ? n - 1 : 0;
	case 2:
		return below(&T.r, n * 2 + 2);
	default:
		return n;
	}
}

/* Rows for predict: as many as the network's size allows in a short time. */
static void gen_predict(struct buf *o, const struct net_info *ni)
{
	uint32_t in = ni->known ? ni->in : 1 + below(&T.r, 8);
	uint64_t bytes = ni->known && ni->bytes ? ni->bytes : 4096;
	uint32_t max_rows = (uint32_t)(4000000 / (bytes + 1));
	uint32_t rows, i;

	if (max_rows < 1)
		max_rows = 1;
	if (max_rows > 64)
		max_rows = 64;
	rows = chance(&T.r, 1, 2) ? 1 : 1 + below(&T.r, max_rows);
	for (i = 0; i < rows && o->len + 16 * in + 64 < o->cap; i++) {
		if (chance(&T.r, 1, 20))
			puts_(o, chance(&T.r, 1, 2) ? "\n" : " \t\n");
		if (chance(&T.r, 1, 30))
			puts_(o, " ");
		put_numbers(o, near_count(in));
		if (i + 1 < rows || chance(&T.r, 7, 8))
			puts_(o, ODD(1, 20) ? "\r\n" : "\n");
	}
}

/* Settings and samples for train: bounded epochs times samples. */
static void gen_train(struct buf *o, const struct net_info *ni)
{
	uint32_t in = ni->known ? ni->in : 1 + below(&T.r, 8);
	uint32_t out = ni->known ? ni->out : 1 + below(&T.r, 4);
	uint64_t bytes = ni->known && ni->bytes ? ni->bytes : 4096;
	uint32_t samples = 1 + below(&T.r, 8), epochs = 1 + below(&T.r, 4), i;
	static const char *const rates[] = { "0.01", "0.1", "0.5", "1", "7.99", "8", "0",
					     "-1", "abc", "0.0001", "7.999755859375", "" };
	static const char *const batches[] = { "1", "2", "4", "0", "x", "-1",
					       "99999999999999999999", "3" };

	while ((uint64_t)samples * epochs * bytes > 2000000 && (samples > 1 || epochs > 1)) {
		if (epochs > 1)
			epochs--;
		else
			samples--;
	}
	if (chance(&T.r, 1, 2))
		putf(o, "epochs %u\n", ODD(1, 8) ? (chance(&T.r, 1, 2) ? 0 : 100001) : epochs);
	if (chance(&T.r, 1, 2))
		putf(o, "rate %s\n", rates[below(&T.r, T.clean ? 4 : 12)]);
	if (chance(&T.r, 1, 3))
		putf(o, "batch %s\n", batches[below(&T.r, T.clean ? 3 : 8)]);
	if (ODD(1, 15))
		puts_(o, "epochs\n");
	for (i = 0; i < samples && o->len + 16 * (in + out) + 64 < o->cap; i++) {
		put_numbers(o, near_count(in));
		if (!ODD(1, 20))
			puts_(o, chance(&T.r, 1, 10) ? ":" : " : ");
		if (ODD(1, 30))
			puts_(o, ": ");
		put_numbers(o, near_count(out));
		if (i + 1 < samples || chance(&T.r, 7, 8))
			puts_(o, "\n");
	}
}

/* An id for remove (live networks mostly), or a node id for evacuate. */
static void gen_id(struct buf *o, enum kind k)
{
	static const char *const odd[] = { "", " ", "-1", "+1", "1.0", "0x1", "4294967295",
					   "4294967296", "1 2", "a", "00", "1\n2",
					   "123456789012345678901234567890123",
					   "                               1" };

	if (ODD(1, 8)) {
		puts_(o, PICK(&T.r, odd));
	} else if (k == K_EVACUATE) {
		put_node(o);
	} else if (T.nids && !ODD(1, 6)) {
		putf(o, chance(&T.r, 1, 10) ? " %d " : "%d", random_net());
	} else {
		putf(o, "%d", (int)below(&T.r, 300));
	}
	if (chance(&T.r, 3, 4))
		puts_(o, "\n");
}

static void gen_firmware(struct buf *o)
{
	static const char *const names[] = { "sample.nnm", "sample.nnm", "bad.nnm", "missing.nnm",
					     "../sample.nnm", "/sample.nnm", "a/../b", "a//b", ".",
					     "sample.nnm/", "sample nnm", "", "-", "_", "x.y.z",
					     "neural_network/sample.nnm", "SAMPLE.NNM" };
	int i;

	if (T.clean) {
		puts_(o, "sample.nnm");
	} else if (chance(&T.r, 1, 10)) {
		for (i = 0; i < 199 + (int)below(&T.r, 80); i++)
			puts_(o, "a");
	} else {
		puts_(o, PICK(&T.r, names));
	}
	if (chance(&T.r, 3, 4))
		puts_(o, "\n");
}

/* ------------------------------------------------------------------ model blobs */

static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		for (c = i, j = 0; j < 8; j++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32(const unsigned char *b, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--)
		c = crc_table[(c ^ *b++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static uint32_t get32(const unsigned char *b)
{
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static void set32(unsigned char *b, uint32_t v)
{
	b[0] = v;
	b[1] = v >> 8;
	b[2] = v >> 16;
	b[3] = v >> 24;
}

static void set16(unsigned char *b, uint32_t v)
{
	b[0] = v;
	b[1] = v >> 8;
}

/* A model blob, perhaps mutated; for replace, one of the network's widths if any. */
static void gen_blob(struct buf *o, const struct net_info *ni)
{
	static const uint32_t limits[] = { 0, 1, 2, 15, 16, 17, 47, 48, 255, 256, 4096, 4097,
					   32768, 65535, 65536, 0x7fffffff, 0xffffffffu };
	const struct model *m = NULL;
	unsigned char *b = (unsigned char *)o->b;
	size_t len;
	int i, tries, fix = 0;

	if (!nmodels)
		return;
	if (ni && ni->known && (T.warm || chance(&T.r, 2, 3))) {
		for (tries = 0; tries < (T.warm ? 256 : 16) && !m; tries++) {
			const struct model *c = &models[below(&T.r, nmodels)];

			/* replace takes a model of the network's widths and formats. */
			if (c->in == ni->in && c->out == ni->out && c->in_frac == ni->in_frac &&
			    c->out_frac == ni->out_frac)
				m = c;
		}
	}
	for (tries = 0; !m || (T.warm && !m->plausible && tries < 256); tries++)
		m = &models[below(&T.r, nmodels)];
	len = m->len < o->cap ? m->len : o->cap;
	memcpy(b, m->b, len);
	o->len = len;
	if (T.clean || chance(&T.r, 1, 2) || len < 36)
		return;
	switch (below(&T.r, 6)) {
	case 0: /* truncated */
		o->len = below(&T.r, (uint32_t)len);
		return;
	case 1: /* bits flipped */
		for (i = 0; i < 1 + (int)below(&T.r, 4); i++)
			b[below(&T.r, (uint32_t)len)] ^= 1u << below(&T.r, 8);
		fix = 1;
		break;
	case 2: { /* a header field set to a limit value */
		static const int at[] = { 4, 6, 8, 10, 11, 12, 16, 20, 24, 28 };
		int f = at[below(&T.r, sizeof(at) / sizeof(at[0]))];
		uint32_t v = limits[below(&T.r, sizeof(limits) / sizeof(limits[0]))];

		if (f == 10 || f == 11)
			b[f] = v;
		else if (f <= 8)
			set16(b + f, v);
		else
			set32(b + f, v);
		fix = f != 16;
		break;
	}
	case 3: { /* a layer table field */
		uint32_t layers = b[8] | b[9] << 8, l, v;
		unsigned char *t;

		if (!layers || 32 + 16 * layers > len)
			break;
		l = below(&T.r, layers);
		t = b + 32 + 16 * l;
		v = limits[below(&T.r, sizeof(limits) / sizeof(limits[0]))];
		switch (below(&T.r, 7)) {
		case 0:
			set32(t, v);
			break;
		case 1:
			set32(t + 4, v);
			break;
		case 2:
			t[8] = v;
			break;
		case 3:
			t[9] = v;
			break;
		case 4:
			t[10] = v;
			break;
		case 5:
			t[11] = v;
			break;
		default:
			set32(t + 12, v);
			break;
		}
		fix = 1;
		break;
	}
	case 4: { /* a weight set to -32768 */
		uint32_t layers = b[8] | b[9] << 8;
		size_t w = 32 + 16 * (size_t)layers;

		if (w + 2 < len - 4) {
			w += 2 * below(&T.r, (uint32_t)((len - 4 - w) / 2));
			set16(b + w, 0x8000);
		}
		fix = 1;
		break;
	}
	default: /* bytes appended or removed */
		if (chance(&T.r, 1, 2) && len + 64 < o->cap) {
			for (i = 0; i < 1 + (int)below(&T.r, 64); i++)
				b[o->len++] = rnd(&T.r);
		} else {
			o->len -= below(&T.r, 8);
		}
		fix = 1;
		break;
	}
	if (fix && o->len >= 36 && chance(&T.r, 3, 4)) {
		set32(b + 16, (uint32_t)o->len);
		set32(b + o->len - 4, crc32(b, o->len - 4));
	}
}

/* A value for one of the module's run-time parameters; the memory limits stay small. */
static void gen_param(struct buf *o, const char *name)
{
	static const char *const odd[] = { "", "-1", "abc", "99999999999999999999", "1048577",
					   "3600001", "4097", "2", "yes", "0x10", " 1", "1 " };

	if (chance(&T.r, 1, 4))
		puts_(o, PICK(&T.r, odd));
	else if (!strcmp(name, "neural_max_network_mb"))
		putf(o, "%u", 1 + below(&T.r, 8));
	else if (!strcmp(name, "neural_max_total_mb"))
		putf(o, "%u", 8 + below(&T.r, 57));
	else if (!strcmp(name, "neural_cache_timeout_ms"))
		putf(o, "%u", chance(&T.r, 1, 3) ? 0 : below(&T.r, 5000));
	else if (!strcmp(name, "neural_simd_threshold"))
		putf(o, "%u", below(&T.r, 5) ? below(&T.r, 128) : below(&T.r, 4097));
	else
		puts_(o, chance(&T.r, 1, 2) ? "0" : chance(&T.r, 1, 2) ? "1" : "N");
	if (chance(&T.r, 1, 2))
		puts_(o, "\n");
}

/* Random bytes: raw, printable, or tokens of every grammar. */
static void gen_random(struct buf *o)
{
	static const char *const tokens[] = {
		"policy", "node", "nodes", "migrate", "cpus", "avoid_cpu0", "cache_timeout",
		"simd", "default", "seed=", "policy=", "node=", "nodes=", "epochs", "rate",
		"batch", ":", "relu", "tanh", "sigmoid", "linear", "interleave", "bind",
		"replicate", "preferred", "local", "0", "1", "2", "-1", "0.5", "\n", " ", "\t",
		"=", ",", "-", "NNMF", "4096",
	};
	size_t n = odd_size(&T.r, chance(&T.r, 1, 20) ? 70000 : 600), i;

	switch (below(&T.r, 3)) {
	case 0:
		for (i = 0; i < n && o->len < o->cap; i++)
			o->b[o->len++] = rnd(&T.r);
		break;
	case 1:
		for (i = 0; i < n && o->len < o->cap; i++)
			o->b[o->len++] = chance(&T.r, 1, 10) ? '\n' : 0x20 + below(&T.r, 95);
		break;
	default:
		for (i = 0; i < n / 4 + 1; i++)
			puts_(o, PICK(&T.r, tokens));
		break;
	}
}

static void gen_for(struct buf *o, enum kind k, const struct net_info *ni, const char *name);

/* Mutations of text: bytes flipped, inserted, deleted or duplicated; a token spliced. */
static void mutate(struct buf *o, enum kind k)
{
	int n = 1 + (int)below(&T.r, 3), i;

	for (i = 0; i < n; i++) {
		size_t at = o->len ? below(&T.r, (uint32_t)o->len + 1) : 0, len;

		switch (below(&T.r, 7)) {
		case 0:
			if (o->len)
				o->b[below(&T.r, (uint32_t)o->len)] ^= 1u << below(&T.r, 8);
			break;
		case 1:
			if (o->len < o->cap) {
				memmove(o->b + at + 1, o->b + at, o->len - at);
				o->b[at] = chance(&T.r, 1, 2) ? 0x20 + below(&T.r, 95) : rnd(&T.r);
				o->len++;
			}
			break;
		case 2:
			if (o->len) {
				len = 1 + below(&T.r, 8);
				if (at + len > o->len)
					len = o->len - at;
				memmove(o->b + at, o->b + at + len, o->len - at - len);
				o->len -= len;
			}
			break;
		case 3:
			o->len = at;
			break;
		case 4:
			len = o->len - at;
			if (len > 64)
				len = 64;
			if (o->len + len <= o->cap) {
				memmove(o->b + at + len, o->b + at, o->len - at);
				o->len += len;
			}
			break;
		case 5: {
			/* Splice in what another kind of file takes (train stays bounded: no
			 * number of the big list). */
			static const enum kind others[] = { K_CREATE, K_CONFIG, K_REMOVE,
							    K_EVACUATE, K_LOADFW };
			char tmp[512];
			struct buf t = { tmp, 0, sizeof(tmp) };

			gen_for(&t, others[below(&T.r, 5)], NULL, NULL);
			if (o->len + t.len <= o->cap) {
				memmove(o->b + at + t.len, o->b + at, o->len - at);
				memcpy(o->b + at, tmp, t.len);
				o->len += t.len;
			}
			break;
		}
		default:
			if (k != K_TRAIN) {
				const char *s = PICK(&T.r, big_numbers);

				len = strlen(s);
				if (o->len + len <= o->cap) {
					memmove(o->b + at + len, o->b + at, o->len - at);
					memcpy(o->b + at, s, len);
					o->len += len;
				}
			}
			break;
		}
	}
}

static void gen_for(struct buf *o, enum kind k, const struct net_info *ni, const char *name)
{
	static const struct net_info none = { 0 };

	if (!ni)
		ni = &none;
	switch (k) {
	case K_CREATE:
		gen_create(o);
		break;
	case K_LOAD:
	case K_REPLACE:
		gen_blob(o, k == K_REPLACE ? ni : NULL);
		break;
	case K_LOADFW:
		gen_firmware(o);
		break;
	case K_REMOVE:
	case K_EVACUATE:
		gen_id(o, k);
		break;
	case K_CONFIG:
		gen_config(o);
		break;
	case K_PREDICT:
		gen_predict(o, ni);
		break;
	case K_TRAIN:
		gen_train(o, ni);
		break;
	case K_PARAM:
		gen_param(o, name ? name : "");
		break;
	default:
		gen_config(o);
		break;
	}
}

/* What one write brings: the file's grammar (mutated one time in five), another
 * file's, or random bytes. */
static void gen_content(struct buf *o, const struct slot *s)
{
	const struct net_info *ni = s->net >= 0 ? net_info(s->net) : NULL;
	const char *name = strrchr(s->path, '/');

	o->len = 0;
	T.clean = chance(&T.r, 1, 2);
	if (s->kind == K_PARAM) {
		/* Only the grammar's values: a bit flipped could lift the memory limits. */
		gen_param(o, name ? name + 1 : "");
		return;
	}
	switch (below(&T.r, 20)) {
	case 0:
	case 1:
		gen_random(o);
		break;
	case 2:
		gen_for(o, (enum kind)below(&T.r, K_PARAM), ni, NULL);
		if (s->kind == K_TRAIN && o->len > 4096)
			o->len = 4096;
		break;
	case 3:
	case 4:
	case 5:
	case 6:
		gen_for(o, s->kind, ni, name ? name + 1 : NULL);
		if (s->kind != K_LOAD && s->kind != K_REPLACE)
			mutate(o, s->kind);
		break;
	default:
		gen_for(o, s->kind, ni, name ? name + 1 : NULL);
		break;
	}
	/* Training work stays bounded whatever was spliced in: no write of another kind
	 * (a big blob, random bytes) is sent to train as samples of more than 8 KiB. */
	if (s->kind == K_TRAIN && o->len > 8192)
		o->len = 8192;
}

/* ------------------------------------------------------------------- writes */

/* Whether a write's errno is one that the file's code can give. */
static int write_errno_ok(const struct slot *s, int err)
{
	/* sysfs: pwrite(2) on a parameter that is not open for writing. */
	if (s->kind == K_PARAM && err == ESPIPE)
		return 1;
	if ((s->flags & O_ACCMODE) == O_RDONLY)
		return err == EBADF;
	if (err == EIO && is_net_kind(s->kind))
		return expect_gone(s->net, s->path, err);
	if (err == EINVAL || err == ENOMEM)
		return 1;
	switch (s->kind) {
	case K_CREATE:
	case K_LOAD:
		return err == EFBIG || err == ENOSPC;
	case K_REPLACE:
		return err == EFBIG || err == ENOSPC || err == EBUSY;
	case K_LOADFW:
		return err == EFBIG || err == ENOSPC || err == ENOENT;
	case K_REMOVE:
		return err == EFBIG || err == ENOENT || err == EBUSY;
	case K_EVACUATE:
	case K_CONFIG:
		return err == EFBIG || err == ENOSPC;
	case K_PREDICT:
	case K_TRAIN:
		return err == EFBIG;
	case K_PARAM:
		return err == ERANGE;
	default:
		return 0;
	}
}

/* After a successful remove of id (from the text written), its directory is gone. */
static void check_removed(const char *text, size_t len)
{
	char tmp[40], path[160];
	unsigned long id;
	char *end;
	struct stat st;

	if (len >= sizeof(tmp))
		return;
	memcpy(tmp, text, len);
	tmp[len] = 0;
	id = strtoul(tmp, &end, 10);
	snprintf(path, sizeof(path), "%s/network_%lu", root, id);
	if (!stat(path, &st))
		finding(F_STATE, "remove of %lu succeeded, but %s is still there", id, path);
}

/* Writes o to the open file, whole or in pieces; each call checked. */
static void write_pieces(struct slot *s, const struct buf *o)
{
	size_t off = 0;
	int whole = T.warm || chance(&T.r, 3, 5), how = T.warm ? 9 : below(&T.r, 10), pieces = 0;
	char esc[160];

	s->writes++;
	do {
		size_t n = whole || ++pieces > 48 ? o->len - off : odd_size(&T.r, o->len - off);
		int use_writev = how == 0 && n > 1;
		long r;
		int err;
		struct entry *e;

		if (!whole && chance(&T.r, 1, 4) && o->len - off > 32 && off < 32)
			n = 32 - off; /* a blob's header alone */
		escape(esc, sizeof(esc), o->b + off, n, 80);
		if (use_writev) {
			/* writev: the VFS calls the file's write once per piece. */
			struct iovec iov[4];
			size_t a = below(&T.r, (uint32_t)n + 1), b2 = a + below(&T.r, (uint32_t)(n - a) + 1);

			iov[0] = (struct iovec){ o->b + off, a };
			iov[1] = (struct iovec){ o->b + off + a, 0 };
			iov[2] = (struct iovec){ o->b + off + a, b2 - a };
			iov[3] = (struct iovec){ o->b + off + b2, n - b2 };
			e = op_begin("writev fd%d(%s) %zu+%zu+%zu \"%s\"", s->fd, s->path, a, b2 - a,
				     n - b2, esc);
			r = writev(s->fd, iov, 4);
			err = errno;
			op_end(e, r, err);
			count(s->kind, C_WRITEV, r, err);
			if (r >= 0 && (size_t)r != n && (size_t)r != a && (size_t)r != b2) {
				finding(F_COUNT, "writev %s of %zu+%zu+%zu bytes returned %ld, not at a piece's "
					"end", s->path, a, b2 - a, n - b2, r);
				return;
			}
		} else if (how == 2 && n && n <= (size_t)T.page && chance(&T.r, 1, 3)) {
			/* The last t bytes in the PROT_NONE page: the copy faults midway. */
			size_t t = 1 + below(&T.r, (uint32_t)n);
			char *p = T.trap + T.page - (n - t);

			memcpy(p, o->b + off, n - t);
			e = op_begin("write fd%d(%s) %zu, its last %zu bytes unmapped \"%s\"", s->fd,
				     s->path, n, t, esc);
			r = write(s->fd, p, n);
			err = errno;
			op_end(e, r, err);
			count(s->kind, C_WRITE, r, err);
			if (r >= 0) {
				finding(F_COUNT, "write %s of %zu bytes whose last %zu are unmapped "
					"returned %ld", s->path, n, t, r);
				return;
			}
			if (err != EFAULT && !write_errno_ok(s, err))
				finding(F_ERRNO, "write %s (%s) of %zu bytes, %zu unmapped: %s",
					s->path, mode_name(s->flags), n, t, ename(err));
			return;
		} else if (how == 1) {
			long long at = chance(&T.r, 1, 2) ? (long long)below(&T.r, 100000) :
				       (long long)(rnd(&T.r) >> 1);

			if ((unsigned long long)at + n > (unsigned long long)INT64_MAX)
				at = 0;
			e = op_begin("pwrite fd%d(%s) %zu at %lld \"%s\"", s->fd, s->path, n, at,
				     esc);
			r = pwrite(s->fd, o->b + off, n, at);
			err = errno;
			op_end(e, r, err);
			count(s->kind, C_PWRITE, r, err);
		} else {
			e = op_begin("write fd%d(%s) %zu \"%s\"", s->fd, s->path, n, esc);
			r = write(s->fd, o->b + off, n);
			err = errno;
			op_end(e, r, err);
			count(s->kind, C_WRITE, r, err);
		}
		if (r < 0) {
			if (!write_errno_ok(s, err))
				finding(F_ERRNO, "write %s (%s) of %zu bytes: %s", s->path, mode_name(s->flags),
					n, ename(err));
			return;
		}
		if (!use_writev && (size_t)r != n) {
			finding(F_COUNT, "write %s of %zu bytes returned %ld", s->path, n, r);
			return;
		}
		if ((s->flags & O_ACCMODE) == O_RDONLY) {
			finding(F_COUNT, "write %s opened read-only returned %ld", s->path, r);
			return;
		}
		if (!writable(s->kind) && s->kind != K_PARAM) {
			finding(F_COUNT, "write %s, which has no write, returned %ld", s->path, r);
			return;
		}
		if (s->kind == K_REMOVE && (size_t)r == n && n == o->len)
			check_removed(o->b, o->len);
		off += r;
		if ((size_t)r < n)
			return; /* writev stopped at a piece */
	} while (off < o->len && !whole && pieces <= 48);
	if (off == o->len && o->len) {
		T.s->accepted[s->kind]++;
		/* A create write taken whole made a network (else it fails). */
		if (s->kind == K_CREATE) {
			s->created_after = T.max_seen;
			s->writes_since_create = 0;
			return;
		}
	}
	s->writes_since_create++;
}

/* ------------------------------------------------------------------- the steps */

static void close_slot(struct slot *s)
{
	struct entry *e = op_begin("close fd%d(%s)", s->fd, s->path);
	int r = close(s->fd);

	op_end(e, r, errno);
	count(s->kind, C_CLOSE, r, errno);
	if (r)
		finding(F_ERRNO, "close %s: %s", s->path, ename(errno));
	s->fd = -1;
}

/* Picks a file: its path, kind and network; 0 if none. */
static int pick_file(char *path, size_t cap, enum kind *k, int *net, int want_write)
{
	if (param_dir && chance(&T.r, 1, 40)) {
		static const char *const params[] = { "neural_enable_simd", "neural_simd_threshold",
						      "neural_cache_timeout_ms",
						      "neural_max_network_mb", "neural_max_total_mb",
						      "neural_strict_input", "neural_numa_policy" };

		snprintf(path, cap, "%s/%s", param_dir, PICK(&T.r, params));
		*k = K_PARAM;
		*net = -1;
		return 1;
	}
	if (T.nids && chance(&T.r, 3, 5)) {
		char names[16][16];
		int id = random_net(), n = list_net(id, names, 16);

		if (n) {
			/* stats less often, train (created networks only) more. */
			const char *name = names[below(&T.r, n)];
			int j;

			if (!strcmp(name, "stats") && chance(&T.r, 2, 3))
				name = names[below(&T.r, n)];
			for (j = 0; j < n; j++)
				if (!strcmp(names[j], "train") && chance(&T.r, 1, 5))
					name = names[j];

			snprintf(path, cap, "%s/network_%d/%.15s", root, id, name);
			*k = kind_of(name, 1);
			*net = id;
			return 1;
		}
		/* Gone already: its path all the same, an open must say ENOENT. */
		snprintf(path, cap, "%s/network_%d/%s", root, id,
			 chance(&T.r, 1, 2) ? "predict" : "config");
		*k = kind_of(strrchr(path, '/') + 1, 1);
		*net = id;
		return 1;
	}
	if (!T.ntop)
		return 0;
	for (int tries = 0; tries < 8; tries++) {
		const char *name = T.top[below(&T.r, T.ntop)];

		*k = kind_of(name, 0);
		if (*k == K_BENCH)
			continue; /* only -b, once */
		if (want_write && !writable(*k) && chance(&T.r, 3, 4))
			continue;
		snprintf(path, cap, "%s/%s", root, name);
		*net = -1;
		return 1;
	}
	return 0;
}

static int open_flags(enum kind k)
{
	static const int extra[] = { O_NONBLOCK, O_APPEND, O_TRUNC, O_CLOEXEC, O_NOATIME,
				     O_SYNC };
	int f;

	switch (below(&T.r, 8)) {
	case 0:
		f = O_RDONLY;
		break;
	case 1:
	case 2:
		f = O_RDWR;
		break;
	case 3:
		f = readable(k) ? O_RDONLY : O_WRONLY;
		break;
	default:
		f = writable(k) ? (readable(k) && chance(&T.r, 1, 2) ? O_RDWR : O_WRONLY) :
				  O_RDONLY;
		break;
	}
	if (chance(&T.r, 1, 10))
		f |= extra[below(&T.r, sizeof(extra) / sizeof(extra[0]))];
	return f;
}

static struct slot *open_into(struct slot *s, int want_write)
{
	enum kind k;
	int net, fd, flags;
	struct entry *e;

	if (!pick_file(s->path, sizeof(s->path), &k, &net, want_write))
		return NULL;
	flags = open_flags(k);
	if (want_write && (flags & O_ACCMODE) == O_RDONLY && chance(&T.r, 7, 8))
		flags = (flags & ~O_ACCMODE) | O_WRONLY;
	e = op_begin("open %s %s%s%s", s->path, mode_name(flags),
		     flags & O_TRUNC ? "|O_TRUNC" : flags & O_APPEND ? "|O_APPEND" : "",
		     flags & O_NONBLOCK ? "|O_NONBLOCK" : "");
	fd = open(s->path, flags);
	op_end(e, fd, errno);
	count(k, C_OPEN, fd, errno);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT && net >= 0)
			expect_gone(net, s->path, err);
		else if (!(err == ENOMEM || (k == K_PARAM && (err == EACCES || err == EPERM))))
			finding(F_ERRNO, "open %s %s: %s", s->path, mode_name(flags), ename(err));
		return NULL;
	}
	s->fd = fd;
	s->kind = k;
	s->flags = flags;
	s->net = net;
	s->pos = 0;
	s->writes = 0;
	s->snap_ok = 0;
	s->created_after = -1;
	s->writes_since_create = 0;
	return s;
}

static struct slot *free_slot(void)
{
	int i, start = below(&T.r, SLOTS);

	for (i = 0; i < SLOTS; i++)
		if (T.slot[(start + i) % SLOTS].fd < 0)
			return &T.slot[(start + i) % SLOTS];
	return NULL;
}

static struct slot *used_slot(void)
{
	int i, start = below(&T.r, SLOTS);

	for (i = 0; i < SLOTS; i++)
		if (T.slot[(start + i) % SLOTS].fd >= 0)
			return &T.slot[(start + i) % SLOTS];
	return NULL;
}

/* A write of generated content to a slot. */
static void do_write(struct slot *s)
{
	struct buf o = { T.wbuf, 0, MAX_WRITE };

	gen_content(&o, s);
	write_pieces(s, &o);
}

/* A write killed midway: a child of the task writes (in pieces or whole) to a file the
 * task opened, and is killed (SIGKILL) after 0 to 300 ms, perhaps inside the module (a
 * long predict or train stops at its next check with EINTR; a line left pending runs
 * at the last close). The task keeps the file open for its later steps. */
static void killed_write(void)
{
	struct slot *s = free_slot();
	struct buf o = { T.wbuf, 0, MAX_WRITE };
	uint32_t delay = below(&T.r, 300000);
	struct entry *e;
	int status;
	pid_t pid;

	if (!s || !open_into(s, 1))
		return;
	gen_content(&o, s);
	e = op_begin("fork: a child writes %zu bytes to fd%d(%s), killed after %u us", o.len, s->fd,
		     s->path, delay);
	pid = fork();
	if (pid == 0) {
		T.in_child = 1;
		write_pieces(s, &o);
		_exit(0);
	}
	if (pid < 0) {
		op_end(e, -1, errno);
		return;
	}
	usleep(delay);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	op_end(e, WIFSIGNALED(status) ? -WTERMSIG(status) : 0, 0);
	T.s->killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	T.s->forked++;
	s->writes++;
	s->pos = -1;
	if (chance(&T.r, 1, 2))
		close_slot(s);
}

/* Opens the top-level file NAME (of kind K) with FLAGS into slot S, logged (NOTE is added
 * to the log line) and counted; 0, or -1 when the open failed (ENOMEM is allowed, any
 * other errno a finding). */
static int open_top(struct slot *s, const char *name, enum kind k, int flags, const char *note)
{
	struct entry *e;

	snprintf(s->path, sizeof(s->path), "%s/%s", root, name);
	e = op_begin("open %s %s%s", s->path, flags == O_RDONLY ? "O_RDONLY" : "O_WRONLY", note);
	s->fd = open(s->path, flags);
	op_end(e, s->fd, errno);
	count(k, C_OPEN, s->fd, errno);
	if (s->fd < 0) {
		if (errno != ENOMEM)
			finding(F_ERRNO, "open %s: %s", s->path, ename(errno));
		return -1;
	}
	s->kind = k;
	s->flags = flags;
	s->net = -1;
	return 0;
}

/* Writes what the grammar makes (unmutated) to a top-level file in one open-write-close:
 * remove and evacuate, and create and load while few networks exist. */
static void one_shot(enum kind k)
{
	static const char *const names[NKINDS] = { [K_CREATE] = "create", [K_LOAD] = "load",
						   [K_REMOVE] = "remove",
						   [K_EVACUATE] = "evacuate" };
	struct slot tmp = { .fd = -1 }, *s = &tmp;
	struct buf o = { T.wbuf, 0, MAX_WRITE };

	if (open_top(s, names[k], k, O_WRONLY, ""))
		return;
	T.clean = chance(&T.r, 2, 3);
	gen_for(&o, k, NULL, NULL);
	write_pieces(s, &o);
	close_slot(s);
}

/* Opens a file by path, writes the grammar's valid content for its kind to it, reads it
 * back if it reads, and closes it (or leaves it open one time in four). The warm-up. */
static int warm_write(const char *name, enum kind k, int net)
{
	struct slot *s = free_slot();
	struct buf o = { T.wbuf, 0, MAX_WRITE };
	struct entry *e;
	uint64_t taken;
	int id = -1;

	if (!s)
		return -1;
	if (net >= 0)
		snprintf(s->path, sizeof(s->path), "%s/network_%d/%s", root, net, name);
	else
		snprintf(s->path, sizeof(s->path), "%s", name);
	e = op_begin("open %s O_RDWR (warm-up)", s->path);
	s->fd = open(s->path, readable(k) ? O_RDWR : O_WRONLY);
	op_end(e, s->fd, errno);
	count(k, C_OPEN, s->fd, errno);
	if (s->fd < 0) {
		if (!(errno == ENOMEM || (errno == EACCES && k == K_PARAM) ||
		      (errno == ENOENT && net >= 0 && expect_gone(net, s->path, errno))))
			finding(F_ERRNO, "open %s: %s", s->path, ename(errno));
		s->fd = -1;
		return -1;
	}
	s->kind = k;
	s->flags = readable(k) ? O_RDWR : O_WRONLY;
	s->net = net;
	s->pos = 0;
	s->writes = 0;
	s->snap_ok = 0;
	s->created_after = -1;
	s->writes_since_create = 0;
	T.clean = 1;
	gen_for(&o, k, net >= 0 ? net_info(net) : NULL, strrchr(s->path, '/') + 1);
	taken = T.s->accepted[k];
	write_pieces(s, &o);
	taken = T.s->accepted[k] - taken;
	if (readable(k)) {
		read_whole(s);
		/* The network this open file made: what it reads after a write it took. */
		if ((k == K_CREATE || k == K_LOAD) && taken && s->snap_ok &&
		    isdigit((unsigned char)s->snap[0]))
			id = atoi(s->snap);
	}
	if (chance(&T.r, 3, 4))
		close_slot(s);
	return id;
}

/* The warm-up: every kind of write once, from the grammar's valid choices, so that each
 * file's code past its parser runs in every run, however short: a created network (of a
 * corpus model's widths) configured, predicted, trained and replaced by that model, a
 * model loaded and a firmware one, a parameter set, a node evacuated, a network removed. */
static void warm_up(void)
{
	char path[160];
	int made, loaded;

	T.warm = 1;
	snprintf(path, sizeof(path), "%s/create", root);
	made = warm_write(path, K_CREATE, -1);
	snprintf(path, sizeof(path), "%s/load", root);
	loaded = warm_write(path, K_LOAD, -1);
	if (loaded < 0)
		loaded = warm_write(path, K_LOAD, -1);
	snprintf(path, sizeof(path), "%s/load_firmware", root);
	warm_write(path, K_LOADFW, -1);
	if (made >= 0) {
		warm_write("config", K_CONFIG, made);
		warm_write("predict", K_PREDICT, made);
		warm_write("train", K_TRAIN, made);
	}
	if (loaded >= 0)
		warm_write("replace", K_REPLACE, loaded);
	if (param_dir) {
		snprintf(path, sizeof(path), "%s/neural_cache_timeout_ms", param_dir);
		warm_write(path, K_PARAM, -1);
	}
	snprintf(path, sizeof(path), "%s/evacuate", root);
	warm_write(path, K_EVACUATE, -1);
	if (loaded >= 0) {
		struct slot *s = free_slot();
		struct entry *e;
		char id[16];
		long r;

		if (s) {
			snprintf(s->path, sizeof(s->path), "%s/remove", root);
			e = op_begin("open %s O_WRONLY (warm-up)", s->path);
			s->fd = open(s->path, O_WRONLY);
			op_end(e, s->fd, errno);
			count(K_REMOVE, C_OPEN, s->fd, errno);
			if (s->fd >= 0) {
				snprintf(id, sizeof(id), "%d\n", loaded);
				e = op_begin("write fd%d(%s) \"%d\\n\"", s->fd, s->path, loaded);
				r = write(s->fd, id, strlen(id));
				op_end(e, r, errno);
				count(K_REMOVE, C_WRITE, r, errno);
				if (r == (long)strlen(id))
					T.s->accepted[K_REMOVE]++;
				else if (r < 0 && errno != ENOENT && errno != ENOMEM)
					finding(F_ERRNO, "write %s: %s", s->path, ename(errno));
				close_slot(s);
			} else {
				s->fd = -1;
			}
		}
	}
	T.warm = 0;
}

static void step(void)
{
	struct slot *s;
	uint32_t roll;

	list_tree();
	/* The networks stay between a few and max_nets: removed above it, made below a
	 * third of it. */
	if (T.nids > max_nets && chance(&T.r, 1, 2)) {
		one_shot(K_REMOVE);
		return;
	}
	if (T.nids < max_nets / 3 + 1 && chance(&T.r, 1, 4)) {
		one_shot(chance(&T.r, 2, 3) ? K_CREATE : K_LOAD);
		return;
	}
	if (T.bench_at >= 0 && T.s->ops >= (uint64_t)T.bench_at) {
		/* bench runs the in-guest benchmark at open: once, by task 0, with -b. */
		struct slot *b = free_slot();

		T.bench_at = -1;
		if (!b)
			return;
		if (open_top(b, "bench", K_BENCH, O_RDONLY, " (runs the benchmark)"))
			return;
		b->pos = 0;
		b->writes = 0;
		b->snap_ok = 0;
		read_whole(b);
		read_odd(b);
		close_slot(b);
		return;
	}
	roll = below(&T.r, 100);
	if (roll < 35) {
		/* One shot: open, write (whole or in pieces), maybe read back, close. */
		s = free_slot();
		if (!s || !open_into(s, 1))
			return;
		do_write(s);
		if (chance(&T.r, 1, 3))
			read_whole(s);
		if (chance(&T.r, 1, 8))
			do_write(s);
		if (chance(&T.r, 4, 5))
			close_slot(s);
	} else if (roll < 45) {
		s = free_slot();
		if (s)
			open_into(s, 0);
	} else if (roll < 60) {
		s = used_slot();
		if (s)
			do_write(s);
	} else if (roll < 75) {
		s = used_slot();
		if (s) {
			if (chance(&T.r, 1, 15))
				read_trap(s);
			else if (chance(&T.r, 1, 2))
				read_whole(s);
			else
				read_odd(s);
		}
	} else if (roll < 83) {
		s = used_slot();
		if (s)
			close_slot(s);
	} else if (roll < 90) {
		/* A whole read of a fresh open file of any kind. */
		s = free_slot();
		if (s && open_into(s, 0)) {
			read_whole(s);
			if (chance(&T.r, 1, 2))
				read_odd(s);
			close_slot(s);
		}
	} else if (roll < 92) {
		one_shot(T.nids > max_nets / 2 ? K_REMOVE : chance(&T.r, 1, 2) ? K_CREATE : K_LOAD);
	} else if (roll < 94) {
		killed_write();
	} else if (roll < 97) {
		one_shot(K_REMOVE);
	} else {
		one_shot(chance(&T.r, 1, 2) ? K_EVACUATE : K_REMOVE);
	}
}

static void task_main(int id)
{
	int i;

	T.id = id;
	T.s = &sh->task[id - first_task];
	T.max_seen = -1;
	T.r.s = seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(id + 1));
	rnd(&T.r);
	T.rbuf = malloc(READ_BUF + 1);
	T.wbuf = malloc(MAX_WRITE);
	T.page = sysconf(_SC_PAGESIZE);
	T.trap = mmap(NULL, 2 * T.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (T.trap == MAP_FAILED || mprotect(T.trap + T.page, T.page, PROT_NONE))
		exit(3);
	T.log_fd = -1;
	T.bench_at = bench && id == 0 ? 50 + (int)below(&T.r, 200) : -1;
	if (!T.rbuf || !T.wbuf)
		exit(3);
	for (i = 0; i < SLOTS; i++) {
		T.slot[i].fd = -1;
		T.slot[i].snap = malloc(SNAP_MAX);
		if (!T.slot[i].snap)
			exit(3);
	}
	if (log_dir) {
		char path[256];

		snprintf(path, sizeof(path), "%s/task-%d.log", log_dir, id);
		T.log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	}
	warm_up();
	while (now_ns() < t_end && (!max_ops || T.s->ops < max_ops))
		step();
	for (i = 0; i < SLOTS; i++)
		if (T.slot[i].fd >= 0)
			close_slot(&T.slot[i]);
	T.s->finished = 1;
	exit(0);
}

/* ------------------------------------------------------------------- the parent */

static int read_max_id(const char *path)
{
	char buf[256], *p;
	int fd = open(path, O_RDONLY), max = 0;
	long n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (p = buf; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			int v = (int)strtol(p, &p, 10);

			if (v > max)
				max = v;
			p--;
		}
	}
	return max;
}

static void load_models(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && nmodels < MAX_MODELS; i++) {
		struct model *m = &models[nmodels];
		struct stat st;
		int fd = open(argv[i], O_RDONLY);
		long n;

		if (fd < 0)
			continue;
		if (fstat(fd, &st) || st.st_size > MODEL_MAX || st.st_size <= 0) {
			close(fd);
			continue;
		}
		m->b = malloc(st.st_size);
		n = read(fd, m->b, st.st_size);
		close(fd);
		if (n != st.st_size) {
			free(m->b);
			continue;
		}
		m->len = n;
		m->name = argv[i];
		if (n >= 32 + 16 && !memcmp(m->b, "NNMF", 4)) {
			uint32_t layers = m->b[8] | m->b[9] << 8;

			m->in = get32(m->b + 12);
			m->in_frac = m->b[10];
			if (layers && 32 + 16 * (size_t)layers <= (size_t)n) {
				m->out = get32(m->b + 32 + 16 * (layers - 1) + 4);
				m->out_frac = m->b[32 + 16 * (layers - 1) + 9];
			}
			m->plausible = m->out && get32(m->b + 16) == (uint32_t)n &&
				       get32(m->b + n - 4) == crc32(m->b, n - 4);
		}
		nmodels++;
	}
}

static void print_counts(void)
{
	uint64_t tot[NKINDS][NCALLS][NERR + 2] = { { { 0 } } };
	uint64_t ops = 0;
	int t, k, c, e;

	for (t = 0; t < ntasks; t++) {
		struct task_shared *s = &sh->task[t];

		ops += s->ops;
		for (k = 0; k < NKINDS; k++)
			for (c = 0; c < NCALLS; c++)
				for (e = 0; e < (int)NERR + 2; e++)
					tot[k][c][e] += s->count[k][c][e];
	}
	printf("nn-fuzz: calls per file kind: ok, then each errno\n");
	for (k = 0; k < NKINDS; k++) {
		char line[2048];
		size_t o = 0;
		int any = 0;

		o += snprintf(line + o, sizeof(line) - o, "nn-fuzz: %s:", kind_name[k]);
		for (c = 0; c < NCALLS; c++) {
			uint64_t all = 0;

			for (e = 0; e < (int)NERR + 2; e++)
				all += tot[k][c][e];
			if (!all)
				continue;
			any = 1;
			o += snprintf(line + o, sizeof(line) - o, " %s ok %" PRIu64, call_name[c],
				      tot[k][c][0]);
			for (e = 1; e < (int)NERR + 2; e++)
				if (tot[k][c][e] && o < sizeof(line) - 40)
					o += snprintf(line + o, sizeof(line) - o, " %s %" PRIu64,
						      e <= (int)NERR ? errno_name[e - 1] : "other",
						      tot[k][c][e]);
			o += snprintf(line + o, sizeof(line) - o, ";");
		}
		if (any)
			printf("%s\n", line);
	}
	for (t = 0; t < ntasks; t++)
		printf("nn-fuzz: task %d: %" PRIu64 " ops, %" PRIu64 " findings\n", t + first_task,
		       sh->task[t].ops, sh->task[t].findings);
	printf("nn-fuzz: accepted (writes the file took whole):");
	for (k = 0; k < NKINDS; k++) {
		uint64_t a = 0;

		for (t = 0; t < ntasks; t++)
			a += sh->task[t].accepted[k];
		if (writable((enum kind)k))
			printf(" %s %" PRIu64, kind_name[k], a);
	}
	{
		uint64_t forked = 0, killed = 0;

		for (t = 0; t < ntasks; t++) {
			forked += sh->task[t].forked;
			killed += sh->task[t].killed;
		}
		printf("\nnn-fuzz: writers killed midway: %" PRIu64 " of %" PRIu64 " children",
		       killed, forked);
	}
	printf("\nnn-fuzz: networks gone: %" PRIu64 " directories went after a wait; %" PRIu64
	       " opens met a directory being made", sh->waited_gone, sh->met_making);
	printf("\nnn-fuzz: findings by kind:");
	for (k = 0; k < NCATS; k++)
		printf(" %s %" PRIu64, fcat_name[k], sh->by_cat[k]);
	printf("\nnn-fuzz: kernel log: %" PRIu64 " records read (%" PRIu64 " of the module), %" PRIu64
	       " lost to overwriting, %" PRIu64 " notes%s\n",
	       kmsg_records, kmsg_module, kmsg_lost, kmsg_notes,
	       kmsg_fd < 0 ? " (not watched)" : "");
	printf("nn-fuzz: done: ops %" PRIu64 " findings %" PRIu64 " seconds %.1f\n", ops,
	       sh->findings, (now_ns() - t_start) / 1e9);
}

/* Every task's last operations, merged in time order. */
static void print_merged(int k)
{
	int t, idx[MAX_TASKS];

	printf("nn-fuzz: the last %d operations of every task, in time order:\n", k);
	for (t = 0; t < ntasks; t++) {
		uint64_t n = sh->task[t].ring_n;
		uint64_t from = n > (uint64_t)k ? n - k : 0;

		if (n > RING_MAX && from < n - RING_MAX)
			from = n - RING_MAX;
		idx[t] = (int)(n - from);
	}
	for (;;) {
		int best = -1;
		const struct entry *be = NULL;

		for (t = 0; t < ntasks; t++) {
			const struct task_shared *s = &sh->task[t];
			const struct entry *e;

			if (!idx[t])
				continue;
			e = &s->ring[(s->ring_n - idx[t]) % RING_MAX];
			if (!be || e->ns < be->ns) {
				be = e;
				best = t;
			}
		}
		if (best < 0)
			break;
		print_entry(best + first_task, be);
		idx[best]--;
	}
}

/* The kernel log, read by the parent while the tasks run: a record that names a kernel
 * problem (the patterns of run-vm's KERNEL_PROBLEMS) is a finding, printed with the
 * records after it and every task's last operations. */
static const char *const problems[] = {
	"BUG: ", "WARNING: ", "Oops", "Kernel panic", "kernel BUG at", "general protection fault",
	"unreferenced object 0x", "UBSAN: ", "panicked at", "blocked for more than",
	"possible circular locking", "inconsistent lock state", "suspicious RCU usage",
	"stack-protector:", "new suspected memory leaks", "Kernel memory leak detector disabled",
	"Out of memory", "invoked oom-killer", "hung task", "soft lockup", "hard LOCKUP",
	"self-detected stall", "detected stalls on CPUs", "Showing busy workqueues",
	"workqueue lockup", "page allocation failure",
};

static void watch_kmsg(void)
{
	static char rec[8192];
	long n;
	size_t i;

	if (kmsg_fd < 0)
		return;
	for (;;) {
		char *msg;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) {
			kmsg_lost++;
			continue;
		}
		if (n <= 0)
			return;
		rec[n] = 0;
		kmsg_records++;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		if (strstr(msg, "neural_network"))
			kmsg_module++;
		if (kmsg_follow > 0) {
			kmsg_follow--;
			printf("nn-fuzz: kernel: %s\n", msg);
			continue;
		}
		if (strstr(msg, "FAULT_INJECTION: forcing a failure"))
			continue;
		for (i = 0; i < sizeof(problems) / sizeof(problems[0]); i++)
			if (strstr(msg, problems[i]))
				break;
		if (i == sizeof(problems) / sizeof(problems[0]))
			continue;
		lock_print();
		if (strstr(msg, "WARNING: ") && strstr(msg, "hrtimer_forward")) {
			/* The kernel's own race in its deadline server (testing.rst, "Fault
			 * injection"): run-vm judges it from the console, with its trace. */
			kmsg_notes++;
			printf("nn-fuzz: note: the kernel's known hrtimer_forward WARNING (run-vm "
			       "judges it): %s\n", msg);
		} else {
			sh->findings++;
			sh->by_cat[F_KERNEL]++;
			printf("nn-fuzz: FINDING seed %" PRIu64 " kernel: %s\n", seed, msg);
			kmsg_follow = 40;
			print_merged(ring_len);
		}
		fflush(stdout);
		unlock_print();
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-t SECONDS] [-j TASKS] [-T FIRST_TASK] [-n MAX_NETWORKS] "
		"[-o MAX_OPS] [-k RING] [-p PARAMDIR] [-l LOGDIR] [-b] [-F] ROOT [MODEL...]\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	pid_t pid[MAX_TASKS];
	int opt, t, left, status, killed = 0;
	int seed_given = 0;
	char line[256];
	int kmsg;

	while ((opt = getopt(argc, argv, "s:t:j:T:n:o:k:p:l:bF")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seed_given = 1;
			break;
		case 't':
			seconds = atoi(optarg);
			break;
		case 'j':
			ntasks = atoi(optarg);
			break;
		case 'T':
			first_task = atoi(optarg);
			break;
		case 'n':
			max_nets = atoi(optarg);
			break;
		case 'o':
			max_ops = strtoull(optarg, NULL, 0);
			break;
		case 'k':
			ring_len = atoi(optarg);
			break;
		case 'p':
			param_dir = optarg;
			break;
		case 'l':
			log_dir = optarg;
			break;
		case 'b':
			bench = 1;
			break;
		case 'F':
			faults = 1;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind >= argc || ntasks < 1 || ntasks > MAX_TASKS || seconds < 0 || ring_len < 1 ||
	    ring_len > RING_MAX || first_task < 0)
		usage(argv[0]);
	root = argv[optind];
	if (!seed_given)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	crc_init();
	load_models(argc - optind - 1, argv + optind + 1);
	nnodes = read_max_id("/sys/devices/system/node/online") + 1;
	ncpus = read_max_id("/sys/devices/system/cpu/possible") + 1;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	memset(sh, 0, sizeof(*sh));
	snprintf(line, sizeof(line),
		 "nn-fuzz: seed %" PRIu64 " tasks %d first %d seconds %d max_networks %d models %d "
		 "nodes %d cpus %d%s\n",
		 seed, ntasks, first_task, seconds, max_nets, nmodels, nnodes, ncpus,
		 max_ops ? " (max ops set)" : "");
	fputs(line, stdout);
	printf("nn-fuzz: replay: nn-fuzz -s %" PRIu64 " -t %d -j %d%s ROOT MODELS (one task's "
	       "stream alone: -j 1 -T TASK)\n",
	       seed, seconds, ntasks, param_dir ? " -p PARAMDIR" : "");
	fflush(stdout);
	kmsg = open("/dev/kmsg", O_WRONLY);
	if (kmsg >= 0) {
		if (write(kmsg, line, strlen(line)) < 0)
			perror("/dev/kmsg");
		close(kmsg);
	}
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	else
		printf("nn-fuzz: /dev/kmsg: %s: the kernel log is not watched\n", strerror(errno));
	t_start = now_ns();
	t_end = t_start + (uint64_t)seconds * 1000000000ULL;
	for (t = 0; t < ntasks; t++) {
		pid[t] = fork();
		if (pid[t] < 0) {
			perror("fork");
			return 2;
		}
		if (!pid[t])
			task_main(first_task + t);
	}
	/* Waits; a task still running 60 s after the deadline is reported and killed. */
	for (left = ntasks; left > 0;) {
		pid_t p = waitpid(-1, &status, WNOHANG);

		if (p == 0) {
			watch_kmsg();
			if (!killed && now_ns() > t_end + 60000000000ULL) {
				lock_print();
				for (t = 0; t < ntasks; t++) {
					if (sh->task[t].finished)
						continue;
					sh->findings++;
					sh->by_cat[F_TASK]++;
					printf("nn-fuzz: FINDING seed %" PRIu64 " task %d still running "
					       "60 s after the deadline; its last operations:\n",
					       seed, t + first_task);
					print_ring(t + first_task, &sh->task[t], ring_len);
					kill(pid[t], SIGKILL);
				}
				fflush(stdout);
				unlock_print();
				killed = 1;
			}
			usleep(100000);
			continue;
		}
		if (p < 0)
			break;
		left--;
		for (t = 0; t < ntasks; t++)
			if (pid[t] == p)
				break;
		if (t == ntasks)
			continue;
		if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status))) {
			lock_print();
			sh->findings++;
			sh->by_cat[F_TASK]++;
			if (WIFSIGNALED(status))
				printf("nn-fuzz: FINDING seed %" PRIu64 " task %d killed by signal %d "
				       "(%s); its last operations:\n",
				       seed, t + first_task, WTERMSIG(status), strsignal(WTERMSIG(status)));
			else
				printf("nn-fuzz: FINDING seed %" PRIu64 " task %d exited with status "
				       "%d; its last operations:\n",
				       seed, t + first_task, WEXITSTATUS(status));
			print_ring(t + first_task, &sh->task[t], ring_len);
			fflush(stdout);
			unlock_print();
		}
	}
	usleep(200000);
	watch_kmsg();
	if (sh->findings)
		print_merged(ring_len);
	print_counts();
	fflush(stdout);
	return sh->findings ? 1 : 0;
}
