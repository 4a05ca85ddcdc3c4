// SPDX-License-Identifier: GPL-2.0

//! The module parameters, as the rest of the module sees them.
//!
//! They are registered from C (`params_helper.c`), because Rust's `module!` in 7.3 gives
//! parameters no sysfs entry. The C setters already refuse values out of range; this file
//! reads the values and imports nothing of the module (a leaf, as `pure` is). What they
//! mean is resolved where it is used: the placement parameters into a placement, checked
//! against the running system (is the node online, has it memory), by
//! [`numa::placement`](crate::numa::placement); the memory limits (`0` is automatic: a
//! fraction of the RAM) by [`budget::MemLimits`](crate::budget::MemLimits).

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
        pub(super) fn nn_param_max_networks() -> c_uint;
    }
}

/// `neural_numa_policy`, as a number
/// ([`NumaPolicy::try_from`](crate::numa::placement::NumaPolicy::try_from) names it).
pub(crate) fn numa_policy() -> i32 {
    // SAFETY: a plain getter of a variable the C setter keeps in range.
    unsafe { ffi::nn_param_numa_policy() }
}

/// `neural_default_numa_node`, as a number: -1 (none) or a node id below
/// `MAX_NUMNODES` (`NodeId::new` names it).
pub(crate) fn default_numa_node() -> c_int {
    // SAFETY: a plain getter of a variable the C setter keeps in range.
    unsafe { ffi::nn_param_default_numa_node() }
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

/// `neural_max_networks`: the most networks alive at once (writable at run time: read
/// it where it is used).
pub(crate) fn max_networks() -> u32 {
    // SAFETY: a plain getter (READ_ONCE) of a variable root may change at any time.
    unsafe { ffi::nn_param_max_networks() }
}

/// The largest value `neural_max_network_mb` and `neural_max_total_mb` take (1 TiB;
/// `NN_MEM_LIMIT_MAX_MB` in `params_helper.h`).
pub(crate) const MEM_LIMIT_MAX_MB: u32 = 1 << 20;
