// SPDX-License-Identifier: GPL-2.0

//! A network in the kernel: its layers in node-placed memory, and inference.
//!
//! Each layer's weights and biases are [`NodeVec`](crate::numa::mem::NodeVec)s on the node
//! [`placement`](crate::numa::placement) picks. The layers sit behind a reader-writer
//! semaphore: any number of CPUs predict at once (readers); a training step (the writer)
//! has them to itself.
//!
//! Prediction runs in scratch space set up with the network's model, one buffer per
//! possible CPU on that CPU's node, each behind its own mutex (the zswap pattern: a task
//! that migrates mid-prediction keeps using, and holding, the buffer of the CPU it started
//! on, so correctness never depends on staying put). Callers that bring their own scratch
//! use [`Network::predict_with`].
//!
//! Lock order: the update and affinity mutexes (fields of [`Network`]) are level 2, the
//! scratch mutexes level 5, in the crate root's list (`neural_network_main.rs`).
//!
//! Prediction allocates nothing but the prediction cache's table: the first prediction of
//! one input that may sleep and finds the cache on without a table makes it
//! (`network/predict.rs` says when that happens); atomic predictions never allocate.
//!
//! Before any of its memory is allocated, a network's [`Network::footprint`] (the bytes
//! of all its arrays) is charged to the module's [`Budget`](crate::budget::Budget); the
//! model in force keeps the [`Charge`](crate::budget::Charge) (`network/model_mem.rs`)
//! and gives the bytes back when its memory is freed.
//!
//! What depends on the model (its layers, their shape, each CPU's scratch, its origin
//! and charge) is reached through the published [`Placed`]; what stays for the network's
//! life (id, input and output widths and formats, owner, CPU mask, settings, counters)
//! is here. So a model can be replaced whole by another of the same widths
//! ([`Network::replace_model`], `network/swap.rs`).
//!
//! This file holds the [`Network`] and its accessors; the rest is in `network/`:

mod affinity; // the CPU mask of a network's batches, and what ran on each CPU
pub(crate) mod atomic; // predictions that never sleep: atomic readers and scratch
mod buffers; // the module's slab caches, and the list of a network's layer buffers
mod build; // building a network: its footprint, from a model or a topology
pub(crate) mod cache; // the prediction cache, and a network's cache timeout
mod layer; // one dense layer in node-placed memory, its copies, its training memory
mod model_mem; // what one model brings beyond its layers: shape, per-CPU scratch, charge
mod owner; // who made a network
mod placed; // the layers as one placement put them, and the copy table of `replicate`
mod predict; // the predict paths, and the `simd` setting
mod replace; // re-placement while predictions run, and a node's evacuation
pub(crate) mod rounds; // a batch's rows in chunks over the CPUs of its mask (debugfs predict, API batches)
mod scratch; // each possible CPU's scratch space
mod stats; // where a network came from, its counters, and the tally of a request
mod swap; // a model replaced by another of the same widths while predictions run
mod train; // training a created network: the SGD loop

use affinity::Affinity;
pub(crate) use affinity::CpuCounts;
use buffers::Buffer;
pub(crate) use buffers::Pools;
use layer::Layer;
pub(crate) use owner::Owner;
pub(crate) use placed::Placed;
pub(crate) use replace::evacuation;
use stats::Stats;
pub(crate) use stats::{
    Origin,
    Tally, //
};
pub(crate) use train::TrainReport;

use core::sync::atomic::{
    AtomicBool,
    AtomicU32, //
};

use kernel::prelude::*;
use kernel::sync::atomic::Atomic;
use kernel::sync::Mutex;

use crate::numa::placement::Placement;
use crate::sync::published::{
    Published,
    ReadGuard, //
};

