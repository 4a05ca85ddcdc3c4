// SPDX-License-Identifier: GPL-2.0
/*
 * nn-insmod: load a module with finit_module(2) and report the exact errno.
 *
 * usage: nn-insmod MODULE.ko [PARAM=VALUE...]
 *
 * Prints "ok" and exits 0, or prints "errno=<NAME>" and exits with the errno number, so
 * that guest tests assert -EINVAL itself rather than a tool's paraphrase of it. Built
 * static by `make guest` (the guest has no compiler), into build/guest/.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errno_name(int err)
{
	switch (err) {
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case ENOEXEC: return "ENOEXEC";
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case ERANGE: return "ERANGE";
	case EFAULT: return "EFAULT";
	case ENOSPC: return "ENOSPC";
	default: return NULL;
	}
}

int main(int argc, char **argv)
{
	char params[4096] = "";
	size_t len = 0;
	int fd, i, err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s MODULE.ko [PARAM=VALUE...]\n", argv[0]);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		int n = snprintf(params + len, sizeof(params) - len, "%s%s", i > 2 ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(params) - len) {
			fprintf(stderr, "%s: parameters too long\n", argv[0]);
			return 2;
		}
		len += n;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(errno));
		return 2;
	}
	if (syscall(SYS_finit_module, fd, params, 0) == 0) {
		puts("ok");
		return 0;
	}
	err = errno;
	close(fd);
	if (errno_name(err))
		printf("errno=%s\n", errno_name(err));
	else
		printf("errno=%d\n", err);
	return err;
}
