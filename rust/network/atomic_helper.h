/* SPDX-License-Identifier: GPL-2.0 */
/* Atomic predictions, for neural_network (rust/network/atomic.rs declares the same). */
#ifndef NN_ATOMIC_HELPER_H
#define NN_ATOMIC_HELPER_H

int nn_atomic_enter(void);
void nn_atomic_exit(void);
unsigned int nn_atomic_cpu(void);
void nn_kunit_atomic_begin(void);
void nn_kunit_atomic_end(void);

#endif /* NN_ATOMIC_HELPER_H */
