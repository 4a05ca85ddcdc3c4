// SPDX-License-Identifier: GPL-2.0

//! The exported API's edge with C: the registry the exports reach, handles and batches
//! as pointers, and every raw pointer and length a caller gives, checked and turned into
//! a reference or a slice. Every unsafe operation of the API is here: the `nn_api_*`
//! functions of the other files are `unsafe extern "C"` for their raw pointers, and
//! their only `unsafe` blocks call these (at their top, to turn the caller's pointers
//! into references and slices, and [`hand_over`] at the end), under their own contract.
//!
//! Every check gives `EINVAL` (`NULL`, misaligned, a length of 0 or beyond
//! `isize::MAX` bytes, arrays that overlap), never a panic.

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

use kernel::bindings;
use kernel::cpumask::Cpumask;
use kernel::ffi::c_char;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::network::{
    Network,
    Owner, //
};
use crate::numa::topology::{
    self,
    NodeId,
    NodeState, //
};
use crate::pure::num::u32_as_usize;
use crate::Registry;

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
pub(super) unsafe fn net_of<'a>(h: *mut c_void) -> Result<&'a Arc<Network>> {
    if h.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: by the function's contract, `h` is a live `Handle` from `KBox::into_raw`.
    Ok(unsafe { &(*h.cast::<Handle>()).net })
}

/// Network `id` of the registry, boxed as a handle for the caller.
pub(super) fn hand_out(registry: &Registry, id: u32) -> Result<*mut c_void> {
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

/// Frees the handle `h`, giving back its network; `None` for `NULL`.
///
/// # Safety
///
/// `h` is `NULL` or a handle from [`hand_out`], not used again.
pub(super) unsafe fn take_handle(h: *mut c_void) -> Option<Arc<Network>> {
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
pub(super) fn share<T>(this: Arc<T>) -> *mut c_void {
    Arc::into_raw(this).cast_mut().cast()
}

/// What a pointer from [`share`] points to; `EINVAL` for `NULL`.
///
/// # Safety
///
/// `p` is `NULL` or from [`share`] of an `Arc<T>`, not yet given to [`take_shared`], for
/// `'a`.
pub(super) unsafe fn shared<'a, T>(p: *mut c_void) -> Result<&'a T> {
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
pub(super) unsafe fn take_shared<T>(p: *mut c_void) -> Option<Arc<T>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: from `Arc::into_raw` in `share` (the function's contract), taken back once.
    Some(unsafe { Arc::from_raw(p.cast_const().cast::<T>()) })
}

/// The caller's module name as an [`Owner`].
///
/// # Safety
///
/// `owner` is `NULL` or a NUL-terminated string valid for the call.
pub(super) unsafe fn owner_of(owner: *const c_char) -> Result<Owner> {
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
pub(super) unsafe fn hand_over(r: Result<*mut c_void>, out: *mut *mut c_void) -> c_int {
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
pub(super) fn node_arg(node: c_int) -> Result<Option<NodeId>> {
    if node == -1 {
        return Ok(None);
    }
    NodeId::new(node).map(Some).ok_or(EINVAL)
}

/// An online node, or `EINVAL`.
pub(super) fn online(node: c_int) -> Result<NodeId> {
    NodeId::new(node)
        .filter(|&n| topology::node_state(n, NodeState::Online))
        .ok_or(EINVAL)
}

/// The place `p` points to, for a write; `EINVAL` for `NULL`.
///
/// # Safety
///
/// `p` is `NULL` or valid for a write of a `T`, used by nothing else, for `'a`.
pub(super) unsafe fn out_of<'a, T>(p: *mut T) -> Result<&'a mut T> {
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
pub(super) unsafe fn write_if_asked<T>(p: *mut T, v: T) {
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
pub(super) unsafe fn bytes<'a>(p: *const u8, len: usize, max: usize) -> Result<&'a [u8]> {
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
pub(super) unsafe fn values<'a>(p: *const i16, n: usize) -> Result<&'a [i16]> {
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
pub(super) unsafe fn array_mut<'a, T>(p: *mut T, n: c_uint) -> Result<&'a mut [T]> {
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
pub(super) unsafe fn in_out<'a>(
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
pub(super) unsafe fn net_io<'a>(
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
pub(super) unsafe fn bitmap<'a>(p: *const c_ulong, bits: c_uint) -> Result<&'a [c_ulong]> {
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
pub(super) unsafe fn bitmap_mut<'a>(p: *mut c_ulong, bits: c_uint) -> Result<&'a mut [c_ulong]> {
    let words = bitmap_words(usize::try_from(bits).map_err(|_| EINVAL)?);
    if p.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: valid for writes of `words` words, not null, used by nothing else (the
    // contract).
    Ok(unsafe { core::slice::from_raw_parts_mut(p, words) })
}

/// Bit `bit` of the C bitmap `words`.
pub(super) fn test_bit(words: &[c_ulong], bit: usize) -> bool {
    words
        .get(bit / WORD_BITS)
        .is_some_and(|w| (w >> (bit % WORD_BITS)) & 1 == 1)
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
pub(super) unsafe fn cpumask<'a>(p: *const bindings::cpumask) -> Option<&'a Cpumask> {
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
pub(super) unsafe fn cpumask_mut<'a>(p: *mut bindings::cpumask) -> Result<&'a mut Cpumask> {
    if p.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: not null, a valid cpumask used by nothing else for `'a` (the contract).
    Ok(unsafe { Cpumask::from_raw_mut(p) })
}
