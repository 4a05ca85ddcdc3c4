// SPDX-License-Identifier: GPL-2.0

//! The exported API: what other kernel modules call (`include/linux/neural_network.h`
//! has each function's kernel-doc; `Documentation/neural_network/api.rst` the guide).
//!
//! `rust/api_helper.c` holds the exported symbols (`EXPORT_SYMBOL_GPL`). Each one checks
//! that it may sleep (`might_sleep()`), takes a reference on this module for every
//! network it hands out (so `rmmod neural_network` fails with `EBUSY` while a caller
//! holds one) and calls the `nn_api_*` function of this file with the caller's module
//! name (`KBUILD_MODNAME`, through the header's macros). A `struct neural_network *` is a
//! [`Handle`]: a reference on a network of the registry, which debugfs shows like any
//! other, with its owner in `config`; only the owner removes it.
//!
//! Every pointer and size is checked here: `NULL`, a size that does not fit the network
//! or a node out of range gives `-EINVAL` (or `ERR_PTR(-EINVAL)`), never a panic, and
//! changes nothing.

use core::ffi::{
    c_int,
    c_uint,
    c_void, //
};
use core::ptr;
use core::sync::atomic::{
    AtomicPtr,
    Ordering, //
};

use kernel::ffi::c_char;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::debugfs::Registry;
use crate::network::{
    Network,
    Owner, //
};
use crate::numa::placement::{
    NumaPolicy,
    Placement, //
};
use crate::numa::topology::{
    self,
    NodeId,
    NodeState, //
};
use crate::params;
use crate::pure::activation::Activation;
use crate::pure::model::MAX_BLOB_LEN;
use crate::pure::xavier::Plan;

/// The registry the API works on: set by [`Exported::new`] at the end of the module's
/// init, cleared by its drop at the start of its exit.
static REGISTRY: AtomicPtr<Registry> = AtomicPtr::new(ptr::null_mut());

/// While it lives, the exported functions reach the module's registry.
pub(crate) struct Exported(());

impl Exported {
    /// Opens the API on `registry`.
    pub(crate) fn new(registry: &Arc<Registry>) -> Self {
        let raw = Arc::into_raw(registry.clone());
        REGISTRY.store(raw.cast_mut(), Ordering::Release);
        Self(())
    }
}

impl Drop for Exported {
    fn drop(&mut self) {
        let raw = REGISTRY.swap(ptr::null_mut(), Ordering::AcqRel);
        if !raw.is_null() {
            // SAFETY: `raw` came from `Arc::into_raw` in `new` and is taken back once (the
            // swap leaves null behind).
            drop(unsafe { Arc::from_raw(raw) });
        }
    }
}

/// Runs `f` on the registry; `ENODEV` if the API is not open.
fn with_registry<R>(f: impl FnOnce(&Registry) -> Result<R>) -> Result<R> {
    let raw = REGISTRY.load(Ordering::Acquire);
    if raw.is_null() {
        return Err(ENODEV);
    }
    // SAFETY: not null, so `Exported::new` stored it and holds a reference on the
    // registry until its drop, at the start of the module's exit, which cannot begin
    // while a caller runs: a caller's module holds a reference on this one (its symbols).
    f(unsafe { &*raw })
}

/// What a `struct neural_network *` points to.
struct Handle {
    net: Arc<Network>,
}

/// The network behind a handle from [`hand_out`]; `EINVAL` for `NULL`.
///
/// # Safety
///
/// `h` is `NULL` or a handle from [`hand_out`] not yet given to [`nn_api_destroy`].
unsafe fn net_of<'a>(h: *mut c_void) -> Result<&'a Arc<Network>> {
    if h.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: by the function's contract, `h` is a live `Handle` from `KBox::into_raw`.
    Ok(unsafe { &(*h.cast::<Handle>()).net })
}

/// Network `id` of the registry, boxed as a handle for the caller.
fn hand_out(registry: &Registry, id: u32) -> Result<*mut c_void> {
    let net = registry.get(id).ok_or(ENOENT)?;
    let owner = *net.owner();
    match KBox::new(Handle { net }, GFP_KERNEL) {
        Ok(b) => Ok(KBox::into_raw(b).cast()),
        Err(e) => {
            // Without a handle nobody could destroy it.
            let _ = registry.remove(id, owner);
            Err(e.into())
        }
    }
}

