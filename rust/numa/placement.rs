// SPDX-License-Identifier: GPL-2.0

//! The NUMA policies ([`NumaPolicy`], by name and number in `pure/policy.rs`), and where
//! each buffer of a network goes under them.
//!
//! A [`Placement`] is a policy with its node and node mask, checked against the running
//! machine. The module parameters give the default (`neural_numa_policy`,
//! `neural_default_numa_node`, `neural_numa_nodes`: [`from_params`]); `create`, `config`
//! and the exported API may give their own per network ([`placement_for`],
//! [`placement_over`], [`migrate_to`]), the parameters filling in what they leave out.
//! The mask defaults to every node with memory.
//!
//! - `local`: on the node of the CPU that creates the network, or, on a CPU of a
//!   memoryless node, the nearest node with memory by SLIT distance; beyond that the
//!   page allocator's own fallback.
//! - `preferred`: on the given node; a buffer it cannot hold (no memory, or full) goes to
//!   the nearest node with room by distance, exactly: a *fallback*, counted in
//!   `numa_stats` and logged once per network.
//! - `bind`: only on the nodes of the mask, the nearest to the creating CPU first; never
//!   elsewhere: the creation fails with `ENOMEM` instead.
//! - `interleave`: layers spread over the mask's nodes with memory, layer `i` of network
//!   `id` whole on the `(id + i) mod n`-th of the `n` nodes while its weights are under
//!   [`INTERLEAVE_PAGE_BYTES`]; from that size up, the layer's pages go round the nodes
//!   one by one, as `MPOL_INTERLEAVE` spreads a mapping. A node that cannot serve (full)
//!   gives its layer or page to the nearest node that can: a fallback, counted.
//! - `replicate`: one copy of each layer's weights and biases on every node of the mask,
//!   each exactly on its node; a prediction reads the copy of its CPU's node, or of the
//!   nearest node of the mask for a CPU outside it. Training updates every copy before
//!   the step ends. The training memory and the first copy go on the mask's node nearest
//!   the creating CPU.
//!
//! A layer's training memory shares the node of its weights. Per-CPU scratch space always
//! goes on the node of its CPU (the nearest with memory for a memoryless one), whatever
//! the policy: only that CPU touches it.
//!
//! With `CONFIG_NEURAL_NETWORK_NUMA=n` every buffer is allocated anywhere and no node is
//! looked up ([`Where::Anywhere`]).

use core::fmt;

use kernel::prelude::*;
use kernel::str::CString;

use super::mem::{
    self,
    Where, //
};
use super::topology::{
    self,
    Live,
    NodeId, //
};
use crate::params;
use crate::pure::nodemask::NodeMask;
use crate::pure::nodes::{
    self,
    NodeError, //
};
use crate::pure::num::u32_as_usize;
pub(crate) use crate::pure::policy::NumaPolicy;

/// The weights of a layer from which an interleaved layer is spread page by page rather
/// than placed whole: 256 KiB, 64 pages, so that each node of a 16-node mask gets at
/// least 4 of them.
pub(crate) const INTERLEAVE_PAGE_BYTES: usize = 256 * 1024;

/// A policy's number (`neural_numa_policy`, the exported API's), `EINVAL` for none.
impl TryFrom<i32> for NumaPolicy {
    type Error = Error;

    fn try_from(value: i32) -> Result<Self> {
        usize::try_from(value)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or(EINVAL)
    }
}

/// Why a placement is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlacementError {
    /// `preferred` without a node, or `bind` with neither a node nor a mask.
    NeedsNode(NumaPolicy),
    /// The node is out of range, offline, or (bind without a mask) has no memory.
    Node(NodeError),
    /// A node of the mask is out of range, offline, or (bind, replicate) has no memory;
    /// or the mask is empty.
    Mask(NodeError),
    /// No node of the interleave mask has memory.
    NoMemory,
}

