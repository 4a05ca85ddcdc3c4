// SPDX-License-Identifier: GPL-2.0

//! Work run on chosen CPUs, and the caller waiting for it: how a batch's chunks run on
//! the CPUs of a network's mask (`on_cpus_helper.c`, the module's per-CPU workqueue
//! `neural_network`).

use core::ffi::{
    c_int,
    c_uint,
    c_void, //
};

use kernel::error::to_result;
use kernel::prelude::*;

extern "C" {
    fn nn_on_cpus_init() -> c_int;
    fn nn_on_cpus_exit();
    fn nn_run_on_cpus(
        n: c_uint,
        cpus: *const c_uint,
        f: unsafe extern "C" fn(*mut c_void),
        args: *const *mut c_void,
    ) -> c_int;
}

/// The module's workqueue, from load to unload: [`run_on_cpus`] works while it exists.
/// The module owns one, created before and dropped after everything that calls
/// [`run_on_cpus`].
pub(crate) struct Workers(());

impl Workers {
    /// Allocates the workqueue.
    ///
    /// # Errors
    ///
    /// `ENOMEM`.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: called once, at module load, before any call of `nn_run_on_cpus`.
        to_result(unsafe { nn_on_cpus_init() })?;
        Ok(Self(()))
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        // SAFETY: the module drops its `Workers` after the files and networks whose
        // callers use `nn_run_on_cpus`, and has no other.
        unsafe { nn_on_cpus_exit() }
    }
}

/// One call of `f` on one job, as `nn_run_on_cpus` passes it.
struct Call<J, F> {
    f: *const F,
    job: *mut J,
}

/// Calls `(*call.f)(&mut *call.job)`.
///
/// # Safety
///
/// `arg` points to a `Call<J, F>` whose pointers are valid for the call, and no other
/// call has the same job.
unsafe extern "C" fn trampoline<J, F: Fn(&mut J)>(arg: *mut c_void) {
    // SAFETY: by the function's requirements.
    let call = unsafe { &*arg.cast::<Call<J, F>>() };
    // SAFETY: by the function's requirements: `f` is shared, the job is this call's alone.
    unsafe { (*call.f)(&mut *call.job) }
}

/// Runs `f(job)` for each `(cpu, job)` of `jobs` on that CPU, in a worker of the module's
/// workqueue, all at once, and returns when all have returned. Sleeps: call it with no
/// lock held that `f` takes. CPU hotplug is held off while the jobs run; a CPU of `jobs`
/// that went offline before the call has its job run on the first CPU of `jobs` that is
/// online, or, if none is, by the caller itself (`f` sees where it runs from
/// `CpuId::current()`): never on a CPU that `jobs` does not name but the caller's.
///
/// # Errors
///
/// `ENOMEM` or `ENODEV` (no [`Workers`]): then no job ran.
pub(crate) fn run_on_cpus<J: Send, F: Fn(&mut J) + Sync>(jobs: &mut [(u32, J)], f: &F) -> Result {
    let n = jobs.len();
    if n == 0 {
        return Ok(());
    }
    let mut cpus = KVec::with_capacity(n, GFP_KERNEL)?;
    let mut calls = KVec::with_capacity(n, GFP_KERNEL)?;
    for (cpu, job) in jobs.iter_mut() {
        cpus.push(*cpu, GFP_KERNEL)?;
        calls.push(
            Call {
                f: core::ptr::from_ref(f),
                job: core::ptr::from_mut(job),
            },
            GFP_KERNEL,
        )?;
    }
    let mut args = KVec::with_capacity(n, GFP_KERNEL)?;
    for call in calls.iter_mut() {
        args.push(core::ptr::from_mut(call).cast::<c_void>(), GFP_KERNEL)?;
    }
    let n = c_uint::try_from(n).map_err(|_| EINVAL)?;
    // SAFETY: `cpus` and `args` hold `n` entries; each argument is a `Call` of its own
    // job, valid until `nn_run_on_cpus` returns, which is after every call returned. `J:
    // Send` and `F: Sync` let the jobs run on other CPUs, each job in one call only.
    to_result(unsafe { nn_run_on_cpus(n, cpus.as_ptr(), trampoline::<J, F>, args.as_ptr()) })
}
