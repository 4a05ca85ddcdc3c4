// SPDX-License-Identifier: GPL-2.0

//! The topology decisions over NUMA node sets ([`NodeMask`]).
//!
//! - [`Topology`]: what the decisions need to know about a machine. The module implements
//!   it over the live topology (`node_states[]`, `node_distance()`, the zone counters);
//!   the host tests implement it with made-up tables.
//! - Functions over a [`Topology`]: the nodes with memory or CPUs, the nodes in order of
//!   distance, the nearest node with memory, the best node for a request ([`best_node`],
//!   the rule of the exported `neural_find_best_numa_node()`), the fallback of the
//!   `preferred` policy, the checks of a node or a node list given by the user, and
//!   round-robin over a node list.
//!
//! Pure code: it needs only `core`, allocates nothing and panics on no input, so that
//! `tools/pure` builds the same file and tests it on the host.
//!
//! None of the functions here passes a [`Topology`] a node id that is not below its
//! [`Topology::node_limit`] (nor [`MAX_NODES`](super::nodemask::MAX_NODES)): a bit of
//! [`Topology::online`] at or above the limit is ignored, and a `from` or `preferred` node
//! out of range finds no node.

use core::fmt;

use super::nodemask::{
    NodeMask,
    MAX_NODES_U32, //
};

/// A machine's NUMA topology, as the decisions of this file need it.
///
/// The module implements it over the live topology; the host tests with made-up tables.
/// The functions of this file call the node methods only with ids below
/// [`Topology::node_limit`] and [`MAX_NODES`](super::nodemask::MAX_NODES).
pub trait Topology {
    /// One more than the highest node id that may exist (`MAX_NUMNODES`).
    fn node_limit(&self) -> u32;
    /// The online nodes (`node_states[N_ONLINE]`).
    fn online(&self) -> NodeMask;
    /// Whether `node` has memory (`node_states[N_MEMORY]`).
    fn has_memory(&self, node: u32) -> bool;
    /// Whether `node` has CPUs (`node_states[N_CPU]`).
    fn has_cpus(&self, node: u32) -> bool;
    /// SLIT distance, 10 = local.
    fn distance(&self, from: u32, to: u32) -> u32;
    /// Free memory of the node in KiB.
    fn free_kib(&self, node: u32) -> u64;
}

/// The topology's node limit, at most [`MAX_NODES`](super::nodemask::MAX_NODES).
fn limit_of<T: Topology + ?Sized>(t: &T) -> u32 {
    t.node_limit().min(MAX_NODES_U32)
}

/// The online nodes below the node limit.
fn online_nodes<T: Topology + ?Sized>(t: &T) -> NodeMask {
    t.online().and(&NodeMask::below(limit_of(t)))
}

/// The online nodes with memory.
pub fn memory_nodes<T: Topology + ?Sized>(t: &T) -> NodeMask {
    online_nodes(t).filter(|node| t.has_memory(node))
}

/// The online nodes with CPUs.
pub fn cpu_nodes<T: Topology + ?Sized>(t: &T) -> NodeMask {
    online_nodes(t).filter(|node| t.has_cpus(node))
}

/// The number of online nodes.
pub fn node_count<T: Topology + ?Sized>(t: &T) -> usize {
    online_nodes(t).count()
}

/// The online nodes with memory whose free memory can hold `bytes` (rounded up to KiB),
/// each node's free memory read once.
pub fn nodes_with_room<T: Topology + ?Sized>(t: &T, bytes: u64) -> NodeMask {
    let need_kib = bytes.div_ceil(1024);
    memory_nodes(t).filter(|node| t.free_kib(node) >= need_kib)
}

/// The nodes of `candidates` in the order of a zonelist built on `from`: `from` first if
/// it is a candidate, then the others in increasing distance from `from`, ties broken by
/// the lower id, as the kernel's `build_zonelists()` orders them.
///
/// Nothing is allocated: each step selects the nearest candidate left, so going through
/// all `n` candidates asks at most `n * (n + 1) / 2` distances, about 525 000 for 1024
/// nodes. Candidates not below the node limit are left out; if `from` is not below it,
/// there are none.
pub fn by_distance<T: Topology + ?Sized>(
    t: &T,
    from: u32,
    candidates: NodeMask,
) -> ByDistance<'_, T> {
    let limit = limit_of(t);
    let left = if from < limit {
        candidates.and(&NodeMask::below(limit))
    } else {
        NodeMask::EMPTY
    };
    ByDistance {
        topology: t,
        from,
        left,
    }
}

/// The iterator of [`by_distance`].
pub struct ByDistance<'a, T: ?Sized> {
    topology: &'a T,
    from: u32,
    left: NodeMask,
}

impl<T: ?Sized> Clone for ByDistance<'_, T> {
    fn clone(&self) -> Self {
        ByDistance {
            topology: self.topology,
            from: self.from,
            left: self.left,
        }
    }
}

impl<T: Topology + ?Sized> Iterator for ByDistance<'_, T> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let node = if self.left.contains(self.from) {
            self.from
        } else {
            let mut best: Option<(u32, u32)> = None;
            for node in self.left.iter() {
                let distance = self.topology.distance(self.from, node);
                // Strictly nearer only: of equal distances the first, lowest id stays.
                let nearer = match best {
                    Some((nearest, _)) => distance < nearest,
                    None => true,
                };
                if nearer {
                    best = Some((distance, node));
                }
            }
            best?.1
        };
        self.left.clear(node);
        Some(node)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.left.count();
        (left, Some(left))
    }
}

impl<T: Topology + ?Sized> ExactSizeIterator for ByDistance<'_, T> {}

impl<T: Topology + ?Sized> core::iter::FusedIterator for ByDistance<'_, T> {}

