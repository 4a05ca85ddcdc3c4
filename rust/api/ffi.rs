// SPDX-License-Identifier: GPL-2.0

//! The exported API's edge with C, and all its unsafe code but the BPF kfuncs'
//! (`bpf.rs`): every `nn_api_*` function that `rust/api_helper.c` calls. Each checks
//! the caller's pointers and lengths and turns them into references, slices and Rust
//! values, calls a safe function of [`super::network`], [`super::numa`] or
//! [`super::batch`] that does the work, and writes what that returns through the
//! caller's pointers (nothing on an error).
//!
//! In order:
//!
//! - the registry the exports reach ([`Exported`], [`with_registry`]);
//! - handles and batches as pointers ([`hand_out`], [`net_of`], [`take_handle`],
//!   [`share`], [`shared`], [`take_shared`]);
//! - the caller's arguments, checked: names, nodes, out-pointers, arrays ([`values`],
//!   [`in_out`], [`io_slices`]), C bitmaps and cpumasks. Every check gives `EINVAL`
//!   (`NULL`, misaligned, a length of 0 or beyond `isize::MAX` bytes, arrays that
//!   overlap), never a panic;
//! - the exports: on a network, on the NUMA topology and reports, on batches.

use core::ffi::{
    c_int,
    c_uint,
    c_ulong,
    c_void, //
};
use core::mem::MaybeUninit;
use core::ptr;
use core::sync::atomic::{
    AtomicPtr,
    Ordering, //
};

use kernel::bindings;
use kernel::cpumask::Cpumask;
use kernel::ffi::c_char;
use kernel::prelude::*;
use kernel::sync::Arc;

use super::batch::{
    self,
    Batch, //
};
use super::network::{
    self,
    Placing, //
};
use super::numa;
use crate::network::{
    Network,
    Owner, //
};
use crate::numa::cpumask::CpuMask;
use crate::numa::placement::NumaPolicy;
use crate::numa::topology::{
    self,
    NodeId,
    NodeState, //
};
use crate::pure::model::MAX_BLOB_LEN;
use crate::pure::nodemask::NodeMask;
use crate::pure::num::u32_as_usize;
use crate::Registry;

// The registry the exports reach.

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
pub(super) fn with_registry<R>(f: impl FnOnce(&Registry) -> Result<R>) -> Result<R> {
    let raw = REGISTRY.load(Ordering::Acquire);
    if raw.is_null() {
        return Err(ENODEV);
    }
    // SAFETY: not null, so `Exported::new` stored it and holds a reference on the
    // registry until its drop, at the start of the module's exit, which cannot begin
    // while a caller runs: a caller's module holds a reference on this one (its symbols).
    f(unsafe { &*raw })
}

// Handles and batches as pointers.

/// What a `struct neural_network *` points to.
struct Handle {
    net: Arc<Network>,
}

/// The network behind a handle from [`hand_out`]; `EINVAL` for `NULL`.
///
/// # Safety
///
/// `h` is `NULL` or a handle from [`hand_out`] not yet given to [`take_handle`], for
/// `'a`.
unsafe fn net_of<'a>(h: *mut c_void) -> Result<&'a Arc<Network>> {
    if h.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: by the function's contract, `h` is a live `Handle` from `KBox::into_raw`.
    Ok(unsafe { &(*h.cast::<Handle>()).net })
}

/// Room for a handle, made before the network: once the network exists, handing it out
/// cannot fail (a failure there would undo a network already counted in `numa_stats`:
/// tests/19-api-fault.sh saw `allocations_local` grow by a failed load's buffers).
fn handle_room() -> Result<KBox<MaybeUninit<Handle>>> {
    Ok(KBox::new_uninit(GFP_KERNEL)?)
}

/// Network `id` of the registry, boxed in `room` as a handle for the caller.
fn hand_out(room: KBox<MaybeUninit<Handle>>, registry: &Registry, id: u32) -> Result<*mut c_void> {
    let net = registry.get(id).ok_or(ENOENT)?;
    Ok(KBox::into_raw(room.write(Handle { net })).cast())
}

/// Frees the handle `h`, giving back its network; `None` for `NULL`.
///
/// # Safety
///
/// `h` is `NULL` or a handle from [`hand_out`], not used again.
unsafe fn take_handle(h: *mut c_void) -> Option<Arc<Network>> {
    if h.is_null() {
        return None;
    }
    // SAFETY: a live handle from `KBox::into_raw` (the function's contract), taken back
    // once.
    let handle = unsafe { KBox::from_raw(h.cast::<Handle>()) };
    Some(KBox::into_inner(handle).net)
}

