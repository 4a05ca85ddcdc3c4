// SPDX-License-Identifier: GPL-2.0

//! The prediction cache (`neural_cache_timeout_ms`, `cache_timeout` in `config`): per
//! network, the outputs of recent single-input predictions, keyed by the exact input;
//! and the network's setting of it ([`Network::cache_timeout_ms`]).
//!
//! The table (`pure::cache`) is allocated where the network's first layer's weights were
//! asked to go (the same `Where`: exactly there under `bind` and `replicate`; under
//! `local`, `interleave` and `preferred` the page allocator may put a full node's share
//! elsewhere, so the table and the weights can then differ): `pure::cache::MAX_BYTES` at most, in `MAX_ENTRIES` entries at most (the table's
//! bookkeeping, 24 bytes an entry, besides), outside the memory limits of
//! `neural_max_network_mb` and `neural_max_total_mb`, which count a network's arrays as
//! made. It belongs to the layers in force (a [`super::placed::Placed`]): a re-placement
//! builds new layers with an empty cache on their new node, and training empties it
//! before it changes a weight. A hit returns the very values the miss that stored them
//! computed.
//!
//! The table is made in process context, when a prediction of one input that may sleep
//! finds the cache on and no table (`predict.rs` says when that is). An atomic prediction
//! never allocates: without a table it just runs. The table is behind a raw spinlock
//! taken with interrupts off (`sync/rawspin.rs`), so every context, hardirq too, may look up
//! and store; nothing else is taken under it, nothing is freed under it, and it is never
//! held while the network runs.
//!
//! Lock order: the cache's raw spinlock is level 6, the innermost, in the crate root's
//! list (`neural_network_main.rs`).

use core::sync::atomic::{
    AtomicBool,
    AtomicU64,
    Ordering::{Acquire, Relaxed, Release}, //
};

use kernel::prelude::*;

use super::Network;
use crate::numa::mem::{
    NodeVec,
    Where, //
};
use crate::numa::topology::NodeId;
use crate::pure::cache::{
    self as table,
    CacheTable,
    Stored, //
};
use crate::pure::num::{nonnegative, usize_as_u64};
use crate::sync::rawspin::RawSpinLockIrq;

/// The cache's counters of one network (they survive re-placements).
#[derive(Default)]
pub(crate) struct CacheStats {
    /// Lookups that found a live entry.
    pub(crate) hits: AtomicU64,
    /// Lookups that found none (the prediction ran).
    pub(crate) misses: AtomicU64,
    /// Live entries given up for a new one (the table full).
    pub(crate) evictions: AtomicU64,
    /// Entries emptied because the weights changed (training) or the cache was turned
    /// off.
    pub(crate) invalidated: AtomicU64,
}

/// A table's memory.
struct Table {
    data: NodeVec<i16>,
    meta: NodeVec<u64>,
    tick: u64,
    inputs: usize,
    outputs: usize,
}

impl Table {
    fn view(&mut self) -> CacheTable<'_> {
        CacheTable::new(
            self.inputs,
            self.outputs,
            &mut self.data,
            &mut self.meta,
            &mut self.tick,
        )
    }

    fn bytes(&self) -> usize {
        self.data.bytes() + self.meta.bytes()
    }
}

/// One placement's cache.
#[pin_data]
pub(crate) struct Cache {
    inputs: usize,
    outputs: usize,
    /// Where its memory goes: the first layer's weights' placement.
    place: Where,
    #[pin]
    table: RawSpinLockIrq<Option<Table>>,
    /// Set once a table is in `table`, cleared when [`Cache::free`] takes it: lets
    /// [`Cache::ensure`] skip the lock on every prediction. A stale `true` after a free
    /// only means one request finds no table (a miss, not stored).
    made: AtomicBool,
}

/// The time a cache (and a prediction's timing) counts in: nanoseconds since boot,
/// monotonic.
pub(crate) fn now_ns() -> u64 {
    // SAFETY: `ktime_get` may be called in any context but NMI, where nothing of the
    // module runs; it counts nanoseconds from boot, never negative.
    let t = unsafe { kernel::bindings::ktime_get() };
    nonnegative(t)
}

impl Cache {
    /// An empty cache (no table yet) of a network with vectors of `inputs` and
    /// `outputs` values, whose table goes where `place` says.
    pub(crate) fn new(inputs: usize, outputs: usize, place: Where) -> impl PinInit<Self> {
        pin_init!(Self {
            inputs,
            outputs,
            place,
            table <- RawSpinLockIrq::new(None),
            made: AtomicBool::new(false),
        })
    }

