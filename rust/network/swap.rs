// SPDX-License-Identifier: GPL-2.0

//! Model replacement (hot-swap): a network's model replaced whole by another of the same
//! input and output widths and formats, its hidden shape free, while the network serves
//! ([`Network::replace_model`]).
//!
//! The network keeps its id, owner, placement (policy and nodes: the new layers are
//! placed by the placement in force), CPU mask, settings and counters; what belongs to the
//! model goes with the model: its layers, their shape, each CPU's scratch (sized for the
//! new shape), its origin and its budget charge ([`ModelMem`](super::model_mem)), and the
//! prediction cache (the new layers come with an empty one). All of it is one new
//! [`Placed`], published in one store as a re-placement publishes its layers
//! (`network/replace.rs`): every prediction, atomic ones included, reads one `Placed`
//! from its first layer to its last, so it is answered wholly by the old model or wholly
//! by the new. A batch's rows may be answered some by the old model and the rest by the
//! new, each row wholly by one. The old model's memory is freed after the SRCU grace
//! period, once no prediction can still read it.
//!
//! The network becomes what the new model is: a model is loaded, so `origin` becomes
//! `loaded crc32 <the new blob's>`, and a network that was created (trainable) is not
//! trainable any more (its `train` file stays and answers `EINVAL`). Training calls and
//! re-placements hold the update mutex for their whole length, as a replacement does: a
//! replacement waits for a training call in flight to end, and a training call that
//! comes after finds the new model.
//!
//! The budget: the new model's whole footprint ([`Network::model_footprint`]) is checked
//! against `neural_max_network_mb` and charged before anything is allocated, so the old
//! and the new model both count against `neural_max_total_mb` until the swap; the old
//! model's charge is given back when its memory is freed. A refusal (malformed blob,
//! widths or formats that differ, a limit, no memory, an injected fault, another owner)
//! changes nothing: the old model keeps serving, each refusal with a log line such as
//! `replace: network_3: widths differ (in 4 out 2, network 8 -> 3)` (the new model's
//! widths, then the network's).

use kernel::prelude::*;
use kernel::sync::atomic::Relaxed;

use super::buffers;
use super::owner::Owner;
use super::placed::Placed;
use super::stats::Origin;
use super::Network;
use crate::budget::{
    self,
    MemLimits, //
};
use crate::pure::model::Model;
use crate::pure::rng::Rng;

impl Network {
    /// Replaces the model with the one in `blob`, for `by` (the network's owner only);
    /// `what` starts the log lines. Predictions go on meanwhile; training calls and
    /// re-placements wait.
    ///
    /// # Errors
    ///
    /// `EBUSY` for another owner than the network's; `EINVAL` for a malformed blob, or a
    /// model whose input or output width or format differs from the network's; `EFBIG`
    /// over `neural_max_network_mb`, `ENOMEM` over the memory available or when memory
    /// cannot be had where the policy allows, `ENOSPC` over `neural_max_total_mb`. Nothing
    /// is changed then.
    pub(crate) fn replace_model(&self, blob: &[u8], what: &str, by: Owner) -> Result {
        let id = self.id;
        if by != self.owner {
            pr_err!(
                "{}: network_{} belongs to module {}, which replaces its model\n",
                what,
                id,
                self.owner.name().unwrap_or("neural_network")
            );
            return Err(EBUSY);
        }
        let parsed = Model::parse(blob).map_err(|e| {
            pr_err!("{}: network_{}: model rejected: {}\n", what, id, e.reason());
            EINVAL
        })?;
        let (inputs, outputs) = (
            parsed.input_dim(),
            parsed.layers().last().map_or(0, |l| l.outputs),
        );
        if inputs != self.input_dim || outputs != self.output_dim {
            pr_err!(
                "{}: network_{}: widths differ (in {} out {}, network {} -> {})\n",
                what,
                id,
                inputs,
                outputs,
                self.input_dim,
                self.output_dim
            );
            return Err(EINVAL);
        }
        let out_frac = parsed.layers().last().map_or(0, |l| l.out_frac);
        if parsed.input_frac() != self.input_frac || out_frac != self.output_frac {
            pr_err!(
                "{}: network_{}: formats differ (input frac {} output frac {}, network {} -> {})\n",
                what,
                id,
                parsed.input_frac(),
                out_frac,
                self.input_frac,
                self.output_frac
            );
            return Err(EINVAL);
        }
        let crc = parsed.checksum();
        let bytes = Self::model_footprint(&parsed).unwrap_or(u64::MAX);
        let limits = MemLimits::from_params();
        if bytes > limits.network {
            pr_err!(
                "{}: network_{}: the model needs {} bytes, over the limit of {} bytes per network (neural_max_network_mb={})\n",
                what,
                id,
                bytes,
                limits.network,
                crate::params::max_network_mb()
            );
            return Err(EFBIG);
        }
        let _update = self.update.lock();
        let placement = self.placed.read().placement();
        let made = (|| {
            let budget = self.placed.read().model.charge.budget().clone();
            let charge =
                budget::charge_available(&budget, format_args!("{what}: network_{id}"), bytes)?;
            let layers = Self::model_layers(id, &parsed, &placement, &self.pools)?;
            let mem = Self::model_mem(&layers, Origin::Loaded { crc }, charge, &self.pools)?;
            Placed::new(layers, Rng::from_seed(0), placement, &self.pools.numa, mem)
        })();
        let new = made.inspect_err(|e| {
            pr_err!(
                "{}: network_{}: model not replaced (error {}); the old one still serves\n",
                what,
                id,
                e.to_errno()
            );
        })?;
        // Out of every read-side section: `replace` waits for every reader.
        let old = self.placed.replace(new);
        // The new model's allocations count in `numa_stats` once they serve.
        {
            let placed = self.placed.read();
            let params = placed.params.read();
            let mut count = |b: &buffers::Buffer<'_>| {
                self.pools.numa.count_buffer(b.pages, b.fell_back);
                Ok(())
            };
            let _ = buffers::each_buffer(&params.layers, &mut count);
            let _ = placed.model.each_buffer(&mut count);
        }
        let was = old.model.origin;
        // The old layers, scratch and charge: no prediction can read them any more.
        drop(old);
        self.stats.replacements.fetch_add(1, Relaxed);
        let layers = parsed.n_layers();
        match was {
            Origin::Loaded { crc: c } => pr_info!(
                "{}: network_{}: model replaced (crc32 {:#010x} -> {:#010x}, {} layers, {} bytes)\n",
                what,
                id,
                c,
                crc,
                layers,
                bytes
            ),
            Origin::Created { seed } => pr_info!(
                "{}: network_{}: model replaced (created seed {} -> crc32 {:#010x}, {} layers, {} bytes); not trainable any more\n",
                what,
                id,
                seed,
                crc,
                layers,
                bytes
            ),
        }
        Ok(())
    }
}