/// `this` as the pointer a C caller keeps (a `struct neural_batch *`), until
/// [`take_shared`].
fn share<T>(this: Arc<T>) -> *mut c_void {
    Arc::into_raw(this).cast_mut().cast()
}

/// What a pointer from [`share`] points to; `EINVAL` for `NULL`.
///
/// # Safety
///
/// `p` is `NULL` or from [`share`] of an `Arc<T>`, not yet given to [`take_shared`], for
/// `'a`.
unsafe fn shared<'a, T>(p: *mut c_void) -> Result<&'a T> {
    if p.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: a live `T` from `Arc::into_raw` (the function's contract).
    Ok(unsafe { &*p.cast_const().cast::<T>() })
}

/// The `Arc` behind a pointer from [`share`]; `None` for `NULL`.
///
/// # Safety
///
/// `p` is `NULL` or from [`share`] of an `Arc<T>`, not used again.
unsafe fn take_shared<T>(p: *mut c_void) -> Option<Arc<T>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: from `Arc::into_raw` in `share` (the function's contract), taken back once.
    Some(unsafe { Arc::from_raw(p.cast_const().cast::<T>()) })
}

// The caller's arguments, checked.

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

/// Writes the pointer of `r` to `out` (the C side turns an error into `ERR_PTR`).
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
pub(super) fn to_status(r: Result) -> c_int {
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

/// An online node, or `EINVAL`.
fn online(node: c_int) -> Result<NodeId> {
    NodeId::new(node)
        .filter(|&n| topology::node_state(n, NodeState::Online))
        .ok_or(EINVAL)
}

/// The place `p` points to, for a write; `EINVAL` for `NULL`.
///
/// # Safety
///
/// `p` is `NULL` or valid for a write of a `T`, used by nothing else, for `'a`.
unsafe fn out_of<'a, T>(p: *mut T) -> Result<&'a mut T> {
    if p.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: not null, valid for a write and not used elsewhere (the function's
    // contract).
    Ok(unsafe { &mut *p })
}

/// Writes `v` to `p` unless it is `NULL` (an answer the caller did not ask for).
///
/// # Safety
///
/// `p` is `NULL` or valid for a write.
unsafe fn write_if_asked<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: not null, valid for a write (the function's contract).
        unsafe { p.write(v) };
    }
}

/// The `len` bytes at `p`: `EINVAL` for `NULL`, a length of 0 or above `max`.
///
/// # Safety
///
/// `p` is `NULL` or valid for reads of `len` bytes, not written meanwhile, for `'a`.
unsafe fn bytes<'a>(p: *const u8, len: usize, max: usize) -> Result<&'a [u8]> {
    if p.is_null() || len == 0 || len > max {
        return Err(EINVAL);
    }
    // SAFETY: `p` is valid for `len` bytes (the function's contract), not null, and
    // `len` at most `max` (a few MiB, far below `isize::MAX`).
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// A C caller's array of `n` values of `T` at `p`, as a range of addresses: `p` not
/// null and aligned, `n > 0`, within `isize::MAX` bytes; `EINVAL` otherwise.
fn span_of<T>(p: *const T, n: usize) -> Result<core::ops::Range<usize>> {
    if p.is_null() || !p.is_aligned() || n == 0 {
        return Err(EINVAL);
    }
    let bytes = n
        .checked_mul(size_of::<T>())
        .filter(|&b| isize::try_from(b).is_ok())
        .ok_or(EINVAL)?;
    let start = p.addr();
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

/// The `n` values at `p`, to write (`n` may be 0); `EINVAL` for `NULL`.
///
/// # Safety
///
/// `p` is `NULL` or valid for writes of `n` values, used by nothing else, for `'a`.
unsafe fn array_mut<'a, T>(p: *mut T, n: c_uint) -> Result<&'a mut [T]> {
    let n = usize::try_from(n).map_err(|_| EINVAL)?;
    if p.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: not null, valid for writes of `n` values and used by nothing else (the
    // function's contract).
    Ok(unsafe { core::slice::from_raw_parts_mut(p, n) })
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
    let (a, b) = (span_of(input, n_in)?, span_of(output.cast_const(), n_out)?);
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

/// The caller's arrays of `neural_network_predict()` as slices, after every check:
/// `EINVAL` for a `NULL` pointer, lengths that do not fit `net` (a positive multiple of
/// the input length, and as many outputs), arrays misaligned or overlapping.
///
/// # Safety
///
/// As for [`in_out`].
pub(super) unsafe fn io_slices<'a>(
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

/// The network behind `h` ([`net_of`]) and the caller's arrays for it ([`io_slices`]).
///
/// # Safety
///
/// `h` as for [`net_of`]; `input` and `output` as for [`in_out`].
unsafe fn net_io<'a>(
    h: *mut c_void,
    input: *const i16,
    n_in: usize,
    output: *mut i16,
    n_out: usize,
) -> Result<(&'a Arc<Network>, &'a [i16], &'a mut [i16])> {
    // SAFETY: by the function's contract.
    let net = unsafe { net_of(h) }?;
    // SAFETY: by the function's contract.
    let (x, y) = unsafe { io_slices(net, input, n_in, output, n_out) }?;
    Ok((net, x, y))
}

/// The bits of a C bitmap word.
const WORD_BITS: usize = u32_as_usize(c_ulong::BITS);

/// The words of a C bitmap of `bits` bits.
fn bitmap_words(bits: usize) -> usize {
    bits.div_ceil(WORD_BITS)
}

/// A C bitmap of `bits` bits at `p`, to read; `EINVAL` for `NULL`.
///
/// # Safety
///
/// `p` is `NULL` or valid for reads of a bitmap of `bits` bits, not written meanwhile,
/// for `'a`.
unsafe fn bitmap<'a>(p: *const c_ulong, bits: c_uint) -> Result<&'a [c_ulong]> {
    let words = bitmap_words(usize::try_from(bits).map_err(|_| EINVAL)?);
    if p.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: `p` is valid for a bitmap of `bits` bits (the contract), not null.
    Ok(unsafe { core::slice::from_raw_parts(p, words) })
}

/// A C bitmap of `bits` bits at `p`, to write; `EINVAL` for `NULL`.
///
/// # Safety
///
/// `p` is `NULL` or valid for writes of a bitmap of `bits` bits, used by nothing else,
/// for `'a`.
unsafe fn bitmap_mut<'a>(p: *mut c_ulong, bits: c_uint) -> Result<&'a mut [c_ulong]> {
    let words = bitmap_words(usize::try_from(bits).map_err(|_| EINVAL)?);
    if p.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: valid for writes of `words` words, not null, used by nothing else (the
    // contract).
    Ok(unsafe { core::slice::from_raw_parts_mut(p, words) })
}

/// Bit `bit` of the C bitmap `words`.
fn test_bit(words: &[c_ulong], bit: usize) -> bool {
    words
        .get(bit / WORD_BITS)
        .is_some_and(|w| (w >> (bit % WORD_BITS)) & 1 == 1)
}

/// The nodes of the C bitmap `words` of `bits` bits; `EINVAL` for a node a
/// [`NodeMask`] cannot hold.
fn node_mask(words: &[c_ulong], bits: c_uint) -> Result<NodeMask> {
    let mut mask = NodeMask::new();
    for id in 0..bits {
        let bit = usize::try_from(id).map_err(|_| EINVAL)?;
        if test_bit(words, bit) && !mask.set(id) {
            return Err(EINVAL);
        }
    }
    Ok(mask)
}

/// Sets bit `bit` of the C bitmap `words` (nothing beyond it).
pub(super) fn set_bit(words: &mut [c_ulong], bit: usize) {
    if let Some(w) = words.get_mut(bit / WORD_BITS) {
        *w |= 1 << (bit % WORD_BITS);
    }
}

/// The `struct cpumask` at `p`; `None` for `NULL`.
///
/// # Safety
///
/// `p` is `NULL` or a valid `struct cpumask`, not written meanwhile, for `'a`.
unsafe fn cpumask<'a>(p: *const bindings::cpumask) -> Option<&'a Cpumask> {
    if p.is_null() {
        return None;
    }
    // SAFETY: not null, a valid cpumask for `'a` (the function's contract).
    Some(unsafe { Cpumask::from_raw(p) })
}

/// The `struct cpumask` at `p`, to write; `EINVAL` for `NULL`.
///
/// # Safety
///
/// `p` is `NULL` or a valid `struct cpumask`, used by nothing else, for `'a`.
unsafe fn cpumask_mut<'a>(p: *mut bindings::cpumask) -> Result<&'a mut Cpumask> {
    if p.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: not null, a valid cpumask used by nothing else for `'a` (the contract).
    Ok(unsafe { Cpumask::from_raw_mut(p) })
}

// The exports on a network.

/// `neural_network_init(in, hidden, out)` and `neural_network_init_numa(..., node)`: a
/// trainable network `[in, hidden, out]`, ReLU then linear, Xavier-initialised from the
/// kernel's RNG; placed by the module parameters, or `preferred` on `node`
/// ([`network::init`]).
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
        let dim = |v: c_uint| usize::try_from(v).map_err(|_| EINVAL);
        let dims = [dim(inputs)?, dim(hidden)?, dim(outputs)?];
        let room = handle_room()?;
        network::init(owner, dims, node_arg(node), |r, id| hand_out(room, r, id))
    })();
    // SAFETY: by the function's contract.
    unsafe { hand_over(r, out) }
}

/// `neural_network_load(blob, len)`: a network from a model blob (model-format.rst), at
/// most `MAX_BLOB_LEN` bytes, placed by the module parameters ([`network::load`]).
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
        let (owner, blob) = unsafe { (owner_of(owner)?, bytes(blob, len, MAX_BLOB_LEN)?) };
        let room = handle_room()?;
        network::load(owner, blob, |r, id| hand_out(room, r, id))
    })();
    // SAFETY: by the function's contract.
    unsafe { hand_over(r, out) }
}

