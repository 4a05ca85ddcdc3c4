// SPDX-License-Identifier: GPL-2.0

//! The exported API: what other kernel modules call (`include/linux/neural_network.h`
//! has each function's kernel-doc; `Documentation/neural_network/api.rst` the guide).
//!
//! `rust/api_helper.c` holds the exported symbols (`EXPORT_SYMBOL_GPL`). Each one checks
//! that it may sleep (`might_sleep()`), takes a reference on this module for every
//! network it hands out (so `rmmod neural_network` fails, with `EWOULDBLOCK`, the
//! kernel's answer for a module in use, while a caller holds one) and calls the `nn_api_*` function of this file with the caller's module
//! name (`KBUILD_MODNAME`, through the header's macros). A `struct neural_network *` is a
//! [`Handle`]: a reference on a network of the registry, which debugfs shows like any
//! other, with its owner in `config`; only the owner removes it.
//!
//! Every pointer and size is checked here: `NULL`, a size that does not fit the network
//! or a node out of range gives `-EINVAL` (or `ERR_PTR(-EINVAL)`), never a panic, and
//! changes nothing.
//!
//! A `struct neural_batch *` is a [`batch::Batch`]: staging buffers on a node, holding a
//! reference on its network and (from `api_helper.c`) on this module.

mod batch;

use core::ffi::{
    c_int,
    c_uint,
    c_ulong,
    c_void, //
};
use core::ptr;
use core::sync::atomic::{
    AtomicPtr,
    Ordering, //
};

use kernel::cpumask::Cpumask;
use kernel::ffi::c_char;
use kernel::prelude::*;
use kernel::sync::atomic::Relaxed;
use kernel::sync::Arc;

