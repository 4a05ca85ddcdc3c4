// SPDX-License-Identifier: GPL-2.0
/*
 * nn-unpriv: what a process without CAP_SYS_ADMIN may open (31-permissions.sh).
 *
 *   nn-unpriv WHO [-w] FILE...
 *
 * WHO is the process the opens are made as:
 *   nobody  uid and gid 65534, no supplementary groups (and so no capabilities);
 *   nocap   uid 0 with every capability but CAP_SYS_ADMIN (dropped from the bounding,
 *           permitted, effective and inheritable sets: a container's root);
 *   root    as started (the control: the same opens with every capability).
 *
 * Each FILE's contents are read first, as started. Then, as WHO, each FILE is opened for
 * reading and for writing, and with -w a file that opened for writing is written its own
 * contents back (a value unchanged even if the write is let through). One line per FILE:
 *
 *   FILE r=RES w=RES write=RES
 *
 * RES is "ok", an errno's name (EACCES, EPERM, ...), or "-" for a write not tried.
 * Exits 0 when every line was printed, 1 on a usage or set-up error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_FILES 256
#define MAX_CONTENT 4096

static const char *err_name(int e)
{
	switch (e) {
	case 0: return "ok";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case ENOMEM: return "ENOMEM";
	case EISDIR: return "EISDIR";
	case ENODEV: return "ENODEV";
	case EIO: return "EIO";
	default: {
		static char buf[32];

		snprintf(buf, sizeof(buf), "E%d", e);
		return buf;
	}
	}
}

/* Drops CAP_SYS_ADMIN from every set of this process, as uid 0. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	int word = CAP_SYS_ADMIN / 32;
	unsigned int bit = 1u << (CAP_SYS_ADMIN % 32);

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0)) {
		perror("nn-unpriv: PR_CAPBSET_DROP");
		return -1;
	}
	if (syscall(SYS_capget, &hdr, data)) {
		perror("nn-unpriv: capget");
		return -1;
	}
	data[word].effective &= ~bit;
	data[word].permitted &= ~bit;
	data[word].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data)) {
		perror("nn-unpriv: capset");
		return -1;
	}
	/* Checked, not assumed. */
	if (syscall(SYS_capget, &hdr, data) || (data[word].effective & bit)) {
		fprintf(stderr, "nn-unpriv: CAP_SYS_ADMIN still effective\n");
		return -1;
	}
	return 0;
}

static int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
		perror("nn-unpriv: setuid 65534");
		return -1;
	}
	if (getuid() != 65534 || geteuid() != 65534) {
		fprintf(stderr, "nn-unpriv: still uid %d\n", (int)geteuid());
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char content[MAX_FILES][MAX_CONTENT];
	static ssize_t length[MAX_FILES];
	int write_back = 0, first = 2, n, i;
	const char *who;

	if (argc < 3) {
		fprintf(stderr, "usage: nn-unpriv nobody|nocap|root [-w] FILE...\n");
		return 1;
	}
	who = argv[1];
	if (!strcmp(argv[2], "-w")) {
		write_back = 1;
		first = 3;
	}
	n = argc - first;
	if (n > MAX_FILES) {
		fprintf(stderr, "nn-unpriv: at most %d files\n", MAX_FILES);
		return 1;
	}
	for (i = 0; write_back && i < n; i++) {
		int fd = open(argv[first + i], O_RDONLY);

		length[i] = fd < 0 ? -1 : read(fd, content[i], MAX_CONTENT);
		if (fd >= 0)
			close(fd);
	}
	if (!strcmp(who, "nobody")) {
		if (become_nobody())
			return 1;
	} else if (!strcmp(who, "nocap")) {
		if (drop_sys_admin())
			return 1;
	} else if (strcmp(who, "root")) {
		fprintf(stderr, "nn-unpriv: WHO is nobody, nocap or root, not '%s'\n", who);
		return 1;
	}
	for (i = 0; i < n; i++) {
		const char *path = argv[first + i];
		int r, w, wr = -1, fd;

		fd = open(path, O_RDONLY);
		r = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		fd = open(path, O_WRONLY);
		w = fd < 0 ? errno : 0;
		if (fd >= 0 && write_back && length[i] > 0)
			wr = write(fd, content[i], length[i]) < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		printf("%s r=%s", path, err_name(r));
		printf(" w=%s", err_name(w));
		printf(" write=%s\n", wr < 0 ? "-" : err_name(wr));
	}
	return 0;
}
