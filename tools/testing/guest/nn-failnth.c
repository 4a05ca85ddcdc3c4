// SPDX-License-Identifier: GPL-2.0
/*
 * nn-failnth: fail each allocation of one debugfs write in turn, with fail-nth.
 *
 * usage: nn-failnth FILE INPUT REMOVE|-
 *
 * For n = 1, 2, ...: arms /proc/thread-self/fail-nth so that the n-th fault-injectable
 * call of this task fails (failslab and fail_page_alloc, as configured under
 * /sys/kernel/debug/), opens FILE (the module's `load` or `create`), writes the bytes of
 * INPUT in one write(2) and closes it. A write that succeeds made a network: its id, read
 * back from the same open file, is written to REMOVE; with "-" for REMOVE (a write that
 * makes nothing, as a re-placement written to `config`), nothing is. The loop ends at the first n whose
 * fault was never reached (the write succeeded with fail-nth still armed).
 *
 * Prints one line per errno seen ("errno ENOMEM 37") and a last line
 * "calls N injected I succeeded S other O"; exits 0 if every failed write failed with
 * ENOMEM (the module's answer to a failed allocation), 1 otherwise. Built static by
 * `make guest` (the guest has no compiler), into build/guest/.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_N 100000

static int arm(int n)
{
	char buf[16];
	int fd = open("/proc/thread-self/fail-nth", O_RDWR);
	int len = snprintf(buf, sizeof(buf), "%d", n);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, buf, len) == len;
	close(fd);
	return ok ? 0 : -1;
}

/* Whether the armed fault is still pending (0 once it was injected). */
static int armed(void)
{
	char buf[16] = "";
	int fd = open("/proc/thread-self/fail-nth", O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return 0;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return r > 0 && atoi(buf) > 0;
}

static void disarm(void)
{
	arm(0);
}

int main(int argc, char **argv)
{
	static char input[1 << 20];
	int counts[256] = { 0 };
	int n, injected = 0, succeeded = 0, other = 0, e;
	ssize_t len;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: nn-failnth FILE INPUT REMOVE|-\n");
		return 2;
	}
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || (len = read(fd, input, sizeof(input))) <= 0) {
		perror(argv[2]);
		return 2;
	}
	close(fd);
	for (n = 1; n < MAX_N; n++) {
		int wrote, still;

		if (arm(n)) {
			perror("fail-nth");
			return 2;
		}
		fd = open(argv[1], O_RDWR);
		if (fd < 0) {
			e = errno;
			still = armed();
			disarm();
		} else {
			wrote = write(fd, input, len) == len;
			e = wrote ? 0 : errno;
			still = armed();
			disarm();
			if (wrote && strcmp(argv[3], "-")) {
				char id[32];
				ssize_t r;
				int rm;

				lseek(fd, 0, SEEK_SET);
				r = read(fd, id, sizeof(id) - 1);
				rm = open(argv[3], O_WRONLY);
				if (r > 0 && rm >= 0) {
					if (write(rm, id, r) != r)
						other++;
				} else {
					other++;
				}
				if (rm >= 0)
					close(rm);
			}
			if (wrote)
				succeeded++;
			close(fd);
		}
		if (!still)
			injected++;
		if (e) {
			counts[e & 255]++;
			if (e != ENOMEM)
				other++;
		}
		if (still && !e)
			break;
	}
	for (e = 1; e < 256; e++)
		if (counts[e])
			printf("errno %s %d\n", strerror(e), counts[e]);
	printf("calls %d injected %d succeeded %d other %d\n", n, injected, succeeded, other);
	return other ? 1 : 0;
}
