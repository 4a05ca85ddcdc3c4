// SPDX-License-Identifier: GPL-2.0

//! What one model brings to a network beyond its layers ([`ModelMem`]): the shape that
//! sizes a prediction's scratch, the work of one forward pass, where the model came from,
//! each possible CPU's scratch sized for that shape, and the budget's charge for the
//! whole network as that model made it.
//!
//! A [`Placed`](super::placed::Placed) holds it by reference: a re-placement's new
//! layers share their predecessor's (same model, same scratch), a model replacement
//! ([`Network::replace_model`](super::Network::replace_model)) brings a new one with its
//! new layers, published with them in one store. So every prediction reads the layers,
//! the shape and the scratch of one model, whichever it finds in force.

use kernel::prelude::*;
use kernel::sync::Arc;

use super::atomic::AtomicScratch;
use super::buffers::{
    Buffer,
    Pools, //
};
use super::scratch::{
    self,
    Scratch, //
};
use super::stats::Origin;
use crate::budget::Charge;
use crate::numa::stats::Held;
use crate::pure::batch::Shape;

/// A model's shape, origin, per-CPU scratch and charge.
pub(crate) struct ModelMem {
    /// The layers' shape, for the batch driver (`pure::batch`).
    pub(super) shape: Shape,
    /// Multiply-accumulates of one forward pass (the weights' count).
    pub(super) work: u64,
    /// Where the model came from.
    pub(super) origin: Origin,
    /// Each possible CPU's scratch for the predictions that may sleep.
    pub(super) scratch: KVec<Scratch>,
    /// Each possible CPU's scratch for atomic predictions.
    pub(super) atomic: KVec<AtomicScratch>,
    // Last: what the arrays above hold goes back to the NUMA counters, then the bytes of
    // the whole network as this model made it to the budget, once they are freed.
    _held: Held,
    pub(super) charge: Charge,
}

impl ModelMem {
    /// Allocates each possible CPU's scratch for `shape`; `charge` pays for the whole
    /// network ([`Network::footprint`](super::Network::footprint)).
    ///
    /// # Errors
    ///
    /// `ENOMEM`.
    pub(super) fn new(
        shape: Shape,
        work: u64,
        origin: Origin,
        charge: Charge,
        pools: &Pools,
    ) -> Result<Arc<Self>> {
        let scratch = scratch::alloc_scratch(shape.scratch_len(), pools)?;
        let atomic = scratch::alloc_atomic(shape.scratch_len_for(1))?;
        let mut held = Held::new(&pools.numa);
        scratch::each_scratch(&scratch, &atomic, |b| held.add(b.bytes, b.pages))?;
        held.publish();
        Ok(Arc::new(
            Self {
                shape,
                work,
                origin,
                scratch,
                atomic,
                _held: held,
                charge,
            },
            GFP_KERNEL,
        )?)
    }

    /// Calls `f` on the scratch buffers of every CPU.
    pub(super) fn each_buffer(&self, f: impl FnMut(&Buffer<'_>) -> Result) -> Result {
        scratch::each_scratch(&self.scratch, &self.atomic, f)
    }

    /// The bytes of every CPU's scratch.
    pub(super) fn bytes(&self) -> usize {
        let per_cpu =
            self.shape.scratch_len() + super::atomic::LEVELS * self.shape.scratch_len_for(1);
        self.scratch.len() * per_cpu * size_of::<i16>()
    }
}
