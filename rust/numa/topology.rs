// SPDX-License-Identifier: GPL-2.0

//! The machine's NUMA topology: online nodes, their CPUs, memory and distances.
//!
//! Safe wrappers over `topology_helper.c`, which reaches the C macros and static inlines
//! (`next_node`, `cpumask_of_node`, `zone_page_state`, ...) that have no Rust binding.
//! Every query reads the live state; nothing is cached, so CPU and memory hotplug show up
//! at the next read.

use kernel::bindings;

use crate::pure::nodemask::NodeMask;
use crate::pure::nodes::Topology;
use crate::pure::num::usize_as_u64;
use kernel::ffi::{
    c_int,
    c_uint,
    c_ulong, //
};

/// A NUMA node id, known to be below `MAX_NUMNODES`.
///
/// # Invariants
///
/// `0 <= self.0 < MAX_NUMNODES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct NodeId(u32);

impl NodeId {
    /// Returns the node with id `id`, or `None` if `id` is negative or not below `MAX_NUMNODES`.
    pub(crate) fn new(id: i32) -> Option<Self> {
        let id = u32::try_from(id).ok()?;
        // INVARIANT: checked just below.
        (id < max_numnodes()).then_some(Self(id))
    }

    /// The id as the kernel's C API takes it.
    pub(crate) fn as_raw(self) -> c_int {
        // PANIC: cannot fail, MAX_NUMNODES is at most 1024 by the type invariant.
        c_int::try_from(self.0).unwrap_or(c_int::MAX)
    }

    /// The id as a number.
    pub(crate) fn id(self) -> u32 {
        self.0
    }
}

/// A node state from the kernel's `node_states[]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeState {
    /// The node is online.
    Online,
    /// The node has memory (of any kind).
    Memory,
    /// The node has CPUs.
    Cpu,
}

impl NodeState {
    fn as_raw(self) -> c_int {
        let state = match self {
            NodeState::Online => bindings::node_states_N_ONLINE,
            NodeState::Memory => bindings::node_states_N_MEMORY,
            NodeState::Cpu => bindings::node_states_N_CPU,
        };
        // PANIC: cannot fail, the node states are small enumerators.
        c_int::try_from(state).unwrap_or(0)
    }
}

mod ffi {
    use super::*;

    extern "C" {
        pub(super) fn nn_next_node(state: c_int, node: c_int) -> c_int;
        pub(super) fn nn_node_state(node: c_int, state: c_int) -> bool;
        pub(super) fn nn_max_numnodes() -> c_uint;
        pub(super) fn nn_nr_cpu_ids() -> c_uint;
        pub(super) fn nn_cpu_in_node(cpu: c_uint, node: c_int) -> bool;
        pub(super) fn nn_cpu_to_node(cpu: c_uint) -> c_int;
        pub(super) fn nn_cpu_online(cpu: c_uint) -> bool;
        pub(super) fn nn_node_distance(from: c_int, to: c_int) -> c_int;
        pub(super) fn nn_node_meminfo(node: c_int, total: *mut c_ulong, free: *mut c_ulong);
        pub(super) fn nn_page_size() -> c_ulong;
    }
}

/// `MAX_NUMNODES`: one more than the highest node id this kernel can have.
pub(crate) fn max_numnodes() -> u32 {
    // SAFETY: returns a compile-time constant of the kernel.
    unsafe { ffi::nn_max_numnodes() }
}

/// `nr_cpu_ids`: one more than the highest possible CPU id.
pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: reads a variable set once at boot.
    unsafe { ffi::nn_nr_cpu_ids() }
}

/// Whether `node` is in the state `state` right now.
pub(crate) fn node_state(node: NodeId, state: NodeState) -> bool {
    // SAFETY: `node` is below MAX_NUMNODES (type invariant), so the bit test is in bounds.
    unsafe { ffi::nn_node_state(node.as_raw(), state.as_raw()) }
}

/// The nodes in state `state`, in increasing order.
pub(crate) fn nodes(state: NodeState) -> impl Iterator<Item = NodeId> + Clone {
    let mut prev: c_int = -1;
    core::iter::from_fn(move || {
        // SAFETY: `prev` is -1 or a node id below MAX_NUMNODES, both valid for next_node().
        let next = unsafe { ffi::nn_next_node(state.as_raw(), prev) };
        let node = NodeId::new(next)?;
        prev = next;
        Some(node)
    })
}

/// The online nodes, in increasing order.
pub(crate) fn online_nodes() -> impl Iterator<Item = NodeId> + Clone {
    nodes(NodeState::Online)
}

