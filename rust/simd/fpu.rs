// SPDX-License-Identifier: GPL-2.0

//! The FPU in the kernel: [`Fpu`], a held `kernel_fpu_begin` section, and the CPU's
//! features. `fpu_helper.c` wraps the C inlines and macros (`irq_fpu_usable`,
//! `kernel_fpu_begin`, `boot_cpu_has`, `cpu_has_xfeatures`) that have no binding.
//!
//! While an [`Fpu`] lives, preemption and softirqs are off on this CPU: nothing may sleep
//! (no allocation that may block, no mutex taken), and the section must stay short, so a
//! long run gives the FPU back now and then with [`Fpu::relax`].

use core::marker::PhantomData;

mod ffi {
    extern "C" {
        pub(super) fn nn_cpu_has_avx2() -> bool;
        pub(super) fn nn_cpu_has_avx512_vnni() -> bool;
        pub(super) fn nn_cpu_has_avx512bw() -> bool;
        pub(super) fn nn_cpu_prefers_ymm() -> bool;
        pub(super) fn nn_fpu_begin() -> bool;
        pub(super) fn nn_fpu_end();
    }
}

/// Whether the boot CPU has AVX2 and the kernel saves and restores the YMM registers.
pub(crate) fn has_avx2() -> bool {
    // SAFETY: reads boot_cpu_data and the xfeatures mask, set up long before any module.
    unsafe { ffi::nn_cpu_has_avx2() }
}

/// Whether the boot CPU has AVX512_VNNI and AVX512VL (with AVX2) and the kernel saves
/// and restores the AVX-512 state.
pub(crate) fn has_avx512_vnni() -> bool {
    // SAFETY: as for `has_avx2`.
    unsafe { ffi::nn_cpu_has_avx512_vnni() }
}

/// Whether the boot CPU has AVX512BW too ([`has_avx512_vnni`]'s conditions and it: the
/// panel kernels on 512-bit registers).
pub(crate) fn has_avx512bw() -> bool {
    // SAFETY: as for `has_avx2`.
    unsafe { ffi::nn_cpu_has_avx512bw() }
}

/// Whether the kernel avoids 512-bit registers on this CPU (`X86_FEATURE_PREFER_YMM`:
/// the models whose clock drops while they run), as its own crypto code does.
pub(crate) fn prefers_ymm() -> bool {
    // SAFETY: as for `has_avx2`.
    unsafe { ffi::nn_cpu_prefers_ymm() }
}

/// The FPU, held by this CPU between `kernel_fpu_begin` and `kernel_fpu_end`.
///
/// Neither `Send` nor `Sync`: it must end on the CPU and in the context it began in.
pub(crate) struct Fpu {
    _not_send: PhantomData<*mut ()>,
}

impl Fpu {
    /// Takes the FPU, or `None` if this context may not use it (`irq_fpu_usable()`: an
    /// interrupt that came in while the FPU was in use, or NMI).
    pub(crate) fn begin() -> Option<Self> {
        // SAFETY: `nn_fpu_begin` checks `irq_fpu_usable()` before `kernel_fpu_begin()`;
        // on true, the `Fpu` returned ends the section exactly once, in `drop`.
        unsafe { ffi::nn_fpu_begin() }.then_some(Self {
            _not_send: PhantomData,
        })
    }

    /// Ends the section and begins a new one, which lets a pending preemption or
    /// softirq in between: `None` if the FPU could not be taken again (the context has
    /// not changed, so it can, but the caller falls back to scalar code if not).
    pub(crate) fn relax(self) -> Option<Self> {
        drop(self);
        Self::begin()
    }
}

impl Drop for Fpu {
    fn drop(&mut self) {
        // SAFETY: `self` holds the FPU (taken in `begin` or `relax`) on this CPU.
        unsafe { ffi::nn_fpu_end() }
    }
}
