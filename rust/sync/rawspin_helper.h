/* SPDX-License-Identifier: GPL-2.0 */
/* raw_spinlock_t for neural_network (rust/sync/rawspin.rs declares the same). */
#ifndef NN_RAWSPIN_HELPER_H
#define NN_RAWSPIN_HELPER_H

#include <linux/spinlock.h>

void nn_raw_spin_lock_init(raw_spinlock_t *lock);
unsigned long nn_raw_spin_lock_irqsave(raw_spinlock_t *lock);
void nn_raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags);

#endif /* NN_RAWSPIN_HELPER_H */