    /// Makes the table, if there is none (process context: it allocates and sleeps).
    ///
    /// # Errors
    ///
    /// `ENOMEM`: the cache stays off until a later try.
    pub(crate) fn ensure(&self) -> Result {
        if self.made.load(Acquire) {
            return Ok(());
        }
        let n = table::entries_for(self.inputs, self.outputs);
        let per = self.inputs + self.outputs;
        let t = Table {
            data: NodeVec::zeroed(n * per, self.place)?,
            meta: NodeVec::zeroed(n * table::META, self.place)?,
            tick: 0,
            inputs: self.inputs,
            outputs: self.outputs,
        };
        let mut slot = self.table.lock();
        if slot.is_none() {
            *slot = Some(t);
            self.made.store(true, Release);
            return Ok(());
        }
        drop(slot);
        // Another caller made one meanwhile: this one goes, outside the lock.
        drop(t);
        Ok(())
    }

    /// Frees the table (the cache turned off); returns the entries it held.
    pub(crate) fn free(&self) -> usize {
        let t = {
            let mut slot = self.table.lock();
            self.made.store(false, Release);
            slot.take()
        };
        // Freed outside the lock (freeing may sleep).
        t.map_or(0, |mut t| t.view().clear())
    }

    /// Copies the output cached for `input` to `output`, if a live entry under
    /// `timeout_ms` has it; counts a hit or a miss in `stats` (nothing without a table).
    pub(crate) fn lookup(
        &self,
        input: &[i16],
        output: &mut [i16],
        timeout_ms: u32,
        stats: &CacheStats,
    ) -> bool {
        let mut slot = self.table.lock();
        let Some(t) = slot.as_mut() else {
            return false;
        };
        let hit = t
            .view()
            .lookup(input, output, now_ns(), u64::from(timeout_ms) * 1_000_000);
        drop(slot);
        if hit {
            stats.hits.fetch_add(1, Relaxed);
        } else {
            stats.misses.fetch_add(1, Relaxed);
        }
        hit
    }

    /// Stores `output` as the answer for `input`; counts an eviction in `stats`.
    pub(crate) fn store(&self, input: &[i16], output: &[i16], timeout_ms: u32, stats: &CacheStats) {
        let mut slot = self.table.lock();
        let Some(t) = slot.as_mut() else {
            return;
        };
        let how = t
            .view()
            .store(input, output, now_ns(), u64::from(timeout_ms) * 1_000_000);
        drop(slot);
        if how == Some(Stored::Evicted) {
            stats.evictions.fetch_add(1, Relaxed);
        }
    }

    /// Empties the table (the weights are about to change); counts what it held.
    pub(crate) fn clear(&self, stats: &CacheStats) {
        let n = match self.table.lock().as_mut() {
            Some(t) => t.view().clear(),
            None => 0,
        };
        stats.invalidated.fetch_add(usize_as_u64(n), Relaxed);
    }

    /// What `stats` shows of the table: entries (the most it holds, and those in use),
    /// its bytes and its node (`None`: no table, or spread).
    pub(crate) fn usage(&self) -> Usage {
        let mut slot = self.table.lock();
        match slot.as_mut() {
            None => Usage::default(),
            Some(t) => {
                let node = t.data.node();
                let bytes = t.bytes();
                let v = t.view();
                Usage {
                    capacity: v.entries(),
                    used: v.used(),
                    bytes,
                    node,
                }
            }
        }
    }
}

/// What a cache holds ([`Cache::usage`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Usage {
    /// Entries the table has room for (0: no table).
    pub(crate) capacity: usize,
    /// Entries in use: stored and not emptied since (expired ones too, until reused;
    /// not the live ones, which change with the clock alone).
    pub(crate) used: usize,
    /// Bytes of the table.
    pub(crate) bytes: usize,
    /// The node of its memory.
    pub(crate) node: Option<NodeId>,
}

impl Network {
    /// The cache timeout in force (ms; 0: off): the one `config` set, else
    /// `neural_cache_timeout_ms`.
    pub(crate) fn cache_timeout_ms(&self) -> u32 {
        match self.cache_ms.load(Relaxed) {
            u32::MAX => crate::params::cache_timeout_ms(),
            ms => ms,
        }
    }

    /// Whether `config` set the timeout (else the module parameter's applies).
    pub(crate) fn cache_timeout_set(&self) -> bool {
        self.cache_ms.load(Relaxed) != u32::MAX
    }

    /// Sets the cache timeout (`None`: the module parameter's again); a timeout of 0
    /// frees the table (emptied entries counted as invalidated).
    pub(crate) fn set_cache_timeout(&self, ms: Option<u32>) {
        self.cache_ms.store(ms.unwrap_or(u32::MAX), Relaxed);
        if self.cache_timeout_ms() == 0 {
            let n = self.placed.read().cache.free();
            self.stats
                .cache
                .invalidated
                .fetch_add(usize_as_u64(n), Relaxed);
        }
    }

    /// What the cache of the layers in force holds.
    pub(crate) fn cache_usage(&self) -> Usage {
        self.placed.read().cache.usage()
    }
}