/// A network.
///
/// Its layers are a [`Placed`], published under SRCU: a prediction reads the one in force
/// without waiting for a re-placement ([`Network::replace`]), which builds a new one,
/// publishes it and frees the old once no prediction can see it.
#[pin_data]
pub(crate) struct Network {
    id: u32,
    input_dim: usize,
    input_frac: u8,
    output_dim: usize,
    output_frac: u8,
    /// Who made it: the module's faces, or a module through the exported API.
    owner: Owner,
    /// The layers in force.
    #[pin]
    placed: Published<Placed>,
    /// Serialises what changes the layers: training steps, re-placements and model
    /// replacements.
    #[pin]
    update: Mutex<()>,
    pools: Pools,
    /// `cache_timeout` set in `config` (ms), or `u32::MAX`: the module parameter's.
    cache_ms: AtomicU32,
    /// `simd 0` in `config`: every layer of this network runs scalar.
    no_simd: AtomicBool,
    /// How the CPU mask is chosen (`cpus`, `avoid_cpu0` in `config`).
    #[pin]
    affinity: Mutex<Affinity>,
    /// Where batches start picking CPUs of the mask, so that writers take turns.
    next_cpu: Atomic<u32>,
    /// What ran on each CPU (`cpu_affinity`).
    per_cpu: KVec<CpuCounts>,
    /// Counters.
    pub(crate) stats: Stats,
}

impl Network {
    /// The id (`network_<id>` in debugfs).
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// Length of an input vector.
    pub(crate) fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// Fractional bits of the input.
    pub(crate) fn input_frac(&self) -> u8 {
        self.input_frac
    }

    /// Length of an output vector.
    pub(crate) fn output_dim(&self) -> usize {
        self.output_dim
    }

    /// Fractional bits of the output.
    pub(crate) fn output_frac(&self) -> u8 {
        self.output_frac
    }

    /// Where the model in force came from.
    pub(crate) fn origin(&self) -> Origin {
        self.placed.read().model.origin
    }

    /// Who made it.
    pub(crate) fn owner(&self) -> &Owner {
        &self.owner
    }

    /// The placement in force (given at creation, or by the last re-placement).
    pub(crate) fn placement(&self) -> Placement {
        self.placed.read().placement()
    }

    /// The layers in force, for as long as the guard lives (an SRCU read-side section:
    /// a re-placement meanwhile waits to free them).
    pub(crate) fn placed(&self) -> ReadGuard<'_, Placed> {
        self.placed.read()
    }

    /// Multiply-accumulates of one forward pass (of one input vector).
    pub(crate) fn work_per_row(&self) -> u64 {
        self.placed.read().model.work
    }

    /// The bytes of all its arrays as allocated: layers, training memory and scratch
    /// (what [`Network::footprint`] predicts).
    pub(crate) fn bytes(&self) -> usize {
        let placed = self.placed.read();
        let params = placed.params.read();
        let layers: usize = params
            .layers
            .iter()
            .map(|l| l.bytes() + l.train_bytes())
            .sum();
        layers + placed.model.bytes()
    }

    /// The scratch length [`Network::predict_with`] needs (for the model in force): for
    /// the KUnit suites.
    #[cfg(CONFIG_NEURAL_NETWORK_KUNIT_TEST)]
    pub(crate) fn scratch_len(&self) -> usize {
        self.placed.read().model.shape.scratch_len()
    }

    /// Calls `f` on every buffer of the network (layers in order, then the CPUs'
    /// scratch), under the read lock.
    pub(crate) fn for_each_buffer(&self, mut f: impl FnMut(&Buffer<'_>) -> Result) -> Result {
        let placed = self.placed.read();
        let params = placed.params.read();
        buffers::each_buffer(&params.layers, &mut f)?;
        placed.model.each_buffer(f)
    }

    /// Calls `f` on each layer, under the read lock.
    pub(crate) fn for_each_layer(&self, f: impl FnMut(usize, &Layer) -> Result) -> Result {
        self.placed.read().for_each_layer(f)
    }

    /// Whether [`Network::train`] works on this network: its model in force was created
    /// from a topology (a network created so and then given a loaded model by
    /// [`Network::replace_model`] is not trainable any more).
    pub(crate) fn trainable(&self) -> bool {
        matches!(self.origin(), Origin::Created { .. })
    }
}
