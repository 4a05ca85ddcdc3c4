// SPDX-License-Identifier: GPL-2.0
/*
 * The FPU and CPU features for neural_network's vector kernels (rust/simd/fpu.rs):
 * boot_cpu_has() and cpu_has_xfeatures() are macros and inlines, and kernel_fpu_begin()
 * an inline over kernel_fpu_begin_mask(), so none has a Rust binding.
 */

#include <asm/cpufeature.h>
#include <asm/fpu/api.h>

#include "fpu_helper.h"

/*
 * Whether the boot CPU has AVX2 and the kernel manages the YMM state, as the x86 crypto
 * drivers check before they use AVX2 (arch/x86/crypto/).
 */
bool nn_cpu_has_avx2(void)
{
	return boot_cpu_has(X86_FEATURE_AVX) && boot_cpu_has(X86_FEATURE_AVX2) &&
	       cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM, NULL);
}

/*
 * Whether the boot CPU has AVX512_VNNI with AVX512VL (the VNNI instructions on 256-bit
 * registers, EVEX-encoded) and the kernel manages the AVX-512 state, which those
 * instructions' encoding touches (kernel_fpu_begin() then saves it).
 */
bool nn_cpu_has_avx512_vnni(void)
{
	return nn_cpu_has_avx2() && boot_cpu_has(X86_FEATURE_AVX512F) &&
	       boot_cpu_has(X86_FEATURE_AVX512VL) && boot_cpu_has(X86_FEATURE_AVX512_VNNI) &&
	       cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM | XFEATURE_MASK_AVX512,
				 NULL);
}

/*
 * Whether the boot CPU has AVX512BW (byte and word instructions on 512-bit registers:
 * the panel kernels' vpmovsxbw zmm), with nn_cpu_has_avx512_vnni()'s conditions.
 */
bool nn_cpu_has_avx512bw(void)
{
	return nn_cpu_has_avx512_vnni() && boot_cpu_has(X86_FEATURE_AVX512BW);
}

/*
 * Whether the kernel avoids 512-bit registers on this CPU: X86_FEATURE_PREFER_YMM, set
 * for the models that lower their clock while such instructions run (the AES-GCM and
 * XTS code of arch/x86/crypto/ then prefers its 256-bit versions too).
 */
bool nn_cpu_prefers_ymm(void)
{
	return boot_cpu_has(X86_FEATURE_PREFER_YMM);
}

/*
 * Takes the FPU if this context may use it (irq_fpu_usable(): process context, or an
 * interrupt that did not interrupt an FPU user) and returns true; false leaves the FPU
 * alone. Between a true return and nn_fpu_end() preemption and softirqs are off, so the
 * caller must not sleep.
 */
bool nn_fpu_begin(void)
{
	if (!irq_fpu_usable())
		return false;
	kernel_fpu_begin();
	return true;
}

void nn_fpu_end(void)
{
	kernel_fpu_end();
}
