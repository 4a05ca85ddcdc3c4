// SPDX-License-Identifier: GPL-2.0
/*
 * raw_spinlock_t for neural_network (rust/sync/rawspin.rs): raw_spin_lock_init() and the
 * irqsave pair are macros, and the kernel crate has no raw spinlock.
 */

#include "rawspin_helper.h"

/* One lock class for every lock made here: none nests in another. */
void nn_raw_spin_lock_init(raw_spinlock_t *lock)
{
	raw_spin_lock_init(lock);
}

unsigned long nn_raw_spin_lock_irqsave(raw_spinlock_t *lock)
{
	unsigned long flags;

	raw_spin_lock_irqsave(lock, flags);
	return flags;
}

void nn_raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags)
{
	raw_spin_unlock_irqrestore(lock, flags);
}