/// `neural_network_replace(nn, blob, len)`: the network's model replaced by the one in
/// `blob` (same input and output widths and formats), at most `MAX_BLOB_LEN` bytes
/// ([`network::replace_model`]).
///
/// # Safety
///
/// `h` as for [`nn_api_predict`]; `blob` as for [`nn_api_load`].
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_replace(
    h: *mut c_void,
    blob: *const u8,
    len: usize,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract.
        let (net, blob) = unsafe { (net_of(h)?, bytes(blob, len, MAX_BLOB_LEN)?) };
        network::replace_model(net, blob)
    })())
}

/// `neural_network_destroy(nn)`: removes the network (its debugfs directory goes; open
/// files keep it alive until closed) and frees the handle. `NULL` does nothing.
///
/// # Safety
///
/// `h` is `NULL` or a handle from [`nn_api_init`] or [`nn_api_load`], not used again.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_destroy(h: *mut c_void) {
    // SAFETY: by the function's contract.
    let Some(net) = (unsafe { take_handle(h) }) else {
        return;
    };
    network::destroy(net);
}

/// `neural_network_predict(nn, in, n_in, out, n_out)`: `n_in / input_dim` input vectors
/// (at least one, `n_in` a multiple of the input length) into `n_out` values (that many
/// times the output length), in the network's fixed-point formats, on the caller's CPU.
/// The lengths are checked against the network, and the two arrays for alignment and
/// overlap, before either is touched: `EINVAL` ([`io_slices`]).
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
        let (net, inputs, outputs) = unsafe { net_io(h, input, n_in, output, n_out) }?;
        network::predict(net, inputs, outputs)
    })())
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
        let (net, inputs, outputs) = unsafe { net_io(h, input, n_in, output, n_out) }?;
        network::predict_atomic(net, inputs, outputs)
    })())
}

