// SPDX-License-Identifier: GPL-2.0

//! Re-placement: a network's layers moved to where another placement puts them, while
//! the network serves predictions ([`Network::replace`]), and the placement that takes a
//! network off a node ([`evacuation`]).
//!
//! The order is the one RCU asks for: the new layers are allocated and filled first
//! (weights and biases copied, training memory zeroed, `replicate`'s copies made), then
//! published in one store, then the old layers are freed once no prediction can still
//! be reading them. A prediction reads the old layers or the new ones, whole, and never
//! waits. Anything that fails before the store (no memory where the policy allows, over
//! a memory limit, an injected fault) frees what was allocated and leaves the old layers
//! serving, untouched; the failure is counted and logged.
//!
//! While they are being copied, the old and the new layers both exist: the new bytes are
//! charged to the module's budget ([`crate::budget`]) for that time, against
//! `neural_max_total_mb`.

use kernel::prelude::*;
use kernel::sync::atomic::Relaxed;

use super::buffers;
use super::placed::{
    self,
    Placed, //
};
use super::Network;
use crate::budget;
use crate::numa::placement::{
    NumaPolicy,
    Placement, //
};
use crate::numa::topology::{
    self,
    Live,
    NodeId, //
};
use crate::pure::nodes::{
    self,
    Topology, //
};
use crate::pure::num::usize_as_u64;

/// What a re-placement did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Replaced {
    /// Bytes of the new layers (weights, biases, their copies, training memory).
    pub(crate) bytes: usize,
    /// Buffers that went to another node than the one intended (`preferred`).
    pub(crate) fallbacks: usize,
}

impl Network {
    /// Moves the layers to where `placement` puts them (`what` names the request in the
    /// log), while predictions go on. Training steps and other re-placements wait.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when memory cannot be had where the policy allows, `ENOSPC` over
    /// `neural_max_total_mb`: the old layers keep serving, unchanged.
    pub(crate) fn replace(&self, placement: Placement, what: &str) -> Result<Replaced> {
        let _update = self.update.lock();
        let before = self.placed.read().placement();
        match self.replace_locked(placement) {
            Ok(r) => {
                self.stats.migrations.fetch_add(1, Relaxed);
                self.stats
                    .migrated_bytes
                    .fetch_add(usize_as_u64(r.bytes), Relaxed);
                self.pools.numa.count_migration(usize_as_u64(r.bytes));
                pr_info!(
                    "network_{}: {}: re-placed from {} to {}, {} bytes moved\n",
                    self.id,
                    what,
                    format_args!("{before}"),
                    format_args!("{placement}"),
                    r.bytes
                );
                if r.fallbacks > 0 {
                    pr_info!(
                        "network_{}: {} buffer(s) did not fit on {} and went to the nearest node with room\n",
                        self.id,
                        r.fallbacks,
                        format_args!("{}", placement.intended())
                    );
                }
                Ok(r)
            }
            Err(e) => {
                self.stats.migration_failures.fetch_add(1, Relaxed);
                self.pools.numa.count_migration_failure();
                pr_err!(
                    "network_{}: {}: re-placement to {} failed (error {}); {} still serves\n",
                    self.id,
                    what,
                    format_args!("{placement}"),
                    e.to_errno(),
                    format_args!("{before}")
                );
                Err(e)
            }
        }
    }

    /// [`Network::replace`], under the update mutex.
    fn replace_locked(&self, placement: Placement) -> Result<Replaced> {
        let target = placement.for_network(self.id);
        let (layers, rng, charge, model) = {
            let old = self.placed.read();
            let params = old.params.read();
            // What the new layers will take, copies included, before any is allocated.
            let bytes: usize = params
                .layers
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let wanted = target.layer(i, l.weights.bytes());
                    l.bytes() * (1 + target.copies(wanted).count()) + l.train_bytes()
                })
                .sum();
            // Both the old and the new layers exist until the new are published.
            let charge = budget::charge_available(
                old.model.charge.budget(),
                format_args!("network_{}: re-placement", self.id),
                usize_as_u64(bytes),
            )?;
            let layers = placed::copy_layers(&params.layers, &target, &self.pools)?;
            (layers, params.rng.clone(), charge, old.model.clone())
        };
        // Out of the read-side section: `replace` waits for every reader, this one too.
        // The same model: its scratch, shape and charge go on to the new layers.
        let new = Placed::new(layers, rng, placement, &self.pools.numa, model)?;
        let old = self.placed.replace(new);
        // The new layers' allocations count in `numa_stats` once they serve.
        let (mut bytes, mut fallbacks) = (0, 0);
        {
            let placed = self.placed.read();
            let params = placed.params.read();
            let _ = buffers::each_buffer(&params.layers, |b| {
                bytes += b.bytes;
                fallbacks += usize::from(b.fell_back);
                self.pools.numa.count_buffer(b.pages, b.fell_back);
                Ok(())
            });
        }
        drop(old);
        drop(charge);
        Ok(Replaced { bytes, fallbacks })
    }
}

/// The free memory a node must have, beyond a network's bytes, to be the target of an
/// evacuation: 4 MiB, so that the page allocator's watermarks do not push its pages on.
const EVACUATION_HEADROOM: u64 = 4 << 20;

/// Where a network of `bytes` (its layers, [`Placed::bytes`]) placed by `p` goes to
/// leave node `node`: the same policy over the other nodes of its mask with memory;
/// `local` and `preferred`, and an interleave mask left without memory, go `preferred`
/// to the nearest node (by distance from `node`) whose free memory holds `bytes` with
/// [`EVACUATION_HEADROOM`] to spare, or if none does, to the nearest node with memory.
/// `None` when the network may only be on `node` (`bind` or `replicate` to it alone), or
/// no other node has memory.
pub(crate) fn evacuation(p: &Placement, node: NodeId, bytes: usize) -> Option<Placement> {
    let mut rest = p.nodes;
    rest.clear(node.id());
    let elsewhere = || {
        let mut others = nodes::memory_nodes(&Live);
        others.clear(node.id());
        let need = usize_as_u64(bytes).saturating_add(EVACUATION_HEADROOM);
        let roomy = nodes::by_distance(&Live, node.id(), others)
            .find(|&n| Live.free_kib(n).saturating_mul(1024) >= need);
        let near = roomy
            .or_else(|| nodes::nearest_in(&Live, node.id(), others))
            .and_then(topology::node_of)?;
        Placement::check(NumaPolicy::Preferred, Some(near), None).ok()
    };
    let rest = rest.and(&nodes::memory_nodes(&Live));
    let has_memory = !rest.is_empty();
    match p.policy {
        NumaPolicy::Local | NumaPolicy::Preferred => elsewhere(),
        NumaPolicy::Interleave if has_memory => {
            Placement::check(NumaPolicy::Interleave, None, Some(rest)).ok()
        }
        NumaPolicy::Interleave => elsewhere(),
        NumaPolicy::Bind | NumaPolicy::Replicate if has_memory => {
            Placement::check(p.policy, None, Some(rest)).ok()
        }
        NumaPolicy::Bind | NumaPolicy::Replicate => None,
    }
}