impl fmt::Display for PlacementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementError::NeedsNode(p) => write!(f, "policy {} needs a node", p.name()),
            PlacementError::Node(e) | PlacementError::Mask(e) => write!(f, "{e}"),
            PlacementError::NoMemory => write!(f, "no node of the list has memory"),
        }
    }
}

/// A policy with its node and mask, checked against the running system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The policy.
    pub(crate) policy: NumaPolicy,
    /// The node for `preferred` (and `bind` without a mask); for the others, a node that
    /// was also given.
    pub(crate) node: Option<NodeId>,
    /// The mask in force for `interleave`, `bind` and `replicate`: as given, or every
    /// node with memory (interleave: only its nodes with memory are used).
    pub(crate) nodes: NodeMask,
}

impl Placement {
    /// Checks `policy` with `node` and `nodes` (`None`: not given) against the running
    /// system.
    ///
    /// # Errors
    ///
    /// [`PlacementError`]: `preferred` without a node, `bind` without a node or a mask,
    /// a node or a node of the mask that is out of range or offline, `bind` or
    /// `replicate` on a node without memory, an empty mask, an interleave mask with no
    /// memory.
    pub(crate) fn check(
        policy: NumaPolicy,
        node: Option<NodeId>,
        nodes: Option<NodeMask>,
    ) -> Result<Self, PlacementError> {
        let t = &Live;
        if let Some(n) = node {
            let need_memory = policy == NumaPolicy::Bind && nodes.is_none();
            nodes::check_node(t, n.id(), need_memory).map_err(PlacementError::Node)?;
        }
        if let Some(mask) = nodes {
            nodes::check_mask(t, mask, policy.mask_needs_memory()).map_err(PlacementError::Mask)?;
        }
        let mask = match (policy, nodes, node) {
            (NumaPolicy::Preferred, _, None) => return Err(PlacementError::NeedsNode(policy)),
            (_, Some(mask), _) => mask,
            (NumaPolicy::Bind, None, Some(n)) => NodeMask::from_nodes([n.id()]),
            (NumaPolicy::Bind, None, None) => return Err(PlacementError::NeedsNode(policy)),
            (_, None, _) => nodes::memory_nodes(t),
        };
        if policy == NumaPolicy::Interleave && mask.and(&nodes::memory_nodes(t)).is_empty() {
            return Err(PlacementError::NoMemory);
        }
        Ok(Self {
            policy,
            node,
            nodes: mask,
        })
    }

    /// The nodes with memory of the mask, which interleave spreads over.
    fn spread(&self) -> NodeMask {
        self.nodes.and(&nodes::memory_nodes(&Live))
    }

    /// The placement of network `id`, created now: its home is the node of this CPU, or
    /// the nearest with memory for a memoryless one, looked up once so that every layer
    /// agrees even if the task moves meanwhile.
    pub(crate) fn for_network(&self, id: u32) -> NetworkPlacement {
        let home = if cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
            mem::current_node().map(|here| {
                nodes::nearest_with_memory(&Live, here.id())
                    .and_then(topology::node_of)
                    .unwrap_or(here)
            })
        } else {
            None
        };
        NetworkPlacement {
            placement: *self,
            id,
            home,
        }
    }

    /// Where a buffer that fell back was meant to go, for the log line that counts them:
    /// `preferred`'s node, or (interleave, local) each buffer's own node.
    pub(crate) fn intended(&self) -> Intended {
        Intended(match self.policy {
            NumaPolicy::Preferred => self.node.map(NodeId::id),
            _ => None,
        })
    }
}

/// `policy bind node 1 nodes 1-2`, as `config` takes it: the node when one is set, the
/// mask for the policies that use one.
impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "policy {}", self.policy.name())?;
        if let Some(n) = self.node {
            write!(f, " node {}", n.id())?;
        }
        match self.policy {
            NumaPolicy::Interleave | NumaPolicy::Bind | NumaPolicy::Replicate => {
                write!(f, " nodes {}", self.nodes)
            }
            NumaPolicy::Local | NumaPolicy::Preferred => Ok(()),
        }
    }
}