/// The caller's module name as an [`Owner`].
///
/// # Safety
///
/// `owner` is `NULL` or a NUL-terminated string valid for the call.
unsafe fn owner_of(owner: *const c_char) -> Result<Owner> {
    if owner.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: by the function's contract.
    let name = unsafe { CStr::from_char_ptr(owner) };
    Owner::module(name.to_bytes()).ok_or(EINVAL)
}

/// Writes the handle of `r` to `out` (the C side turns an error into `ERR_PTR`).
///
/// # Safety
///
/// `out` is valid for a write.
unsafe fn hand_over(r: Result<*mut c_void>, out: *mut *mut c_void) -> c_int {
    match r {
        Ok(p) => {
            // SAFETY: by the function's contract.
            unsafe { out.write(p) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// A status the C side returns: 0 or a negative errno.
fn to_status(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `node` of a C caller as a node id; `NUMA_NO_NODE` (-1) is `None`.
fn node_arg(node: c_int) -> Result<Option<NodeId>> {
    if node == -1 {
        return Ok(None);
    }
    NodeId::new(node).map(Some).ok_or(EINVAL)
}

/// `neural_network_init(in, hidden, out)` and `neural_network_init_numa(..., node)`: a
/// trainable network `[in, hidden, out]`, ReLU then linear, Xavier-initialised from the
/// kernel's RNG; placed by the module parameters, or `preferred` on `node`.
///
/// # Safety
///
/// `owner` is `NULL` or a NUL-terminated string valid for the call; `out` is valid for
/// a write (the handle, on success).
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_init(
    inputs: c_uint,
    hidden: c_uint,
    outputs: c_uint,
    node: c_int,
    owner: *const c_char,
    out: *mut *mut c_void,
) -> c_int {
    let r = (|| {
        // SAFETY: by the function's contract.
        let owner = unsafe { owner_of(owner) }?;
        let dims = [inputs as usize, hidden as usize, outputs as usize];
        let plan = Plan::new(&dims, &[Activation::Relu, Activation::Linear]).map_err(|e| {
            pr_err!("neural_network_init: {}\n", e.reason());
            EINVAL
        })?;
        let placement = match node_arg(node)? {
            None => None,
            Some(n) => Some(params::placement_for(
                "neural_network_init_numa: ",
                Some(NumaPolicy::Preferred),
                Some(n),
                None,
            )?),
        };
        with_registry(|r| {
            let id = r.create(&plan, None, placement, owner)?;
            hand_out(r, id)
        })
    })();
    // SAFETY: by the function's contract.
    unsafe { hand_over(r, out) }
}

/// `neural_network_load(blob, len)`: a network from a model blob (model-format.rst), at
/// most `MAX_BLOB_LEN` bytes, placed by the module parameters.
///
/// # Safety
///
/// `blob` is `NULL` or valid for reads of `len` bytes for the call; `owner` and `out`
/// as for [`nn_api_init`].
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_load(
    blob: *const u8,
    len: usize,
    owner: *const c_char,
    out: *mut *mut c_void,
) -> c_int {
    let r = (|| {
        // SAFETY: by the function's contract.
        let owner = unsafe { owner_of(owner) }?;
        if blob.is_null() || len == 0 || len > MAX_BLOB_LEN {
            return Err(EINVAL);
        }
        // SAFETY: `blob` is valid for `len` bytes (the function's contract), not null.
        let blob = unsafe { core::slice::from_raw_parts(blob, len) };
        with_registry(|r| {
            let id = r.load(blob, "neural_network_load", owner)?;
            hand_out(r, id)
        })
    })();
    // SAFETY: by the function's contract.
    unsafe { hand_over(r, out) }
}

/// `neural_network_destroy(nn)`: removes the network (its debugfs directory goes; open
/// files keep it alive until closed) and frees the handle. `NULL` does nothing.
///
/// # Safety
///
/// `h` is `NULL` or a handle from [`nn_api_init`] or [`nn_api_load`], not used again.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_destroy(h: *mut c_void) {
    if h.is_null() {
        return;
    }
    // SAFETY: a live handle from `KBox::into_raw` (the function's contract), taken back
    // once.
    let handle = unsafe { KBox::from_raw(h.cast::<Handle>()) };
    let (id, owner) = (handle.net.id(), *handle.net.owner());
    let _ = with_registry(|r| r.remove(id, owner));
}

/// `neural_network_predict(nn, in, n_in, out, n_out)`: `n_in / input_dim` input vectors
/// (at least one, `n_in` a multiple of the input length) into `n_out` values (that many
/// times the output length), in the network's fixed-point formats, on the caller's CPU.
/// The lengths are checked against the network, and the two arrays for alignment and
/// overlap, before either is touched: `EINVAL`.
///
/// # Safety
///
/// `h` as for [`nn_api_destroy`]; `input` `NULL` or valid for reads of `n_in` values and
/// `output` `NULL` or valid for writes of `n_out`, for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_predict(
    h: *mut c_void,
    input: *const i16,
    n_in: usize,
    output: *mut i16,
    n_out: usize,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract.
        let net = unsafe { net_of(h) }?;
        // SAFETY: by the function's contract.
        let (inputs, outputs) = unsafe { io_slices(net, input, n_in, output, n_out) }?;
        net.predict_batch(inputs, outputs).map(|_| ())
    })())
}

