// SPDX-License-Identifier: GPL-2.0

//! neural_network's API for Rust callers: the functions of
//! `include/linux/neural_network.h`, declared for Rust ([`ffi`]), and safe types over
//! them: a [`Network`] destroys its network when dropped, a [`Batch`] its batch, and
//! every status comes back as a [`Result`].
//!
//! An out-of-tree Rust module builds this file into itself, as `samples/` does:
//!
//! ```ignore
//! #[path = "../include/rust/neural_network.rs"]
//! mod neural_network;
//! ```
//!
//! and links against neural_network's `Module.symvers` (`KBUILD_EXTRA_SYMBOLS`). The
//! header's kernel-doc (Documentation/neural_network/api.rst) is the reference for what
//! each call does; the docs here say only what the Rust form adds. Every method but
//! [`Network::predict_atomic`] may sleep.
#![allow(dead_code)]

use core::ptr::NonNull;

use kernel::bindings;
use kernel::cpumask::Cpumask;
use kernel::error::{from_err_ptr, to_result};
use kernel::ffi::c_int;
use kernel::prelude::*;

/// The C functions and structs, as the header declares them.
#[allow(non_camel_case_types)]
pub(crate) mod ffi {
    use kernel::bindings::{cpumask, nodemask_t, MAX_NUMNODES};
    use kernel::ffi::{c_char, c_int, c_uint, c_void};

    /// `struct neural_network`: opaque.
    #[repr(C)]
    pub(crate) struct neural_network {
        _opaque: [u8; 0],
    }

    /// `struct neural_batch`: opaque.
    #[repr(C)]
    pub(crate) struct neural_batch {
        _opaque: [u8; 0],
    }

    /// `struct neural_train_report`.
    #[repr(C)]
    #[derive(Clone, Copy, Debug, Default)]
    pub(crate) struct neural_train_report {
        pub(crate) samples: u64,
        pub(crate) epochs: u64,
        pub(crate) first_loss: u64,
        pub(crate) last_loss: u64,
    }

    /// `struct neural_numa_info`.
    #[repr(C)]
    pub(crate) struct neural_numa_info {
        pub(crate) nr_online_nodes: c_uint,
        pub(crate) nr_nodes_with_memory: c_uint,
        pub(crate) nr_nodes_with_cpus: c_uint,
        pub(crate) online: nodemask_t,
        pub(crate) with_memory: nodemask_t,
        pub(crate) with_cpus: nodemask_t,
        pub(crate) mem_total_kib: [u64; MAX_NUMNODES as usize],
        pub(crate) mem_free_kib: [u64; MAX_NUMNODES as usize],
    }

    /// `struct neural_numa_stats`.
    #[repr(C)]
    pub(crate) struct neural_numa_stats {
        pub(crate) predictions: u64,
        pub(crate) batches: u64,
        pub(crate) local: u64,
        pub(crate) cross_node: u64,
        pub(crate) migrations: u64,
        pub(crate) migrated_bytes: u64,
        pub(crate) migration_failures: u64,
        pub(crate) train_steps: u64,
        pub(crate) bytes: u64,
        pub(crate) node_bytes: [u64; MAX_NUMNODES as usize],
        pub(crate) node: c_int,
        pub(crate) cpus_explicit: u32,
        pub(crate) cpus: cpumask,
    }

