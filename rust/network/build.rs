// SPDX-License-Identifier: GPL-2.0

//! Building a network: what its memory will cost ([`Network::footprint`]), from a
//! model blob ([`Network::from_model`]) or from a topology, Xavier-initialised
//! ([`Network::create`]), its layers placed, replicated and wrapped with each CPU's
//! scratch, its counters and its settings ([`Network::new_with`]).

use core::sync::atomic::{
    AtomicBool,
    AtomicU32, //
};

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::atomic::Atomic;
use kernel::sync::Arc;

use super::affinity::{
    self,
    Affinity, //
};
use super::atomic;
use super::buffers::Pools;
use super::layer::{
    Layer,
    LayerBox,
    LayerWeights,
    TrainMem, //
};
use super::model_mem::ModelMem;
use super::owner::Owner;
use super::placed::Placed;
use super::stats::{
    Origin,
    Stats, //
};
use super::Network;
use crate::budget::Charge;
use crate::numa::mem::NodeVec;
use crate::numa::placement::Placement;
use crate::numa::slab::SlabBox;
use crate::numa::topology;
use crate::pure::batch::{
    self,
    Shape, //
};
use crate::pure::format::Format;
use crate::pure::model::Model;
use crate::pure::num::usize_as_u64;
use crate::pure::rng::Rng;
use crate::pure::xavier::{
    self,
    Plan, //
};
use crate::sync::published::Published;

impl Network {
    /// The bytes of the arrays of a network whose layers have `dims` (inputs, outputs):
    /// weights and biases, with `trainable` the training memory too, and the scratch
    /// buffer of every possible CPU. `None` if the sum overflows.
    pub(crate) fn footprint(
        dims: impl Iterator<Item = (usize, usize, Format)>,
        trainable: bool,
    ) -> Option<u64> {
        const I16: usize = size_of::<i16>();
        const I32: usize = size_of::<i32>();
        const I64: usize = size_of::<i64>();
        let mut sum: usize = 0;
        let (mut max_width, mut max_inputs) = (0usize, 0usize);
        for (inputs, outputs, format) in dims {
            // Weights and biases; gradients of both, pre-activations, outputs and deltas.
            let (per_weight, per_output) = if trainable {
                (format.weight_bytes() + I64, I32 + I64 + I16 + I16 + I64)
            } else {
                (format.weight_bytes(), I32)
            };
            let weights = inputs.checked_mul(outputs)?.checked_mul(per_weight)?;
            let rest = outputs.checked_mul(per_output)?;
            sum = sum.checked_add(weights)?.checked_add(rest)?;
            max_width = max_width.max(outputs);
            max_inputs = max_inputs.max(inputs);
        }
        // A batch's scratch, and an atomic prediction's for each context level.
        let batch = batch::checked_scratch_len(max_width, max_inputs)?;
        let one = batch::checked_scratch_len_for(max_width, max_inputs, 1)?;
        let per_cpu = one
            .checked_mul(atomic::LEVELS)?
            .checked_add(batch)?
            .checked_mul(I16)?;
        let cpus = usize::try_from(topology::nr_cpu_ids()).ok()?;
        let scratch = cpus.checked_mul(per_cpu)?;
        u64::try_from(sum.checked_add(scratch)?).ok()
    }

    /// [`Network::footprint`] of a network built from `model`.
    pub(crate) fn model_footprint(model: &Model<'_>) -> Option<u64> {
        Self::footprint(
            model.layers().map(|l| (l.inputs, l.outputs, l.format)),
            false,
        )
    }

    /// [`Network::footprint`] of a network created from `plan`.
    pub(crate) fn plan_footprint(plan: &Plan) -> Option<u64> {
        Self::footprint(
            plan.layers()
                .iter()
                .map(|l| (l.inputs, l.outputs, Format::F16x16)),
            true,
        )
    }

    /// Builds network `id` from a parsed model, its memory placed by `placement`, paid for
    /// by `charge` ([`Network::model_footprint`]), made of `pools`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when memory cannot be had where the policy allows.
    pub(crate) fn from_model(
        id: u32,
        model: &Model<'_>,
        crc: u32,
        placement: &Placement,
        charge: Charge,
        pools: &Pools,
        owner: Owner,
    ) -> Result<Arc<Self>> {
        let layers = Self::model_layers(id, model, placement, pools)?;
        Self::new_with(
            id,
            model.input_frac(),
            layers,
            Rng::from_seed(0),
            Origin::Loaded { crc },
            owner,
            placement,
            charge,
            pools,
        )
    }

    /// The layers of `model` in node-placed memory, for network `id` placed by
    /// `placement`, with `replicate`'s copies (no training memory).
    ///
    /// # Errors
    ///
    /// `ENOMEM` when memory cannot be had where the policy allows.
    pub(super) fn model_layers(
        id: u32,
        model: &Model<'_>,
        placement: &Placement,
        pools: &Pools,
    ) -> Result<KVec<LayerBox>> {
        let placed = placement.for_network(id);
        let mut layers = KVec::with_capacity(model.n_layers(), GFP_KERNEL)?;
        for (i, l) in model.layers().enumerate() {
            let n = l.inputs * l.outputs;
            let wanted = placed.layer(i, n * l.format.weight_bytes());
            let weights = LayerWeights::from_model(model, &l, wanted)?;
            let bias = NodeVec::from_iter(l.outputs, placed.layer(i, 0), model.biases(&l))?;
            let mut layer = Layer {
                inputs: l.inputs,
                outputs: l.outputs,
                activation: l.activation,
                out_frac: l.out_frac,
                requant: l.requant,
                format: l.format,
                in_shift: l.in_shift,
                wanted,
                weights,
                bias,
                train: None,
                copies: KVec::new(),
            };
            layer.replicate(placed.copies(wanted), &pools.replicas)?;
            layers.push(SlabBox::new(&pools.layers, layer, wanted)?, GFP_KERNEL)?;
        }
        Ok(layers)
    }