/// The caller's arrays of [`nn_api_predict`] as slices, after every check: `EINVAL` for
/// a `NULL` pointer, lengths that do not fit `net` (a positive multiple of the input
/// length, and as many outputs), arrays misaligned or overlapping.
///
/// # Safety
///
/// `input` `NULL` or valid for reads of `n_in` values and `output` `NULL` or valid for
/// writes of `n_out`, for `'a`.
unsafe fn io_slices<'a>(
    net: &Network,
    input: *const i16,
    n_in: usize,
    output: *mut i16,
    n_out: usize,
) -> Result<(&'a [i16], &'a mut [i16])> {
    let (din, dout) = (net.input_dim(), net.output_dim());
    // Checked division: no panic path (objtool flags one as a fall-through), though a
    // network's input length is never 0.
    if input.is_null() || output.is_null() || n_in == 0 || n_in.checked_rem(din) != Some(0) {
        return Err(EINVAL);
    }
    let rows = n_in.checked_div(din).ok_or(EINVAL)?;
    if rows.checked_mul(dout) != Some(n_out) {
        return Err(EINVAL);
    }
    // What a slice may span, aligned, and disjoint: `&[i16]` and `&mut [i16]` over the
    // same memory would be undefined behaviour.
    let span = |n: usize| {
        n.checked_mul(size_of::<i16>())
            .filter(|&b| b <= isize::MAX as usize)
    };
    let (bytes_in, bytes_out) = (span(n_in).ok_or(EINVAL)?, span(n_out).ok_or(EINVAL)?);
    if !input.is_aligned() || !output.is_aligned() {
        return Err(EINVAL);
    }
    let (a, b) = (input as usize, output as usize);
    let (a_end, b_end) = (
        a.checked_add(bytes_in).ok_or(EINVAL)?,
        b.checked_add(bytes_out).ok_or(EINVAL)?,
    );
    if a < b_end && b < a_end {
        return Err(EINVAL);
    }
    // SAFETY: valid for the lengths given (the contract), not null, aligned, within
    // `isize::MAX` bytes and disjoint (checked above).
    Ok(unsafe {
        (
            core::slice::from_raw_parts(input, n_in),
            core::slice::from_raw_parts_mut(output, n_out),
        )
    })
}

/// `neural_network_predict_atomic(nn, in, n_in, out, n_out)`: one input vector (`n_in`
/// the input length, `n_out` the output length) without sleeping, from any context but
/// NMI (`network/atomic.rs`); the checks of [`nn_api_predict`] first. `EAGAIN` while a
/// training call holds the weights.
///
/// # Safety
///
/// As for [`nn_api_predict`].
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_predict_atomic(
    h: *mut c_void,
    input: *const i16,
    n_in: usize,
    output: *mut i16,
    n_out: usize,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract.
        let net = unsafe { net_of(h) }?;
        if n_in != net.input_dim() {
            return Err(EINVAL);
        }
        // SAFETY: by the function's contract.
        let (inputs, outputs) = unsafe { io_slices(net, input, n_in, output, n_out) }?;
        net.predict_atomic(inputs, outputs)
    })())
}

/// `neural_network_get_dims(nn, &in, &out)`: the lengths of an input and an output
/// vector, and their fractional bits (`in_frac`, `out_frac`; either pointer may be
/// `NULL`).
///
/// # Safety
///
/// `h` as for [`nn_api_predict`]; each pointer `NULL` or valid for a write.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_get_dims(
    h: *mut c_void,
    inputs: *mut c_uint,
    outputs: *mut c_uint,
    in_frac: *mut c_uint,
    out_frac: *mut c_uint,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract.
        let net = unsafe { net_of(h) }?;
        let values = [
            (inputs, net.input_dim() as c_uint),
            (outputs, net.output_dim() as c_uint),
            (in_frac, c_uint::from(net.input_frac())),
            (out_frac, c_uint::from(net.output_frac())),
        ];
        for (p, v) in values {
            if !p.is_null() {
                // SAFETY: not null, valid for a write (the function's contract).
                unsafe { p.write(v) };
            }
        }
        Ok(())
    })())
}

