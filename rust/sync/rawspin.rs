// SPDX-License-Identifier: GPL-2.0

//! A raw spinlock guarding data, taken with interrupts off: `raw_spinlock_t` for Rust.
//!
//! The kernel crate's `SpinLockIrq` is a `spinlock_t`, which PREEMPT_RT turns into a
//! sleeping lock: lockdep (`CONFIG_PROVE_RAW_LOCK_NESTING`) refuses it in hardirq
//! context ("Invalid wait context"). The prediction cache is used from hardirq handlers
//! (`neural_network_predict_atomic()`), so its lock is a raw one, held only for a
//! bounded pass over a small table, with nothing taken or freed under it.
//!
//! Lock order: as a network's cache lock, level 6, the innermost, in the crate root's
//! list (`neural_network_main.rs`).

use core::cell::UnsafeCell;
use core::marker::PhantomPinned;
use core::ops::{
    Deref,
    DerefMut, //
};

use kernel::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

extern "C" {
    fn nn_raw_spin_lock_init(lock: *mut bindings::raw_spinlock_t);
    fn nn_raw_spin_lock_irqsave(lock: *mut bindings::raw_spinlock_t) -> usize;
    fn nn_raw_spin_unlock_irqrestore(lock: *mut bindings::raw_spinlock_t, flags: usize);
}

/// Data of type `T` behind a `raw_spinlock_t`, locked with interrupts off.
///
/// # Invariants
///
/// `lock` was initialised by `raw_spin_lock_init`; `data` is only reached through a
/// guard, under the lock.
#[pin_data]
pub(crate) struct RawSpinLockIrq<T> {
    #[pin]
    lock: Opaque<bindings::raw_spinlock_t>,
    data: UnsafeCell<T>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: the lock hands out `&mut T` to one thread at a time, as `SpinLock` does.
unsafe impl<T: Send> Send for RawSpinLockIrq<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for RawSpinLockIrq<T> {}

impl<T> RawSpinLockIrq<T> {
    /// A lock around `data`.
    pub(crate) fn new(data: T) -> impl PinInit<Self> {
        pin_init!(Self {
            data: UnsafeCell::new(data),
            // SAFETY: `slot` is valid while the closure runs.
            lock <- Opaque::ffi_init(|slot| unsafe { nn_raw_spin_lock_init(slot) }),
            _pin: PhantomPinned,
        })
    }

    /// Takes the lock with interrupts off (spins; any context but NMI).
    pub(crate) fn lock(&self) -> RawGuard<'_, T> {
        // SAFETY: `lock` is initialised (type invariant); released by the guard's drop,
        // with these flags.
        let flags = unsafe { nn_raw_spin_lock_irqsave(self.lock.get()) };
        RawGuard { lock: self, flags }
    }
}

/// The lock held; released, interrupts restored, on drop. Not `Send`: it ends where it
/// began.
pub(crate) struct RawGuard<'a, T> {
    lock: &'a RawSpinLockIrq<T>,
    flags: usize,
}

impl<T> Deref for RawGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the lock is held.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for RawGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the lock is held and `&mut self` is unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for RawGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: taken by `lock` with these flags, released once here.
        unsafe { nn_raw_spin_unlock_irqrestore(self.lock.lock.get(), self.flags) };
    }
}