/// [`Placement::intended`]: "node M", or "their intended nodes".
pub(crate) struct Intended(Option<u32>);

impl fmt::Display for Intended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "node {}", n),
            None => f.write_str("their intended nodes"),
        }
    }
}

/// The placement the module parameters ask for, checked against the running system.
///
/// # Errors
///
/// `EINVAL`, with a log line naming the parameter and the reason: a node list that does
/// not parse, and whatever [`Placement::check`] refuses.
pub(crate) fn from_params() -> Result<Placement> {
    resolve(None, None, None, None)
}

/// The placement of one network for which `create` (or a re-placement in `config`, or an
/// exported setter) gave `policy`, `node` and `nodes` (with its text), each `None` when
/// not given: the module parameters fill in the rest. `prefix` starts each log line
/// (`create: `).
///
/// # Errors
///
/// `EINVAL`, with a log line that names the argument and the reason.
pub(crate) fn placement_for(
    prefix: &str,
    policy: Option<NumaPolicy>,
    node: Option<NodeId>,
    nodes: Option<(NodeMask, &str)>,
) -> Result<Placement> {
    resolve(Some(prefix), policy, node, nodes)
}

/// [`placement_for`] with `policy` and `node` over the node list `nodes` (as in force:
/// `node N` keeps the list, with its text for the log made here).
///
/// # Errors
///
/// As [`placement_for`]; `ENOMEM` for the text.
pub(crate) fn placement_over(
    prefix: &str,
    policy: NumaPolicy,
    node: Option<NodeId>,
    nodes: NodeMask,
) -> Result<Placement> {
    let text = CString::try_from_fmt(fmt!("{}", format_args!("{}", nodes)))?;
    let text = text.to_str().map_err(|_| EINVAL)?;
    placement_for(prefix, Some(policy), node, Some((nodes, text)))
}

/// The placement of `migrate N` (config) and `neural_migrate_numa_node()`: everything on
/// `node`, exactly (bind to it alone).
///
/// # Errors
///
/// As [`placement_for`]: `EINVAL` for a node without memory.
pub(crate) fn migrate_to(prefix: &str, node: NodeId) -> Result<Placement> {
    placement_over(
        prefix,
        NumaPolicy::Bind,
        Some(node),
        NodeMask::from_nodes([node.id()]),
    )
}

/// [`from_params`] with `context` (`None`: the module parameters themselves) and the given
/// overrides.
fn resolve(
    context: Option<&str>,
    policy: Option<NumaPolicy>,
    node: Option<NodeId>,
    nodes: Option<(NodeMask, &str)>,
) -> Result<Placement> {
    let raw = params::numa_policy();
    let policy = policy.unwrap_or(NumaPolicy::try_from(raw).unwrap_or(NumaPolicy::Local));
    let node = node.or_else(|| NodeId::new(params::default_numa_node()));
    let mut buf = [0u8; params::NODELIST_MAX + 1];
    let (nodes, text) = match (nodes, params::numa_nodes(&mut buf)) {
        (Some((mask, t)), _) => (Some(mask), Some(t)),
        (None, Some(t)) => match NodeMask::parse(t, topology::max_numnodes()) {
            Ok(mask) => (Some(mask), Some(t)),
            Err(e) => {
                pr_err!("neural_numa_nodes={}: {}\n", t, format_args!("{e}"));
                return Err(EINVAL);
            }
        },
        (None, None) => (None, None),
    };
    // How the log names each setting: the parameter, or the argument of `create`.
    let (p_name, n_name, l_name, what) = match context {
        None => (
            "neural_numa_policy",
            "neural_default_numa_node",
            "neural_numa_nodes",
            "",
        ),
        Some(prefix) => ("policy", "node", "nodes", prefix),
    };
    Placement::check(policy, node, nodes).map_err(|e| {
        let t = text.unwrap_or("");
        let (pn, pv) = (policy.name(), i32::from(policy));
        match e {
            PlacementError::NeedsNode(NumaPolicy::Bind) => pr_err!(
                "{}{}={} (bind) needs {} or {} set to an online node with memory\n",
                what,
                p_name,
                pv,
                l_name,
                n_name
            ),
            PlacementError::NeedsNode(_) => pr_err!(
                "{}{}={} ({}) needs {} set to an online node\n",
                what,
                p_name,
                pv,
                pn,
                n_name
            ),
            PlacementError::Node(NodeError::NoMemory(n)) => pr_err!(
                "{}{}={}: node {} has no memory, so {}={} ({}) cannot place anything on it\n",
                what,
                n_name,
                n,
                n,
                p_name,
                pv,
                pn
            ),
            PlacementError::Node(NodeError::Offline(n)) => {
                pr_err!("{}{}={}: node {} is not online\n", what, n_name, n, n)
            }
            PlacementError::Node(e) => {
                pr_err!("{}{}: {}\n", what, n_name, format_args!("{e}"))
            }
            PlacementError::Mask(e) => pr_err!(
                "{}{}={}: {} ({}={} ({}))\n",
                what,
                l_name,
                t,
                format_args!("{e}"),
                p_name,
                pv,
                pn
            ),
            PlacementError::NoMemory => {
                pr_err!(
                "{}{}={}: no node of the list has memory, so {}={} ({}) cannot place anything\n",
                what, l_name, t, p_name, pv, pn
            )
            }
        }
        EINVAL
    })
}

