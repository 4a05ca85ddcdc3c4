// SPDX-License-Identifier: GPL-2.0

//! One dense layer of a network in node-placed memory ([`Layer`], an object of the
//! `neural_layer` cache on the layer's node), for `replicate` its copies on the other
//! nodes ([`Replica`], objects of the `neural_replica` cache on theirs), and for a
//! created network its training memory ([`TrainMem`], which `train.rs` uses).

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::numa::mem::{
    Array,
    NodeVec,
    Where, //
};
use crate::numa::slab::{
    SlabBox,
    SlabCache, //
};
use crate::numa::topology::{
    self,
    NodeId, //
};
use crate::pure::activation::Activation;
use crate::pure::fixed::Requant;
use crate::pure::forward::DenseLayer;
use crate::pure::nodemask::NodeMask;
use crate::pure::xavier::LayerPlan;

/// One dense layer in node-placed memory.
pub(crate) struct Layer {
    /// Inputs.
    pub(crate) inputs: usize,
    /// Outputs.
    pub(crate) outputs: usize,
    /// Activation.
    pub(crate) activation: Activation,
    /// Fractional bits of the output.
    pub(crate) out_frac: u8,
    /// Requantization of the accumulator.
    pub(crate) requant: Requant,
    /// Where the policy asked for the layer's memory.
    pub(crate) wanted: Where,
    /// `outputs * inputs` weights, row-major.
    pub(crate) weights: NodeVec<i16>,
    /// `outputs` biases.
    pub(crate) bias: NodeVec<i32>,
    /// Gradients and saved activations, for networks created from a topology.
    pub(super) train: Option<(LayerPlan, TrainMem)>,
    /// `replicate`: the copies of `weights` and `bias` on the other nodes of the mask,
    /// in the order of [`Placed`](super::placed::Placed)'s copy table.
    pub(super) copies: KVec<SlabBox<Replica>>,
}

/// A layer descriptor, an object of the `neural_layer` cache on the layer's node.
pub(super) type LayerBox = SlabBox<Layer>;

/// A copy of a layer's weights and biases on one node (`replicate`), an object of the
/// `neural_replica` cache on that node.
pub(crate) struct Replica {
    pub(super) node: NodeId,
    pub(super) weights: NodeVec<i16>,
    pub(super) bias: NodeVec<i32>,
}

impl Layer {
    /// The layer as the forward pass reads it, from copy `copy` (0: the first copy, `k`:
    /// `copies[k - 1]`, which [`Placed`](super::placed::Placed)'s copy table picks).
    pub(super) fn dense(&self, copy: usize) -> DenseLayer<'_> {
        let (weights, bias) = match copy.checked_sub(1).and_then(|k| self.copies.get(k)) {
            Some(r) => (&r.weights, &r.bias),
            None => (&self.weights, &self.bias),
        };
        DenseLayer {
            inputs: self.inputs,
            outputs: self.outputs,
            activation: self.activation,
            requant: self.requant,
            weights,
            bias,
        }
    }

    /// Makes a copy of the weights and biases on each node of `nodes`, exactly there, as
    /// objects of `replicas` (`Pools::replicas`).
    pub(super) fn replicate(
        &mut self,
        nodes: NodeMask,
        replicas: &Arc<SlabCache<Replica>>,
    ) -> Result {
        let mut copies = KVec::with_capacity(nodes.count(), GFP_KERNEL)?;
        for node in topology::mask_nodes(nodes) {
            let place = Where::Only(node);
            let weights =
                NodeVec::from_iter(self.weights.len(), place, self.weights.iter().copied())?;
            let bias = NodeVec::from_iter(self.bias.len(), place, self.bias.iter().copied())?;
            let replica = Replica {
                node,
                weights,
                bias,
            };
            copies.push(SlabBox::new(replicas, replica, place)?, GFP_KERNEL)?;
        }
        self.copies = copies;
        Ok(())
    }

    /// Brings every copy up to date with the first (after a training step).
    pub(super) fn sync_copies(&mut self) {
        for r in self.copies.iter_mut() {
            r.weights.copy_from_slice(&self.weights);
            r.bias.copy_from_slice(&self.bias);
        }
    }

    /// The node the weights landed on.
    pub(crate) fn node(&self) -> Option<NodeId> {
        self.weights.node()
    }

    /// Bytes of weights and biases.
    pub(crate) fn bytes(&self) -> usize {
        self.weights.bytes() + self.bias.bytes()
    }

    /// Bytes of training memory (gradients and saved activations).
    pub(crate) fn train_bytes(&self) -> usize {
        self.train.as_ref().map_or(0, |(_, m)| m.bytes())
    }
}

/// A layer's training memory, on the layer's node (`pure::train::TrainLayer` says what each
/// array holds).
pub(super) struct TrainMem {
    pub(super) grad_w: NodeVec<i64>,
    pub(super) grad_b: NodeVec<i64>,
    pub(super) pre: NodeVec<i16>,
    pub(super) out: NodeVec<i16>,
    pub(super) delta: NodeVec<i64>,
}

impl TrainMem {
    /// The memory of a layer of `inputs` by `outputs`, each array where `place` puts
    /// that many bytes of the layer.
    pub(super) fn new(
        inputs: usize,
        outputs: usize,
        place: impl Fn(usize) -> Where,
    ) -> Result<Self> {
        let small = place(0);
        Ok(Self {
            grad_w: NodeVec::zeroed(inputs * outputs, place(inputs * outputs * size_of::<i64>()))?,
            grad_b: NodeVec::zeroed(outputs, small)?,
            pre: NodeVec::zeroed(outputs, small)?,
            out: NodeVec::zeroed(outputs, small)?,
            delta: NodeVec::zeroed(outputs, small)?,
        })
    }

    /// Calls `f` with the kind and the array of each array.
    pub(super) fn each_buffer(
        &self,
        mut f: impl FnMut(&'static str, &dyn Array) -> Result,
    ) -> Result {
        f("grad_w", &self.grad_w)?;
        f("grad_b", &self.grad_b)?;
        f("pre", &self.pre)?;
        f("out", &self.out)?;
        f("delta", &self.delta)
    }

    pub(super) fn bytes(&self) -> usize {
        self.grad_w.bytes()
            + self.grad_b.bytes()
            + self.pre.bytes()
            + self.out.bytes()
            + self.delta.bytes()
    }
}