/// `neural_network_get_dims(nn, &in, &out)`: the lengths of an input and an output
/// vector, and their fractional bits (`in_frac`, `out_frac`; either pointer may be
/// `NULL`), each written once all are known (the pointers may alias).
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
        let values = network::dims(net)?;
        for (p, v) in [inputs, outputs, in_frac, out_frac].into_iter().zip(values) {
            // SAFETY: by the function's contract.
            unsafe { write_if_asked(p, v) };
        }
        Ok(())
    })())
}

/// `neural_get_numa_node(nn)`: [`network::home_node`]; `NUMA_NO_NODE` if none.
///
/// # Safety
///
/// As for [`nn_api_get_dims`].
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_get_numa_node(h: *mut c_void) -> c_int {
    // SAFETY: by the function's contract.
    match unsafe { net_of(h) } {
        Ok(net) => network::home_node(net).map_or(-1, NodeId::as_raw),
        Err(e) => e.to_errno(),
    }
}

/// `neural_set_numa_node(nn, node)`: the same policy with `node` (as `node N` in
/// `network_<id>/config`); `neural_set_numa_policy(nn, policy)`: policy `policy` (0 to
/// 4, as `neural_numa_policy`) with the module's node and nodes (as `policy NAME`);
/// `neural_migrate_numa_node(nn, node)`: everything to `node`, exactly (bind, as `migrate
/// N`). What `which` selects: 0, 1, 2 in that order ([`Placing`]). The network keeps
/// serving; a failure leaves it as it was.
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
        let how = match which {
            0 => Placing::Node(node_arg(value)?.ok_or(EINVAL)?),
            1 => Placing::Policy(NumaPolicy::try_from(value)?),
            2 => Placing::Migrate(node_arg(value)?.ok_or(EINVAL)?),
            _ => return Err(EINVAL),
        };
        network::set_placement(net, how)
    })())
}