    extern "C" {
        pub(crate) fn __neural_network_init(
            inputs: c_uint,
            hidden: c_uint,
            outputs: c_uint,
            node: c_int,
            owner: *const c_char,
        ) -> *mut neural_network;
        pub(crate) fn __neural_network_load(
            blob: *const c_void,
            len: usize,
            owner: *const c_char,
        ) -> *mut neural_network;
        pub(crate) fn neural_network_destroy(nn: *mut neural_network);
        pub(crate) fn neural_network_replace(
            nn: *mut neural_network,
            blob: *const c_void,
            len: usize,
        ) -> c_int;
        pub(crate) fn neural_network_predict(
            nn: *mut neural_network,
            input: *const i16,
            n_in: usize,
            output: *mut i16,
            n_out: usize,
        ) -> c_int;
        pub(crate) fn neural_network_predict_atomic(
            nn: *mut neural_network,
            input: *const i16,
            n_in: usize,
            output: *mut i16,
            n_out: usize,
        ) -> c_int;
        pub(crate) fn neural_network_get_dims(
            nn: *mut neural_network,
            inputs: *mut c_uint,
            outputs: *mut c_uint,
            in_frac: *mut c_uint,
            out_frac: *mut c_uint,
        ) -> c_int;
        pub(crate) fn neural_get_numa_node(nn: *mut neural_network) -> c_int;
        pub(crate) fn neural_set_numa_node(nn: *mut neural_network, node: c_int) -> c_int;
        pub(crate) fn neural_set_numa_policy(nn: *mut neural_network, policy: c_int) -> c_int;
        pub(crate) fn neural_migrate_numa_node(nn: *mut neural_network, node: c_int) -> c_int;
        pub(crate) fn neural_get_numa_node_count() -> c_int;
        pub(crate) fn neural_get_numa_distance(from: c_int, to: c_int) -> c_int;
        pub(crate) fn neural_numa_node_has_memory(node: c_int) -> c_int;
        pub(crate) fn neural_find_best_numa_node() -> c_int;
        pub(crate) fn neural_network_train(
            nn: *mut neural_network,
            inputs: *const i16,
            n_in: usize,
            targets: *const i16,
            n_targets: usize,
            epochs: c_uint,
            lr: u32,
            batch: c_uint,
            report: *mut neural_train_report,
        ) -> c_int;
        pub(crate) fn neural_batch_create_numa(
            nn: *mut neural_network,
            max_inputs: c_uint,
            node: c_int,
        ) -> *mut neural_batch;
        pub(crate) fn neural_batch_create(
            nn: *mut neural_network,
            max_inputs: c_uint,
        ) -> *mut neural_batch;
        pub(crate) fn neural_batch_process(
            batch: *mut neural_batch,
            input: *const i16,
            n_in: usize,
            output: *mut i16,
            n_out: usize,
        ) -> c_int;
        pub(crate) fn neural_batch_destroy(batch: *mut neural_batch);
        pub(crate) fn neural_set_numa_nodemask(
            nn: *mut neural_network,
            nodes: *const nodemask_t,
        ) -> c_int;
        pub(crate) fn neural_set_cpu_affinity(
            nn: *mut neural_network,
            mask: *const cpumask,
        ) -> c_int;
        pub(crate) fn neural_get_numa_info(info: *mut neural_numa_info) -> c_int;
        pub(crate) fn neural_get_numa_stats(
            nn: *mut neural_network,
            stats: *mut neural_numa_stats,
        ) -> c_int;
    }
}

/// No node asked for: the module's placement decides (`NUMA_NO_NODE`).
pub(crate) const NUMA_NO_NODE: i32 = bindings::NUMA_NO_NODE;
/// `MAX_NUMNODES`: node ids are below it.
pub(crate) const MAX_NUMNODES: usize = bindings::MAX_NUMNODES as usize;
/// `NEURAL_BATCH_MAX_INPUTS`.
pub(crate) const BATCH_MAX_INPUTS: u32 = 1024;
/// `NEURAL_TRAIN_MAX_EPOCHS`.
pub(crate) const TRAIN_MAX_EPOCHS: u32 = 100_000;
/// `NEURAL_LR_ONE`: a learning rate of 1.0 in Q8.24.
pub(crate) const LR_ONE: u32 = 1 << 24;
/// `NEURAL_LR_MAX`.
pub(crate) const LR_MAX: u32 = 8 * LR_ONE - 1;

/// `enum neural_numa_policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub(crate) enum Policy {
    /// `NEURAL_NUMA_LOCAL`.
    Local = 0,
    /// `NEURAL_NUMA_INTERLEAVE`.
    Interleave = 1,
    /// `NEURAL_NUMA_PREFERRED`.
    Preferred = 2,
    /// `NEURAL_NUMA_BIND`.
    Bind = 3,
    /// `NEURAL_NUMA_REPLICATE`.
    Replicate = 4,
}

/// What [`Network::train`] did (`struct neural_train_report`).
pub(crate) type TrainReport = ffi::neural_train_report;
/// The topology (`struct neural_numa_info`), as [`numa_info`] reads it.
pub(crate) type NumaInfo = ffi::neural_numa_info;
/// A network's counters and placement (`struct neural_numa_stats`).
pub(crate) type NumaStats = ffi::neural_numa_stats;

/// A network's vector shape and fixed-point formats (`neural_network_get_dims()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dims {
    /// Length of an input vector.
    pub(crate) inputs: u32,
    /// Length of an output vector.
    pub(crate) outputs: u32,
    /// Fractional bits of an input value.
    pub(crate) in_frac: u32,
    /// Fractional bits of an output value.
    pub(crate) out_frac: u32,
}

/// A `nodemask_t` built from node ids, for [`Network::set_nodes`].
pub(crate) struct NodeMask(bindings::nodemask_t);

