// SPDX-License-Identifier: GPL-2.0

//! The exports on a network, on Rust values: making one (`init`, `load`) and destroying
//! it, predicting, its dimensions and node, re-placing it (node, policy, migration, node
//! mask, CPU mask) and training it. Each `nn_api_*` function of [`super::ffi`] checks the
//! caller's pointers, calls one of these and writes what it returns.

use core::ffi::c_uint;

use kernel::prelude::*;
use kernel::sync::Arc;

use super::ffi::with_registry;
use crate::network::{
    Network,
    Owner,
    TrainReport, //
};
use crate::numa::cpumask::CpuMask;
use crate::numa::placement::{
    self,
    NumaPolicy,
    Placement, //
};
use crate::numa::topology::NodeId;
use crate::pure::activation::Activation;
use crate::pure::nodemask::NodeMask;
use crate::pure::train::{
    LR_MAX,
    MAX_EPOCHS,
    MAX_VALUES, //
};
use crate::pure::xavier::Plan;
use crate::Registry;

/// A trainable network `[inputs, hidden, outputs]` (`dims`), ReLU then linear,
/// Xavier-initialised, of `owner`: placed by the module parameters, or `preferred` on
/// the node `node` gives (checked after the shape); `hand` makes the caller's handle for
/// its id.
pub(super) fn init<T>(
    owner: Owner,
    dims: [usize; 3],
    node: Result<Option<NodeId>>,
    hand: impl FnOnce(&Registry, u32) -> Result<T>,
) -> Result<T> {
    let plan = Plan::new(&dims, &[Activation::Relu, Activation::Linear]).map_err(|e| {
        pr_err!("neural_network_init: {}\n", e.reason());
        EINVAL
    })?;
    let placement = match node? {
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
        hand(r, id)
    })
}

/// A network of `owner` from the model blob `blob`, placed by the module parameters;
/// `hand` as for [`init`].
pub(super) fn load<T>(
    owner: Owner,
    blob: &[u8],
    hand: impl FnOnce(&Registry, u32) -> Result<T>,
) -> Result<T> {
    with_registry(|r| {
        let id = r.load(blob, "neural_network_load", owner)?;
        hand(r, id)
    })
}

/// Replaces `net`'s model by the one in `blob`, for its owner (the caller, who holds
/// its handle): [`Network::replace_model`].
pub(super) fn replace_model(net: &Network, blob: &[u8]) -> Result {
    net.replace_model(blob, "neural_network_replace", *net.owner())
}

/// Removes `net` from the registry (its owner's right), if the API is still open.
pub(super) fn destroy(net: Arc<Network>) {
    let (id, owner) = (net.id(), *net.owner());
    let _ = with_registry(|r| r.remove(id, owner));
}

/// `inputs` (whole vectors of `net`, checked by the caller) into `outputs`.
pub(super) fn predict(net: &Network, inputs: &[i16], outputs: &mut [i16]) -> Result {
    net.predict_batch(inputs, outputs).map(|_| ())
}

/// One input vector into `outputs` without sleeping; `EINVAL` for more than one.
pub(super) fn predict_atomic(net: &Network, inputs: &[i16], outputs: &mut [i16]) -> Result {
    if inputs.len() != net.input_dim() {
        return Err(EINVAL);
    }
    net.predict_atomic(inputs, outputs)
}

/// The input and output lengths of `net`, then their fractional bits.
pub(super) fn dims(net: &Network) -> Result<[c_uint; 4]> {
    let dim = |d: usize| c_uint::try_from(d).map_err(|_| EINVAL);
    Ok([
        dim(net.input_dim())?,
        dim(net.output_dim())?,
        c_uint::from(net.input_frac()),
        c_uint::from(net.output_frac()),
    ])
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

/// A change of placement, as the caller asked for it.
pub(super) enum Placing {
    /// The same policy with this node (`neural_set_numa_node()`).
    Node(NodeId),
    /// This policy with the module's node and nodes (`neural_set_numa_policy()`).
    Policy(NumaPolicy),
    /// Everything to this node, exactly (`neural_migrate_numa_node()`).
    Migrate(NodeId),
}

/// Re-places `net` as `placement` says, logged as `what`.
fn replace(net: &Network, what: &str, placement: Result<Placement>) -> Result {
    net.replace(placement?, what).map(|_| ())
}

/// Re-places `net` as `how` says; a failure leaves it as it was.
pub(super) fn set_placement(net: &Network, how: Placing) -> Result {
    let now = net.placement();
    match how {
        Placing::Node(n) => {
            let prefix = "neural_set_numa_node: ";
            let p = placement::placement_over(prefix, now.policy, Some(n), now.nodes);
            replace(net, "neural_set_numa_node", p)
        }
        Placing::Policy(policy) => {
            let p = placement::placement_for("neural_set_numa_policy: ", Some(policy), None, None);
            replace(net, "neural_set_numa_policy", p)
        }
        Placing::Migrate(n) => {
            let p = placement::migrate_to("neural_migrate_numa_node: ", n);
            replace(net, "neural_migrate_numa_node", p)
        }
    }
}

/// The policy in force over the nodes of `mask` (`EINVAL` for none), checked as a
/// `nodes LIST` write is, then `net` re-placed.
pub(super) fn set_nodemask(net: &Network, mask: NodeMask) -> Result {
    let prefix = "neural_set_numa_nodemask: ";
    if mask.is_empty() {
        pr_err!("{}an empty node mask\n", prefix);
        return Err(EINVAL);
    }
    let now = net.placement();
    let p = placement::placement_over(prefix, now.policy, now.node, mask);
    replace(net, "neural_set_numa_nodemask", p)
}

/// Batches of `net` on exactly the CPUs of `cpus` (`EINVAL` if none is online), or
/// (`None`) on the default mask.
pub(super) fn set_cpus(net: &Network, cpus: Option<CpuMask>) -> Result {
    if let Some(m) = &cpus {
        if m.online().next().is_none() {
            pr_err!("neural_set_cpu_affinity: no CPU of the mask is online\n");
            return Err(EINVAL);
        }
    }
    net.set_affinity(Some(cpus), None)
}

/// `epochs` passes of SGD over `inputs` and `targets` with the limits of a
/// `network_<id>/train` write (`epochs` 1 to [`MAX_EPOCHS`], `lr` 1 to [`LR_MAX`],
/// `batch` at least 1, at most [`MAX_VALUES`] values in all), on a created network only
/// ([`Network::train`]); every argument checked before anything changes: `EINVAL`.
pub(super) fn train(
    net: &Network,
    inputs: &[i16],
    targets: &[i16],
    epochs: c_uint,
    lr: u32,
    batch: c_uint,
) -> Result<TrainReport> {
    if !net.trainable()
        || !(1..=MAX_EPOCHS).contains(&epochs)
        || !(1..=LR_MAX).contains(&lr)
        || batch == 0
        || inputs
            .len()
            .checked_add(targets.len())
            .is_none_or(|v| v > MAX_VALUES)
    {
        return Err(EINVAL);
    }
    let batch = usize::try_from(batch).map_err(|_| EINVAL)?;
    net.train(inputs, targets, epochs, lr, batch)
}
