// SPDX-License-Identifier: GPL-2.0

//! The exports on a network: making one (`init`, `load`) and destroying it, predicting,
//! its dimensions and node, re-placing it (node, policy, migration, node mask, CPU
//! mask) and training it. Each takes its pointers through [`super::ffi`] first.

use core::ffi::{
    c_int,
    c_uint,
    c_ulong,
    c_void, //
};

use kernel::ffi::c_char;
use kernel::prelude::*;

use super::ffi::{
    self,
    hand_out,
    node_arg,
    to_status,
    with_registry, //
};
use crate::network::Network;
use crate::numa::cpumask::CpuMask;
use crate::numa::placement::{
    self,
    NumaPolicy,
    Placement, //
};
use crate::numa::topology::NodeId;
use crate::pure::activation::Activation;
use crate::pure::model::MAX_BLOB_LEN;
use crate::pure::nodemask::NodeMask;
use crate::pure::train::{
    LR_MAX,
    MAX_EPOCHS,
    MAX_VALUES, //
};
use crate::pure::xavier::Plan;

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
        let owner = unsafe { ffi::owner_of(owner) }?;
        let dim = |v: c_uint| usize::try_from(v).map_err(|_| EINVAL);
        let dims = [dim(inputs)?, dim(hidden)?, dim(outputs)?];
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
    unsafe { ffi::hand_over(r, out) }
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
        let (owner, blob) =
            unsafe { (ffi::owner_of(owner)?, ffi::bytes(blob, len, MAX_BLOB_LEN)?) };
        with_registry(|r| {
            let id = r.load(blob, "neural_network_load", owner)?;
            hand_out(r, id)
        })
    })();
    // SAFETY: by the function's contract.
    unsafe { ffi::hand_over(r, out) }
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
    let Some(net) = (unsafe { ffi::take_handle(h) }) else {
        return;
    };
    let (id, owner) = (net.id(), *net.owner());
    let _ = with_registry(|r| r.remove(id, owner));
}

/// `neural_network_predict(nn, in, n_in, out, n_out)`: `n_in / input_dim` input vectors
/// (at least one, `n_in` a multiple of the input length) into `n_out` values (that many
/// times the output length), in the network's fixed-point formats, on the caller's CPU.
/// The lengths are checked against the network, and the two arrays for alignment and
/// overlap, before either is touched: `EINVAL` ([`ffi::io_slices`]).
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
        let (net, inputs, outputs) = unsafe { ffi::net_io(h, input, n_in, output, n_out) }?;
        net.predict_batch(inputs, outputs).map(|_| ())
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
        let (net, inputs, outputs) = unsafe { ffi::net_io(h, input, n_in, output, n_out) }?;
        if n_in != net.input_dim() {
            return Err(EINVAL);
        }
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
        let net = unsafe { ffi::net_of(h) }?;
        let dim = |d: usize| c_uint::try_from(d).map_err(|_| EINVAL);
        let values = [
            (inputs, dim(net.input_dim())?),
            (outputs, dim(net.output_dim())?),
            (in_frac, c_uint::from(net.input_frac())),
            (out_frac, c_uint::from(net.output_frac())),
        ];
        for (p, v) in values {
            // SAFETY: by the function's contract.
            unsafe { ffi::write_if_asked(p, v) };
        }
        Ok(())
    })())
}

/// Where `net` went: the node of the first page of its first layer's weights, else the
/// node of its placement; `None` if neither.
pub(super) fn home_node(net: &Network) -> Option<NodeId> {
    let mut first = None;
    let _ = net.for_each_layer(|i, l| {
        if i == 0 {
            first = l.node();
        }
        Ok(())
    });
    first.or(net.placement().node)
}

/// `neural_get_numa_node(nn)`: [`home_node`]; `NUMA_NO_NODE` if none.
///
/// # Safety
///
/// As for [`nn_api_get_dims`].
#[no_mangle]
pub(crate) unsafe extern "C" fn nn_api_get_numa_node(h: *mut c_void) -> c_int {
    // SAFETY: by the function's contract.
    match unsafe { ffi::net_of(h) } {
        Ok(net) => home_node(net).map_or(-1, NodeId::as_raw),
        Err(e) => e.to_errno(),
    }
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
        let net = unsafe { ffi::net_of(h) }?;
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
        let (net, words) = unsafe { (ffi::net_of(h)?, ffi::bitmap(bits, nr_nodes)?) };
        let mut mask = NodeMask::new();
        for id in 0..nr_nodes {
            let bit = usize::try_from(id).map_err(|_| EINVAL)?;
            if ffi::test_bit(words, bit) && !mask.set(id) {
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
        let (net, mask) = unsafe { (ffi::net_of(h)?, ffi::cpumask(mask)) };
        let cpus = match mask {
            None => None,
            Some(mask) => {
                let m = CpuMask::from_cpumask(mask)?;
                if m.online().next().is_none() {
                    pr_err!("neural_set_cpu_affinity: no CPU of the mask is online\n");
                    return Err(EINVAL);
                }
                Some(m)
            }
        };
        net.set_affinity(Some(cpus), None)
    })())
}

/// What `neural_network_train()` reports: `struct neural_train_report`'s fields, in
/// order (`NN_API_TRAIN_REPORT` in `api_helper.h`): samples, epochs, first and last loss.
type ApiTrainReport = [u64; 4];

/// `neural_network_train(nn, inputs, n_in, targets, n_targets, epochs, lr, batch,
/// report)`: `epochs` passes of SGD over `n_in / input_dim` samples with the limits of a
/// `network_<id>/train` write (`epochs` 1 to [`MAX_EPOCHS`], `lr` 1 to [`LR_MAX`],
/// `batch` at least 1, `n_in + n_targets` at most [`MAX_VALUES`]), on a created network
/// only; [`Network::train`] does it. Every argument is checked before anything changes:
/// `EINVAL`.
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
                ffi::net_of(h)?,
                ffi::values(inputs, n_in)?,
                ffi::values(targets, n_targets)?,
            )
        };
        if !net.trainable()
            || !(1..=MAX_EPOCHS).contains(&epochs)
            || !(1..=LR_MAX).contains(&lr)
            || batch == 0
            || n_in.checked_add(n_targets).is_none_or(|v| v > MAX_VALUES)
        {
            return Err(EINVAL);
        }
        let batch = usize::try_from(batch).map_err(|_| EINVAL)?;
        let r = net.train(x, t, epochs, lr, batch)?;
        let r = [
            u64::try_from(r.samples).unwrap_or(u64::MAX),
            u64::from(r.epochs),
            r.first_loss,
            r.last_loss,
        ];
        // SAFETY: by the function's contract.
        unsafe { ffi::write_if_asked(report, r) };
        Ok(())
    })())
}