impl NodeMask {
    /// An empty mask.
    pub(crate) fn new() -> Self {
        Self(bindings::nodemask_t {
            bits: [0; bindings::MAX_NUMNODES.div_ceil(usize::BITS) as usize],
        })
    }

    /// Adds `node`; `EINVAL` if it is not below [`MAX_NUMNODES`].
    pub(crate) fn set(&mut self, node: i32) -> Result {
        let node = usize::try_from(node).map_err(|_| EINVAL)?;
        if node >= MAX_NUMNODES {
            return Err(EINVAL);
        }
        let bits = usize::BITS as usize;
        self.0.bits[node / bits] |= 1 << (node % bits);
        Ok(())
    }

    /// Whether `node` is in the mask.
    pub(crate) fn test(&self, node: i32) -> bool {
        let bits = usize::BITS as usize;
        usize::try_from(node)
            .ok()
            .filter(|&n| n < MAX_NUMNODES)
            .is_some_and(|n| self.0.bits[n / bits] & (1 << (n % bits)) != 0)
    }

    /// The raw mask, for [`ffi`].
    pub(crate) fn as_raw(&self) -> *const bindings::nodemask_t {
        &self.0
    }
}

impl Default for NodeMask {
    fn default() -> Self {
        Self::new()
    }
}

impl From<&bindings::nodemask_t> for NodeMask {
    fn from(mask: &bindings::nodemask_t) -> Self {
        Self(bindings::nodemask_t { bits: mask.bits })
    }
}

/// A non-negative return value, or its errno.
fn to_value(ret: i32) -> Result<i32> {
    if ret < 0 {
        Err(Error::from_errno(ret))
    } else {
        Ok(ret)
    }
}

/// The C signature shared by predict, predict_atomic and batch_process.
type IoFn<T> = unsafe extern "C" fn(*mut T, *const i16, usize, *mut i16, usize) -> c_int;

/// Calls `f` on `handle` with `input` and `output` as pointer and length pairs.
///
/// # Safety
///
/// `handle` is live for the call.
unsafe fn io_call<T>(f: IoFn<T>, handle: *mut T, input: &[i16], output: &mut [i16]) -> Result {
    // SAFETY: `handle` by the contract; the slices are valid for their lengths, and the
    // borrow rules keep them from overlapping.
    to_result(unsafe {
        f(
            handle,
            input.as_ptr(),
            input.len(),
            output.as_mut_ptr(),
            output.len(),
        )
    })
}

/// A network made through the API, destroyed when dropped.
///
/// # Invariants
///
/// The pointer came from `neural_network_init()` or `neural_network_load()` and is
/// destroyed only by drop.
pub(crate) struct Network(NonNull<ffi::neural_network>);

// SAFETY: the API's functions may be called on one network from any thread; the module
// serialises what must be (its locks), and destroy is called once, by drop.
unsafe impl Send for Network {}
// SAFETY: as for `Send`: every method through `&self` is safe to run concurrently.
unsafe impl Sync for Network {}

impl Network {
    /// `neural_network_init()`: a trainable [inputs, hidden, outputs] network, ReLU then
    /// linear, placed by the module's parameters; `owner` shows in its debugfs config
    /// (the caller's module name).
    pub(crate) fn new(
        inputs: u32,
        hidden: u32,
        outputs: u32,
        owner: &'static CStr,
    ) -> Result<Self> {
        Self::new_on(inputs, hidden, outputs, NUMA_NO_NODE, owner)
    }

    /// `neural_network_init_numa()`: as [`Network::new`], on `node` (or
    /// [`NUMA_NO_NODE`]).
    pub(crate) fn new_on(
        inputs: u32,
        hidden: u32,
        outputs: u32,
        node: i32,
        owner: &'static CStr,
    ) -> Result<Self> {
        // SAFETY: plain values and a NUL-terminated string (copied by the callee).
        let p = unsafe {
            ffi::__neural_network_init(inputs, hidden, outputs, node, owner.as_char_ptr())
        };
        Self::from_raw(p)
    }

    /// `neural_network_load()`: a network from a model blob (copied).
    pub(crate) fn load(blob: &[u8], owner: &'static CStr) -> Result<Self> {
        // SAFETY: `blob` is valid for `blob.len()` bytes during the call.
        let p = unsafe {
            ffi::__neural_network_load(blob.as_ptr().cast(), blob.len(), owner.as_char_ptr())
        };
        Self::from_raw(p)
    }

    fn from_raw(p: *mut ffi::neural_network) -> Result<Self> {
        let p = from_err_ptr(p)?;
        // INVARIANT: a network the API made, now owned by the new value.
        Ok(Self(NonNull::new(p).ok_or(ENOMEM)?))
    }