    /// The model memory ([`ModelMem`]) of checked `layers` (each one's inputs are the
    /// previous one's outputs): their shape and work, each CPU's scratch.
    ///
    /// # Errors
    ///
    /// `EINVAL` for no layers, `ENOMEM`.
    pub(super) fn model_mem(
        layers: &[LayerBox],
        origin: Origin,
        charge: Charge,
        pools: &Pools,
    ) -> Result<Arc<ModelMem>> {
        let shape = Shape::of(layers.iter().map(|l| (l.inputs, l.outputs))).ok_or(EINVAL)?;
        let work = layers
            .iter()
            .map(|l| usize_as_u64(l.inputs).saturating_mul(usize_as_u64(l.outputs)))
            .fold(0u64, u64::saturating_add);
        ModelMem::new(shape, work, origin, charge, pools)
    }

    /// Builds network `id` from a topology, Xavier-initialised from `seed` (or from the
    /// kernel's RNG), with its training memory, paid for by `charge`
    /// ([`Network::plan_footprint`]), made of `pools`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when memory cannot be had where the policy allows.
    pub(crate) fn create(
        id: u32,
        plan: &Plan,
        seed: Option<u64>,
        placement: &Placement,
        charge: Charge,
        pools: &Pools,
        owner: Owner,
    ) -> Result<Arc<Self>> {
        // SAFETY: `get_random_u64` may be called from any context.
        let seed = seed.unwrap_or_else(|| unsafe { kernel::bindings::get_random_u64() });
        let mut rng = Rng::from_seed(seed);
        let placed = placement.for_network(id);
        let mut layers: KVec<LayerBox> = KVec::with_capacity(plan.n_layers(), GFP_KERNEL)?;
        // All the memory first, so that running out of it costs no initialisation work.
        for (i, lp) in plan.layers().iter().enumerate() {
            let place = |bytes| placed.layer(i, bytes);
            let n = lp.inputs * lp.outputs;
            let wanted = place(n * size_of::<i16>());
            let weights = LayerWeights::Wide(NodeVec::zeroed(n, wanted)?);
            let bias = NodeVec::zeroed(lp.outputs, place(0))?;
            let mem = TrainMem::new(lp.inputs, lp.outputs, place)?;
            let layer = Layer {
                inputs: lp.inputs,
                outputs: lp.outputs,
                activation: lp.activation,
                out_frac: lp.out_frac,
                requant: lp.requant,
                format: Format::F16x16,
                in_shift: 0,
                wanted,
                weights,
                bias,
                train: Some((*lp, mem)),
                copies: KVec::new(),
            };
            layers.push(SlabBox::new(&pools.layers, layer, wanted)?, GFP_KERNEL)?;
        }
        for (l, lp) in layers.iter_mut().zip(plan.layers()) {
            let l: &mut Layer = l;
            let weights = l.weights.wide_mut().ok_or(EINVAL)?;
            xavier::init_layer(lp, weights, &mut l.bias, &mut rng).map_err(|e| {
                pr_err!("create: {}\n", e.reason());
                EINVAL
            })?;
            // The copies after the initialisation, which they copy.
            let copies = placed.copies(l.wanted);
            l.replicate(copies, &pools.replicas)?;
        }
        Self::new_with(
            id,
            plan.input_frac(),
            layers,
            rng,
            Origin::Created { seed },
            owner,
            placement,
            charge,
            pools,
        )
    }

    /// Wraps checked layers (each one's inputs are the previous one's outputs).
    #[expect(clippy::too_many_arguments)]
    fn new_with(
        id: u32,
        input_frac: u8,
        layers: KVec<LayerBox>,
        rng: Rng,
        origin: Origin,
        owner: Owner,
        placement: &Placement,
        charge: Charge,
        pools: &Pools,
    ) -> Result<Arc<Self>> {
        let first = layers.first().ok_or(EINVAL)?;
        let last = layers.last().ok_or(EINVAL)?;
        let (input_dim, output_dim, output_frac) = (first.inputs, last.outputs, last.out_frac);
        let model = Self::model_mem(&layers, origin, charge, pools)?;
        let placed = Placed::new(layers, rng, *placement, &pools.numa, model)?;
        let per_cpu = affinity::cpu_counts()?;
        Arc::pin_init(
            try_pin_init!(Self {
                id,
                input_dim,
                input_frac,
                output_dim,
                output_frac,
                owner,
                placed <- Published::new(placed),
                update <- new_mutex!((), "neural_network:update"),
                pools: pools.clone(),
                cache_ms: AtomicU32::new(u32::MAX),
                no_simd: AtomicBool::new(false),
                affinity <- new_mutex!(Affinity::new(), "neural_network:affinity"),
                next_cpu: Atomic::new(0),
                per_cpu,
                stats: Stats::new(),
            }? Error),
            GFP_KERNEL,
        )
    }
}
