// SPDX-License-Identifier: GPL-2.0

//! What a network counts: where it came from ([`Origin`]), its counters ([`Stats`],
//! `network_<id>/stats`), and the tally of one request ([`Tally`]) that is added to them
//! only when all of the request succeeded ([`Network::count`]).

use core::sync::atomic::{
    AtomicU64,
    Ordering, //
};

use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};

use super::affinity::count_cpu;
use super::cache::CacheStats;
use super::Network;
use crate::numa::topology;
use crate::pure::num::usize_as_u64;

/// Where a network came from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin {
    /// A model blob, by its CRC-32.
    Loaded {
        /// The blob's checksum.
        crc: u32,
    },
    /// A topology, initialised from a seed.
    Created {
        /// The seed of the initialisation.
        seed: u64,
    },
}

/// Counters shown in `network_<id>/stats`.
pub(crate) struct Stats {
    /// Input vectors predicted.
    pub(crate) predictions: Atomic<u64>,
    /// Calls to predict (one per batch).
    pub(crate) batches: Atomic<u64>,
    /// Training steps (one per sample and epoch).
    pub(crate) train_steps: Atomic<u64>,
    /// Mean loss of the last epoch trained, in units of 2^-30 (`pure::train::LOSS_FRAC`).
    pub(crate) last_loss: Atomic<u64>,
    /// Input numbers beyond the input format that `predict` saturated.
    pub(crate) inputs_clipped: Atomic<u64>,
    /// Whether a saturated input was logged (once per network).
    pub(crate) clip_logged: Atomic<bool>,
    /// Input vectors predicted on a CPU of the node that holds all the weights they read.
    pub(crate) local: Atomic<u64>,
    /// Input vectors predicted on a CPU of another node than (some of) the weights they
    /// read: cross-node.
    pub(crate) cross_node: Atomic<u64>,
    /// Re-placements done (`config`: `policy`, `node`, `nodes`, `migrate`; `evacuate`).
    pub(crate) migrations: Atomic<u64>,
    /// Bytes the re-placements done copied to their new memory.
    pub(crate) migrated_bytes: Atomic<u64>,
    /// Re-placements that failed (the old placement kept serving).
    pub(crate) migration_failures: Atomic<u64>,
    /// Model replacements done (`network_<id>/replace`, `neural_network_replace()`).
    pub(crate) replacements: Atomic<u64>,
    /// Nanoseconds the predictions took (each call, or batch chunk, from its start to its
    /// end, cache lookups included).
    pub(crate) infer_ns: AtomicU64,
    /// The longest call (or chunk) of them, in nanoseconds.
    pub(crate) infer_ns_max: AtomicU64,
    /// Layer runs (one layer, one input) by the vector kernel and by the scalar path.
    pub(crate) simd_layers: AtomicU64,
    pub(crate) scalar_layers: AtomicU64,
    /// Predictions from atomic context (`neural_network_predict_atomic()`).
    pub(crate) atomic: AtomicU64,
    /// Atomic predictions refused with `EAGAIN` (training held the weights, or NMI).
    pub(crate) atomic_again: AtomicU64,
    /// The prediction cache.
    pub(crate) cache: CacheStats,
}

impl Stats {
    /// Every counter at zero.
    pub(super) fn new() -> Self {
        Self {
            predictions: Atomic::new(0),
            batches: Atomic::new(0),
            train_steps: Atomic::new(0),
            last_loss: Atomic::new(0),
            inputs_clipped: Atomic::new(0),
            clip_logged: Atomic::new(false),
            local: Atomic::new(0),
            cross_node: Atomic::new(0),
            migrations: Atomic::new(0),
            migrated_bytes: Atomic::new(0),
            migration_failures: Atomic::new(0),
            replacements: Atomic::new(0),
            infer_ns: Default::default(),
            infer_ns_max: Default::default(),
            simd_layers: Default::default(),
            scalar_layers: Default::default(),
            atomic: Default::default(),
            atomic_again: Default::default(),
            cache: CacheStats::default(),
        }
    }
}

