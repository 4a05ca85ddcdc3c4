// SPDX-License-Identifier: GPL-2.0

//! Predictions that never sleep (`neural_network_predict_atomic()`): what lets one input
//! run from a softirq, a hardirq or a section with preemption disabled.
//!
//! A process-context prediction sleeps in two places: the parameter lock (a rwsem that
//! a training call holds for writing) and its CPU's scratch mutex. An atomic prediction
//! takes neither:
//!
//! - The layers in force are read under the network's SRCU ([`crate::sync::published`]), as
//!   every prediction does: a re-placement publishes new layers and waits for the old
//!   ones' readers, never the other way round.
//! - Instead of the rwsem it enters the layers' [`AtomicReaders`]: a counter that a
//!   writer (a training call) closes after it holds the rwsem for writing and before it
//!   changes a weight, then waits until the atomic readers inside have left. A reader
//!   that finds it closed does not wait: it fails with `EAGAIN` (the network is being
//!   trained; its weights are not ready).
//! - Its scratch is one of its CPU's [`AtomicScratch`] buffers, one per context level
//!   (task with preemption off, softirq, hardirq): a softirq that interrupts an atomic
//!   prediction on the same CPU, or a hardirq that interrupts the softirq, has a buffer
//!   of its own, and preemption stays off meanwhile, so no other task gets the CPU. NMI
//!   is refused (`EAGAIN`): SRCU's plain read side is not NMI-safe.
//! - The FPU only where `irq_fpu_usable()` allows ([`crate::simd::Section`]), else the
//!   scalar path (the same bits).

use core::marker::PhantomData;
use core::sync::atomic::{
    AtomicU32,
    AtomicU8,
    Ordering, //
};

use kernel::prelude::*;

use super::buffers::{
    Buffer,
    Part, //
};
use crate::numa::mem::{
    Array,
    NodeVec, //
};
use crate::numa::placement;

/// Context levels with a scratch buffer of their own: task (preemption off), softirq,
/// hardirq (`interrupt_context_level()` 0, 1, 2; 3, NMI, has none).
pub(crate) const LEVELS: usize = 3;

extern "C" {
    fn nn_atomic_enter() -> core::ffi::c_int;
    fn nn_atomic_exit();
    fn nn_atomic_cpu() -> u32;
}

/// Preemption off on this CPU, with the context level it was entered at; on again when
/// it is dropped. Neither `Send` nor `Sync`: it ends where it began.
pub(crate) struct NoPreempt {
    level: usize,
    cpu: u32,
    _not_send: PhantomData<*mut ()>,
}

impl NoPreempt {
    /// Disables preemption; `EAGAIN` in NMI (where nothing here may run).
    pub(crate) fn enter() -> Result<Self> {
        // SAFETY: `nn_atomic_enter` disables preemption (any context) and returns the
        // context level; the `NoPreempt` made of it, or the `nn_atomic_exit` below, enables
        // it again exactly once, in this context.
        let level = unsafe { nn_atomic_enter() };
        match usize::try_from(level) {
            Ok(level) if level < LEVELS => Ok(Self {
                level,
                // SAFETY: preemption is off: the CPU cannot change until the drop.
                cpu: unsafe { nn_atomic_cpu() },
                _not_send: PhantomData,
            }),
            _ => {
                // SAFETY: undoes the `nn_atomic_enter` above.
                unsafe { nn_atomic_exit() };
                Err(EAGAIN)
            }
        }
    }

    /// The CPU this runs on (fixed while `self` lives).
    pub(crate) fn cpu(&self) -> u32 {
        self.cpu
    }
}

impl Drop for NoPreempt {
    fn drop(&mut self) {
        // SAFETY: `enter` disabled preemption in this context; enabled once, here.
        unsafe { nn_atomic_exit() }
    }
}

/// The atomic readers of a network's layers, and whether a writer has closed them out.
///
/// Bit 31 says closed; the bits below count the readers inside. One word, changed only by
/// read-modify-writes, so a reader either entered before the writer closed it (and the
/// writer waits for it to leave) or finds it closed.
pub(crate) struct AtomicReaders(AtomicU32);

const CLOSED: u32 = 1 << 31;

impl AtomicReaders {
    /// Open, no reader inside.
    pub(crate) const fn new() -> Self {
        Self(AtomicU32::new(0))
    }

    /// Enters as a reader, or `None` if a writer has closed it.
    pub(crate) fn enter(&self) -> Option<ReaderGuard<'_>> {
        // Acquire: what the last writer wrote before it reopened is seen.
        let before = self.0.fetch_add(1, Ordering::Acquire);
        if before & CLOSED != 0 {
            self.0.fetch_sub(1, Ordering::Release);
            return None;
        }
        Some(ReaderGuard(self))
    }

    /// Closes it to new readers and waits (sleeping) until those inside have left; open
    /// again when the guard is dropped. The caller is the only writer (it holds the
    /// parameter lock for writing).
    pub(crate) fn close(&self) -> ClosedGuard<'_> {
        self.0.fetch_or(CLOSED, Ordering::AcqRel);
        // The readers inside run one input each, with preemption off: microseconds.
        while self.0.load(Ordering::Acquire) & !CLOSED != 0 {
            kernel::time::delay::fsleep(kernel::time::Delta::from_micros(20));
        }
        ClosedGuard(self)
    }
}

