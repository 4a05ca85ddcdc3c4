// SPDX-License-Identifier: GPL-2.0

//! The module parameters, as the rest of the module sees them.
//!
//! They are registered from C (`helpers/params.c`), because Rust's `module!` in 7.3 gives
//! parameters no sysfs entry. The C setters already refuse values out of range; this file
//! turns the raw values into types and checks what needs the running system (is the node
//! online, has it memory) when the module initialises, and resolves the memory limits
//! (`0` is automatic: a fraction of the RAM) where they are used.

use kernel::ffi::{
    c_int,
    c_uint, //
};
use kernel::prelude::*;

use crate::topology::{
    self,
    NodeId,
    NodeState, //
};

mod ffi {
    use super::*;

    extern "C" {
        pub(super) fn nn_param_numa_policy() -> c_int;
        pub(super) fn nn_param_default_numa_node() -> c_int;
        pub(super) fn nn_param_enable_simd() -> bool;
        pub(super) fn nn_param_cache_timeout_ms() -> c_uint;
        pub(super) fn nn_param_strict_input() -> bool;
        pub(super) fn nn_param_max_network_mb() -> c_uint;
        pub(super) fn nn_param_max_total_mb() -> c_uint;
    }
}

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

/// `neural_numa_policy`.
pub(crate) fn numa_policy() -> NumaPolicy {
    // SAFETY: a plain getter of a variable the C setter keeps in range.
    let raw = unsafe { ffi::nn_param_numa_policy() };
    NumaPolicy::try_from(raw).unwrap_or(NumaPolicy::Local)
}

/// `neural_default_numa_node`, `None` for -1.
pub(crate) fn default_numa_node() -> Option<NodeId> {
    // SAFETY: a plain getter of a variable the C setter keeps in range.
    NodeId::new(unsafe { ffi::nn_param_default_numa_node() })
}

/// `neural_enable_simd` (writable at run time: read it where it is used).
pub(crate) fn simd_enabled() -> bool {
    // SAFETY: a plain getter (READ_ONCE) of a variable root may change at any time.
    unsafe { ffi::nn_param_enable_simd() }
}

/// `neural_cache_timeout_ms` (writable at run time: read it where it is used).
pub(crate) fn cache_timeout_ms() -> u32 {
    // SAFETY: a plain getter (READ_ONCE) of a variable root may change at any time.
    unsafe { ffi::nn_param_cache_timeout_ms() }
}

/// `neural_strict_input`: `predict` refuses an input beyond the network's input format
/// instead of saturating it (writable at run time: read it where it is used).
pub(crate) fn strict_input() -> bool {
    // SAFETY: a plain getter (READ_ONCE) of a variable root may change at any time.
    unsafe { ffi::nn_param_strict_input() }
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
        Self::check(numa_policy(), default_numa_node())
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

/// `neural_max_network_mb` (writable at run time: read it where it is used).
pub(crate) fn max_network_mb() -> u32 {
    // SAFETY: a plain getter (READ_ONCE) of a variable root may change at any time.
    unsafe { ffi::nn_param_max_network_mb() }
}

/// `neural_max_total_mb` (writable at run time: read it where it is used).
pub(crate) fn max_total_mb() -> u32 {
    // SAFETY: a plain getter (READ_ONCE) of a variable root may change at any time.
    unsafe { ffi::nn_param_max_total_mb() }
}

/// The largest value `neural_max_network_mb` and `neural_max_total_mb` take (1 TiB;
/// `NN_MEM_LIMIT_MAX_MB` in `helpers/params.h`).
pub(crate) const MEM_LIMIT_MAX_MB: u32 = 1 << 20;

/// The memory limits in force, in bytes of network arrays (`Network::footprint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MemLimits {
    /// The most one network may take.
    pub(crate) network: u64,
    /// The most all networks together may take.
    pub(crate) total: u64,
}

impl MemLimits {
    /// The limits that `network_mb` and `total_mb` give on a machine of `ram` bytes: a
    /// value in MiB, or for 0 a quarter of `ram` (per network) and half of it (in all).
    pub(crate) fn resolve(network_mb: u32, total_mb: u32, ram: u64) -> Self {
        // The C setters keep the values in range; `min` makes the shift safe regardless.
        let pick = |mb: u32, auto: u64| match mb {
            0 => auto,
            mb => u64::from(mb.min(MEM_LIMIT_MAX_MB)) << 20,
        };
        Self {
            network: pick(network_mb, ram / 4),
            total: pick(total_mb, ram / 2),
        }
    }

    /// The limits the parameters set now, on this machine's RAM (`MemTotal` of every
    /// online node).
    pub(crate) fn from_params() -> Self {
        let ram = topology::online_nodes()
            .filter_map(topology::node_memory)
            .fold(0u64, |sum, m| {
                sum.saturating_add(m.total_kib.saturating_mul(1024))
            });
        Self::resolve(max_network_mb(), max_total_mb(), ram)
    }
}