/// `neural_set_numa_nodemask(nn, nodes)`: the policy in force over the nodes of the
/// `nodemask_t` `bits` (`nr_nodes`, `MAX_NUMNODES`, bits), as `nodes LIST` in
/// `network_<id>/config`: checked as it is (`placement::placement_over`), then
/// re-placed ([`network::set_nodemask`]). An empty mask: `EINVAL`.
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
    to_status((|| {
        // SAFETY: by the function's contract.
        let (net, words) = unsafe { (net_of(h)?, bitmap(bits, nr_nodes)?) };
        network::set_nodemask(net, node_mask(words, nr_nodes)?)
    })())
}

/// `neural_set_cpu_affinity(nn, mask)`: batches run on exactly the CPUs of `mask`, which
/// must have an online one (as `cpus LIST` in `network_<id>/config`); `NULL`: the
/// default mask, the CPUs of the weights' nodes (as `cpus default`)
/// ([`network::set_cpus`]).
///
/// # Safety
///
/// `h` as for [`nn_api_get_dims`]; `mask` `NULL` or a valid `struct cpumask` for the
/// call.
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_set_cpus(
    h: *mut c_void,
    mask: *const bindings::cpumask,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract.
        let (net, mask) = unsafe { (net_of(h)?, cpumask(mask)) };
        let cpus = mask.map(CpuMask::from_cpumask).transpose()?;
        network::set_cpus(net, cpus)
    })())
}

/// What `neural_network_train()` reports: `struct neural_train_report`'s fields, in
/// order (`NN_API_TRAIN_REPORT` in `api_helper.h`): samples, epochs, first and last loss.
type ApiTrainReport = [u64; 4];

/// `neural_network_train(nn, inputs, n_in, targets, n_targets, epochs, lr, batch,
/// report)`: `epochs` passes of SGD over `n_in / input_dim` samples with the limits of a
/// `network_<id>/train` write ([`network::train`]), on a created network only. Every
/// argument is checked before anything changes: `EINVAL`. The report is written once
/// training is done.
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
        // SAFETY: by the function's contract (`inputs` and `targets` are only read: they
        // may overlap).
        let (net, x, t) = unsafe {
            (
                net_of(h)?,
                values(inputs, n_in)?,
                values(targets, n_targets)?,
            )
        };
        let r = network::train(net, x, t, epochs, lr, batch)?;
        let r = [
            u64::try_from(r.samples).unwrap_or(u64::MAX),
            u64::from(r.epochs),
            r.first_loss,
            r.last_loss,
        ];
        // SAFETY: by the function's contract.
        unsafe { write_if_asked(report, r) };
        Ok(())
    })())
}

// The exports on the NUMA topology and the NUMA reports.

/// `neural_get_numa_node_count()`: the online nodes.
#[no_mangle]
pub(crate) extern "C" fn nn_api_node_count() -> c_int {
    c_int::try_from(numa::node_count()).unwrap_or(c_int::MAX)
}

/// `neural_get_numa_distance(from, to)`: the firmware's distance (10 is local) between
/// two online nodes; `-EINVAL` otherwise.
#[no_mangle]
pub(crate) extern "C" fn nn_api_distance(from: c_int, to: c_int) -> c_int {
    match (online(from), online(to)) {
        (Ok(a), Ok(b)) => c_int::try_from(numa::distance(a, b)).unwrap_or(c_int::MAX),
        _ => EINVAL.to_errno(),
    }
}