/// The CPUs of `node` (online or not, as sysfs's `nodeN/cpulist` shows them), in increasing order.
pub(crate) fn node_cpus(node: NodeId) -> impl Iterator<Item = u32> + Clone {
    // SAFETY: `cpu` is below nr_cpu_ids and `node` below MAX_NUMNODES (type invariant).
    (0..nr_cpu_ids()).filter(move |&cpu| unsafe { ffi::nn_cpu_in_node(cpu, node.as_raw()) })
}

/// The node of `cpu`, if `cpu` is a possible CPU that belongs to a node.
pub(crate) fn cpu_to_node(cpu: u32) -> Option<NodeId> {
    if cpu >= nr_cpu_ids() {
        return None;
    }
    // SAFETY: `cpu` is below nr_cpu_ids, so the per-CPU lookup is in bounds.
    NodeId::new(unsafe { ffi::nn_cpu_to_node(cpu) })
}

/// Whether `cpu` is online.
pub(crate) fn cpu_online(cpu: u32) -> bool {
    // SAFETY: cpu_online() tests a bit in a mask of nr_cpu_ids bits; we stay below it.
    cpu < nr_cpu_ids() && unsafe { ffi::nn_cpu_online(cpu) }
}

/// The firmware's (SLIT) distance from `from` to `to`; 10 means local.
pub(crate) fn node_distance(from: NodeId, to: NodeId) -> u32 {
    // SAFETY: both ids are below MAX_NUMNODES (type invariant).
    let d = unsafe { ffi::nn_node_distance(from.as_raw(), to.as_raw()) };
    u32::try_from(d).unwrap_or(0)
}

/// A node's memory, in KiB, as `/sys/devices/system/node/nodeN/meminfo` counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodeMemory {
    /// Pages the page allocator manages on the node (`MemTotal`).
    pub(crate) total_kib: u64,
    /// Free pages on the node (`MemFree`).
    pub(crate) free_kib: u64,
}

/// The memory of `node`, or `None` if the node is not online.
pub(crate) fn node_memory(node: NodeId) -> Option<NodeMemory> {
    if !node_state(node, NodeState::Online) {
        return None;
    }
    let mut total: c_ulong = 0;
    let mut free: c_ulong = 0;
    // SAFETY: the node is online, so NODE_DATA(node) is set up (the kernel never frees it);
    // the two pointers are valid for writes for the duration of the call.
    unsafe { ffi::nn_node_meminfo(node.as_raw(), &mut total, &mut free) };
    let page_kib = usize_as_u64(page_size()) / 1024;
    Some(NodeMemory {
        total_kib: ulong_to_u64(total).saturating_mul(page_kib),
        free_kib: ulong_to_u64(free).saturating_mul(page_kib),
    })
}

/// The bytes of memory the machine could give without swapping (`MemAvailable` of
/// `/proc/meminfo`: free memory and what reclaim can take back, an estimate).
pub(crate) fn available_bytes() -> u64 {
    // SAFETY: `si_mem_available()` reads global counters; it has no preconditions.
    let pages = unsafe { kernel::bindings::si_mem_available() };
    u64::try_from(pages)
        .unwrap_or(0)
        .saturating_mul(usize_as_u64(page_size()))
}

/// `PAGE_SIZE`.
pub(crate) fn page_size() -> usize {
    // SAFETY: returns a compile-time constant (`c_ulong` is the kernel's `usize`).
    unsafe { ffi::nn_page_size() }
}

/// Widens a C `unsigned long` (64 bits on every architecture this module builds for).
fn ulong_to_u64(v: c_ulong) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// The running machine, for the topology decisions of [`crate::pure::nodes`]. Every
/// query reads the live state.
pub(crate) struct Live;

impl Topology for Live {
    fn node_limit(&self) -> u32 {
        max_numnodes()
    }

    fn online(&self) -> NodeMask {
        NodeMask::from_nodes(online_nodes().map(NodeId::id))
    }

    fn has_memory(&self, node: u32) -> bool {
        node_of(node).is_some_and(|n| node_state(n, NodeState::Memory))
    }

    fn has_cpus(&self, node: u32) -> bool {
        node_of(node).is_some_and(|n| node_state(n, NodeState::Cpu))
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        match (node_of(from), node_of(to)) {
            (Some(a), Some(b)) => node_distance(a, b),
            _ => u32::MAX,
        }
    }

    fn free_kib(&self, node: u32) -> u64 {
        node_of(node)
            .and_then(node_memory)
            .map_or(0, |m| m.free_kib)
    }
}

/// The node with id `id`, if below `MAX_NUMNODES`.
pub(crate) fn node_of(id: u32) -> Option<NodeId> {
    NodeId::new(i32::try_from(id).ok()?)
}

/// The nodes of `mask` (those below `MAX_NUMNODES`), in increasing order.
pub(crate) fn mask_nodes(mask: NodeMask) -> impl Iterator<Item = NodeId> + Clone {
    mask.iter().filter_map(node_of)
}