    /// The raw handle, for [`ffi`] (valid while `self` is).
    pub(crate) fn as_ptr(&self) -> *mut ffi::neural_network {
        self.0.as_ptr()
    }

    /// `neural_network_replace()`: the model replaced by the one in `blob` (copied), of
    /// the same input and output lengths and formats; nothing changes on an error.
    pub(crate) fn replace(&self, blob: &[u8]) -> Result {
        // SAFETY: a live network (invariant); `blob` is valid for `blob.len()` bytes
        // during the call.
        to_result(unsafe {
            ffi::neural_network_replace(self.as_ptr(), blob.as_ptr().cast(), blob.len())
        })
    }

    /// `neural_network_predict()`: `input` holds whole input vectors, `output` room for
    /// as many output vectors.
    pub(crate) fn predict(&self, input: &[i16], output: &mut [i16]) -> Result {
        // SAFETY: a live network (invariant).
        unsafe { io_call(ffi::neural_network_predict, self.as_ptr(), input, output) }
    }

    /// `neural_network_predict_atomic()`: one vector, from any context but NMI, never
    /// sleeping; `EAGAIN` while a training call holds the weights.
    pub(crate) fn predict_atomic(&self, input: &[i16], output: &mut [i16]) -> Result {
        // SAFETY: a live network (invariant).
        unsafe {
            io_call(
                ffi::neural_network_predict_atomic,
                self.as_ptr(),
                input,
                output,
            )
        }
    }

    /// `neural_network_get_dims()`.
    pub(crate) fn dims(&self) -> Result<Dims> {
        let mut d = Dims {
            inputs: 0,
            outputs: 0,
            in_frac: 0,
            out_frac: 0,
        };
        // SAFETY: a live network; four valid out-pointers.
        to_result(unsafe {
            ffi::neural_network_get_dims(
                self.as_ptr(),
                &mut d.inputs,
                &mut d.outputs,
                &mut d.in_frac,
                &mut d.out_frac,
            )
        })?;
        Ok(d)
    }

    /// `neural_get_numa_node()`: where its weights are ([`NUMA_NO_NODE`] if nowhere).
    pub(crate) fn numa_node(&self) -> Result<i32> {
        // SAFETY: a live network.
        let node = unsafe { ffi::neural_get_numa_node(self.as_ptr()) };
        if node == NUMA_NO_NODE {
            Ok(node)
        } else {
            to_value(node)
        }
    }

    /// `neural_set_numa_node()`.
    pub(crate) fn set_numa_node(&self, node: i32) -> Result {
        // SAFETY: a live network.
        to_result(unsafe { ffi::neural_set_numa_node(self.as_ptr(), node) })
    }

    /// `neural_set_numa_policy()`.
    pub(crate) fn set_numa_policy(&self, policy: Policy) -> Result {
        // SAFETY: a live network.
        to_result(unsafe { ffi::neural_set_numa_policy(self.as_ptr(), policy as i32) })
    }

    /// `neural_migrate_numa_node()`: all of its memory to `node`, bound there.
    pub(crate) fn migrate(&self, node: i32) -> Result {
        // SAFETY: a live network.
        to_result(unsafe { ffi::neural_migrate_numa_node(self.as_ptr(), node) })
    }

    /// `neural_set_numa_nodemask()`.
    pub(crate) fn set_nodes(&self, nodes: &NodeMask) -> Result {
        // SAFETY: a live network and a valid mask.
        to_result(unsafe { ffi::neural_set_numa_nodemask(self.as_ptr(), nodes.as_raw()) })
    }

    /// `neural_set_cpu_affinity()`: `None` for the default (the CPUs of its nodes).
    pub(crate) fn set_cpu_affinity(&self, mask: Option<&Cpumask>) -> Result {
        let mask = mask.map_or(core::ptr::null(), |m| m.as_raw().cast_const());
        // SAFETY: a live network; `mask` is NULL or a valid cpumask (copied).
        to_result(unsafe { ffi::neural_set_cpu_affinity(self.as_ptr(), mask) })
    }

    /// `neural_network_train()`: `epochs` passes of SGD over the samples, `lr` in Q8.24
    /// ([`LR_ONE`] is 1.0), `batch` samples per update.
    pub(crate) fn train(
        &self,
        inputs: &[i16],
        targets: &[i16],
        epochs: u32,
        lr: u32,
        batch: u32,
    ) -> Result<TrainReport> {
        let mut report = TrainReport::default();
        // SAFETY: a live network; slices valid for their lengths; a valid out-pointer.
        to_result(unsafe {
            ffi::neural_network_train(
                self.as_ptr(),
                inputs.as_ptr(),
                inputs.len(),
                targets.as_ptr(),
                targets.len(),
                epochs,
                lr,
                batch,
                &mut report,
            )
        })?;
        Ok(report)
    }

