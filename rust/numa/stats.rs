// SPDX-License-Identifier: GPL-2.0

//! `numa_stats`: what the networks hold on each node and how their allocations went,
//! from the measured pages ([`PageMap`]), never from what was asked.
//!
//! Two kinds of counter:
//!
//! - **held**: the bytes and pages the live networks hold on each node. A network adds
//!   its buffers when its memory is complete ([`Held::publish`]) and takes them back when it
//!   is freed (dropping the [`Held`]), so a creation that fails half-way leaves them as
//!   they were;
//! - **cumulative**: allocations (buffers) whose every page landed where intended
//!   (`local`) or not (`remote`), and pages per node in the kernel's `numastat` terms
//!   (`hit`, `miss`, `foreign`: see [`super::pagemap`]). They count a network once, when
//!   it is registered ([`NumaStats::count_buffer`]): a creation that fails changes none.
//!
//! Every counter is an atomic; none is under a lock.

#[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
use core::fmt;

use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::sync::Arc;

use super::pagemap::PageMap;
use super::topology::{
    self,
    NodeId, //
};
use crate::pure::num::u32_as_usize;

/// One node's counters.
struct NodeCounters {
    bytes: Atomic<u64>,
    pages: Atomic<u64>,
    hit: Atomic<u64>,
    miss: Atomic<u64>,
    foreign: Atomic<u64>,
    fallbacks: Atomic<u64>,
    /// Input vectors predicted on a CPU of this node from weights not all on it.
    cross_node: Atomic<u64>,
}

/// The module's NUMA counters, one set per possible node id.
pub(crate) struct NumaStats {
    nodes: KVec<NodeCounters>,
    local: Atomic<u64>,
    remote: Atomic<u64>,
    fallbacks: Atomic<u64>,
    migrations: Atomic<u64>,
    migrated_bytes: Atomic<u64>,
    migration_failures: Atomic<u64>,
    evacuations: Atomic<u64>,
}

impl NumaStats {
    /// Counters at zero for every node id below `MAX_NUMNODES`.
    pub(crate) fn new() -> Result<Arc<Self>> {
        let n = u32_as_usize(topology::max_numnodes());
        let mut nodes = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            nodes.push(
                NodeCounters {
                    bytes: Atomic::new(0),
                    pages: Atomic::new(0),
                    hit: Atomic::new(0),
                    miss: Atomic::new(0),
                    foreign: Atomic::new(0),
                    fallbacks: Atomic::new(0),
                    cross_node: Atomic::new(0),
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Arc::new(
            Self {
                nodes,
                local: Atomic::new(0),
                remote: Atomic::new(0),
                fallbacks: Atomic::new(0),
                migrations: Atomic::new(0),
                migrated_bytes: Atomic::new(0),
                migration_failures: Atomic::new(0),
                evacuations: Atomic::new(0),
            },
            GFP_KERNEL,
        )?)
    }

    fn node(&self, node: NodeId) -> Option<&NodeCounters> {
        self.nodes.get(u32_as_usize(node.id()))
    }

    /// The bytes and pages the networks hold, over all nodes.
    #[cfg_attr(
        not(any(CONFIG_NEURAL_NETWORK_NUMA, CONFIG_NEURAL_NETWORK_KUNIT_TEST)),
        expect(dead_code)
    )]
    pub(crate) fn held(&self) -> (u64, u64) {
        self.nodes.iter().fold((0, 0), |(b, p), c| {
            (b + c.bytes.load(Relaxed), p + c.pages.load(Relaxed))
        })
    }

    /// Counts `rows` input vectors predicted on a CPU of `node` from weights that are not
    /// all on it.
    pub(crate) fn count_cross_node(&self, node: NodeId, rows: u64) {
        if let Some(c) = self.node(node) {
            c.cross_node.fetch_add(rows, Relaxed);
        }
    }

    /// Counts a re-placement done, of `bytes` new bytes.
    pub(crate) fn count_migration(&self, bytes: u64) {
        self.migrations.fetch_add(1, Relaxed);
        self.migrated_bytes.fetch_add(bytes, Relaxed);
    }

    /// Counts a re-placement that failed.
    pub(crate) fn count_migration_failure(&self) {
        self.migration_failures.fetch_add(1, Relaxed);
    }

    /// Counts an evacuation of a node (one write to `evacuate`).
    pub(crate) fn count_evacuation(&self) {
        self.evacuations.fetch_add(1, Relaxed);
    }

    /// Counts one allocation of a network just registered: where its pages landed, and
    /// whether it fell back from the node it was intended for (`preferred`, or a page of
    /// an interleaved array).
    pub(crate) fn count_buffer(&self, map: &PageMap, fell_back: bool) {
        if map.pages() == 0 {
            return;
        }
        if fell_back {
            self.fallbacks.fetch_add(1, Relaxed);
            for e in map.nodes().iter().filter(|e| e.intended > 0) {
                if let Some(c) = self.node(e.node) {
                    c.fallbacks.fetch_add(1, Relaxed);
                }
            }
        }
        if map.all_hit() {
            self.local.fetch_add(1, Relaxed);
        } else {
            self.remote.fetch_add(1, Relaxed);
        }
        for e in map.nodes() {
            if let Some(c) = self.node(e.node) {
                c.hit.fetch_add(u64::from(e.hit), Relaxed);
                c.miss.fetch_add(u64::from(e.miss()), Relaxed);
                c.foreign.fetch_add(u64::from(e.foreign()), Relaxed);
            }
        }
    }
}

