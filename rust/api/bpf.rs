// SPDX-License-Identifier: GPL-2.0

//! BPF programs call the engine: the kfuncs `bpf_neural_network_acquire()`,
//! `bpf_neural_network_predict()` and `bpf_neural_network_release()`
//! (`Documentation/neural_network/api.rst`, "BPF programs").
//!
//! The kfuncs themselves are C (`bpf_helper.c`: the module's BTF is made from its C
//! objects only), as is the table of networks by id they look up. Here:
//!
//! - [`register`], from the module's init: the kfunc set, for the program types of
//!   `bpf_helper.c`; on a kernel without BPF or module BTF, nothing but a log line;
//! - [`Published`], the registry's attachment that keeps a network in that table while
//!   it exists (a network is reachable from BPF by the id debugfs shows);
//! - `nn_bpf_predict`, what `bpf_neural_network_predict()` calls: the checks of
//!   `neural_network_predict_atomic()` on one input vector, then the atomic path.

use core::ffi::{
    c_int,
    c_void, //
};
use core::ptr::NonNull;

use kernel::prelude::*;
use kernel::sync::Arc;

use super::ffi::{
    io_slices,
    to_status, //
};
use crate::network::Network;
use crate::registry::Attach;

extern "C" {
    fn nn_bpf_register() -> c_int;
    fn nn_bpf_publish(
        net: *const c_void,
        id: u32,
        inputs: u32,
        outputs: u32,
        out: *mut *mut c_void,
    ) -> c_int;
    fn nn_bpf_unpublish(entry: *mut c_void);
}

/// Registers the kfuncs with BPF (once, from the module's init: the kernel has no way
/// to take them back; they go with the module's BTF at unload, and a loaded program
/// that calls them holds a reference on the module).
///
/// # Errors
///
/// What `register_btf_kfunc_id_set()` returns (logged). A kernel without BPF or module
/// BTF is not an error: the kfuncs are absent and the log says so.
pub(crate) fn register() -> Result {
    // SAFETY: a C function without arguments, called from the module's init.
    kernel::error::to_result(unsafe { nn_bpf_register() })
}

/// A network in the table the kfuncs look up, by its id, for as long as this lives: the
/// registry's attachment beside the network's debugfs directory.
pub(crate) struct Published {
    /// The table's entry (`struct bpf_neural_network`), from `nn_bpf_publish`.
    entry: NonNull<c_void>,
    /// The network the entry points to: it outlives the entry (see [`Drop`]).
    _net: Arc<Network>,
}

// SAFETY: the entry is used only through `nn_bpf_unpublish`, which may run on any task;
// the kfuncs that share it count their references atomically.
unsafe impl Send for Published {}

impl Attach for Published {
    type Ctx = ();

    /// Publishes `net` by its id.
    fn attach((): &(), net: &Arc<Network>) -> Result<Self> {
        let dim = |n: usize| u32::try_from(n).map_err(|_| EINVAL);
        let mut entry = core::ptr::null_mut();
        // SAFETY: the network pointer stays valid while the entry is published or held
        // (`_net` below keeps it, and `Drop` unpublishes before it goes); `entry` is
        // valid for a write.
        kernel::error::to_result(unsafe {
            nn_bpf_publish(
                Arc::as_ptr(net).cast(),
                net.id(),
                dim(net.input_dim())?,
                dim(net.output_dim())?,
                &mut entry,
            )
        })?;
        Ok(Self {
            entry: NonNull::new(entry).ok_or(ENOMEM)?,
            _net: net.clone(),
        })
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        // SAFETY: the entry from `nn_bpf_publish`, unpublished once. It returns when no
        // BPF program holds the entry any more, before `_net` is dropped.
        unsafe { nn_bpf_unpublish(self.entry.as_ptr()) };
    }
}

/// `bpf_neural_network_predict()`: one input vector of `n_in` values at `input` into
/// `n_out` values at `output`, without sleeping; `EINVAL` for lengths that are not one
/// vector's, `NULL`, misaligned or overlapping arrays (nothing written), `EAGAIN` as
/// for `neural_network_predict_atomic()`.
///
/// # Safety
///
/// `net` is the network of a published entry that the caller holds (a reference from
/// `bpf_neural_network_acquire()`); `input` is valid for reads of `n_in` values and
/// `output` for writes of `n_out` values for the call (the BPF verifier checks both
/// against the program's memory).
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_bpf_predict(
    net: *const c_void,
    input: *const i16,
    n_in: usize,
    output: *mut i16,
    n_out: usize,
) -> c_int {
    // SAFETY: a live network while its entry is held (the function's contract).
    let net = unsafe { &*net.cast::<Network>() };
    to_status((|| {
        // SAFETY: by the function's contract.
        let (x, y) = unsafe { io_slices(net, input, n_in, output, n_out) }?;
        super::network::predict_atomic(net, x, y)
    })())
}
