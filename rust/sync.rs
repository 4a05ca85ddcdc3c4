// SPDX-License-Identifier: GPL-2.0

//! The synchronisation wrappers the kernel crate does not have: small safe types over
//! the kernel's primitives, each with its `// SAFETY:` reasoning in one place.
//!
//! - [`rwsem`]: `struct rw_semaphore` guarding data (the lock of a network's weights).
//! - [`rawspin`]: `raw_spinlock_t` guarding data, taken with interrupts off (the lock of
//!   a network's prediction cache, usable from hardirq context), with
//!   `rawspin_helper.c`.
//! - [`published`]: a value published under SRCU (a network's layers: a re-placement
//!   never blocks a prediction).
//!
//! How these and the module's other locks nest: the crate root's "Lock order".

pub(crate) mod published;
pub(crate) mod rawspin;
pub(crate) mod rwsem;