/// Splits `bytes` of an array whose pages landed as `map` says over the nodes of its
/// pages, in proportion to its pages there (the last node takes the rounding remainder):
/// `f(node, bytes, pages)` for each node with pages, in `map`'s order. What `numa_stats`
/// and `neural_get_numa_stats()` count by node.
///
/// # Errors
///
/// What `f` returns (the split stops there).
pub(crate) fn split_by_node(
    bytes: usize,
    map: &PageMap,
    mut f: impl FnMut(NodeId, u64, u64) -> Result,
) -> Result {
    let total = u64::from(map.pages()).max(1);
    let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
    let mut left = bytes;
    let mut nodes = map.nodes().iter().filter(|e| e.pages > 0).peekable();
    while let Some(e) = nodes.next() {
        let pages = u64::from(e.pages);
        let share = match nodes.peek() {
            None => left,
            Some(_) => (bytes.saturating_mul(pages) / total).min(left),
        };
        left -= share;
        f(e.node, share, pages)?;
    }
    Ok(())
}

/// One node's share of what a network holds.
#[derive(Clone, Copy)]
struct Share {
    node: NodeId,
    bytes: u64,
    pages: u64,
}

/// What one network holds on each node: summed buffer by buffer ([`Held::add`]), then
/// added to the [`NumaStats`] ([`Held::publish`]) until this is dropped.
pub(crate) struct Held {
    stats: Arc<NumaStats>,
    shares: KVec<Share>,
    published: bool,
}

impl Held {
    /// Nothing held yet.
    pub(crate) fn new(stats: &Arc<NumaStats>) -> Self {
        Self {
            stats: stats.clone(),
            shares: KVec::new(),
            published: false,
        }
    }

    /// Adds a buffer of `bytes` whose pages landed as `map` says: its bytes go to the
    /// nodes of its pages in proportion to its pages there.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the few bytes of the per-node summary cannot be had.
    pub(crate) fn add(&mut self, bytes: usize, map: &PageMap) -> Result {
        split_by_node(bytes, map, |node, b, pages| {
            match self.shares.iter_mut().find(|s| s.node == node) {
                Some(s) => {
                    s.bytes += b;
                    s.pages += pages;
                }
                None => self.shares.push(
                    Share {
                        node,
                        bytes: b,
                        pages,
                    },
                    GFP_KERNEL,
                )?,
            }
            Ok(())
        })
    }

    /// Adds what was summed to the held counters, until this is dropped.
    pub(crate) fn publish(&mut self) {
        if self.published {
            return;
        }
        self.published = true;
        for s in self.shares.iter() {
            if let Some(c) = self.stats.node(s.node) {
                c.bytes.fetch_add(s.bytes, Relaxed);
                c.pages.fetch_add(s.pages, Relaxed);
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if !self.published {
            return;
        }
        for s in self.shares.iter() {
            if let Some(c) = self.stats.node(s.node) {
                c.bytes.fetch_sub(s.bytes, Relaxed);
                c.pages.fetch_sub(s.pages, Relaxed);
            }
        }
    }
}

/// The `numa_stats` report of `stats`, with `networks` networks registered.
#[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
pub(crate) struct Report<'a> {
    /// The counters.
    pub(crate) stats: &'a NumaStats,
    /// How many networks are registered.
    pub(crate) networks: usize,
}

#[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.stats;
        let (bytes, pages) = s.held();
        writeln!(f, "networks: {}", self.networks)?;
        writeln!(f, "bytes: {bytes}")?;
        writeln!(f, "pages: {pages}")?;
        writeln!(f, "allocations_local: {}", s.local.load(Relaxed))?;
        writeln!(f, "allocations_remote: {}", s.remote.load(Relaxed))?;
        writeln!(f, "fallbacks: {}", s.fallbacks.load(Relaxed))?;
        writeln!(f, "migrations: {}", s.migrations.load(Relaxed))?;
        writeln!(f, "migrated_bytes: {}", s.migrated_bytes.load(Relaxed))?;
        writeln!(
            f,
            "migration_failures: {}",
            s.migration_failures.load(Relaxed)
        )?;
        writeln!(f, "evacuations: {}", s.evacuations.load(Relaxed))?;
        for node in topology::nodes(topology::NodeState::Online) {
            let Some(c) = s.node(node) else { continue };
            writeln!(
                f,
                "node {} bytes {} pages {} hit {} miss {} foreign {} fallbacks {} cross_node {}",
                node.id(),
                c.bytes.load(Relaxed),
                c.pages.load(Relaxed),
                c.hit.load(Relaxed),
                c.miss.load(Relaxed),
                c.foreign.load(Relaxed),
                c.fallbacks.load(Relaxed),
                c.cross_node.load(Relaxed)
            )?;
        }
        Ok(())
    }
}