/// An atomic reader inside; leaves when dropped.
pub(crate) struct ReaderGuard<'a>(&'a AtomicReaders);

impl Drop for ReaderGuard<'_> {
    fn drop(&mut self) {
        // Release: the reader's reads happen before a writer that sees it gone writes.
        self.0 .0.fetch_sub(1, Ordering::Release);
    }
}

/// Atomic readers closed out; open again when dropped.
pub(crate) struct ClosedGuard<'a>(&'a AtomicReaders);

impl Drop for ClosedGuard<'_> {
    fn drop(&mut self) {
        // Release: the writer's changes happen before a reader that enters next reads.
        self.0 .0.fetch_and(!CLOSED, Ordering::Release);
    }
}

/// One level's buffer: the array, and where its values are (taken once, while the array
/// was still borrowed mutably: after that only the pointer writes them).
struct Level {
    vec: NodeVec<i16>,
    ptr: *mut i16,
    len: usize,
}

/// One CPU's scratch for atomic predictions: a buffer per context level, each of one
/// prediction's scratch (`Shape::scratch_len_for(1)`), on the CPU's node.
pub(crate) struct AtomicScratch {
    levels: [Level; LEVELS],
    /// Bit `level` set while that level's buffer is in use.
    busy: AtomicU8,
}

// SAFETY: a level's values are reached only through `claim`, which hands out one `&mut`
// per level at a time (the busy bit); the arrays themselves are only read (their size and
// pages), never changed.
unsafe impl Sync for AtomicScratch {}
// SAFETY: the buffers are plain memory, owned, freed on any CPU.
unsafe impl Send for AtomicScratch {}

impl AtomicScratch {
    /// Buffers of `len` values for CPU `cpu`, on its node.
    ///
    /// # Errors
    ///
    /// `ENOMEM`.
    pub(crate) fn new(cpu: u32, len: usize) -> Result<Self> {
        let place = placement::cpu_where(cpu);
        let level = || -> Result<Level> {
            let mut vec = NodeVec::zeroed(len, place)?;
            let values: &mut [i16] = &mut vec;
            let (ptr, len) = (values.as_mut_ptr(), values.len());
            Ok(Level { vec, ptr, len })
        };
        Ok(Self {
            levels: [level()?, level()?, level()?],
            busy: AtomicU8::new(0),
        })
    }

    /// The buffer of `ctx`'s level, for as long as `ctx` lives; `None` if it is in use
    /// (cannot happen on the CPU `ctx` holds: a level does not nest in itself).
    pub(crate) fn claim<'a>(&'a self, ctx: &'a NoPreempt) -> Option<ScratchGuard<'a>> {
        let bit = 1u8 << ctx.level;
        let level = self.levels.get(ctx.level)?;
        if self.busy.fetch_or(bit, Ordering::Acquire) & bit != 0 {
            return None;
        }
        Some(ScratchGuard {
            owner: self,
            bit,
            // SAFETY: `ptr` points to `len` values the array owns, which live as long as
            // `self`; the busy bit of this level was clear and is now ours, so no other
            // reference to them exists until the guard clears it.
            buf: unsafe { core::slice::from_raw_parts_mut(level.ptr, level.len) },
        })
    }

    /// Calls `f` on each level's buffer, as CPU `cpu`'s (for `memory_map` and the NUMA
    /// counters: sizes and pages, never the values, which a prediction may be writing).
    pub(crate) fn each_buffer(&self, cpu: u32, mut f: impl FnMut(&Buffer<'_>) -> Result) -> Result {
        for l in &self.levels {
            f(&Buffer {
                part: Part::Cpu(cpu),
                kind: "atomic",
                bytes: l.len * size_of::<i16>(),
                pages: l.vec.pages(),
                fell_back: Array::fell_back(&l.vec),
                addr: l.ptr.addr(),
            })?;
        }
        Ok(())
    }
}

/// One level's atomic scratch, in use.
pub(crate) struct ScratchGuard<'a> {
    owner: &'a AtomicScratch,
    bit: u8,
    buf: &'a mut [i16],
}

impl ScratchGuard<'_> {
    /// The buffer.
    pub(crate) fn buf(&mut self) -> &mut [i16] {
        self.buf
    }
}

impl Drop for ScratchGuard<'_> {
    fn drop(&mut self) {
        self.owner.busy.fetch_and(!self.bit, Ordering::Release);
    }
}
