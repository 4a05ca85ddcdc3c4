// SPDX-License-Identifier: GPL-2.0
/*
 * The harness's self-test (tools/testing/check --self-test): a kernel WARN, planted.
 * Its init warns and fails, so the guest is left as it was; run-vm must then find the
 * WARN in the kernel log and fail the run (status 125). Never loaded by a real test.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/module.h>

static int __init nn_selftest_warn_init(void)
{
	WARN(1, "nn_selftest_warn: a WARN planted by the harness's self-test\n");
	return -EINVAL;
}
module_init(nn_selftest_warn_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("neural_network test harness self-test: a planted kernel WARN");