/// `from` itself if it is online with memory, else the nearest online node with memory
/// (ties: the lowest id); `None` if there is none or `from` is out of range.
pub fn nearest_with_memory<T: Topology + ?Sized>(t: &T, from: u32) -> Option<u32> {
    by_distance(t, from, memory_nodes(t)).next()
}

/// The node of `mask` that is online with memory and nearest `from`: `from` itself if it
/// is one, else by distance, ties to the lowest id. For replicated data, the copy a CPU
/// of node `from` reads.
pub fn nearest_in<T: Topology + ?Sized>(t: &T, from: u32, mask: NodeMask) -> Option<u32> {
    by_distance(t, from, mask.and(&memory_nodes(t))).next()
}

/// The best node for `bytes` requested from node `from`: of the online nodes with memory
/// whose free memory can hold `bytes`, those at the smallest distance from `from`, and of
/// those the one with the most free memory (ties: the lowest id).
///
/// `None` if no node can hold `bytes` or `from` is out of range. Unlike [`by_distance`],
/// `from` has no precedence over another node at the same distance.
pub fn best_node<T: Topology + ?Sized>(t: &T, from: u32, bytes: u64) -> Option<u32> {
    if from >= limit_of(t) {
        return None;
    }
    let need_kib = bytes.div_ceil(1024);
    // (distance, free KiB, node) of the best node so far.
    let mut best: Option<(u32, u64, u32)> = None;
    for node in memory_nodes(t).iter() {
        let free = t.free_kib(node);
        if free < need_kib {
            continue;
        }
        let distance = t.distance(from, node);
        let better = match best {
            None => true,
            Some((d, f, _)) => distance < d || (distance == d && free > f),
        };
        if better {
            best = Some((distance, free, node));
        }
    }
    best.map(|(_, _, node)| node)
}

/// The node of the `preferred` policy for `bytes`: `preferred` if it is online with memory
/// and room for `bytes`, else the nearest such node to `preferred` (ties: the lowest id).
///
/// `None` if no node can hold `bytes` or `preferred` is out of range.
pub fn fallback<T: Topology + ?Sized>(t: &T, preferred: u32, bytes: u64) -> Option<u32> {
    by_distance(t, preferred, nodes_with_room(t, bytes)).next()
}

/// Why a node or a node list given by the user cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeError {
    /// The node is not below the kernel's `MAX_NUMNODES`.
    OutOfRange {
        /// The node.
        node: u32,
        /// `MAX_NUMNODES`.
        limit: u32,
    },
    /// The node is offline.
    Offline(u32),
    /// The node has no memory and memory is to be placed on it.
    NoMemory(u32),
    /// The node list is empty.
    EmptyList,
}

impl NodeError {
    /// A short reason, for logs and `nnctl`; `Display` adds the node.
    pub fn reason(self) -> &'static str {
        match self {
            NodeError::OutOfRange { .. } => "node out of range",
            NodeError::Offline(_) => "node offline",
            NodeError::NoMemory(_) => "node has no memory",
            NodeError::EmptyList => "the node list is empty",
        }
    }

    /// The node refused, if the error is about one.
    pub fn node(self) -> Option<u32> {
        match self {
            NodeError::OutOfRange { node, .. } | NodeError::Offline(node) => Some(node),
            NodeError::NoMemory(node) => Some(node),
            NodeError::EmptyList => None,
        }
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NodeError::OutOfRange { node, limit } => {
                write!(f, "node {node} is out of range (MAX_NUMNODES {limit})")
            }
            NodeError::Offline(node) => write!(f, "node {node} is offline"),
            NodeError::NoMemory(node) => write!(f, "node {node} has no memory"),
            NodeError::EmptyList => f.write_str("the node list is empty"),
        }
    }
}

/// Checks that `node` can be used: below the node limit, online, and with memory if
/// `need_memory`.
///
/// # Errors
///
/// [`NodeError::OutOfRange`], [`NodeError::Offline`] or [`NodeError::NoMemory`], in that
/// order of precedence.
pub fn check_node<T: Topology + ?Sized>(
    t: &T,
    node: u32,
    need_memory: bool,
) -> Result<(), NodeError> {
    check_one(t, node, limit_of(t), &t.online(), need_memory)
}

/// [`check_node`] with the node limit and the online nodes already read.
fn check_one<T: Topology + ?Sized>(
    t: &T,
    node: u32,
    limit: u32,
    online: &NodeMask,
    need_memory: bool,
) -> Result<(), NodeError> {
    if node >= limit {
        return Err(NodeError::OutOfRange { node, limit });
    }
    if !online.contains(node) {
        return Err(NodeError::Offline(node));
    }
    if need_memory && !t.has_memory(node) {
        return Err(NodeError::NoMemory(node));
    }
    Ok(())
}

/// Checks every node of `mask` as [`check_node`] does.
///
/// # Errors
///
/// [`NodeError::EmptyList`] for an empty `mask`, else the error of its lowest node that
/// cannot be used.
pub fn check_mask<T: Topology + ?Sized>(
    t: &T,
    mask: NodeMask,
    need_memory: bool,
) -> Result<(), NodeError> {
    if mask.is_empty() {
        return Err(NodeError::EmptyList);
    }
    let limit = limit_of(t);
    let online = t.online();
    mask.iter()
        .try_for_each(|node| check_one(t, node, limit, &online, need_memory))
}

/// The `(k mod n)`-th node of `mask` in increasing order, `n` being its number of nodes:
/// round-robin of layers or pages over a node list. `None` for an empty `mask`.
pub fn interleave_node(mask: NodeMask, k: usize) -> Option<u32> {
    mask.nth(k.checked_rem(mask.count())?)
}
