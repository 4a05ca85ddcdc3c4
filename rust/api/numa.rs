// SPDX-License-Identifier: GPL-2.0

//! The exports on the NUMA topology (node count, distance, memory, the best node for a
//! new network) and the NUMA reports (`neural_get_numa_info()`,
//! `neural_get_numa_stats()`). Each takes its pointers through [`super::ffi`] first.

use core::ffi::{
    c_int,
    c_uint,
    c_ulong,
    c_void, //
};

use kernel::prelude::*;
use kernel::sync::atomic::Relaxed;

use super::ffi::{
    self,
    online,
    to_status, //
};
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

/// `neural_get_numa_node_count()`: the online nodes.
#[no_mangle]
pub(crate) extern "C" fn nn_api_node_count() -> c_int {
    c_int::try_from(topology::online_nodes().count()).unwrap_or(c_int::MAX)
}

/// `neural_get_numa_distance(from, to)`: the firmware's distance (10 is local) between
/// two online nodes; `-EINVAL` otherwise.
#[no_mangle]
pub(crate) extern "C" fn nn_api_distance(from: c_int, to: c_int) -> c_int {
    match (online(from), online(to)) {
        (Ok(a), Ok(b)) => c_int::try_from(topology::node_distance(a, b)).unwrap_or(c_int::MAX),
        _ => EINVAL.to_errno(),
    }
}

/// `neural_numa_node_has_memory(node)`: 1 if the online node `node` has memory, 0 if
/// not, `-EINVAL` if it is not online.
#[no_mangle]
pub(crate) extern "C" fn nn_api_has_memory(node: c_int) -> c_int {
    match online(node) {
        Ok(n) => c_int::from(topology::node_state(n, NodeState::Memory)),
        Err(e) => e.to_errno(),
    }
}

/// Free memory below which [`nn_api_best_node`] passes a node over: a nearly full node
/// is a poor home even when it is near (on a 16-node guest of 96 MiB nodes, node 0 has
/// under 16 MiB free after boot).
const BEST_NODE_ROOM: u64 = 16 << 20;

/// The node of `mask` with the most free memory (ties: the lowest id).
fn freest(mask: NodeMask) -> Option<u32> {
    mask.iter().min_by_key(|&n| u64::MAX - Live.free_kib(n))
}

/// `neural_find_best_numa_node()`: where a network made now should go for the calling
/// CPU: [`nodes::best_node`] for [`BEST_NODE_ROOM`] from the CPU's node (the nearest
/// node among those with memory and that much free, the one with the most free memory
/// among equally near ones); if no node has that much free, the one with the most. A
/// CPU without a node (never seen) gets the freest node with room, else the freest.
#[no_mangle]
pub(crate) extern "C" fn nn_api_best_node() -> c_int {
    let cpu = kernel::cpu::CpuId::current().as_u32();
    let here = topology::cpu_to_node(cpu);
    here.and_then(|h| nodes::best_node(&Live, h.id(), BEST_NODE_ROOM))
        .or_else(|| freest(nodes::nodes_with_room(&Live, BEST_NODE_ROOM)))
        .or_else(|| freest(nodes::memory_nodes(&Live)))
        .and_then(topology::node_of)
        .map_or(ENODEV.to_errno(), NodeId::as_raw)
}

/// `neural_get_numa_info(info)`: the node states into the `nodemask_t` bitmaps `online`,
/// `memory` and `cpus` (`nr_nodes` bits each, zeroed by the caller), and each online
/// node's `MemTotal` and `MemFree` (KiB) into `total_kib` and `free_kib` by node id.
///
/// # Safety
///
/// Each pointer `NULL` or valid for writes of a bitmap of `nr_nodes` bits (the masks)
/// or of `nr_nodes` values (the arrays), each distinct from the others, for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_numa_info(
    online: *mut c_ulong,
    memory: *mut c_ulong,
    cpus: *mut c_ulong,
    total_kib: *mut u64,
    free_kib: *mut u64,
    nr_nodes: c_uint,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract (each pointer checked before any is written).
        let (masks, total, free) = unsafe {
            (
                [
                    ffi::bitmap_mut(online, nr_nodes)?,
                    ffi::bitmap_mut(memory, nr_nodes)?,
                    ffi::bitmap_mut(cpus, nr_nodes)?,
                ],
                ffi::array_mut(total_kib, nr_nodes)?,
                ffi::array_mut(free_kib, nr_nodes)?,
            )
        };
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
    })())
}

/// What `neural_get_numa_stats()` reads of a network's counters: `struct
/// neural_numa_stats`'s first fields, in order (`NN_API_COUNTERS` in `api_helper.h`):
/// predictions, batches, local, cross_node, migrations, migrated_bytes,
/// migration_failures, train_steps, bytes.
type ApiCounters = [u64; 9];

/// `neural_get_numa_stats(nn, stats)`: the network's counters into `c` ([`ApiCounters`]);
/// the bytes of its arrays by node into `node_bytes` (`nr_nodes` values, zeroed by the
/// caller; split over the nodes of their pages as `numa_stats` does, [`split_by_node`]);
/// its CPU mask into `cpus` (cleared by the caller), and into `explicit` whether it was
/// set (1) or is the default (0).
///
/// # Safety
///
/// `h` as for [`super::network::nn_api_get_dims`]; each pointer `NULL` or valid for a
/// write (of `nr_nodes` values for `node_bytes`; `cpus` a valid `struct cpumask`), each
/// distinct from the others, for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_numa_stats(
    h: *mut c_void,
    c: *mut ApiCounters,
    node_bytes: *mut u64,
    nr_nodes: c_uint,
    cpus: *mut kernel::bindings::cpumask,
    explicit: *mut u32,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract (each pointer checked before any is written).
        let (net, c, per_node, cpus, explicit) = unsafe {
            (
                ffi::net_of(h)?,
                ffi::out_of(c)?,
                ffi::array_mut(node_bytes, nr_nodes)?,
                ffi::cpumask_mut(cpus)?,
                ffi::out_of(explicit)?,
            )
        };
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
        let (mask, explicit_mask) = net.cpu_mask()?;
        mask.copy_to(cpus);
        let s = &net.stats;
        *c = [
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
        *explicit = u32::from(explicit_mask);
        Ok(())
    })())
}
