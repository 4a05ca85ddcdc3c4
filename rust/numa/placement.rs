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

use kernel::prelude::*;

use super::mem::{
    self,
    Where, //
};
use super::topology::{
    self,
    NodeId,
    NodeState, //
};
use crate::params;

/// Where a network's memory is placed (`neural_numa_policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumaPolicy {
    /// On the node of the CPU that creates the network.
    Local,
    /// Layers spread round-robin over the nodes that have memory.
    Interleave,
    /// On `neural_default_numa_node`, elsewhere when it runs out.
    Preferred,
    /// On `neural_default_numa_node` only; allocation fails rather than going elsewhere.
    Bind,
}

impl NumaPolicy {
    /// The name used in logs and debugfs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            NumaPolicy::Local => "local",
            NumaPolicy::Interleave => "interleave",
            NumaPolicy::Preferred => "preferred",
            NumaPolicy::Bind => "bind",
        }
    }

    /// Whether the policy places memory on `neural_default_numa_node`.
    pub(crate) fn needs_node(self) -> bool {
        matches!(self, NumaPolicy::Preferred | NumaPolicy::Bind)
    }
}

impl TryFrom<i32> for NumaPolicy {
    type Error = Error;

    fn try_from(value: i32) -> Result<Self> {
        match value {
            0 => Ok(NumaPolicy::Local),
            1 => Ok(NumaPolicy::Interleave),
            2 => Ok(NumaPolicy::Preferred),
            3 => Ok(NumaPolicy::Bind),
            _ => Err(EINVAL),
        }
    }
}

/// The placement the parameters ask for, checked against the running system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The policy.
    pub(crate) policy: NumaPolicy,
    /// The node for `Preferred` and `Bind`; for the others, a node that was also given.
    pub(crate) node: Option<NodeId>,
}

impl Placement {
    /// Reads and checks the placement parameters ([`Placement::check`]).
    ///
    /// # Errors
    ///
    /// As [`Placement::check`].
    pub(crate) fn from_params() -> Result<Self> {
        let policy = NumaPolicy::try_from(params::numa_policy()).unwrap_or(NumaPolicy::Local);
        Self::check(policy, params::default_numa_node())
    }

    /// Checks `policy` with `node` against the running system.
    ///
    /// # Errors
    ///
    /// `EINVAL`, with a log line naming the parameter, when `preferred` or `bind` has no
    /// node, when the node is not online, or when `bind` names a node without memory.
    pub(crate) fn check(policy: NumaPolicy, node: Option<NodeId>) -> Result<Self> {
        match node {
            None if policy.needs_node() => {
                pr_err!(
                    "neural_numa_policy={} ({}) needs neural_default_numa_node set to an online node\n",
                    policy as i32,
                    policy.name()
                );
                return Err(EINVAL);
            }
            Some(n) if !topology::node_state(n, NodeState::Online) => {
                pr_err!(
                    "neural_default_numa_node={}: node {} is not online\n",
                    n.id(),
                    n.id()
                );
                return Err(EINVAL);
            }
            Some(n)
                if policy == NumaPolicy::Bind && !topology::node_state(n, NodeState::Memory) =>
            {
                pr_err!(
                    "neural_default_numa_node={}: node {} has no memory, so neural_numa_policy=3 (bind) cannot place anything on it\n",
                    n.id(),
                    n.id()
                );
                return Err(EINVAL);
            }
            _ => {}
        }
        Ok(Self { policy, node })
    }
}

/// Where layer `layer` of network `id` goes under `placement`.
pub(crate) fn layer_where(placement: &Placement, id: u32, layer: usize) -> Where {
    if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
        return Where::Anywhere;
    }
    match (placement.policy, placement.node) {
        (NumaPolicy::Local, _) => mem::current_node().map_or(Where::Anywhere, Where::Prefer),
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