/// `neural_get_numa_node(nn)`: where the network went: the node of the first page of its
/// first layer's weights, else the node of its placement; `NUMA_NO_NODE` if neither.
///
/// # Safety
///
/// As for [`nn_api_get_dims`].
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_get_numa_node(h: *mut c_void) -> c_int {
    // SAFETY: by the function's contract.
    let net = match unsafe { net_of(h) } {
        Ok(n) => n,
        Err(e) => return e.to_errno(),
    };
    let mut first = None;
    let _ = net.for_each_layer(|i, l| {
        if i == 0 {
            first = l.node();
        }
        Ok(())
    });
    first.or(net.placement().node).map_or(-1, |n| n.as_raw())
}

/// Re-places `net` as `placement` says, logged as `what`.
fn replace(net: &Network, what: &str, placement: Result<Placement>) -> Result {
    net.replace(placement?, what).map(|_| ())
}

/// `neural_set_numa_node(nn, node)`: the same policy with `node` (as `node N` in
/// `network_<id>/config`); `neural_set_numa_policy(nn, policy)`: policy `policy` (0 to
/// 4, as `neural_numa_policy`) with the module's node and nodes (as `policy NAME`);
/// `neural_migrate_numa_node(nn, node)`: everything to `node`, exactly (bind, as `migrate
/// N`). What `which` selects: 0, 1, 2 in that order. The network keeps serving; a
/// failure leaves it as it was.
///
/// # Safety
///
/// As for [`nn_api_get_dims`].
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_set_placement(
    h: *mut c_void,
    which: c_int,
    value: c_int,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract.
        let net = unsafe { net_of(h) }?;
        let now = net.placement();
        match which {
            0 => {
                let prefix = "neural_set_numa_node: ";
                let n = node_arg(value)?.ok_or(EINVAL)?;
                let p = params::placement_over(prefix, now.policy, Some(n), now.nodes);
                replace(net, "neural_set_numa_node", p)
            }
            1 => {
                let policy = NumaPolicy::try_from(value)?;
                let p = params::placement_for("neural_set_numa_policy: ", Some(policy), None, None);
                replace(net, "neural_set_numa_policy", p)
            }
            2 => {
                let n = node_arg(value)?.ok_or(EINVAL)?;
                let p = params::migrate_to("neural_migrate_numa_node: ", n);
                replace(net, "neural_migrate_numa_node", p)
            }
            _ => Err(EINVAL),
        }
    })())
}

/// `neural_get_numa_node_count()`: the online nodes.
#[no_mangle]
pub(crate) extern "C" fn nn_api_node_count() -> c_int {
    c_int::try_from(topology::online_nodes().count()).unwrap_or(c_int::MAX)
}

/// An online node, or `EINVAL`.
fn online(node: c_int) -> Result<NodeId> {
    NodeId::new(node)
        .filter(|&n| topology::node_state(n, NodeState::Online))
        .ok_or(EINVAL)
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
const BEST_NODE_ROOM_KIB: u64 = 16 * 1024;

/// `neural_find_best_numa_node()`: where a network made now should go for the calling
/// CPU: the nearest node (by distance from the CPU's node) among those with memory and
/// at least [`BEST_NODE_ROOM_KIB`] free, the one with the most free memory among equally
/// near ones; if no node has that much free, the one with the most.
#[no_mangle]
pub(crate) extern "C" fn nn_api_best_node() -> c_int {
    let cpu = kernel::cpu::CpuId::current().as_u32();
    let here = topology::cpu_to_node(cpu);
    let free = |n| topology::node_memory(n).map_or(0, |m| m.free_kib);
    topology::nodes(NodeState::Memory)
        .min_by_key(|&n| {
            let f = free(n);
            // Among nodes without room, distance does not count: the freest wins.
            let d = match (f < BEST_NODE_ROOM_KIB, here) {
                (false, Some(h)) => topology::node_distance(h, n),
                _ => 0,
            };
            (f < BEST_NODE_ROOM_KIB, d, u64::MAX - f)
        })
        .map_or(ENODEV.to_errno(), |n| n.as_raw())
}
