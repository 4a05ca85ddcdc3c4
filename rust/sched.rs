// SPDX-License-Identifier: GPL-2.0

//! Long loops in process context: letting others run, and stopping for a fatal signal.
//!
//! A `predict` or `train` write may run for a long time (millions of rows, or 100000
//! epochs). Such loops call [`Budget::tick`] once per row or sample with that row's cost
//! (multiply-accumulates); every [`WORK_PER_CHECK`] of them it calls `cond_resched()` and
//! fails with `EINTR` if the task has a fatal signal pending (`SIGKILL`, or a signal that
//! kills it), so a killed writer goes away promptly and no soft lockup is reported. The
//! kernel crate of 7.3 offers `Task::signal_pending` but neither `fatal_signal_pending`
//! nor `cond_resched`, which are an inline and a macro in C: `sched_helper.c` wraps them.
//!
//! [`on_cpus`]: work run on chosen CPUs while the caller waits (a batch's chunks on the
//! CPUs of its network's mask).

mod on_cpus;

pub(crate) use on_cpus::{
    run_on_cpus,
    Workers, //
};

use kernel::prelude::*;

extern "C" {
    fn nn_cond_resched();
    fn nn_fatal_signal_pending() -> bool;
}

/// Lets the scheduler run something else if needed.
pub(crate) fn cond_resched() {
    // SAFETY: called only from process context, with no spinlock held.
    unsafe { nn_cond_resched() }
}

/// The work (multiply-accumulates) between two checks: a few milliseconds of a CPU,
/// well under a second under emulation.
pub(crate) const WORK_PER_CHECK: u64 = 1 << 20;

/// Whether the current task has a fatal signal pending.
pub(crate) fn fatal_signal_pending() -> bool {
    // SAFETY: reads flags of `current`, which is always valid in process context.
    unsafe { nn_fatal_signal_pending() }
}

/// Work done since the last check.
pub(crate) struct Budget(u64);

impl Budget {
    /// A budget with a check due at the first tick.
    pub(crate) fn new() -> Self {
        Self(WORK_PER_CHECK)
    }

    /// Counts `work` and, when [`WORK_PER_CHECK`] has been done since the last check,
    /// yields the CPU if needed and checks for a fatal signal.
    ///
    /// # Errors
    ///
    /// `EINTR` if the task has a fatal signal pending.
    pub(crate) fn tick(&mut self, work: u64) -> Result {
        self.0 = self.0.saturating_add(work.max(1));
        if self.0 < WORK_PER_CHECK {
            return Ok(());
        }
        self.0 = 0;
        cond_resched();
        if fatal_signal_pending() {
            return Err(EINTR);
        }
        Ok(())
    }
}
