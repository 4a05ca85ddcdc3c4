// SPDX-License-Identifier: GPL-2.0
/*
 * nn-stress-predict: debugfs predictions checked exactly while the model changes.
 *
 * usage: nn-stress-predict PREDICT GENERATION|- INPUTS A_EXPECTED B_EXPECTED COUNT MAXROWS SEED
 *
 * Until COUNT rows are checked: opens PREDICT (a network's predict file), writes 1 to
 * MAXROWS consecutive lines of INPUTS (from a random row) in one write(2), reads the
 * answers back from the same open file, closes it, and checks each answer line against
 * the same row's line of A_EXPECTED and of B_EXPECTED (nnctl eval's lines for models A
 * and B). A line equal to neither is "wrong" (a torn read). GENERATION is nn_stress's
 * "generation" parameter ("G M", tools/testing/kmod/nn_stress.c), read before the open
 * and after the close: when both reads give the same even G, every answer must be model
 * M's ("stale" otherwise), and when G moved the write overlapped a replacement
 * ("overlapped"). "-": no generation (A or B is all that can be checked).
 *
 * Prints "checked N wrong W stale S overlapped O writes K" and, on stderr, the first
 * wrong answer. Exits 0 when every write and read succeeded (wrong answers are the
 * caller's to judge), 1 on an I/O error (with the errno), 2 on a usage error. Built
 * static by `make guest`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lines {
	char **line;
	size_t n;
};

static int read_lines(const char *path, struct lines *l)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f)
		return -1;
	while ((len = getline(&buf, &cap, f)) > 0) {
		if (buf[len - 1] == '\n')
			buf[len - 1] = 0;
		l->line = realloc(l->line, (l->n + 1) * sizeof(*l->line));
		if (!l->line)
			return -1;
		l->line[l->n++] = strdup(buf);
	}
	free(buf);
	fclose(f);
	return 0;
}

/* The generation and model in force, or -1 without a generation file. */
static long generation(const char *path, int *model)
{
	char buf[64];
	long g;
	int fd, n;

	*model = -1;
	if (!strcmp(path, "-"))
		return -1;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -2;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -2;
	buf[n] = 0;
	if (sscanf(buf, "%ld %d", &g, model) != 2)
		return -2;
	return g;
}

int main(int argc, char **argv)
{
	struct lines in = { 0 }, a = { 0 }, b = { 0 };
	unsigned long count, checked = 0, wrong = 0, stale = 0, overlapped = 0, writes = 0;
	unsigned int maxrows, seed;
	static char wbuf[1 << 16], rbuf[1 << 17];

	if (argc != 9) {
		fprintf(stderr, "usage: %s PREDICT GENERATION|- INPUTS A_EXPECTED B_EXPECTED COUNT MAXROWS SEED\n",
			argv[0]);
		return 2;
	}
	count = strtoul(argv[6], NULL, 0);
	maxrows = strtoul(argv[7], NULL, 0);
	seed = strtoul(argv[8], NULL, 0);
	if (read_lines(argv[3], &in) || read_lines(argv[4], &a) || read_lines(argv[5], &b) ||
	    !in.n || in.n != a.n || in.n != b.n || !maxrows || maxrows > in.n || maxrows > 256) {
		fprintf(stderr, "%s: unreadable or unequal input and answer files\n", argv[0]);
		return 2;
	}
	srand(seed);
	while (checked < count) {
		size_t rows = 1 + rand() % maxrows, first = rand() % (in.n - rows + 1), i;
		size_t wlen = 0, rlen = 0;
		int m1, m2, fd;
		long g1, g2;
		ssize_t n;
		char *p, *next;

		for (i = 0; i < rows; i++)
			wlen += snprintf(wbuf + wlen, sizeof(wbuf) - wlen, "%s\n", in.line[first + i]);
		g1 = generation(argv[2], &m1);
		fd = open(argv[1], O_RDWR);
		if (fd < 0) {
			fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		n = write(fd, wbuf, wlen);
		if (n != (ssize_t)wlen) {
			fprintf(stderr, "write %s (%zu rows): %s\n", argv[1], rows,
				n < 0 ? strerror(errno) : "short write");
			return 1;
		}
		while ((n = read(fd, rbuf + rlen, sizeof(rbuf) - 1 - rlen)) > 0)
			rlen += n;
		if (n < 0) {
			fprintf(stderr, "read %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		close(fd);
		g2 = generation(argv[2], &m2);
		if (g1 == -2 || g2 == -2) {
			fprintf(stderr, "%s: unreadable\n", argv[2]);
			return 1;
		}
		writes++;
		rbuf[rlen] = 0;
		p = rbuf;
		for (i = 0; i < rows; i++) {
			const char *la = a.line[first + i], *lb = b.line[first + i];
			int is_a, is_b;

			next = strchr(p, '\n');
			if (!next) {
				fprintf(stderr, "read %s: %zu lines for %zu rows\n", argv[1], i, rows);
				return 1;
			}
			*next = 0;
			is_a = !strcmp(p, la);
			is_b = !strcmp(p, lb);
			checked++;
			if (!is_a && !is_b) {
				if (!wrong++)
					fprintf(stderr, "row %zu: '%s' is neither A's '%s' nor B's '%s'\n",
						first + i, p, la, lb);
			} else if (g1 >= 0 && g1 == g2 && !(g1 & 1) && !(m1 ? is_b : is_a)) {
				if (!stale++)
					fprintf(stderr, "row %zu: model %c answered in generation %ld of model %c\n",
						first + i, is_a ? 'A' : 'B', g1, m1 ? 'B' : 'A');
			}
			p = next + 1;
		}
		if (g1 != g2)
			overlapped += rows;
	}
	printf("checked %lu wrong %lu stale %lu overlapped %lu writes %lu\n", checked, wrong, stale,
	       overlapped, writes);
	return 0;
}
