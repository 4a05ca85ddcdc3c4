/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The samples' checks: each logs "KBUILD_MODNAME: ok NAME" or "KBUILD_MODNAME: FAIL NAME:
 * WHY (VALUE)" (pr_fmt is the includer's), counted for the last line "N checks, F failed"
 * that tools/testing/guest/tests/80-api.sh and 81-atomic.sh read.
 */
#ifndef NN_SAMPLE_CHECK_H
#define NN_SAMPLE_CHECK_H

#include <linux/printk.h>
#include <linux/types.h>

static unsigned int checks, failed;

static void check(bool ok, const char *name, const char *why, long value)
{
	checks++;
	if (ok) {
		pr_info("ok %s\n", name);
	} else {
		failed++;
		pr_err("FAIL %s: %s (%ld)\n", name, why, value);
	}
}

#endif /* NN_SAMPLE_CHECK_H */
