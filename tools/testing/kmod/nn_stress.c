// SPDX-License-Identifier: GPL-2.0
/* Placeholder, replaced by the stress module in the next commit. */
#include <linux/module.h>
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("neural_network test: stress (placeholder)");
