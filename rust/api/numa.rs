// SPDX-License-Identifier: GPL-2.0

//! The exports on the NUMA topology (node count, distance, memory, the best node for a
//! new network) and the NUMA reports (`neural_get_numa_info()`,
//! `neural_get_numa_stats()`), on Rust values: [`super::ffi`] checks the caller's node
//! ids and pointers, calls these and writes what they return.

use core::ffi::c_ulong;

use kernel::cpumask::Cpumask;
use kernel::prelude::*;
use kernel::sync::atomic::Relaxed;

use super::ffi::{
    self,
    ApiCounters, //
};
use crate::network::Network;
use crate::numa::stats::split_by_node;
use crate::numa::topology::{
    self,
    Live,
    NodeId,
    NodeState, //
};
use crate::pure::nodemask::NodeMask;
use crate::pure::nodes::{
    self,
    Topology, //
};

/// The online nodes.
pub(super) fn node_count() -> usize {
    topology::online_nodes().count()
}

/// The firmware's distance (10 is local) between two online nodes.
pub(super) fn distance(from: NodeId, to: NodeId) -> u32 {
    topology::node_distance(from, to)
}

/// Whether the online node `node` has memory.
pub(super) fn has_memory(node: NodeId) -> bool {
    topology::node_state(node, NodeState::Memory)
}

/// Free memory below which [`best_node`] passes a node over: a nearly full node is a
/// poor home even when it is near (on a 16-node guest of 96 MiB nodes, node 0 has under
/// 16 MiB free after boot).
const BEST_NODE_ROOM: u64 = 16 << 20;

/// The node of `mask` with the most free memory (ties: the lowest id).
fn freest(mask: NodeMask) -> Option<u32> {
    mask.iter().min_by_key(|&n| u64::MAX - Live.free_kib(n))
}

/// Where a network made now should go for the calling CPU: [`nodes::best_node`] for
/// [`BEST_NODE_ROOM`] from the CPU's node (the nearest node among those with memory and
/// that much free, the one with the most free memory among equally near ones); if no
/// node has that much free, the one with the most. A CPU without a node (never seen)
/// gets the freest node with room, else the freest.
pub(super) fn best_node() -> Option<NodeId> {
    let cpu = kernel::cpu::CpuId::current().as_u32();
    let here = topology::cpu_to_node(cpu);
    here.and_then(|h| nodes::best_node(&Live, h.id(), BEST_NODE_ROOM))
        .or_else(|| freest(nodes::nodes_with_room(&Live, BEST_NODE_ROOM)))
        .or_else(|| freest(nodes::memory_nodes(&Live)))
        .and_then(topology::node_of)
}

/// The node states into the C bitmaps `masks` (online, with memory, with CPUs), and each
/// online node's `MemTotal` and `MemFree` (KiB) into `total` and `free` by node id (a
/// node beyond them left out).
pub(super) fn info(masks: [&mut [c_ulong]; 3], total: &mut [u64], free: &mut [u64]) -> Result {
    let states = [NodeState::Online, NodeState::Memory, NodeState::Cpu];
    for (bits, state) in masks.into_iter().zip(states) {
        for node in topology::nodes(state) {
            ffi::set_bit(bits, usize::try_from(node.id()).map_err(|_| EINVAL)?);
        }
    }
    for node in topology::online_nodes() {
        let slot = usize::try_from(node.id()).map_err(|_| EINVAL)?;
        let (Some(m), Some(t), Some(f)) = (
            topology::node_memory(node),
            total.get_mut(slot),
            free.get_mut(slot),
        ) else {
            continue;
        };
        (*t, *f) = (m.total_kib, m.free_kib);
    }
    Ok(())
}

/// The bytes of `net`'s arrays added into `per_node` by node id (split over the nodes of
/// their pages as `numa_stats` does, [`split_by_node`]) and its CPU mask set in `cpus`;
/// then its counters ([`ApiCounters`]) and whether its mask was set (`true`) or is the
/// default.
pub(super) fn stats(
    net: &Network,
    per_node: &mut [u64],
    cpus: &mut Cpumask,
) -> Result<(ApiCounters, bool)> {
    let mut bytes = 0u64;
    net.for_each_buffer(|b| {
        bytes = bytes.saturating_add(u64::try_from(b.bytes).unwrap_or(u64::MAX));
        split_by_node(b.bytes, b.pages, |node, share, _| {
            let slot = usize::try_from(node.id()).map_err(|_| EINVAL)?;
            if let Some(slot) = per_node.get_mut(slot) {
                *slot = slot.saturating_add(share);
            }
            Ok(())
        })
    })?;
    let (mask, explicit) = net.cpu_mask()?;
    mask.copy_to(cpus);
    let s = &net.stats;
    let counters = [
        s.predictions.load(Relaxed),
        s.batches.load(Relaxed),
        s.local.load(Relaxed),
        s.cross_node.load(Relaxed),
        s.migrations.load(Relaxed),
        s.migrated_bytes.load(Relaxed),
        s.migration_failures.load(Relaxed),
        s.train_steps.load(Relaxed),
        bytes,
    ];
    Ok((counters, explicit))
}