/// Where the rows of one request ran, counted into [`Stats`] only when all of it
/// succeeded ([`Network::count`]): a request that fails or is interrupted changes no
/// counter. Up to [`Tally::SLOTS`] (node, copy) pairs and as many CPUs are told apart; a
/// task that moves among more during one request has the rest counted under its last
/// pair, or CPU. A chunk of a batch has its own (on one CPU).
#[derive(Default)]
pub(crate) struct Tally {
    local: u64,
    cross: u64,
    slots: [(Option<topology::NodeId>, usize, u64, bool); Tally::SLOTS],
    used: usize,
    /// (CPU, rows, chunks).
    cpus: [(u32, u64, u64); Tally::SLOTS],
    cpus_used: usize,
    /// Whether each call counts as a batch chunk (`cpu_affinity`).
    chunks: bool,
    /// Whether the calls are pieces of a request of several rows, which never uses the
    /// cache (a piece of one row included).
    pub(super) many: bool,
    /// Nanoseconds of the calls, and of the longest.
    ns: u64,
    ns_max: u64,
    /// Layer runs on the vector kernel, and on the scalar one.
    simd: u64,
    scalar: u64,
}

/// Layer runs of one [`Network::run`], on the vector kernel and on the scalar one.
pub(super) struct LayerRuns {
    pub(super) simd: u64,
    pub(super) scalar: u64,
}

impl Tally {
    const SLOTS: usize = 4;

    /// The tally of a request of `rows` rows, run in chunks (each call one chunk, for
    /// `cpu_affinity`) or not.
    pub(crate) fn for_request(rows: usize, chunks: bool) -> Self {
        Self {
            chunks,
            many: rows > 1,
            ..Self::default()
        }
    }

    pub(super) fn add_runs(&mut self, runs: LayerRuns) {
        self.simd += runs.simd;
        self.scalar += runs.scalar;
    }

    pub(super) fn add_time(&mut self, ns: u64) {
        self.ns = self.ns.saturating_add(ns);
        self.ns_max = self.ns_max.max(ns);
    }

    pub(super) fn add_cpu(&mut self, cpu: u32, rows: u64) {
        let used = &self.cpus[..self.cpus_used];
        let k = match used.iter().position(|e| e.0 == cpu) {
            Some(k) => k,
            None if self.cpus_used < Self::SLOTS => {
                self.cpus_used += 1;
                self.cpus[self.cpus_used - 1] = (cpu, 0, 0);
                self.cpus_used - 1
            }
            None => self.cpus_used - 1,
        };
        self.cpus[k].1 += rows;
        self.cpus[k].2 += u64::from(self.chunks);
    }

    pub(super) fn add(
        &mut self,
        node: Option<topology::NodeId>,
        copy: usize,
        rows: u64,
        local: bool,
    ) {
        if local {
            self.local += rows;
        } else {
            self.cross += rows;
        }
        let used = &self.slots[..self.used];
        let k = match used
            .iter()
            .position(|e| e.0 == node && e.1 == copy && e.3 == local)
        {
            Some(k) => k,
            None if self.used < Self::SLOTS => {
                self.used += 1;
                self.slots[self.used - 1] = (node, copy, 0, local);
                self.used - 1
            }
            None => self.used - 1,
        };
        self.slots[k].2 += rows;
    }
}

impl Network {
    /// Counts `n` input vectors predicted in `batches` calls, which ran as `tallies` say
    /// (local or cross-node, from which copy, on which CPU).
    pub(crate) fn count<'a>(
        &self,
        n: usize,
        batches: u64,
        tallies: impl IntoIterator<Item = &'a Tally>,
    ) {
        self.stats.predictions.fetch_add(usize_as_u64(n), Relaxed);
        self.stats.batches.fetch_add(batches, Relaxed);
        let placed = self.placed.read();
        for tally in tallies {
            self.stats.infer_ns.fetch_add(tally.ns, Ordering::Relaxed);
            self.stats
                .simd_layers
                .fetch_add(tally.simd, Ordering::Relaxed);
            self.stats
                .scalar_layers
                .fetch_add(tally.scalar, Ordering::Relaxed);
            self.stats
                .infer_ns_max
                .fetch_max(tally.ns_max, Ordering::Relaxed);
            self.stats.local.fetch_add(tally.local, Relaxed);
            self.stats.cross_node.fetch_add(tally.cross, Relaxed);
            for &(node, copy, rows, local) in &tally.slots[..tally.used] {
                placed.count_copy_reads(copy, rows);
                if let (false, Some(node)) = (local, node) {
                    self.pools.numa.count_cross_node(node, rows);
                }
            }
            for &(cpu, rows, chunks) in &tally.cpus[..tally.cpus_used] {
                count_cpu(&self.per_cpu, cpu, rows, chunks);
            }
        }
    }
}
