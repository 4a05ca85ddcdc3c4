// SPDX-License-Identifier: GPL-2.0

//! A network's placed memory ([`Placed`]): its layers where one placement put them, the
//! table of `replicate` copies, and what the layers hold on each node.
//!
//! A network publishes one `Placed` at a time ([`crate::sync::published::Published`]); a
//! re-placement builds a whole new one from the old ([`copy_layers`]) and publishes it in
//! one store, so a prediction reads one placement from its first layer to its last.
//!
//! Lock order: the parameter rwsem is level 4 in the crate root's list
//! (`neural_network_main.rs`).

use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::sync::Arc;

use super::atomic::AtomicReaders;
use super::buffers::{
    each_buffer,
    Pools, //
};
use super::cache::Cache;
use super::layer::{
    Layer,
    LayerBox,
    TrainMem, //
};
use super::model_mem::ModelMem;
use crate::numa::mem::{
    Array,
    NodeVec, //
};
use crate::numa::placement::{
    NetworkPlacement,
    Placement, //
};
use crate::numa::slab::SlabBox;
use crate::numa::stats::{
    Held,
    NumaStats, //
};
use crate::numa::topology::{
    self,
    NodeId, //
};
use crate::pure::nodemask::NodeMask;
use crate::pure::num::u32_as_usize;
use crate::pure::rng::Rng;
use crate::sync::rwsem::RwSem;

/// The parameters under the network's lock.
pub(super) struct Params {
    pub(super) layers: KVec<LayerBox>,
    /// Stochastic rounding of training updates.
    pub(super) rng: Rng,
}

/// The layers of a network as one placement put them.
#[pin_data]
pub(crate) struct Placed {
    placement: Placement,
    #[pin]
    pub(super) params: RwSem<Params>,
    /// The atomic predictions reading `params` without its lock: a writer closes them
    /// out after it holds the lock for writing (`network/atomic.rs`).
    pub(super) readers: AtomicReaders,
    /// The prediction cache of these layers, on their first layer's node.
    #[pin]
    pub(super) cache: Cache,
    /// `replicate`: the node of each copy of the weights (the first copy's first), and
    /// for each node id the copy its CPUs read (the nearest); both empty for a network
    /// with one copy.
    copy_nodes: KVec<NodeId>,
    copy_of: KVec<u16>,
    /// For each copy (the first, then the replicas), the node that holds every page of
    /// its weights and biases, `None` when they are spread over several nodes.
    copy_home: KVec<Option<NodeId>>,
    /// `replicate`: rows predicted from each copy (in the order of `copy_nodes`).
    copy_reads: KVec<Atomic<u64>>,
    // Last: the counters of what the layers hold go down when they are freed; then the
    // model's scratch and charge go, if no other `Placed` shares them.
    _held: Held,
    /// The model these layers are of: its shape, scratch and charge (`model_mem.rs`).
    pub(super) model: Arc<ModelMem>,
}

impl Placed {
    /// Wraps `layers` (placed by `placement`) of the model `model`, with the counters of
    /// what they hold.
    pub(super) fn new(
        layers: KVec<LayerBox>,
        rng: Rng,
        placement: Placement,
        numa: &Arc<NumaStats>,
        model: Arc<ModelMem>,
    ) -> Result<Pin<KBox<Self>>> {
        let first = layers.first().ok_or(EINVAL)?;
        let last = layers.last().ok_or(EINVAL)?;
        let (inputs, outputs, place) = (first.inputs, last.outputs, first.wanted);
        let (copy_nodes, copy_of) = copy_table(first)?;
        let mut copy_reads = KVec::with_capacity(copy_nodes.len(), GFP_KERNEL)?;
        for _ in 0..copy_nodes.len() {
            copy_reads.push(Atomic::new(0), GFP_KERNEL)?;
        }
        let copy_home = copy_homes(&layers)?;
        let mut held = Held::new(numa);
        each_buffer(&layers, |b| held.add(b.bytes, b.pages))?;
        held.publish();
        KBox::pin_init(
            pin_init!(Self {
                placement,
                params <- RwSem::new(
                    Params { layers, rng },
                    c"neural_network:params",
                    kernel::static_lock_class!()
                ),
                readers: AtomicReaders::new(),
                cache <- Cache::new(inputs, outputs, place),
                copy_nodes,
                copy_of,
                copy_home,
                copy_reads,
                _held: held,
                model,
            }),
            GFP_KERNEL,
        )
    }

