// SPDX-License-Identifier: GPL-2.0

//! A value published under SRCU: readers never wait, a replacement waits for them.
//!
//! A network's placed memory (its layers) is read by every prediction and replaced, whole,
//! by a re-placement while predictions go on. [`Published`] keeps the current value behind
//! one pointer: a reader enters an SRCU read-side section and dereferences the pointer
//! ([`Published::read`]); a writer stores a new pointer, waits one SRCU grace period
//! (`synchronize_srcu()`: every reader that could have seen the old one has left) and only
//! then frees the old value ([`Published::replace`]). So a reader sees the old value or
//! the new one, whole, and never waits for the writer.
//!
//! SRCU, not plain RCU, because a reader of a network may sleep (its weights' rwsem, its
//! CPU's scratch mutex, a fatal-signal check between chunks); `srcu_read_lock()` itself
//! never sleeps and may be taken in any context but NMI, so a prediction from atomic
//! context can read the same pointer.
//!
//! Writers serialise among themselves (the network's update mutex): two replacements at
//! once would each free what the other published.
//!
//! Lock order: a read-side section is level 3 in the crate root's list
//! (`neural_network_main.rs`).

use core::marker::PhantomPinned;
use core::ops::Deref;

use kernel::new_srcu;
use kernel::prelude::*;
use kernel::sync::atomic::{
    Acquire,
    Atomic,
    Full, //
};
use kernel::sync::{
    srcu,
    Srcu, //
};

/// The current `T`, readable under SRCU and replaceable whole.
///
/// # Invariants
///
/// `ptr` always comes from `KBox::into_raw` of a pinned box that nothing else owns; the
/// value it points to is freed only after a grace period of `srcu` has passed since it
/// stopped being `ptr` (or when `self` is dropped, when no reader can exist).
#[pin_data(PinnedDrop)]
pub(crate) struct Published<T> {
    #[pin]
    srcu: Srcu,
    ptr: Atomic<*mut T>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: readers on any thread get `&T` (so `T: Sync`); a writer on any thread frees the
// old `T` (so `T: Send`).
unsafe impl<T: Send + Sync> Send for Published<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Published<T> {}

/// A reader's view of the current value: the SRCU read-side section lasts as long as it.
pub(crate) struct ReadGuard<'a, T> {
    value: &'a T,
    _srcu: srcu::Guard<'a>,
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
    }
}

impl<T> Published<T> {
    /// Publishes `value` as the first value.
    ///
    /// If the SRCU structure cannot be made, `value` is dropped with the initialiser.
    pub(crate) fn new(value: Pin<KBox<T>>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            srcu <- new_srcu!("neural_network:published"),
            // SAFETY: the box is never moved out of: its value stays where it is until
            // `replace` or `drop` rebuilds the pinned box.
            ptr: Atomic::new(KBox::into_raw(unsafe { Pin::into_inner_unchecked(value) })),
            _pin: PhantomPinned,
        }? Error)
    }

    /// The current value, for as long as the guard lives. Never sleeps, never waits for a
    /// writer.
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        let guard = self.srcu.read_lock();
        let ptr = self.ptr.load(Acquire);
        // SAFETY: `ptr` is valid (type invariant), and it is not freed before a grace
        // period that starts after this read-side section began has passed.
        let value = unsafe { &*ptr };
        ReadGuard {
            value,
            _srcu: guard,
        }
    }

    /// Publishes `new`, waits until no reader can still see the value it replaces, and
    /// returns that value. The caller serialises replacements and holds no [`ReadGuard`]
    /// of `self` (the wait would never end).
    pub(crate) fn replace(&self, new: Pin<KBox<T>>) -> Pin<KBox<T>> {
        // SAFETY: as in `new`.
        let new = KBox::into_raw(unsafe { Pin::into_inner_unchecked(new) });
        let old = self.ptr.xchg(new, Full);
        self.srcu.synchronize();
        // SAFETY: `old` came from `KBox::into_raw` (type invariant); it is no longer
        // published and the grace period has passed, so this is its only owner. It was
        // pinned and has not moved.
        unsafe { Pin::new_unchecked(KBox::from_raw(old)) }
    }
}

#[pinned_drop]
impl<T> PinnedDrop for Published<T> {
    fn drop(self: Pin<&mut Self>) {
        let ptr = self.ptr.load(Acquire);
        // SAFETY: `self` is being dropped, so no reader holds a guard of it (a guard
        // borrows it); `ptr` came from `KBox::into_raw` and is freed only here.
        drop(unsafe { KBox::from_raw(ptr) });
    }
}
