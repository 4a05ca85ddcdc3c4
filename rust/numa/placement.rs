// SPDX-License-Identifier: GPL-2.0

//! Where each piece of a network's memory goes, by the module's NUMA policy.
//!
//! - `local`: every layer on the node of the CPU that creates the network (the node that
//!   `numa_node_id()` names while the network is built), falling back like `kmalloc_node`.
//! - `interleave`: layer `i` of network `id` on the `(id + i) mod n`-th of the `n` nodes
//!   that have memory, so that layers and networks spread over all nodes.
//! - `preferred`: every layer on `neural_default_numa_node`, elsewhere if it is full.
//! - `bind`: every layer on `neural_default_numa_node` or the network is not created
//!   (`__GFP_THISNODE`: `-ENOMEM` rather than remote memory).
//!
//! A layer's weights, biases and gradients share its node. Per-CPU scratch space always
//! goes on the node of its CPU, whatever the policy: only that CPU touches it.

use crate::node_mem::{
    self,
    Where, //
};
use crate::params::{
    NumaPolicy,
    Placement, //
};
use crate::topology::{
    self,
    NodeState, //
};

/// Where layer `layer` of network `id` goes under `placement`.
pub(crate) fn layer_where(placement: &Placement, id: u32, layer: usize) -> Where {
    if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
        return Where::Anywhere;
    }
    match (placement.policy, placement.node) {
        (NumaPolicy::Local, _) => node_mem::current_node().map_or(Where::Anywhere, Where::Prefer),
        (NumaPolicy::Interleave, _) => {
            let mut nodes = topology::nodes(NodeState::Memory);
            let n = nodes.clone().count();
            if n == 0 {
                return Where::Anywhere;
            }
            let k = (id as usize).wrapping_add(layer) % n;
            nodes.nth(k).map_or(Where::Anywhere, Where::Prefer)
        }
        (NumaPolicy::Preferred, Some(node)) => Where::Prefer(node),
        (NumaPolicy::Bind, Some(node)) => Where::Only(node),
        // `Placement::check` refuses these at load.
        (NumaPolicy::Preferred | NumaPolicy::Bind, None) => Where::Anywhere,
    }
}

/// Where the scratch space of CPU `cpu` goes.
pub(crate) fn cpu_where(cpu: u32) -> Where {
    if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
        return Where::Anywhere;
    }
    topology::cpu_to_node(cpu).map_or(Where::Anywhere, Where::Prefer)
}