/// `neural_numa_node_has_memory(node)`: 1 if the online node `node` has memory, 0 if
/// not, `-EINVAL` if it is not online.
#[no_mangle]
pub(crate) extern "C" fn nn_api_has_memory(node: c_int) -> c_int {
    match online(node) {
        Ok(n) => c_int::from(numa::has_memory(n)),
        Err(e) => e.to_errno(),
    }
}

/// `neural_find_best_numa_node()`: where a network made now should go for the calling
/// CPU ([`numa::best_node`]); `-ENODEV` if no node has memory.
#[no_mangle]
pub(crate) extern "C" fn nn_api_best_node() -> c_int {
    numa::best_node().map_or(ENODEV.to_errno(), NodeId::as_raw)
}

/// `neural_get_numa_info(info)`: the node states into the `nodemask_t` bitmaps `online`,
/// `memory` and `cpus` (`nr_nodes` bits each, zeroed by the caller), and each online
/// node's `MemTotal` and `MemFree` (KiB) into `total_kib` and `free_kib` by node id
/// ([`numa::info`]).
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
    to_status((|| {
        // SAFETY: by the function's contract (each pointer checked before any is written).
        let (masks, total, free) = unsafe {
            (
                [
                    bitmap_mut(online, nr_nodes)?,
                    bitmap_mut(memory, nr_nodes)?,
                    bitmap_mut(cpus, nr_nodes)?,
                ],
                array_mut(total_kib, nr_nodes)?,
                array_mut(free_kib, nr_nodes)?,
            )
        };
        numa::info(masks, total, free)
    })())
}

/// What `neural_get_numa_stats()` reads of a network's counters: `struct
/// neural_numa_stats`'s first fields, in order (`NN_API_COUNTERS` in `api_helper.h`):
/// predictions, batches, local, cross_node, migrations, migrated_bytes,
/// migration_failures, train_steps, bytes.
pub(super) type ApiCounters = [u64; 9];

/// `neural_get_numa_stats(nn, stats)`: the network's counters into `c` ([`ApiCounters`]);
/// the bytes of its arrays by node into `node_bytes` (`nr_nodes` values, zeroed by the
/// caller); its CPU mask into `cpus` (cleared by the caller), and into `explicit` whether
/// it was set (1) or is the default (0) ([`numa::stats`]).
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
    cpus: *mut bindings::cpumask,
    explicit: *mut u32,
) -> c_int {
    to_status((|| {
        // SAFETY: by the function's contract (each pointer checked before any is written).
        let (net, c, per_node, cpus, explicit) = unsafe {
            (
                net_of(h)?,
                out_of(c)?,
                array_mut(node_bytes, nr_nodes)?,
                cpumask_mut(cpus)?,
                out_of(explicit)?,
            )
        };
        let (counters, explicit_mask) = numa::stats(net, per_node, cpus)?;
        *c = counters;
        *explicit = u32::from(explicit_mask);
        Ok(())
    })())
}

// The exports on batches.

/// `neural_batch_create_numa(nn, max_inputs, node)` and `neural_batch_create(nn,
/// max_inputs)` (`node` -1): a [`Batch`] of `max_inputs` vectors (1 to
/// `NEURAL_BATCH_MAX_INPUTS`) of the network, its buffers on `node` (an online node with
/// memory) or on the network's node ([`batch::create`]).
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
        // `NUMA_NO_NODE`, or an online node (with memory: `batch::create` checks).
        let node = match node {
            -1 => None,
            n => Some(online(n)?),
        };
        let max_rows = usize::try_from(max_inputs).map_err(|_| EINVAL)?;
        Ok(share(batch::create(net, max_rows, node)?))
    })();
    // SAFETY: by the function's contract.
    unsafe { hand_over(r, out) }
}

/// `neural_batch_process(batch, input, n_in, output, n_out)`: as [`nn_api_predict`]'s
/// checks, then at most the batch's `max_inputs` vectors run through its buffers over
/// the network's CPUs ([`Batch::process`]).
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
        // SAFETY: by the function's contract.
        let (batch, (x, y)) = unsafe { (shared::<Batch>(b)?, in_out(input, n_in, output, n_out)?) };
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
    // SAFETY: by the function's contract.
    drop(unsafe { take_shared::<Batch>(b) });
}