    /// The placement the layers were put by.
    pub(crate) fn placement(&self) -> Placement {
        self.placement
    }

    /// The copy of the weights a CPU of `node` reads (0 unless replicated).
    ///
    /// The UMA fast path: a network with a single copy (every policy but `replicate`,
    /// `replicate` over one node, or NUMA compiled out) has no copy table.
    pub(super) fn copy_for(&self, node: Option<NodeId>) -> usize {
        if self.copy_of.is_empty() {
            return 0;
        }
        node.and_then(|n| self.copy_of.get(u32_as_usize(n.id())))
            .map_or(0, |&k| usize::from(k))
    }

    /// Counts `rows` rows predicted from copy `copy`.
    pub(super) fn count_copy_reads(&self, copy: usize, rows: u64) {
        if let Some(c) = self.copy_reads.get(copy) {
            c.fetch_add(rows, Relaxed);
        }
    }

    /// Whether copy `copy` lies wholly on `node`: a prediction from a CPU of `node` that
    /// reads it is local, any other is cross-node.
    pub(super) fn is_local(&self, copy: usize, node: Option<NodeId>) -> bool {
        match (self.copy_home.get(copy), node) {
            (Some(Some(home)), Some(n)) => *home == n,
            // Without NUMA (no node known) nothing is remote.
            (_, None) => true,
            _ => false,
        }
    }

    /// The nodes of the copies (`replicate`) with the rows predicted from each: `None`
    /// for a network with one copy.
    pub(crate) fn copy_reads(&self) -> Option<impl Iterator<Item = (NodeId, u64)> + '_> {
        if self.copy_of.is_empty() {
            return None;
        }
        Some(
            self.copy_nodes
                .iter()
                .zip(self.copy_reads.iter())
                .map(|(&n, c)| (n, c.load(Relaxed))),
        )
    }

    /// Calls `f` on each layer, under the read lock.
    pub(crate) fn for_each_layer(&self, mut f: impl FnMut(usize, &Layer) -> Result) -> Result {
        let params = self.params.read();
        for (i, l) in params.layers.iter().enumerate() {
            f(i, l)?;
        }
        Ok(())
    }

    /// The bytes of the layers, copies and training memory included.
    pub(crate) fn bytes(&self) -> usize {
        layer_bytes(&self.params.read().layers)
    }

    /// Whether any page of the layers (any copy, the training memory) is on `node`.
    pub(crate) fn uses_node(&self, node: NodeId) -> bool {
        let params = self.params.read();
        let mut found = false;
        let _ = each_buffer(&params.layers, |b| {
            found |= b
                .pages
                .nodes()
                .iter()
                .any(|e| e.node == node && e.pages > 0);
            Ok(())
        });
        found
    }

    /// The nodes that hold a page of the weights or biases (of any copy): a prediction
    /// reads those; the default CPU mask is their CPUs (`affinity`).
    pub(crate) fn weight_nodes(&self) -> NodeMask {
        let params = self.params.read();
        let mut nodes = NodeMask::new();
        let _ = each_buffer(&params.layers, |b| {
            if matches!(
                b.kind,
                "weights" | "bias" | "weights_replica" | "bias_replica"
            ) {
                for e in b.pages.nodes().iter().filter(|e| e.pages > 0) {
                    nodes.set(e.node.id());
                }
            }
            Ok(())
        });
        nodes
    }
}

/// The bytes of every buffer of `layers`, copies included: what a re-placement
/// allocates before it frees the old.
pub(super) fn layer_bytes(layers: &[LayerBox]) -> usize {
    layers
        .iter()
        .map(|l| l.bytes() * (1 + l.copies.len()) + l.train_bytes())
        .sum()
}

