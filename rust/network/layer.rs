// SPDX-License-Identifier: GPL-2.0

//! One dense layer of a network in node-placed memory ([`Layer`], an object of the
//! `neural_layer` cache on the layer's node), and for `replicate` its copies on the other
//! nodes ([`Replica`], objects of the `neural_replica` cache on theirs).

use kernel::prelude::*;

use super::train::TrainMem;
use super::Pools;
use crate::numa::mem::{
    NodeVec,
    Where, //
};
use crate::numa::slab::SlabBox;
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
    /// in the order of [`Network`](super::Network)'s copy table.
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
    /// `copies[k - 1]`, which [`Network`](super::Network)'s copy table picks).
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

    /// Makes a copy of the weights and biases on each node of `nodes`, exactly there.
    pub(super) fn replicate(&mut self, nodes: NodeMask, pools: &Pools) -> Result {
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
            copies.push(SlabBox::new(&pools.replicas, replica, place)?, GFP_KERNEL)?;
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
