/* SPDX-License-Identifier: GPL-2.0 */
/* The FPU and CPU features for neural_network's vector kernels (rust/simd/fpu.rs). */
#ifndef NN_FPU_HELPER_H
#define NN_FPU_HELPER_H

#include <linux/types.h>

bool nn_cpu_has_avx2(void);
bool nn_cpu_has_avx512_vnni(void);
bool nn_cpu_has_avx512bw(void);
bool nn_cpu_prefers_ymm(void);
bool nn_fpu_begin(void);
void nn_fpu_end(void);

#endif /* NN_FPU_HELPER_H */
