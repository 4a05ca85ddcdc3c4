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
use crate::pure::format::{
    Format,
    Weights, //
};
use crate::pure::forward::DenseLayer;
use crate::pure::model::{
    LayerDesc,
    Model, //
};
use crate::pure::nodemask::NodeMask;
use crate::pure::panel;
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
    /// The format of the weights and products.
    pub(crate) format: Format,
    /// `8x8`: the shift that narrows each input (0 otherwise).
    pub(crate) in_shift: u8,
    /// Where the policy asked for the layer's memory.
    pub(crate) wanted: Where,
    /// `outputs * inputs` weights, row-major.
    pub(crate) weights: LayerWeights,
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
    pub(super) weights: LayerWeights,
    pub(super) bias: NodeVec<i32>,
}

/// A layer's weights in node-placed memory: 16-bit for the `16x16` format, 8-bit for
/// `16x8` and `8x8`, row-major or in panels (`pure/panel.rs`; the same bytes in another
/// order).
pub(crate) enum LayerWeights {
    /// `16x16`.
    Wide(NodeVec<i16>),
    /// `16x8` and `8x8`, row-major.
    Narrow(NodeVec<i8>),
    /// `16x8` and `8x8` stored in panels: a layer that `panel::fits`.
    Panels(NodeVec<i8>),
}

impl LayerWeights {
    /// The weights of `layer` of `model`, where `place` says: 8-bit ones in the order
    /// `Model::weights8_stored` gives (in panels where `panel::fits`).
    pub(super) fn from_model(model: &Model<'_>, layer: &LayerDesc, place: Where) -> Result<Self> {
        let n = layer.inputs * layer.outputs;
        Ok(match layer.format {
            Format::F16x16 => Self::Wide(NodeVec::from_iter(n, place, model.weights(layer))?),
            Format::F16x8 | Format::F8x8 => {
                let w = NodeVec::from_iter(n, place, model.weights8_stored(layer))?;
                if panel::fits(layer.format, layer.outputs, layer.inputs) {
                    Self::Panels(w)
                } else {
                    Self::Narrow(w)
                }
            }
        })
    }

    /// A copy where `place` says.
    pub(super) fn copy_to(&self, place: Where) -> Result<Self> {
        Ok(match self {
            Self::Wide(w) => Self::Wide(NodeVec::from_iter(w.len(), place, w.iter().copied())?),
            Self::Narrow(w) => Self::Narrow(NodeVec::from_iter(w.len(), place, w.iter().copied())?),
            Self::Panels(w) => Self::Panels(NodeVec::from_iter(w.len(), place, w.iter().copied())?),
        })
    }

    /// The 16-bit weights of a `16x16` layer, to train.
    pub(super) fn wide_mut(&mut self) -> Option<&mut NodeVec<i16>> {
        match self {
            Self::Wide(w) => Some(w),
            Self::Narrow(_) | Self::Panels(_) => None,
        }
    }

    /// The weights as the forward pass reads them, in `format` (which is the layer's).
    fn view(&self, format: Format, in_shift: u8) -> Weights<'_> {
        match (self, format) {
            (Self::Wide(w), _) => Weights::Wide(w),
            (Self::Narrow(w), Format::F8x8) => Weights::Byte {
                weights: w,
                in_shift,
            },
            (Self::Narrow(w), _) => Weights::Narrow(w),
            (Self::Panels(w), Format::F8x8) => Weights::Panels {
                weights: w,
                in_shift: Some(in_shift),
            },
            (Self::Panels(w), _) => Weights::Panels {
                weights: w,
                in_shift: None,
            },
        }
    }

    /// The array, for `memory_map` and the placement checks.
    pub(crate) fn array(&self) -> &dyn Array {
        match self {
            Self::Wide(w) => w,
            Self::Narrow(w) | Self::Panels(w) => w,
        }
    }

    /// The node the weights landed on.
    pub(crate) fn node(&self) -> Option<NodeId> {
        match self {
            Self::Wide(w) => w.node(),
            Self::Narrow(w) | Self::Panels(w) => w.node(),
        }
    }

    /// Bytes of weights.
    pub(crate) fn bytes(&self) -> usize {
        match self {
            Self::Wide(w) => w.bytes(),
            Self::Narrow(w) | Self::Panels(w) => w.bytes(),
        }
    }

    /// Copies `other`'s values, if of the same width and length.
    fn copy_from(&mut self, other: &Self) {
        match (self, other) {
            (Self::Wide(a), Self::Wide(b)) if a.len() == b.len() => a.copy_from_slice(b),
            (Self::Narrow(a), Self::Narrow(b)) | (Self::Panels(a), Self::Panels(b))
                if a.len() == b.len() =>
            {
                a.copy_from_slice(b)
            }
            _ => {}
        }
    }
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
            weights: weights.view(self.format, self.in_shift),
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
            let weights = self.weights.copy_to(place)?;
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
            r.weights.copy_from(&self.weights);
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
