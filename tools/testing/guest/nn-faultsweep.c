// SPDX-License-Identifier: GPL-2.0
/*
 * nn-faultsweep: fail each allocation of one operation in turn, and check after each
 * failure that the operation failed with ENOMEM and changed nothing.
 *
 * usage: nn-faultsweep [-m task|slab|page] [-r REMOVE [-i IDFILE]] [-c CREATE]
 *                      [-s FIRST:STRIDE] [-x STATSKEY]... [-e ERRNO]... FILE INPUT
 *        nn-faultsweep -R [-m ...] [-x ...] FILE
 *
 * The operation: open FILE (a file of the module's debugfs tree), write the bytes of
 * INPUT in one write(2), close it; with -R, open FILE and read(2) it to its end; or, for a FILE ending in ".ko", finit_module(2) of
 * it with INPUT as its parameters (module init; a load that succeeded in the middle of
 * a sweep or -T is unloaded, the last one of a sweep is left loaded). Before the sweep, and after every attempt that failed,
 * it takes a snapshot of everything the module shows of its state:
 *
 *   - the module's top-level numa_stats, memory_map, memory and cpu_affinity;
 *   - the network directories, and each network's config and stats (less the keys
 *     given with -x: none by default; -x applies to numa_stats too);
 *   - the active objects of the module's slab caches (/proc/slabinfo, neural_*, after a
 *     shrink of each, which also empties KASAN's quarantine of it: without one, the
 *     objects a failed attempt freed are still counted, as a sweep showed).
 *
 * and each snapshot after a failed attempt must equal the one before the sweep. A key
 * given with -a (a counter of failures, as migration_failures) is left out of the
 * comparison and accounted instead: its value in each file that shows it may grow by 0
 * or 1 per failed attempt, no more, never fall ("accounted A": its growth in all). A
 * successful attempt ends the sweep if no failure was injected in it (every allocation
 * was reached); if one was and the operation still succeeded, the failure was absorbed
 * (a fallback), and the sweep goes on. With -r, a successful write made a network: its
 * id, read back from the same open file (or from IDFILE, -i), is written to REMOVE.
 *
 * Modes: which allocations are failed, one a time, N = 1, 2, ...
 *
 *   task  /proc/thread-self/fail-nth: the N-th fault-injectable call of this task
 *         (failslab and fail_page_alloc as configured by the caller, e.g. only calls
 *         with the module's code on the stack: require-start/require-end);
 *   slab  /sys/kernel/debug/failslab with probability 100, times 1, interval C+N: the
 *   page  same in fail_page_alloc: the N-th call of ANY task (workers running a batch's
 *         chunks included) that passes the caller's filters (the stack filter: module
 *         code on the stack). C, the attribute's running count of calls past the
 *         filters (the kernel keeps it and never resets it), is kept in
 *         /run/nn-faultsweep.MODE.count between runs: 0 at boot (nothing else may set
 *         that attribute's probability in the guest). After the last attempt, which
 *         reached fewer than N calls, the count is brought to a known value by creating
 *         and removing small networks (CREATE, REMOVE: -c, -r) until the armed failure
 *         is injected.
 *
 * An attempt that fails with nothing injected ends the sweep as a failure (the operation
 * is refused as such: a bad input, not a test of allocation failures).
 *
 * -s FIRST:STRIDE (task mode; make check's shorter sweeps of operations that make
 * hundreds of calls, most of them one loop's): N = 1 to FIRST, then every STRIDE-th
 * call, and when one of those succeeds with nothing injected, every call after the last
 * failed one until that success (the operation's last calls). Each attempt is checked
 * as in a full sweep. "attempts K" on the last line: the attempts armed within the
 * operation's calls (all but the successes with nothing injected), each of which must
 * have met its failure (K = N - 1 without -s).
 *
 * -T: only counts the fault-injectable calls of one successful attempt (fail-nth armed
 * far beyond them: what it used up), prints "total T" (task mode). -f N -k K: fails
 * the N-th call K times over, each attempt checked as in a sweep (one that met its
 * failure and succeeded is absorbed: what it made is removed), and prints
 * "fixed N repeats K missed M absorbed A injected I other O changed C". With -M MAX, an
 * attempt that succeeded with nothing injected (it made fewer than N calls: the count
 * of one creation varies, e.g. with the pages the bulk page allocator finds on its
 * per-CPU lists) is a miss, not a failure: what it made is removed and the attempts go
 * on until K failures are injected, at most MAX misses; without -M it ends them as
 * "other".
 *
 * Prints one line per errno seen ("errno ENOMEM 37"), the first differences found
 * ("changed at N: ..."), "ms attempts A snapshots S": the milliseconds spent in the
 * attempts and in the snapshots (a sweep's time is mostly the snapshots': about 70 ms
 * each under TCG, a third of it the slab caches' shrink), "buffers B": how many buffers
 * the last (successful) attempt made, as numa_stats counts them (allocations_local +
 * allocations_remote; each is at least one allocation), and a last line
 * "calls N injected I absorbed A succeeded S other O changed C attempts K";
 * exits 0 if every failed attempt failed with ENOMEM (or an errno given with -e) and
 * changed nothing, 1 otherwise, 2 on a usage or setup error. Built static by
 * `make guest`, into build/guest/.
 *
 * NN_FAULTSWEEP_KMSG=1 in the environment: each attempt of a sweep is marked in the
 * kernel log ("nn-faultsweep: attempt N", written before the attempt is armed), so that
 * whatever the kernel prints can be placed against the attempt that was running.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_N 20000
#define DEBUGFS "/sys/kernel/debug/neural_network"

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			perror("realloc");
			exit(2);
		}
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* The file's text into b, after a header line; "(absent)" if it cannot be read. */
static void put_file(struct buf *b, const char *path)
{
	char chunk[4096];
	ssize_t r;
	int fd = open(path, O_RDONLY);

	puts_(b, "== ");
	puts_(b, path);
	puts_(b, "\n");
	if (fd < 0) {
		puts_(b, "(absent)\n");
		return;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		put(b, chunk, r);
	if (r < 0)
		puts_(b, "(read error)\n");
	close(fd);
}

static const char *excluded[64];
static int n_excluded;
static const char *accounted[16];
static int n_accounted;
/* The accounted keys' values in the snapshot, in file order; their sum. */
static long accounted_vals[256], accounted_prev[256];
static int n_vals, n_prev;
static long accounted_sum;

/* stats less the excluded and accounted keys ("key: value" lines). */
static void put_stats(struct buf *b, const char *path)
{
	struct buf raw = { 0 };
	char *line, *save = NULL;

	put_file(&raw, path);
	for (line = strtok_r(raw.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int i, skip = 0;

		for (i = 0; i < n_excluded; i++) {
			size_t k = strlen(excluded[i]);

			if (!strncmp(line, excluded[i], k) && line[k] == ':')
				skip = 1;
		}
		for (i = 0; i < n_accounted; i++) {
			size_t k = strlen(accounted[i]);

			if (!strncmp(line, accounted[i], k) && line[k] == ':') {
				skip = 1;
				accounted_sum += atol(line + k + 1);
				if (n_vals < 256)
					accounted_vals[n_vals++] = atol(line + k + 1);
			}
		}
		if (!skip) {
			puts_(b, line);
			puts_(b, "\n");
		}
	}
	free(raw.p);
}

/* Whether every accounted value moved by 0 or 1 since the kept ones. */
static int accounted_ok(void)
{
	int i;

	if (n_vals != n_prev)
		return 0;
	for (i = 0; i < n_vals; i++)
		if (accounted_vals[i] - accounted_prev[i] > 1 ||
		    accounted_vals[i] < accounted_prev[i])
			return 0;
	return 1;
}

static void keep_accounted(void)
{
	memcpy(accounted_prev, accounted_vals, sizeof(accounted_vals));
	n_prev = n_vals;
}

static int is_network(const struct dirent *d)
{
	return !strncmp(d->d_name, "network_", 8);
}

static void put_slabs(struct buf *b)
{
	char line[512];
	struct dirent **names;
	FILE *f;
	int i, n;

	n = scandir("/sys/kernel/slab", &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (!strncmp(names[i]->d_name, "neural_", 7)) {
			char path[512];
			int fd;

			snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", names[i]->d_name);
			fd = open(path, O_WRONLY);
			if (fd >= 0) {
				if (write(fd, "1", 1) != 1)
					puts_(b, "(shrink failed)\n");
				close(fd);
			}
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	puts_(b, "== slabs\n");
	f = fopen("/proc/slabinfo", "r");
	if (!f) {
		puts_(b, "(no slabinfo)\n");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		unsigned long active;

		if (strncmp(line, "neural_", 7) || sscanf(line, "%127s %lu", name, &active) != 2)
			continue;
		snprintf(line, sizeof(line), "%s %lu\n", name, active);
		puts_(b, line);
	}
	fclose(f);
}

/* Where a sweep's time goes (the "ms" line): the attempts, and the snapshots. */
static long long ns_attempts, ns_snapshots;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void snapshot_files(struct buf *b);

static void snapshot(struct buf *b)
{
	long long t0 = now_ns();

	snapshot_files(b);
	ns_snapshots += now_ns() - t0;
}

static void snapshot_files(struct buf *b)
{
	static const char *const top[] = { "numa_stats", "memory_map", "memory", "cpu_affinity" };
	struct dirent **names;
	char path[512];
	size_t i;
	int n, j;

	b->len = 0;
	accounted_sum = 0;
	n_vals = 0;
	puts_(b, "");
	puts_(b, access("/sys/module/neural_network", F_OK) ? "module absent\n" : "module present\n");
	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		snprintf(path, sizeof(path), DEBUGFS "/%s", top[i]);
		if (i == 0)
			put_stats(b, path);
		else
			put_file(b, path);
	}
	n = scandir(DEBUGFS, &names, is_network, alphasort);
	for (j = 0; j < n; j++) {
		snprintf(path, sizeof(path), DEBUGFS "/%s/config", names[j]->d_name);
		put_file(b, path);
		snprintf(path, sizeof(path), DEBUGFS "/%s/stats", names[j]->d_name);
		put_stats(b, path);
		free(names[j]);
	}
	if (n >= 0)
		free(names);
	put_slabs(b);
}

/* The first line where a and b differ, printed. */
static void show_difference(unsigned long n, const char *a, const char *b)
{
	const char *la = a, *lb = b, *hdr = "";

	while (*la && *lb) {
		const char *ea = strchr(la, '\n'), *eb = strchr(lb, '\n');
		size_t na = ea ? (size_t)(ea - la) : strlen(la);
		size_t nb = eb ? (size_t)(eb - lb) : strlen(lb);

		if (na != nb || memcmp(la, lb, na))
			break;
		if (!strncmp(la, "== ", 3))
			hdr = la;
		la += na + (ea != NULL);
		lb += nb + (eb != NULL);
	}
	printf("changed at %lu: in %.*s: before \"%.*s\" after \"%.*s\"\n", n,
	       (int)(strchr(hdr, '\n') ? strchr(hdr, '\n') - hdr : (long)strlen(hdr)), hdr,
	       (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t len = strlen(s);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, len) == len;
	close(fd);
	return ok ? 0 : -1;
}

/* With NN_FAULTSWEEP_KMSG=1: "nn-faultsweep: attempt N" into the kernel log. */
static void mark(unsigned long n)
{
	static int on = -1;
	char line[64];

	if (on < 0) {
		const char *v = getenv("NN_FAULTSWEEP_KMSG");

		on = v && !strcmp(v, "1");
	}
	if (!on)
		return;
	snprintf(line, sizeof(line), "nn-faultsweep: attempt %lu\n", n);
	write_str("/dev/kmsg", line);
}

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return r > 0 ? atol(buf) : -1;
}

/* numa_stats' allocations_local + allocations_remote: the buffers the module counted. */
static long allocations(void)
{
	char line[256];
	long sum = 0, v;
	FILE *f = fopen(DEBUGFS "/numa_stats", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "allocations_local: %ld", &v) == 1 ||
		    sscanf(line, "allocations_remote: %ld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

static const char *mode = "task";
static char attr_dir[128];

/* Arms the N-th call (task: fail-nth; slab, page: interval). */
static int arm(unsigned long nth)
{
	char path[160], v[32];

	snprintf(v, sizeof(v), "%lu", nth);
	if (!strcmp(mode, "task"))
		return write_str("/proc/thread-self/fail-nth", v);
	snprintf(path, sizeof(path), "%s/interval", attr_dir);
	if (write_str(path, v))
		return -1;
	snprintf(path, sizeof(path), "%s/times", attr_dir);
	return write_str(path, "1");
}

/* Disarms; returns whether the armed failure was injected. */
static int disarm(void)
{
	char path[160];
	long left;

	if (!strcmp(mode, "task")) {
		left = read_long("/proc/thread-self/fail-nth");
		write_str("/proc/thread-self/fail-nth", "0");
		return left == 0;
	}
	snprintf(path, sizeof(path), "%s/times", attr_dir);
	left = read_long(path);
	write_str(path, "0");
	return left == 0;
}

static int is_module(const char *file)
{
	size_t n = strlen(file);

	return n > 3 && !strcmp(file + n - 3, ".ko");
}

/* FILE a module: finit_module(2) with INPUT as its parameters (module init). */
static int attempt_insmod(const char *file, const char *params, int *injected, int *fd_out)
{
	int fd = open(file, O_RDONLY), e = 0;

	*fd_out = -1;
	if (fd < 0 || syscall(SYS_finit_module, fd, params, 0))
		e = errno;
	*injected = disarm();
	if (fd >= 0)
		close(fd);
	return e;
}

/* Unloads the module a successful finit_module loaded. */
static int unload_module(void)
{
	return syscall(SYS_delete_module, "neural_network", O_NONBLOCK) ? -1 : 0;
}

static int read_mode;

/* -R: reads FILE to its end; 0 or the errno. */
static int read_all(const char *file)
{
	static char buf[4096];
	int fd = open(file, O_RDONLY), e = 0;
	ssize_t r;

	if (fd < 0)
		return errno;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		;
	if (r < 0)
		e = errno;
	close(fd);
	return e;
}

/* One attempt: 0 or the errno; *wrote_fd gets the open file of a successful write. */
static int attempt_timed(const char *file, const char *input, size_t len, int *injected,
			 int *fd_out);

static int attempt(const char *file, const char *input, size_t len, int *injected, int *fd_out)
{
	long long t0 = now_ns();
	int e = attempt_timed(file, input, len, injected, fd_out);

	ns_attempts += now_ns() - t0;
	return e;
}

static int attempt_timed(const char *file, const char *input, size_t len, int *injected,
			 int *fd_out)
{
	int fd, e = 0;

	if (is_module(file))
		return attempt_insmod(file, input, injected, fd_out);
	if (read_mode) {
		*fd_out = -1;
		e = read_all(file);
		*injected = disarm();
		return e;
	}
	fd = open(file, O_RDWR);

	*fd_out = -1;
	if (fd < 0) {
		e = errno;
		*injected = disarm();
		return e;
	}
	if (write(fd, input, len) != (ssize_t)len)
		e = errno ? errno : EIO;
	*injected = disarm();
	if (e)
		close(fd);
	else
		*fd_out = fd;
	return e;
}

static const char *id_file;

static int remove_made(int fd, const char *remove)
{
	char id[32];
	ssize_t r;
	int i;

	if (id_file) {
		fd = open(id_file, O_RDONLY);
		r = fd < 0 ? -1 : read(fd, id, sizeof(id) - 1);
		if (fd >= 0)
			close(fd);
	} else {
		lseek(fd, 0, SEEK_SET);
		r = read(fd, id, sizeof(id) - 1);
	}
	if (r <= 0)
		return -1;
	id[r] = 0;
	/* A removal that met an armed failure is tried again (nothing is armed then). */
	for (i = 0; i < 3; i++)
		if (!write_str(remove, id))
			return 0;
	return -1;
}

/*
 * Undoes what a successful attempt made: unloads the module it loaded, or removes the
 * network it made (with -r); closes its file. 1 if the removal failed, else 0.
 */
static int undo_made(const char *file, int made_fd, const char *remove)
{
	int bad = 0;

	if (is_module(file))
		unload_module();
	else if (remove && remove_made(made_fd, remove))
		bad = 1;
	if (made_fd >= 0)
		close(made_fd);
	return bad;
}

int main(int argc, char **argv)
{
	static char input[1 << 20];
	const char *remove = NULL, *create = DEBUGFS "/create", *file;
	int allowed[16] = { ENOMEM }, n_allowed = 1;
	int counts[256] = { 0 };
	int injected = 0, absorbed = 0, succeeded = 0, other = 0, changed = 0, e, opt, fd;
	unsigned long n, count = 0, interval = 0, fixed = 0;
	int total_mode = 0, repeats = 1, max_missed = 0, missed = 0, k, attempts = 0;
	unsigned long first = 0, stride = 1, next, last_failed = 0;
	int tail = 0;
	long sum_before, counted = 0, allocs_before, made = 0;
	char count_path[128] = "";
	struct buf before = { 0 }, after = { 0 };
	ssize_t len;

	while ((opt = getopt(argc, argv, "m:r:i:x:a:e:c:Tf:k:M:Rs:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'r': remove = optarg; break;
		case 'i': id_file = optarg; break;
		case 'c': create = optarg; break;
		case 'T': total_mode = 1; break;
		case 'f': fixed = strtoul(optarg, NULL, 10); break;
		case 'k': repeats = atoi(optarg); break;
		case 'M': max_missed = atoi(optarg); break;
		case 'R': read_mode = 1; break;
		case 's':
			if (sscanf(optarg, "%lu:%lu", &first, &stride) != 2 || !first || !stride)
				goto usage;
			break;
		case 'x':
			if (n_excluded < 64)
				excluded[n_excluded++] = optarg;
			break;
		case 'a':
			if (n_accounted < 16)
				accounted[n_accounted++] = optarg;
			break;
		case 'e':
			if (n_allowed < 16)
				allowed[n_allowed++] = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 - read_mode)
		goto usage;
	if (!strcmp(mode, "slab") || !strcmp(mode, "page")) {
		snprintf(attr_dir, sizeof(attr_dir), "/sys/kernel/debug/%s",
			 !strcmp(mode, "slab") ? "failslab" : "fail_page_alloc");
		snprintf(count_path, sizeof(count_path), "/run/nn-faultsweep.%s.count", mode);
		{
			long c = read_long(count_path);

			count = c > 0 ? (unsigned long)c : 0;
		}
	} else if (strcmp(mode, "task")) {
		goto usage;
	}
	file = argv[optind];
	if (read_mode) {
		len = 0;
	} else {
		fd = open(argv[optind + 1], O_RDONLY);
		if (fd < 0 || (len = read(fd, input, sizeof(input))) <= 0) {
			perror(argv[optind + 1]);
			return 2;
		}
		close(fd);
	}
	if (total_mode || fixed || first) {
		if (strcmp(mode, "task"))
			goto usage;
	}
	if (total_mode) {
		/* How many calls the operation makes: armed far beyond, what is left. */
		long left;

		if (arm(1000000000UL)) {
			perror("arm");
			return 2;
		}
		if (is_module(file)) {
			int mfd = open(file, O_RDONLY);

			fd = -1;
			e = mfd < 0 || syscall(SYS_finit_module, mfd, input, 0);
			left = read_long("/proc/thread-self/fail-nth");
			write_str("/proc/thread-self/fail-nth", "0");
			if (mfd >= 0)
				close(mfd);
			if (e || unload_module()) {
				perror(file);
				return 2;
			}
		} else if (read_mode) {
			fd = -1;
			errno = read_all(file);
			left = read_long("/proc/thread-self/fail-nth");
			write_str("/proc/thread-self/fail-nth", "0");
			if (errno) {
				perror(file);
				return 2;
			}
		} else {
			fd = open(file, O_RDWR);
			if (fd < 0 || write(fd, input, len) != len) {
				perror(file);
				return 2;
			}
			left = read_long("/proc/thread-self/fail-nth");
			write_str("/proc/thread-self/fail-nth", "0");
		}
		if (fd >= 0 && remove && remove_made(fd, remove))
			return 2;
		if (fd >= 0)
			close(fd);
		printf("total %ld\n", 1000000000L - left);
		return 0;
	}
	snapshot(&before);
	sum_before = accounted_sum;
	keep_accounted();
	if (fixed) {
		/* The same call failed REPEATS times (-f N -k K): each fails cleanly. */
		for (k = 0; k < repeats; k++) {
			int inj, made_fd;

			if (arm(fixed)) {
				perror("arm");
				return 2;
			}
			e = attempt(file, input, len, &inj, &made_fd);
			if (!e && inj) {
				/* Absorbed (a fallback): the operation made what it makes. */
				absorbed++;
				injected++;
				other += undo_made(file, made_fd, remove);
				snapshot(&before);
				continue;
			}
			if (!e && !inj && missed < max_missed) {
				/* A miss: this attempt made fewer calls; it does not count. */
				missed++;
				k--;
				other += undo_made(file, made_fd, remove);
				snapshot(&before);
				if (other)
					break;
				continue;
			}
			if (!e || !inj) {
				printf("attempt %d: %s, %s\n", k + 1, e ? strerror(e) : "succeeded",
				       inj ? "injected" : "nothing injected");
				other++;
				if (!e) {
					if (is_module(file))
						unload_module();
					else if (remove)
						remove_made(made_fd, remove);
					if (made_fd >= 0)
						close(made_fd);
				}
				break;
			}
			if (e != ENOMEM)
				other++;
			injected++;
			snapshot(&after);
			if (strcmp(before.p, after.p)) {
				show_difference(fixed, before.p, after.p);
				changed++;
				break;
			}
		}
		printf("fixed %lu repeats %d missed %d absorbed %d injected %d other %d changed %d\n",
		       fixed, repeats, missed, absorbed, injected, other, changed);
		return other || changed ? 1 : 0;
	}
	for (n = 1; n < MAX_N; n = next) {
		int inj, made_fd, i, ok;

		/* Every call, or (-s) every STRIDE-th past FIRST until the tail. */
		next = first && n >= first && !tail ? n + stride : n + 1;
		attempts++;
		interval = count + n;
		allocs_before = allocations();
		mark(n);
		if (arm(interval)) {
			perror("arm");
			return 2;
		}
		e = attempt(file, input, len, &inj, &made_fd);
		if (inj) {
			injected++;
			/* The kernel's running count: slab and page modes only (fail-nth counts
			 * from the value armed, every attempt afresh). */
			if (count_path[0] && interval > 1)
				count = interval;
		}
		if (!e) {
			succeeded++;
			made = allocations() - allocs_before;
			if (is_module(file)) {
				if (inj && unload_module())
					other++;
			} else if (remove && remove_made(made_fd, remove)) {
				other++;
			}
			if (made_fd >= 0)
				close(made_fd);
			if (!inj && first && !tail && n > last_failed + 1 && n > first) {
				/* Past the end by up to STRIDE - 1 calls: the ones skipped, against
				 * a new snapshot (the network made and removed moved counters). */
				tail = 1;
				attempts--;
				next = last_failed + 1;
				snapshot(&before);
				sum_before = accounted_sum;
				keep_accounted();
				continue;
			}
			if (!inj)
				break;
			absorbed++;
			/* The state changed (a network made and removed is not an exact return:
			 * ids move on), so the sweep goes on against a new snapshot. */
			snapshot(&before);
			sum_before = accounted_sum;
			keep_accounted();
			continue;
		}
		counts[e & 255]++;
		if (!inj) {
			/* Failed with nothing injected: the operation itself is refused. */
			printf("failed at %lu with nothing injected: %s\n", n, strerror(e));
			other++;
			break;
		}
		last_failed = n;
		for (ok = 0, i = 0; i < n_allowed; i++)
			ok |= e == allowed[i];
		if (!ok)
			other++;
		snapshot(&after);
		/* An accounted counter (a failure counted) moves by 0 or 1 per failure, in
		 * each file that shows it (numa_stats and the network's stats). */
		if (!accounted_ok()) {
			if (changed < 3)
				printf("changed at %lu: accounted counters %ld -> %ld\n", n, sum_before,
				       accounted_sum);
			changed++;
		}
		counted += accounted_sum - sum_before;
		sum_before = accounted_sum;
		keep_accounted();
		if (strcmp(before.p, after.p)) {
			if (changed < 3)
				show_difference(n, before.p, after.p);
			changed++;
			/* Compare what follows with the new state, not with every later one. */
			put(&before, "", 0);
			before.len = 0;
			puts_(&before, after.p);
		}
	}
	if (n >= MAX_N)
		other++;
	if (count_path[0]) {
		/* The last attempt reached fewer calls than armed: reach the armed one with
		 * small networks made and removed, so that the count is known again. */
		static const char small[] = "2 2 linear seed=1\n";
		int tries;

		for (tries = 0; tries < 10000; tries++) {
			int inj, made_fd;

			if (arm(interval)) {
				perror("arm");
				return 2;
			}
			e = attempt(create, small, sizeof(small) - 1, &inj, &made_fd);
			if (!e) {
				if (remove_made(made_fd, DEBUGFS "/remove"))
					other++;
				close(made_fd);
			}
			if (inj) {
				count = interval;
				break;
			}
		}
		if (tries == 10000) {
			printf("the count was not brought back\n");
			other++;
			unlink(count_path);
		} else {
			char v[32];

			snprintf(v, sizeof(v), "%lu\n", count);
			int cfd = open(count_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			if (cfd < 0 || write(cfd, v, strlen(v)) != (ssize_t)strlen(v))
				other++;
			if (cfd >= 0)
				close(cfd);
		}
	}
	for (e = 1; e < 256; e++)
		if (counts[e])
			printf("errno %s %d\n", strerror(e), counts[e]);
	if (n_accounted)
		printf("accounted %ld\n", counted);
	printf("ms attempts %lld snapshots %lld\n", ns_attempts / 1000000, ns_snapshots / 1000000);
	printf("buffers %ld\n", made);
	printf("calls %lu injected %d absorbed %d succeeded %d other %d changed %d attempts %d\n",
	       n, injected, absorbed, succeeded, other, changed, attempts - 1);
	return other || changed ? 1 : 0;
usage:
	fprintf(stderr, "usage: nn-faultsweep [-m task|slab|page] [-r REMOVE [-i IDFILE]] [-c CREATE] "
			"[-s FIRST:STRIDE] [-x STATSKEY]... [-e ERRNO]... FILE INPUT\n"
			"       nn-faultsweep -R [-m task|slab|page] [-x STATSKEY]... FILE\n");
	return 2;
}