use crate::debugfs::{
    Registry,
    TRAIN_MAX_EPOCHS,
    TRAIN_MAX_VALUES, //
};
use crate::network::{
    Network,
    Owner, //
};
use crate::numa::cpumask::CpuMask;
use crate::numa::pagemap::PageMap;
use crate::numa::placement::{
    self,
    NumaPolicy,
    Placement, //
};
use crate::numa::topology::{
    self,
    NodeId,
    NodeState, //
};
use crate::pure::activation::Activation;
use crate::pure::model::MAX_BLOB_LEN;
use crate::pure::nodemask::NodeMask;
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
            Some(n) => Some(placement::placement_for(
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
    // SAFETY: by the function's contract.
    unsafe { in_out(input, n_in, output, n_out) }
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
                let p = placement::placement_over(prefix, now.policy, Some(n), now.nodes);
                replace(net, "neural_set_numa_node", p)
            }
            1 => {
                let policy = NumaPolicy::try_from(value)?;
                let p =
                    placement::placement_for("neural_set_numa_policy: ", Some(policy), None, None);
                replace(net, "neural_set_numa_policy", p)
            }
            2 => {
                let n = node_arg(value)?.ok_or(EINVAL)?;
                let p = placement::migrate_to("neural_migrate_numa_node: ", n);
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

/// A C caller's array of `n` values at `p`, as a range of addresses: `p` not null and
/// aligned, `n > 0`, within `isize::MAX` bytes; `EINVAL` otherwise.
fn span_of(p: *const i16, n: usize) -> Result<core::ops::Range<usize>> {
    if p.is_null() || !p.is_aligned() || n == 0 {
        return Err(EINVAL);
    }
    let bytes = n
        .checked_mul(size_of::<i16>())
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or(EINVAL)?;
    let start = p as usize;
    Ok(start..start.checked_add(bytes).ok_or(EINVAL)?)
}

/// The `n` values at `p`, checked by [`span_of`].
///
/// # Safety
///
/// `p` is `NULL` or valid for reads of `n` values, not written meanwhile, for `'a`.
unsafe fn values<'a>(p: *const i16, n: usize) -> Result<&'a [i16]> {
    span_of(p, n)?;
    // SAFETY: valid for `n` values (the function's contract), not null, aligned and
    // within `isize::MAX` bytes (`span_of`).
    Ok(unsafe { core::slice::from_raw_parts(p, n) })
}

/// `n_in` values to read at `input` and `n_out` to write at `output`, each checked by
/// [`span_of`], and disjoint (`EINVAL` otherwise).
///
/// # Safety
///
/// `input` is `NULL` or valid for reads of `n_in` values and `output` `NULL` or valid
/// for writes of `n_out`, for `'a`, used by nothing else meanwhile.
unsafe fn in_out<'a>(
    input: *const i16,
    n_in: usize,
    output: *mut i16,
    n_out: usize,
) -> Result<(&'a [i16], &'a mut [i16])> {
    let (a, b) = (span_of(input, n_in)?, span_of(output, n_out)?);
    // `&[i16]` and `&mut [i16]` over the same memory would be undefined behaviour.
    if a.start < b.end && b.start < a.end {
        return Err(EINVAL);
    }
    // SAFETY: valid for the lengths given (the function's contract), not null, aligned,
    // within `isize::MAX` bytes and disjoint (checked above).
    Ok(unsafe {
        (
            core::slice::from_raw_parts(input, n_in),
            core::slice::from_raw_parts_mut(output, n_out),
        )
    })
}

/// The largest learning rate of `neural_network_train()`, just under 8.0 in Q8.24 (as
/// `rate` in `network_<id>/train` takes it: a decimal in (0, 8)).
const TRAIN_LR_MAX: u32 = 8 * crate::pure::train::LR_ONE - 1;

/// What `neural_network_train()` reports: `struct neural_train_report`'s fields, in
/// order (`NN_API_TRAIN_REPORT` in `api_helper.h`): samples, epochs, first and last loss.
type ApiTrainReport = [u64; 4];

/// `neural_network_train(nn, inputs, n_in, targets, n_targets, epochs, lr, batch,
/// report)`: `epochs` passes of SGD over `n_in / input_dim` samples with the limits of a
/// `network_<id>/train` write (`epochs` 1 to [`TRAIN_MAX_EPOCHS`], `lr` 1 to
/// [`TRAIN_LR_MAX`], `batch` at least 1, `n_in + n_targets` at most
/// [`TRAIN_MAX_VALUES`]), on a created network only; [`Network::train`] does it. Every
/// argument is checked before anything changes: `EINVAL`.
///
/// # Safety
///
/// `h` as for [`nn_api_predict`]; `inputs` `NULL` or valid for reads of `n_in` values,
/// `targets` of `n_targets`, for the call; `report` `NULL` or valid for a write.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_train(
    h: *mut c_void,
    inputs: *const i16,
    n_in: usize,
    targets: *const i16,
    n_targets: usize,
    epochs: c_uint,
    lr: u32,
    batch: c_uint,
    report: *mut ApiTrainReport,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract.
        let net = unsafe { net_of(h) }?;
        if !net.trainable()
            || !(1..=TRAIN_MAX_EPOCHS).contains(&epochs)
            || !(1..=TRAIN_LR_MAX).contains(&lr)
            || batch == 0
            || n_in
                .checked_add(n_targets)
                .is_none_or(|v| v > TRAIN_MAX_VALUES)
        {
            return Err(EINVAL);
        }
        // SAFETY: by the function's contract (both only read: they may overlap).
        let (x, t) = unsafe { (values(inputs, n_in)?, values(targets, n_targets)?) };
        let r = net.train(x, t, epochs, lr, batch as usize)?;
        if !report.is_null() {
            let r = [
                r.samples as u64,
                u64::from(r.epochs),
                r.first_loss,
                r.last_loss,
            ];
            // SAFETY: not null, valid for a write (the function's contract).
            unsafe { report.write(r) };
        }
        Ok(())
    })())
}