    /// `neural_get_numa_stats()`, in a box (the struct holds a cpumask and a counter
    /// per possible node: too big for the stack).
    pub(crate) fn numa_stats(&self) -> Result<KBox<NumaStats>> {
        let mut stats = KBox::<NumaStats>::new_uninit(GFP_KERNEL)?;
        // SAFETY: a live network; `stats` is valid for a write of the struct, which the
        // call fills on success.
        to_result(unsafe { ffi::neural_get_numa_stats(self.as_ptr(), stats.as_mut_ptr()) })?;
        // SAFETY: filled by the successful call.
        Ok(unsafe { stats.assume_init() })
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        // SAFETY: made by the API, destroyed once (invariant).
        unsafe { ffi::neural_network_destroy(self.as_ptr()) };
    }
}

/// A batch of a network (`struct neural_batch`), destroyed when dropped. It holds its
/// own reference on the network: it may outlive the [`Network`] it was made from.
///
/// # Invariants
///
/// The pointer came from `neural_batch_create()` or `neural_batch_create_numa()` and is
/// destroyed only by drop.
pub(crate) struct Batch(NonNull<ffi::neural_batch>);

// SAFETY: calls on one batch are serialised by the module; destroy is called once.
unsafe impl Send for Batch {}
// SAFETY: as for `Send`.
unsafe impl Sync for Batch {}

impl Batch {
    /// `neural_batch_create_numa()` on `node`, or `neural_batch_create()` (the
    /// network's node) for [`NUMA_NO_NODE`].
    pub(crate) fn new(net: &Network, max_inputs: u32, node: i32) -> Result<Self> {
        let p = if node == NUMA_NO_NODE {
            // SAFETY: a live network.
            unsafe { ffi::neural_batch_create(net.as_ptr(), max_inputs) }
        } else {
            // SAFETY: a live network.
            unsafe { ffi::neural_batch_create_numa(net.as_ptr(), max_inputs, node) }
        };
        let p = from_err_ptr(p)?;
        // INVARIANT: a batch the API made, now owned by the new value.
        Ok(Self(NonNull::new(p).ok_or(ENOMEM)?))
    }

    /// The raw handle, for [`ffi`].
    pub(crate) fn as_ptr(&self) -> *mut ffi::neural_batch {
        self.0.as_ptr()
    }

    /// `neural_batch_process()`: spread over the network's CPUs, the caller waiting.
    pub(crate) fn process(&self, input: &[i16], output: &mut [i16]) -> Result {
        // SAFETY: a live batch (invariant).
        unsafe { io_call(ffi::neural_batch_process, self.as_ptr(), input, output) }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        // SAFETY: made by the API, destroyed once (invariant).
        unsafe { ffi::neural_batch_destroy(self.as_ptr()) };
    }
}

/// `neural_get_numa_node_count()`.
pub(crate) fn node_count() -> i32 {
    // SAFETY: no arguments.
    unsafe { ffi::neural_get_numa_node_count() }
}

/// `neural_get_numa_distance()`.
pub(crate) fn distance(from: i32, to: i32) -> Result<i32> {
    // SAFETY: plain values, checked by the callee.
    to_value(unsafe { ffi::neural_get_numa_distance(from, to) })
}

/// `neural_numa_node_has_memory()`.
pub(crate) fn node_has_memory(node: i32) -> Result<bool> {
    // SAFETY: a plain value, checked by the callee.
    to_value(unsafe { ffi::neural_numa_node_has_memory(node) }).map(|m| m != 0)
}

/// `neural_find_best_numa_node()`.
pub(crate) fn find_best_node() -> Result<i32> {
    // SAFETY: no arguments.
    to_value(unsafe { ffi::neural_find_best_numa_node() })
}

/// `neural_get_numa_info()`, in a box (1 KiB or more).
pub(crate) fn numa_info() -> Result<KBox<NumaInfo>> {
    let mut info = KBox::<NumaInfo>::new_uninit(GFP_KERNEL)?;
    // SAFETY: `info` is valid for a write of the struct, which the call fills.
    to_result(unsafe { ffi::neural_get_numa_info(info.as_mut_ptr()) })?;
    // SAFETY: every field filled by the successful call.
    Ok(unsafe { info.assume_init() })
}