/// Where the buffers of one network go ([`Placement::for_network`]).
pub(crate) struct NetworkPlacement {
    placement: Placement,
    id: u32,
    home: Option<NodeId>,
}

impl NetworkPlacement {
    /// Where an array of layer `layer` of `bytes` goes (its weights, or `0` for a small
    /// array). For `replicate`, where the first copy goes
    /// ([`NetworkPlacement::copies`] gives the others).
    pub(crate) fn layer(&self, layer: usize, bytes: usize) -> Where {
        if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
            return Where::Anywhere;
        }
        let (p, id, home) = (&self.placement, self.id, self.home);
        match p.policy {
            NumaPolicy::Local => home.map_or(Where::Anywhere, Where::Prefer),
            NumaPolicy::Interleave => {
                let spread = p.spread();
                let k = u32_as_usize(id).wrapping_add(layer);
                if bytes >= INTERLEAVE_PAGE_BYTES && spread.count() > 1 {
                    Where::Pages {
                        nodes: spread,
                        first: k,
                    }
                } else {
                    nodes::interleave_node(spread, k)
                        .and_then(topology::node_of)
                        .map_or(Where::Anywhere, Where::Prefer)
                }
            }
            NumaPolicy::Preferred => p.node.map_or(Where::Anywhere, Where::Fallback),
            NumaPolicy::Bind => Where::Within {
                from: home.map_or(0, NodeId::id),
                nodes: p.nodes,
            },
            NumaPolicy::Replicate => home
                .and_then(|h| nodes::nearest_in(&Live, h.id(), p.nodes))
                .and_then(topology::node_of)
                .map_or(Where::Anywhere, Where::Only),
        }
    }

    /// For `replicate`, the nodes of the other copies of a layer whose first copy is on
    /// `first` (every other node of the mask); none for the other policies or without
    /// NUMA.
    pub(crate) fn copies(&self, first: Where) -> NodeMask {
        let p = &self.placement;
        if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) || p.policy != NumaPolicy::Replicate {
            return NodeMask::EMPTY;
        }
        let mut mask = p.nodes;
        if let Some(n) = first.node() {
            mask.clear(n.id());
        }
        mask
    }
}

/// Where the scratch space of CPU `cpu` goes: its node, or the nearest with memory.
pub(crate) fn cpu_where(cpu: u32) -> Where {
    if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
        return Where::Anywhere;
    }
    topology::cpu_to_node(cpu)
        .and_then(|n| nodes::nearest_with_memory(&Live, n.id()))
        .and_then(topology::node_of)
        .map_or(Where::Anywhere, Where::Prefer)
}