/// `neural_batch_create_numa(nn, max_inputs, node)` and `neural_batch_create(nn,
/// max_inputs)` (`node` -1): a [`batch::Batch`] of `max_inputs` vectors (1 to
/// [`batch::MAX_ROWS`]) of the network, its buffers on `node` (an online node with
/// memory) or on the network's node.
///
/// # Safety
///
/// `h` as for [`nn_api_predict`]; `out` valid for a write (the batch, on success).
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_batch_create(
    h: *mut c_void,
    max_inputs: c_uint,
    node: c_int,
    out: *mut *mut c_void,
) -> c_int {
    let r = (|| {
        // SAFETY: by the function's contract.
        let net = unsafe { net_of(h) }?;
        // `NUMA_NO_NODE`, or an online node with memory.
        let node = match node {
            -1 => None,
            n => Some(
                online(n)
                    .ok()
                    .filter(|&n| topology::node_state(n, NodeState::Memory))
                    .ok_or(EINVAL)?,
            ),
        };
        // SAFETY: by the function's contract (a live handle, checked above).
        let home = NodeId::new(unsafe { nn_api_get_numa_node(h) });
        let max_rows = usize::try_from(max_inputs).map_err(|_| EINVAL)?;
        let b = batch::Batch::new(net.clone(), max_rows, batch::Batch::place(node, home))?;
        Ok(Arc::into_raw(b).cast_mut().cast::<c_void>())
    })();
    // SAFETY: by the function's contract.
    unsafe { hand_over(r, out) }
}

/// `neural_batch_process(batch, input, n_in, output, n_out)`: as [`nn_api_predict`]'s
/// checks, then at most the batch's `max_inputs` vectors run through its buffers over
/// the network's CPUs ([`batch::Batch::process`]).
///
/// # Safety
///
/// `b` is `NULL` or a batch from [`nn_api_batch_create`] not yet given to
/// [`nn_api_batch_destroy`]; `input` and `output` as for [`nn_api_predict`].
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_batch_process(
    b: *mut c_void,
    input: *const i16,
    n_in: usize,
    output: *mut i16,
    n_out: usize,
) -> c_int {
    to_status((|| {
        if b.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: a live batch from `Arc::into_raw` (the function's contract).
        let batch = unsafe { &*b.cast_const().cast::<batch::Batch>() };
        // SAFETY: by the function's contract.
        let (x, y) = unsafe { in_out(input, n_in, output, n_out) }?;
        batch.process(x, y)
    })())
}

/// `neural_batch_destroy(batch)`: frees the batch, giving back its reference on the
/// network. `NULL` does nothing.
///
/// # Safety
///
/// `b` is `NULL` or a batch from [`nn_api_batch_create`], not used again.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_batch_destroy(b: *mut c_void) {
    if b.is_null() {
        return;
    }
    // SAFETY: from `Arc::into_raw` in `nn_api_batch_create` (the function's contract),
    // taken back once.
    drop(unsafe { Arc::from_raw(b.cast_const().cast::<batch::Batch>()) });
}

/// Bit `bit` of the C bitmap `words`.
fn test_bit(words: &[c_ulong], bit: usize) -> bool {
    let per = c_ulong::BITS as usize;
    words
        .get(bit / per)
        .is_some_and(|w| (w >> (bit % per)) & 1 == 1)
}

/// Sets bit `bit` of the C bitmap `words` (nothing beyond it).
fn set_bit(words: &mut [c_ulong], bit: usize) {
    let per = c_ulong::BITS as usize;
    if let Some(w) = words.get_mut(bit / per) {
        *w |= 1 << (bit % per);
    }
}

/// The words of a C bitmap of `bits` bits.
fn bitmap_words(bits: c_uint) -> usize {
    (bits as usize).div_ceil(c_ulong::BITS as usize)
}

