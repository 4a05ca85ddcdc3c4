// SPDX-License-Identifier: GPL-2.0

//! The module parameters, as the rest of the module sees them.
//!
//! They are registered from C (`params_helper.c`), because Rust's `module!` in 7.3 gives
//! parameters no sysfs entry. The C setters already refuse values out of range; this file
//! turns the raw values into types and resolves the memory limits (`0` is automatic: a
//! fraction of the RAM) where they are used. The placement parameters are resolved into a
//! placement, and checked against the running system (is the node online, has it memory),
//! by [`numa::placement`](crate::numa::placement).

use crate::numa::topology::{
    self,
    NodeId, //
};
use kernel::ffi::{
    c_int,
    c_uint, //
};

mod ffi {
    use super::*;

    extern "C" {
        pub(super) fn nn_param_numa_policy() -> c_int;
        pub(super) fn nn_param_default_numa_node() -> c_int;
        pub(super) fn nn_param_numa_nodes(buf: *mut u8, size: usize) -> usize;
        pub(super) fn nn_param_enable_simd() -> bool;
        pub(super) fn nn_param_simd_threshold() -> u32;
        pub(super) fn nn_param_cache_timeout_ms() -> c_uint;
        pub(super) fn nn_param_strict_input() -> bool;
        pub(super) fn nn_param_max_network_mb() -> c_uint;
        pub(super) fn nn_param_max_total_mb() -> c_uint;
    }
}

/// `neural_numa_policy`, as a number
/// ([`NumaPolicy::try_from`](crate::numa::placement::NumaPolicy::try_from) names it).
pub(crate) fn numa_policy() -> i32 {
    // SAFETY: a plain getter of a variable the C setter keeps in range.
    unsafe { ffi::nn_param_numa_policy() }
}

/// `neural_default_numa_node`, `None` for -1.
pub(crate) fn default_numa_node() -> Option<NodeId> {
    // SAFETY: a plain getter of a variable the C setter keeps in range.
    NodeId::new(unsafe { ffi::nn_param_default_numa_node() })
}

/// The longest `neural_numa_nodes` (`NN_NODELIST_MAX` in `params_helper.h`).
pub(crate) const NODELIST_MAX: usize = 255;

/// `neural_numa_nodes` into `buf`; `None` when it is empty (not given).
pub(crate) fn numa_nodes(buf: &mut [u8; NODELIST_MAX + 1]) -> Option<&str> {
    // SAFETY: `buf` is valid for writes of its length, which the C side respects.
    let n = unsafe { ffi::nn_param_numa_nodes(buf.as_mut_ptr(), buf.len()) };
    let text = core::str::from_utf8(buf.get(..n)?).ok()?;
    (!text.is_empty()).then_some(text)
}

/// `neural_enable_simd` (writable at run time: read it where it is used).
pub(crate) fn simd_enabled() -> bool {
    // SAFETY: a plain getter (READ_ONCE) of a variable root may change at any time.
    unsafe { ffi::nn_param_enable_simd() }
}

/// `neural_simd_threshold`: the least row length that runs the SIMD path, 0 for the
/// break-even measured at load (writable at run time: read it where it is used).
pub(crate) fn simd_threshold() -> u32 {
    // SAFETY: a plain getter (READ_ONCE) of a variable root may change at any time.
    unsafe { ffi::nn_param_simd_threshold() }
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
/// `NN_MEM_LIMIT_MAX_MB` in `params_helper.h`).
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