/// The layers of `src` anew where `placed` puts them: weights and biases copied, the
/// training memory zeroed (a training call zeroes its gradients first), the copies of
/// `replicate` made from the new first copy.
///
/// # Errors
///
/// `ENOMEM` when memory cannot be had where the policy allows; everything allocated so
/// far is freed.
pub(super) fn copy_layers(
    src: &[LayerBox],
    placed: &NetworkPlacement,
    pools: &Pools,
) -> Result<KVec<LayerBox>> {
    let mut layers = KVec::with_capacity(src.len(), GFP_KERNEL)?;
    for (i, s) in src.iter().enumerate() {
        let place = |bytes| placed.layer(i, bytes);
        let wanted = place(s.weights.bytes());
        let weights = s.weights.copy_to(wanted)?;
        let bias = NodeVec::from_iter(s.bias.len(), place(0), s.bias.iter().copied())?;
        let train = match &s.train {
            Some((plan, _)) => Some((*plan, TrainMem::new(s.inputs, s.outputs, place)?)),
            None => None,
        };
        let mut layer = Layer {
            inputs: s.inputs,
            outputs: s.outputs,
            activation: s.activation,
            out_frac: s.out_frac,
            requant: s.requant,
            format: s.format,
            in_shift: s.in_shift,
            wanted,
            weights,
            bias,
            train,
            copies: KVec::new(),
        };
        layer.replicate(placed.copies(wanted), &pools.replicas)?;
        layers.push(SlabBox::new(&pools.layers, layer, wanted)?, GFP_KERNEL)?;
    }
    Ok(layers)
}

/// The copy table of a network whose every layer has copies where `first` has them:
/// the copies' nodes, and for each node id below `MAX_NUMNODES` the index of the
/// nearest copy. Empty for a layer with no copies.
fn copy_table(first: &Layer) -> Result<(KVec<NodeId>, KVec<u16>)> {
    let Some(home) = first.weights.node().filter(|_| !first.copies.is_empty()) else {
        return Ok((KVec::new(), KVec::new()));
    };
    let mut nodes = KVec::with_capacity(first.copies.len() + 1, GFP_KERNEL)?;
    nodes.push(home, GFP_KERNEL)?;
    for r in first.copies.iter() {
        nodes.push(r.node, GFP_KERNEL)?;
    }
    let mask = NodeMask::from_nodes(nodes.iter().map(|n| n.id()));
    let limit = topology::max_numnodes();
    let mut of = KVec::with_capacity(u32_as_usize(limit), GFP_KERNEL)?;
    for id in 0..limit {
        let near = crate::pure::nodes::nearest_in(&topology::Live, id, mask);
        let k = near
            .and_then(|n| nodes.iter().position(|m| m.id() == n))
            .unwrap_or(0);
        of.push(u16::try_from(k).unwrap_or(0), GFP_KERNEL)?;
    }
    Ok((nodes, of))
}

/// The one node of each copy's pages (weights and biases of every layer), `None` for a
/// copy spread over several nodes.
fn copy_homes(layers: &[LayerBox]) -> Result<KVec<Option<NodeId>>> {
    let copies = layers.first().map_or(0, |l| l.copies.len());
    let mut homes = KVec::with_capacity(copies + 1, GFP_KERNEL)?;
    for k in 0..=copies {
        let mut home: Option<Option<NodeId>> = None;
        let mut see = |v: &dyn Array| {
            for e in v.pages().nodes().iter().filter(|e| e.pages > 0) {
                home = match home {
                    None => Some(Some(e.node)),
                    Some(Some(h)) if h == e.node => Some(Some(h)),
                    _ => Some(None),
                };
            }
        };
        for l in layers.iter() {
            match k.checked_sub(1).and_then(|r| l.copies.get(r)) {
                Some(r) => {
                    see(r.weights.array());
                    see(&r.bias);
                }
                None => {
                    see(l.weights.array());
                    see(&l.bias);
                }
            }
        }
        homes.push(home.flatten(), GFP_KERNEL)?;
    }
    Ok(homes)
}