/// `neural_set_numa_nodemask(nn, nodes)`: the policy in force over the nodes of the
/// `nodemask_t` `bits` (`nr_nodes`, `MAX_NUMNODES`, bits), as `nodes LIST` in
/// `network_<id>/config`: checked as it is (`placement::placement_over`), then
/// re-placed. An empty mask: `EINVAL`.
///
/// # Safety
///
/// `h` as for [`nn_api_get_dims`]; `bits` `NULL` or valid for reads of a bitmap of
/// `nr_nodes` bits for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_set_nodemask(
    h: *mut c_void,
    bits: *const c_ulong,
    nr_nodes: c_uint,
) -> c_int {
    let prefix = "neural_set_numa_nodemask: ";
    to_status((|| {
        // SAFETY: by the function's contract.
        let net = unsafe { net_of(h) }?;
        if bits.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: `bits` is valid for a bitmap of `nr_nodes` bits (the contract), not null.
        let words = unsafe { core::slice::from_raw_parts(bits, bitmap_words(nr_nodes)) };
        let mut mask = NodeMask::new();
        for id in 0..nr_nodes {
            if test_bit(words, id as usize) && !mask.set(id) {
                return Err(EINVAL);
            }
        }
        if mask.is_empty() {
            pr_err!("{}an empty node mask\n", prefix);
            return Err(EINVAL);
        }
        let now = net.placement();
        let p = placement::placement_over(prefix, now.policy, now.node, mask);
        replace(net, "neural_set_numa_nodemask", p)
    })())
}

/// `neural_set_cpu_affinity(nn, mask)`: batches run on exactly the CPUs of `mask`, which
/// must have an online one (as `cpus LIST` in `network_<id>/config`); `NULL`: the
/// default mask, the CPUs of the weights' nodes (as `cpus default`).
///
/// # Safety
///
/// `h` as for [`nn_api_get_dims`]; `mask` `NULL` or a valid `struct cpumask` for the
/// call.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_set_cpus(
    h: *mut c_void,
    mask: *const kernel::bindings::cpumask,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract.
        let net = unsafe { net_of(h) }?;
        let cpus = if mask.is_null() {
            None
        } else {
            // SAFETY: a valid cpumask for the call (the function's contract), not null.
            let m = CpuMask::from_cpumask(unsafe { Cpumask::from_raw(mask) })?;
            if m.online().next().is_none() {
                pr_err!("neural_set_cpu_affinity: no CPU of the mask is online\n");
                return Err(EINVAL);
            }
            Some(m)
        };
        net.set_affinity(Some(cpus), None)
    })())
}

/// `neural_get_numa_info(info)`: the node states into the `nodemask_t` bitmaps `online`,
/// `memory` and `cpus` (`nr_nodes` bits each, zeroed by the caller), and each online
/// node's `MemTotal` and `MemFree` (KiB) into `total_kib` and `free_kib` by node id.
///
/// # Safety
///
/// Each pointer `NULL` or valid for writes of a bitmap of `nr_nodes` bits (the masks)
/// or of `nr_nodes` values (the arrays), each distinct from the others, for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_numa_info(
    online: *mut c_ulong,
    memory: *mut c_ulong,
    cpus: *mut c_ulong,
    total_kib: *mut u64,
    free_kib: *mut u64,
    nr_nodes: c_uint,
) -> c_int {
    let masks = [online, memory, cpus];
    if masks.iter().any(|p| p.is_null()) || total_kib.is_null() || free_kib.is_null() {
        return EINVAL.to_errno();
    }
    let (words, n) = (bitmap_words(nr_nodes), nr_nodes as usize);
    let states = [NodeState::Online, NodeState::Memory, NodeState::Cpu];
    for (p, state) in masks.into_iter().zip(states) {
        // SAFETY: valid for writes of `words` words, not null, distinct (the contract).
        let bits = unsafe { core::slice::from_raw_parts_mut(p, words) };
        for node in topology::nodes(state) {
            set_bit(bits, node.id() as usize);
        }
    }
    // SAFETY: as above, for `n` values each.
    let (total, free) = unsafe {
        (
            core::slice::from_raw_parts_mut(total_kib, n),
            core::slice::from_raw_parts_mut(free_kib, n),
        )
    };
    for node in topology::online_nodes() {
        let (Some(m), Some(t), Some(f)) = (
            topology::node_memory(node),
            total.get_mut(node.id() as usize),
            free.get_mut(node.id() as usize),
        ) else {
            continue;
        };
        (*t, *f) = (m.total_kib, m.free_kib);
    }
    0
}

