// SPDX-License-Identifier: GPL-2.0

//! A reader-writer semaphore guarding data: `struct rw_semaphore` for Rust.
//!
//! This kernel's Rust has `Mutex` and `SpinLock` but no reader-writer lock. A network needs
//! one: many CPUs predict at once (readers of the weights) while a training step (the
//! writer) must have the weights to itself. Like `Mutex`, it sleeps, so it is taken only
//! in process context.
//!
//! Lock order: as a network's parameter lock, level 4 in the crate root's list
//! (`neural_network_main.rs`).

use core::cell::UnsafeCell;
use core::marker::PhantomPinned;
use core::ops::{
    Deref,
    DerefMut, //
};

use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::LockClassKey;
use kernel::types::Opaque;

/// Data of type `T` behind an `rw_semaphore`.
///
/// # Invariants
///
/// `sem` was initialised by `__init_rwsem`; `data` is only reached through a guard, shared
/// under `down_read` and exclusive under `down_write`.
#[pin_data]
pub(crate) struct RwSem<T> {
    #[pin]
    sem: Opaque<bindings::rw_semaphore>,
    data: UnsafeCell<T>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: the semaphore hands out `&T` to many threads and `&mut T` to one, as `RwLock`.
unsafe impl<T: Send> Send for RwSem<T> {}
// SAFETY: as above: `&T` across threads needs `T: Sync`, `&mut T` needs `T: Send`.
unsafe impl<T: Send + Sync> Sync for RwSem<T> {}

impl<T> RwSem<T> {
    /// A semaphore around `data`, with a lockdep class and name.
    pub(crate) fn new(
        data: T,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            data: UnsafeCell::new(data),
            // SAFETY: `slot` is valid while the closure runs; `name` and `key` are static.
            sem <- Opaque::ffi_init(|slot| unsafe {
                bindings::__init_rwsem(slot, name.as_char_ptr(), key.as_ptr())
            }),
            _pin: PhantomPinned,
        })
    }

    /// Takes the semaphore shared (sleeps).
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        // SAFETY: `sem` is initialised (type invariant); released by the guard's drop.
        unsafe { bindings::down_read(self.sem.get()) };
        ReadGuard { lock: self }
    }

    /// The data without the semaphore, for a reader that may not sleep.
    ///
    /// # Safety
    ///
    /// No `&mut T` may exist while the reference lives: the caller has excluded every
    /// writer by other means (a network's atomic readers' gate, `network/atomic.rs`,
    /// which every writer closes after `write` and before it changes anything).
    pub(crate) unsafe fn get_unguarded(&self) -> &T {
        // SAFETY: by the function's contract no writer exists meanwhile.
        unsafe { &*self.data.get() }
    }

    /// Takes the semaphore exclusive (sleeps).
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        // SAFETY: `sem` is initialised (type invariant); released by the guard's drop.
        unsafe { bindings::down_write(self.sem.get()) };
        WriteGuard { lock: self }
    }
}

/// Shared access; `up_read` on drop.
pub(crate) struct ReadGuard<'a, T> {
    lock: &'a RwSem<T>,
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the semaphore is held shared: no writer exists while this guard lives.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: taken shared by `read`, released once here.
        unsafe { bindings::up_read(self.lock.sem.get()) };
    }
}

/// Exclusive access; `up_write` on drop.
pub(crate) struct WriteGuard<'a, T> {
    lock: &'a RwSem<T>,
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the semaphore is held exclusive.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the semaphore is held exclusive and `&mut self` is unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: taken exclusive by `write`, released once here.
        unsafe { bindings::up_write(self.lock.sem.get()) };
    }
}