/// What `neural_get_numa_stats()` reads of a network's counters: `struct
/// neural_numa_stats`'s first fields, in order (`NN_API_COUNTERS` in `api_helper.h`):
/// predictions, batches, local, cross_node, migrations, migrated_bytes,
/// migration_failures, train_steps, bytes.
type ApiCounters = [u64; 9];

/// Adds `bytes` of an array whose pages are `map` to `per_node`, by node id: split over
/// the nodes of its pages in proportion to its pages there (the last takes the rounding
/// remainder), as `numa_stats` counts them.
fn add_by_node(per_node: &mut [u64], bytes: usize, map: &PageMap) {
    let total = u64::from(map.pages());
    let bytes = bytes as u64;
    let mut left = bytes;
    let mut nodes = map.nodes().iter().filter(|e| e.pages > 0).peekable();
    while let Some(e) = nodes.next() {
        let share = match nodes.peek() {
            None => left,
            Some(_) => (bytes.saturating_mul(u64::from(e.pages)) / total.max(1)).min(left),
        };
        left -= share;
        if let Some(slot) = per_node.get_mut(e.node.id() as usize) {
            *slot = slot.saturating_add(share);
        }
    }
}

/// `neural_get_numa_stats(nn, stats)`: the network's counters into `c` ([`ApiCounters`]);
/// the bytes of its arrays by node into `node_bytes` (`nr_nodes` values, zeroed by the
/// caller); its CPU mask into `cpus` (cleared by the caller), and into `explicit`
/// whether it was set (1) or is the default (0).
///
/// # Safety
///
/// `h` as for [`nn_api_get_dims`]; each pointer `NULL` or valid for a write (of
/// `nr_nodes` values for `node_bytes`; `cpus` a valid `struct cpumask`), each distinct
/// from the others, for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_numa_stats(
    h: *mut c_void,
    c: *mut ApiCounters,
    node_bytes: *mut u64,
    nr_nodes: c_uint,
    cpus: *mut kernel::bindings::cpumask,
    explicit: *mut u32,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract.
        let net = unsafe { net_of(h) }?;
        if c.is_null() || node_bytes.is_null() || cpus.is_null() || explicit.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: valid for writes of `nr_nodes` values (the contract), not null.
        let per_node = unsafe { core::slice::from_raw_parts_mut(node_bytes, nr_nodes as usize) };
        let mut bytes = 0u64;
        net.for_each_buffer(|b| {
            bytes = bytes.saturating_add(b.bytes as u64);
            add_by_node(per_node, b.bytes, b.pages);
            Ok(())
        })?;
        let (mask, explicit_mask) = net.cpu_mask()?;
        // SAFETY: a valid cpumask for the call (the contract), not null, distinct.
        mask.copy_to(unsafe { Cpumask::from_raw_mut(cpus) });
        let s = &net.stats;
        let counters: ApiCounters = [
            s.predictions.load(Relaxed),
            s.batches.load(Relaxed),
            s.local.load(Relaxed),
            s.cross_node.load(Relaxed),
            s.migrations.load(Relaxed),
            s.migrated_bytes.load(Relaxed),
            s.migration_failures.load(Relaxed),
            s.train_steps.load(Relaxed),
            bytes,
        ];
        // SAFETY: not null, valid for writes (the function's contract).
        unsafe {
            c.write(counters);
            explicit.write(u32::from(explicit_mask));
        }
        Ok(())
    })())
}
